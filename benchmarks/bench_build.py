"""Building a network from many national graphs, against pyoxigraph's bulk load of the same file.

chmgraph's side is what a demo or benchmark network costs: ``Network.init`` (the ontology,
reference and CBD graphs, the query library, their entailments) and ``load_national_graphs`` of
the synthetic network's TriG (each country's graph, its inferred graph and its version record
with the archived content), into a new store on disk. The baseline is ``pyoxigraph.Store``'s
own ``bulk_load`` of the same TriG into a new store on disk. Reported beside the times: peak
memory of each side, quads stored, bytes on disk per stored quad, and what ``Store.optimize()``
(a full compaction) changes on chmgraph's store.

    .venv/bin/python benchmarks/run.py --size 1m --only build --repeats 1

Goals (issue 18): peak RSS within 2x of the baseline's, bytes per stored quad within 1.5x.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import harness

# Several minutes a run from 1M triples: only when named.
IN_DEFAULT_RUN = False
GOAL = "peak RSS <= 2x pyoxigraph's; bytes per quad <= 1.5x"


def run(size: str = "100k", repeats: int = 1) -> list[dict[str, Any]]:
    """One build per side (a build is minutes from 1M triples), whatever ``repeats``."""
    workload = harness.network(size)
    source = str(workload.path)
    ours, ours_rss = harness.in_child(build_once, source)
    theirs, theirs_rss = harness.in_child(engine_once, source)
    ours_bpq = ours["bytes"] / ours["quads"]
    theirs_bpq = theirs["bytes"] / theirs["quads"]
    notes = (
        f"one run per side; chmgraph stores {ours['quads']:,} quads (the national graphs, "
        f"their inferred graphs, a record and archive per country) in "
        f"{ours['bytes'] / 1e6:,.0f} MB, {ours_bpq:.0f} B/quad; pyoxigraph {theirs['quads']:,} "
        f"quads in {theirs['bytes'] / 1e6:,.0f} MB, {theirs_bpq:.0f} B/quad "
        f"({ours_bpq / theirs_bpq:.2f}x); peak RSS {ours_rss / theirs_rss:.2f}x; "
        f"Store.optimize() took {ours['optimize_s']:.0f} s and left "
        f"{ours['optimized_bytes'] / ours['quads']:.0f} B/quad"
    )
    row = {
        "name": "build a network on disk",
        "size": workload.size,
        "triples": workload.triples,
        "chmgraph_name": "Network.init + load_national_graphs, store on disk",
        "chmgraph_s": [ours["seconds"]],
        "peak_rss_mb": round(ours_rss, 1),
        "baseline_name": "pyoxigraph Store.bulk_load, store on disk",
        "baseline_s": [theirs["seconds"]],
        "baseline_peak_rss_mb": round(theirs_rss, 1),
        "goal": GOAL,
        "notes": notes,
        "store_bytes_per_quad": round(ours_bpq, 1),
        "baseline_store_bytes_per_quad": round(theirs_bpq, 1),
    }
    return [harness.complete(row)]


def build_once(path: str) -> dict[str, Any]:
    """One timed build, the store's size, and its size after ``optimize()``."""
    tmp = Path(tempfile.mkdtemp(dir=harness.CACHE_DIR))
    try:
        started = time.perf_counter()
        network = _build(path, tmp / "store")
        found = {"seconds": time.perf_counter() - started}
        found |= {"quads": network.store.count(), "bytes": _bytes(tmp / "store")}
        started = time.perf_counter()
        network.store._store.optimize()  # pyoxigraph's compaction; chmgraph never calls it
        found["optimize_s"] = time.perf_counter() - started
        network.close()
        found["optimized_bytes"] = _bytes(tmp / "store")
        return found
    finally:
        shutil.rmtree(tmp)


def engine_once(path: str) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(dir=harness.CACHE_DIR))
    try:
        started = time.perf_counter()
        quads = _engine(path, tmp / "store")
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "quads": quads, "bytes": _bytes(tmp / "store")}
    finally:
        shutil.rmtree(tmp)


def _build(path: str, store: Path) -> Any:
    from chmgraph.network import Network

    network = Network.open(store, create=True)
    network.init()
    network.load_national_graphs(Path(path), by="bench_build", message="Synthetic data.")
    network.store._store.flush()
    return network


def _engine(path: str, store: Path) -> int:
    import pyoxigraph as ox

    engine = ox.Store(str(store))
    engine.bulk_load(path=path, format=ox.RdfFormat.TRIG)
    engine.flush()
    return len(engine)


def _bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())

"""Building a network from many national graphs, against pyoxigraph's bulk load of the same file.

chmgraph's side is what a demo or benchmark network costs: ``Network.init`` (the ontology,
reference and CBD graphs, the query library, their entailments) and ``load_national_graphs`` of
the synthetic network's TriG (each country's graph, its inferred graph and its version record
with the archived content), into a new store on disk. The baseline is ``pyoxigraph.Store``'s
own ``bulk_load`` of the same TriG into a new store on disk. Reported beside the times: peak
memory of each side, quads stored, bytes on disk per stored quad, how many of those bytes are
the archives (each version's statements as one N-Triples literal), and what ``Store.optimize()``
(a full compaction) changes on chmgraph's store, measured on a checkpoint of it so that the
store built stays as a deployment has it.

    .venv/bin/python benchmarks/run.py --size 1m --only build --repeats 1
    .venv/bin/python benchmarks/bench_build.py --size 10m --keep var/store10m --out results

``--keep DIR`` leaves chmgraph's store in ``DIR`` (a new folder) for other benchmarks to use.

Goals (issue 18): peak RSS within 2x of the baseline's, bytes per stored quad within 1.5x.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import harness

# Several minutes a run from 1M triples: only when named.
IN_DEFAULT_RUN = False
GOAL = "peak RSS <= 2x pyoxigraph's; bytes per quad <= 1.5x"


def run(size: str = "100k", repeats: int = 1, keep: Path | None = None) -> list[dict[str, Any]]:
    """One build per side (a build is minutes from 1M triples), whatever ``repeats``; chmgraph's
    store is left in ``keep`` when given."""
    workload = harness.network(size)
    source = str(workload.path)
    ours, ours_rss = harness.in_child(build_once, source, str(keep) if keep else None)
    theirs, theirs_rss = harness.in_child(engine_once, source)
    ours_bpq = ours["bytes"] / ours["quads"]
    theirs_bpq = theirs["bytes"] / theirs["quads"]
    notes = (
        f"one run per side; chmgraph stores {ours['quads']:,} quads (the national graphs, "
        f"their inferred graphs, a record and archive per country) in "
        f"{ours['bytes'] / 1e6:,.0f} MB, {ours_bpq:.0f} B/quad (the archives' text "
        f"{ours['archive_chars'] / 1e6:,.0f} MB); pyoxigraph {theirs['quads']:,} "
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


def build_once(path: str, keep: str | None = None) -> dict[str, Any]:
    """One timed build, the store's size, and the size of a checkpoint of it after
    ``optimize()``."""
    import pyoxigraph as ox

    tmp = Path(tempfile.mkdtemp(dir=harness.CACHE_DIR))
    store = Path(keep) if keep else tmp / "store"
    try:
        started = time.perf_counter()
        network = _build(path, store)
        found = {"seconds": time.perf_counter() - started}
        found |= {"quads": network.store.count(), "bytes": _bytes(store)}
        found["archive_chars"] = _archive_chars(network)
        # A checkpoint (hard links to the immutable table files) compacted on its own, so the
        # store built is left as a deployment has it.
        network.store._store.backup(str(tmp / "checkpoint"))
        network.close()
        copy = ox.Store(str(tmp / "checkpoint"))
        started = time.perf_counter()
        copy.optimize()  # pyoxigraph's compaction; chmgraph never calls it
        found["optimize_s"] = time.perf_counter() - started
        copy.flush()
        del copy
        found["optimized_bytes"] = _bytes(tmp / "checkpoint")
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


def _archive_chars(network: Any) -> int:
    """How many characters of N-Triples the versions' archives hold in all."""
    from chmgraph import iris

    text = f"""SELECT (SUM(STRLEN(?text)) AS ?n) WHERE {{
        GRAPH <{iris.SUBMISSIONS_GRAPH}> {{ ?version <{iris.vocab("archivedContent")}> ?text }}
    }}"""
    rows = list(network.store.query(text))
    return int(rows[0]["n"].value) if rows and rows[0]["n"] is not None else 0


def _bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100k", help="100k, 1m, 10m or a number of triples")
    parser.add_argument("--keep", type=Path, help="leave chmgraph's store here (a new folder)")
    parser.add_argument("--out", type=Path, help="write build-<size>.json/.md there")
    args = parser.parse_args()
    if args.keep and args.keep.exists():
        parser.error(f"--keep {args.keep}: already exists")
    started = time.perf_counter()
    rows = [harness.complete(r, group="build") for r in run(args.size, keep=args.keep)]
    if args.out:
        json_path, md_path = harness.write_results(
            rows,
            size=f"build-{args.size}",
            out_dir=args.out,
            latest=False,
            repeats=1,
            elapsed_s=round(time.perf_counter() - started, 1),
        )
        print(f"wrote {json_path} and {md_path}")
    for row in rows:
        print(f"{row['name']}: {row['median_s']:.1f} s vs {row['baseline_median_s']:.1f} s")
        print(row["notes"])


if __name__ == "__main__":
    main()

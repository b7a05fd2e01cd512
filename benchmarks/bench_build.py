"""Building a network from many national graphs, against pyoxigraph's bulk load of the same file.

chmgraph's side is what a demo or benchmark network costs: ``Network.init`` (the ontology,
reference and CBD graphs, the query library, their entailments) and ``load_national_graphs`` of
the synthetic network's TriG (each country's graph, its inferred graph and its version record
with the archived content), into a new store on disk. The baseline is ``pyoxigraph.Store``'s
own ``bulk_load`` of the same TriG into a new store on disk. Reported beside the times: peak
memory of each side, quads stored, bytes on disk per stored quad as loaded and once compacted
(``Store.optimize()`` on a checkpoint of each store, so that the store built stays as loaded),
and how much text the archives hold (each version's statements as one N-Triples literal).

Both figures matter because of how Oxigraph configures RocksDB: the bulk loader writes
LZ4-compressed table files, but a compaction writes its output uncompressed while the store is
small enough that all its data sits in one level (``compression_per_level`` leaves the base
level uncompressed). A load of more than one batch (a million quads) leaves overlapping files
that RocksDB compacts in the background, during the load or once the store is reopened, so the
compacted size is what a store holding more than a few million quads settles at.

    .venv/bin/python benchmarks/run.py --size 1m --only build --repeats 1
    .venv/bin/python benchmarks/bench_build.py --size 10m --keep var/s10m --out benchmarks/results

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
    tmp = Path(tempfile.mkdtemp(dir=harness.CACHE_DIR))
    try:
        store = keep or tmp / "chmgraph"
        ours, ours_rss = harness.in_child(build_once, source, str(store))
        ours |= harness.in_child(compacted, str(store), str(tmp / "chmgraph-copy"))[0]
        theirs, theirs_rss = harness.in_child(engine_once, source, str(tmp / "pyoxigraph"))
        theirs |= harness.in_child(compacted, str(tmp / "pyoxigraph"), str(tmp / "copy"))[0]
    finally:
        shutil.rmtree(tmp)
    ours_bpq, theirs_bpq = ours["bytes"] / ours["quads"], theirs["bytes"] / theirs["quads"]
    ours_cpq = ours["compacted_bytes"] / ours["quads"]
    theirs_cpq = theirs["compacted_bytes"] / theirs["quads"]
    notes = (
        f"one run per side; chmgraph stores {ours['quads']:,} quads (the national graphs, "
        f"their inferred graphs, a record and archive per country; the archives' text "
        f"{ours['archive_chars'] / 1e6:,.0f} MB) in {ours['bytes'] / 1e6:,.0f} MB as loaded, "
        f"{ours_bpq:.0f} B/quad; pyoxigraph {theirs['quads']:,} quads in "
        f"{theirs['bytes'] / 1e6:,.0f} MB, {theirs_bpq:.0f} B/quad ({ours_bpq / theirs_bpq:.2f}x); "
        f"compacted (Store.optimize(), {ours['optimize_s']:.0f} s / {theirs['optimize_s']:.0f} s, "
        f"as RocksDB does on its own once a store is reopened) {ours_cpq:.0f} vs "
        f"{theirs_cpq:.0f} B/quad ({ours_cpq / theirs_cpq:.2f}x); "
        f"peak RSS {ours_rss / theirs_rss:.2f}x"
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
        "quads": ours["quads"],
        "baseline_quads": theirs["quads"],
        "store_bytes_per_quad": round(ours_bpq, 1),
        "baseline_store_bytes_per_quad": round(theirs_bpq, 1),
        "compacted_bytes_per_quad": round(ours_cpq, 1),
        "baseline_compacted_bytes_per_quad": round(theirs_cpq, 1),
        "archive_chars": ours["archive_chars"],
    }
    return [harness.complete(row)]


def build_once(path: str, store: str) -> dict[str, Any]:
    """One timed build into ``store``: its time, quads and size on disk once closed."""
    started = time.perf_counter()
    network = _build(path, Path(store))
    found = {"seconds": time.perf_counter() - started, "quads": network.store.count()}
    found["archive_chars"] = _archive_chars(network)
    network.close()
    found["bytes"] = _bytes(Path(store))
    return found


def engine_once(path: str, store: str) -> dict[str, Any]:
    started = time.perf_counter()
    quads = _engine(path, Path(store))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "quads": quads, "bytes": _bytes(Path(store))}


def compacted(store: str, copy: str) -> dict[str, Any]:
    """The size of a checkpoint of ``store`` (hard links to its table files) after
    ``optimize()``, a full compaction, and how long that took; ``store`` itself is left as is."""
    import pyoxigraph as ox

    ox.Store(store).backup(copy)
    checkpoint = ox.Store(copy)
    started = time.perf_counter()
    checkpoint.optimize()  # pyoxigraph's compaction; chmgraph never calls it
    seconds = time.perf_counter() - started
    checkpoint.flush()
    del checkpoint
    found = {"optimize_s": seconds, "compacted_bytes": _bytes(Path(copy))}
    shutil.rmtree(copy)
    return found


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
    quads = len(engine)
    del engine  # closed, as chmgraph's store is before it is measured
    return quads


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

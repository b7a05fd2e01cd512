"""Loading a synthetic network into the store, against rdflib parsing the same file.

chmgraph's side is ``OxigraphStore.bulk_load`` (what ``chmgraph init`` uses) of the synthetic
network's TriG into a new store on disk, the store a steward's machine keeps, and into the
in-memory backend; the baseline is ``rdflib.Dataset().parse`` of the same file (parse and add
to rdflib's memory store), measured once in the same run and set beside both. Also reported:
the store's bytes on disk per triple, and each side's peak memory.

    .venv/bin/python benchmarks/bench_load.py --size 1m --repeats 3

prints the Markdown table and writes ``benchmarks/results/load-<size>.json``.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness

GOAL = ">= 10x, >= 250k triples/s"
# rdflib takes about a minute per million triples; above this size it runs once.
FEWER_BASELINE_RUNS_ABOVE = 300_000


def run(size: str = "100k", repeats: int = 3) -> list[dict[str, Any]]:
    """The load cases for the synthetic network of ``size``, each beside rdflib."""
    workload = harness.network(size)
    source = str(workload.path)
    baseline_repeats = 1 if workload.triples > FEWER_BASELINE_RUNS_ABOVE else repeats
    bytes_on_disk, _ = harness.in_child(store_bytes, source)
    per_triple = round(bytes_on_disk / workload.triples, 1)
    on_disk = harness.compare(
        "load",
        workload=workload,
        chmgraph=harness.Side(
            "OxigraphStore.bulk_load, store on disk", functools.partial(load_on_disk, source)
        ),
        baseline=harness.Side("rdflib Dataset.parse", functools.partial(rdflib_load, source)),
        repeats=repeats,
        baseline_repeats=baseline_repeats,
        goal=GOAL,
        notes=f"TriG into a new store on disk: {per_triple} bytes on disk per triple",
    )
    on_disk["store_bytes_per_triple"] = per_triple
    in_memory = harness.measure(
        harness.Side(
            "OxigraphStore.bulk_load, in memory", functools.partial(load_in_memory, source)
        ),
        repeats,
    )
    memory_row = {
        key: on_disk[key]
        for key in (
            "size",
            "triples",
            "baseline_name",
            "baseline_s",
            "baseline_peak_rss_mb",
            "goal",
        )
    } | {
        "name": "in memory",
        "chmgraph_name": "OxigraphStore.bulk_load, in memory",
        "chmgraph_s": in_memory.seconds,
        "peak_rss_mb": in_memory.peak_rss_mb,
        "notes": "the test backend; the baseline's runs are the ones of the row above",
    }
    return [on_disk, harness.complete(memory_row)]


# Each timed function receives the side's untimed setup value (None: there is none).
def load_on_disk(path: str, _state: None) -> None:
    from chmgraph.store import open_store

    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "store", create=True) as s:
        s.bulk_load(Path(path))


def load_in_memory(path: str, _state: None) -> None:
    from chmgraph.store import open_store

    with open_store(None) as store:
        store.bulk_load(Path(path))


def rdflib_load(path: str, _state: None) -> None:
    import rdflib

    rdflib.Dataset().parse(path, format="trig")


def store_bytes(path: str) -> int:
    """The size on disk of a store holding the file at ``path``, once closed."""
    from chmgraph.store import open_store

    tmp = Path(tempfile.mkdtemp())
    try:
        with open_store(tmp / "store", create=True) as store:
            store.bulk_load(Path(path))
        return sum(f.stat().st_size for f in (tmp / "store").rglob("*") if f.is_file())
    finally:
        shutil.rmtree(tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100k", help="100k, 1m, 10m or a number of triples")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side")
    parser.add_argument("--out", type=Path, default=harness.RESULTS_DIR, help="results folder")
    args = parser.parse_args()
    results = [harness.complete(r, group="load") for r in run(args.size, args.repeats)]
    document = {
        "size": args.size,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": harness.machine(),
        "repeats": args.repeats,
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"load-{args.size}.json"
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(harness.markdown(document))
    print(f"written: {target}")


if __name__ == "__main__":
    main()

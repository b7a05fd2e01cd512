"""Dumping the network: chmgraph's deterministic TriG.gz against rdflib's serializer.

Both sides start from the synthetic network already loaded (untimed): chmgraph's side from an
in-memory store, rdflib's from an ``rdflib.Dataset``. Each writes the network as gzipped TriG to a
file. chmgraph's TriG is canonical (RDFC-1.0 blank nodes, sorted statements, fixed prefixes), so
its side does more work than a plain serialization. A second case times the whole ``chmgraph
dump`` (per-graph Turtle, TriG, N-Quads, each gzipped, VoID with statistics, change log) against
the same rdflib baseline.
"""

from __future__ import annotations

import functools
import gzip
import tempfile
from pathlib import Path
from typing import Any

import harness

# rdflib takes about a minute per million triples to serialize; above this many triples its side
# runs once so that ``make bench SIZE=1m`` stays in minutes.
FEWER_BASELINE_RUNS_ABOVE = 300_000


def run(size: str = "100k", repeats: int = 3) -> list[dict[str, Any]]:
    workload = harness.network(size)
    baseline_repeats = 1 if workload.triples > FEWER_BASELINE_RUNS_ABOVE else repeats
    source = str(workload.path)
    common = {"workload": workload, "repeats": repeats, "baseline_repeats": baseline_repeats}
    baseline = harness.Side(
        "rdflib Dataset.serialize TriG + gzip",
        rdflib_trig_gz,
        setup=functools.partial(rdflib_dataset, source),
    )
    store = functools.partial(chmgraph_store, source)
    trig_gz = harness.compare(
        "trig.gz",
        chmgraph=harness.Side("chmgraph network_trig + gzip", chmgraph_trig_gz, setup=store),
        baseline=baseline,
        notes="network.trig.gz from the loaded network; loading is not timed",
        goal=">= 10x, >= 300k triples/s",
        **common,
    )
    # The whole dump is compared with the same rdflib runs: measuring them twice would only
    # double the slowest part of the benchmark.
    every_file = harness.measure(
        harness.Side("chmgraph dump_network (every file)", chmgraph_dump, setup=store), repeats
    )
    shared = ("size", "triples", "baseline_name", "baseline_s", "baseline_peak_rss_mb")
    every_file_row = {key: trig_gz[key] for key in shared} | {
        "name": "every file",
        "chmgraph_name": "chmgraph dump_network (every file)",
        "chmgraph_s": every_file.seconds,
        "peak_rss_mb": every_file.peak_rss_mb,
        "notes": "all files of `chmgraph dump` against rdflib's TriG.gz alone; "
        "the baseline's runs are the ones of the row above",
    }
    return [trig_gz, harness.complete(every_file_row)]


def chmgraph_store(path: str) -> Any:
    from chmgraph.store import OxigraphStore

    store = OxigraphStore(None)
    store.bulk_load(Path(path))
    return store


def rdflib_dataset(path: str) -> Any:
    import rdflib

    dataset = rdflib.Dataset()
    dataset.parse(path, format="trig")
    return dataset


def chmgraph_trig_gz(store: Any) -> None:
    from chmgraph.publish.dump import deterministic_gzip, network_trig

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "network.trig.gz").write_bytes(deterministic_gzip(network_trig(store)))


def chmgraph_dump(store: Any) -> None:
    from chmgraph.publish.dump import dump_network
    from chmgraph.settings import Settings

    settings = Settings(dump_base_url="https://example.org/bench/dump/")
    with tempfile.TemporaryDirectory() as tmp:
        dump_network(store, tmp, settings=settings)


def rdflib_trig_gz(dataset: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = dataset.serialize(format="trig", encoding="utf-8")
        (Path(tmp) / "network.trig.gz").write_bytes(gzip.compress(data, mtime=0))

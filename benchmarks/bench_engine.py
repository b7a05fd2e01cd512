"""The engine beneath chmgraph against rdflib: pyoxigraph called directly, no chmgraph layer.

The floor that chmgraph's own load and dump (``bench_load.py``, ``bench_dump.py``) build on: a
bulk load of the synthetic network's TriG into an in-memory pyoxigraph store against
``rdflib.Dataset.parse``, and writing the network as TriG with pyoxigraph against rdflib's
serializer. In this group the "chmgraph" column is pyoxigraph itself.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import harness
from bench_dump import rdflib_dataset

# The load and dump benchmarks already set chmgraph beside rdflib; this floor runs when named
# (run.py --only engine), keeping the quick mode quick.
IN_DEFAULT_RUN = False

# rdflib takes about a minute per million triples to parse; above this many triples its side
# runs fewer times so that ``make bench SIZE=1m`` stays in minutes.
FEWER_BASELINE_RUNS_ABOVE = 300_000


def run(size: str = "100k", repeats: int = 3) -> list[dict[str, Any]]:
    workload = harness.network(size)
    baseline_repeats = 1 if workload.triples > FEWER_BASELINE_RUNS_ABOVE else repeats
    common = {"workload": workload, "repeats": repeats, "baseline_repeats": baseline_repeats}
    source = str(workload.path)
    return [
        harness.compare(
            "load",
            chmgraph=harness.Side(
                "pyoxigraph Store.bulk_load (in memory)",
                functools.partial(oxigraph_load, source),
            ),
            baseline=harness.Side("rdflib Dataset.parse", functools.partial(rdflib_load, source)),
            notes="TriG file into an empty store; no chmgraph layer",
            **common,
        ),
        harness.compare(
            "dump",
            chmgraph=harness.Side(
                "pyoxigraph Store.dump TriG",
                oxigraph_dump,
                setup=functools.partial(oxigraph_store, source),
            ),
            baseline=harness.Side(
                "rdflib Dataset.serialize TriG",
                rdflib_dump,
                setup=functools.partial(rdflib_dataset, source),
            ),
            notes="the loaded network written as TriG to a file; loading is not timed",
            **common,
        ),
    ]


# Each timed function receives the side's untimed setup value (``None`` when there is none).
def oxigraph_load(path: str, _state: None) -> None:
    import pyoxigraph as ox

    ox.Store().bulk_load(path=path, format=ox.RdfFormat.TRIG)


def rdflib_load(path: str, _state: None) -> None:
    import rdflib

    rdflib.Dataset().parse(path, format="trig")


def oxigraph_store(path: str) -> Any:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=path, format=ox.RdfFormat.TRIG)
    return store


def oxigraph_dump(store: Any) -> None:
    import pyoxigraph as ox

    with tempfile.TemporaryDirectory() as tmp:
        store.dump(output=str(Path(tmp) / "network.trig"), format=ox.RdfFormat.TRIG)


def rdflib_dump(dataset: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        dataset.serialize(destination=str(Path(tmp) / "network.trig"), format="trig")

"""The query library on a synthetic network: chmgraph against rdflib's SPARQL engine and against
pyoxigraph called directly.

One child process builds the network in memory (the repository's ontology, reference and CBD
graphs, the synthetic national graphs, their inferred graphs) and times every library query
through ``chmgraph.query.run_query`` and, on the same store, the same prepared text through
``pyoxigraph.Store.query`` with the same dataset, reading every row: chmgraph's overhead. Another
child loads the same quads into an ``rdflib.Dataset`` (default graph: the union; its named
graphs include the inferred ones, so ``GRAPH ?g`` queries count more rows there) and times the
same prepared text with rdflib's engine, each query in a forked process of its own so that one
that runs too long is stopped at ``RDFLIB_TIMEOUT_S`` (its ratio is then a lower bound).

Goals (issue 5): every query >= 20x faster than rdflib, p50 < 100 ms, overhead over pyoxigraph
<= 1.3x. Run it with ``benchmarks/run.py --only query`` or, alone,
``.venv/bin/python benchmarks/bench_query.py --size 100k``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
from typing import Any

import harness

# rdflib may take minutes on a query over a large network; past this it is stopped.
RDFLIB_TIMEOUT_S = 60.0
# Above this many triples rdflib's side runs each query once.
FEWER_BASELINE_RUNS_ABOVE = 300_000
GOAL_RDFLIB = ">= 20x, p50 < 100 ms"
GOAL_DIRECT = "overhead <= 1.3x (ratio >= 0.77)"


def run(size: str = "100k", repeats: int = 3) -> list[dict[str, Any]]:
    workload = harness.network(size)
    baseline_repeats = 1 if workload.triples > FEWER_BASELINE_RUNS_ABOVE else repeats
    ours, ours_rss = harness.in_child(time_chmgraph, str(workload.path), repeats)
    theirs, theirs_rss = harness.in_child(time_rdflib, str(workload.path), baseline_repeats)
    rows = []
    for name, timing in ours["queries"].items():
        common = {
            "size": workload.size,
            "triples": ours["triples"],
            "chmgraph_name": "chmgraph run_query",
            "chmgraph_s": timing["chmgraph"],
            "peak_rss_mb": round(ours_rss, 1),
        }
        rdflib = theirs[name]
        same = "same rows" if rdflib["rows"] == timing["rows"] else (
            f"rows differ: chmgraph {timing['rows']}, rdflib {rdflib['rows']}"
        )  # fmt: skip
        stopped = f"; rdflib stopped after {RDFLIB_TIMEOUT_S:g} s: ratio is a lower bound"
        rows.append(
            harness.complete(
                common
                | {
                    "name": f"query {name} vs rdflib",
                    "baseline_name": "rdflib Dataset.query",
                    "baseline_s": rdflib["seconds"],
                    "baseline_peak_rss_mb": round(theirs_rss, 1),
                    "goal": GOAL_RDFLIB,
                    "notes": f"{timing['rows']} rows; {same}"
                    + (stopped if rdflib["stopped"] else "")
                    + "; memory: the whole side's process (network built in memory)",
                }
            )
        )
        rows.append(
            harness.complete(
                common
                | {
                    "name": f"query {name} vs pyoxigraph",
                    "baseline_name": "pyoxigraph Store.query, same text and dataset",
                    "baseline_s": timing["direct"],
                    "goal": GOAL_DIRECT,
                    "notes": "same process and store; ratio below 1 is chmgraph's overhead "
                    "(finding the current graphs, preparing the text, a worker thread, rows "
                    "read into Python)",
                }
            )
        )
    return rows


def build_network(path: str) -> Any:
    """The seed network's own graphs plus the synthetic national graphs, with entailments."""
    from chmgraph.entailment import materialize
    from chmgraph.network import Network

    network = Network.in_memory()
    network.init()
    network.store.bulk_load(harness.Path(path))
    materialize(network)
    return network


def time_chmgraph(path: str, repeats: int) -> dict[str, Any]:
    from chmgraph.queries import QueryLibrary
    from chmgraph.query import dataset, has_graph_pattern, prepare, run_query
    from chmgraph.settings import Settings

    network = build_network(path)
    settings = Settings.from_env(max_rows=10**9, query_timeout_s=3600)
    timings = {}
    for query in QueryLibrary.load():
        text = prepare(query, query.bindings({})).text
        default, named = dataset(network, None, entailment=True, named=has_graph_pattern(text))
        answer = run_query(network, query, settings=settings)  # untimed: warms both sides
        rows = 1 if answer.form == "ASK" else len(answer)
        ours = _times(repeats, lambda q=query: run_query(network, q, settings=settings))
        direct = _times(repeats, lambda t=text, d=default, n=named: _read(network.store, t, d, n))
        timings[query.name] = {"chmgraph": ours, "direct": direct, "rows": rows}
    return {"queries": timings, "triples": network.store.count()}


def _read(store: Any, text: str, default: list[str] | None, named: list[str] | None) -> int:
    import pyoxigraph as ox

    # The same dataset as run_query: None is the union of every named graph.
    answer = store.query(text, default_graph=default, union=default is None, named_graphs=named)
    if isinstance(answer, ox.QueryBoolean):
        return 1
    return sum(1 for _ in answer)


def time_rdflib(path: str, repeats: int) -> dict[str, Any]:
    import pyoxigraph as ox
    import rdflib

    from chmgraph.queries import QueryLibrary
    from chmgraph.query import dataset, prepare

    network = build_network(path)
    default, _ = dataset(network, None, entailment=True)
    seen = network.store.graphs() if default is None else default
    quads = [q for graph in seen for q in network.store.quads(graph)]
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    del network, quads
    graphs = rdflib.Dataset(default_union=True)
    graphs.parse(data=data, format="nquads")
    del data
    results = {}
    for query in QueryLibrary.load():
        text = prepare(query, query.bindings({})).text
        results[query.name] = _rdflib_runs(graphs, text, repeats)
    return results


def _rdflib_runs(graphs: Any, text: str, repeats: int) -> dict[str, Any]:
    """Time ``text`` in a forked process per run, stopped at ``RDFLIB_TIMEOUT_S``."""
    context = multiprocessing.get_context("fork")
    seconds, rows, stopped = [], None, False
    for _ in range(repeats):
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_rdflib_query, args=(graphs, text, sender))
        child.start()
        sender.close()
        if receiver.poll(RDFLIB_TIMEOUT_S):
            elapsed, rows = receiver.recv()
            seconds.append(elapsed)
        else:
            seconds.append(RDFLIB_TIMEOUT_S)
            stopped = True
        child.kill()
        child.join()
        receiver.close()
        if stopped:
            break
    return {"seconds": seconds, "rows": rows, "stopped": stopped}


def _rdflib_query(graphs: Any, text: str, sender: Any) -> None:
    started = time.perf_counter()
    answer = graphs.query(text)
    rows = 1 if answer.type == "ASK" else sum(1 for _ in answer)
    sender.send((time.perf_counter() - started, rows))


def _times(repeats: int, work: Any) -> list[float]:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = run(size=args.size, repeats=args.repeats)
    print("| case | chmgraph median (ms) | baseline median (ms) | ratio | notes |")
    print("|---|---|---|---|---|")
    for r in rows:
        base = r["baseline_median_s"] or 0
        print(
            f"| {r['name']} | {r['median_s'] * 1000:.1f} | {base * 1000:.1f} | "
            f"{r['ratio']} | {r['notes']} |"
        )
    medians = [r["median_s"] for r in rows if r["name"].endswith("vs rdflib")]
    print(f"\np50 over the library: {statistics.median(medians) * 1000:.1f} ms")


if __name__ == "__main__":
    main()

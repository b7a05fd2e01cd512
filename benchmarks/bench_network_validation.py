"""Whole-network validation: every national graph of the synthetic network through chmgraph,
beside plain pySHACL with RDFS inference on a deterministic sample of the same graphs.

* chmgraph: ``chmgraph.validation.validate([graph], country=code)`` for each national graph in
  turn, the check ``Network.submit`` makes of a submission, timed over the whole network.
* baseline: ``pyshacl.validate(..., inference="rdfs")`` (as in ``bench_validation.py``: on the
  graph chmgraph hands to pySHACL before its own entailment; only the call is timed). pySHACL
  takes about a second per 300 triples, so it runs on ``SAMPLE_GRAPHS`` graphs, every n-th
  country by code, once. Its ratio is measured against chmgraph's time on the same graphs; the
  per-triple ratio against the whole network's run is derived from both measured rates and
  stated in the notes.

Both sides' raw reports are compared result by result on the sample; the row is an error if
they differ. Run it with ``benchmarks/run.py --only network_validation``.
"""

from __future__ import annotations

import time
from typing import Any

import harness
import pyoxigraph as ox
from bench_validation import GOAL, pyshacl_baseline, pyshacl_input

from chmgraph.validation.report import comparable_results

# National graphs pySHACL validates (it is too slow for all 196 at 100k triples and above).
SAMPLE_GRAPHS = 3
# Above this many triples in the network, chmgraph's whole-network run is timed once.
ONE_RUN_ABOVE = 50_000


def run(size: str = "100k", repeats: int = 3) -> list[dict[str, Any]]:
    workload = harness.network(size)
    runs = 1 if workload.triples > ONE_RUN_ABOVE else repeats
    ours, ours_rss = harness.in_child(validate_network, str(workload.path), runs)
    codes, sample, step = ours["codes"], ours["sample"], ours["step"]
    theirs, theirs_rss = harness.in_child(validate_sample, str(workload.path), sample)
    same = ours["sample_results"] == theirs["results"]
    results = sum(len(r) for r in theirs["results"].values())
    per_triple = (theirs["seconds"] / theirs["triples"]) / (min(ours["seconds"]) / ours["triples"])
    whole = {
        "name": f"every national graph ({len(codes)})",
        "size": workload.size,
        "triples": ours["triples"],
        "chmgraph_name": "chmgraph validate(graph, country=code) per national graph",
        "chmgraph_s": ours["seconds"],
        "peak_rss_mb": round(ours_rss, 1),
        "goal": GOAL,
        "notes": f"{ours['not_conforming']} of {len(codes)} graphs do not conform; "
        f"timed {runs} time(s); pyshacl on the sample takes {per_triple:.1f}x chmgraph's time "
        "per triple here (both rates measured; pyshacl is not run on every graph)",
    }
    sampled = {
        "name": f"sample of {len(sample)} national graphs vs pyshacl",
        "size": workload.size,
        "triples": theirs["triples"],
        "chmgraph_name": "chmgraph validate, the same graphs within the whole-network runs",
        "chmgraph_s": ours["sample_seconds"],
        "peak_rss_mb": round(ours_rss, 1),
        "baseline_name": 'pyshacl.validate(..., inference="rdfs"), once',
        "baseline_s": [theirs["seconds"]],
        "baseline_peak_rss_mb": round(theirs_rss, 1),
        "goal": GOAL,
        "notes": f"sample: one country in {step} by code, from the first: {', '.join(sample)}; "
        f"{results} results on both sides; same results: {same}",
        "status": harness.STATUS_OK if same else harness.STATUS_ERROR,
    }
    return [whole, sampled]


def _national_graphs(path: str) -> dict[str, Any]:
    """Each national graph of the TriG file at ``path`` as N-Triples, by country code."""
    from chmgraph import iris
    from chmgraph.rdfio import read_quads
    from chmgraph.validation import Source

    triples: dict[str, list[ox.Triple]] = {}
    for quad in read_quads(harness.Path(path)):
        code = iris.country_of_graph(getattr(quad.graph_name, "value", ""))
        if code is not None:
            triples.setdefault(code, []).append(quad.triple)
    return {
        code: Source(f"{code}.nt", ox.serialize(graph, format=ox.RdfFormat.N_TRIPLES) or b"")
        for code, graph in sorted(triples.items())
    }


def validate_network(path: str, runs: int) -> dict[str, Any]:
    """Time chmgraph validating every national graph ``runs`` times (in a child process), and
    the graphs of the sample (one country in ``step`` by code) within those runs."""
    from chmgraph.validation import validate

    graphs = _national_graphs(path)
    step = max(1, len(graphs) // SAMPLE_GRAPHS)
    sample = list(graphs)[::step][:SAMPLE_GRAPHS]
    validate([graphs[sample[0]]], country=sample[0])  # warm the per-process caches
    seconds, sample_seconds, reports = [], [], {}
    for _ in range(runs):
        started, in_sample = time.perf_counter(), 0.0
        for code, source in graphs.items():
            graph_started = time.perf_counter()
            reports[code] = validate([source], country=code)
            if code in sample:
                in_sample += time.perf_counter() - graph_started
        seconds.append(time.perf_counter() - started)
        sample_seconds.append(in_sample)
    return {
        "codes": list(graphs),
        "sample": sample,
        "step": step,
        "seconds": seconds,
        "sample_seconds": sample_seconds,
        "triples": sum(len(r.data_quads) for r in reports.values()),
        "not_conforming": sum(1 for r in reports.values() if not r.conforms),
        "sample_results": {c: comparable_results(reports[c].engine_graph) for c in sample},
    }


def validate_sample(path: str, sample: list[str]) -> dict[str, Any]:
    """Time plain pySHACL on the sampled national graphs, once (in a child process)."""
    graphs = _national_graphs(path)
    seconds, triples, results = 0.0, 0, {}
    for code in sample:
        report, [elapsed] = pyshacl_baseline(pyshacl_input([graphs[code]], code))
        seconds += elapsed
        triples += sum(1 for _ in ox.parse(graphs[code].data, format=ox.RdfFormat.N_TRIPLES))
        results[code] = comparable_results(report)
    return {"seconds": seconds, "triples": triples, "results": results}

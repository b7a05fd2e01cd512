"""Validating a national submission with entailment: chmgraph against plain pySHACL.

The workload is a synthetic national submission (namespace ``chmgraph.iris.SYNTHETIC``, marked
synthetic in its ``dcterms:description``): a national CHM of Cameroon with partners and events
that link to the network's countries, cities, topics and workshops, and a few deliberate faults
(events ending before they start, more countries than participants, duplicate labels), so that
both sides have results to agree on.

* chmgraph: ``chmgraph.validation.validate([submission], country="CM")``, timed whole (syntax
  gate, source map, context, targeted subclass/subproperty entailment, pySHACL, report).
* baseline: ``pyshacl.validate(data, shacl_graph=shapes/chm.ttl, ont_graph=ontology,
  inference="rdfs")`` on the very graph chmgraph hands to pySHACL before its entailment
  (submission, the context's types and labels of what it points at, the engine's facts), so both
  see the same data and shapes. Only the call is timed.

Both reports are compared result by result (focus node, path, value, constraint component,
severity, source shape) and the benchmark fails if they differ.

    python benchmarks/bench_validation.py [--size 1m] [--repeats 3]

prints a Markdown table and writes ``benchmarks/results/validation-<size>.json``. The submission
scales with the network size it is given: a twentieth of it, at most 50k triples (about 5k
triples at ``100k``, the quick mode; 50k at ``1m``). A second case does the same for the
network's own data (``data/cbd`` and ``data/reference``, no country); that data does not grow
with the size, so the case runs only from ``NETWORK_DATA_FROM`` triples (pySHACL takes about 12 s
on it, a tenth of the quick mode's budget).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pyshacl
import rdflib

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chmgraph import iris  # noqa: E402
from chmgraph.settings import DATA_DIR, ONTOLOGY_DIR  # noqa: E402
from chmgraph.synth import parse_size  # noqa: E402
from chmgraph.validation import Context, Source, read_source, validate  # noqa: E402
from chmgraph.validation.bridge import to_rdflib  # noqa: E402
from chmgraph.validation.facts import engine_facts  # noqa: E402
from chmgraph.validation.report import comparable_results  # noqa: E402
from chmgraph.validation.shapes import CHM_SHAPES  # noqa: E402
from chmgraph.validation.sources import read_sources  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
COUNTRY = "CM"
GOAL = ">= 5x, same results"
# The submission is this fraction of the network size it is given (5k triples at 100k) ...
NETWORK_PER_SUBMISSION = 20
# ... up to the largest submission generated (reached at 1m): a network size, not a submission.
SUBMISSION_MAX = 50_000
# The network's own data is the same at every size: it is validated from this size on (1m).
NETWORK_DATA_FROM = 1_000_000
# Triples one synthetic event takes (see _event); partners add about a tenth more.
_TRIPLES_PER_EVENT = 13


def run(size: str | int = "1m", repeats: int = 3) -> list[dict[str, Any]]:
    """Measure both sides on a national submission scaled to the network ``size`` (see
    ``submission_triples``) and, from ``NETWORK_DATA_FROM``, on the network's own data; one row
    per case."""
    triples = submission_triples(size)
    submission = Source("synthetic-national-submission.ttl", synthetic_submission(triples))
    rows = [_case("national submission", [submission], COUNTRY, size, repeats)]
    if parse_size(str(size)) >= NETWORK_DATA_FROM:
        network = [read_source(p) for p in sorted(DATA_DIR.glob("[cr]*/*.ttl"))]
        rows.append(_case("data/cbd + data/reference", network, None, size, repeats))
    return rows


def _case(
    name: str, sources: list[Source], country: str | None, size: str | int, repeats: int
) -> dict[str, Any]:
    validate(sources, country=country)  # warm the per-process caches (context, shapes)
    ours: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        report = validate(sources, country=country)
        ours.append(time.perf_counter() - start)
    baseline_report, theirs = pyshacl_baseline(pyshacl_input(sources, country))
    same = comparable_results(report.engine_graph) == comparable_results(baseline_report)
    row = {
        "name": f"validation: {name}",
        "size": str(size),
        "triples": len(report.data_quads),
        "chmgraph_name": "chmgraph validate (targeted entailment, prepared SPARQL)",
        "chmgraph_s": ours,
        "baseline_name": 'pyshacl.validate(..., inference="rdfs")',
        "baseline_s": theirs,
        "goal": GOAL,
        "notes": f"{len(comparable_results(baseline_report))} results on both sides; "
        f"same results: {same}",
        "same_results": same,
        "status": "ok" if same else "error",
    }
    return _summarized(row)


def submission_triples(size: str | int) -> int:
    """The submission's target triples for a network of ``size``.

    >>> submission_triples("100k"), submission_triples("1m"), submission_triples("10m")
    (5000, 50000, 50000)
    """
    return min(parse_size(str(size)) // NETWORK_PER_SUBMISSION, SUBMISSION_MAX)


def synthetic_submission(triples: int) -> bytes:
    """A national submission of about ``triples`` triples, in Turtle."""
    events = max(1, triples // (_TRIPLES_PER_EVENT + 1))
    partners = max(1, events // 10)
    lines = [
        f"@prefix chm: <{iris.VOCAB_BASE}> .",
        f"@prefix chmid: <{iris.ID}> .",
        f"@prefix syn: <{iris.SYNTHETIC}> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix schema: <https://schema.org/> .",
        "",
        "syn:chm-CM a chm:NationalCHM ;",
        '    rdfs:label "Synthetic national CHM"@en ;',
        '    dcterms:description "Synthetic data generated by benchmarks/bench_validation.py'
        ' to time validation; it describes nothing real."@en ;',
        "    chm:country chmid:country\\/CM ;",
        "    chm:usesToolkit chmid:toolkit\\/european-portal-toolkit ;",
        "    chm:attended chmid:event\\/2014-buea-chm-workshop ;",
        "    dcterms:source syn:source .",
    ]
    for p in range(partners):
        lines += [
            f"syn:partner-{p} a chm:Organization ;",
            f'    rdfs:label "Synthetic partner {p}"@en ; dcterms:source syn:source .',
            f"syn:chm-CM chm:partner syn:partner-{p} .",
        ]
    for e in range(events):
        lines += _event(e, partners)
    return ("\n".join(lines) + "\n").encode()


def _event(e: int, partners: int) -> list[str]:
    kind = "chm:RegionalWorkshop" if e % 3 else "chm:Meeting"
    start, end = (f"2015-{1 + e % 12:02d}-10", f"2015-{1 + e % 12:02d}-12")
    if e % 50 == 7:  # a fault: ends before it starts
        start, end = end, start
    participants, countries = 20 + e % 15, 1 + e % 9
    if e % 100 == 11:  # a fault: more countries than participants
        countries = participants + 1
    french = "en" if e % 200 == 13 else "fr"  # a fault: two English labels
    return [
        f"syn:event-{e} a {kind} ;",
        f'    rdfs:label "Synthetic event {e}"@en , "Événement synthétique {e}"@{french} ;',
        f'    schema:startDate "{start}"^^xsd:date ; schema:endDate "{end}"^^xsd:date ;',
        "    chm:hostCountry chmid:country\\/CM ; chm:hostCity chmid:place\\/buea ;",
        f"    chm:participantCount {participants} ; chm:countriesRepresentedCount {countries} ;",
        f"    chm:organizedBy syn:partner-{e % partners} ;",
        "    chm:topic chmid:concept\\/topic\\/clearing-house-mechanism ;",
        "    dcterms:source syn:source .",
        f"syn:chm-CM chm:attended syn:event-{e} .",
    ]


def pyshacl_input(sources: list[Source], country: str | None) -> rdflib.Graph:
    """The graph chmgraph gives pySHACL, before its own entailment."""
    read = read_sources(sources, file_base=False)
    submitted = {q.triple for r in read for q in r.quads}
    context = Context.load()
    pointed = {t.object for t in submitted if isinstance(t.object, ox.NamedNode)}
    triples = submitted | set(context.about(pointed)) | engine_facts(submitted, context, country)
    # A plain rdflib graph: the baseline gets none of chmgraph's query preparation.
    graph = rdflib.Graph()
    graph += to_rdflib(triples)
    return graph


def pyshacl_baseline(data: rdflib.Graph) -> tuple[rdflib.Graph, list[float]]:
    """Plain pySHACL with RDFS inference on ``data``: its report and the seconds of the call."""
    ontology = rdflib.Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        ontology.parse(path, format="turtle")
    shapes = str(CHM_SHAPES[0])
    start = time.perf_counter()
    _, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="rdfs", allow_warnings=False
    )
    return report, [time.perf_counter() - start]


def _summarized(row: dict[str, Any]) -> dict[str, Any]:
    ours, theirs = row["chmgraph_s"], row["baseline_s"]
    median, base = statistics.median(ours), statistics.median(theirs)
    return row | {
        "median_s": median,
        "min_s": min(ours),
        "max_s": max(ours),
        "baseline_median_s": base,
        "baseline_min_s": min(theirs),
        "baseline_max_s": max(theirs),
        "ratio": round(base / median, 2),
        "triples_per_s": round(row["triples"] / median, 1),
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| case | triples | chmgraph median (s) | baseline median (s) | ratio | same results "
        "| goal |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['triples']} | {r['median_s']:.2f} | "
            f"{r['baseline_median_s']:.2f} | {r['ratio']}x | {r['same_results']} | {r['goal']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1m", help="network size (100k, 1m): submission / 20")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of chmgraph's side")
    args = parser.parse_args()
    rows = run(size=args.size, repeats=args.repeats)
    print(markdown(rows), end="")
    RESULTS.mkdir(parents=True, exist_ok=True)
    body = {
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "system": platform.platform()},
        "packages": {"pyshacl": pyshacl.__version__, "rdflib": rdflib.__version__},
        "results": rows,
    }
    out = RESULTS / f"validation-{args.size}.json"
    out.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["same_results"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

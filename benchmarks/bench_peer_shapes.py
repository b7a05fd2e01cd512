"""Validating with shapes nobody here wrote: GeoDCAT-AP 2.0.0's examples against its shapes and
the DCAT-AP 2.0.1 shapes they import, chmgraph against plain pySHACL.

* chmgraph: ``validate(examples, shapes=SHAPES, inference=False)`` (the ``--shapes`` path),
  timed whole: reading, source maps, pySHACL, report.
* baseline: ``pyshacl.validate(data, shacl_graph=shapes, inference="none")`` on the examples
  and shapes parsed by rdflib, parsing included.

Both sides' results are compared (``comparable_results``) and the row says whether they agree.

Two workloads:

* the 25 Turtle examples of ``../shared/peer/geodcat-ap-2.0.0/examples/`` validated together
  (329 triples; it does not grow with ``--size``);
* a synthetic DCAT catalogue (``synthetic_catalogue``, namespace ``chmgraph.iris.SYNTHETIC``,
  marked synthetic in its own description) of 5k, 20k, 50k and 100k triples: datasets with
  publishers, themes, licences and distributions, and a few deliberate faults (a missing
  description, a byte size that is no decimal, a distribution's issue date in words, two
  publishers) so that both sides have results to agree on. Catalogues over a fifth of the
  ``--size`` given are left out (the quick mode, ``100k``, runs 5k and 20k).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import harness
import pyoxigraph as ox
import pyshacl
import rdflib

from chmgraph import iris
from chmgraph.settings import PROJECT_ROOT
from chmgraph.synth import parse_size
from chmgraph.validation import validate
from chmgraph.validation.report import comparable_results

PEER = PROJECT_ROOT.parent / "shared" / "peer"
EXAMPLES = sorted((PEER / "geodcat-ap-2.0.0" / "examples").glob("*.ttl"))
DCAT_AP = sorted((PEER / "dcat-ap-2.0.1").glob("*.ttl"))
SHAPES = [PEER / "geodcat-ap-2.0.0" / "geodcat-ap.shacl.ttl", *DCAT_AP]


# The catalogue sizes measured; those above the run's size are left out.
CATALOGUE_SIZES = (5_000, 20_000, 50_000, 100_000)
# The baseline is timed once on catalogues from this size (pySHACL takes a minute or more).
BASELINE_ONCE_FROM = 50_000


def run(size: str = "100k", repeats: int = 3) -> list[dict[str, Any]]:
    if not EXAMPLES:
        return [harness.not_available("peer_shapes", size, f"no examples in {PEER}")]
    rows = [_examples(size, repeats)]
    largest = parse_size(str(size)) // 5  # 20k at the quick mode's 100k, 100k from 500k
    for triples in (t for t in CATALOGUE_SIZES if t <= max(largest, CATALOGUE_SIZES[0])):
        rows.append(_catalogue(triples, size, repeats))
    return rows


def _examples(size: str, repeats: int) -> dict[str, Any]:
    triples = sum(len(list(ox.parse(path=p))) for p in EXAMPLES)
    workload = harness.Workload(path=EXAMPLES[0].parent, size=size, triples=triples, graphs=1)
    same = ours_results(EXAMPLES) == theirs_results(EXAMPLES)
    return harness.compare(
        "GeoDCAT-AP examples with DCAT-AP shapes",
        workload=workload,
        chmgraph=harness.Side(
            "validate(..., shapes=..., inference=False)", functools.partial(ours, EXAMPLES)
        ),
        baseline=harness.Side(
            'pyshacl.validate(..., inference="none")', functools.partial(theirs, EXAMPLES)
        ),
        repeats=repeats,
        goal=">= 3x, same results",
        notes=f"{len(EXAMPLES)} files; results {'identical' if same else 'DIFFER'}",
    )


def _catalogue(triples: int, size: str, repeats: int) -> dict[str, Any]:
    path = harness.CACHE_DIR / f"synthetic-catalogue-{triples}.ttl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(synthetic_catalogue(triples))  # under a second: never a stale copy
    counted = len(list(ox.parse(path=path)))
    workload = harness.Workload(path=path, size=size, triples=counted, graphs=1)
    ours_rows, theirs_rows = ours_results([path]), theirs_results([path])
    same = ours_rows == theirs_rows
    return harness.compare(
        f"synthetic DCAT catalogue ({triples // 1000}k) with DCAT-AP shapes",
        workload=workload,
        chmgraph=harness.Side(
            "validate(..., shapes=..., inference=False)", functools.partial(ours, [path])
        ),
        baseline=harness.Side(
            'pyshacl.validate(..., inference="none")', functools.partial(theirs, [path])
        ),
        repeats=repeats,
        baseline_repeats=1 if triples >= BASELINE_ONCE_FROM else None,
        goal=">= 3x, same results",
        notes=f"{len(theirs_rows)} results; results {'identical' if same else 'DIFFER'}",
    )


def ours(paths: list[Path], _state: None) -> Any:
    return validate(paths, shapes=SHAPES, inference=False)


def theirs(paths: list[Path], _state: None) -> Any:
    data = rdflib.Graph()
    for path in paths:
        data.parse(path, format="turtle", publicID=path.absolute().as_uri())
    shapes = rdflib.Graph()
    for path in SHAPES:
        shapes.parse(path, format="turtle", publicID=path.absolute().as_uri())
    return pyshacl.validate(data, shacl_graph=shapes, inference="none")


def ours_results(paths: list[Path]) -> list[tuple[str, ...]]:
    return comparable_results(ours(paths, None).engine_graph)


def theirs_results(paths: list[Path]) -> list[tuple[str, ...]]:
    return comparable_results(theirs(paths, None)[1])


# Triples one synthetic dataset takes with its two distributions (see _dataset).
_TRIPLES_PER_DATASET = 25


def synthetic_catalogue(triples: int) -> bytes:
    """A DCAT catalogue of about ``triples`` triples, in Turtle, for the DCAT-AP shapes.

    Synthetic: it describes nothing real (namespace ``chmgraph.iris.SYNTHETIC``, and the
    catalogue says so in its ``dct:description``). A few datasets carry deliberate faults.

    >>> data = synthetic_catalogue(5_000)
    >>> 4_500 < len(list(ox.parse(data, format=ox.RdfFormat.TURTLE))) < 5_500
    True
    """
    datasets = max(1, triples // _TRIPLES_PER_DATASET)
    publishers = max(1, datasets // 20)
    themes = max(1, datasets // 50)
    lines = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        f"@prefix syn: <{iris.SYNTHETIC}dcat/> .",
        "",
        "syn:catalogue a dcat:Catalog ;",
        '    dct:title "Synthetic catalogue"@en ;',
        '    dct:description "Synthetic data generated by benchmarks/bench_peer_shapes.py to'
        ' time validation with DCAT-AP shapes; it describes nothing real."@en ;',
        "    dct:publisher syn:publisher-0 ; dct:license syn:licence ;",
        "    foaf:homepage syn:home ; dcat:themeTaxonomy syn:themes .",
        "syn:licence a dct:LicenseDocument ; dct:type syn:licence-type .",
        'syn:licence-type a skos:Concept ; skos:prefLabel "Synthetic licence type"@en ;',
        "    skos:inScheme syn:themes .",
        'syn:themes a skos:ConceptScheme ; dct:title "Synthetic themes"@en .',
    ]
    for p in range(publishers):
        lines.append(f'syn:publisher-{p} a foaf:Agent ; foaf:name "Synthetic publisher {p}"@en .')
    for t in range(themes):
        lines.append(
            f'syn:theme-{t} a skos:Concept ; skos:prefLabel "Synthetic theme {t}"@en ;'
            " skos:inScheme syn:themes ."
        )
    for d in range(datasets):
        lines += _dataset(d, publishers, themes)
    return ("\n".join(lines) + "\n").encode()


def _dataset(d: int, publishers: int, themes: int) -> list[str]:
    description = (
        "" if d % 97 == 5 else f'    dct:description "A synthetic dataset, number {d}."@en ;'
    )  # a fault: no description (sh:minCount)
    issued = '"last spring"' if d % 89 == 3 else f'"2020-{1 + d % 12:02d}-01"^^xsd:date'
    publisher = f"syn:publisher-{d % publishers}"
    if d % 101 == 7:  # a fault: two publishers (sh:maxCount)
        publisher += f" , syn:publisher-{(d + 1) % publishers}"
    size = '"big"' if d % 83 == 2 else f'"{1000 + d}"^^xsd:decimal'  # a fault: sh:datatype
    lines = [
        f"syn:catalogue dcat:dataset syn:dataset-{d} .",
        f"syn:dataset-{d} a dcat:Dataset ;",
        f'    dct:title "Synthetic dataset {d}"@en , "Jeu de données synthétique {d}"@fr ;',
    ]
    if description:
        lines.append(description)
    lines += [
        f"    dct:publisher {publisher} ; dcat:theme syn:theme-{d % themes} ;",
        f'    dcat:keyword "synthetic"@en , "keyword {d % 7}"@en ;',
        f"    dcat:landingPage syn:page-{d} ;",
        f"    dcat:distribution syn:dataset-{d}-csv , syn:dataset-{d}-json .",
        f"syn:page-{d} a foaf:Document .",
    ]
    for kind in ("csv", "json"):
        lines += [
            f"syn:dataset-{d}-{kind} a dcat:Distribution ;",
            f"    dcat:accessURL syn:dataset-{d}-{kind}-file ; dct:license syn:licence ;",
            f'    dct:title "Synthetic dataset {d} as {kind}"@en ; dcat:byteSize {size} ;',
            f"    dct:issued {issued} .",
        ]
    return lines

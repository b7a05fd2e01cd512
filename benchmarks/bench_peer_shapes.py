"""Validating with shapes nobody here wrote: GeoDCAT-AP 2.0.0's examples against its shapes and
the DCAT-AP 2.0.1 shapes they import, chmgraph against plain pySHACL.

* chmgraph: ``validate(examples, shapes=SHAPES, inference=False)`` (the ``--shapes`` path),
  timed whole: reading, source maps, pySHACL, report.
* baseline: ``pyshacl.validate(data, shacl_graph=shapes, inference="none")`` on the examples
  and shapes parsed by rdflib, parsing included.

Both sides' results are compared (``comparable_results``) and the row says whether they agree.
The data is the 25 Turtle examples of ``../shared/peer/geodcat-ap-2.0.0/examples/`` validated
together; it does not grow with ``--size``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import harness
import pyoxigraph as ox
import pyshacl
import rdflib

from chmgraph.settings import PROJECT_ROOT
from chmgraph.validation import validate
from chmgraph.validation.report import comparable_results

PEER = PROJECT_ROOT.parent / "shared" / "peer"
EXAMPLES = sorted((PEER / "geodcat-ap-2.0.0" / "examples").glob("*.ttl"))
DCAT_AP = sorted((PEER / "dcat-ap-2.0.1").glob("*.ttl"))
SHAPES = [PEER / "geodcat-ap-2.0.0" / "geodcat-ap.shacl.ttl", *DCAT_AP]


def run(size: str = "100k", repeats: int = 3) -> list[dict[str, Any]]:
    if not EXAMPLES:
        return [harness.not_available("peer_shapes", size, f"no examples in {PEER}")]
    triples = sum(len(list(ox.parse(path=p))) for p in EXAMPLES)
    workload = harness.Workload(path=EXAMPLES[0].parent, size=size, triples=triples, graphs=1)
    same = ours_results() == theirs_results()
    return [
        harness.compare(
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
    ]


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


def ours_results() -> list[tuple[str, ...]]:
    return comparable_results(ours(EXAMPLES, None).engine_graph)


def theirs_results() -> list[tuple[str, ...]]:
    return comparable_results(theirs(EXAMPLES, None)[1])

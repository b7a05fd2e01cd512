"""Shapes and data other communities publish (``../shared/peer/``): GeoDCAT-AP 2.0.0's examples
in Turtle, RDF/XML and JSON-LD against its shapes and the DCAT-AP 2.0.1 shapes they import.

chmgraph's results on each example, in each format, must be plain pySHACL's on its Turtle
version (``inference="none"``, data and shapes parsed by rdflib), result by result. The
differences, explained:

* JSON-LD: rdflib 7.6 reads 0 statements from every one of the 25 JSON-LD examples (a top-level
  array of ``@graph`` objects), so plain pySHACL on them says "Conforms"; chmgraph reads the
  statements of their Turtle versions. The Turtle version is the reference for every format.
* ``NO_SHAPE_APPLIES``: no shape has a focus node in these examples; plain pySHACL conforms
  vacuously, chmgraph says that nothing was checked (``NothingChecked``, exit 2).
"""

from __future__ import annotations

from functools import cache

import pyshacl
import pytest
import rdflib

from chmgraph.settings import PROJECT_ROOT
from chmgraph.validation import validate
from chmgraph.validation.errors import NothingChecked
from chmgraph.validation.report import comparable_results

PEER = PROJECT_ROOT.parent / "shared" / "peer"
EXAMPLES = sorted((PEER / "geodcat-ap-2.0.0" / "examples").glob("*.*"))
EXAMPLES = [p for p in EXAMPLES if p.suffix in (".ttl", ".rdf", ".jsonld")]
SHAPES = [
    PEER / "geodcat-ap-2.0.0" / "geodcat-ap.shacl.ttl",
    *sorted((PEER / "dcat-ap-2.0.1").glob("*.ttl")),
]
NO_SHAPE_APPLIES = {"document", "metric", "provenance-statement"}


@cache
def _plain_shapes() -> rdflib.Graph:
    shapes = rdflib.Graph()
    for path in SHAPES:
        shapes.parse(path, format="turtle", publicID=path.absolute().as_uri())
    return shapes


@cache
def _ours(stem: str, suffix: str) -> list[tuple[str, ...]] | None:
    path = PEER / "geodcat-ap-2.0.0" / "examples" / f"{stem}{suffix}"
    try:
        report = validate([path], shapes=SHAPES, inference=False)
    except NothingChecked:
        return None
    return comparable_results(report.engine_graph)


def test_every_example_is_here_in_three_formats():
    assert len(EXAMPLES) == 75


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_results_are_plain_pyshacls(path):
    turtle = path.with_suffix(".ttl")
    data = rdflib.Graph().parse(turtle, format="turtle", publicID=turtle.absolute().as_uri())
    conforms, report, _ = pyshacl.validate(data, shacl_graph=_plain_shapes(), inference="none")
    if path.stem in NO_SHAPE_APPLIES:
        assert conforms and comparable_results(report) == []
        assert _ours(path.stem, path.suffix) is None
    else:
        assert _ours(path.stem, path.suffix) == comparable_results(report)


@pytest.mark.parametrize("path", [p for p in EXAMPLES if p.suffix == ".ttl"], ids=lambda p: p.stem)
def test_results_do_not_depend_on_the_format(path):
    assert _ours(path.stem, ".rdf") == _ours(path.stem, ".ttl") == _ours(path.stem, ".jsonld")

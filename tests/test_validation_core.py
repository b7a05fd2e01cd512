"""The SHACL Core evaluator behind ``--shapes`` (``chmgraph.validation.core``): it evaluates the
shapes it understands, pySHACL the rest, and the results are plain pySHACL's.

The W3C SHACL suite (tests/test_w3c_shacl.py) and the peer shapes (tests/test_peer_shapes.py)
run through it too; here: a synthetic DCAT catalogue with deliberate faults, the split between
the two engines, and shapes that mix what it evaluates with what it leaves to pySHACL.
"""

from __future__ import annotations

import importlib
import sys

import pyshacl
import pytest
import rdflib

from chmgraph.settings import PROJECT_ROOT
from chmgraph.validation import validate
from chmgraph.validation.core import CoreShapes
from chmgraph.validation.report import comparable_results
from chmgraph.validation.shapes import shapes_graph

sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
bench = importlib.import_module("bench_peer_shapes")

EX = "http://example.org/ns#"


def _plain(data: rdflib.Graph | str, shapes: list) -> list[tuple[str, ...]]:
    graph = data if isinstance(data, rdflib.Graph) else rdflib.Graph().parse(data=data)
    plain_shapes = rdflib.Graph()
    for path in shapes:
        plain_shapes.parse(path, format="turtle", publicID=path.absolute().as_uri())
    return comparable_results(pyshacl.validate(graph, shacl_graph=plain_shapes)[1])


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    path = tmp_path_factory.mktemp("core") / "catalogue.ttl"
    path.write_bytes(bench.synthetic_catalogue(2_500))
    return path


def test_dcat_ap_shapes_are_evaluated_without_pyshacl():
    core = CoreShapes(shapes_graph(tuple(bench.SHAPES)))
    evaluated = {str(s.node).rsplit("#", 1)[-1] for s in core.fast}
    assert {"Dataset_Shape", "Distribution_Shape", "Agent_Shape"} <= evaluated
    assert core.rest == []


def test_a_synthetic_catalogue_gets_plain_pyshacls_results(catalogue):
    ours = comparable_results(
        validate([catalogue], shapes=bench.SHAPES, inference=False).engine_graph
    )
    theirs = _plain(rdflib.Graph().parse(catalogue), bench.SHAPES)
    components = {row[3].rsplit("#", 1)[-1] for row in theirs}
    # The deliberate faults: a missing description, two publishers, a byte size that is no
    # decimal, an issue date in words (not of sh:node DateOrDateTimeDataType_Shape).
    assert {
        "MinCountConstraintComponent",
        "MaxCountConstraintComponent",
        "DatatypeConstraintComponent",
        "NodeConstraintComponent",
    } <= components
    assert ours == theirs


MIXED_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/ns#> .

ex:Simple a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:datatype xsd:string ] ;
    sh:property ex:Shared .
ex:Shared a sh:PropertyShape ; sh:path ex:code ; sh:pattern "^[A-Z]+$" .
ex:Ranged a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:size ; sh:minInclusive 1 ] ;
    sh:property ex:Shared .
ex:Sparql a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:sparql [ sh:select "SELECT $this WHERE { $this <http://example.org/ns#size> 0 }" ] .
"""

MIXED_DATA = """
@prefix ex: <http://example.org/ns#> .
ex:a a ex:Thing ; ex:size 0 ; ex:code "abc" .
ex:b a ex:Thing ; ex:name "B" ; ex:size 3 ; ex:code "B" .
"""


def test_shapes_left_to_pyshacl_and_shapes_evaluated_here_report_together(tmp_path):
    shapes, data = tmp_path / "shapes.ttl", tmp_path / "data.ttl"
    shapes.write_text(MIXED_SHAPES)
    data.write_text(MIXED_DATA)
    core = CoreShapes(shapes_graph((shapes,)))
    # ex:Shared is reached from a shape pySHACL evaluates, so it is named to pySHACL too (its
    # use_shapes leaves out a shape named by IRI that it is not given); ex:Simple, which uses it
    # as well, is still evaluated here.
    assert {str(n) for n in core.rest} == {EX + "Ranged", EX + "Sparql", EX + "Shared"}
    assert [str(s.node) for s in core.fast] == [EX + "Simple"]
    ours = comparable_results(validate([data], shapes=[shapes], inference=False).engine_graph)
    assert ours == _plain(MIXED_DATA, [shapes])
    assert len(ours) == 5  # name, code (twice: two shapes use it), size range, the SPARQL rule


def test_shapes_split_between_the_engines_when_nothing_is_shared(tmp_path):
    shapes, data = tmp_path / "shapes.ttl", tmp_path / "data.ttl"
    shapes.write_text(
        MIXED_SHAPES.replace("    sh:property ex:Shared .\nex:Ranged", "    .\nex:Ranged")
    )
    data.write_text(MIXED_DATA)
    core = CoreShapes(shapes_graph((shapes,)))
    assert [str(s.node) for s in core.fast] == [EX + "Simple"]
    report = validate([data], shapes=[shapes], inference=False)
    assert comparable_results(report.engine_graph) == _plain(MIXED_DATA, [shapes])
    assert {r.component for r in report.results} == {
        "sh:MinCountConstraintComponent",
        "sh:PatternConstraintComponent",
        "sh:MinInclusiveConstraintComponent",
        "sh:SPARQLConstraintComponent",
    }


def test_the_turtle_report_states_each_result_of_both_engines(tmp_path):
    # The report graph is written when first read; each result's node in it is the one the
    # results were built from, so the Turtle report copies every statement pySHACL makes.
    shapes, data = tmp_path / "shapes.ttl", tmp_path / "data.ttl"
    shapes.write_text(MIXED_SHAPES)
    data.write_text(MIXED_DATA)
    report = validate([data], shapes=[shapes], inference=False)
    graph = rdflib.Graph().parse(data=report.render("turtle"), format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    results = list(graph.objects(None, sh.result))
    assert len(results) == len(report.results) == 5
    for result in results:
        assert graph.value(result, sh.focusNode) is not None
        assert graph.value(result, sh.sourceShape) is not None
        assert graph.value(result, sh.sourceConstraintComponent) is not None
    shown = {str(graph.value(r, sh.sourceConstraintComponent)).rsplit("#", 1)[-1] for r in results}
    assert {"PatternConstraintComponent", "SPARQLConstraintComponent"} <= shown


def test_results_of_one_rule_on_one_thing_come_in_the_same_order_every_time(tmp_path):
    shapes, data = tmp_path / "shapes.ttl", tmp_path / "data.ttl"
    shapes.write_text(MIXED_SHAPES)
    data.write_text(
        "@prefix ex: <http://example.org/ns#> .\n"
        'ex:a a ex:Thing ; ex:name "A" ; ex:code "q" , "c" , "x" , "b" , "m" .\n'
    )
    for _ in range(5):
        report = validate([data], shapes=[shapes], inference=False)
        values = [r.value for r in report.results if r.component == "sh:PatternConstraintComponent"]
        # Two shapes use ex:Shared: each wrong code twice, in the order of the values.
        assert values == [v for v in sorted(['"q"', '"c"', '"x"', '"b"', '"m"']) for _ in (1, 2)]

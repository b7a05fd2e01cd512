"""The W3C RDF 1.1 syntax suites (Turtle, TriG, N-Triples, N-Quads) through the syntax gate.

Every negative test must be rejected with a ``SyntaxGateError``, every positive test accepted,
and every evaluation test must give the expected statements (compared after blank node
canonicalization). The manifests in ``../shared/w3c/rdf-tests`` say which is which.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from chmgraph.errors import SyntaxGateError
from chmgraph.rdfio import read_quads
from chmgraph.settings import PROJECT_ROOT

SUITES = PROJECT_ROOT.parent / "shared" / "w3c" / "rdf-tests" / "rdf" / "rdf11"
RDFT = "http://www.w3.org/ns/rdftest#"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
FORMATS = {
    "rdf-turtle": ox.RdfFormat.TURTLE,
    "rdf-trig": ox.RdfFormat.TRIG,
    "rdf-n-triples": ox.RdfFormat.N_TRIPLES,
    "rdf-n-quads": ox.RdfFormat.N_QUADS,
}
SUITE_SIZES = {"rdf-turtle": 313, "rdf-trig": 356, "rdf-n-triples": 70, "rdf-n-quads": 87}


@dataclass(frozen=True)
class SyntaxTest:
    suite: str
    name: str
    kind: str  # "positive", "negative" or "eval"
    action: Path
    result: Path | None
    base: str

    def __str__(self) -> str:
        return f"{self.suite}/{self.name}"


def _kind(test_type: str) -> str:
    local = test_type.removeprefix(RDFT)
    if "Negative" in local:
        return "negative"
    return "eval" if local.endswith("Eval") else "positive"


def _tests(suite: str) -> list[SyntaxTest]:
    folder = SUITES / suite
    manifest = folder / "manifest.ttl"
    base = f"https://w3c.github.io/rdf-tests/rdf/rdf11/{suite}/"
    store = ox.Store()
    store.load(path=manifest, format=ox.RdfFormat.TURTLE, base_iri=base + "manifest.ttl")
    query = f"""
        SELECT ?test ?type ?action ?result WHERE {{
            ?test a ?type ; <{MF}action> ?action .
            OPTIONAL {{ ?test <{MF}result> ?result }}
            FILTER (STRSTARTS(STR(?type), "{RDFT}"))
        }}"""
    found = []
    for row in store.query(query):
        action = row["action"].value.removeprefix(base)
        result = row["result"].value.removeprefix(base) if row["result"] else None
        found.append(
            SyntaxTest(
                suite=suite,
                name=row["test"].value.rsplit("#", 1)[-1],
                kind=_kind(row["type"].value),
                action=folder / action,
                result=folder / result if result else None,
                base=base + action,
            )
        )
    return sorted(found, key=str)


ALL_TESTS = [test for suite in FORMATS for test in _tests(suite)]


def test_the_suites_hold_826_tests():
    by_suite = {suite: sum(t.suite == suite for t in ALL_TESTS) for suite in FORMATS}
    assert by_suite == SUITE_SIZES


@pytest.mark.parametrize("test", [t for t in ALL_TESTS if t.kind == "negative"], ids=str)
def test_malformed_input_is_rejected(test: SyntaxTest):
    with pytest.raises(SyntaxGateError) as caught:
        read_quads(test.action, format=FORMATS[test.suite], base_iri=test.base)
    assert str(test.action) in str(caught.value)


@pytest.mark.parametrize("test", [t for t in ALL_TESTS if t.kind == "positive"], ids=str)
def test_well_formed_input_is_accepted(test: SyntaxTest):
    read_quads(test.action, format=FORMATS[test.suite], base_iri=test.base)


@pytest.mark.parametrize("test", [t for t in ALL_TESTS if t.kind == "eval"], ids=str)
def test_input_gives_the_expected_statements(test: SyntaxTest):
    assert test.result is not None
    found = read_quads(test.action, format=FORMATS[test.suite], base_iri=test.base)
    expected_format = (
        ox.RdfFormat.N_QUADS if test.result.suffix == ".nq" else ox.RdfFormat.N_TRIPLES
    )
    expected = read_quads(test.result, format=expected_format, base_iri=test.base)
    assert _canonical(found) == _canonical(expected)


def _canonical(quads: list[ox.Quad]) -> set[ox.Quad]:
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)

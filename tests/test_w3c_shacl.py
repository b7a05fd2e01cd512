"""The W3C SHACL test suite through chmgraph's validation engine (``--shapes`` mode).

Each ``sht:Validate`` entry of ``../shared/w3c/shacl/tests`` is validated with
``validate([data], shapes=[shapes], inference=False)`` and its report compared with the
expected one (pySHACL's own comparison of SHACL test results). Known failures are listed, with
why, in ``KNOWN_FAILURES`` and in docs/conformance.md; a test checks that the list is exact, so
that the pass count can only go up. Each test also checks that the engine agrees with plain
pySHACL on the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.request import url2pathname

import pyshacl
import pytest
import rdflib
from pyshacl.validator_conformance import check_sht_result
from rdflib.namespace import RDF

from chmgraph.errors import InputError
from chmgraph.settings import PROJECT_ROOT
from chmgraph.validation import validate
from chmgraph.validation.report import comparable_results

SUITE = PROJECT_ROOT.parent / "shared" / "w3c" / "shacl" / "tests"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = rdflib.Namespace("http://www.w3.org/ns/shacl-test#")

# Tests pySHACL (and so chmgraph's engine) does not pass, and why. Keep docs/conformance.md in step.
KNOWN_FAILURES = {
    # $shapesGraph pre-binding is not supported by pySHACL's SPARQL constraints (the spec makes
    # it optional); the test expects a result that needs it.
    "sparql/pre-binding/shapesGraph-001",
}


# Where chmgraph and plain pySHACL report the same results but not the same value: rdflib, which
# plain pySHACL parses with, rewrites a literal's lexical form; chmgraph shows it as written.
VALUE_AS_WRITTEN = {
    "core/property/datatype-001": '"2011-01-01"^^xsd:dateTime, rewritten "2011-01-01T00:00:00"',
    "core/property/or-datatypes-001": '"none"^^xsd:boolean, which rdflib rewrites to "false"',
}


@dataclass(frozen=True)
class ShaclTest:
    name: str  # the test file's path in the suite, without .ttl
    data: Path
    shapes: Path
    manifest: Path
    entry: str

    def __str__(self) -> str:
        return self.name


def _manifest_graph(path: Path) -> rdflib.Graph:
    """The manifest with literals as written: chmgraph reports values as the file has them, and
    rdflib would rewrite the expected ones (``"none"^^xsd:boolean`` to ``"false"``)."""
    graph = rdflib.Graph()
    rdflib.NORMALIZE_LITERALS = False
    try:
        graph.parse(path, format="turtle", publicID=path.absolute().as_uri())
    finally:
        rdflib.NORMALIZE_LITERALS = True
    return graph


def _collect(manifest: Path) -> list[ShaclTest]:
    graph = _manifest_graph(manifest)
    found: list[ShaclTest] = []
    for included in graph.objects(None, MF.include):
        found += _collect(_path(included))
    for entry in graph.subjects(RDF.type, SHT.Validate):
        action = graph.value(entry, MF.action)
        data = graph.value(action, SHT.dataGraph)
        shapes = graph.value(action, SHT.shapesGraph)
        name = manifest.relative_to(SUITE).with_suffix("").as_posix()
        found.append(ShaclTest(name, _path(data), _path(shapes), manifest, str(entry)))
    return found


def _path(iri: rdflib.term.Node) -> Path:
    return Path(url2pathname(str(iri).removeprefix("file://")))


def _unlisted(listed: list[ShaclTest]) -> list[ShaclTest]:
    """Test files no manifest includes (sparql/component/nodeValidator-001): run them too."""
    known = {t.manifest for t in listed}
    found: list[ShaclTest] = []
    for path in sorted(SUITE.rglob("*.ttl")):
        if path not in known and path.name != "manifest.ttl":
            found += _collect(path)
    return found


_LISTED = _collect(SUITE / "manifest.ttl")
ALL_TESTS = sorted(_LISTED + _unlisted(_LISTED), key=str)


def _passes(test: ShaclTest) -> bool:
    expected_graph = _manifest_graph(test.manifest)
    expected = expected_graph.value(rdflib.URIRef(test.entry), MF.result)
    try:
        report = validate([test.data], shapes=[test.shapes], inference=False)
    except InputError:
        return expected == SHT.Failure
    return check_sht_result(report.engine_graph, expected_graph, expected)


def test_the_suite_holds_98_core_and_23_sparql_tests():
    core = [t for t in ALL_TESTS if t.name.startswith("core/")]
    sparql = [t for t in ALL_TESTS if t.name.startswith("sparql/")]
    assert (len(core), len(sparql)) == (98, 23)


@pytest.mark.parametrize("test", ALL_TESTS, ids=str)
def test_w3c_shacl(test: ShaclTest):
    passed = _passes(test)
    if test.name in KNOWN_FAILURES:
        assert not passed, f"{test} now passes: remove it from KNOWN_FAILURES and the docs"
    else:
        assert passed


@pytest.mark.parametrize("test", ALL_TESTS, ids=str)
def test_engine_agrees_with_plain_pyshacl(test: ShaclTest):
    try:
        report = validate([test.data], shapes=[test.shapes], inference=False)
    except InputError:
        ours = None
    else:
        ours = comparable_results(report.engine_graph)
    try:
        _, plain, _ = pyshacl.validate(str(test.data), shacl_graph=str(test.shapes))
    except NotImplementedError:
        plain = None
    theirs = comparable_results(plain) if isinstance(plain, rdflib.Graph) else None
    if test.name in VALUE_AS_WRITTEN:
        assert ours != theirs, f"{test} now agrees: remove it from VALUE_AS_WRITTEN"
        ours, theirs = _without_values(ours), _without_values(theirs)
    assert ours == theirs


def _without_values(rows: list[tuple[str, ...]] | None) -> list[tuple[str, ...]] | None:
    return None if rows is None else [row[:2] + row[3:] for row in rows]


def test_known_failures_are_documented():
    conformance = (PROJECT_ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    for name in KNOWN_FAILURES:
        assert f"`{name}`" in conformance

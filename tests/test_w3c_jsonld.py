"""The W3C JSON-LD 1.1 toRdf suite through chmgraph's reader (``rdfio.parse_bytes``).

Each entry of ``../shared/w3c/json-ld-api/tests/toRdf-manifest.jsonld`` that applies to JSON-LD
1.1 is read as a steward's file is read: positive tests must give the expected dataset (compared
after blank-node canonicalization), negative ones a ``SyntaxGateError``, each with the API
options its entry names (processingMode, expandContext, rdfDirection: chmgraph's ``jsonld_*``
settings). The suite's remote contexts are served by the context catalogue from the local copy of
the suite, as a steward's would be. Known failures are listed with why, here and in
docs/conformance.md; a test checks that the list is exact, so the pass count can only go up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from chmgraph.errors import SyntaxGateError
from chmgraph.jsonld import ContextCatalogue, JsonLdOptions
from chmgraph.rdfio import parse_bytes
from chmgraph.settings import PROJECT_ROOT

SUITE = PROJECT_ROOT.parent / "shared" / "w3c" / "json-ld-api" / "tests"
MANIFEST = SUITE / "toRdf-manifest.jsonld"

# Statements JSON-LD's algorithm drops without a word; chmgraph rejects the file instead, since a
# steward would otherwise validate less than was written.
REJECTED_NOT_DROPPED = {
    "te060": "a relative IRI with no base",
    "te068": "a blank node as a property",
    "te111": "an ill-formed IRI (two '#')",
    "te112": "an ill-formed IRI (two '#')",
    "tli12": "an ill-formed IRI ('<>')",
    "tli14": "a relative IRI in a list with a null @base",
    "twf05": "an ill-formed language tag",
    "te122": "an @id shaped like a keyword ('@ignoreMe'), which JSON-LD ignores",
}
# The one API option of the JSON-LD processor that chmgraph's reader does not offer (the others,
# processingMode, expandContext and rdfDirection, are settings and passed from the manifest).
OPTION_NOT_OFFERED = {
    "te075": "produceGeneralizedRdf: a blank node as a property is not RDF chmgraph holds",
}
KNOWN_FAILURES = set(REJECTED_NOT_DROPPED) | set(OPTION_NOT_OFFERED)


@dataclass(frozen=True)
class ToRdfTest:
    id: str
    kind: str  # "positive", "negative" or "syntax"
    input: Path
    expect: Path | None
    base: str
    options: JsonLdOptions

    def __str__(self) -> str:
        return self.id


def _collect() -> list[ToRdfTest]:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    tests = []
    for entry in manifest["sequence"]:
        option = entry.get("option", {})
        # JSON-LD 1.0-only entries test behaviour 1.1 changed.
        if option.get("specVersion") == "json-ld-1.0":
            continue
        # The suite's copy here holds the toRdf folder only; an entry reading another folder
        # cannot run.
        if not (SUITE / entry["input"]).exists():
            continue
        types = entry["@type"]
        kind = (
            "negative"
            if "jld:NegativeEvaluationTest" in types
            else "syntax"
            if "jld:PositiveSyntaxTest" in types
            else "positive"
        )
        expect = SUITE / entry["expect"] if kind == "positive" else None
        base = option.get("base", manifest["baseIri"] + entry["input"])
        # The entry's API options, as a steward would set them (the jsonld_* settings).
        expand_context = option.get("expandContext")
        options = JsonLdOptions(
            processing_mode=option.get("processingMode", "json-ld-1.1"),
            expand_context=SUITE / expand_context if expand_context else None,
            rdf_direction=option.get("rdfDirection", ""),
        )
        tests.append(
            ToRdfTest(entry["@id"].lstrip("#"), kind, SUITE / entry["input"], expect, base, options)
        )
    return tests


TESTS = _collect() if MANIFEST.exists() else []
CATALOGUE = ContextCatalogue(((json.loads(MANIFEST.read_text())["baseIri"], SUITE),))


def _canonical(quads: list[ox.Quad]) -> ox.Dataset:
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return dataset


def _passes(test: ToRdfTest) -> bool:
    data = test.input.read_bytes()
    try:
        got = parse_bytes(
            data,
            name=test.input.name,
            format=ox.RdfFormat.JSON_LD,
            base_iri=test.base,
            contexts=CATALOGUE,
            jsonld_options=test.options,
        )
    except SyntaxGateError:
        return test.kind == "negative"
    if test.kind != "positive":
        return test.kind == "syntax"
    try:
        expected = list(ox.parse(test.expect.read_bytes(), format=ox.RdfFormat.N_QUADS))
    except SyntaxError:
        return False  # generalized RDF (a blank node as a predicate): not RDF chmgraph holds
    return _canonical(got) == _canonical(expected)


@pytest.mark.parametrize("test", TESTS, ids=str)
def test_to_rdf(test: ToRdfTest) -> None:
    if test.id in KNOWN_FAILURES:
        pytest.xfail("known failure, see KNOWN_FAILURES")
    assert _passes(test)


def test_suite_is_here_and_counted() -> None:
    """The count docs/conformance.md states: 455 applicable entries with input, 446 pass."""
    assert len(TESTS) == 455
    assert sum(t.id not in KNOWN_FAILURES for t in TESTS) == 446


def test_known_failures_are_exact() -> None:
    """Each known failure still fails; one that passes must leave the list."""
    by_id = {t.id: t for t in TESTS}
    assert set(by_id) >= KNOWN_FAILURES
    assert [i for i in sorted(KNOWN_FAILURES) if _passes(by_id[i])] == []

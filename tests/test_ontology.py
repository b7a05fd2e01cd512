"""The ontology files: strict syntax, metadata, six-language labels, closed references, the
generated documentation, and the network's data using only declared terms."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from chmgraph.iris import VOCAB_BASE, VOCAB_ONTOLOGY, VOCAB_VERSION
from chmgraph.rdfio import read_quads
from chmgraph.settings import DATA_DIR, ONTOLOGY_DIR, PROJECT_ROOT
from chmgraph.vocabulary import (
    DOMAIN,
    INVERSE_OF,
    LANGUAGES,
    RANGE,
    RDF_TYPE,
    RDFS_LABEL,
    STRUCTURAL_PREDICATES,
    SUBCLASS_OF,
    SUBPROPERTY_OF,
    Vocabulary,
    curie,
)

ONTOLOGY_FILES = sorted(ONTOLOGY_DIR.glob("*.ttl"))
DATA_FILES = sorted(DATA_DIR.rglob("*.ttl"))

# A label in these languages must be written in their script, not copied from English.
SCRIPTS = {
    "ar": re.compile(r"[\u0600-\u06FF]"),
    "ru": re.compile(r"[\u0400-\u04FF]"),
    "zh": re.compile(r"[\u4E00-\u9FFF]"),
}


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.load()


def test_there_is_an_ontology_file():
    assert ONTOLOGY_FILES, f"no .ttl file in {ONTOLOGY_DIR}"


@pytest.mark.parametrize("path", ONTOLOGY_FILES, ids=lambda p: p.name)
def test_ontology_file_parses_strictly(path: Path):
    assert read_quads(path)


def test_ontology_has_the_documented_iri_and_version_iri(vocab):
    assert vocab.ontologies == {VOCAB_ONTOLOGY}
    versions = [v.value for v in vocab.objects(VOCAB_ONTOLOGY, "owl:versionIRI")]
    assert versions == [VOCAB_VERSION]


def test_every_term_has_one_label_in_each_of_the_six_languages(vocab):
    problems = []
    for term in sorted(vocab.terms):
        tags = sorted(lit.language or "" for lit in vocab.objects(term, RDFS_LABEL))
        if tags != sorted(LANGUAGES):
            problems.append(f"{curie(term)}: labels in {tags}")
    assert not problems, "terms without exactly one label per UN language:\n" + "\n".join(problems)


def test_labels_are_written_in_their_language_script(vocab):
    problems = [
        f"{curie(term)}@{lang}: {vocab.labels(term).get(lang)!r}"
        for term in sorted(vocab.terms)
        for lang, script in SCRIPTS.items()
        if not script.search(vocab.labels(term).get(lang, ""))
    ]
    assert not problems, "labels not in their language's script:\n" + "\n".join(problems)


def test_every_term_has_an_english_definition(vocab):
    missing = [curie(t) for t in sorted(vocab.terms) if not vocab.definition(t, lang="en")]
    assert not missing, f"terms without an English definition: {missing}"


def test_own_terms_referenced_by_axioms_are_declared(vocab):
    undeclared = []
    for predicate in (SUBCLASS_OF, SUBPROPERTY_OF, DOMAIN, RANGE, INVERSE_OF):
        for term in sorted(vocab.terms):
            for obj in vocab.objects(term, predicate):
                iri = obj.value
                if iri.startswith(VOCAB_BASE) and not vocab.is_declared(iri):
                    undeclared.append(f"{curie(term)} {curie(predicate)} {curie(iri)}")
    assert not undeclared, "references to undeclared chm: terms:\n" + "\n".join(undeclared)


def test_inverses_are_declared_both_ways(vocab):
    one_way = [
        f"{curie(prop)} owl:inverseOf {curie(obj.value)}"
        for prop in sorted(vocab.properties)
        for obj in vocab.objects(prop, INVERSE_OF)
        if ox.NamedNode(prop) not in vocab.objects(obj.value, INVERSE_OF)
    ]
    assert not one_way, "owl:inverseOf stated on one side only:\n" + "\n".join(one_way)


def test_vocabulary_docs_are_up_to_date(vocab):
    spec = importlib.util.spec_from_file_location(
        "build_docs", PROJECT_ROOT / "scripts" / "build_docs.py"
    )
    build_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_docs)
    checked_in = build_docs.OUTPUT.read_text(encoding="utf-8")
    assert checked_in == build_docs.render(vocab), "docs/vocabulary.md is stale: run `make docs`"
    shipped = build_docs.CONTEXT.read_text(encoding="utf-8")
    assert shipped == build_docs.context_text(vocab), "context.jsonld is stale: run `make docs`"


def test_data_uses_only_declared_terms(vocab):
    assert DATA_FILES, f"no data under {DATA_DIR}"
    undeclared: dict[str, set[str]] = {}
    for path in DATA_FILES:
        where = str(path.relative_to(PROJECT_ROOT))
        for quad in read_quads(path):
            for term in _vocabulary_terms(quad):
                if not vocab.is_declared(term):
                    undeclared.setdefault(term, set()).add(where)
    report = [
        f"{curie(term)} in {', '.join(sorted(files))} (nearest: {_nearest(vocab, term)})"
        for term, files in sorted(undeclared.items())
    ]
    assert not report, "data uses terms the ontology does not declare:\n" + "\n".join(report)


def _vocabulary_terms(quad: ox.Quad) -> list[str]:
    """The vocabulary a statement uses: its predicate, and the class it types its subject with."""
    terms = []
    if quad.predicate.value not in STRUCTURAL_PREDICATES:
        terms.append(quad.predicate.value)
    if quad.predicate.value == RDF_TYPE and isinstance(quad.object, ox.NamedNode):
        terms.append(quad.object.value)
    return terms


def _nearest(vocab: Vocabulary, term: str) -> str:
    nearest = vocab.nearest(term)
    return curie(nearest) if nearest else "none"

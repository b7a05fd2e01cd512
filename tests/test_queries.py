"""The query library as data: every file has its header, its parameters are variables of its
query, and the library is described as RDF."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from chmgraph import iris
from chmgraph.errors import InputError
from chmgraph.query.library import PARAMETER_TYPES, NamedQuery, Parameter, QueryLibrary
from chmgraph.settings import PROJECT_ROOT
from chmgraph.vocabulary import Vocabulary

LIBRARY = QueryLibrary.load()
SH = iris.PREFIXES["sh"]
SCHEMA = iris.PREFIXES["schema"]


def test_the_library_has_at_least_twenty_queries():
    assert len(LIBRARY) >= 20


@pytest.mark.parametrize("query", list(LIBRARY), ids=lambda q: q.name)
def test_each_query_has_a_header_and_parses(query: NamedQuery):
    assert query.title and query.description and query.question.endswith("?")
    assert query.keywords
    for parameter in query.parameters:
        assert parameter.description
        assert re.search(rf"\?{parameter.name}\b", query.text.split("\n", 1)[1])
    ox.Store().query(query.text)  # parses, or raises SyntaxError


def test_a_query_uses_only_declared_vocabulary_terms():
    vocabulary = Vocabulary.load()
    chm_terms = set()
    for query in LIBRARY:
        chm_terms |= {"chm:" + t for t in re.findall(r"\bchm:(\w+)", query.text)}
    assert {t for t in chm_terms if not vocabulary.is_declared(t)} == set()


def test_the_library_as_rdf_uses_only_terms_the_ontology_declares():
    """The library is published in the queries graph, so its terms must be in the vocabulary."""
    vocabulary = Vocabulary.load()
    rdf_type = iris.PREFIXES["rdf"] + "type"
    used = set()
    for t in LIBRARY.triples():
        if t.predicate.value != rdf_type:
            used.add(t.predicate.value)
        elif isinstance(t.object, ox.NamedNode):
            used.add(t.object.value)
    assert sorted(term for term in used if not vocabulary.is_declared(term)) == []


def test_the_library_as_rdf_describes_each_query_with_its_parameters():
    triples = {(t.subject, t.predicate, t.object) for t in LIBRARY.triples()}
    by_supporter = ox.NamedNode(iris.ID + "query/workshops-by-supporter")
    rdf_type = ox.NamedNode(iris.PREFIXES["rdf"] + "type")
    assert (by_supporter, rdf_type, ox.NamedNode(SH + "SPARQLSelectExecutable")) in triples
    keywords = {
        o.value for s, p, o in triples if s == by_supporter and p.value == SCHEMA + "keywords"
    }
    assert "supporter" in keywords
    [text] = [o.value for s, p, o in triples if s == by_supporter and p.value == SH + "select"]
    assert text == LIBRARY["workshops-by-supporter"].text
    defaults = {o for s, p, o in triples if p.value == SH + "defaultValue"}
    assert ox.NamedNode(iris.government("JP")) in defaults
    ask = ox.NamedNode(iris.ID + "query/has-national-chm")
    assert (ask, rdf_type, ox.NamedNode(SH + "SPARQLAskExecutable")) in triples
    turtle = LIBRARY.serialize()
    assert len(list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))) == len(triples)


def test_parameter_values_are_typed_terms():
    assert Parameter("d", "date", None, "").term("2013-05-06") == ox.Literal(
        "2013-05-06", datatype=ox.NamedNode(iris.PREFIXES["xsd"] + "date")
    )
    assert Parameter("c", "iri", None, "").term("schema:Event") == ox.NamedNode(SCHEMA + "Event")
    assert Parameter("b", "boolean", None, "").term("true").value == "true"
    with pytest.raises(InputError, match="not a valid date"):
        Parameter("d", "date", None, "").term("6 May 2013")
    with pytest.raises(InputError, match="'Event' is not an IRI"):
        Parameter("c", "iri", None, "").term("Event")
    assert set(PARAMETER_TYPES) >= {"iri", "country", "string", "integer", "date"}


def test_a_bad_header_names_the_file_and_line(tmp_path):
    (tmp_path / "good.rq").write_text(
        "# title: t\n# description: d\n# question: q?\nASK {}\n", encoding="utf-8"
    )
    assert QueryLibrary.load(tmp_path).names == ["good"]
    (tmp_path / "typed.rq").write_text(
        "# title: t\n# description: d\n# question: q?\n# param n: number = 1 ; n\nASK {}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"typed\.rq:4: parameter n: expected"):
        QueryLibrary.load(tmp_path)
    (tmp_path / "typed.rq").unlink()
    (tmp_path / "untitled.rq").write_text("ASK {}\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"untitled\.rq:1: query header lacks title, description, question"
    ):
        QueryLibrary.load(tmp_path)


def test_a_library_query_is_found_by_name_or_path(tmp_path):
    assert LIBRARY.resolve("decisions").name == "decisions"
    path = tmp_path / "mine.rq"
    path.write_text("ASK {}\n", encoding="utf-8")
    assert LIBRARY.resolve(str(path)).text == "ASK {}\n"
    with pytest.raises(InputError, match="no query named 'decision'"):
        LIBRARY.resolve("decision")


def test_the_documentation_lists_every_query_with_its_question():
    text = (PROJECT_ROOT / "docs" / "queries.md").read_text(encoding="utf-8")
    text = text.split("## The library", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", text, flags=re.MULTILINE))
    assert listed == set(LIBRARY.names)
    for query in LIBRARY:
        assert f"| `{query.name}` | {query.question} |" in text


def test_a_describe_query_is_described_without_a_shacl_form(tmp_path):
    (tmp_path / "about-japan.rq").write_text(
        "# title: t\n# description: d\n# question: q?\n"
        "DESCRIBE <https://w3id.org/chmgraph/id/government/JP>\n",
        encoding="utf-8",
    )
    [*triples] = QueryLibrary.load(tmp_path).triples()
    types = {t.object.value for t in triples if t.predicate.value.endswith("#type")}
    assert SH + "SPARQLExecutable" in types
    assert not any(
        t.predicate.value.startswith(SH) and "describe" in t.predicate.value for t in triples
    )
    assert any(t.predicate.value == SCHEMA + "text" for t in triples)


def test_a_string_parameter_keeps_its_spaces():
    assert Parameter("s", "string", None, "").term("  padded ") == ox.Literal("  padded ")

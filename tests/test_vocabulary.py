"""The Vocabulary API: loading, labels, definitions, nearest terms, closures, inverses."""

from __future__ import annotations

import os

import pytest

from chmgraph.errors import InputError, SyntaxGateError
from chmgraph.vocabulary import Vocabulary, curie, expand

# A small ontology whose shape the tests control: a class chain with a cycle-free diamond, a
# property chain, an inverse pair stated on one side, and terms in two namespaces.
SMALL = """
@prefix chm: <https://w3id.org/chmgraph/vocab#> .
@prefix schema: <https://schema.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

chm:Thing a owl:Class ; rdfs:label "thing"@en , "chose"@fr ;
    skos:definition "Anything."@en .
chm:Event a owl:Class ; rdfs:subClassOf chm:Thing , schema:Event ; rdfs:label "event"@en .
chm:Workshop a owl:Class ; rdfs:subClassOf chm:Event ; rdfs:comment "A working event."@en .
chm:Training a owl:Class ; rdfs:subClassOf chm:Event .
chm:RegionalWorkshop a owl:Class ; rdfs:subClassOf chm:Workshop , chm:Training ;
    rdfs:label "atelier régional"@fr .
chm:hasPart a owl:ObjectProperty ; owl:inverseOf chm:partOf .
chm:partOf a owl:ObjectProperty .
chm:moduleOf a owl:ObjectProperty ; rdfs:subPropertyOf chm:partOf .
chm:firstModuleOf a owl:ObjectProperty ; rdfs:subPropertyOf chm:moduleOf .
chm:near a owl:ObjectProperty , owl:SymmetricProperty , owl:IrreflexiveProperty ;
    rdfs:domain chm:Thing ; rdfs:range chm:Thing .
chm:count a owl:DatatypeProperty , owl:FunctionalProperty ; rdfs:range xsd:nonNegativeInteger .
chm:Code a rdfs:Datatype ; owl:onDatatype xsd:string .
schema:startDate a owl:DatatypeProperty ; rdfs:label "start date"@en .
"""

CHM = "https://w3id.org/chmgraph/vocab#"


@pytest.fixture
def small(tmp_path) -> Vocabulary:
    path = tmp_path / "small.ttl"
    path.write_text(SMALL, encoding="utf-8")
    return Vocabulary.load([path])


def names(iris) -> list[str]:
    return sorted(curie(i) for i in iris)


def test_declared_terms_are_sorted_into_classes_properties_and_datatypes(small):
    assert names(small.classes) == [
        "chm:Event",
        "chm:RegionalWorkshop",
        "chm:Thing",
        "chm:Training",
        "chm:Workshop",
    ]
    assert "chm:count" in names(small.properties)
    assert "schema:startDate" in names(small.properties)
    assert names(small.datatypes) == ["chm:Code"]
    assert small.terms == small.classes | small.properties | small.datatypes


def test_is_declared_accepts_iris_and_prefixed_names(small):
    assert small.is_declared(CHM + "Workshop")
    assert small.is_declared("chm:Workshop")
    assert not small.is_declared("schema:Event")  # referenced, never declared


def test_label_in_the_asked_language_then_english_then_local_name(small):
    assert small.label("chm:Thing", lang="fr") == "chose"
    assert small.label("chm:Thing", lang="fr-CA") == "chose"
    assert small.label("chm:Thing", lang="zh") == "thing"
    assert small.label("chm:RegionalWorkshop", lang="es") == "RegionalWorkshop"
    assert small.label("chm:Unknown") == "Unknown"


def test_definition_prefers_skos_definition_then_rdfs_comment(small):
    assert small.definition("chm:Thing") == "Anything."
    assert small.definition("chm:Workshop") == "A working event."
    assert small.definition("chm:Training") is None
    assert small.definition("chm:Thing", lang="fr") is None


def test_nearest_of_a_declared_term_is_itself(small):
    assert small.nearest("chm:Workshop") == CHM + "Workshop"


def test_nearest_matches_case_insensitively_across_namespaces(small):
    assert small.nearest("chm:startdate") == "https://schema.org/startDate"
    assert small.nearest("chm:workshop") == CHM + "Workshop"


def test_nearest_prefers_the_same_namespace(tmp_path):
    path = tmp_path / "two.ttl"
    path.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "<https://schema.org/url> a owl:DatatypeProperty .\n"
        "<https://w3id.org/chmgraph/vocab#url> a owl:DatatypeProperty .\n",
        encoding="utf-8",
    )
    vocab = Vocabulary.load([path])
    assert vocab.nearest("chm:URL") == CHM + "url"
    assert vocab.nearest("schema:URL") == "https://schema.org/url"


def test_nearest_finds_a_misspelt_term_and_nothing_for_a_stranger(small):
    assert small.nearest("chm:RegionalWorkshops") == CHM + "RegionalWorkshop"
    assert small.nearest("chm:Worksop") == CHM + "Workshop"
    assert small.nearest("chm:zebra") is None


def test_nearest_on_the_real_vocabulary():
    assert curie(Vocabulary.load().nearest("chm:startdate")) == "schema:startDate"


def test_superclasses_are_transitive_and_exclude_the_class_itself(small):
    assert names(small.superclasses("chm:RegionalWorkshop")) == [
        "chm:Event",
        "chm:Thing",
        "chm:Training",
        "chm:Workshop",
        "schema:Event",
    ]
    assert names(small.superclasses("chm:RegionalWorkshop", direct=True)) == [
        "chm:Training",
        "chm:Workshop",
    ]


def test_subclasses_are_transitive(small):
    assert names(small.subclasses("chm:Thing")) == [
        "chm:Event",
        "chm:RegionalWorkshop",
        "chm:Training",
        "chm:Workshop",
    ]
    assert names(small.subclasses("schema:Event", direct=True)) == ["chm:Event"]
    assert small.subclasses("chm:RegionalWorkshop") == frozenset()


def test_property_closures(small):
    assert names(small.superproperties("chm:firstModuleOf")) == ["chm:moduleOf", "chm:partOf"]
    assert names(small.subproperties("chm:partOf")) == ["chm:firstModuleOf", "chm:moduleOf"]
    assert names(small.subproperties("chm:partOf", direct=True)) == ["chm:moduleOf"]


def test_closures_stop_on_a_cycle(tmp_path):
    path = tmp_path / "cycle.ttl"
    path.write_text(
        "@prefix chm: <https://w3id.org/chmgraph/vocab#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "chm:A rdfs:subClassOf chm:B . chm:B rdfs:subClassOf chm:C .\n"
        "chm:C rdfs:subClassOf chm:A .\n",
        encoding="utf-8",
    )
    vocab = Vocabulary.load([path])
    assert names(vocab.superclasses("chm:A")) == ["chm:B", "chm:C"]
    assert names(vocab.subclasses("chm:A")) == ["chm:B", "chm:C"]


def test_inverse_is_found_from_either_side(small):
    assert small.inverse_of("chm:hasPart") == CHM + "partOf"
    assert small.inverse_of("chm:partOf") == CHM + "hasPart"
    assert small.inverse_of("chm:near") is None


def test_symmetric_properties_and_characteristics(small):
    assert names(small.symmetric_properties) == ["chm:near"]
    assert names(small.characteristics("chm:near")) == [
        "owl:IrreflexiveProperty",
        "owl:SymmetricProperty",
    ]
    assert names(small.characteristics("chm:count")) == ["owl:FunctionalProperty"]


def test_domains_and_ranges(small):
    assert names(small.domains("chm:near")) == ["chm:Thing"]
    assert names(small.ranges("chm:count")) == ["xsd:nonNegativeInteger"]


def test_load_is_cached_until_a_file_changes(tmp_path):
    path = tmp_path / "small.ttl"
    path.write_text(SMALL, encoding="utf-8")
    first = Vocabulary.load([path])
    assert Vocabulary.load([path]) is first
    path.write_text(SMALL + "chm:Extra a owl:Class .\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    reloaded = Vocabulary.load([path])
    assert reloaded is not first
    assert reloaded.is_declared("chm:Extra")


def test_default_load_reads_the_project_ontology():
    vocab = Vocabulary.load()
    assert vocab.is_declared("chm:NationalCHM")
    assert vocab.label("chm:ClearingHouseMechanism", lang="es") == "mecanismo de facilitación"


def test_malformed_ontology_is_rejected_with_file_and_line(tmp_path):
    path = tmp_path / "broken.ttl"
    path.write_text("@prefix chm: <https://w3id.org/chmgraph/vocab#> .\nchm:A a chm:B\n")
    with pytest.raises(SyntaxGateError) as info:
        Vocabulary.load([path])
    assert str(path) in str(info.value)
    assert info.value.line is not None


def test_missing_ontology_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"missing\.ttl"):
        Vocabulary.load([tmp_path / "missing.ttl"])


def test_expand_and_curie_are_inverse_for_known_prefixes():
    assert expand("skos:Concept") == "http://www.w3.org/2004/02/skos/core#Concept"
    assert curie(expand("skos:Concept")) == "skos:Concept"
    assert expand("urn:x-unknown:thing") == "urn:x-unknown:thing"

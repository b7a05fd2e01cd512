"""chmgraph.validation: rules, messages, lines and formats a steward relies on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from pyshacl.entrypoints import meta_validate

from chmgraph.errors import InputError, SyntaxGateError
from chmgraph.rdfio import read_quads
from chmgraph.settings import DATA_DIR, PROJECT_ROOT, SHAPES_DIR
from chmgraph.validation import Source, validate
from chmgraph.validation.rules import markdown

SUBMISSIONS = Path(__file__).parent / "submissions"
EXPECTED = json.loads((SUBMISSIONS / "expected.json").read_text(encoding="utf-8"))
CHMSH = rdflib.Namespace("https://w3id.org/chmgraph/shapes#")
EXAMPLE_HEAD = b"""@prefix chm: <https://w3id.org/chmgraph/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix schema: <https://schema.org/> .
@prefix ex: <https://example.org/chmgraph/example/> .
"""


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_submissions(name: str):
    expected = EXPECTED[name]
    path = SUBMISSIONS / name
    report = validate([path], country=expected.get("country"))
    found = [
        {
            "code": r.code,
            "severity": r.severity,
            "line": r.line,
            "path": r.path,
            "message": r.message,
        }
        for r in report.results
    ]
    assert found == expected["results"]
    assert report.conforms is expected["conforms"]
    assert all(r.source == str(path) for r in report.results)


def test_every_invalid_submission_is_covered():
    files = {f"invalid/{p.name}" for p in (SUBMISSIONS / "invalid").glob("*.ttl")}
    assert files - set(EXPECTED) == {"invalid/syntax-error.ttl"}


def test_a_syntax_error_names_file_line_and_column():
    path = SUBMISSIONS / "invalid" / "syntax-error.ttl"
    with pytest.raises(SyntaxGateError) as caught:
        validate([path])
    error = caught.value
    assert (error.path, error.line, error.column) == (str(path), 12, 5)
    assert str(error).startswith(f"{path}:12:5: syntax error: ")


def test_the_network_data_conforms_with_the_module_count_warning():
    files = sorted((DATA_DIR / "cbd").glob("*.ttl")) + sorted(
        (DATA_DIR / "reference").glob("*.ttl")
    )
    report = validate(files)
    assert report.conforms
    assert report.counts == {"Violation": 0, "Warning": 1, "Info": 0}
    (warning,) = report.results
    toolkits = DATA_DIR / "cbd" / "toolkits.ttl"
    assert (warning.code, warning.label, warning.source) == (
        "CHM-W001",
        "CHM Toolkit",
        str(toolkits),
    )
    assert warning.message == "States 6 modules but lists 7."
    lines = toolkits.read_text(encoding="utf-8").splitlines()
    assert lines[warning.line - 1].startswith("<toolkit/chm-toolkit>")


def test_the_example_national_submission_conforms_for_its_country():
    report = validate([DATA_DIR / "examples" / "national-chm-example.ttl"], country="CM")
    assert (report.conforms, report.results) == (True, [])


def test_subclasses_satisfy_shapes_on_their_superclasses():
    data = (
        EXAMPLE_HEAD
        + b"""
ex:chm a chm:NationalCHM , chm:ClearingHouseMechanism ; rdfs:label "C"@en ; dcterms:source ex:s ;
    chm:country <https://w3id.org/chmgraph/id/country/CM> ; chm:attended ex:w .
ex:w a chm:RegionalWorkshop ; rdfs:label "W"@en ; dcterms:source ex:s ;
    schema:startDate "2014-01-01"^^xsd:date .
"""
    )
    assert validate([Source("c.ttl", data)]).results == []
    without = validate([Source("c.ttl", data)], inference=False)
    # chm:attended expects a chm:Event; a chm:RegionalWorkshop is one only by entailment.
    assert [(r.code, r.path, r.value) for r in without.results] == [
        ("CHM-V042", "chm:attended", "<https://example.org/chmgraph/example/w>")
    ]


def test_shapes_on_a_superclass_apply_to_its_subclasses():
    path = SUBMISSIONS / "invalid" / "end-before-start.ttl"  # a chm:RegionalWorkshop
    assert [r.code for r in validate([path]).results] == ["CHM-V030"]  # a rule on chm:Event
    assert validate([path], inference=False).results == []


def test_messages_in_the_six_languages_keep_the_detail():
    report = validate([SUBMISSIONS / "invalid" / "end-before-start.ttl"])
    (result,) = report.results
    assert set(result.messages) == {"ar", "en", "es", "fr", "ru", "zh"}
    for message in result.messages.values():
        assert "2014-05-01" in message and "2014-05-05" in message
    assert (
        result.message_in("fr") == "La date de fin 2014-05-01 précède la date de début 2014-05-05."
    )
    french = validate([SUBMISSIONS / "invalid" / "end-before-start.ttl"], lang="fr")
    assert french.results[0].message == result.message_in("fr")
    assert "Non conforme." in french.render("text")


def test_a_core_constraint_message_gives_found_and_expected():
    data = (
        EXAMPLE_HEAD
        + b"""ex:w a chm:Workshop ; rdfs:label "W"@en ; dcterms:source ex:s ;
        schema:startDate "2014-01-01"^^xsd:date , "2014-01-02"^^xsd:date ."""
    )
    (result,) = validate([Source("w.ttl", data)]).results
    assert result.code == "CHM-V010"
    assert result.message == "schema:startDate: 2 values found, at most 1 allowed."
    assert result.message_in("es") == (
        "schema:startDate: 2 valores encontrados, se permiten como máximo 1."
    )


def test_an_unknown_language_is_refused():
    with pytest.raises(InputError, match="unknown message language 'de'"):
        validate([SUBMISSIONS / "valid" / "national-cm.ttl"], lang="de")


def test_an_unknown_country_is_refused():
    with pytest.raises(InputError, match="unknown country 'ZZ'"):
        validate([SUBMISSIONS / "valid" / "national-cm.ttl"], country="ZZ")


def test_data_quads_are_the_parsed_submission():
    path = SUBMISSIONS / "valid" / "national-cm.ttl"
    report = validate([path], country="CM")
    assert set(report.data_quads) == set(read_quads(path))


def test_blank_nodes_of_different_files_stay_apart():
    one = Source("one.ttl", EXAMPLE_HEAD + b"_:b a chm:Organization ; dcterms:source ex:s .")
    two = Source(
        "two.ttl",
        EXAMPLE_HEAD + b'\n_:b a chm:Organization ; rdfs:label "B"@en ;\n  dcterms:source ex:s .',
    )
    report = validate([one, two])
    assert len({q.subject for q in report.data_quads}) == 2
    (result,) = report.results
    assert (result.code, result.source, result.line) == ("CHM-V001", "one.ttl", 7)


def test_json_ld_lines_are_found_by_id():
    data = b"""{
  "@context": {"chm": "https://w3id.org/chmgraph/vocab#",
               "ex": "https://example.org/chmgraph/example/"},
  "@graph": [
    {"@id": "ex:partner",
     "@type": "chm:Organization",
     "http://purl.org/dc/terms/source": {"@id": "ex:source"}}
  ]
}"""
    report = validate([Source("partner.jsonld", data)])
    (result,) = report.results
    assert (result.code, result.line) == ("CHM-V001", 5)


def test_report_formats():
    report = validate([SUBMISSIONS / "invalid" / "end-before-start.ttl"])
    as_json = json.loads(report.render("json"))
    assert as_json["conforms"] is False
    assert as_json["counts"] == {"Violation": 1, "Warning": 0, "Info": 0}
    assert as_json["results"][0]["line"] == 10

    graph = rdflib.Graph().parse(data=report.render("turtle", lang="ru"), format="turtle")
    (result,) = graph.objects(None, rdflib.URIRef("http://www.w3.org/ns/shacl#result"))
    assert graph.value(result, CHMSH.ruleCode) == rdflib.Literal("CHM-V030")
    assert graph.value(result, CHMSH.line).toPython() == 10
    message = graph.value(result, rdflib.URIRef("http://www.w3.org/ns/shacl#resultMessage"))
    assert message.language == "ru" and "2014-05-01" in message

    sarif = json.loads(report.render("sarif"))
    assert sarif["version"] == "2.1.0"
    (entry,) = sarif["runs"][0]["results"]
    assert entry["ruleId"] == "CHM-V030" and entry["level"] == "error"
    location = entry["locations"][0]["physicalLocation"]
    assert location["region"]["startLine"] == 10
    assert location["artifactLocation"]["uri"].endswith("end-before-start.ttl")


def test_text_report_groups_results_by_thing_with_label_and_line():
    data = (
        EXAMPLE_HEAD
        + b"""
ex:w a chm:Workshop ; rdfs:label "Example workshop"@en ; dcterms:source ex:s ;
    chm:participantCount 2 ; chm:countriesRepresentedCount 3 ;
    schema:startDate "2014-02-01"^^xsd:date ; schema:endDate "2014-01-01"^^xsd:date .
"""
    )
    text = validate([Source("w.ttl", data)]).render("text")
    lines = text.splitlines()
    assert lines[0] == "w.ttl:8  Example workshop  <https://example.org/chmgraph/example/w>"
    assert [line.split()[1] for line in lines[1:3]] == ["CHM-V030", "CHM-V031"]
    assert lines[-1] == "2 violation(s), 0 warning(s), 0 info. Does not conform."


def test_the_shapes_conform_to_shacl_for_shacl():
    conforms, _, text = meta_validate(str(SHAPES_DIR / "chm.ttl"))
    assert conforms, text


def test_shacl_for_shacl_catches_a_malformed_shape(tmp_path: Path):
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        '<http://e/S> a sh:NodeShape ; sh:property [ sh:path <http://e/p> ; sh:minCount "x" ] .\n'
    )
    conforms, _, _ = meta_validate(str(broken))
    assert not conforms


def test_rules_table_is_up_to_date():
    assert (PROJECT_ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == markdown()


def test_every_rule_has_a_code_and_a_message_in_six_languages():
    shapes = rdflib.Graph().parse(SHAPES_DIR / "chm.ttl")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    for shape in set(shapes.subjects(sh.sparql, None)):
        languages = {m.language for m in shapes.objects(shape, CHMSH.message)}
        assert languages == {"ar", "en", "es", "fr", "ru", "zh"}, shape
    for shape in shapes.subjects(rdflib.RDF.type, sh.NodeShape):
        if shape != CHMSH[""]:
            assert shapes.value(shape, rdflib.URIRef("http://purl.org/dc/terms/identifier")), shape

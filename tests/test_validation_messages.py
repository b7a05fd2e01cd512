"""Messages and severities as a steward reads them: chmgraph's six-language templates for every
SHACL Core constraint component, the shape author's own ``sh:message`` in the language asked,
and custom severities reported as the shapes declare them."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from chmgraph.cli import cli
from chmgraph.settings import DATA_DIR
from chmgraph.validation import validate
from chmgraph.validation.messages import LANGUAGES, MESSAGE_FILE, NETWORK_MESSAGE, SH, Templates

# Every constraint component of SHACL Core (section 4 of the specification) that gives results
# of its own; sh:PropertyConstraintComponent reports its property shape's results instead.
CORE_COMPONENTS = (
    "Class",
    "Datatype",
    "NodeKind",
    "MinCount",
    "MaxCount",
    "MinExclusive",
    "MinInclusive",
    "MaxExclusive",
    "MaxInclusive",
    "MinLength",
    "MaxLength",
    "Pattern",
    "LanguageIn",
    "UniqueLang",
    "Equals",
    "Disjoint",
    "LessThan",
    "LessThanOrEquals",
    "Not",
    "And",
    "Or",
    "Xone",
    "Node",
    "QualifiedMinCount",
    "QualifiedMaxCount",
    "Closed",
    "HasValue",
    "In",
)
EX = "http://example.org/ns#"
PLACEHOLDER = re.compile(r"\{([a-z]+)\}")


@pytest.mark.parametrize("component", CORE_COMPONENTS)
def test_every_core_component_has_a_message_in_the_six_languages(component):
    templates = Templates.of([MESSAGE_FILE]).by_subject[
        (f"{SH}{component}ConstraintComponent", "https://w3id.org/chmgraph/shapes#message")
    ]
    assert set(templates) == set(LANGUAGES)
    # Each language shows the same detail the engine found.
    shown = {lang: set(PLACEHOLDER.findall(text)) for lang, text in templates.items()}
    assert len({frozenset(s) for s in shown.values()}) == 1, shown
    assert all(text.strip() for text in templates.values())


SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/ns#> .

ex:Named a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ;
        sh:message "A thing needs a name"@en , "Une chose a besoin d'un nom"@fr ,
                   "Ein Ding braucht einen Namen"@de , "A thing needs a name (untagged)" ] ;
    sh:property [ sh:path ex:code ; sh:pattern "^[A-Z]+$" ;
        sh:message "Code in capitals (untagged)" , "Code in Großbuchstaben"@de ] ;
    sh:property [ sh:path ex:size ; sh:maxCount 1 ;
        sh:message "Höchstens eine Größe"@de , "Al massimo una dimensione"@it ] .
"""

DATA = """
@prefix ex: <http://example.org/ns#> .
ex:a a ex:Thing ; ex:code "abc" ; ex:size 1 , 2 .
"""


@pytest.fixture
def files(tmp_path):
    shapes, data = tmp_path / "shapes.ttl", tmp_path / "data.ttl"
    shapes.write_text(SHAPES, encoding="utf-8")
    data.write_text(DATA, encoding="utf-8")
    return shapes, data


def _messages(files, lang: str) -> dict[str, str]:
    shapes, data = files
    report = validate([data], shapes=[shapes], inference=False, lang=lang)
    # Paths show the network's prefixes only: ex: is written out.
    return {r.path.removeprefix(EX): r.message for r in report.results}


def test_the_authors_message_is_shown_in_the_language_asked(files):
    assert _messages(files, "fr")["name"] == "Une chose a besoin d'un nom"


def test_without_the_language_asked_english_then_untagged_then_the_first_by_tag(files):
    messages = _messages(files, "ru")
    assert messages["name"] == "A thing needs a name"  # no ru: English
    assert messages["code"].startswith("Code in capitals (untagged)")  # no en: untagged
    assert messages["size"] == "Höchstens eine Größe"  # only de and it: de, first by tag


def test_the_value_found_follows_the_authors_message_when_it_does_not_show_it(files):
    assert _messages(files, "en")["code"] == 'Code in capitals (untagged) ("abc")'


def test_the_authors_message_wins_over_chmgraphs_template_in_every_language(files):
    shapes, data = files
    report = validate([data], shapes=[shapes], inference=False, lang="zh")
    (result,) = [r for r in report.results if r.path == EX + "name"]
    assert result.messages["zh"] == "A thing needs a name"
    assert result.messages["fr"] == "Une chose a besoin d'un nom"
    assert result.focus == EX + "a" and result.line == 3


BLOCKER_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/ns#> .
ex:Blocking a sh:NodeShape ; sh:targetClass ex:Thing ; sh:severity ex:Blocker ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:severity ex:Blocker ] .
"""


@pytest.fixture
def blocker(tmp_path):
    shapes, data = tmp_path / "shapes.ttl", tmp_path / "data.ttl"
    shapes.write_text(BLOCKER_SHAPES, encoding="utf-8")
    data.write_text(DATA, encoding="utf-8")
    return str(shapes), str(data)


def _cli(*args: str):
    return CliRunner().invoke(cli, ["validate", *args])


def test_a_custom_severity_is_reported_as_declared_and_blocks(blocker):
    shapes, data = blocker
    result = _cli(data, "--shapes", shapes)
    assert result.exit_code == 1, result.output
    assert "  Blocker   " in result.output
    assert result.output.rstrip().endswith(
        "0 violation(s), 0 warning(s), 0 info. Blocker: 1. Does not conform."
    )


def test_a_custom_severity_in_json_and_sarif(blocker):
    shapes, data = blocker
    body = json.loads(_cli(data, "--shapes", shapes, "--format", "json").output)
    assert body["conforms"] is False and body["counts"]["Blocker"] == 1
    assert [r["severity"] for r in body["results"]] == ["Blocker"]
    sarif = json.loads(_cli(data, "--shapes", shapes, "--format", "sarif").output)
    (entry,) = sarif["runs"][0]["results"]
    assert entry["level"] == "error" and entry["properties"]["severity"] == "Blocker"


def test_with_other_shapes_no_message_speaks_of_the_networks_graphs(tmp_path):
    shapes, data = tmp_path / "shapes.ttl", tmp_path / "data.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/ns#> .\n"
        "ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;"
        " sh:property [ sh:path ex:owner ; sh:class ex:Person ] .\n",
        encoding="utf-8",
    )
    data.write_text(
        "@prefix ex: <http://example.org/ns#> . ex:a a ex:Thing ; ex:owner ex:b .\n",
        encoding="utf-8",
    )
    report = validate([data], shapes=[shapes], inference=False)
    (result,) = report.results
    assert result.messages["en"] == f"{EX}owner: <{EX}b> is not a <{EX}Person>."
    network = Templates.of([MESSAGE_FILE]).by_subject[
        (SH + "ClassConstraintComponent", NETWORK_MESSAGE)
    ]
    for lang in LANGUAGES:
        assert result.messages[lang] not in network[lang]
        assert "network" not in result.messages[lang]


def test_with_the_chm_shapes_the_class_message_says_the_network_was_looked_in(tmp_path):
    example = (DATA_DIR / "examples" / "national-chm-example.ttl").read_text(encoding="utf-8")
    bad = example.replace(
        "chm:usesToolkit <", "chm:usesToolkit <https://example.org/no-toolkit> , <", 1
    )
    assert bad != example
    path = tmp_path / "cm.ttl"
    path.write_text(bad, encoding="utf-8")
    report = validate([path], country="CM")
    messages = [
        r.messages["en"] for r in report.results if r.component == "sh:ClassConstraintComponent"
    ]
    assert messages and all("network's graphs" in m for m in messages)


# One failing case per constraint component: the constraint (on a property shape of ex:p, or
# on the node shape itself for sh:closed) and the statements of ex:a that break it.
CASES = {
    "MinCount": ("sh:minCount 2", 'ex:p "a"'),
    "MaxCount": ("sh:maxCount 1", 'ex:p "a" , "b"'),
    "Datatype": ("sh:datatype xsd:integer", 'ex:p "a"'),
    "Class": ("sh:class ex:C", "ex:p ex:x"),
    "NodeKind": ("sh:nodeKind sh:IRI", 'ex:p "a"'),
    "MinExclusive": ("sh:minExclusive 1", "ex:p 1"),
    "MinInclusive": ("sh:minInclusive 5", "ex:p 1"),
    "MaxExclusive": ("sh:maxExclusive 1", "ex:p 1"),
    "MaxInclusive": ("sh:maxInclusive 0", "ex:p 1"),
    "MinLength": ("sh:minLength 3", 'ex:p "a"'),
    "MaxLength": ("sh:maxLength 0", 'ex:p "a"'),
    "Pattern": ('sh:pattern "^b"', 'ex:p "a"'),
    "LanguageIn": ('sh:languageIn ("fr")', 'ex:p "a"@en'),
    "UniqueLang": ("sh:uniqueLang true", 'ex:p "a"@en , "b"@en'),
    "Equals": ("sh:equals ex:q", 'ex:p "a" ; ex:q "b"'),
    "Disjoint": ("sh:disjoint ex:q", 'ex:p "a" ; ex:q "a"'),
    "LessThan": ("sh:lessThan ex:q", "ex:p 2 ; ex:q 1"),
    "LessThanOrEquals": ("sh:lessThanOrEquals ex:q", "ex:p 2 ; ex:q 1"),
    "Not": ("sh:not [ sh:datatype xsd:string ]", 'ex:p "a"'),
    "And": ("sh:and ( [ sh:datatype xsd:string ] [ sh:minLength 3 ] )", 'ex:p "a"'),
    "Or": ("sh:or ( [ sh:datatype xsd:integer ] [ sh:datatype xsd:date ] )", 'ex:p "a"'),
    "Xone": ("sh:xone ( [ sh:datatype xsd:string ] [ sh:minLength 1 ] )", 'ex:p "a"'),
    "Node": ("sh:node [ sh:datatype xsd:integer ]", 'ex:p "a"'),
    "QualifiedMinCount": (
        "sh:qualifiedValueShape [ sh:datatype xsd:integer ] ; sh:qualifiedMinCount 1",
        'ex:p "a"',
    ),
    "QualifiedMaxCount": (
        "sh:qualifiedValueShape [ sh:datatype xsd:string ] ; sh:qualifiedMaxCount 0",
        'ex:p "a"',
    ),
    "Closed": (None, 'ex:p "a"'),
    "HasValue": ('sh:hasValue "b"', 'ex:p "a"'),
    "In": ('sh:in ( "b" "c" )', 'ex:p "a"'),
}
AUTHOR = ' sh:message "Author\'s own words"@en , "Les mots de l\'auteur"@fr '


def _case(tmp_path, component: str, authored: bool):
    constraint, statements = CASES[component]
    message = f";{AUTHOR}" if authored else ""
    prefixes = (
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        f"@prefix ex: <{EX}> .\n"
    )
    if constraint is None:  # sh:closed is a node shape's
        shape = "ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:closed true ;"
        shape += f" sh:ignoredProperties ( rdf:type ) {message} ."
    else:
        shape = "ex:S a sh:NodeShape ; sh:targetClass ex:T ;"
        shape += f" sh:property [ sh:path ex:p ; {constraint} {message} ] ."
    shapes, data = tmp_path / "shapes.ttl", tmp_path / "data.ttl"
    shapes.write_text(prefixes + shape + "\n", encoding="utf-8")
    data.write_text(prefixes + f"ex:a a ex:T ; {statements} .\n", encoding="utf-8")
    report = validate([data], shapes=[shapes], inference=False, lang="fr")
    results = [r for r in report.results if r.component == f"sh:{component}ConstraintComponent"]
    assert results, [r.component for r in report.results]
    return results


@pytest.mark.parametrize("component", sorted(CASES))
def test_every_core_component_keeps_the_authors_message_in_the_language_asked(tmp_path, component):
    for result in _case(tmp_path, component, authored=True):
        assert result.message.startswith("Les mots de l'auteur"), result.message
        assert result.messages["en"].startswith("Author's own words")
        assert result.messages["ru"].startswith("Author's own words")  # no ru: English
        assert result.focus == EX + "a" and result.line == 5


@pytest.mark.parametrize("component", sorted(CASES))
def test_every_core_component_speaks_the_language_asked_without_an_authors_message(
    tmp_path, component
):
    for result in _case(tmp_path, component, authored=False):
        # chmgraph's template in each language, not pySHACL's English for all.
        assert len({result.messages[lang] for lang in LANGUAGES}) == len(LANGUAGES)
        assert "?" not in result.message.split(":")[0]

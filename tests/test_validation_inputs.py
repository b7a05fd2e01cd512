"""A steward's hard inputs, as real files in ``tests/inputs/``: each a defect once found, each
with what a steward must see instead (issue 14)."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from chmgraph.errors import SyntaxGateError
from chmgraph.settings import PROJECT_ROOT
from chmgraph.validation import validate

INPUTS = PROJECT_ROOT / "tests" / "inputs"


def _chmgraph(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "chmgraph", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )


# pySHACL's test_286 a and b: whether sh:in lists "EPL-2.0" or "EPL-2.0"^^xsd:string, and
# whatever the data writes, the value is in the list (RDF 1.1: one and the same term).
@pytest.mark.parametrize("shapes", ["licence-shapes.ttl", "licence-shapes-xsd-string.ttl"])
@pytest.mark.parametrize("data", ["licence.jsonld", "licence-plain.ttl"])
def test_xsd_string_and_plain_literals_are_one_term(shapes, data):
    report = validate([INPUTS / data], shapes=[INPUTS / shapes], inference=False)
    wrong = [(r.focus.rsplit("/", 1)[-1], r.value) for r in report.results]
    assert wrong == ([] if data == "licence.jsonld" else [("2", '"GPL-3.0"')])


def test_a_value_not_in_the_list_is_shown_as_written():
    report = validate(
        [INPUTS / "licence-plain.ttl"], shapes=[INPUTS / "licence-shapes-xsd-string.ttl"]
    )
    (result,) = report.results
    assert result.line == 9
    assert result.message.endswith('value "GPL-3.0" is not one of "0BSD", "AAL", "EPL-2.0".')


def test_ill_typed_literals_are_violations_with_their_lines_and_no_traceback():
    run = _chmgraph(
        "validate", "tests/inputs/ill-typed.ttl", "--shapes", "tests/inputs/labelled-shapes.ttl"
    )
    assert run.returncode == 1
    assert run.stderr == ""
    lines = run.stdout.splitlines()
    assert lines[0].startswith("tests/inputs/ill-typed.ttl:6 ")
    assert '"twelve"^^xsd:nonNegativeInteger is not a valid xsd:nonNegativeInteger' in lines[1]
    assert lines[3].startswith("tests/inputs/ill-typed.ttl:9 ")
    assert '"2012-13-45"^^xsd:date is not a valid xsd:date value' in lines[4]
    assert "CHM-V006" in lines[1] and "CHM-V006" in lines[4]
    assert '"012"' not in run.stdout  # "012"^^xsd:integer is a well-typed integer


def test_an_ill_typed_literal_a_shape_reports_is_reported_once(tmp_path):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "@prefix ex: <https://example.org/chmgraph/example/> .\n"
        "<urn:s> a sh:NodeShape ; sh:targetSubjectsOf ex:start ;\n"
        "  sh:property [ sh:path ex:start ; sh:datatype xsd:date ] .\n"
    )
    report = validate([INPUTS / "ill-typed.ttl"], shapes=[shapes], inference=False)
    start = [r for r in report.results if r.path and r.path.endswith("start")]
    assert [(r.code, r.component) for r in start] == [(None, "sh:DatatypeConstraintComponent")]


def test_json_ld_shapes_are_read():
    report = validate([INPUTS / "ill-typed.ttl"], shapes=[INPUTS / "labelled-shapes.jsonld"])
    wrong = sorted((r.line, r.component) for r in report.results if r.code is None)
    assert wrong == [(6, "sh:MaxCountConstraintComponent"), (9, "sh:MaxCountConstraintComponent")]


@pytest.mark.parametrize(
    ("shapes", "reason"),
    [
        ("sparql-syntax-error.ttl", "Expected SelectQuery"),
        ("sparql-undeclared-prefix.ttl", "Unknown namespace prefix : foo"),
    ],
)
def test_a_broken_sparql_constraint_names_its_file_and_shape(shapes, reason):
    run = _chmgraph("validate", "tests/inputs/ill-typed.ttl", "--shapes", f"tests/inputs/{shapes}")
    assert run.returncode == 2
    assert run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"error: tests/inputs/{shapes}: the SPARQL query of ex:")
    assert reason in line


def test_a_literal_over_the_limit_is_an_input_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CHMGRAPH_MAX_LITERAL_BYTES", "1000")
    path = tmp_path / "big.ttl"
    path.write_text('<https://e/a> <https://e/p> "' + "x" * 2000 + '" .\n')
    run = _chmgraph("validate", str(path), "--shapes", "tests/inputs/labelled-shapes.ttl")
    assert run.returncode == 2
    assert "a literal of 2000 bytes" in run.stderr and "max_literal_bytes" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_literal_over_the_parsers_buffer_is_an_input_error(tmp_path):
    """pyoxigraph raises MemoryError for a term over 16 MiB: a 50 MB literal."""
    path = tmp_path / "huge.ttl"
    path.write_bytes(b'<https://e/a> <https://e/p> "' + b"x" * 50_000_000 + b'" .\n')
    run = _chmgraph("validate", str(path), "--shapes", "tests/inputs/labelled-shapes.ttl")
    assert run.returncode == 2
    assert "over the parser's 16 MiB buffer" in run.stderr
    assert "Traceback" not in run.stderr and "MemoryError" not in run.stderr


def test_a_file_over_the_input_limit_is_refused_before_parsing(monkeypatch):
    monkeypatch.setenv("CHMGRAPH_MAX_INPUT_BYTES", "100")
    run = _chmgraph("validate", "tests/inputs/ill-typed.ttl")
    assert run.returncode == 2
    assert "over the max_input_bytes setting (100 bytes" in run.stderr


@pytest.mark.parametrize("data", ["empty.ttl", "prefixes-only.ttl"])
@pytest.mark.parametrize("mode", [[], ["--country", "CM"], ["--shapes", "labelled-shapes.ttl"]])
def test_a_file_with_no_statement_does_not_conform(data, mode):
    args = [a if not a.endswith(".ttl") else f"tests/inputs/{a}" for a in mode]
    run = _chmgraph("validate", f"tests/inputs/{data}", *args)
    assert run.returncode == 1
    assert f"CHM-V007   tests/inputs/{data} holds no statement" in run.stdout
    assert "Conforms." not in run.stdout.replace("Does not conform.", "")


def test_shapes_that_apply_to_no_node_are_not_a_conforming_result():
    run = _chmgraph(
        "validate",
        "tests/inputs/ill-typed.ttl",
        "--shapes",
        "tests/inputs/other-targets-shapes.ttl",
    )
    assert run.returncode == 2
    assert run.stderr.startswith("error: tests/inputs/ill-typed.ttl: no shape applied to any node")


def test_data_and_shapes_swapped_are_not_a_conforming_result():
    run = _chmgraph(
        "validate", "tests/inputs/labelled-shapes.ttl", "--shapes", "tests/inputs/ill-typed.ttl"
    )
    assert run.returncode == 2
    assert "no SHACL shape to validate with" in run.stderr


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Participants are counted with a whole number."),
        ("fr", "Les participants se comptent en nombre entier."),
        ("es", "Los participantes se cuentan con un número entero."),
        ("ru", "Participants are counted with a whole number."),  # no Russian: English
    ],
)
def test_the_authors_message_is_shown_in_the_language_asked(lang, message):
    report = validate(
        [INPUTS / "ill-typed.ttl"], shapes=[INPUTS / "authored-messages-shapes.ttl"], lang=lang
    )
    participants = [r for r in report.results if r.path and r.path.endswith("participants")]
    (result,) = participants
    assert result.message == f'{message} ("twelve"^^xsd:nonNegativeInteger)'
    untagged = [r.message for r in report.results if r.path and r.path.endswith("start")]
    assert "No start date here." in untagged


def test_ill_typed_literals_rdflib_does_not_check_are_found_too(tmp_path):
    """rdflib checks no Gregorian datatype and reads numbers as Python does."""
    data = tmp_path / "data.ttl"
    data.write_text(
        "@prefix ex: <https://example.org/chmgraph/example/> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'ex:event-3 rdfs:label "Workshop"@en ;\n'
        '    ex:year "soon"^^xsd:gYear ;\n'
        '    ex:month "2024-02"^^xsd:gYearMonth ;\n'
        '    ex:participants "1_000"^^xsd:integer .\n'
    )
    report = validate([data], shapes=[INPUTS / "labelled-shapes.ttl"], inference=False)
    ill = sorted((r.code, r.line, r.value) for r in report.results if r.code == "CHM-V006")
    assert ill == [("CHM-V006", 4, '"soon"^^xsd:gYear'), ("CHM-V006", 4, "1_000")]


def test_validation_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    """Full collections are paused while a validation runs (benchmarks/bench_peer_shapes.py),
    and put back after it, whether it reports or fails."""
    before = gc.get_threshold()
    validate([INPUTS / "ill-typed.ttl"], shapes=[INPUTS / "labelled-shapes.ttl"])
    assert gc.get_threshold() == before
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> .\n")
    with pytest.raises(SyntaxGateError):
        validate([bad], shapes=[INPUTS / "labelled-shapes.ttl"])
    assert gc.get_threshold() == before

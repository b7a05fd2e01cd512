"""A steward's everyday mistakes, each once misread or accepted (issue 14, "Why"): a national
CHM that is a blank node or one of two, a language tag that names no language, a file saved
with a byte order mark or in another encoding, an anonymous subject with no line; and
``validate --country`` and ``submit`` agreeing on every file of a corpus."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from click.testing import CliRunner

from chmgraph.cli import cli
from chmgraph.errors import InputError
from chmgraph.network import Network
from chmgraph.settings import DATA_DIR, PROJECT_ROOT
from chmgraph.validation import validate

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"
EXAMPLE_CHM = "<https://example.org/chmgraph/example/chm/CM>"
SECOND_CHM = (
    "\n<https://example.org/chmgraph/example/chm/CM-2> a chm:NationalCHM ;\n"
    '    rdfs:label "A second national CHM (example data)"@en ;\n'
    "    chm:country <https://w3id.org/chmgraph/id/country/CM> ;\n"
    "    dcterms:source <https://example.org/chmgraph/example/source> .\n"
)
PEER_DCAT_AP = PROJECT_ROOT.parent / "shared" / "peer" / "dcat-ap-2.0.1"


def _example(tmp_path: Path, name: str, text: str | None = None, data: bytes | None = None) -> Path:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    else:
        path.write_text(text if text is not None else EXAMPLE.read_text("utf-8"), "utf-8")
    return path


def _codes(path: Path) -> list[str]:
    return [r.code for r in validate([path], country="CM").results if r.severity == "Violation"]


def test_a_national_chm_that_is_a_blank_node_is_refused(tmp_path):
    text = EXAMPLE.read_text("utf-8").replace(EXAMPLE_CHM, "_:chm")
    assert _codes(_example(tmp_path, "blank.ttl", text)) == ["CHM-V094"]


def test_two_national_chms_are_refused_each_naming_the_other(tmp_path):
    path = _example(tmp_path, "two.ttl", EXAMPLE.read_text("utf-8") + SECOND_CHM)
    report = validate([path], country="CM")
    found = {(r.code, r.focus, r.value) for r in report.results}
    assert found == {
        ("CHM-V095", "https://example.org/chmgraph/example/chm/CM", None),
        ("CHM-V095", "https://example.org/chmgraph/example/chm/CM-2", None),
    } or {(c, f) for c, f, _ in found} == {
        ("CHM-V095", "https://example.org/chmgraph/example/chm/CM"),
        ("CHM-V095", "https://example.org/chmgraph/example/chm/CM-2"),
    }
    assert not report.conforms


@pytest.mark.parametrize("tag", ["xx", "qaa", "zz-CM"])
def test_a_language_tag_naming_no_iso_639_language_is_a_violation(tmp_path, tag):
    text = EXAMPLE.read_text("utf-8").replace(
        '"Exemple de CHM national (Cameroun)"@fr', f'"Exemple"@{tag}'
    )
    assert f"@{tag}" in text
    assert _codes(_example(tmp_path, "tag.ttl", text)) == ["CHM-V004"]


@pytest.mark.parametrize("tag", ["bss", "pt-BR", "zh-Hans-CN", "ewo"])
def test_iso_639_languages_beyond_the_six_pass(tmp_path, tag):
    text = EXAMPLE.read_text("utf-8").replace(
        '"Exemple de CHM national (Cameroun)"@fr', f'"Exemple"@{tag}'
    )
    assert _codes(_example(tmp_path, "tag.ttl", text)) == []


def test_a_utf8_byte_order_mark_is_accepted_and_lines_are_kept(tmp_path):
    plain = validate([EXAMPLE], country="CM")
    path = _example(tmp_path, "bom.ttl", data=codecs.BOM_UTF8 + EXAMPLE.read_bytes())
    with_bom = validate([path], country="CM")
    assert with_bom.conforms and len(with_bom.data_quads) == len(plain.data_quads)
    broken = EXAMPLE.read_text("utf-8").replace('"2012"^^xsd:gYear', '"2012-13-45"^^xsd:date')
    path = _example(tmp_path, "bom-bad.ttl", data=codecs.BOM_UTF8 + broken.encode())
    results = validate([path], country="CM").results
    assert "CHM-V006" in {r.code for r in results}
    assert {r.line for r in results} == {37} and all("\ufeff" not in r.message for r in results)


@pytest.mark.parametrize(
    ("encoding", "said"),
    [("utf-16", "in UTF-16"), ("utf-32", "in UTF-32"), ("utf-16-le", "NUL bytes")],
)
def test_other_encodings_are_named(tmp_path, encoding, said):
    path = _example(tmp_path, "other.ttl", data=EXAMPLE.read_text("utf-8").encode(encoding))
    with pytest.raises(InputError, match=said):
        validate([path], country="CM")


def test_latin1_is_named_with_the_line_of_its_first_byte(tmp_path):
    text = EXAMPLE.read_text("utf-8").replace("Cameroun", "Caméroun")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "Caméroun" in t)
    path = _example(tmp_path, "latin1.ttl", data=text.encode("latin-1", errors="replace"))
    with pytest.raises(InputError, match=rf"latin1.ttl:{line}: byte 0xe9 is no UTF-8"):
        validate([path], country="CM")


def test_top_level_anonymous_subjects_get_their_lines(tmp_path):
    text = (
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\n"
        '[] a dcat:Distribution ;\n  dcat:byteSize "big" .\n\n'
        '[ a dcat:Distribution ; dcat:accessURL <http://example.org/a> ] dcat:byteSize "small" .\n'
    )
    path = _example(tmp_path, "anonymous.ttl", text)
    shapes = [PEER_DCAT_AP / "dcat-ap_2.0.1_shacl_shapes.ttl"]
    report = validate([path], shapes=shapes, inference=False)
    assert {(r.path, r.line) for r in report.results} == {
        ("dcat:accessURL", 3),
        ("dcat:byteSize", 3),
        ("dcat:byteSize", 6),
    }


SUBMISSIONS = Path(__file__).parent / "submissions"
INPUTS = Path(__file__).parent / "inputs"


def _corpus(tmp_path: Path) -> list[Path]:
    base = EXAMPLE.read_text("utf-8")
    made = {
        "blank-chm.ttl": base.replace(EXAMPLE_CHM, "_:chm"),
        "two-chms.ttl": base + SECOND_CHM,
        "unknown-tag.ttl": base.replace('"Exemple de CHM national (Cameroun)"@fr', '"x"@xx'),
        "whitespace.ttl": "  \n\t\n",
        "zero-bytes.ttl": "",
    }
    files = [_example(tmp_path, name, text) for name, text in made.items()]
    files.append(_example(tmp_path, "bom.ttl", data=codecs.BOM_UTF8 + EXAMPLE.read_bytes()))
    return [*sorted(SUBMISSIONS.glob("*/*.ttl")), *sorted(INPUTS.glob("*.ttl")), EXAMPLE, *files]


def test_validate_country_and_submit_agree_on_every_file_of_a_corpus(tmp_path):
    network = Network.in_memory()
    network.init()
    outcomes = []
    for path in _corpus(tmp_path):
        try:
            conforms = validate([path], country="CM").conforms
        except Exception as exc:  # an input error: submit must refuse the same way
            with pytest.raises(type(exc)):
                network.submit(path, "CM", by="test", message="agreement")
            outcomes.append((path.name, "error"))
            continue
        result = network.submit(path, "CM", by="test", message="agreement")
        assert (result.status != "rejected") is conforms, path.name
        outcomes.append((path.name, conforms))
    assert ("zero-bytes.ttl", False) in outcomes and ("blank-chm.ttl", False) in outcomes
    assert (EXAMPLE.name, True) in outcomes and len(outcomes) > 20


@pytest.mark.parametrize("content", ["", "   \n", "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"])
def test_an_empty_shapes_file_exits_2_not_conforms(tmp_path, content):
    shapes = _example(tmp_path, "shapes.ttl", content)
    result = CliRunner().invoke(cli, ["validate", str(EXAMPLE), "--shapes", str(shapes)])
    assert result.exit_code == 2
    assert "no SHACL shape to validate with" in result.output
    assert "Conforms" not in result.output

"""Reading JSON-LD (``chmgraph.jsonld``): what the W3C suite does not cover and stewards meet."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from chmgraph.errors import InputError, SyntaxGateError
from chmgraph.iris import CONTEXT
from chmgraph.jsonld import ContextCatalogue, parse_jsonld
from chmgraph.rdfio import read_quads
from chmgraph.settings import PROJECT_ROOT
from chmgraph.validation import Source, validate

INPUTS = PROJECT_ROOT / "tests" / "inputs"
DCAT_AP = PROJECT_ROOT.parent / "shared" / "peer" / "dcat-ap-2.0.1"
DCT = "http://purl.org/dc/terms/"


def test_two_types_with_type_scoped_contexts_keep_every_term():
    """pyoxigraph keeps only the last type's context and drops the title and description."""
    quads = read_quads(INPUTS / "dcat-ap-two-types.jsonld")
    predicates = {q.predicate.value for q in quads}
    assert {DCT + "title", DCT + "description", DCT + "accrualPeriodicity"} <= predicates
    assert len(quads) == 5


def test_two_types_file_has_its_title_for_the_dcat_ap_shapes():
    report = validate(
        [INPUTS / "dcat-ap-two-types.jsonld"],
        shapes=[DCAT_AP / "dcat-ap_2.0.1_shacl_shapes.ttl"],
        inference=False,
    )
    assert [r for r in report.results if r.path in ("dcterms:title", "dcterms:description")] == []


def test_remote_context_is_refused_with_the_url_and_the_setting():
    doc = b'{"@context": "https://schema.org/", "@id": "http://e/a", "name": "A"}'
    with pytest.raises(SyntaxGateError) as caught:
        parse_jsonld(doc, name="a.jsonld")
    message = str(caught.value)
    assert "https://schema.org/" in message and "CHMGRAPH_JSONLD_CONTEXTS" in message


def test_the_networks_own_context_is_shipped_and_reads_the_example_as_its_turtle_twin():
    """The example national graph in JSON-LD names the network's context by its URL; no setting,
    no request: the same statements as the Turtle example, and the CHM rules' verdict."""
    examples = PROJECT_ROOT / "data" / "examples"
    written = examples / "national-chm-example.jsonld"
    assert CONTEXT in written.read_text(encoding="utf-8")
    as_jsonld = {q.triple for q in read_quads(written)}
    assert as_jsonld == {q.triple for q in read_quads(examples / "national-chm-example.ttl")}
    report = validate([written], country="CM")
    assert report.conforms and report.counts == {"Violation": 0, "Warning": 0, "Info": 0}


def test_a_context_beside_the_networks_own_is_still_refused():
    near = CONTEXT.replace("context.jsonld", "other.jsonld")
    doc = b'{"@context": "' + near.encode() + b'", "@id": "http://e/a", "name": "A"}'
    with pytest.raises(SyntaxGateError, match="is not fetched"):
        parse_jsonld(doc, name="a.jsonld")


def test_remote_context_is_read_from_its_local_copy(tmp_path):
    (tmp_path / "schema.jsonld").write_text('{"@context": {"name": "http://schema.org/name"}}')
    catalogue = ContextCatalogue.parse([f"https://schema.org/={tmp_path / 'schema.jsonld'}"])
    doc = b'{"@context": "https://schema.org/", "@id": "http://e/a", "name": "A"}'
    (quad,) = parse_jsonld(doc, name="a.jsonld", contexts=catalogue)
    assert quad.object == ox.Literal("A")


def test_remote_context_from_the_setting(tmp_path, monkeypatch):
    (tmp_path / "ctx.jsonld").write_text('{"@context": {"name": "http://schema.org/name"}}')
    monkeypatch.setenv("CHMGRAPH_JSONLD_CONTEXTS", f"https://example.org/ctx/={tmp_path}/")
    path = tmp_path / "a.jsonld"
    path.write_text(
        '{"@context": "https://example.org/ctx/ctx.jsonld", "@id": "http://e/a", "name": "A"}'
    )
    assert len(read_quads(path)) == 1


def test_local_context_over_the_size_limit_is_refused(tmp_path):
    (tmp_path / "big.jsonld").write_text('{"@context": {}}' + " " * 100)
    catalogue = ContextCatalogue.parse([f"https://e/big={tmp_path / 'big.jsonld'}"], max_bytes=50)
    with pytest.raises(SyntaxGateError, match="over 50 bytes"):
        parse_jsonld(
            b'{"@context": "https://e/big", "@id": "http://e/a"}',
            name="a.jsonld",
            contexts=catalogue,
        )


def test_malformed_catalogue_entry_is_an_input_error():
    with pytest.raises(InputError, match="URL=PATH"):
        ContextCatalogue.parse(["https://schema.org/"])


def test_relative_id_without_base_is_refused_not_dropped():
    with pytest.raises(SyntaxGateError, match="relative IRI 'a'"):
        parse_jsonld(b'{"@id": "a", "http://e/p": "x"}', name="a.jsonld")


def test_invalid_json_names_line_and_column():
    with pytest.raises(SyntaxGateError) as caught:
        parse_jsonld(b'{\n  "@id": "http://e/a",\n  "http://e/p": }', name="a.jsonld")
    assert (caught.value.line, caught.value.column) == (3, 17)


def test_byte_order_mark_is_accepted():
    (quad,) = parse_jsonld(b'\xef\xbb\xbf{"@id": "http://e/a", "http://e/p": "x"}', name="a")
    assert quad.subject == ox.NamedNode("http://e/a")


def test_written_blank_node_labels_are_kept_for_their_lines():
    """PyLD relabels blank nodes; the written label is put back, so the source map finds the
    node's line."""
    doc = (
        b'{"@graph": [\n  {"@id": "_:org", "http://e/q": "x"},\n'
        b'  {"@id": "http://e/a", "http://e/p": {"@id": "_:org"}}\n]}'
    )
    quads = parse_jsonld(doc, name="a.jsonld")
    assert {q.subject for q in quads} == {ox.NamedNode("http://e/a"), ox.BlankNode("org")}
    report = validate([Source("a.jsonld", doc)], shapes=[INPUTS / "q-shapes.ttl"])
    (result,) = report.results
    assert (result.focus, result.line) == ("_:org", 2)


def test_keyword_shaped_id_is_refused_not_dropped():
    """JSON-LD 1.1 ignores an @id like "@ignoreMe" (W3C toRdf e122); its statement would go."""
    doc = b'{"@id": "http://e/a", "http://e/p": {"@id": "@ignoreMe"}}'
    with pytest.raises(SyntaxGateError, match="shaped like a JSON-LD keyword"):
        parse_jsonld(doc, name="a.jsonld")


def test_plain_json_is_read_with_the_expand_context_setting(tmp_path, monkeypatch):
    (tmp_path / "ctx.jsonld").write_text(
        '{"@context": {"@vocab": "http://schema.org/", "id": "@id"}}'
    )
    monkeypatch.setenv("CHMGRAPH_JSONLD_EXPAND_CONTEXT", str(tmp_path / "ctx.jsonld"))
    path = tmp_path / "feed.json"
    path.write_text('{"id": "http://e/a", "name": "A"}')
    (quad,) = read_quads(path)
    assert (quad.subject, quad.predicate) == (
        ox.NamedNode("http://e/a"),
        ox.NamedNode("http://schema.org/name"),
    )


def test_expand_context_naming_a_remote_context_is_still_refused(tmp_path, monkeypatch):
    (tmp_path / "ctx.jsonld").write_text('{"@context": "https://schema.org/"}')
    monkeypatch.setenv("CHMGRAPH_JSONLD_EXPAND_CONTEXT", str(tmp_path / "ctx.jsonld"))
    path = tmp_path / "feed.json"
    path.write_text('{"@id": "http://e/a", "name": "A"}')
    with pytest.raises(SyntaxGateError, match=r"https://schema\.org/ is not fetched"):
        read_quads(path)


def test_unreadable_expand_context_names_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("CHMGRAPH_JSONLD_EXPAND_CONTEXT", str(tmp_path / "missing.jsonld"))
    path = tmp_path / "a.jsonld"
    path.write_text('{"@id": "http://e/a", "http://e/p": "x"}')
    with pytest.raises(InputError, match=r"CHMGRAPH_JSONLD_EXPAND_CONTEXT: .*missing\.jsonld"):
        read_quads(path)


DIRECTED = (
    b'{"@id": "http://e/a", "http://e/p": {"@value": "x", "@language": "ar", "@direction": "rtl"}}'
)


def test_base_direction_is_dropped_by_default_and_kept_with_the_setting(tmp_path, monkeypatch):
    path = tmp_path / "a.jsonld"
    path.write_bytes(DIRECTED)
    (quad,) = read_quads(path)
    assert quad.object == ox.Literal("x", language="ar")
    monkeypatch.setenv("CHMGRAPH_JSONLD_RDF_DIRECTION", "i18n-datatype")
    (quad,) = read_quads(path)
    assert quad.object == ox.Literal(
        "x", datatype=ox.NamedNode("https://www.w3.org/ns/i18n#ar_rtl")
    )
    monkeypatch.setenv("CHMGRAPH_JSONLD_RDF_DIRECTION", "compound-literal")
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    predicates = {q.predicate.value for q in read_quads(path)}
    assert predicates == {"http://e/p", rdf + "value", rdf + "language", rdf + "direction"}


def test_json_ld_1_0_mode_refuses_a_1_1_feature(tmp_path, monkeypatch):
    path = tmp_path / "a.jsonld"
    path.write_text('{"@context": {"@version": 1.1}, "@id": "http://e/a", "http://e/p": "x"}')
    assert len(read_quads(path)) == 1
    monkeypatch.setenv("CHMGRAPH_JSONLD_PROCESSING_MODE", "json-ld-1.0")
    with pytest.raises(SyntaxGateError, match="processing mode conflict"):
        read_quads(path)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CHMGRAPH_JSONLD_PROCESSING_MODE", "1.1"), ("CHMGRAPH_JSONLD_RDF_DIRECTION", "rtl")],
)
def test_unknown_option_value_names_the_variable(tmp_path, monkeypatch, variable, value):
    path = tmp_path / "a.jsonld"
    path.write_text('{"@id": "http://e/a", "http://e/p": "x"}')
    monkeypatch.setenv(variable, value)
    with pytest.raises(InputError, match=f"{variable}='{value}': expected"):
        read_quads(path)

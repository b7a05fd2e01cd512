"""Hostile input on the command line: entity expansion in RDF/XML, and SERVICE calls written to
slip past the allowlist. Each case is refused with a clear message and exit 2, quickly, and no
request leaves the machine."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from chmgraph.cli import cli
from chmgraph.errors import SyntaxGateError
from chmgraph.network import Network
from chmgraph.query.policy import ServiceRefused, check_services
from chmgraph.settings import DATA_DIR

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"

# A "billion laughs": ten levels of ten references, 10^9 copies of "lol" once expanded.
LAUGHS = "\n".join(
    [
        '<?xml version="1.0"?>',
        "<!DOCTYPE rdf:RDF [",
        '  <!ENTITY lol0 "lol">',
        *(f'  <!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)),
        "]>",
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"',
        '         xmlns:ex="https://example.org/chmgraph/synthetic/">',
        '  <rdf:Description rdf:about="https://example.org/chmgraph/synthetic/s">',
        "    <ex:p>&lol9;</ex:p>",
        "  </rdf:Description>",
        "</rdf:RDF>",
    ]
).encode()


@pytest.fixture
def laughs(tmp_path: Path) -> Path:
    path = tmp_path / "laughs.rdf"
    path.write_bytes(LAUGHS)
    return path


def test_rdf_xml_with_entity_declarations_is_refused_before_expansion(
    laughs: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    validated = CliRunner().invoke(cli, ["validate", str(laughs)])
    assert validated.exit_code == 2 and "Traceback" not in validated.output
    assert f"{laughs}:2:1: syntax error: a DOCTYPE" in validated.stderr
    store = tmp_path / "store"
    assert CliRunner().invoke(cli, ["init", "--store", str(store)]).exit_code == 0
    submitted = CliRunner().invoke(
        cli, ["submit", str(laughs), "--country", "CM", "--store", str(store)]
    )
    assert submitted.exit_code == 2 and "a DOCTYPE" in submitted.stderr
    assert time.monotonic() - started < 30
    with Network.open(store, read_only=True) as network:
        assert network.history("CM") == []


def test_rdf_xml_without_a_doctype_still_reads(tmp_path: Path) -> None:
    plain = LAUGHS.split(b"]>\n", 1)[1].replace(b"&lol9;", b"lol")
    path = tmp_path / "plain.rdf"
    path.write_bytes(b'<?xml version="1.0"?>\n<!-- a comment -->\n' + plain)
    result = CliRunner().invoke(cli, ["validate", str(path), "--shapes", str(path)])
    assert "DOCTYPE" not in result.output and "syntax error" not in result.output


UNLISTED = "http://127.0.0.1:{port}/sparql"
BYPASSES = [
    # Escapes in local names that a naive reader takes for a comment or a string.
    "PREFIX ex: <https://example.org/chmgraph/synthetic/> "
    "SELECT * WHERE {{ ?s ex:a\\#b ?o . SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX ex: <https://example.org/chmgraph/synthetic/> "
    "SELECT * WHERE {{ ?s ex:a\\'b ?o . SERVICE <{url}> {{ ?s ?p ?o }} }}",
    # A keyword written with codepoint escapes, or in any case; SILENT; a prefixed name.
    "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ sErViCe SILENT <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX e: <{url}#> SELECT * WHERE {{ SERVICE e:x {{ ?s ?p ?o }} }}",
    # A variable as the endpoint: unknown until the query runs.
    "SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    # A quote written as a codepoint escape in strings: the engine reads it as a character of
    # the string, a reader that decodes every escape first sees one string over the SERVICE.
    'SELECT * WHERE {{ BIND("\\u0022" AS ?a) SERVICE <{url}> {{ ?s ?p ?o }} '
    'BIND("\\u0022" AS ?b) }}',
    # A comment ended by an escaped line break: what follows is the query's.
    "SELECT * WHERE {{ # a comment\\u000A SERVICE <{url}> {{ ?s ?p ?o }} }}",
    # Braces and the endpoint's IRI written with escapes.
    "SELECT * WHERE \\u007B SERVICE \\u003C{url}> {{ ?s ?p ?o }} }}",
]


@pytest.mark.parametrize("template", BYPASSES)
def test_no_way_of_writing_service_reaches_an_unlisted_endpoint(
    template: str, network: Network
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        contacted = threading.Event()

        def accept() -> None:
            try:
                listener.accept()[0].close()
                contacted.set()
            except OSError:
                pass

        waiter = threading.Thread(target=accept)
        waiter.start()
        query = template.format(url=UNLISTED.format(port=port))
        with pytest.raises(ServiceRefused):
            network.query(query)
        waiter.join()
    assert not contacted.is_set()


ESCAPED = [
    # SPARQL reads codepoint escapes anywhere (its section 19.2): in keywords, variables,
    # punctuation, names, strings and IRIs. Each query is asked as written and in plain text.
    (
        r"selec\u0074 ?\u006E WHERE \u007B ?s a chm:Countr\u0079 . BIND(1 AS ?n) } LIMIT 3",
        "select ?n WHERE { ?s a chm:Country . BIND(1 AS ?n) } LIMIT 3",
    ),
    (r'SELECT ?x { BIND("a\u0022b\u005C" AS ?x) }', r'SELECT ?x { BIND("a\"b\\" AS ?x) }'),
    (
        r"\u0041SK { ?s a <https://w3id.org/chmgraph/vocab#\u0043ountry> }",
        "ASK { ?s a <https://w3id.org/chmgraph/vocab#Country> }",
    ),
    (
        r"CONSTRUC\U00000054 { ?s a chm:Country } WHERE { ?s a chm:Country }",
        "CONSTRUCT { ?s a chm:Country } WHERE { ?s a chm:Country }",
    ),
]


@pytest.mark.parametrize(("escaped", "plain"), ESCAPED)
def test_codepoint_escapes_anywhere_in_a_query_are_read(
    escaped: str, plain: str, network: Network
) -> None:
    assert "\\u" in escaped.lower()
    written, asked = network.query(escaped), network.query(plain)
    assert written.form == asked.form
    assert (written.rows, set(written.triples), written.boolean) == (
        asked.rows,
        set(asked.triples),
        asked.boolean,
    )
    assert written.rows or written.triples or written.boolean


def test_an_error_after_an_escape_is_placed_in_the_text_as_written(network: Network) -> None:
    with pytest.raises(SyntaxGateError) as plain:
        network.query("SELECT * { ?s ?p ?o } LIMIT 1 OOPS")
    with pytest.raises(SyntaxGateError) as escaped:
        network.query(r"SELECT * { ?s ?p ?o } LIMIT \u0031 OOPS")
    assert escaped.value.column == plain.value.column + 5


def test_service_in_strings_and_comments_is_no_service() -> None:
    check_services('SELECT * WHERE { ?s ?p "SERVICE <http://x/>" }', [])
    check_services("SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/>", [])
    check_services("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }", ["http://x/"])


def test_deeply_nested_blank_nodes_are_refused_before_they_hold_the_store(tmp_path: Path) -> None:
    # 800 levels of [ ] in 15 KB: canonical labelling alone would take minutes.
    nested = "[ <https://example.org/chmgraph/synthetic/p> " * 800 + "1" + " ]" * 800
    path = tmp_path / "nested.ttl"
    path.write_text(f"<https://example.org/chmgraph/synthetic/s> a {nested} .\n")
    store = tmp_path / "store"
    assert CliRunner().invoke(cli, ["init", "--store", str(store)]).exit_code == 0
    started = time.monotonic()
    result = CliRunner().invoke(
        cli, ["submit", str(path), "--country", "CM", "--store", str(store)]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "800 blank nodes are linked to one another; at most 128" in result.stderr
    assert time.monotonic() - started < 10

"""Property-based fuzzing (Hypothesis) of the input paths that need no server: SPARQL queries
with SERVICE written in every lexical form the grammar allows, RDF files of every format
mutated byte by byte, and settings from the environment.

What must hold for every input generated: no traceback (only chmgraph's own errors, which the
CLI prints in one line and exits 1, 2 or 3 with), no request to an endpoint off the allowlist
(a canary server on loopback records every request), and no query refused for a SERVICE that
is only in a comment or a string."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability import record, soak_number

from chmgraph.cli import cli
from chmgraph.errors import ChmgraphError
from chmgraph.network import Network
from chmgraph.query.policy import ServiceRefused
from chmgraph.rdfio import parse_bytes
from chmgraph.settings import DATA_DIR, Settings, env_var
from chmgraph.store import OxigraphStore

EXAMPLE = (DATA_DIR / "examples" / "national-chm-example.ttl").read_bytes()
FUZZ = settings(
    max_examples=int(soak_number("SOAK_FUZZ_EXAMPLES", 150)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
EMPTY_RESULTS = b'{"head": {"vars": []}, "results": {"bindings": []}}'


class Canary:
    """A SPARQL endpoint on loopback that answers nothing and records every path asked."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.paths.append(self.path.split("?")[0])
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(EMPTY_RESULTS)))
                self.end_headers()
                self.wfile.write(EMPTY_RESULTS)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    found = Canary()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture(scope="module")
def network(canary: Canary) -> Iterator[Network]:
    allowed = Settings(service_allowlist=(f"{canary.base}/listed",))
    with Network(OxigraphStore(None), settings=allowed) as found:
        yield found


def escaped(text: str, draw) -> str:
    r"""``text`` with some characters written as SPARQL codepoint escapes (\u0053, \U00000053)."""
    out = []
    for char in text:
        form = draw(st.sampled_from(["plain", "plain", "plain", "u", "U"]))
        out.append(
            char
            if form == "plain"
            else (f"\\u{ord(char):04X}" if form == "u" else f"\\U{ord(char):08x}")
        )
    return "".join(out)


def any_case(word: str, draw) -> str:
    return "".join(draw(st.sampled_from([c.lower(), c.upper()])) for c in word)


GAPS = st.sampled_from([" ", "\t", "\n", "  ", " # SERVICE <http://127.0.0.1:1/x> {}\n", "\r\n"])
NOISE = st.sampled_from(
    [
        '?s ex:p "SERVICE <http://127.0.0.1:1/x> { ?a ?b ?c }" .',
        "?s ex:p 'it\\'s SERVICE' .",
        '?s ex:p """multi\nline SERVICE <x>""" .',
        "?s ex:p '''SERVICE ?x'''.",
        "?s ex:a\\#b ?o .",
        "?s ex:a\\'b ?o .",
        "?s ex:a\\.b\\-c ?o .",
        "?s <http://example.org/chmgraph/synthetic/#SERVICE> ?o .",
        "# } SERVICE <http://127.0.0.1:1/x> {\n?s ?p ?o .",
        '?s ex:p "\\" SERVICE <http://127.0.0.1:1/x> { }" .',
        '?s ex:p ?o FILTER(?o != "{ SERVICE }") .',
        # A quote as a codepoint escape: a character of the string, not its end.
        '?s ex:p "\\u0022" .',
        "?s ex:p '\\u0027 } SERVICE <http://127.0.0.1:1/x> { \\u0027' .",
        # Escapes outside strings: a variable, a brace, a comment's line break.
        "?\\u0073 ex:p ?o .",
        "\\u007B ?s ex:p ?o \\u007D",
        "# a comment\\u000A?s ex:p ?o .",
    ]
)


@st.composite
def service_queries(draw, base: str) -> tuple[str, bool]:
    """A query, and whether it calls an endpoint off the allowlist."""
    noise = " ".join(draw(st.lists(NOISE, max_size=3)))
    after = " ".join(draw(st.lists(NOISE, max_size=2)))  # noise may enclose the call
    keyword = escaped(any_case("SERVICE", draw), draw)
    silent = escaped(any_case("SILENT", draw), draw) + draw(GAPS) if draw(st.booleans()) else ""
    target = draw(st.sampled_from(["unlisted", "listed"]))
    form = draw(st.sampled_from(["iri", "escaped-iri", "prefixed", "variable", "none"]))
    url = f"{base}/{target}"
    bind = ""
    if form == "iri":
        endpoint = f"<{url}>"
    elif form == "escaped-iri":
        endpoint = f"<{escaped(url, draw)}>"
    elif form == "prefixed":
        endpoint = "e:" + ("un\\-listed" if target == "unlisted" else "listed")
    else:
        endpoint = "?endpoint"
        bind = f"BIND(<{url}> AS ?endpoint) "
    call = (
        ""
        if form == "none"
        else f"{keyword}{draw(GAPS)}{silent}{endpoint}{draw(GAPS)}{{ ?x ?y ?z }}"
    )
    select = any_case("SELECT", draw)
    text = (
        "PREFIX ex: <http://example.org/chmgraph/synthetic/>\n"
        f"PREFIX e: <{base}/>\n"
        f"{select} * WHERE {{ {noise} {bind}{call} {after} }}"
    )
    # A prefixed name or a variable cannot be checked before the query runs: refused as well.
    refused = form in ("prefixed", "variable") or (form != "none" and target == "unlisted")
    return text, refused


@given(data=st.data())
@FUZZ
def test_no_way_of_writing_a_query_reaches_an_unlisted_endpoint(
    data, network: Network, canary: Canary
) -> None:
    text, refused = data.draw(service_queries(canary.base))
    before = len(canary.paths)
    try:
        network.query(text)
        outcome = "ran"
    except ServiceRefused:
        outcome = "refused"
    assert all(path == "/listed" for path in canary.paths[before:]), (text, canary.paths)
    # Codepoint escapes anywhere (SPARQL reads them before its grammar) leave a valid query
    # valid: it runs, or is refused for its SERVICE alone.
    assert outcome == ("refused" if refused else "ran"), text


@pytest.fixture(scope="module", autouse=True)
def figures(canary: Canary) -> Iterator[None]:
    yield
    unlisted = [p for p in canary.paths if p != "/listed"]
    record("fuzz-service", examples=FUZZ.max_examples, canary_requests_off_list=len(unlisted))


FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdf": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
_QUADS = list(ox.parse(EXAMPLE, format=ox.RdfFormat.TURTLE))


def _document(extension: str) -> bytes:
    rdf_format = FORMATS[extension]
    if rdf_format.supports_datasets:
        graph = ox.NamedNode("https://w3id.org/chmgraph/graph/national/CM")
        return ox.serialize(
            [ox.Quad(q.subject, q.predicate, q.object, graph) for q in _QUADS], format=rdf_format
        )
    return ox.serialize([q.triple for q in _QUADS], format=rdf_format)


DOCUMENTS = {extension: _document(extension) for extension in FORMATS}
SPICE = st.sampled_from(
    [
        b"<",
        b">",
        b'"',
        b"\\",
        b"@",
        b"{",
        b"}",
        b"[",
        b"]",
        b"\x00",
        b"\xff",
        b"\xc3",
        b"&",
        b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
        b'"@context": "http://127.0.0.1:1/c"',
        b"_:b",
        b"#",
        b"\\u0000",
        b"^^",
        b"PREFIX",
        b"@prefix",
        b"\n",
        b" ",
        b"]]>",
        b"rdf:parseType",
    ]
)


@st.composite
def mutants(draw) -> tuple[str, bytes]:
    extension = draw(st.sampled_from(sorted(FORMATS)))
    data = bytearray(DOCUMENTS[extension])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "cut"]))
        if action == "insert":
            data[at:at] = draw(SPICE)
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 20))]
        elif action == "replace":
            data[at : at + 1] = draw(st.binary(min_size=1, max_size=3))
        else:
            del data[at:]
    return extension, bytes(data)


@given(mutant=mutants())
@settings(max_examples=2 * int(soak_number("SOAK_FUZZ_EXAMPLES", 150)), deadline=2000)
def test_a_mutated_file_of_any_format_reads_or_is_refused_in_one_line(mutant) -> None:
    extension, data = mutant
    try:
        parse_bytes(data, name=f"mutant.{extension}", format=FORMATS[extension])
    except ChmgraphError as exc:
        message = str(exc)
        assert message.startswith(f"mutant.{extension}") and "\n" not in message.strip(), message


@given(mutant=mutants())
@settings(max_examples=6, deadline=None)
def test_validate_exits_0_1_or_2_on_mutated_files(mutant, tmp_path_factory) -> None:
    extension, data = mutant
    path = tmp_path_factory.mktemp("mutant") / f"cm.{extension}"
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["validate", str(path), "--country", "CM"])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


SETTING_NAMES = sorted(f.name for f in fields(Settings))


@given(name=st.sampled_from(SETTING_NAMES), value=st.text(max_size=40))
@settings(max_examples=int(soak_number("SOAK_FUZZ_EXAMPLES", 150)), deadline=None)
def test_any_setting_value_is_taken_or_refused_naming_its_variable(name, value) -> None:
    variable = env_var(name)
    if "\x00" in value:
        return  # no environment can hold a NUL
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(variable, value)
        try:
            Settings.from_env()
        except ChmgraphError as exc:
            assert variable in str(exc), (variable, value, str(exc))


def test_the_fuzzers_documents_are_whole() -> None:
    # Each unmutated document reads back to the example's statements: the mutants start real.
    for extension, data in DOCUMENTS.items():
        quads = parse_bytes(data, name=f"cm.{extension}", format=FORMATS[extension])
        assert len(quads) == len(_QUADS), extension
    assert json.loads(DOCUMENTS["jsonld"])


def test_a_parser_error_quoting_line_breaks_is_one_line() -> None:
    # Found by the fuzzer: RDF/XML's parser quotes the text it stopped at, newlines and tabs.
    broken = DOCUMENTS["rdf"].replace(b"</label>", b"</label>>", 1)
    with pytest.raises(ChmgraphError) as refused:
        parse_bytes(broken, name="cm.rdf", format=ox.RdfFormat.RDF_XML)
    assert "\n" not in str(refused.value) and "\\n" in str(refused.value), str(refused.value)

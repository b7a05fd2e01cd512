"""The query library against a remote SPARQL 1.1 endpoint: an Oxigraph server started on
loopback, loaded with the seed network's current and inferred graphs."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections import Counter

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from servers import OXIGRAPH, free_port, oxigraph_server

from chmgraph import iris
from chmgraph.cli import cli
from chmgraph.entailment import inferred_graph
from chmgraph.errors import ChmgraphError, InputError, StoreError
from chmgraph.query import ServiceRefused, run_query
from chmgraph.query.library import NamedQuery, QueryLibrary
from chmgraph.query.remote import run_remote
from chmgraph.settings import Settings
from chmgraph.store import RemoteStore

LIBRARY = QueryLibrary.load()
# These two range over GRAPH ?g, which at the endpoint also reaches the inferred graphs.
NAMED_GRAPH_QUERIES = {"graph-statistics", "fact-provenance"}


@pytest.fixture(scope="module")
def endpoint(network, tmp_path_factory):
    folder = tmp_path_factory.mktemp("endpoint")
    graphs = network.current_graphs()
    quads = [
        q for g in graphs + [inferred_graph(g) for g in graphs] for q in network.store.quads(g)
    ]
    dump = folder / "seed.nq"
    dump.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")
    location = folder / "db"
    subprocess.run(
        [OXIGRAPH, "load", "--location", location, "--file", dump], check=True, capture_output=True
    )
    with oxigraph_server(location, "--union-default-graph") as url:
        yield url + "/query"


def answers(result) -> Counter:
    if result.form == "ASK":
        return Counter([result.boolean])
    if result.form == "SELECT":
        return Counter(tuple(map(unordered, row)) for row in result.rows)
    return Counter(result.triples)


def unordered(term):
    """A GROUP_CONCAT's parts, sorted: SPARQL leaves their order to the engine."""
    if isinstance(term, ox.Literal):
        for separator in (" | ", ", "):
            if separator in term.value:
                return tuple(sorted(term.value.split(separator)))
    return term


@pytest.mark.parametrize("name", sorted(set(LIBRARY.names) - NAMED_GRAPH_QUERIES))
def test_each_query_answers_the_same_remotely(network, endpoint, name):
    local = run_query(network, LIBRARY[name])
    remote = run_remote(endpoint, LIBRARY[name])
    assert remote.variables == local.variables
    assert answers(remote) == answers(local)


@pytest.mark.parametrize("name", sorted(NAMED_GRAPH_QUERIES))
def test_named_graph_queries_find_every_local_answer_remotely(network, endpoint, name):
    local = run_query(network, LIBRARY[name])
    remote = run_remote(endpoint, LIBRARY[name])
    assert set(local.rows) <= set(remote.rows)


def test_parameters_and_graphs_go_to_the_endpoint(endpoint):
    belgium = run_remote(
        endpoint, LIBRARY["workshops-by-supporter"], params={"supporter": "chmid:government/BE"}
    )
    assert set(belgium.values("city")) == {"Buea", "Marrakech"}
    partners = run_remote(endpoint, LIBRARY["national-chm-partners"], graphs=["CM"])
    assert partners.values("partner") == [iris.ID + "org/belgian-partnership-chm"]
    assert partners.values("partnerName") == [None]  # the label lives in the CBD graph


def test_a_crafted_value_cannot_break_out_remotely(endpoint):
    query = NamedQuery.from_text(
        "# param name: string ; a label\n"
        "SELECT ?thing WHERE { ?thing rdfs:label ?label FILTER(STR(?label) = ?name) }"
    )
    assert run_remote(endpoint, query, params={"name": "Government of Japan"}).values("thing") == [
        iris.government("JP")
    ]
    crafted = 'x") || true || ("'
    assert len(run_remote(endpoint, query, params={"name": crafted})) == 0


def test_a_refused_service_sends_nothing_to_the_endpoint():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/query"
        with pytest.raises(ServiceRefused):
            run_remote(url, "SELECT * { SERVICE <https://evil.example/sparql> { ?s ?p ?o } }")
        with pytest.raises(TimeoutError):
            listener.accept()


def test_endpoint_errors_are_messages(endpoint):
    with pytest.raises(InputError, match="the endpoint refused the query"):
        run_remote(endpoint, "SELECT ?x WHERE { ?x ?p ?o } ORDER ?x")
    with pytest.raises(StoreError, match="cannot reach the SPARQL endpoint"):
        run_remote(f"http://127.0.0.1:{free_port()}/query", "ASK {}")


def test_the_cli_runs_the_library_at_an_endpoint(endpoint):
    result = CliRunner().invoke(
        cli, ["query", "workshops-by-supporter", "--endpoint", endpoint, "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 6  # a header and Japan's five workshops


ANSWER = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"1"}}]}}'


class Scripted:
    """An HTTP server on loopback that answers its connections in turn with the given raw
    responses (None: closes the connection unanswered) and keeps each request's head."""

    def __init__(self, *responses: bytes | None) -> None:
        self.heads: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/sparql"
        self._thread = threading.Thread(target=self._serve, args=(responses,), daemon=True)
        self._thread.start()

    def _serve(self, responses: tuple[bytes | None, ...]) -> None:
        for response in responses:
            connection, _ = self._listener.accept()
            with connection:
                received = b""
                while b"\r\n\r\n" not in received:
                    received += connection.recv(65536)
                self.heads.append(received.split(b"\r\n\r\n")[0])
                if response is not None:
                    connection.sendall(response)
        self._listener.close()


def answered(body: bytes, status: str = "200 OK", length: int | None = None) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/sparql-results+json\r\n"
        f"content-length: {len(body) if length is None else length}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def test_a_read_is_sent_again_when_the_connection_drops():
    server = Scripted(None, answered(ANSWER))
    assert run_remote(server.url, "SELECT ?x {}").values("x") == ["1"]
    assert len(server.heads) == 2


def test_an_answer_cut_short_is_an_error_not_a_partial_answer():
    # Two rows promised by the length, the connection closed after the first: every attempt.
    cut = ANSWER[:-3]
    server = Scripted(*[answered(cut, length=len(ANSWER))] * 3)
    with pytest.raises(StoreError, match="broke off its answer"):
        run_remote(server.url, "SELECT ?x {}")
    # A body that ends where its length says, but is not a whole answer.
    server = Scripted(answered(cut))
    with pytest.raises(ChmgraphError, match="answer cannot be read"):
        run_remote(server.url, "SELECT ?x {}")


def test_endpoint_credentials_are_sent_never_printed(tmp_path, monkeypatch):
    refused = answered(b"who are you", status="401 Unauthorized")
    server = Scripted(refused)
    settings = Settings(endpoint_user="steward", endpoint_password="s3cret-word")
    with pytest.raises(StoreError, match="refused the credentials") as error:
        run_remote(server.url, "ASK {}", settings=settings)
    assert b"Authorization: Basic c3Rld2FyZDpzM2NyZXQtd29yZA==" in server.heads[0]
    assert "s3cret" not in str(error.value)
    # Without settings, the netrc file's entry for the host.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login reader password n3trc-word\n")
    monkeypatch.setenv("NETRC", str(netrc))
    server = Scripted(refused)
    with pytest.raises(StoreError, match="refused the credentials") as error:
        run_remote(server.url, "ASK {}", settings=Settings())
    assert b"Authorization: Basic cmVhZGVyOm4zdHJjLXdvcmQ=" in server.heads[0]
    assert "n3trc" not in str(error.value)


def test_an_endpoint_is_read_only(endpoint):
    with RemoteStore.endpoint(endpoint) as store, pytest.raises(StoreError, match="read only"):
        store.update("INSERT DATA { <urn:x:s> <urn:x:p> <urn:x:o> }")
    assert run_remote(endpoint, "ASK { <urn:x:s> ?p ?o }").boolean is False

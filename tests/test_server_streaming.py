"""``chmgraph serve`` streams answers: the first bytes of a large answer arrive while the query
is still producing it, a client that goes frees the query's slot, the status is decided before
the first byte, and the row cap holds. Real servers on loopback, real HTTP."""

from __future__ import annotations

import contextlib
import gc
import json
import socket
import sys
import threading
import time

import httpx
import pytest
from servers import free_port
from serving import Served

from chmgraph.errors import SyntaxGateError
from chmgraph.network import Network
from chmgraph.query.run import plan_query
from chmgraph.query.stream import Chunks, Stopped, write_answer
from chmgraph.settings import Settings

# Every triple of the store beside every other: 10^7 rows or more, an answer of gigabytes, which
# no server could hold or finish within these tests' timeouts.
ENDLESS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
JSON = {"Accept": "application/sparql-results+json"}
NO_ROWS = 100_000_000_000
TIMEOUT_S = 20
# Loopback, where nothing listens: a SERVICE call that fails while the query is evaluated.
DEAD_ENDPOINT = f"http://127.0.0.1:{free_port()}/sparql"


class SilentEndpoint:
    """A loopback port that takes connections and never answers, until ``hang_up``."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/sparql"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._take, daemon=True).start()

    def _take(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.held.append(self.listener.accept()[0])

    def hang_up(self) -> None:
        for connection in self.held:
            connection.close()

    def close(self) -> None:
        self.hang_up()
        self.listener.close()


@pytest.fixture(scope="module")
def silent_endpoint():
    endpoint = SilentEndpoint()
    yield endpoint
    endpoint.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, silent_endpoint):
    """A server with one query slot, room for one abandoned query, ``TIMEOUT_S`` per query, and
    no practical row cap."""
    env = {
        "CHMGRAPH_SERVER_MAX_CONCURRENT_QUERIES": "1",
        "CHMGRAPH_SERVER_MAX_ABANDONED_QUERIES": "1",
        "CHMGRAPH_QUERY_TIMEOUT_S": str(TIMEOUT_S),
        "CHMGRAPH_MAX_ROWS": str(NO_ROWS),
        "CHMGRAPH_SERVICE_ALLOWLIST": f"{DEAD_ENDPOINT} {silent_endpoint.url}",
    }
    server = Served(tmp_path_factory.mktemp("streaming"), env=env)
    yield server
    server.stop()


def test_a_large_answer_starts_arriving_before_the_query_has_produced_it(served):
    started = time.monotonic()
    with served.http.stream("GET", "/sparql", params={"query": ENDLESS}, headers=JSON) as got:
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/sparql-results+json"
        assert "content-length" not in got.headers  # sent as it is written
        chunks = got.iter_bytes()
        first = next(chunks)
        assert first.startswith(b'{"head":{"vars":["a","b","c","d","e","f"]}')
        # The client reads no more until the query's time is up: the server waits for it
        # (a few chunks in flight), then cuts the answer, visibly incomplete (the connection
        # closes before the end of the chunked body), never closed as if whole.
        time.sleep(max(0.0, started + TIMEOUT_S + 1 - time.monotonic()))
        with pytest.raises(httpx.RemoteProtocolError):
            for _ in chunks:
                pass
    log = served.log.read_text()
    assert "an answer was cut after it started" in log and "query_timeout_s" in log
    assert "Traceback" not in log


def test_a_query_that_fails_before_its_first_row_gets_its_status(served):
    query = f"SELECT * WHERE {{ SERVICE <{DEAD_ENDPOINT}> {{ ?s ?p ?o }} }}"
    failed = served.http.get("/sparql", params={"query": query}, headers=JSON)
    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("text/plain")
    assert failed.text.startswith("the query failed") and "Traceback" not in failed.text


def test_a_query_slower_than_the_timeout_gets_503_on_time(served, silent_endpoint):
    # The query waits on a SERVICE endpoint that never answers: it has no first row to write.
    started = time.monotonic()
    slow = served.http.get("/sparql", params={"query": _hanging(silent_endpoint)})
    assert slow.status_code == 503
    assert "query_timeout_s" in slow.text
    assert time.monotonic() - started < TIMEOUT_S + 10
    try:
        # The engine cannot cancel it, but its request's slot is free: it runs on, abandoned.
        assert served.http.get("/sparql", params={"query": _small()}).status_code == 200
        # A second one given up (its client goes) while the first still runs finds no room
        # among the abandoned (one, in this server): it keeps its slot until it ends.
        _give_up(served, _hanging(silent_endpoint))
        assert served.http.get("/sparql", params={"query": _small()}).status_code == 503
    finally:
        silent_endpoint.hang_up()
    assert _answered_soon(served).status_code == 200


def test_clients_that_go_before_the_first_row_do_not_make_the_next_ones_wait(
    served, silent_endpoint
):
    try:
        for _ in range(3):
            # Gone after a second, before the query (which waits on the endpoint) has a row.
            _give_up(served, _hanging(silent_endpoint))
            gone = time.monotonic()
            got = _answered_soon(served)
            assert got.status_code == 200, got.text
            assert time.monotonic() - gone < TIMEOUT_S / 2
            # The abandoned query is let go before the next round, so the one room for an
            # abandoned query is free again (it is taken for each round).
            silent_endpoint.hang_up()
            time.sleep(1)
    finally:
        silent_endpoint.hang_up()
    log = served.log.read_text()
    assert '"GET /sparql" 499' in log and "Traceback" not in log


def _hanging(endpoint: SilentEndpoint) -> str:
    """A query whose SERVICE call waits on ``endpoint``, which never answers."""
    return f"SELECT * WHERE {{ SERVICE <{endpoint.url}> {{ ?s ?p ?o }} }} # {time.monotonic_ns()}"


def _give_up(served: Served, query: str) -> None:
    """Ask ``query`` and close the connection after a second, before any answer."""
    with (
        httpx.Client(base_url=served.url, timeout=1) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get("/sparql", params={"query": query})
    time.sleep(0.3)  # the server sees the connection closed


def test_a_client_that_goes_mid_answer_frees_the_slot(served):
    with (
        httpx.Client(base_url=served.url, timeout=60) as client,
        client.stream("GET", "/sparql", params={"query": ENDLESS, "format": "csv"}) as streaming,
    ):
        assert streaming.status_code == 200
        # Held, not dropped: a dropped iterator closes the connection at once, which the server
        # rightly takes for a client that went.
        chunks = streaming.iter_bytes()
        next(chunks)
        busy = served.http.get("/sparql", params={"query": _small()})
        assert busy.status_code == 503 and busy.headers["retry-after"]
    # The client has closed the connection mid-answer: the worker stops at its next chunk,
    # well before the query's timeout would have stopped it.
    gone = time.monotonic()
    assert _answered_soon(served).status_code == 200
    assert time.monotonic() - gone < TIMEOUT_S
    assert "Traceback" not in served.log.read_text()


def _small() -> str:
    """A small query, never asked before (so never answered from the result cache)."""
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ ?w a chm:Workshop }} # {time.monotonic_ns()}"


def _answered_soon(served: Served) -> httpx.Response:
    """The small query's answer once its slot is free (at most ``TIMEOUT_S`` from now)."""
    until = time.monotonic() + TIMEOUT_S
    while True:
        got = served.http.get("/sparql", params={"query": _small()})
        if got.status_code != 503 or time.monotonic() > until:
            return got
        time.sleep(0.1)


def test_the_row_cap_holds_for_rows_and_triples():
    # The path /sparql writes answers by, in this process: the cap is the same code there.
    network = Network.in_memory()
    network.init()
    settings = Settings(max_rows=5)

    def answer(query: str, format: str) -> bytes:
        chunks: list[bytes] = []
        plan = plan_query(network, query, settings=settings)
        write_answer(plan, format, Chunks(chunks.append, settings=settings), settings)
        return b"".join(chunks)

    rows = json.loads(answer("SELECT * WHERE { ?s ?p ?o }", "json"))
    assert len(rows["results"]["bindings"]) == 5
    fewer = json.loads(answer("SELECT * WHERE { ?s ?p ?o } LIMIT 2", "json"))
    assert len(fewer["results"]["bindings"]) == 2
    values = "SELECT ?s ?o WHERE { ?s ?p ?o } VALUES ?p { rdfs:label }"
    assert len(answer(values, "tsv").splitlines()) == 1 + 5
    triples = answer("CONSTRUCT WHERE { ?s ?p ?o }", "ntriples")
    assert len(triples.splitlines()) == 5
    with pytest.raises(SyntaxGateError) as error:
        answer("SELECT * WHERE { ?s ?p ?o", "json")
    assert error.value.line == 1  # where the user's text ends, not where the cap was added


def test_an_answer_stopped_mid_way_is_dropped_on_the_thread_that_ran_it():
    # pyoxigraph refuses to drop an answer on another thread (an error on standard error, and
    # the answer's memory kept for good): the server hands a failed answer's exception, and
    # its ``Chunks``, to the event loop's thread, where they are dropped.
    network = Network.in_memory()
    network.init()
    settings = Settings()
    handed: list[object] = []

    def deliver(chunk: bytes) -> None:
        raise Stopped("the client went away")

    def worker() -> None:
        out = Chunks(deliver, settings=settings)
        plan = plan_query(network, ENDLESS, settings=settings)
        try:
            write_answer(plan, "csv", out, settings)
        except Stopped as exc:
            handed.extend([exc, out])

    refused: list[str] = []
    hook, sys.unraisablehook = sys.unraisablehook, lambda u: refused.append(str(u.exc_value))
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert len(handed) == 2
        handed.clear()
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert refused == []

"""``chmgraph serve`` attacked as a hostile client would, over real HTTP on loopback.

No write without the right credential on any write route; no path out of the dump or the Linked
Data space, encoded or not; no request to a host not allowed (a canary server on loopback that
must receive nothing) through SERVICE, JSON-LD contexts or RDF/XML entities in uploads; slow and
oversized bodies cut off; tokens never in an answer or the log."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability import record, soak_number
from serving import Served
from sites import Site

from chmgraph import iris
from chmgraph.settings import DATA_DIR

EXAMPLE = (DATA_DIR / "examples" / "national-chm-example.ttl").read_bytes()
FR_GRAPH = iris.national_graph("FR")
CM_GRAPH = iris.national_graph("CM")
TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
VOID = "http://rdfs.org/ns/void#"
ONE_TRIPLE = b"<https://example.org/chmgraph/synthetic/s> <https://example.org/p> 1 .\n"


class Canary:
    """An HTTP server on loopback that records every request it gets: nothing may reach it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.end_headers()
                self.wfile.write(b'{"@context": {"x": "http://example.org/x"}}')

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    server = Served(
        tmp_path_factory.mktemp("secure"),
        env={
            "CHMGRAPH_SERVER_BODY_TIMEOUT_S": "2",
            "CHMGRAPH_SERVER_HEADER_TIMEOUT_S": "2",
            "CHMGRAPH_SERVER_VALIDATE_MAX_BYTES": "200000",
            "CHMGRAPH_SERVER_MAX_BODY_BYTES": "500000",
            # Harvests read from 127.0.0.2 only; the canary listens on 127.0.0.1.
            "CHMGRAPH_HARVEST_ALLOWED_HOSTS": "127.0.0.2",
            "CHMGRAPH_SERVER_RATE_LIMIT_PER_MINUTE": "6000",
        },
    )
    assert server.http.post(
        "/api/submissions/CM", content=EXAMPLE, headers=server.bearer(server.cm)
    ).is_success
    yield server
    server.stop()


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    found = Canary()
    yield found
    found.close()


def triples(served: Served) -> str:
    got = served.http.get("/sparql", params={"query": TRIPLES}, headers={"Accept": "text/csv"})
    return got.text


def write_routes(served: Served) -> list[tuple[str, str, dict, bytes]]:
    """Every write route, aimed at FR's graph or the Secretariat's: (method, url, params, body)."""
    turtle = {"Content-Type": "text/turtle"}
    update = {"Content-Type": "application/sparql-update"}
    return [
        ("PUT", "/store", {"graph": FR_GRAPH}, turtle, ONE_TRIPLE),
        ("POST", "/store", {"graph": FR_GRAPH}, turtle, ONE_TRIPLE),
        ("DELETE", "/store", {"graph": CM_GRAPH}, {}, b""),
        ("PUT", "/store", {"graph": iris.CBD_GRAPH}, turtle, ONE_TRIPLE),
        ("POST", "/store", {"graph": iris.REFERENCE_GRAPH}, turtle, ONE_TRIPLE),
        ("DELETE", "/store", {"graph": iris.ONTOLOGY_GRAPH}, {}, b""),
        ("PUT", "/store", {"default": ""}, turtle, ONE_TRIPLE),
        ("POST", "/store", {}, turtle, ONE_TRIPLE),
        ("POST", "/sparql", {}, update, b"DROP ALL"),
        (
            "POST",
            "/sparql",
            {},
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"update=CLEAR+ALL",
        ),
        ("POST", "/api/submissions/FR", {}, turtle, EXAMPLE.replace(b"CM", b"FR")),
        ("POST", "/api/submissions/CM/rollback", {"to": "1"}, {}, b""),
    ]


def test_no_write_route_lets_in_a_request_without_a_valid_token(served: Served) -> None:
    before = triples(served)
    for method, url, params, headers, body in write_routes(served):
        for auth in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eA=="}):
            got = served.http.request(
                method, url, params=params, headers={**headers, **auth}, content=body
            )
            assert got.status_code == 401, (method, url, auth, got.status_code, got.text)
            assert got.headers["www-authenticate"].startswith("Bearer")
    assert triples(served) == before


def test_a_page_elsewhere_may_read_but_never_write(served: Served) -> None:
    # CORS: any origin reads (no credentials asked for); a preflight for a write, which needs
    # the Authorization header, is refused on every write route, so a page's script cannot send
    # one. And since no credential is ambient (no cookies; Basic is refused, above), a page's
    # plain cross-origin form post reaches a write route without one: 401 there.
    origin = {"Origin": "https://elsewhere.example"}
    read = served.http.get("/sparql", params={"query": "ASK {}"}, headers=origin)
    assert read.status_code == 200 and read.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in read.headers
    for method, url, params, _, _ in write_routes(served):
        preflight = served.http.options(
            url,
            params=params,
            headers={
                **origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 400, (method, url, preflight.status_code)
        assert "authorization" not in preflight.headers.get("access-control-allow-headers", "")
    before = triples(served)
    posted = served.http.post(
        "/sparql",
        content=b"update=CLEAR+ALL",
        headers={**origin, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert posted.status_code == 401 and triples(served) == before


def test_a_cm_token_writes_neither_fr_nor_the_secretariats_graphs(served: Served) -> None:
    before = triples(served)
    cm = served.bearer(served.cm)
    for method, url, params, headers, body in write_routes(served):
        if url.endswith("/CM/rollback") or params.get("graph") == CM_GRAPH:
            continue  # CM's own graph: CM may write it, through the gate
        got = served.http.request(
            method, url, params=params, headers={**headers, **cm}, content=body
        )
        assert got.status_code == 403, (method, url, params, got.status_code, got.text)
        assert served.cm not in got.text
    # The Secretariat's token does not write a national graph either.
    admin = served.bearer(served.admin)
    for country in ("CM", "FR"):
        got = served.http.post(f"/api/submissions/{country}", content=EXAMPLE, headers={**admin})
        assert got.status_code == 403, got.text
    assert triples(served) == before


TRAVERSALS = [
    "/dump/../store.credentials.json",
    "/dump/%2e%2e/store.credentials.json",
    "/dump/%2E%2E%2Fstore.credentials.json",
    "/dump/..%2fstore.credentials.json",
    "/dump/..%5cstore.credentials.json",
    "/dump/%252e%252e/store.credentials.json",
    "/dump//etc/passwd",
    "/dump/%2fetc%2fpasswd",
    "/dump/....//....//etc/passwd",
    "/dump/void.ttl%00.html",
    "/id/../../etc/passwd",
    "/id/%2e%2e/%2e%2e/etc/passwd",
    "/id/..%2f..%2fetc%2fpasswd",
    "/graph/../store.credentials.json",
    "/graph/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/graph/national/..%2f..%2fcbd",
    "/store/..%2f..%2fetc%2fpasswd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_path_leaves_the_dump_or_the_linked_data_space(served: Served, path: str) -> None:
    # http.client sends the path exactly as written (httpx would resolve the dots first).
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    connection.request("GET", path, headers={"Accept": "text/turtle"})
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    assert answer.status in (400, 404, 405), (path, answer.status, body[:200])
    assert b"root:" not in body and b"scrypt" not in body and b'"hash"' not in body, path


def test_nothing_in_a_request_makes_the_server_call_another_host(
    served: Served, canary: Canary
) -> None:
    service = f"SELECT * WHERE {{ SERVICE <{canary.url}/sparql> {{ ?s ?p ?o }} }}"
    assert served.http.get("/sparql", params={"query": service}).status_code == 403
    silent = f"SELECT * WHERE {{ SERVICE SILENT <{canary.url}/sparql> {{ ?s ?p ?o }} }}"
    assert served.http.post("/sparql", data={"query": silent}).status_code == 403
    # An update's WHERE is held to the allowlist too, even with the Secretariat's credential.
    update = (
        "INSERT { <https://example.org/chmgraph/synthetic/s> <https://example.org/p> ?o } "
        f"WHERE {{ SERVICE <{canary.url}/sparql> {{ ?s ?p ?o }} }}"
    )
    updated = served.http.post(
        "/sparql", data={"update": update}, headers=served.bearer(served.admin)
    )
    assert updated.status_code == 403, updated.text
    jsonld = (
        b'{"@context": "' + canary.url.encode() + b'/context.jsonld", '
        b'"@id": "https://example.org/chmgraph/synthetic/s", "x": "y"}'
    )
    entity = (
        b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "'
        + canary.url.encode()
        + b'/entity">]>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:x="http://example.org/"><rdf:Description rdf:about="http://example.org/s">'
        b"<x:p>&e;</x:p></rdf:Description></rdf:RDF>\n"
    )
    admin = served.bearer(served.admin)
    cm = served.bearer(served.cm)
    for media, body in (("application/ld+json", jsonld), ("application/rdf+xml", entity)):
        sent = [
            served.http.post(
                "/api/validate",
                params={"country": "CM"},
                content=body,
                headers={"Content-Type": media},
            ),
            served.http.post(
                "/api/submissions/CM", content=body, headers={"Content-Type": media, **cm}
            ),
            served.http.put(
                "/store",
                params={"graph": iris.CBD_GRAPH + "-x"},
                content=body,
                headers={"Content-Type": media, **admin},
            ),
        ]
        for got in sent:
            assert 400 <= got.status_code < 500, (media, got.status_code, got.text)
    assert canary.requests == []


def test_a_harvest_reads_nothing_but_its_allowed_hosts(
    served: Served, canary: Canary, tmp_path: Path
) -> None:
    cm, admin = served.bearer(served.cm), served.bearer(served.admin)
    at_canary = {"source": f"{canary.url}/void.nt"}
    assert served.http.post("/api/harvest", params=at_canary).status_code == 401
    assert served.http.post("/api/harvest", params=at_canary, headers=cm).status_code == 403
    # The Secretariat's own source off harvest_allowed_hosts: refused before any request.
    refused = served.http.post("/api/harvest", params=at_canary, headers=admin)
    assert refused.status_code == 403 and "harvest_allowed_hosts" in refused.text, refused.text
    # A source on an allowed host whose description links to the canary and to a local file:
    # neither is read.
    site = Site(tmp_path, host="127.0.0.2")
    links = {"CM": f"{canary.url}/national/CM.ttl", "FR": "file:///etc/passwd"}
    site.overrides["void.nt"] = "".join(
        f"<{iris.national_graph(code)}> <{VOID}dataDump> <{link}> .\n"
        f"<{iris.national_graph(code)}> <{iris.PREFIXES['rdf']}type> <{VOID}Dataset> .\n"
        for code, link in links.items()
    ).encode()
    try:
        started = served.http.post(
            "/api/harvest", params={"source": site.url + "void.nt"}, headers=admin
        )
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 60
        while (status := served.http.get("/api/harvest").json())["running"]:
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
    finally:
        site.close()
    report = status["last"]
    assert site.paths() == ["void.nt"], site.paths()
    reasons = " ".join(g["reason"] for g in report["graphs"])
    assert report["counts"]["added"] == report["counts"]["updated"] == 0, report
    assert "not one the harvest may read from" in reasons and "not an http(s) URL" in reasons
    assert canary.requests == []


def test_a_slow_body_is_cut_off_and_does_not_hold_the_server(served: Served) -> None:
    slow = socket.create_connection(("127.0.0.1", served.port), timeout=30)
    slow.sendall(
        b"POST /api/validate?country=CM HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\n"
        b"Content-Length: 100000\r\n\r\n"
    )
    started = time.monotonic()
    # Meanwhile, others are served.
    assert served.http.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    answer = b""
    try:
        while time.monotonic() - started < 20:
            slow.sendall(b"#")
            slow.settimeout(1)
            try:
                chunk = slow.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                break
            answer += chunk
            if b"\r\n\r\n" in answer:
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        slow.close()
    waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert waited < 10, waited


def _answer_while_trickling(
    connection: socket.socket, trickle: bytes, within_s: float
) -> tuple[bytes, float]:
    """What the server answers while ``trickle`` is sent a byte every 0.2 s (then nothing),
    and when the connection closed or the answer's head arrived."""
    started = time.monotonic()
    answer = b""
    connection.settimeout(0.2)
    try:
        while time.monotonic() - started < within_s:
            if trickle:
                connection.sendall(trickle[:1])
                trickle = trickle[1:]
            try:
                chunk = connection.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                break
            answer += chunk
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        connection.close()
    return answer, time.monotonic() - started


def test_slow_or_absent_request_headers_are_cut_off_at_their_deadline(served: Served) -> None:
    # server_header_timeout_s is 2 here: a connection that sends nothing, one that sends its
    # headers a byte at a time (40 s of them), and a kept-alive one that does so for its second
    # request are each answered 408 and closed, while others are served.
    headers = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 200 + b"\r\n\r\n"
    silent = socket.create_connection(("127.0.0.1", served.port), timeout=30)
    slow = socket.create_connection(("127.0.0.1", served.port), timeout=30)
    kept = socket.create_connection(("127.0.0.1", served.port), timeout=30)
    kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    first = b""
    while b"}" not in first:  # the whole first answer: its head, then its JSON body
        first += kept.recv(4096)
    assert first.startswith(b"HTTP/1.1 200"), first
    found: dict[str, tuple[bytes, float]] = {}
    waiters = [
        threading.Thread(
            target=lambda name=name, conn=conn, sent=sent: found.__setitem__(
                name, _answer_while_trickling(conn, sent, 30)
            )
        )
        for name, conn, sent in (
            ("silent", silent, b""),
            ("slow", slow, headers),
            ("kept", kept, headers),
        )
    ]
    for waiter in waiters:
        waiter.start()
    assert served.http.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    for waiter in waiters:
        waiter.join()
    for name, (answer, waited) in found.items():
        assert answer.startswith(b"HTTP/1.1 408"), (name, answer[:200])
        assert b"server_header_timeout_s" in answer, (name, answer)
        assert 1.5 < waited < 8, (name, waited)


def test_a_slow_multipart_upload_is_cut_off_like_any_body(served: Served) -> None:
    slow = socket.create_connection(("127.0.0.1", served.port), timeout=30)
    slow.sendall(
        b"POST /validate HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n"
    )
    part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.ttl"\r\n\r\n'
    answer, waited = _answer_while_trickling(slow, part + b"#" * 1000, 20)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert waited < 10, waited


def test_a_multipart_upload_past_the_limit_is_cut_off_without_a_declared_length(
    served: Served,
) -> None:
    # Chunked, so no Content-Length to refuse it by: a file part past the limit (200,000 bytes
    # here, 500,000 for /store) is cut off as it arrives, never spooled to disk whole.
    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.ttl"\r\n\r\n'
        for _ in range(100):
            yield b"#" * 10_000 + b"\n"
        yield b"\r\n--b--\r\n"

    for path in ("/validate", "/store"):
        got = served.http.post(
            path,
            params={"graph": iris.CBD_GRAPH + "-x"} if path == "/store" else None,
            content=chunks(),
            headers={
                "Content-Type": "multipart/form-data; boundary=b",
                **served.bearer(served.admin),
            },
        )
        assert got.status_code == 413, (path, got.status_code, got.text[:200])
    assert served.http.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_an_oversized_declared_body_is_refused_before_it_is_read(served: Served) -> None:
    big = socket.create_connection(("127.0.0.1", served.port), timeout=30)
    big.sendall(
        b"POST /api/submissions/CM HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\n"
        b"Authorization: Bearer " + served.cm.encode() + b"\r\n"
        b"Content-Length: 99999999999\r\n\r\n"
    )
    answer = big.recv(4096)
    big.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert served.cm.encode() not in answer


def test_no_token_reaches_an_answer_or_the_log(served: Served) -> None:
    for token in (served.cm, served.fr, served.admin):
        for got in (
            served.http.put(
                "/store",
                params={"graph": FR_GRAPH},
                content=b"not turtle",
                headers={"Content-Type": "text/turtle", **served.bearer(token)},
            ),
            served.http.get("/sparql", params={"query": "SELEC", "token": token}),
            served.http.post(f"/api/submissions/CM?token={token}", content=b"@prefix"),
        ):
            assert token not in got.text and token not in str(got.headers)
    log = served.log.read_text()
    for token in (served.cm, served.fr, served.admin):
        assert token not in log


PRINTABLE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
FUZZ_ROUTES = [
    ("GET", "/sparql"),
    ("POST", "/sparql"),
    ("POST", "/api/validate"),
    ("GET", "/store"),
    ("PUT", "/store"),
    ("GET", "/api/submissions/CM/diff"),
    ("GET", "/api/submissions/CM"),
    ("POST", "/api/submissions/CM"),
    ("GET", "/id/country/CM"),
    ("GET", "/graph/cbd"),
    ("GET", "/dump/void.ttl"),
    ("GET", "/vocab"),
]
PARAMETERS = st.dictionaries(
    st.sampled_from(
        [
            "query",
            "update",
            "default-graph-uri",
            "named-graph-uri",
            "graph",
            "default",
            "format",
            "country",
            "lang",
            "from",
            "to",
            "by",
            "message",
        ]
    ),
    st.one_of(
        st.text(max_size=80),
        st.sampled_from(
            [
                "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
                "ASK {}",
                "1",
                "0",
                "-1",
                "99999999999999",
                "CM",
                "zz",
                "json",
                "html",
                "https://w3id.org/chmgraph/graph/cbd",
                "file:///etc/passwd",
                "http://127.0.0.1:1/",
                "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2",
                "\x00",
                "%00",
                "..",
            ]
        ),
    ),
    max_size=4,
)
FUZZED = {"requests": 0, "statuses": set()}


@given(
    route=st.sampled_from(FUZZ_ROUTES),
    params=PARAMETERS,
    accept=st.one_of(PRINTABLE, st.sampled_from(["text/csv", "*/*", "text/html;q=0", "a/b, c/d"])),
    content_type=st.one_of(
        PRINTABLE,
        st.sampled_from(
            [
                "text/turtle",
                "application/ld+json",
                "application/rdf+xml",
                "multipart/form-data",
                "application/sparql-query",
                "application/x-www-form-urlencoded; charset=latin-7",
            ]
        ),
    ),
    body=st.one_of(st.binary(max_size=300), st.sampled_from([EXAMPLE[:200], b"@prefix x: <"])),
    token=st.sampled_from(["", "cm", "bogus"]),
)
@settings(
    max_examples=int(soak_number("SOAK_FUZZ_EXAMPLES", 120)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_fuzzed_requests_are_answered_never_crash(
    served: Served, route, params, accept, content_type, body, token
) -> None:
    method, path = route
    # A header value's leading and trailing blanks are not part of it (RFC 9110, 5.5): the HTTP
    # client refuses to send them, and a server never sees them.
    headers = {"Accept": accept.strip(" \t"), "Content-Type": content_type.strip(" \t")}
    if token:
        headers["Authorization"] = f"Bearer {served.cm if token == 'cm' else 'bogus'}"
    got = served.http.request(method, path, params=params, headers=headers, content=body)
    FUZZED["requests"] += 1
    FUZZED["statuses"].add(got.status_code)
    assert got.status_code < 500 or got.status_code == 503, (route, params, headers, got.text)
    assert "Traceback" not in got.text
    log = served.log.read_text()
    assert "internal error" not in log and "Traceback" not in log, log[-2000:]


@pytest.fixture(scope="module", autouse=True)
def figures() -> Iterator[None]:
    yield
    if FUZZED["requests"]:
        record("fuzz-http", requests=FUZZED["requests"], statuses=sorted(FUZZED["statuses"]))

"""``chmgraph serve`` over real HTTP on loopback: the issue's "done when", credentials, limits,
the result cache and the dump."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pyoxigraph as ox
import pytest
from serving import Served

from chmgraph import iris
from chmgraph.iris import CONTEXT
from chmgraph.jsonld import SHIPPED
from chmgraph.settings import DATA_DIR

EXAMPLE = (DATA_DIR / "examples" / "national-chm-example.ttl").read_bytes()
INVALID = Path(__file__).parent / "submissions" / "invalid" / "missing-label.ttl"
CM_GRAPH = iris.national_graph("CM")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?w a chm:Workshop }"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = Served(tmp_path_factory.mktemp("serve"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    """A server with small limits: 2 KB bodies, 30 requests a minute."""
    limits = {
        "CHMGRAPH_SERVER_MAX_BODY_BYTES": "2048",
        "CHMGRAPH_SERVER_VALIDATE_MAX_BYTES": "2048",
        "CHMGRAPH_SERVER_RATE_LIMIT_PER_MINUTE": "30",
    }
    server = Served(tmp_path_factory.mktemp("tight"), env=limits)
    yield server
    server.stop()


def test_sparql_get_and_post_answer_json_csv_and_xml(served):
    got = served.http.get("/sparql", params={"query": COUNT})
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/sparql-results+json"
    count = got.json()["results"]["bindings"][0]["n"]["value"]
    posted = served.http.post("/sparql", data={"query": COUNT}, headers={"Accept": "text/csv"})
    assert posted.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(posted.text))) == [["n"], [count]]
    direct = served.http.post(
        "/sparql",
        content=COUNT,
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+xml",
        },
    )
    literal = ElementTree.fromstring(direct.content).find(".//{*}literal")
    assert literal is not None and literal.text == count


def test_construct_is_negotiated_as_rdf(served):
    query = "CONSTRUCT WHERE { <https://w3id.org/chmgraph/id/country/CM> a ?t }"
    for media, rdf_format in (
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ):
        got = served.http.get("/sparql", params={"query": query}, headers={"Accept": media})
        assert got.headers["content-type"].split(";")[0] == media
        assert len(list(ox.parse(got.content, format=rdf_format))) >= 1


def test_a_malformed_query_is_a_400_with_a_text_body(served):
    got = served.http.get("/sparql", params={"query": "SELECT ?x WHERE {"})
    assert got.status_code == 400
    assert got.headers["content-type"].startswith("text/plain")
    assert "syntax error" in got.text and "Traceback" not in got.text


def test_a_service_call_off_the_allowlist_is_refused(served):
    query = "SELECT * WHERE { SERVICE <https://evil.example/sparql> { ?s ?p ?o } }"
    got = served.http.get("/sparql", params={"query": query})
    assert got.status_code == 403
    assert "service_allowlist" in got.text


def test_the_endpoint_describes_itself(served):
    got = served.http.get("/sparql", headers={"Accept": "text/turtle"})
    assert got.status_code == 200
    assert "sd:Service" in got.text and f"<{served.url}/sparql>" in got.text


def test_updates_need_an_admin_credential(served):
    update = "INSERT DATA { GRAPH <http://example.org/g> { <http://e/s> <http://e/p> 1 } }"
    headers = {"Content-Type": "application/sparql-update"}
    anonymous = served.http.post("/sparql", content=update, headers=headers)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert "credential" in anonymous.text
    steward = served.http.post(
        "/sparql", content=update, headers={**headers, **served.bearer(served.cm)}
    )
    assert steward.status_code == 403
    wrong = served.http.post(
        "/sparql", content=update, headers={**headers, **served.bearer(served.cm + "x")}
    )
    assert wrong.status_code == 401
    assert served.cm not in wrong.text and served.cm not in steward.text


def test_a_repeated_query_is_answered_304_until_the_network_changes(served):
    first = served.http.get("/sparql", params={"query": COUNT})
    etag = first.headers["etag"]
    again = served.http.get("/sparql", params={"query": COUNT}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    state = served.http.get("/healthz").json()["state"]
    put = served.http.put(
        "/store",
        params={"graph": "http://example.org/secretariat-notes"},
        content=b'<http://e/s> <http://e/p> "1" .',
        headers={**served.bearer(served.admin), "Content-Type": "application/n-triples"},
    )
    assert put.status_code in (201, 204)
    assert served.http.get("/healthz").json()["state"] == state + 1
    changed = served.http.get("/sparql", params={"query": COUNT}, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_country_cm_dereferences_as_html_and_turtle(served):
    html = served.http.get("/id/country/CM", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Cameroon" in html.text
    turtle = served.http.get("/id/country/CM", headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    parsed = list(ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))
    assert any(t.subject == ox.NamedNode(iris.country("CM")) for t in parsed)
    assert served.http.get("/id/country/ZZ-nothing").status_code == 404


def test_html_escapes_every_value(served):
    headers = {**served.bearer(served.admin), "Content-Type": "text/turtle"}
    markup = (
        b"<https://w3id.org/chmgraph/id/note/x> <http://www.w3.org/2000/01/rdf-schema#label> "
        b'"<script>alert(1)</script>" .'
    )
    served.http.put("/store", params={"graph": "http://example.org/markup"}, content=markup,
                    headers=headers)  # fmt: skip
    html = served.http.get("/id/note/x", headers={"Accept": "text/html"})
    assert "<script>" not in html.text and "&lt;script&gt;" in html.text


def test_vocab_and_graphs_dereference(served):
    vocab = served.http.get("/vocab", headers={"Accept": "text/turtle"})
    assert vocab.status_code == 200 and "owl:Ontology" in vocab.text
    graph = served.http.get("/graph/cbd", headers={"Accept": "application/n-triples"})
    assert graph.status_code == 200 and graph.text.count("\n") > 100
    assert served.http.get("/graph/nothing-here").status_code == 404


def test_the_networks_json_ld_context_is_served_as_chmgraph_reads_it(served):
    answer = served.http.get("/context.jsonld")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/ld+json")
    assert answer.content == SHIPPED[CONTEXT].read_bytes()
    terms = answer.json()["@context"]
    assert terms["NationalCHM"] == "chm:NationalCHM"
    assert terms["country"] == {"@id": "chm:country", "@type": "@id"}


def submit(served, token: str | None, body: bytes, country: str = "CM") -> httpx.Response:
    headers = {"Content-Type": "text/turtle"} | (served.bearer(token) if token else {})
    return served.http.post(f"/api/submissions/{country}", content=body, headers=headers)


def test_a_cm_submission_is_accepted_only_with_cms_token(served):
    assert submit(served, None, EXAMPLE).status_code == 401
    assert submit(served, served.fr, EXAMPLE).status_code == 403
    assert submit(served, served.admin, EXAMPLE).status_code == 403
    accepted = submit(served, served.cm, EXAMPLE)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] in ("accepted", "unchanged")
    assert accepted.json()["report"]["conforms"] is True
    history = served.http.get("/api/submissions/CM").json()
    assert history[-1]["version"] == accepted.json()["version"]


def test_a_rejected_submission_changes_nothing(served):
    before = served.http.get("/api/submissions/CM").json()
    rejected = submit(served, served.cm, INVALID.read_bytes())
    assert rejected.status_code == 422
    assert rejected.json()["report"]["conforms"] is False
    assert served.http.get("/api/submissions/CM").json() == before


def test_graph_store_writes_a_national_graph_through_the_gate(served):
    headers = {"Content-Type": "text/turtle"}
    path = "/store"
    params = {"graph": CM_GRAPH}
    assert served.http.put(path, params=params, content=EXAMPLE, headers=headers).status_code == 401
    fr = {**headers, **served.bearer(served.fr)}
    assert served.http.put(path, params=params, content=EXAMPLE, headers=fr).status_code == 403
    cm = {**headers, **served.bearer(served.cm)}
    # Whatever other tests of this server did first, CM's graph exists once this is accepted.
    first = served.http.put(path, params=params, content=EXAMPLE, headers=cm)
    assert first.status_code in (200, 201, 204)  # replaced, created, or already so
    edited = EXAMPLE.replace(b'"2012"^^xsd:gYear', b'"2014"^^xsd:gYear')
    assert served.http.put(path, params=params, content=edited, headers=cm).status_code == 200
    bad = served.http.put(path, params=params, content=INVALID.read_bytes(), headers=cm)
    assert bad.status_code == 422 and "CHM-V001" in bad.text
    assert served.http.delete(path, params=params, headers=cm).status_code == 422
    got = served.http.get(path, params=params, headers={"Accept": "text/turtle"})
    assert '"2014"' in got.text
    versions = served.http.get("/api/submissions/CM").json()
    diff = served.http.get(
        "/api/submissions/CM/diff",
        params={"from": versions[-2]["version"], "to": versions[-1]["version"]},
    ).json()
    assert any('"2014"' in t for t in diff["added"])


def test_validation_without_a_credential_in_every_report_format(served):
    for fmt, marker in (("json", '"conforms"'), ("sarif", '"runs"'), ("text", "CHM-V001")):
        got = served.http.post(
            "/api/validate",
            params={"country": "CM", "format": fmt},
            content=INVALID.read_bytes(),
            headers={"Content-Type": "text/turtle"},
        )
        assert got.status_code == 200 and marker in got.text
    assert served.http.get("/api/openapi.json").json()["openapi"].startswith("3.")


def test_dump_files_have_etags_ranges_and_304(served):
    void = served.http.get("/dump/void.ttl")
    assert void.status_code == 200 and void.headers["content-type"].startswith("text/turtle")
    etag, modified = void.headers["etag"], void.headers["last-modified"]
    assert served.http.get("/dump/void.ttl", headers={"If-None-Match": etag}).status_code == 304
    since = served.http.get("/dump/void.ttl", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    part = served.http.get("/dump/void.ttl", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == void.content[:10]
    assert served.http.get("/.well-known/void").status_code in (200, 303)
    gz = served.http.get("/dump/network.trig.gz")
    assert gz.headers["content-type"] == "application/gzip"


def test_dump_paths_cannot_leave_the_dump(served):
    for path in ("/dump/../store.credentials.json", "/dump/%2e%2e/store.credentials.json"):
        url = served.http.base_url.copy_with(raw_path=path.encode())
        got = served.http.get(url)
        assert got.status_code == 404
        assert "credentials" not in got.text


def test_the_dump_follows_an_accepted_submission(served):
    edited = EXAMPLE.replace(b'"2012"^^xsd:gYear', b'"2016"^^xsd:gYear')
    assert submit(served, served.cm, edited).json()["status"] == "accepted"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if b'"2016"' in served.http.get("/dump/national/CM.ttl").content:
            return
        time.sleep(0.2)
    pytest.fail("the dump did not follow the submission")


def test_serve_writes_its_dump_only_when_the_store_changed(tmp_path):
    # One URL for the dump's links, whatever port the server gets each time it starts.
    base = {"CHMGRAPH_DUMP_BASE_URL": "https://chm.example.org/dump/"}
    server = Served(tmp_path, env=base)
    try:
        assert submit(server, server.cm, EXAMPLE).json()["status"] == "accepted"
        _wait_for_the_dump(server)
        dump = tmp_path / "store.dump"
        before = _stamps(dump)
        assert "national/CM.ttl" in before
        server.stop()
        server.restart()  # answers, and says its dump is current
        assert _stamps(dump) == before
        assert server.log.read_text().count("is current: the store has not changed") == 1
        edited = EXAMPLE.replace(b'"2012"^^xsd:gYear', b'"2017"^^xsd:gYear')
        assert submit(server, server.cm, edited).json()["status"] == "accepted"
        _wait_for_the_dump(server)
        after = _stamps(dump)
        changed = {p.removesuffix(".gz") for p in after if after[p] != before.get(p)}
        assert {"national/CM.ttl", "network.trig", "void.ttl"} <= changed
        assert not changed & {"ontology.ttl", "reference.ttl", "cbd.ttl", "queries.ttl"}
        assert b'"2017"' in server.http.get("/dump/national/CM.ttl").content
    finally:
        server.stop()


def _wait_for_the_dump(server: Served) -> None:
    deadline = time.monotonic() + 60
    while server.http.get("/healthz").json()["dump"] != "current":
        assert time.monotonic() < deadline, "the dump was not written within 60 s"
        time.sleep(0.2)


def _stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file's modification time and inode: equal only if it was not written again."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_tokens_are_listed_without_secrets_and_revoked(served, tmp_path):
    token = served.run("token", "create", "FR", "--note", "to revoke").strip()
    listed = served.run("token", "list")
    assert "to revoke" in listed and token not in listed
    ident = token.split("_")[1]
    assert submit(served, token, EXAMPLE, "FR").status_code != 401
    served.run("token", "revoke", ident)
    assert submit(served, token, EXAMPLE, "FR").status_code == 401
    stored = served.store.with_name("store.credentials.json").read_text()
    assert token not in stored and served.cm not in stored


def test_the_access_log_holds_no_token(served):
    submit(served, served.cm, EXAMPLE)
    log = served.log.read_text()
    assert '"POST /api/submissions/CM"' in log
    for token in (served.cm, served.fr, served.admin):
        assert token not in log


def test_cors_is_open_for_reads_and_closed_for_writes(served):
    preflight = served.http.options(
        "/sparql",
        headers={"Origin": "https://a.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers["access-control-allow-origin"] == "*"
    write = served.http.options(
        "/store",
        headers={
            "Origin": "https://a.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert write.status_code == 400


def test_an_oversized_body_is_cut_off_with_413(tight):
    big = b"# " + b"x" * 4096 + b"\n"
    got = tight.http.post(
        "/api/validate", params={"country": "CM"}, content=big,
        headers={"Content-Type": "text/turtle"},
    )  # fmt: skip
    assert got.status_code == 413 and "limit" in got.text


def test_too_many_requests_get_429_with_retry_after(tight):
    statuses = [tight.http.get("/sparql", params={"query": "ASK {}"}) for _ in range(40)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and int(limited[0].headers["retry-after"]) >= 1
    assert tight.http.get("/healthz").status_code == 200


def test_the_server_stops_gracefully(tmp_path):
    server = Served(tmp_path)
    # Uvicorn shuts down, then raises the signal it caught again, so the exit is SIGTERM's.
    assert server.stop() in (0, -15)
    log = server.log.read_text()
    assert "Application shutdown complete" in log and "Traceback" not in log


def test_json_answers_parse(served):
    got = served.http.get("/sparql", params={"query": "ASK {}"})
    assert json.loads(got.text) == {"head": {}, "boolean": True}


def test_a_path_or_graph_cannot_smuggle_sparql(served):
    sneaky = "/id/x%3E%20?p%20?o%20%7D%20WHERE%20%7B%20?s%20?p%20?o%20%7D%20%23"
    url = served.http.base_url.copy_with(raw_path=sneaky.encode())
    assert served.http.get(url).status_code == 404
    got = served.http.get("/store", params={"graph": "http://e/g> } ; DROP ALL ; #"})
    assert got.status_code == 400 and "not an absolute IRI" in got.text
    query = served.http.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "a b"})
    assert query.status_code == 400

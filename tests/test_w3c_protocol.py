"""The W3C SPARQL 1.1 Protocol tests (34) and Graph Store Protocol tests (14) against
``chmgraph serve`` on loopback, each request of a test sent as the manifest has it.

The manifests' paths start with ``/sparql/`` and ``/gsp``: they are sent to ``/sparql`` and
``/store``. Every request carries the admin credential (updates and writes of graphs that are
not national need it; a query does not mind). The graphs a test reads (``ut:graphData``) are
put into the store through the Graph Store Protocol first. The known failures are listed, with
why, here and in docs/conformance.md; the test fails when the list is not exact.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from serving import Served

SUITES = (
    Path(__file__).resolve().parents[2] / "shared" / "w3c" / "rdf-tests" / "sparql" / "sparql11"
)
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#"
STATUS = {"OK": {200}, "Created": {201}, "NoContent": {204}, "NotFound": {404}}
STATUS |= {f"StatusCode{n}xx": set(range(n * 100, n * 100 + 100)) for n in (2, 3, 4, 5)}
MANIFESTS = {
    "protocol": [SUITES / "protocol" / "manifest.ttl"],
    "graph-store-protocol": [
        SUITES / "graph-store-protocol" / "manifest-indirect.ttl",
        SUITES / "graph-store-protocol" / "manifest-direct.ttl",
    ],
}
KNOWN_FAILURES: dict[str, str] = {}


def load_tests() -> list[tuple[str, rdflib.Graph, rdflib.term.Node, Path]]:
    found = []
    for suite, manifests in MANIFESTS.items():
        for manifest in manifests:
            graph = rdflib.Graph().parse(manifest, format="turtle")
            kinds = (MF.ProtocolTest, MF.GraphStoreProtocolTest)
            for test in sorted({t for k in kinds for t in graph.subjects(rdflib.RDF.type, k)}):
                name = str(test).rsplit("#", 1)[-1]
                found.append((f"{suite}/{name}", graph, test, manifest.parent))
    return found


TESTS = load_tests()


def test_the_suites_have_the_tests_the_issue_counts():
    suites = [name.split("/")[0] for name, *_ in TESTS]
    assert suites.count("protocol") == 34
    assert suites.count("graph-store-protocol") == 14


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = Served(tmp_path_factory.mktemp("w3c"))
    yield server
    server.stop()


def items(graph: rdflib.Graph, node) -> list:
    return list(Collection(graph, node)) if node is not None else []


def run_test(served: Served, graph: rdflib.Graph, test, folder: Path) -> list[str]:
    """Send the test's requests; the differences from what the manifest expects."""
    admin = served.bearer(served.admin)
    reset(served, admin)
    for data in graph.objects(test, UT.graphData):
        name = str(graph.value(data, rdflib.RDFS.label))
        body = (folder / Path(str(graph.value(data, UT.graph))).name).read_bytes()
        headers = {**admin, "Content-Type": "application/n-triples"}
        put = served.http.put("/store", params={"graph": name}, content=body, headers=headers)
        assert put.status_code in (200, 201, 204), put.text
    problems: list[str] = []
    action = graph.value(test, MF.action)
    location = ""
    for request in items(graph, graph.value(action, HT.requests)):
        response = send(served, graph, request, admin, location)
        location = response.headers.get("location", location)
        problems += check(graph, graph.value(request, HT.resp), response)
    return problems


def reset(served: Served, admin: dict[str, str]) -> None:
    """Drop the graphs the tests write, so that each starts where the manifest expects."""
    people = [
        f"{base}/person/{n}.ttl" for base in ("http://www.example/gsp", f"{served.url}/store")
        for n in (1, 2, 3, 4, "%31", "%2531")
    ]  # fmt: skip
    drops = " ; ".join(["DROP SILENT DEFAULT", *(f"DROP SILENT GRAPH <{g}>" for g in people)])
    headers = {**admin, "Content-Type": "application/sparql-update"}
    assert served.http.post("/sparql", content=drops, headers=headers).status_code == 200


def send(served: Served, graph: rdflib.Graph, request, admin: dict[str, str], location: str):
    path = str(graph.value(request, HT.absolutePath)).replace("$LOCATION$", location)
    if path.startswith("/sparql/"):
        path = "/sparql" + path[len("/sparql/") :]
    elif path.startswith("/gsp"):
        path = "/store" + path[len("/gsp") :]
    headers = dict(admin)
    for header in items(graph, graph.value(request, HT.headers)):
        headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
    body = graph.value(request, HT.body)
    content = None
    if body is not None:
        encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
        chars = str(graph.value(body, CNT.chars)).replace("$LOCATION$", location)
        content = chars.encode(encoding.lower())
    method = str(graph.value(request, HT.methodName))
    # The path is sent as the manifest writes it: its percent-encoding is what is tested.
    url = served.http.base_url.copy_with(raw_path=path.encode("ascii"))
    return served.http.request(method, url, headers=headers, content=content)


def check(graph: rdflib.Graph, expected, response) -> list[str]:
    problems = []
    allowed = set().union(
        *(STATUS[str(s)[len(HTS) :]] for s in graph.objects(expected, MF.expectedStatus))
    )
    if allowed and response.status_code not in allowed:
        problems.append(f"status {response.status_code}: {response.text[:200]}")
        return problems
    media = response.headers.get("content-type", "").split(";")[0].strip()
    wanted_format = graph.value(expected, MF.expectedFormat)
    if wanted_format is not None and not fits(str(wanted_format), media):
        problems.append(f"format {media!r} is not {wanted_format}")
    boolean = graph.value(expected, MF.expectedBoolean)
    if boolean is not None and boolean_of(response, media) != boolean.toPython():
        problems.append(f"boolean answer is not {boolean}")
    for header in items(graph, graph.value(expected, HT.headers)):
        if str(graph.value(header, HT.fieldName)).lower() == "content-type":
            want = str(graph.value(header, HT.fieldValue)).split(";")[0].strip()
            if media != want:
                problems.append(f"content-type {media!r} is not {want!r}")
    body = graph.value(expected, HT.body)
    if body is not None:
        want = rdflib.Graph().parse(data=str(graph.value(body, CNT.chars)), format="turtle")
        got = rdflib.Graph().parse(data=response.text, format="turtle")
        if not isomorphic(want, got):
            problems.append("the graph answered is not the one expected")
    return problems


def fits(wanted: str, media: str) -> bool:
    results = {"application/sparql-results+json", "application/sparql-results+xml"}
    if wanted == "boolean":
        return media in results
    if wanted == "tabular":
        return media in results | {"text/csv", "text/tab-separated-values"}
    return media in {"text/turtle", "application/n-triples", "application/ld+json",
                     "application/rdf+xml"}  # fmt: skip


def boolean_of(response, media: str) -> bool | None:
    if media == "application/sparql-results+json":
        return json.loads(response.text).get("boolean")
    if media == "application/sparql-results+xml":
        found = ElementTree.fromstring(response.content).find(
            "{http://www.w3.org/2005/sparql-results#}boolean"
        )
        return None if found is None else found.text == "true"
    return None


@pytest.mark.parametrize(("name", "graph", "test", "folder"), TESTS, ids=[t[0] for t in TESTS])
def test_w3c(served, name, graph, test, folder):
    problems = run_test(served, graph, test, folder)
    if name in KNOWN_FAILURES:
        assert problems, f"{name} passes now: remove it from KNOWN_FAILURES and conformance.md"
        pytest.xfail(KNOWN_FAILURES[name])
    assert problems == []

"""The server's result cache is pre-warmed after each write: the library's queries, with their
default parameters, answered for the new state before any reader asks."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import uvicorn
from servers import free_port

from chmgraph.entailment import materialize
from chmgraph.network import Network
from chmgraph.query import QueryLibrary
from chmgraph.server.app import create_app
from chmgraph.server.service import Service
from chmgraph.settings import DATA_DIR, Settings

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"


def initialized(tmp_path) -> Network:
    """A network on disk under ``tmp_path``, initialized, with its entailments."""
    network = Network.open(tmp_path / "store", create=True)
    network.init()
    materialize(network)
    return network


def settings_of(tmp_path) -> Settings:
    return Settings.from_env(store_path=tmp_path / "store")


def test_after_a_submission_the_librarys_answers_are_cached_for_the_new_state(tmp_path):
    network = initialized(tmp_path)
    service = Service(network, settings_of(tmp_path), base_url="http://127.0.0.1:9")
    library = QueryLibrary.load()
    query = library["workshops-by-supporter"]
    before = service.cache_key("query", query.text, None, ("", None))
    service.write(lambda: network.submit(EXAMPLE, "CM"), lambda result: result.accepted)
    service.settle()  # the dump and the pre-warming after the write
    service.close()
    key = service.cache_key("query", query.text, None, ("", None))
    assert key != before and service.cached(before) is None
    body, media = service.cached(key)
    assert media == "application/sparql-results+json"
    cached = [row["workshop"]["value"] for row in json.loads(body)["results"]["bindings"]]
    assert cached == network.query(query).values("workshop") and cached
    # The same answer for a client sending the */* most HTTP clients send by default.
    assert service.cached(service.cache_key("query", query.text, None, ("*/*", None)))
    # A query answering the submission's own data: the new state's answer, not the old one.
    chms = library["countries-with-national-chm"]
    found = json.loads(service.cached(service.cache_key("query", chms.text, None, ("", None)))[0])
    countries = [row["country"]["value"] for row in found["results"]["bindings"]]
    assert countries == network.query(chms).values("country") and countries
    network.close()


def test_a_started_server_has_the_librarys_answers_before_its_first_reader(tmp_path):
    network = initialized(tmp_path)
    service = Service(network, settings_of(tmp_path), base_url="http://127.0.0.1:9")
    library = QueryLibrary.load()
    hosts = library["workshops-by-host-country"]
    supporters = library["workshops-by-supporter"]
    assert service.kept_answer(hosts, {"lang": "en"}) is None
    service.start()
    assert service.warming
    service.settle()  # the pre-warming the start asked for
    service.close()
    assert not service.warming
    kept = service.kept_answer(hosts, {"lang": "en"})
    assert kept is not None
    assert kept.values("country") == network.query(hosts).values("country")
    body, media = service.cached(service.cache_key("query", supporters.text, None, ("", None)))
    assert media == "application/sparql-results+json"
    found = [row["workshop"]["value"] for row in json.loads(body)["results"]["bindings"]]
    assert found == network.query(supporters).values("workshop") and found
    network.close()


def test_readers_asking_for_an_answer_being_computed_wait_for_it(tmp_path):
    network = initialized(tmp_path)
    service = Service(network, settings_of(tmp_path), base_url="http://127.0.0.1:9")
    hosts = QueryLibrary.load()["workshops-by-host-country"]
    real = network.query
    runs = []

    def counted(*args, **kwargs):
        runs.append(args[0])
        time.sleep(0.3)  # a slow answer: the other readers ask while it is being computed
        return real(*args, **kwargs)

    network.query = counted
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: service.answer(hosts, {"lang": "en"}), range(4)))
    assert runs == [hosts]
    assert all(answer is answers[0] for answer in answers)
    expected = real(hosts, params={"lang": "en"}).values("country")
    assert answers[0].values("country") == expected and expected
    service.close()
    network.close()


def test_a_pages_answer_is_kept_for_its_state_and_a_write_replaces_it(tmp_path):
    network = initialized(tmp_path)
    service = Service(network, settings_of(tmp_path), base_url="http://127.0.0.1:9")
    library = QueryLibrary.load()
    chms = library["countries-with-national-chm"]
    english = {"lang": "en"}  # what the query's page asks with no value given, in English
    before = service.answer(chms, english)
    assert service.kept_answer(chms, english) is before  # a second reader is answered from it
    cameroon = "https://w3id.org/chmgraph/id/country/CM"
    assert cameroon not in before.values("country")
    service.write(lambda: network.submit(EXAMPLE, "CM"), lambda result: result.accepted)
    service.settle()  # the dump and the pre-warming after the write
    service.close()
    # The new state's answer, computed by the pre-warming, as the query's English page asks.
    after = service.kept_answer(chms, english)
    assert after is not None and after is not before
    assert cameroon in after.values("country")
    assert after.values("country") == network.query(chms).values("country")
    hosts = library["workshops-by-host-country"]
    assert service.kept_answer(hosts, english) is not None
    # The home page's figures, computed by the pre-warming for the new state.
    figures = service.kept(network.status)
    assert service.kept(network.status) is figures and figures.national_graphs == 1
    # A country's page asks with its parameters: computed once, then kept.
    page = service.answer(hosts, {"country": "CM", "lang": "fr"})
    assert service.kept_answer(hosts, {"country": "CM", "lang": "fr"}) is page
    assert page.values("country") == [cameroon]
    network.close()


def test_a_prewarmed_answer_is_the_answer_sparql_writes_uncached(tmp_path):
    network = initialized(tmp_path)
    port = free_port()
    app = create_app(
        network,
        settings_of(tmp_path),
        base_url=f"http://127.0.0.1:{port}",
    )
    service = app.state.service
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    running = threading.Thread(target=server.run)
    running.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started and running.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        kept = service.prewarm()
        compared, formats = 0, set()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            for query in QueryLibrary.load():
                # As a client sends it without an Accept header, and with httpx's default */*.
                for accept in ("", "*/*"):
                    key = service.cache_key("query", query.text, None, (accept, None))
                    found = service.cached(key)
                    if found is None:
                        continue  # too large to prewarm
                    got = http.get(
                        "/sparql", params={"query": query.text}, headers={"Accept": accept}
                    )
                    assert got.headers["etag"] == f'"{key}"' and got.content == found[0]
                    # The same format asked for by name: not cached, written by the endpoint.
                    name = _FORMAT_NAMES[found[1].split(";")[0]]
                    uncached = http.get("/sparql", params={"query": query.text, "format": name})
                    assert uncached.status_code == 200
                    assert uncached.headers["etag"] != got.headers["etag"]
                    assert uncached.content == got.content, query.name
                    assert uncached.headers["content-type"] == got.headers["content-type"]
                    compared += 1
                    formats.add(name)
        assert compared == 2 * kept > 40
        assert formats == {"json", "turtle"}
    finally:
        server.should_exit = True
        running.join(60)
        network.close()


_FORMAT_NAMES = {"application/sparql-results+json": "json", "text/turtle": "turtle"}

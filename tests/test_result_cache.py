"""The server's result cache is pre-warmed after each write: the library's queries, with their
default parameters, answered for the new state before any reader asks."""

from __future__ import annotations

import json

from chmgraph.entailment import materialize
from chmgraph.network import Network
from chmgraph.query import QueryLibrary
from chmgraph.server.service import Service
from chmgraph.settings import DATA_DIR, Settings

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"


def test_after_a_submission_the_librarys_answers_are_cached_for_the_new_state(tmp_path):
    network = Network.open(tmp_path / "store", create=True)
    network.init()
    materialize(network)
    settings = Settings.from_env(store_path=tmp_path / "store")
    service = Service(network, settings, base_url="http://127.0.0.1:9")
    library = QueryLibrary.load()
    query = library["workshops-by-supporter"]
    before = service.cache_key("query", query.text, None, ("", None))
    service.write(lambda: network.submit(EXAMPLE, "CM"), lambda result: result.accepted)
    service.close()  # waits for the dump and the pre-warming after it
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

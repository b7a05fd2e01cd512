"""The network on a remote engine: every command of a steward and every library query on an
Oxigraph server and on Virtuoso reached over HTTP, answering as the embedded store does."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from servers import Virtuoso, oxigraph_server
from stewards import submit_at_once

from chmgraph.cli import cli
from chmgraph.network import Network
from chmgraph.network.history import versions
from chmgraph.query import prepare
from chmgraph.query.library import QueryLibrary
from chmgraph.settings import DATA_DIR, Settings
from chmgraph.store import Credentials, OxigraphStore, RemoteStore, open_store

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"
LIBRARY = QueryLibrary.load()
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
UNCAPPED = Settings(max_rows=10**7, query_timeout_s=120)


ENGINES = ["oxigraph", "virtuoso"]


@contextmanager
def engine(name: str, request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, str]]]:
    """An empty engine of the kind ``name``: its store location and the environment that
    gives a writer's credentials. The Oxigraph server is new; the process's Virtuoso server
    is emptied of the network's graphs."""
    if name == "oxigraph":
        with oxigraph_server() as url:
            yield f"oxigraph+{url}", {}
        return
    server: Virtuoso = request.getfixturevalue("virtuoso")
    env = {"CHMGRAPH_STORE_USER": server.user, "CHMGRAPH_STORE_PASSWORD": server.password}
    writer = Credentials(user=server.user, password=server.password)
    with open_store(server.location, credentials=writer, timeout_s=600) as store:
        graphs = store.graphs()
        if graphs:
            store.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs))
    yield server.location, env


def _writer(env: dict[str, str]) -> dict[str, str]:
    return {
        "store_user": env["CHMGRAPH_STORE_USER"],
        "store_password": env["CHMGRAPH_STORE_PASSWORD"],
    }


def settings_for(env: dict[str, str]) -> Settings:
    return Settings(**_writer(env)) if env else Settings()


@pytest.fixture(scope="module", params=ENGINES)
def remote(request: pytest.FixtureRequest) -> Network:
    with engine(request.param, request) as (location, env):
        network = Network.open(location, settings=settings_for(env))
        with network:
            network.init(include_example=True)
            yield network


def answers(result) -> Counter:
    if result.form == "ASK":
        return Counter([result.boolean])
    if result.form == "SELECT":
        return Counter(tuple(shown(t) for t in row) for row in result.rows)
    return Counter(str(t) for t in result.triples)


def shown(term) -> str:
    # The two networks were built at different moments: their submission times differ.
    if isinstance(term, ox.Literal) and term.datatype.value == XSD_DATETIME:
        return "(a time)"
    return str(term)


@pytest.mark.parametrize("name", LIBRARY.names)
def test_every_library_query_answers_as_on_the_embedded_store(
    name: str, remote: Network, network: Network
) -> None:
    here = network.query(LIBRARY[name], settings=UNCAPPED)
    there = remote.query(LIBRARY[name], settings=UNCAPPED)
    if any("_:" in str(t) for row in here.rows for t in row):
        assert len(there) == len(here)  # blank node labels are the engine's own
    else:
        assert answers(there) == answers(here)


# A label's language changes the text (its filters differ from the English fallback's), and
# Virtuoso once answered a query in French without the query's NOT EXISTS.
@pytest.mark.parametrize(
    "name", [q.name for q in LIBRARY if any(p.name == "lang" for p in q.parameters)]
)
def test_library_queries_in_french_answer_as_on_the_embedded_store(
    name: str, remote: Network, network: Network
) -> None:
    here = network.query(LIBRARY[name], params={"lang": "fr"}, settings=UNCAPPED)
    there = remote.query(LIBRARY[name], params={"lang": "fr"}, settings=UNCAPPED)
    assert answers(there) == answers(here)


def test_the_store_is_remote_and_holds_the_same_graphs(remote: Network, network: Network) -> None:
    assert isinstance(remote.store, RemoteStore)
    assert remote.store.graphs() == network.store.graphs()
    assert remote.history("CM")[0].sha256 == network.history("CM")[0].sha256


def test_a_host_countrys_long_list_of_workshop_titles_answers_on_virtuoso(
    virtuoso: Virtuoso,
) -> None:
    # Virtuoso copies the rows it sorts into a temporary table whose text columns hold about
    # 4,000 characters (SR319 beyond): a country's titles are longer here, in a graph of their
    # own, of synthetic workshops in two user-assigned codes (no real country).
    graph = "urn:chmgraph:test:long-titles"
    vocab, country = "https://w3id.org/chmgraph/vocab#", "https://w3id.org/chmgraph/id/country/"
    quads = []
    for code, workshops in (("ZZ", 120), ("QZ", 3)):
        host = ox.NamedNode(country + code)
        quads.append(
            ox.Quad(
                host,
                ox.NamedNode(SKOS_PREF_LABEL),
                ox.Literal(f"Synthetic {code}", language="en"),
                ox.NamedNode(graph),
            )
        )
        for n in range(workshops):
            workshop = ox.NamedNode(f"https://example.org/synthetic/{code}/workshop/{n}")
            title = ox.Literal(
                f"Synthetic workshop {n:03} in {code}, a title of some length", language="en"
            )
            quads += [
                ox.Quad(
                    workshop,
                    ox.NamedNode(RDF_TYPE),
                    ox.NamedNode(vocab + "Workshop"),
                    ox.NamedNode(graph),
                ),
                ox.Quad(workshop, ox.NamedNode(vocab + "hostCountry"), host, ox.NamedNode(graph)),
                ox.Quad(workshop, ox.NamedNode(RDFS_LABEL), title, ox.NamedNode(graph)),
            ]
    query = LIBRARY["workshops-by-host-country"]
    text = prepare(query, query.bindings({})).text
    embedded = OxigraphStore(None)
    embedded.add(quads)
    writer = Credentials(user=virtuoso.user, password=virtuoso.password)
    with open_store(virtuoso.location, credentials=writer, timeout_s=120) as store:
        store.add(quads)
        try:
            there = rows(store.query(text, default_graph=[graph]))
        finally:
            store.update(f"DROP SILENT GRAPH <{graph}>")
    here = rows(embedded.query(text, default_graph=[graph]))
    counted = [(r[0], r[1], r[2]) for r in here]
    assert counted == [
        (f"<{country}{code}>", f'"Synthetic {code}"@en', f'"{n}"^^<{XSD_INTEGER}>')
        for code, n in (("ZZ", 120), ("QZ", 3))
    ]
    assert len(here[0][3]) > 6000
    assert there == here


def rows(result) -> list[tuple[str, ...]]:
    return [tuple(str(term) for term in row) for row in result]


@pytest.mark.parametrize(
    "kind",
    [
        "oxigraph",
        "virtuoso",
    ],
)
def test_a_stewards_commands_on_a_remote_store(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine(kind, request) as (store, env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)

        def run(*args: str | Path):
            result = CliRunner().invoke(cli, [*map(str, args), "--store", store])
            assert "Traceback" not in result.output, result.output
            return result

        built = run("init")
        assert built.exit_code == 0 and f"built the network store at {store}" in built.stdout
        first = run("submit", EXAMPLE, "--country", "CM", "--by", "A steward")
        assert first.exit_code == 0 and "accepted: CM version 1" in first.stdout
        second = tmp_path / "cm.ttl"
        second.write_text(EXAMPLE.read_text().replace('"2012"^^xsd:gYear', '"2013"^^xsd:gYear'))
        assert "accepted: CM version 2" in run("submit", second, "--country", "CM").stdout
        assert "unchanged" in run("submit", second, "--country", "CM").stdout
        assert "A steward" in run("history", "CM").stdout
        diff = run("diff", "CM", "1", "2")
        assert "+ <https://example.org/chmgraph/example/chm/CM>" in diff.stdout
        assert "accepted: CM version 3" in run("rollback", "CM", "--to", "1").stdout
        assert "national/CM" in run("graphs").stdout
        assert run("status").exit_code == 0
        rows = run("query", "workshops-by-supporter", "--format", "csv").stdout.splitlines()
        assert len(rows) == 6  # a header and the Government of Japan's 5 workshops
        dumped = run("dump", "--out", tmp_path / "dump", "--base-url", "https://e.org/d/")
        assert dumped.exit_code == 0 and (tmp_path / "dump" / "national" / "CM.ttl").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind",
    [
        "oxigraph",
        "virtuoso",
    ],
)
def test_processes_submitting_to_one_engine_make_consecutive_versions(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    files = []
    for year in range(2001, 2007):
        path = tmp_path / f"cm-{year}.ttl"
        path.write_text(text.replace('"2012"^^xsd:gYear', f'"{year}"^^xsd:gYear'))
        files.append(path)
    with engine(kind, request) as (store, env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)  # the submitting processes inherit them
        with Network.open(store, settings=settings_for(env)) as network:
            network.init()
        for printed in submit_at_once(store, "CM", [files[i::3] for i in range(3)]):
            assert printed.count("accepted: CM version") == 2, printed
        with Network.open(store, settings=settings_for(env)) as network:
            history = versions(network.store, "CM")
    assert [v.number for v in history] == list(range(1, len(files) + 1))
    expected = sorted(hashlib.sha256(f.read_bytes()).hexdigest() for f in files)
    assert sorted(v.sha256 for v in history) == expected


def test_the_list_of_graphs_is_kept_briefly_and_dropped_by_a_write() -> None:
    """A remote store lists the engine's graphs once per ``graphs_ttl_s``, not for every query
    (on Virtuoso a listing reads every quad); its own writes are seen at once, another
    process's after at most that long."""
    sent: list[str] = []
    client = httpx.Client(event_hooks={"request": [lambda r: sent.append(r.read().decode())]})
    with oxigraph_server() as url:
        kept = RemoteStore(f"oxigraph+{url}", graphs_ttl_s=1.0, client=client)
        other = RemoteStore(f"oxigraph+{url}")
        kept.add([ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("1"),
                          ox.NamedNode("urn:g:1"))])  # fmt: skip
        assert kept.graphs() == ["urn:g:1"]  # its own write, at once
        listings = len(sent)
        for _ in range(5):
            assert kept.graphs() == ["urn:g:1"]
            kept.query("ASK { ?s ?p ?o }", union=True)
        assert len(sent) == listings + 5  # the five ASKs, no listing
        other.add([ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("2"),
                           ox.NamedNode("urn:g:2"))])  # fmt: skip
        time.sleep(1.1)
        assert kept.graphs() == ["urn:g:1", "urn:g:2"]  # another's write, once the list aged
        kept.close()
        other.close()

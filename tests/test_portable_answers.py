"""Answers that survive leaving chmgraph: the network's dump (its graphs and, apart, what they
entail) loaded into a plain Oxigraph server, and into Virtuoso by its bulk loader, answers every
library query, printed with ``chmgraph query NAME --print``, as the embedded store does."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from servers import OXIGRAPH, oxigraph_server, virtuoso_server

from chmgraph.cli import cli
from chmgraph.network import Network
from chmgraph.publish import dump_network
from chmgraph.query import self_contained
from chmgraph.query.library import QueryLibrary
from chmgraph.settings import Settings

LIBRARY = QueryLibrary.load()
UNCAPPED = Settings(max_rows=10**7, query_timeout_s=120)


DUMPED = Settings(dump_base_url="https://example.org/chmgraph/synthetic/dump/")
# The files of a dump that hold the graphs with their names: the network, and what it entails.
QUADS = ("network.nq", "inferred.nq")
ENGINES = ["oxigraph", "virtuoso"]


@pytest.fixture(scope="module", params=ENGINES)
def loaded(request: pytest.FixtureRequest, network: Network, tmp_path_factory) -> Iterator[str]:
    """The query endpoint of an engine loaded with the seed network's dump, as docs/remote.md
    says to load it."""
    if request.param == "oxigraph":
        yield from oxigraph_loaded(network, tmp_path_factory.mktemp("portable"))
    else:
        cache = Path(request.config.cache.mkdir("virtuoso"))
        yield from virtuoso_loaded(network, tmp_path_factory.mktemp("portable"), cache)


def virtuoso_loaded(network: Network, folder: Path, cache: Path) -> Iterator[str]:
    """The dump loaded into a new Virtuoso server with its bulk loader (``ld_dir``,
    ``rdf_loader_run``), which reads the N-Quads files with their graph names."""
    with virtuoso_server(folder / "virtuoso", cache) as server:
        dump = server.folder / "dump"  # a folder the server may read (DirsAllowed)
        dump_network(network.store, dump, settings=DUMPED)
        server.sql(
            *(f"ld_dir ('{dump}', '{name}', 'urn:chmgraph:no-graph')" for name in QUADS),
            "rdf_loader_run ()",
            "checkpoint",
        )
        failed = server.sql(
            "select ll_file, ll_error from DB.DBA.load_list where ll_error is not null"
        )
        assert ".nq" not in failed, failed
        loaded = server.sql("select count (*) from DB.DBA.load_list where ll_state = 2")
        assert loaded.split()[-1] == str(len(QUADS)), loaded
        yield server.url + "/sparql"


def oxigraph_loaded(network: Network, folder: Path) -> Iterator[str]:
    """The dump loaded into a new Oxigraph server, started with its defaults."""
    dump_network(network.store, folder / "dump", settings=DUMPED)
    location = folder / "db"
    for name in QUADS:
        subprocess.run(
            [OXIGRAPH, "load", "--location", location, "--file", folder / "dump" / name],
            check=True,
            capture_output=True,
        )
    with oxigraph_server(location) as url:
        yield url + "/query"


def answers_at(endpoint: str, text: str) -> Counter:
    response = httpx.post(
        endpoint,
        data={"query": text},
        headers={"accept": "application/sparql-results+json"},
        timeout=300,  # Virtuoso on a loaded machine
    )
    assert response.status_code == 200, response.text
    result = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
    if isinstance(result, ox.QueryBoolean):
        return Counter([bool(result)])
    return Counter(tuple(shown(t) for t in row) for row in result)


def shown(term: object) -> str:
    # GROUP_CONCAT joins a group's values in whatever order an engine meets them: compare the
    # values, not the order.
    if isinstance(term, ox.Literal) and " | " in term.value:
        return " | ".join(sorted(term.value.split(" | ")))
    return str(term)


def answers_here(network: Network, name: str) -> Counter:
    result = network.query(LIBRARY[name], settings=UNCAPPED)
    if result.form == "ASK":
        return Counter([result.boolean])
    return Counter(tuple(shown(t) for t in row) for row in result.rows)


@pytest.mark.parametrize("name", [q.name for q in LIBRARY if q.form in ("SELECT", "ASK")])
def test_a_printed_library_query_answers_on_the_dump_as_on_the_store(
    name: str, network: Network, loaded: str
) -> None:
    text = self_contained(network, LIBRARY[name])
    assert "FROM <" in text  # the graphs it reads are named, not left to the engine's default
    there, here = answers_at(loaded, text), answers_here(network, name)
    if any("_:" in k for row in here if isinstance(row, tuple) for k in row):
        assert sum(there.values()) == sum(here.values())  # blank node labels are the engine's
    else:
        assert there == here


def canonical(triples: Iterable[ox.Triple]) -> set[ox.Quad]:
    """A graph's triples with its blank nodes relabelled canonically (RDFC-1.0), so that two
    engines' answers compare as graphs."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


@pytest.mark.parametrize("name", [q.name for q in LIBRARY if q.form == "CONSTRUCT"])
def test_a_printed_construct_query_gives_the_same_graph_on_the_dump(
    name: str, network: Network, loaded: str
) -> None:
    text = self_contained(network, LIBRARY[name])
    response = httpx.post(
        loaded, data={"query": text}, headers={"accept": "application/n-triples"}, timeout=300
    )
    assert response.status_code == 200, response.text
    there = ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)
    here = network.query(LIBRARY[name], settings=UNCAPPED).triples
    assert here, "the query has an answer to compare"
    assert canonical(there) == canonical(here)


def test_query_print_shows_text_any_engine_can_run(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert CliRunner().invoke(cli, ["init", "--store", str(store)]).exit_code == 0
    printed = CliRunner().invoke(
        cli, ["query", "workshops-in-year", "-p", "year=2013", "--print", "--store", str(store)]
    )
    assert printed.exit_code == 0
    text = printed.stdout
    assert "\nPREFIX " in text and "FROM <https://w3id.org/chmgraph/graph/cbd>" in text
    assert '"2013"^^<http://www.w3.org/2001/XMLSchema#integer>' in text
    # It runs as it is on a plain engine holding the same graphs.
    scratch = ox.Store()
    with Network.open(store, read_only=True) as network:
        scratch.extend(network.store.quads())
    assert len(list(scratch.query(text))) == 3

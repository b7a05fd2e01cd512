"""Every library query on a small synthetic network (the seed network plus generated national
graphs): each finishes and answers with the shape it has on the seed network."""

from __future__ import annotations

import pytest

from chmgraph import iris
from chmgraph.entailment import materialize
from chmgraph.network import Network
from chmgraph.query import run_query
from chmgraph.query.library import QueryLibrary
from chmgraph.synth import SyntheticNetwork

LIBRARY = QueryLibrary.load()
COUNTRIES = 12


@pytest.fixture(scope="module")
def networks(tmp_path_factory):
    seed = Network.in_memory()
    seed.init()
    materialize(seed)
    synthetic = Network.in_memory()
    synthetic.init()
    path = tmp_path_factory.mktemp("synth") / "network.trig"
    SyntheticNetwork(target_triples=6_000, seed=3, countries=COUNTRIES).write_file(path)
    synthetic.store.bulk_load(path)
    materialize(synthetic)
    return seed, synthetic


@pytest.mark.parametrize("name", LIBRARY.names)
def test_each_query_answers_with_its_shape_on_a_synthetic_network(networks, name):
    seed, synthetic = networks
    expected = run_query(seed, LIBRARY[name])
    result = run_query(synthetic, LIBRARY[name])
    assert result.form == expected.form
    assert result.variables == expected.variables
    assert not result.truncated


def test_every_synthetic_national_graph_is_seen(networks):
    _, synthetic = networks
    national = {iris.country_of_graph(g) for g in synthetic.current_graphs()} - {None}
    assert len(national) == COUNTRIES
    stats = run_query(synthetic, LIBRARY["graph-statistics"])
    assert dict(zip(stats.values("graph"), stats.values("triples"), strict=True)) == {
        g: str(synthetic.store.count(g)) for g in synthetic.current_graphs()
    }
    world = run_query(
        synthetic, LIBRARY["countries-with-national-chm"], params={"area": "chmid:m49/001"}
    )
    assert {iri.rsplit("/", 1)[1] for iri in world.values("country")} == national


def test_the_countries_launched_in_a_year_are_listed_in_order(networks):
    _, synthetic = networks
    cells = run_query(synthetic, LIBRARY["national-chms-by-launch-year"]).values("countries")
    lists = [cell.split(" ") for cell in cells if cell]
    assert any(len(codes) > 1 for codes in lists)
    assert all(codes == sorted(codes) for codes in lists)

"""Harvesting over loopback HTTP: round trips between two networks, conditional requests,
timeouts, malformed and oversized sources, SPARQL and Graph Store Protocol endpoints."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from sites import SLOW_S, Site

from chmgraph import iris
from chmgraph.cli import cli
from chmgraph.harvest import Harvester, HarvestState, parse_interval
from chmgraph.network import Network
from chmgraph.publish.dump import dump_network
from chmgraph.settings import Settings

LIMIT = 4_000_000  # above the served network files, below the oversized sources
MALFORMED = b"@prefix ex: <http://example.org/> .\nex:s ex:p ex:o .\nex:s ex:p .\n"
# Parses, but describes no national CHM: the submission rules reject it.
NOT_A_NATIONAL_CHM = (
    b"<https://example.org/chmgraph/example/x> <http://purl.org/dc/terms/description> "
    b'"Example data: not a national CHM."@en .\n'
)


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Iterator[tuple[Network, Site]]:
    """Network A, with CM's example submission, dumped and served on loopback."""
    folder = tmp_path_factory.mktemp("served")
    network = Network.in_memory()
    network.init(include_example=True)
    raw = ox.Store()
    raw.extend(network.store.quads())
    site = Site(folder, raw)
    site.big_size = LIMIT
    dump_network(network.store, folder, settings=Settings(dump_base_url=site.url))
    yield network, site
    site.close()
    network.close()


@pytest.fixture
def site(source) -> Site:
    _, site = source
    site.reset()
    return site


@pytest.fixture
def target() -> Iterator[Network]:
    """Network B: the same base graphs, no national graph yet."""
    with Network.in_memory() as network:
        network.init()
        yield network


def harvester(network: Network, **settings: object) -> Harvester:
    values = {"harvest_max_bytes": LIMIT, "harvest_timeout_s": 0.5, **settings}
    return Harvester(network, settings=Settings(**values), state=HarvestState(None))


def national(network: Network, country: str = "CM") -> set[ox.Quad]:
    quads = [
        ox.Quad(q.subject, q.predicate, q.object)
        for q in network.store.quads(iris.national_graph(country))
    ]
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


@pytest.mark.parametrize(
    "path", ["void.ttl", "network.trig", "network.nq.gz", "national/CM.ttl", "national/CM.ttl.gz"]
)
def test_harvest_round_trip_reproduces_the_graph(source, site, target, path):
    network_a, _ = source
    result = harvester(target).harvest(site.url + path, "CM")
    assert result.status == "accepted", result.reason
    assert national(target) == national(network_a)
    record = target.history("CM")[-1]
    assert record.number == 1 and record.message == f"harvested from {result.source}"
    used = target.store.query(
        f"ASK {{ ?activity <http://www.w3.org/ns/prov#used> <{result.source}> }}",
        default_graph=[iris.SUBMISSIONS_GRAPH],
    )
    assert bool(used)
    if path == "void.ttl":
        assert result.source == site.url + "national/CM.ttl.gz"  # the VoID's best dump for CM


def test_second_harvest_is_a_conditional_request_answered_304(site, target):
    harvest = harvester(target)
    harvest.harvest(site.url + "national/CM.ttl", "CM")
    again = harvest.harvest(site.url + "national/CM.ttl", "CM")
    assert again.status == "unchanged"
    assert site.requests[-1][1] is not None and site.answers[-1] == 304
    assert len(target.history("CM")) == 1


def test_unchanged_bytes_are_skipped_without_parsing(site, target, monkeypatch):
    site.etags = False
    harvest = harvester(target)
    harvest.harvest(site.url + "national/CM.ttl", "CM")

    def must_not_parse(*_args, **_kwargs):
        raise AssertionError("an unchanged source was parsed")

    monkeypatch.setattr("chmgraph.harvest.parse_bytes", must_not_parse)
    again = harvest.harvest(site.url + "national/CM.ttl", "CM")
    assert again.status == "unchanged" and site.answers[-1] == 200


def test_void_listed_checksum_skips_the_download(site, target):
    harvest = harvester(target)
    harvest.harvest(site.url + "void.ttl", "CM")
    site.requests.clear()
    again = harvest.harvest(site.url + "void.ttl", "CM")
    assert again.status == "unchanged"
    assert [path for path, _ in site.requests] == ["void.ttl"]


def test_dump_that_differs_from_its_void_checksum_fails(site, target):
    changed = (site.body("national/CM.ttl") or b"") + b"# changed after the description\n"
    site.overrides["national/CM.ttl.gz"] = gzip.compress(changed)
    result = harvester(target).harvest(site.url + "void.ttl", "CM")
    assert result.status == "failed" and "SHA-256 differs" in result.reason
    assert target.history("CM") == []


@pytest.fixture
def harvested(site, target) -> Network:
    """Network B after a good harvest of CM: every failure below must keep this version."""
    assert harvester(target).harvest(site.url + "national/CM.ttl", "CM").status == "accepted"
    return target


def _kept(network: Network, before: set[ox.Quad]) -> bool:
    return len(network.history("CM")) == 1 and national(network) == before


def test_timeout_fails_and_keeps_the_previous_version(site, harvested):
    before = national(harvested)
    started = time.monotonic()
    result = harvester(harvested).harvest(site.url + "slow/national/CM.ttl", "CM")
    assert time.monotonic() - started < SLOW_S / 2  # the harvest did not wait for the answer
    assert result.status == "failed" and "no complete answer within 0.5 s" in result.reason
    assert _kept(harvested, before)


def test_malformed_turtle_fails_with_its_line_and_keeps_the_previous_version(site, harvested):
    site.overrides["bad.ttl"] = MALFORMED
    before = national(harvested)
    result = harvester(harvested).harvest(site.url + "bad.ttl", "CM")
    assert result.status == "failed"
    assert f"{site.url}bad.ttl:3:" in result.reason and "syntax error" in result.reason
    assert _kept(harvested, before)


@pytest.mark.parametrize(
    "path,message",
    [("huge-announced.ttl", "announces"), ("huge-streamed.ttl", "the download was stopped")],
)
def test_source_larger_than_the_limit_fails(site, harvested, path, message):
    before = national(harvested)
    result = harvester(harvested).harvest(site.url + path, "CM")
    assert result.status == "failed" and message in result.reason
    assert f"harvest_max_bytes ({LIMIT})" in result.reason
    assert _kept(harvested, before)


def test_source_that_does_not_conform_is_rejected(site, harvested):
    site.overrides["other.ttl"] = NOT_A_NATIONAL_CHM
    before = national(harvested)
    result = harvester(harvested).harvest(site.url + "other.ttl", "CM")
    assert result.status == "rejected" and "no chm:NationalCHM" in result.reason
    assert _kept(harvested, before)


def test_unreachable_source_fails(harvested):
    result = harvester(harvested).harvest("http://127.0.0.1:9/national/CM.ttl", "CM")
    assert result.status == "failed" and "cannot reach" in result.reason


@pytest.mark.parametrize("protocol,path", [("sparql", "sparql"), ("gsp", "gsp")])
def test_harvest_from_endpoints(source, site, target, protocol, path):
    network_a, _ = source
    result = harvester(target).harvest(site.url + path, "CM", protocol=protocol)
    assert result.status == "accepted", result.reason
    assert national(target) == national(network_a)


def test_harvest_from_a_local_file(source, target):
    network_a, site = source
    result = harvester(target).harvest(str(site.folder / "national" / "CM.ttl"), "CM")
    assert result.status == "accepted", result.reason
    assert national(target) == national(network_a)
    assert target.history("CM")[-1].message == "harvested from CM.ttl"  # no local path


def test_cli_harvest_remembers_the_source_next_to_the_store(site, tmp_path):
    store = tmp_path / "store"
    with Network.open(store, create=True) as network:
        network.init()
    command = ["harvest", site.url + "national/CM.ttl", "--graph", "CM", "--store", str(store)]
    first = CliRunner().invoke(cli, command)
    assert first.exit_code == 0, first.output
    assert "version 1" in first.output
    assert (tmp_path / "store.harvest.json").is_file()
    second = CliRunner().invoke(cli, command)
    assert second.exit_code == 0 and "unchanged" in second.output
    assert site.answers[-1] == 304
    site.overrides["bad.ttl"] = MALFORMED
    bad = CliRunner().invoke(
        cli, ["harvest", site.url + "bad.ttl", "--graph", "CM", "--store", str(store)]
    )
    assert bad.exit_code == 2
    assert "syntax error" in bad.output and "keeps its previous version" in bad.output


def test_cli_harvest_every_interval_repeats(site, tmp_path):
    store = tmp_path / "store"
    with Network.open(store, create=True) as network:
        network.init()
    url = site.url + "national/CM.ttl"
    command = ["harvest", url, "--graph", "CM", "--store", str(store), "--every", "0.1s"]
    result = CliRunner().invoke(cli, [*command, "--times", "2"])
    assert result.exit_code == 0, result.output
    assert "version 1" in result.output and "unchanged" in result.output
    assert [path for path, _ in site.requests] == ["national/CM.ttl", "national/CM.ttl"]


def test_intervals():
    assert parse_interval("90s") == 90 and parse_interval("6h") == 6 * 3600
    with pytest.raises(Exception, match="not an interval"):
        parse_interval("soon")

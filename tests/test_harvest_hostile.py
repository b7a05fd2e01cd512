"""Hostile and broken sources, each a real loopback server that misbehaves: the harvest returns
within its deadline, keeps the previous version, and reads nothing outside its allowed hosts."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from sites import Site

from chmgraph import iris
from chmgraph.harvest import Harvester, HarvestState
from chmgraph.network import Network
from chmgraph.publish.dump import dump_network
from chmgraph.settings import Settings

DEADLINE_S = 1.0
# What "within the deadline" allows for on a loaded machine: the deadline, plus setting up.
SLACK_S = 4.0


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> Iterator[tuple[Network, Site, Site, Site]]:
    """Network A dumped and served three times: on 127.0.0.1, on another port of the same host,
    and on 127.0.0.2 (another host)."""
    folder = tmp_path_factory.mktemp("served")
    network = Network.in_memory()
    network.init(include_example=True)
    site = Site(folder)
    same_host = Site(folder)
    other_host = Site(folder, host="127.0.0.2")
    dump_network(network.store, folder, settings=Settings(dump_base_url=site.url))
    yield network, site, same_host, other_host
    for s in (site, same_host, other_host):
        s.close()
    network.close()


@pytest.fixture(scope="module")
def downstream(sites) -> Iterator[Network]:
    """Network B with CM harvested once: every failure below must keep this version."""
    _, site, _, _ = sites
    with Network.in_memory() as network:
        network.init()
        assert harvester(network).harvest(site.url + "national/CM.ttl", "CM").ok
        yield network


@pytest.fixture
def site(sites) -> Site:
    for s in sites[1:]:
        s.reset()
    return sites[1]


def harvester(network: Network, **settings: object) -> Harvester:
    values = {"harvest_timeout_s": DEADLINE_S, "harvest_max_bytes": 4_000_000, **settings}
    return Harvester(network, settings=Settings(**values), state=HarvestState(None))


def national(network: Network) -> set[ox.Triple]:
    return {q.triple for q in network.store.quads(iris.national_graph("CM"))}


def fails_and_keeps(network: Network, url: str, expected: str, **settings: object) -> str:
    before, versions = national(network), len(network.history("CM"))
    started = time.monotonic()
    result = harvester(network, **settings).harvest(url, "CM")
    assert time.monotonic() - started < DEADLINE_S + SLACK_S
    assert result.status == "failed" and expected in result.reason, result.reason
    assert national(network) == before and len(network.history("CM")) == versions
    return result.reason


@pytest.mark.parametrize("path", ["hostile/slow-headers", "hostile/slow-body"])
def test_a_slow_source_is_cut_off_at_the_total_deadline(site, downstream, path):
    # Each byte comes well within a socket timeout: only a deadline on the whole stops it.
    fails_and_keeps(downstream, site.url + path, f"no complete answer within {DEADLINE_S:g} s")


def test_an_endless_body_is_stopped_at_the_size_limit(site, downstream):
    reason = fails_and_keeps(
        downstream, site.url + "hostile/endless", "the download was stopped", harvest_timeout_s=30
    )
    assert "harvest_max_bytes (4000000)" in reason


def test_an_endless_body_is_stopped_at_the_deadline_too(site, downstream):
    fails_and_keeps(
        downstream,
        site.url + "hostile/endless",
        "no complete answer within",
        harvest_max_bytes=10**10,
    )


def test_a_redirect_loop_is_refused(site, downstream):
    site.redirects.update({"a": "/b", "b": "/a"})
    fails_and_keeps(downstream, site.url + "a", "a redirect loop")


def test_redirects_are_limited(site, downstream):
    reason = fails_and_keeps(
        downstream, site.url + "hostile/chain/0", "more than 3 redirects", harvest_max_redirects=3
    )
    assert site.paths() == [f"hostile/chain/{n}" for n in range(4)], reason


def test_a_redirect_to_another_host_is_not_followed(sites, site, downstream):
    other = sites[3]
    site.redirects["away"] = other.url + "national/CM.ttl"
    fails_and_keeps(downstream, site.url + "away", "which is not one the harvest may read from")
    assert other.requests == []


def test_a_redirect_on_the_same_host_is_followed_and_the_url_read_is_recorded(sites, site):
    same_host = sites[2]
    site.redirects["moved/CM.ttl"] = same_host.url + "national/CM.ttl"
    with Network.in_memory() as network:
        network.init()
        result = harvester(network).harvest(site.url + "moved/CM.ttl", "CM")
        assert result.status == "accepted", result.reason
        assert result.source == same_host.url + "national/CM.ttl"
        assert network.history("CM")[-1].source == same_host.url + "national/CM.ttl"
        used = network.store.query(
            f"ASK {{ ?activity <http://www.w3.org/ns/prov#used> <{site.url}moved/CM.ttl> }}",
            default_graph=[iris.SUBMISSIONS_GRAPH],
        )
        assert not bool(used)  # the redirecting URL is not what was read


def void_linking(url: str, dataset: str = iris.national_graph("CM")) -> bytes:
    return (
        f"<{dataset}> <http://rdfs.org/ns/void#dataDump> <{url}> .\n"
        f"<{dataset}> <{iris.PREFIXES['rdf']}type> <http://rdfs.org/ns/void#Dataset> .\n"
    ).encode()


@pytest.mark.parametrize(
    "link,expected",
    [
        ("file:///etc/passwd", "not an http(s) URL"),
        ("ftp://127.0.0.1/national/CM.ttl", "not an http(s) URL"),
        ("OTHER", "which is not one the harvest may read from"),
    ],
)
def test_a_remote_void_links_only_to_http_on_allowed_hosts(sites, site, downstream, link, expected):
    other = sites[3]
    site.overrides["void-links.nt"] = void_linking(link.replace("OTHER", other.url + "x.ttl"))
    fails_and_keeps(downstream, site.url + "void-links.nt", expected)
    assert site.paths() == ["void-links.nt"] and other.requests == []
    outcome = harvester(downstream).harvest_network(site.url + "void-links.nt")
    [result] = outcome.results
    assert result.action == "failed" and expected in result.reason
    assert other.requests == []


def test_allowed_hosts_is_a_setting(sites, site, downstream):
    other = sites[3]
    site.overrides["void-other.nt"] = void_linking(other.url + "national/CM.ttl")
    result = harvester(downstream, harvest_allowed_hosts=("127.0.0.1", "127.0.0.2")).harvest(
        site.url + "void-other.nt", "CM"
    )
    assert result.status == "unchanged" and other.paths() == ["national/CM.ttl"]


def test_a_multi_member_gzip_is_read_whole(site):
    text = site.body("national/CM.ttl") or b""
    lines = text.splitlines(keepends=True)
    prefixes = [line for line in lines if line.startswith(b"@prefix")]
    statements = b"".join(lines[len(prefixes) :]).split(b" .\n")
    half = len(statements) // 2
    first = b"".join(prefixes) + b" .\n".join(statements[:half]) + b" .\n"
    second = b" .\n".join(statements[half:])
    site.overrides["two-members.ttl.gz"] = gzip.compress(first) + gzip.compress(second)
    assert gzip.decompress(site.overrides["two-members.ttl.gz"]) == first + second
    with Network.in_memory() as network:
        network.init()
        result = harvester(network).harvest(site.url + "two-members.ttl.gz", "CM")
        whole = network.version_triples("CM", 1) if result.ok else []
        assert result.status == "accepted", result.reason
        assert len(whole) == len(list(ox.parse(text, format=ox.RdfFormat.TURTLE)))


def test_a_gzip_cut_short_fails(site, downstream):
    packed = gzip.compress(site.body("national/CM.ttl") or b"")
    site.overrides["cut.ttl.gz"] = packed[: len(packed) // 2]
    fails_and_keeps(downstream, site.url + "cut.ttl.gz", "cut short")


def test_an_oversized_gzip_fails(site, downstream):
    site.overrides["bomb.ttl.gz"] = gzip.compress(b"# " + b"x" * 5_000_000 + b"\n")
    fails_and_keeps(downstream, site.url + "bomb.ttl.gz", "unpacks to more than harvest_max_bytes")

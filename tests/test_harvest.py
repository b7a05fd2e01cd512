"""Harvesting over loopback HTTP: round trips between two networks, conditional requests,
timeouts, malformed and oversized sources, SPARQL and Graph Store Protocol endpoints."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

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


class Site:
    """A loopback web site serving a dump directory, with misbehaving paths for the tests."""

    def __init__(self, folder: Path, store: ox.Store) -> None:
        self.folder, self.store = folder, store
        self.overrides: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []  # (path, If-None-Match)
        self.answers: list[int] = []
        self.etags = True
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}/"
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def body(self, path: str) -> bytes | None:
        if path in self.overrides:
            return self.overrides[path]
        file = self.folder / path
        return file.read_bytes() if file.is_file() else None


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            url = urllib.parse.urlparse(self.path)
            path = url.path.lstrip("/")
            site.requests.append((path, self.headers.get("If-None-Match")))
            params = urllib.parse.parse_qs(url.query)
            if path == "slow/national/CM.ttl":
                time.sleep(2)
                return self._send(200, site.body("national/CM.ttl") or b"")
            if path == "huge-announced.ttl":
                self.send_response(200)
                self.send_header("Content-Length", str(LIMIT * 10))
                self.end_headers()
                return None
            if path == "huge-streamed.ttl":
                return self._stream(b"<http://e/s> <http://e/p> <http://e/o> .\n" * 100, 2 * LIMIT)
            if path == "sparql":
                result = site.store.query(params["query"][0])
                return self._send(200, result.serialize(format=ox.RdfFormat.N_TRIPLES), "nt")
            if path == "gsp":
                graph = ox.NamedNode(params["graph"][0])
                data = site.store.dump(format=ox.RdfFormat.TURTLE, from_graph=graph)
                return self._send(200, data, "ttl")
            body = site.body(path)
            if body is None:
                return self._send(404, b"not found")
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if site.etags and self.headers.get("If-None-Match") == etag:
                return self._send(304, b"")
            return self._send(200, body, etag=etag if site.etags else None)

        def _send(self, status: int, body: bytes, kind: str = "", etag: str | None = None):
            site.answers.append(status)
            self.send_response(status)
            types = {"nt": "application/n-triples", "ttl": "text/turtle"}
            self.send_header("Content-Type", types.get(kind, "application/octet-stream"))
            if etag:
                self.send_header("ETag", etag)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _stream(self, chunk: bytes, size: int) -> None:
            # No Content-Length: the client learns the size only by reading.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(size // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass  # the client stopped reading at its limit

    return Handler


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Iterator[tuple[Network, Site]]:
    """Network A, with CM's example submission, dumped and served on loopback."""
    folder = tmp_path_factory.mktemp("served")
    network = Network.in_memory()
    network.init(include_example=True)
    raw = ox.Store()
    raw.extend(network.store.quads())
    site = Site(folder, raw)
    dump_network(network.store, folder, settings=Settings(dump_base_url=site.url))
    yield network, site
    site.server.shutdown()
    network.close()


@pytest.fixture
def site(source) -> Site:
    _, site = source
    site.overrides.clear()
    site.requests.clear()
    site.answers.clear()
    site.etags = True
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
    assert time.monotonic() - started < 1.9
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

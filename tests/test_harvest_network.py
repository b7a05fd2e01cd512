"""Harvesting a whole network in one command: one network's dump served on loopback, harvested
into a second store; then an update, a withdrawal and a graph that does not conform upstream,
each seen downstream as it should; an unchanged network costs one conditional request; the
store is free while a harvest waits on the network."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from serving import Served
from sites import Site

from chmgraph import iris
from chmgraph.cli import cli
from chmgraph.harvest import Harvester, HarvestState
from chmgraph.network import Network
from chmgraph.publish.dump import dump_network
from chmgraph.settings import Settings
from chmgraph.synth import SyntheticNetwork

STEWARD = "Synthetic steward (test data)"
CHMGRAPH = Path(sys.executable).parent / "chmgraph"


def synthetic_submission(code: str, seed: int) -> bytes:
    text = io.StringIO()
    SyntheticNetwork(target_triples=300, countries=[code], seed=seed).write_submission(code, text)
    return text.getvalue().encode()


class Upstream:
    """Network A: CM's example, AD and BR synthetic, dumped into a folder a site serves."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.network = Network.in_memory()
        self.network.init(include_example=True)
        for code in ("AD", "BR"):
            self.submit(code, seed=1)
        self.site = Site(folder)
        self.dump()

    def submit(self, code: str, seed: int) -> None:
        data = synthetic_submission(code, seed)
        result = self.network.submit(data, code, by=STEWARD, name=f"{code}.ttl")
        assert result.accepted, result.checked and result.checked.render()

    def dump(self) -> None:
        dump_network(
            self.network.store, self.folder, settings=Settings(dump_base_url=self.site.url)
        )

    def close(self) -> None:
        self.site.close()
        self.network.close()


@pytest.fixture
def upstream(tmp_path) -> Iterator[Upstream]:
    network = Upstream(tmp_path / "served")
    yield network
    network.close()


@pytest.fixture
def store(tmp_path) -> Path:
    """Network B on disk: the same base graphs, no national graph yet."""
    path = tmp_path / "store"
    with Network.open(path, create=True) as network:
        network.init()
    return path


def national(network: Network, code: str) -> set[ox.Triple]:
    dataset = ox.Dataset(
        ox.Quad(q.subject, q.predicate, q.object)
        for q in network.store.quads(iris.national_graph(code))
    )
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {q.triple for q in dataset}


def harvest(store: Path, url: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["harvest", url, "--store", str(store)])
    return result.exit_code, result.output


def test_a_whole_network_in_one_command_then_its_changes(upstream, store):
    void = upstream.site.url + "void.ttl"
    code, output = harvest(store, void)
    assert code == 0, output
    assert "3 added, 0 updated, 0 removed, 0 unchanged, 0 rejected, 0 failed" in output
    with Network.open(store) as b:
        for country in ("AD", "BR", "CM"):
            assert national(b, country) == national(upstream.network, country)
        [record] = b.history("AD")
    # The provenance names the file read, and what the upstream network says of its version.
    assert record.by == "chmgraph harvest"
    assert record.source == upstream.site.url + "national/AD.ttl.gz"
    assert record.upstream_version == 1 and record.upstream_steward == STEWARD
    assert record.upstream_when == upstream.network.history("AD")[-1].when

    # Nothing changed: one conditional request, answered 304.
    upstream.site.reset()
    code, output = harvest(store, void)
    assert code == 0 and "3 unchanged" in output and "(1 requests)" in output
    assert len(upstream.site.requests) == 1
    assert upstream.site.requests[0][1] is not None and upstream.site.answers == [304]

    # Upstream: BR updated, AD withdrawn, DE loaded without validation and not conforming.
    upstream.submit("BR", seed=2)
    assert upstream.network.withdraw("AD", by=STEWARD, message="withdrawn").accepted
    bad = upstream.folder.parent / "DE.trig"
    SyntheticNetwork(target_triples=300, countries=["DE"], violations=1).write_file(bad)
    upstream.network.load_national_graphs(bad, by=STEWARD, message="bulk, not validated")
    upstream.dump()
    upstream.site.reset()
    code, output = harvest(store, void)
    assert code == 1, output  # a graph was rejected
    assert "0 added, 1 updated, 1 removed, 1 unchanged, 1 rejected, 0 failed" in output
    assert "rejected: https://w3id.org/chmgraph/graph/national/DE" in output
    # CM is unchanged: its listed checksum is, so it is not downloaded.
    assert "national/CM.ttl.gz" not in upstream.site.paths()
    with Network.open(store) as b:
        assert national(b, "BR") == national(upstream.network, "BR")
        assert b.history("BR")[-1].number == 2 and b.history("BR")[-1].upstream_version == 2
        withdrawn = b.history("AD")[-1]
        assert withdrawn.number == 2 and withdrawn.triples == 0 and national(b, "AD") == set()
        assert "withdrawn upstream: the change set" in (withdrawn.message or "")
        assert withdrawn.source and withdrawn.source.startswith(upstream.site.url + "changes.ttl#")
        assert b.history("DE") == []
    history = CliRunner().invoke(cli, ["history", "BR", "--store", str(store), "--wide"])
    assert "(upstream: version 2, " in history.output and f"by {STEWARD}" in history.output

    # The rejected graph is remembered as such: the next run is one request again.
    upstream.site.reset()
    code, output = harvest(store, void)
    assert code == 0 and len(upstream.site.requests) == 1, output


def test_a_withdrawn_graph_keeps_its_history_and_diff(upstream):
    with Network.in_memory() as b:
        b.init()
        harvester = Harvester(b, state=HarvestState(None))
        assert harvester.harvest_network(upstream.site.url + "void.ttl").ok
        before = national(b, "AD")
        assert upstream.network.withdraw("AD", by=STEWARD, message="withdrawn").accepted
        upstream.dump()
        outcome = harvester.harvest_network(upstream.site.url + "void.ttl")
        assert outcome.count("removed") == 1 and outcome.count("unchanged") == 2
        added, removed = b.diff("AD", 1, 2)
        assert added == [] and set(removed) == before
        assert "national/AD.ttl" not in {p for p, _ in upstream.site.requests if "AD" in p}


def test_readers_see_a_network_harvest_whole(upstream, store):
    """Readers beside the harvesting writer (the embedded store's snapshots) see the network
    before the run or after it, never some of its graphs."""
    seen: list[set[str]] = []

    def read_while_committing(what: str, done: int, total: int) -> None:
        if what.startswith("committing") and done == total:  # the others are committed
            with Network.open(store, read_only=True) as reader:
                seen.append(
                    {g for g in reader.store.graphs() if g.startswith(iris.GRAPH + "national/")}
                )

    harvester = Harvester(lambda: Network.open(store), state=HarvestState.at(store))
    outcome = harvester.harvest_network(
        upstream.site.url + "void.ttl", progress=read_while_committing
    )
    assert outcome.count("added") == 3
    assert seen == [set()]
    with Network.open(store, read_only=True) as reader:
        nationals = {g for g in reader.store.graphs() if g.startswith(iris.GRAPH + "national/")}
    assert nationals == {iris.national_graph(c) for c in ("AD", "BR", "CM")}


def test_the_store_is_free_while_a_harvest_waits_on_the_network(upstream, store):
    """A source that sends its body slowly keeps the harvest waiting, not the store locked."""
    settings = Settings(harvest_timeout_s=3.0, store_wait_s=0)
    harvester = Harvester(lambda: Network.open(store, settings=settings), settings=settings)
    outcome: list[object] = []
    thread = threading.Thread(
        target=lambda: outcome.append(
            harvester.harvest(upstream.site.url + "hostile/slow-body", "CM")
        )
    )
    thread.start()
    deadline = time.monotonic() + 10
    while "hostile/slow-body" not in upstream.site.paths():  # until the download has begun
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with Network.open(store, settings=settings) as other:  # store_wait_s=0: no waiting
        assert other.history("CM") == []
    thread.join(10)
    [result] = outcome
    assert result.status == "failed" and "no complete answer within 3 s" in result.reason  # type: ignore[attr-defined]


def test_every_releases_the_store_between_runs(upstream, store):
    command = [
        str(CHMGRAPH),
        "harvest",
        upstream.site.url + "void.ttl",
        "--store",
        str(store),
        "--every",
        "3s",
        "--times",
        "2",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        while "requests)" not in (line := process.stdout.readline()):
            assert line, "the first run ended without its summary"
        # The first run is over and the next has not begun: the store is free.
        with Network.open(store, settings=Settings(store_wait_s=0)) as b:
            assert len(b.history("CM")) == 1
        rest = process.communicate(timeout=60)[0]
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert "3 unchanged" in rest


def test_the_server_harvests_in_the_background_and_answers_queries_meanwhile(upstream, tmp_path):
    served = Served(tmp_path / "served")
    try:
        void = upstream.site.url + "void.ttl"
        post = served.http.post(f"/api/harvest?source={void}")
        assert post.status_code == 401  # an admin credential is needed
        post = served.http.post(f"/api/harvest?source={void}", headers=served.bearer(served.admin))
        assert post.status_code == 202, post.text
        deadline = time.monotonic() + 120
        while (status := served.http.get("/api/harvest").json())["running"]:
            # Queries are answered while the harvest runs.
            answer = served.http.get("/sparql", params={"query": "ASK {}"})
            assert answer.status_code == 200
            assert time.monotonic() < deadline
            time.sleep(0.2)
        last = status["last"]
        assert last["ok"] and last["counts"]["added"] == 3, last
        history = served.http.get("/api/submissions/AD").json()
        assert history[-1]["upstream"]["steward"] == STEWARD
        assert history[-1]["source"] == upstream.site.url + "national/AD.ttl.gz"
        # The server's own dump holds the harvested graph once it is refreshed (in a thread).
        while served.http.get("/dump/national/AD.ttl").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        served.stop()

"""Readers never wait for a writer on the embedded store, and see one whole version.

Real processes on a real store: a ``chmgraph submit`` of a large file holds the store's lock
while every read command runs; a reader loops while another process commits a series of
versions; a writer killed between its commit and its snapshot; a store on a read-only disk."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from chmgraph import iris
from chmgraph.cli import cli
from chmgraph.entailment import inferred_graph
from chmgraph.network import Network
from chmgraph.settings import DATA_DIR

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"
CHMGRAPH = Path(sys.executable).parent / "chmgraph"
CM_GRAPH = iris.national_graph("CM")
INFERRED = inferred_graph(CM_GRAPH)
WORKSHOP = f"<{iris.vocab('Workshop')}>"
EVENT = "<https://schema.org/Event>"


def synthetic_submission(path: Path, things: int) -> Path:
    """The example national graph with ``things`` synthetic workshops (synthetic data, marked as
    such by its IRIs and descriptions)."""
    with path.open("w", encoding="utf-8") as out:
        out.write(EXAMPLE.read_text(encoding="utf-8"))
        for i in range(things):
            out.write(
                f"<{iris.SYNTHETIC}reliability/thing/{i}> a chm:Workshop ;\n"
                f'  rdfs:label "synthetic workshop {i}"@en ;\n'
                '  dcterms:description "Synthetic data for the reliability tests."@en .\n'
            )
    return path


def lock_held(store: Path) -> bool:
    """Whether some process holds the store's RocksDB lock (read from /proc/locks, without
    taking the lock)."""
    inode = (store / "LOCK").stat().st_ino
    return any(f":{inode} " in line for line in Path("/proc/locks").read_text().splitlines())


def run(*args: object) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    assert run("init", "--store", path, "--with-example").exit_code == 0
    return path


def test_every_read_command_runs_while_a_long_submit_holds_the_store(
    store: Path, tmp_path: Path
) -> None:
    large = synthetic_submission(tmp_path / "cm-large.ttl", 800)
    submit = subprocess.Popen(
        [CHMGRAPH, "submit", large, "--country", "CM", "--store", store],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not lock_held(store):
        assert submit.poll() is None and time.monotonic() < deadline, submit.communicate()
        time.sleep(0.02)
    dump = ["dump", "--out", tmp_path / "dump", "--base-url", "https://chm.example.org/dump/"]
    readings = (
        ["status"],
        ["history", "CM"],
        ["graphs"],
        ["query", "-e", "SELECT (COUNT(*) AS ?n) WHERE { ?w a chm:Workshop }"],
        ["diff", "CM", "0", "1"],
        dump,
    )
    for reading in readings:
        result = run(*reading, "--store", store)
        assert result.exit_code == 0, (reading, result.output)
        assert "in use" not in result.output
    # Every read ran while the writer held the store: the test proves nothing otherwise.
    assert submit.poll() is None and lock_held(store), "the submit ended before the reads did"
    out, err = submit.communicate(timeout=300)
    assert submit.returncode == 0 and "accepted: CM version 2" in out, err
    with Network.open(store, read_only=True) as network:
        assert [v.number for v in network.history("CM")] == [1, 2]
        assert network.store.count(CM_GRAPH) == network.history("CM")[-1].triples


# The writer of the series: submissions checked by the syntax gate only (SHACL validation of
# each would take far longer than the commits this test is about), version i holding i things.
SERIES_WRITER = """
import hashlib, sys
from pathlib import Path
from chmgraph import network
from chmgraph.network.submission import CheckedSubmission
from chmgraph.rdfio import parse_bytes

def syntax_checked(source, country, store=None):
    quads = parse_bytes(source.data, name=source.name, format=source.format)
    return CheckedSubmission(quads, True, "syntax checked", hashlib.sha256(source.data).hexdigest())

network.check_submission = syntax_checked
for path in sys.argv[2:]:
    with network.Network.open(sys.argv[1]) as net:
        print(net.submit(Path(path), "CM").version, flush=True)
"""


def test_readers_during_a_series_of_submissions_see_whole_versions(
    store: Path, tmp_path: Path
) -> None:
    sizes = [3 * i for i in range(1, 9)]
    files = [synthetic_submission(tmp_path / f"cm-{n}.ttl", n) for n in sizes]
    writer = subprocess.Popen(
        [sys.executable, "-c", SERIES_WRITER, store, *files],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: dict[int, int] = {}
    reads = 0
    while writer.poll() is None or not reads:
        with Network.open(store, read_only=True) as network:
            history = network.history("CM")
            latest = history[-1]
            graph = network.store.count(CM_GRAPH)
            things = _count(network, f"GRAPH <{CM_GRAPH}> {{ ?w a {WORKSHOP} }}")
            # What the vocabulary entails from them, written in the same commit.
            entailed = _count(
                network,
                f"GRAPH <{CM_GRAPH}> {{ ?w a {WORKSHOP} }} GRAPH <{INFERRED}> {{ ?w a {EVENT} }}",
            )
        reads += 1
        # One snapshot: the graph, its size in the record and its content agree.
        assert graph == latest.triples, (latest.number, graph, latest.triples)
        expected = 0 if latest.number == 1 else sizes[latest.number - 2]
        assert things == expected == entailed, (latest.number, things, entailed)
        seen[latest.number] = things
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert out.split() == [str(n) for n in range(2, 2 + len(files))]
    assert reads >= 5 and len(seen) >= 2, (reads, seen)


def _count(network: Network, pattern: str) -> int:
    result = network.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    return int(next(iter(result))["n"].value)


# A writer that commits a version and is killed before it publishes the snapshot.
KILLED_WRITER = """
import os, sys
from pathlib import Path
from chmgraph.network import Network
net = Network.open(sys.argv[1])
with net.store.one_change():
    print(net.submit(Path(sys.argv[2]), "CM").version, flush=True)
    os.kill(os.getpid(), 9)
"""


def test_a_reader_catches_up_with_a_writer_killed_before_its_snapshot(
    store: Path, tmp_path: Path
) -> None:
    edited = tmp_path / "cm.ttl"
    edited.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('"2012"^^xsd:gYear', '"2013"^^xsd:gYear')
    )
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, store, edited], capture_output=True, text=True
    )
    assert killed.returncode == -9 and killed.stdout.split() == ["2"], killed.stderr
    history = run("history", "CM", "--store", store)
    assert history.exit_code == 0 and "chmgraph init" in history.output
    with Network.open(store, read_only=True) as network:
        assert [v.number for v in network.history("CM")] == [1, 2]


def test_a_store_on_a_read_only_disk_can_be_queried(store: Path, tmp_path: Path) -> None:
    mounted = tmp_path / "read-only"
    mounted.mkdir()
    bound = subprocess.run(["mount", "--bind", "-o", "ro", store, mounted], capture_output=True)
    if bound.returncode:
        pytest.skip(f"this machine refuses a read-only bind mount: {bound.stderr!r}")
    try:
        assert not os.access(mounted, os.W_OK)
        query = run("query", "-e", "SELECT ?v WHERE { ?v a chm:NationalCHM }", "--store", mounted)
        assert query.exit_code == 0 and "chm/CM" in query.output, query.output
        history = run("history", "CM", "--store", mounted)
        assert history.exit_code == 0 and "chmgraph init" in history.output
        refused = run("submit", EXAMPLE, "--country", "CM", "--store", mounted)
        assert refused.exit_code == 3 and "Traceback" not in refused.output
    finally:
        subprocess.run(["umount", mounted], check=True)

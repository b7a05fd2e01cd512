"""Faults below chmgraph: a disk that fills during a submission, a remote engine that dies in the
middle of a request. The store opens afterwards, every accepted version is whole, the steward
can tell whether a version exists, and no command shows a traceback."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from reliability import record, soak_number, soak_values
from servers import OXIGRAPH, free_port, wait_for

from chmgraph import iris
from chmgraph.network import Network
from chmgraph.settings import DATA_DIR

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"
CHMGRAPH = Path(sys.executable).parent / "chmgraph"
# Free space left on the small disk, in KiB, one trial each: from too little to open the store
# to enough for the commit but not for its snapshot (make soak: every size of SOAK_FREE_KIB).
FREE_KIB = soak_values("SOAK_FREE_KIB", (64, 320))


def chmgraph(*args: object, store: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHMGRAPH, *map(str, args), "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CHMGRAPH_STORE_WAIT_S": "5"},
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of its own (the machine must let this process mount one)."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", where], capture_output=True
    )
    if mounted.returncode:
        pytest.skip(f"this machine refuses to mount a small tmpfs: {mounted.stderr!r}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", where], check=False)


def _used_kib(where: Path) -> int:
    stat = shutil.disk_usage(where)
    return stat.used // 1024


def _resize(where: Path, kib: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={kib}k", where], check=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("full") / "store"
    with Network.open(store, create=True) as network:
        network.init()
        network.submit(EXAMPLE, "CM")
    return store


@pytest.mark.parametrize("free_kib", FREE_KIB)
def test_a_disk_that_fills_during_a_submission_loses_nothing(
    built: Path, small_disk: Path, tmp_path: Path, free_kib: int
) -> None:
    store = small_disk / "store"
    shutil.copytree(built, store)
    shutil.copytree(built.with_name("store.snapshots"), small_disk / "store.snapshots")
    edited = tmp_path / "cm.ttl"
    edited.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('"2012"^^xsd:gYear', '"2013"^^xsd:gYear')
    )
    _resize(small_disk, _used_kib(small_disk) + free_kib)
    full = chmgraph("submit", edited, "--country", "CM", store=store)
    assert full.returncode in (0, 3), full.stderr
    assert "Traceback" not in full.stderr + full.stdout
    if full.returncode:
        assert full.stderr.startswith("error: store at"), full.stderr
    # Reading on the full disk works, or fails in one line.
    reading = chmgraph("history", "CM", store=store)
    assert reading.returncode in (0, 3) and "Traceback" not in reading.stderr, reading.stderr
    _resize(small_disk, 64 * 1024)
    with Network.open(store, read_only=True) as network:
        history = network.history("CM")
        archives = [len(network.version_triples("CM", v.number)) for v in history]
        current = network.store.count(iris.national_graph("CM"))
    accepted = full.returncode == 0
    assert [v.number for v in history] == ([1, 2] if accepted else [1])
    assert archives == [v.triples for v in history] and current == history[-1].triples
    again = chmgraph("submit", edited, "--country", "CM", store=store)
    assert again.returncode == 0, again.stderr
    expected = "identical to CM version 2" if accepted else "accepted: CM version 2"
    assert expected in again.stdout, (again.stdout, full.stdout, full.stderr)
    record("disk-full", free_kib=free_kib, accepted=accepted, message=full.stderr.strip()[:160])


HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
FILLER = "".join(
    f'<{iris.SYNTHETIC}engine/{i}> <{iris.SYNTHETIC}p> "{i}" .\n' for i in range(3000)
).encode()


def test_a_remote_engine_killed_mid_request_is_a_one_line_error(tmp_path: Path) -> None:
    location = tmp_path / "engine"
    port = free_port()
    serve = [OXIGRAPH, "serve", "--location", location, "--bind", f"127.0.0.1:{port}"]
    engine = subprocess.Popen(serve, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    graph = f"{iris.SYNTHETIC}engine"
    try:
        wait_for(port, engine)
        loaded = httpx.put(
            f"http://127.0.0.1:{port}/store",
            params={"graph": graph},
            content=FILLER,
            headers={"Content-Type": "application/n-triples"},
        )
        assert loaded.is_success, loaded.text
        asking = subprocess.Popen(
            [
                CHMGRAPH,
                "query",
                "-e",
                HEAVY,
                "--graph",
                graph,
                "--store",
                f"oxigraph+http://127.0.0.1:{port}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2.5)
        assert asking.poll() is None, "the query ended before the engine was killed"
        engine.send_signal(signal.SIGKILL)
        engine.wait(10)
        _, err = asking.communicate(timeout=120)
        assert asking.returncode == 3, (asking.returncode, err)
        # One line naming the store: the engine went mid-answer, or (a read retried once the
        # connection dropped) cannot be reached any more.
        assert err.startswith(("error: store at", "error: cannot reach store at")), err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        # The engine starts again on its data, whole.
        engine = subprocess.Popen(serve, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(port, engine)
        back = httpx.get(
            f"http://127.0.0.1:{port}/store",
            params={"graph": graph},
            headers={"Accept": "application/n-triples"},
        )
        assert len(back.text.splitlines()) == 3000
        record("remote-engine-killed", exit_code=asking.returncode, message=err.strip()[:160])
    finally:
        engine.kill()
        engine.wait(10)


CLI_KILLS = int(soak_number("SOAK_CLI_KILLS", 2))


def test_submit_killed_at_random_moments_leaves_whole_versions(built: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(built, store)
    shutil.copytree(built.with_name("store.snapshots"), tmp_path / "store.snapshots")
    chooser = random.Random(1616)
    outcomes = {"before": 0, "after": 0}
    for trial in range(CLI_KILLS):
        body = tmp_path / f"cm-{trial}.ttl"
        body.write_text(
            EXAMPLE.read_text(encoding="utf-8").replace(
                '"2012"^^xsd:gYear', f'"{1900 + trial}"^^xsd:gYear'
            )
        )
        submit = subprocess.Popen(
            [CHMGRAPH, "submit", body, "--country", "CM", "--store", store],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(chooser.uniform(0.3, 5.0))
        submit.kill()
        submit.communicate(timeout=30)
        with Network.open(store, read_only=True) as network:
            history = network.history("CM")
            archives = [len(network.version_triples("CM", v.number)) for v in history]
            current = network.store.count(iris.national_graph("CM"))
        assert [v.number for v in history] == list(range(1, len(history) + 1))
        assert archives == [v.triples for v in history] and current == history[-1].triples
        there = history[-1].sha256 == hashlib.sha256(body.read_bytes()).hexdigest()
        again = chmgraph("submit", body, "--country", "CM", store=store)
        assert again.returncode == 0, again.stderr
        number = history[-1].number
        expected = f"identical to CM version {number}" if there else f"version {number + 1}"
        assert expected in again.stdout, (again.stdout, history)
        outcomes["after" if there else "before"] += 1
    record("cli-killed", trials=CLI_KILLS, **outcomes)

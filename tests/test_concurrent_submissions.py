"""Many writers, one history: versions are numbered by conditional writes, so concurrent
submitters (threads, processes) produce consecutive versions and none is lost or written twice."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import pytest
from stewards import submit_at_once

from chmgraph import iris
from chmgraph.network import Network, check_submission
from chmgraph.network.history import versions
from chmgraph.network.submission import commit
from chmgraph.settings import DATA_DIR
from chmgraph.validation import run as run_module

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"
LAUNCH = '"2012"^^xsd:gYear'


def variants(tmp_path: Path, years: range) -> list[Path]:
    """The example submission with its launch year changed: one distinct file per year."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert LAUNCH in text
    paths = []
    for year in years:
        path = tmp_path / f"cm-{year}.ttl"
        path.write_text(text.replace(LAUNCH, f'"{year}"^^xsd:gYear'), encoding="utf-8")
        paths.append(path)
    return paths


def test_a_commit_on_a_stale_history_writes_nothing() -> None:
    network = Network.in_memory()
    network.init()
    network.submit(EXAMPLE, "CM")
    before = set(network.store.quads())
    triples = [q.triple for q in network.store.quads(iris.national_graph("CM"))][1:]
    # This writer read the history before version 1 existed: its version 1 must not be written.
    written = commit(
        network.store, "CM", triples, [], digest="00", by=None, message=None, validation=None
    )
    assert written is None
    assert set(network.store.quads()) == before


def test_threads_submitting_one_country_make_consecutive_versions(tmp_path: Path) -> None:
    network = Network.in_memory()
    network.init()
    files = variants(tmp_path, range(2001, 2007))
    barrier = threading.Barrier(len(files))
    outcomes: list[str] = []

    def submit(path: Path) -> None:
        barrier.wait()
        outcomes.append(network.submit(path, "CM").status)

    workers = [threading.Thread(target=submit, args=(f,)) for f in files]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert outcomes == ["accepted"] * len(files)
    history = versions(network.store, "CM")
    assert [v.number for v in history] == list(range(1, len(files) + 1))
    assert sorted(v.sha256 for v in history) == sorted(_sha(f) for f in files)


@pytest.mark.slow
def test_processes_submitting_one_country_make_consecutive_versions(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with Network.open(store, create=True) as network:
        network.init()
    files = variants(tmp_path, range(2001, 2007))
    # Two stewards' terminals, each submitting three versions as fast as it can.
    for printed in submit_at_once(store, "CM", [files[0::2], files[1::2]]):
        assert printed.count("accepted: CM version") == 3, printed
    with Network.open(store, read_only=True) as network:
        history = versions(network.store, "CM")
    assert [v.number for v in history] == list(range(1, len(files) + 1))
    assert sorted(v.sha256 for v in history) == sorted(_sha(f) for f in files)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_validations_from_any_caller_run_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """pySHACL is not thread-safe: a steward's check through the network and a harvest's check
    (``check_submission`` with a context read earlier, as the harvester calls it) started at
    once in two threads of one process never validate at the same time."""
    network = Network.in_memory()
    network.init()
    context = network.validation_context()
    running = [0, 0]  # validations inside the engine now, the most at once
    lock = threading.Lock()
    engine = run_module.run_engine

    def watched(*args: object) -> object:
        with lock:
            running[0] += 1
            running[1] = max(running)
        try:
            time.sleep(0.2)  # long enough for the other thread to arrive if it could
            return engine(*args)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(run_module, "run_engine", watched)
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def steward() -> None:
        barrier.wait()
        results.append(network.check(EXAMPLE, "CM").conforms)

    def harvester() -> None:
        barrier.wait()
        results.append(check_submission(EXAMPLE, "CM", context=context).conforms)

    workers = [threading.Thread(target=steward), threading.Thread(target=harvester)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert results == [True, True]
    assert running[1] == 1

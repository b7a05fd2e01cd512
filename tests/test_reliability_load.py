"""Load and faults against ``chmgraph serve`` over real HTTP, bounded for ``make test``
(``make soak`` runs the same for minutes, on a larger network: ``scripts/soak.py``).

Clients run the query-library mix while a steward submits and rolls back: no error, one answer
per query in each state of the network, and each answer one a single client sees for that
content. Then the server is killed (SIGKILL) in the middle of submissions: it starts again on
its store, every accepted version is whole, and resubmitting answers "unchanged"."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import threading
import time

import httpx
import pytest
from reliability import (
    check,
    library_mix,
    record,
    run_clients,
    single_client_answers,
    soak_number,
)
from serving import Served

from chmgraph import iris
from chmgraph.network import Network
from chmgraph.settings import DATA_DIR

EXAMPLE = (DATA_DIR / "examples" / "national-chm-example.ttl").read_bytes()
EDITED = EXAMPLE.replace(b'"2012"^^xsd:gYear', b'"2013"^^xsd:gYear')
# make soak: SOAK_CLIENTS clients for SOAK_SECONDS on a SOAK_NETWORK network, SOAK_KILLS kills.
CLIENTS = int(soak_number("SOAK_CLIENTS", 4))
SECONDS = soak_number("SOAK_SECONDS", 8)
SYNTHETIC = os.environ.get("SOAK_NETWORK", "")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    env = {"CHMGRAPH_SERVER_RATE_LIMIT_PER_MINUTE": "1000000"}
    if SYNTHETIC:
        # make soak on a large network, on a machine shared with other work: a query may wait
        # for a worker behind 31 others. Latency is recorded (p50, p99), not failed: the query
        # timeout is raised for it. The load starts while the server writes its first dump (in
        # the background: minutes at 1M), which must not hold the readers.
        env["CHMGRAPH_QUERY_TIMEOUT_S"] = "300"
        env["CHMGRAPH_SERVER_DUMP_NICENESS"] = "10"  # the default, as a server runs it
    server = Served(
        tmp_path_factory.mktemp("load"),
        env=env,
        synthetic=SYNTHETIC,
        start_s=3600 if SYNTHETIC else 60,
        wait_for_dump=not SYNTHETIC,
    )
    yield server
    server.stop()


def test_clients_see_whole_versions_while_a_steward_submits_and_rolls_back(served) -> None:
    cm = served.bearer(served.cm)
    mix = library_mix()
    # CM may hold versions already (a synthetic network): the two contents get new numbers.
    one = served.http.post("/api/submissions/CM", content=EXAMPLE, headers=cm).json()["version"]
    first = single_client_answers(served.url, mix)
    two = served.http.post("/api/submissions/CM", content=EDITED, headers=cm).json()["version"]
    second = single_client_answers(served.url, mix)
    back = served.http.post("/api/submissions/CM/rollback", params={"to": one}, headers=cm)
    assert back.json()["version"] == two + 1, back.text
    # Queries that read the history (it grows with each version) are checked for one answer
    # per state only; the others must also give one of the answers of the two contents.
    again = single_client_answers(served.url, mix)
    changing = {name for name in mix if first[name] != again[name]}
    assert len(changing) < len(mix) / 2, changing
    stop = threading.Event()
    seen, threads = run_clients(served.url, mix, CLIENTS, stop)
    writes = 0
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline or writes < 3:  # a slow machine still sees versions change
        got = served.http.post(
            "/api/submissions/CM/rollback", params={"to": one if writes % 2 else two}, headers=cm
        )
        assert got.status_code == 200 and got.json()["status"] == "accepted", got.text
        writes += 1
        time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join(120)
    problems = check(seen, [first, second], changing)
    assert not problems, problems[:10]
    summary = seen.summary()
    assert summary["requests"] >= 2 * CLIENTS and writes >= 3, (summary, writes)
    states = {at for _, at in seen.by_state}
    assert len(states) >= 2, "no answer came from more than one version"
    record(
        "load",
        clients=CLIENTS,
        seconds=SECONDS,
        network=SYNTHETIC or "seed",
        writes=writes,
        states=len(states),
        queries=len(mix),
        **summary,
    )


SUBMIT_KILLS = int(soak_number("SOAK_KILLS", 2))


@pytest.fixture(scope="module")
def killable(served, tmp_path_factory):
    """The server to kill: the load's own in make test; in make soak, one on the seed network
    (a large network makes each restart, which rewrites the dump, take a minute)."""
    if not SYNTHETIC:
        yield served
        return
    server = Served(tmp_path_factory.mktemp("kills"))
    yield server
    server.stop()


def test_the_server_killed_during_submissions_loses_no_accepted_version(killable) -> None:
    server = killable
    chooser = random.Random(16)
    accepted: dict[int, str] = {}
    bodies = [
        EXAMPLE.replace(b'"2012"^^xsd:gYear', f'"{1990 + trial}"^^xsd:gYear'.encode())
        for trial in range(SUBMIT_KILLS)
    ]
    try:
        for body in bodies:
            sender = threading.Thread(
                target=_submit_recording, args=(server, body, accepted), daemon=True
            )
            sender.start()
            time.sleep(chooser.uniform(0.5, 3.0))
            server.process.send_signal(signal.SIGKILL)
            assert server.process.wait(30) == -signal.SIGKILL
            sender.join(60)
            server.restart()
        with Network.open(server.store, read_only=True) as network:
            history = network.history("CM")
            current = network.store.count(iris.national_graph("CM"))
            archives = [len(network.version_triples("CM", v.number)) for v in history]
        assert [v.number for v in history] == list(range(1, len(history) + 1))
        # Whole: each record's archive has the size it says, the current graph the last one's.
        assert archives == [v.triples for v in history]
        assert not history or current == history[-1].triples
        # No version the server said it accepted is lost.
        assert {n: d for n, d in accepted.items()} == {
            v.number: v.sha256 for v in history if v.number in accepted
        }
        # The steward can tell whether the last submission is there: resubmitting it says so.
        last = bodies[-1]
        again = server.http.post(
            "/api/submissions/CM", content=last, headers=server.bearer(server.cm)
        )
        assert again.status_code == 200, again.text
        there = bool(history) and history[-1].sha256 == hashlib.sha256(last).hexdigest()
        expected = "unchanged" if there else "accepted"
        assert again.json()["status"] == expected, (again.json(), history)
        record(
            "server-killed",
            trials=len(bodies),
            accepted_before_kill=len(accepted),
            versions=len(history),
        )
    finally:
        if server.process.poll() is not None:
            server.restart()  # the module's fixture stops it


def _submit_recording(server: Served, body: bytes, accepted: dict[int, str]) -> None:
    try:
        got = httpx.post(
            f"{server.url}/api/submissions/CM",
            content=body,
            headers=server.bearer(server.cm),
            timeout=60,
        )
    except httpx.HTTPError:
        return  # killed before it answered: the version may or may not be there
    if got.status_code == 200 and got.json()["status"] == "accepted":
        accepted[got.json()["version"]] = hashlib.sha256(body).hexdigest()

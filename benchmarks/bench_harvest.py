"""Harvesting a whole network over loopback: ``chmgraph harvest VOID_URL`` of the synthetic
network (196 national graphs), cold (an empty store: every graph downloaded, validated and
committed) and warm (nothing changed upstream: one conditional request).

The upstream network is the synthetic network bulk-loaded into a store and dumped (untimed),
served by ``python -m http.server`` in a process of its own, as docs/dumps.md does. Each cold run
starts from a copy of the same freshly initialized store; the warm runs (at least three: each is
one request) harvest again into the store the last cold run filled. The notes give the time of
each step of a cold run (downloads, checks, commits), from the harvest's own progress reports.
No baseline: no other tool harvests a CHM network; the figures are for following chmgraph's own
speed.

Not in the default run (the cold harvest validates every graph): ``make bench BENCH_ARGS="--only
harvest"``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness

from chmgraph.harvest import Harvester, HarvestState
from chmgraph.network import Network
from chmgraph.publish.dump import dump_network
from chmgraph.settings import Settings

IN_DEFAULT_RUN = False


def run(size: str, repeats: int) -> list[dict[str, Any]]:
    workload = harness.network(size)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        port = harness.free_port()
        url = f"http://127.0.0.1:{port}/"
        _upstream(workload.path, base / "dump", url)
        empty = base / "empty"
        with Network.open(empty, create=True) as network:
            network.init()
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
            cwd=base / "dump",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            harness.wait_for_port(port, "the dump server", 20)
            cold, steps, store = _cold(empty, base, url + "void.ttl", repeats)
            warm, requests = _warm(store, url + "void.ttl", max(repeats, 3))
        finally:
            server.terminate()
            server.wait(10)
    common = {"size": workload.size, "triples": workload.triples}
    return [
        harness.complete(
            common
            | {
                "name": "harvest: whole network, cold",
                "chmgraph_name": f"harvest_network, {workload.graphs} graphs, empty store",
                "chmgraph_s": cold,
                "notes": f"{steps}; loopback, python -m http.server",
            }
        ),
        harness.complete(
            common
            | {
                "name": "harvest: whole network, warm",
                "chmgraph_name": "Harvester.harvest_network again, nothing changed",
                "chmgraph_s": warm,
                "goal": "one conditional request",
                "notes": f"{requests} request(s) per run",
            }
        ),
    ]


def _upstream(trig: Path, out: Path, url: str) -> None:
    with Network.in_memory() as network:
        network.init()
        network.load_national_graphs(trig, by="benchmark", message="synthetic network")
        dump_network(network.store, out, settings=Settings(dump_base_url=url))


def _cold(empty: Path, base: Path, void: str, repeats: int) -> tuple[list[float], str, Path]:
    seconds: list[float] = []
    steps = ""
    store = base / "store"
    marks: dict[str, tuple[float, float]] = {}  # step -> (wall, CPU) when it last reported

    def progress(what: str, done: int, total: int) -> None:
        marks[what.split(" ", 1)[0]] = (time.perf_counter(), time.process_time())

    for _ in range(repeats):
        shutil.rmtree(store, ignore_errors=True)
        store.with_name(store.name + ".harvest.json").unlink(missing_ok=True)
        shutil.copytree(empty, store)
        marks.clear()
        harvester = Harvester(lambda: Network.open(store), state=HarvestState.at(store))
        started = (time.perf_counter(), time.process_time())
        outcome = harvester.harvest_network(void, progress=progress)
        ended = (time.perf_counter(), time.process_time())
        seconds.append(ended[0] - started[0])
        if not outcome.ok or outcome.count("added") == 0:
            raise RuntimeError(f"the cold harvest did not add the graphs: {outcome.summary()}")
        steps = _steps(started, ended, marks, outcome.summary())
    return seconds, steps, store


def _warm(store: Path, void: str, repeats: int) -> tuple[list[float], int]:
    seconds: list[float] = []
    requests = 0
    for _ in range(repeats):
        harvester = Harvester(lambda: Network.open(store), state=HarvestState.at(store))
        started = time.perf_counter()
        outcome = harvester.harvest_network(void)
        seconds.append(time.perf_counter() - started)
        requests = outcome.requests
        if outcome.count("unchanged") == 0:
            raise RuntimeError(f"the warm harvest changed something: {outcome.summary()}")
    return seconds, requests


def _steps(
    started: tuple[float, float],
    ended: tuple[float, float],
    marks: dict[str, tuple[float, float]],
    summary: str,
) -> str:
    """Each step's wall and CPU seconds (the harvesting process's own CPU: on a loaded machine
    the wall time is mostly waiting for a core), from the progress reports."""
    ends = [
        (step, marks[step]) for step in ("downloading", "checking", "committing") if step in marks
    ]
    parts, last = [], started
    for step, end in ends:
        parts.append(f"{step} {end[0] - last[0]:.1f} s (CPU {end[1] - last[1]:.1f} s)")
        last = end
    cpu = ended[1] - started[1]
    return (
        f"{', '.join(parts)}; CPU {cpu:.1f} s in all (last cold run; {summary.split(': ', 1)[1]})"
    )

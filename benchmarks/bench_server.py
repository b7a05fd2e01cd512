"""``chmgraph serve`` beside ``oxigraph serve`` on the same data, over loopback HTTP: the query
library's mix at 1, 8 and 32 concurrent clients, uncached (each request's text made unique with a
comment) and with the result cache (the same texts repeated).

Not in the default run (it starts two servers and takes minutes): ``make bench
BENCH_ARGS="--only server"``. Both servers get the same prepared query texts (the library's
prefixes declared, default parameters bound), so they do the same work; chmgraph's server also
runs its guards (SERVICE allowlist, timeout, row cap) and applies the vocabulary's entailment,
as it always does, where the Oxigraph server reads the same inferred graphs through its union
default graph.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import harness
import httpx
import pyoxigraph as ox

from chmgraph.network import Network
from chmgraph.query.library import QueryLibrary
from chmgraph.query.text import prepare

IN_DEFAULT_RUN = False
CLIENTS = (1, 8, 32)
# Requests a run sends in all, shared among its clients.
REQUESTS_PER_RUN = 256
BIN = Path(sys.executable).parent
LOAD_MESSAGE = "benchmark network"


def run(size: str, repeats: int) -> list[dict[str, Any]]:
    workload = harness.network(size)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        store = base / "store"
        texts = _build(store, workload.path)
        nquads = base / "all.nq"
        with Network.open(store) as network:
            network.store.dump(nquads, ox.RdfFormat.N_QUADS)
        oxigraph_db = base / "oxigraph"
        subprocess.run(
            [BIN / "oxigraph", "load", "--location", oxigraph_db, "--file", nquads],
            check=True,
            capture_output=True,
        )
        with (
            _server(_chmgraph_command(store), "/healthz") as chm,
            _server(_oxigraph_command(oxigraph_db), "/query?query=ASK%7B%7D") as oxi,
        ):
            rows = []
            for clients in CLIENTS:
                for cached in (False, True):
                    ours = [_mix(f"{chm}/sparql", texts, clients, cached) for _ in range(repeats)]
                    theirs = [_mix(f"{oxi}/query", texts, clients, cached) for _ in range(repeats)]
                    rows.append(_row(workload, clients, cached, ours, theirs))
            return rows


def _build(store: Path, trig: Path) -> list[str]:
    """A store with the workload's national graphs; the library's queries as prepared texts."""
    with Network.open(store, create=True) as network:
        network.init()
        network.load_national_graphs(trig, by="bench_server", message=LOAD_MESSAGE)
    library = QueryLibrary.load()
    return [prepare(q, q.bindings({})).text for q in library]


def _chmgraph_command(store: Path) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "CHMGRAPH_STORE": str(store),
        "CHMGRAPH_SERVER_RATE_LIMIT_PER_MINUTE": "100000000",
        "CHMGRAPH_SERVER_MAX_CONCURRENT_QUERIES": "64",
    }
    return [str(BIN / "chmgraph"), "serve", "--port", "{port}"], env


def _oxigraph_command(location: Path) -> tuple[list[str], dict[str, str]]:
    command = [str(BIN / "oxigraph"), "serve", "--location", str(location), "--bind",
               "127.0.0.1:{port}", "--union-default-graph"]  # fmt: skip
    return command, dict(os.environ)


class _server:
    """A server process on a free loopback port, stopped on exit."""

    def __init__(self, spec: tuple[list[str], dict[str, str]], ready_path: str) -> None:
        self.command, self.env = spec
        self.ready_path = ready_path

    def __enter__(self) -> str:
        port = _free_port()
        command = [part.replace("{port}", str(port)) for part in self.command]
        self.process = subprocess.Popen(
            command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + self.ready_path, timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"{command[0]} did not start")

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        self.process.wait(60)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _mix(endpoint: str, texts: list[str], clients: int, cached: bool) -> dict[str, Any]:
    """``clients`` threads sending REQUESTS_PER_RUN queries of the mix between them; the seconds it
    took, every request's latency, and the failures."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        with httpx.Client(timeout=120) as http:
            for i in range(REQUESTS_PER_RUN // clients):
                text = texts[(number + i) % len(texts)]
                if not cached:
                    text = f"{text}\n# {time.monotonic_ns()} {number} {i}"
                started = time.perf_counter()
                got = http.post(
                    endpoint,
                    content=text,
                    headers={
                        "Content-Type": "application/sparql-query",
                        "Accept": "application/sparql-results+json, text/turtle",
                    },
                )
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    if got.status_code != 200:
                        failures.append(got.status_code)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"s": time.perf_counter() - started, "latencies": latencies, "failures": failures}


def _row(workload, clients: int, cached: bool, ours: list, theirs: list) -> dict[str, Any]:
    requests = (REQUESTS_PER_RUN // clients) * clients

    def figures(runs: list) -> str:
        every = sorted(t for r in runs for t in r["latencies"])
        p99 = every[min(len(every) - 1, int(len(every) * 0.99))]
        throughput = requests / statistics.median(r["s"] for r in runs)
        failed = sum(len(r["failures"]) for r in runs)
        return (
            f"{throughput:.0f} req/s, p50 {statistics.median(every) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, {failed} failed"
        )

    kind = "cached" if cached else "uncached"
    return {
        "name": f"server mix {kind}, {clients} clients vs oxigraph serve",
        "size": workload.size,
        "triples": workload.triples,
        "chmgraph_name": f"chmgraph serve: {requests} library queries, {kind}",
        "chmgraph_s": [r["s"] for r in ours],
        "baseline_name": "oxigraph serve --union-default-graph",
        "baseline_s": [r["s"] for r in theirs],
        "goal": ">= 5x oxigraph's throughput" if cached else ">= 0.8x oxigraph's throughput",
        "notes": f"chmgraph: {figures(ours)}; oxigraph: {figures(theirs)}",
    }

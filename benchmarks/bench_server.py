"""``chmgraph serve`` beside ``oxigraph serve`` on the same data, over loopback HTTP: the query
library's mix at 1, 8 and 32 concurrent clients, uncached (each request's text made unique with a
comment) and with the result cache (the same texts repeated); a 1M-row answer streamed, with the
growth of each server's RSS while it streams (psutil, sampled every 20 ms); and a 50k-triple
national submission over HTTP against ``chmgraph submit`` on a copy of the same store.

Not in the default run (it starts two servers and takes minutes): ``make bench
BENCH_ARGS="--only server"``. Both servers get the same prepared query texts (the library's
prefixes declared, default parameters bound), so they do the same work; chmgraph's server also
runs its guards (SERVICE allowlist, timeout, row cap) and applies the vocabulary's entailment,
as it always does, where the Oxigraph server reads the same inferred graphs through its union
default graph.
"""

from __future__ import annotations

import os
import re
import shutil
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
import psutil
import pyoxigraph as ox
from bench_validation import synthetic_submission

from chmgraph.network import Network
from chmgraph.query.library import QueryLibrary
from chmgraph.query.text import prepare

IN_DEFAULT_RUN = False
CLIENTS = (1, 8, 32)
# Requests a run sends in all, shared among its clients.
REQUESTS_PER_RUN = 256
BIN = Path(sys.executable).parent
LOAD_MESSAGE = "benchmark network"
# The process of each running server, by URL, for its RSS.
_PIDS: dict[str, int] = {}
# The streamed answer: every triple beside every other, cut at a million rows by LIMIT.
STREAMED_ROWS = 1_000_000
STREAMED = f"SELECT * WHERE {{ ?a ?b ?c . ?d ?e ?f }} LIMIT {STREAMED_ROWS}"
SUBMISSION_TRIPLES = 50_000

# How long a server may take to answer its first request: it writes its dump first, minutes
# for a large network on a loaded machine.
START_S = 600


def run(size: str, repeats: int) -> list[dict[str, Any]]:
    workload = harness.network(size)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        store = base / "store"
        texts = _build(store, workload.path)
        cli_store = base / "cli-store"
        shutil.copytree(store, cli_store)
        token = _cm_token(store)
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
            harness.settled(chm, START_S)
            rows = []
            for clients in CLIENTS:
                for cached in (False, True):
                    ours = [_mix(f"{chm}/sparql", texts, clients, cached) for _ in range(repeats)]
                    theirs = [_mix(f"{oxi}/query", texts, clients, cached) for _ in range(repeats)]
                    rows.append(_row(workload, clients, cached, ours, theirs))
            rows.append(_streaming(workload, chm, oxi, repeats))
        rows.append(_submission(workload, store, cli_store, token, base, repeats))
        return rows


def _build(store: Path, trig: Path) -> list[str]:
    """A store with the workload's national graphs; the library's queries as prepared texts."""
    with Network.open(store, create=True) as network:
        network.init()
        network.load_national_graphs(trig, by="bench_server", message=LOAD_MESSAGE)
    library = QueryLibrary.load()
    return [prepare(q, q.bindings({})).text for q in library]


def _cm_token(store: Path) -> str:
    done = subprocess.run(
        [BIN / "chmgraph", "token", "create", "CM", "--note", "bench_server"],
        env={**os.environ, "CHMGRAPH_STORE": str(store)},
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def _chmgraph_command(store: Path) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "CHMGRAPH_STORE": str(store),
        "CHMGRAPH_SERVER_RATE_LIMIT_PER_MINUTE": "100000000",
        "CHMGRAPH_SERVER_MAX_CONCURRENT_QUERIES": "64",
        # Both servers give whole answers (the default cap would cut the largest at 1m) ...
        "CHMGRAPH_MAX_ROWS": "1000000000",
        # ... and the streamed million rows have the time they need on a loaded machine.
        "CHMGRAPH_QUERY_TIMEOUT_S": "600",
        "CHMGRAPH_SERVER_MAX_BODY_BYTES": str(512 * 1024 * 1024),
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
        port = harness.free_port()
        command = [part.replace("{port}", str(port)) for part in self.command]
        self.process = subprocess.Popen(
            command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + self.ready_path, timeout=1).status_code == 200:
                    _PIDS[url] = self.process.pid
                    return url
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"{command[0]} did not start")

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        # chmgraph serve finishes the dump after an accepted submission before it exits.
        self.process.wait(600)


def _mix(endpoint: str, texts: list[str], clients: int, cached: bool) -> dict[str, Any]:
    """``clients`` threads sending REQUESTS_PER_RUN queries of the mix between them; the seconds it
    took, every request's latency, and the failures. The clients are made before the clock
    starts: an ``httpx.Client`` costs tens of milliseconds of CPU (its TLS context), which at 32
    clients was most of what a run of cached answers measured."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    https = [httpx.Client(timeout=120) for _ in range(clients)]
    ready = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        http = https[number]
        ready.wait()
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
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    for http in https:
        http.close()
    return {"s": took, "latencies": latencies, "failures": failures}


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


def _streaming(workload, chm: str, oxi: str, repeats: int) -> dict[str, Any]:
    """The million rows as SPARQL JSON from each server: seconds, and RSS growth."""
    ours = [_stream(f"{chm}/sparql", _PIDS[chm]) for _ in range(repeats)]
    theirs = [_stream(f"{oxi}/query", _PIDS[oxi]) for _ in range(repeats)]

    def figures(runs: list[dict[str, float]]) -> str:
        grown = max(r["grown_mb"] for r in runs)
        size = statistics.median(r["mb"] for r in runs)
        return f"RSS grew at most {grown:.1f} MB while sending {size:.0f} MB"

    return {
        "name": f"server streams {STREAMED_ROWS:,} rows vs oxigraph serve",
        "size": workload.size,
        "triples": workload.triples,
        "chmgraph_name": "chmgraph serve: SELECT of 1M rows, SPARQL JSON",
        "chmgraph_s": [r["s"] for r in ours],
        "baseline_name": "oxigraph serve --union-default-graph",
        "baseline_s": [r["s"] for r in theirs],
        "peak_rss_mb": max(r["peak_mb"] for r in ours),
        "baseline_peak_rss_mb": max(r["peak_mb"] for r in theirs),
        "goal": "server RSS grows < 50 MB",
        "notes": f"chmgraph: {figures(ours)}; oxigraph: {figures(theirs)}",
    }


def _stream(endpoint: str, pid: int) -> dict[str, float]:
    server = psutil.Process(pid)
    before = server.memory_info().rss
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, server.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    received = 0
    started = time.perf_counter()
    try:
        headers = {"Accept": "application/sparql-results+json"}
        with httpx.stream(
            "POST", endpoint, data={"query": STREAMED}, headers=headers, timeout=600
        ) as got:
            got.raise_for_status()
            for chunk in got.iter_raw():
                received += len(chunk)
    finally:
        took = time.perf_counter() - started
        done.set()
        sampler.join()
    mb = 1024 * 1024
    return {
        "s": took,
        "grown_mb": (peak - before) / mb,
        "peak_mb": peak / mb,
        "mb": received / mb,
    }


def _submission(workload, store, cli_store, token, base: Path, repeats: int) -> dict[str, Any]:
    """A 50k-triple national submission of CM: POSTed to ``chmgraph serve`` against
    ``chmgraph submit`` (a process of its own, as a steward runs it) on a copy of the store.
    Each run submits a new version (its description names the run)."""
    data = _accepted(synthetic_submission(SUBMISSION_TRIPLES))
    ours, theirs, statuses = [], [], []
    with _server(_chmgraph_command(store), "/healthz") as chm:
        for run in range(repeats):
            body = _version(data, f"http {run}")
            started = time.perf_counter()
            got = httpx.post(
                f"{chm}/api/submissions/CM",
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"},
                params={"message": f"bench_server run {run}"},
                timeout=600,
            )
            ours.append(time.perf_counter() - started)
            statuses.append(got.status_code)
    for run in range(repeats):
        path = base / f"submission-{run}.ttl"
        path.write_bytes(_version(data, f"cli {run}"))
        command = [BIN / "chmgraph", "submit", path, "--country", "CM", "--message", f"run {run}"]
        started = time.perf_counter()
        done = subprocess.run(
            command, env={**os.environ, "CHMGRAPH_STORE": str(cli_store)}, capture_output=True
        )
        theirs.append(time.perf_counter() - started)
        statuses.append(done.returncode)
    overhead = statistics.median(ours) - statistics.median(theirs)
    return {
        "name": f"server submission of {SUBMISSION_TRIPLES:,} triples vs chmgraph submit",
        "size": workload.size,
        "triples": SUBMISSION_TRIPLES,
        "chmgraph_name": "POST /api/submissions/CM (accepted, a new version)",
        "chmgraph_s": ours,
        "baseline_name": "chmgraph submit --country CM (its own process)",
        "baseline_s": theirs,
        "goal": "overhead reported",
        "notes": (
            f"HTTP minus CLI medians: {overhead:+.2f} s (the CLI's includes starting Python "
            f"and opening the store); statuses and exit codes: {statuses}"
        ),
    }


def _accepted(data: bytes) -> bytes:
    """The benchmark submission without the faults it carries for the validation benchmark
    (dates swapped, more countries than participants, two English labels): an accepted one."""
    text = data.decode()
    text = re.sub(
        r'schema:startDate "([\d-]+)"\^\^xsd:date ; schema:endDate "([\d-]+)"',
        lambda m: 'schema:startDate "{}"^^xsd:date ; schema:endDate "{}"'.format(
            *sorted(m.groups())
        ),
        text,
    )
    text = re.sub(
        r"chm:participantCount (\d+) ; chm:countriesRepresentedCount (\d+)",
        lambda m: (
            f"chm:participantCount {m[1]} ; chm:countriesRepresentedCount "
            f"{min(int(m[1]), int(m[2]))}"
        ),
        text,
    )
    text = re.sub(r'"Événement synthétique (\d+)"@en', r'"Événement synthétique \1"@fr', text)
    return text.encode()


def _version(data: bytes, run: str) -> bytes:
    return data.replace(b"to time validation;", f"to time validation (run {run});".encode(), 1)

"""The machinery of the reliability suite, shared by ``tests/test_reliability_*.py`` and
``scripts/soak.py``: the query-library mix as HTTP requests, clients running it against
``chmgraph serve`` while a steward submits and rolls back, and what they saw."""

from __future__ import annotations

import json
import os
import random
import statistics
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import httpx

from chmgraph.query.library import QueryLibrary
from chmgraph.query.text import prepare

SELECT_JSON = "application/sparql-results+json"
# scripts/soak.py sets it: where the tests append what they measured, one JSON object a line.
RESULTS = os.environ.get("SOAK_RESULTS")
N_TRIPLES = "application/n-triples"


def soak_values(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """The trial sizes a test runs: ``default`` in make test, ``$name`` (comma-separated) when
    make soak sets it."""
    given = os.environ.get(name)
    return tuple(int(v) for v in given.split(",")) if given else default


def soak_number(name: str, default: float) -> float:
    given = os.environ.get(name)
    return float(given) if given else default


def record(kind: str, **figures: object) -> None:
    """Append what a test measured to the soak's results (nothing outside make soak)."""
    if RESULTS:
        with open(RESULTS, "a", encoding="utf-8") as out:
            out.write(json.dumps({"kind": kind, **figures}) + "\n")


def library_mix() -> dict[str, str]:
    """Every library query with its default parameters, as the text a client sends."""
    mix = {}
    for named in QueryLibrary.load():
        mix[named.name] = prepare(named, named.bindings({})).text
    return mix


def canonical(response: httpx.Response) -> str:
    """An answer in a form two equal answers share: rows sorted unless the query orders them,
    blank node labels left out."""
    media = response.headers.get("content-type", "").split(";")[0]
    if media == SELECT_JSON:
        found = response.json()
        if "boolean" in found:
            return str(found["boolean"])
        rows = [
            sorted(
                (name, value["type"], value.get("value") if value["type"] != "bnode" else "_")
                for name, value in row.items()
            )
            for row in found["results"]["bindings"]
        ]
        return json.dumps(rows)
    lines = [
        " ".join("_" if t.startswith("_:") else t for t in line.split(" "))
        for line in response.text.splitlines()
    ]
    return "\n".join(sorted(lines))


def ask(http: httpx.Client, text: str) -> httpx.Response:
    return http.post(
        "/sparql",
        data={"query": text},
        headers={"Accept": f"{SELECT_JSON}, {N_TRIPLES};q=0.9"},
    )


def state(http: httpx.Client) -> int:
    return http.get("/healthz").json()["state"]


@dataclass
class Seen:
    """What the clients saw: every latency, every error, and the answers by (query, state)."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_state: dict[tuple[str, int], set[str]] = field(default_factory=lambda: defaultdict(set))
    spanning: list[tuple[str, str]] = field(default_factory=list)  # answers across a write
    lock: threading.Lock = field(default_factory=threading.Lock)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def summary(self) -> dict[str, float]:
        return {
            "requests": len(self.latencies_ms),
            "errors": len(self.errors),
            "p50_ms": round(self.percentile(50), 1),
            "p99_ms": round(self.percentile(99), 1),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else 0,
        }


def client(url: str, mix: dict[str, str], seen: Seen, stop: threading.Event, seed: int) -> None:
    """One client: library queries in random order until ``stop``, each between two readings
    of the server's state, so an answer is known to belong to one state or to span a write."""
    chooser = random.Random(seed)
    names = sorted(mix)
    with httpx.Client(base_url=url, timeout=120) as http:
        while not stop.is_set():
            name = chooser.choice(names)
            try:
                before = state(http)
                started = time.perf_counter()
                got = ask(http, mix[name])
                took = (time.perf_counter() - started) * 1000
                after = state(http)
            except httpx.HTTPError as exc:
                with seen.lock:
                    seen.errors.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            with seen.lock:
                seen.latencies_ms.append(took)
                if got.status_code != 200:
                    seen.errors.append(f"{name}: {got.status_code} {got.text[:200]}")
                elif before == after:
                    seen.by_state[(name, before)].add(canonical(got))
                else:
                    seen.spanning.append((name, canonical(got)))


def run_clients(
    url: str, mix: dict[str, str], count: int, stop: threading.Event
) -> tuple[Seen, list[threading.Thread]]:
    seen = Seen()
    threads = [
        threading.Thread(target=client, args=(url, mix, seen, stop, seed), daemon=True)
        for seed in range(count)
    ]
    for thread in threads:
        thread.start()
    return seen, threads


def single_client_answers(url: str, mix: dict[str, str]) -> dict[str, str]:
    """Every query's answer from one client, alone."""
    with httpx.Client(base_url=url, timeout=300) as http:
        answers = {}
        for name, text in mix.items():
            got = ask(http, text)
            assert got.status_code == 200, (name, got.status_code, got.text)
            answers[name] = canonical(got)
        return answers


def check(seen: Seen, contents: list[dict[str, str]], changing: set[str]) -> list[str]:
    """What is wrong with what the clients saw: an error, two answers in one state, or (for a
    query whose answer depends only on the graphs' content, not ``changing`` with the history)
    an answer that is none of the single-client ``contents``' answers."""
    problems = list(seen.errors)
    for (name, at), answers in seen.by_state.items():
        if len(answers) > 1:
            problems.append(f"{name}: {len(answers)} different answers in state {at}")
    for (name, _), answers in seen.by_state.items():
        if name not in changing:
            for answer in answers:
                if all(answer != known[name] for known in contents):
                    problems.append(f"{name}: an answer no single client saw")
    for name, answer in seen.spanning:
        if name not in changing and all(answer != known[name] for known in contents):
            problems.append(f"{name}: an answer across a write that no single client saw")
    return problems

"""The benchmark harness: workloads, side-by-side timing in child processes, results on disk.

A benchmark module (``benchmarks/bench_<name>.py``) exposes ``run(size=..., repeats=...)``
returning a list of result dicts (the shape is documented in ``benchmarks/README.md``). It gets
its workload from ``network(size)`` and measures each case with ``compare()``, which times
chmgraph's side and the baseline's side each in a fresh child process, so that the peak memory
reported is that case's own. ``complete()`` derives every summary figure (medians, ratio,
triples/s) from the measured runs, so no module reports a number it did not measure.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.metadata
import json
import multiprocessing
import os
import platform
import resource
import socket
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from chmgraph import synth
from chmgraph.settings import PROJECT_ROOT
from chmgraph.synth import PARTY_COUNT, SyntheticNetwork, parse_size

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
# Generated workloads are cached here (``make clean`` removes ``var/``); the environment variable
# CHMGRAPH_BENCH_CACHE moves it (child processes inherit it).
CACHE_DIR = Path(os.environ.get("CHMGRAPH_BENCH_CACHE") or PROJECT_ROOT / "var" / "bench")
SEED = 0
# Below PARTY_COUNT * TRIPLES_PER_COUNTRY triples a network has fewer national graphs, one per
# this many triples, so that a tiny test network is still a few hundred triples.
TRIPLES_PER_COUNTRY = 60
PACKAGES = ("chmgraph", "pyoxigraph", "rdflib", "pyshacl", "owlrl", "psutil")

# The fields a module provides; ``complete`` adds the derived ones.
MEASURED_FIELDS = ("name", "size", "triples", "chmgraph_name", "chmgraph_s")
STATUS_OK, STATUS_MISSING, STATUS_ERROR = "ok", "not available", "error"


@dataclass(frozen=True)
class Workload:
    """A synthetic network on disk: its TriG file, size label and exact triple count."""

    path: Path
    size: str
    triples: int
    graphs: int


@dataclass(frozen=True)
class Side:
    """One side of a comparison: ``work(state)`` is timed, ``setup()`` (run once) is not.

    Both must be picklable (module-level functions or ``functools.partial`` of them): they run
    in a child process.
    """

    name: str
    work: Callable[[Any], Any]
    setup: Callable[[], Any] | None = None


@dataclass(frozen=True)
class Measurement:
    """The seconds each run took and the child process's peak resident memory."""

    seconds: list[float]
    peak_rss_mb: float


def countries_for(triples: int) -> int:
    """How many national graphs a network of ``triples`` has (all 196 from ~12k triples).

    >>> countries_for(100_000), countries_for(400)
    (196, 6)
    """
    return max(1, min(PARTY_COUNT, triples // TRIPLES_PER_COUNTRY))


def network(size: str | int, *, seed: int = SEED, violations: int = 0) -> Workload:
    """The synthetic network of ``size`` (``100k``, ``1m``, ``10m`` or a number), generated once
    and cached under ``var/bench``."""
    target = parse_size(str(size))
    countries = countries_for(target)
    label = str(size).lower()
    path = CACHE_DIR / f"synthetic-{label}-seed{seed}-v{violations}-{_generator_version()}.trig"
    meta = path.with_suffix(".json")
    if not (path.exists() and meta.exists()):
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        summary = SyntheticNetwork(
            target_triples=target, seed=seed, countries=countries, violations=violations
        ).write_file(path)
        facts = {"triples": summary.triples, "graphs": summary.graphs}
        _write_atomically(meta, json.dumps(facts))
    facts = json.loads(meta.read_text())
    return Workload(path, label, facts["triples"], facts["graphs"])


def _generator_version() -> str:
    """A digest of the generator's code, so that a cached network is rebuilt when it changes."""
    return hashlib.sha256(Path(synth.__file__).read_bytes()).hexdigest()[:12]


def time_runs(side: Side, repeats: int) -> list[float]:
    """Run ``side.setup`` once, then time ``side.work`` ``repeats`` times, in this process."""
    state = side.setup() if side.setup else None
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        side.work(state)
        seconds.append(time.perf_counter() - start)
    return seconds


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def in_child(function: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
    """``function(*args)`` in a fresh (spawned) process; returns ``(value, peak_rss_mb)``.

    An exception in the child is raised here as ``RuntimeError`` carrying its traceback.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(sender, function, args))
    child.start()
    sender.close()
    answered = False
    try:
        if not receiver.poll(timeout):
            raise TimeoutError(f"no result after {timeout:.0f} s")
        ok, value, peak = receiver.recv()
        answered = True
    except EOFError:
        ok, value, peak = False, f"the child process died (exit code {child.exitcode})", 0.0
    finally:
        # A child that answered exits by itself; one stopped midway is killed with its own.
        child.join(timeout=5 if answered else 0)
        if child.is_alive():
            _kill_tree(child.pid)
        child.join()
        receiver.close()
    if not ok:
        raise RuntimeError(value)
    return value, peak


def _kill_tree(pid: int) -> None:
    """Kill a child and every process it started (a module's cases run in grandchildren)."""
    try:
        parent = psutil.Process(pid)
        family = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for process in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


def _child_main(sender: Any, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result = (True, function(*args), peak_rss_mb())
    except BaseException:
        result = (False, traceback.format_exc(), peak_rss_mb())
    sender.send(result)
    sender.close()


def run_module(path: Path, size: str, repeats: int) -> list[dict[str, Any]]:
    """Import the benchmark module at ``path`` and return what its ``run`` returns."""
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    module = importlib.import_module(path.stem)
    run = getattr(module, "run", None)
    if run is None:
        raise AttributeError(f"{path.name} has no run(size=..., repeats=...)")
    return list(run(size=size, repeats=repeats))


def measure(side: Side, repeats: int) -> Measurement:
    """Time ``side`` in a child process of its own."""
    seconds, peak = in_child(time_runs, side, repeats)
    return Measurement(seconds, round(peak, 1))


def compare(
    name: str,
    *,
    workload: Workload,
    chmgraph: Side,
    baseline: Side | None,
    repeats: int,
    baseline_repeats: int | None = None,
    triples: int | None = None,
    goal: str = "",
    notes: str = "",
) -> dict[str, Any]:
    """Measure chmgraph's side and the baseline's, each in its own child process."""
    ours = measure(chmgraph, repeats)
    result: dict[str, Any] = {
        "name": name,
        "size": workload.size,
        "triples": workload.triples if triples is None else triples,
        "chmgraph_name": chmgraph.name,
        "chmgraph_s": ours.seconds,
        "peak_rss_mb": ours.peak_rss_mb,
        "goal": goal,
        "notes": notes,
    }
    if baseline is not None:
        theirs = measure(baseline, baseline_repeats or repeats)
        result |= {
            "baseline_name": baseline.name,
            "baseline_s": theirs.seconds,
            "baseline_peak_rss_mb": theirs.peak_rss_mb,
        }
    return complete(result)


def complete(result: dict[str, Any], *, group: str = "") -> dict[str, Any]:
    """``result`` with every derived figure computed from its measured runs.

    >>> r = complete({"name": "load", "size": "1k", "triples": 1000,
    ...               "chmgraph_name": "a", "chmgraph_s": [0.2, 0.1, 0.3],
    ...               "baseline_name": "b", "baseline_s": [2.0, 1.0, 3.0]})
    >>> r["median_s"], r["baseline_median_s"], r["ratio"], r["triples_per_s"]
    (0.2, 2.0, 10.0, 5000.0)
    """
    done = dict(result)
    done.setdefault("status", STATUS_OK)
    if group:
        done.setdefault("group", group)
    for key in ("baseline_name", "goal", "notes"):
        done.setdefault(key, "")
    done.setdefault("baseline_s", [])
    for key in ("peak_rss_mb", "baseline_peak_rss_mb"):
        done.setdefault(key, None)
    ours, theirs = done.get("chmgraph_s") or [], done["baseline_s"]
    done |= _summary("", ours) | _summary("baseline_", theirs)
    median, base = done["median_s"], done["baseline_median_s"]
    done["ratio"] = _rounded(base / median) if median and base else None
    triples = done.get("triples")
    done["triples_per_s"] = round(triples / median, 1) if median and triples else None
    return done


def _summary(prefix: str, seconds: list[float]) -> dict[str, float | None]:
    if not seconds:
        return {f"{prefix}median_s": None, f"{prefix}min_s": None, f"{prefix}max_s": None}
    return {
        f"{prefix}median_s": statistics.median(seconds),
        f"{prefix}min_s": min(seconds),
        f"{prefix}max_s": max(seconds),
    }


def _rounded(value: float) -> float:
    return round(value, 3 if value < 10 else 2)


def not_available(group: str, size: str, reason: str) -> dict[str, Any]:
    """A row saying a benchmark could not be measured, and why (never a number)."""
    return complete(
        {"name": group, "size": size, "triples": None, "status": STATUS_MISSING, "notes": reason},
        group=group,
    )


def failed(group: str, size: str, reason: str) -> dict[str, Any]:
    """A row for a benchmark module that raised or timed out."""
    return complete(
        {"name": group, "size": size, "triples": None, "status": STATUS_ERROR, "notes": reason},
        group=group,
    )


def machine() -> dict[str, Any]:
    """The machine and package versions a run was measured on."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "packages": {name: _version(name) for name in PACKAGES},
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages / 1024**3, 1)


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def write_results(
    results: list[dict[str, Any]],
    *,
    size: str,
    out_dir: Path = RESULTS_DIR,
    latest: bool = True,
    **run_info: Any,
) -> tuple[Path, Path]:
    """Write ``<size>.json`` and the Markdown table (``<size>.md`` and, unless not ``latest``,
    ``latest.md``); returns the JSON's path and the table's."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document = {
        "size": size,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **run_info,
        "results": results,
    }
    json_path = out_dir / f"{size}.json"
    _write_atomically(json_path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    table = markdown(document)
    _write_atomically(out_dir / f"{size}.md", table)
    table_path = out_dir / f"{size}.md"
    if latest:
        table_path = out_dir / "latest.md"
        _write_atomically(table_path, table)
    return json_path, table_path


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def markdown(document: dict[str, Any]) -> str:
    """The results of a run as a Markdown table, with the machine it ran on."""
    env = document["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items() if v)
    lines = [
        f"# Benchmarks, size {document['size']}",
        "",
        f"Finished {document['finished']} on {env['cpu']} ({env['cpus']} CPUs, "
        f"{env['memory_gb']} GB), {env['system']}, Python {env['python']}; {packages}.",
        "",
        *_unfinished(document),
        "Times are the median of the runs (min–max); ratio = baseline median / chmgraph median "
        "(above 1: chmgraph is faster); peak RSS is each side's own child process.",
        "",
        "| benchmark | chmgraph | median s (min–max) | baseline | median s (min–max) "
        "| ratio | triples/s | peak RSS MB | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [_row(r) for r in document["results"]]
    return "\n".join(lines) + "\n"


def _unfinished(document: dict[str, Any]) -> list[str]:
    pending = document.get("not_yet_run")
    if not pending:
        return []
    return [f"**Unfinished run**: not yet run: {', '.join(pending)}.", ""]


def _row(r: dict[str, Any]) -> str:
    group, name = r.get("group", ""), r["name"]
    if group and not name.startswith(group):
        name = f"{group}: {name}"
    if r["status"] != STATUS_OK:
        return f"| {name} | **{r['status']}** | | | | | | | {_cell(r['notes'])} |"
    memory = _number(r["peak_rss_mb"])
    if r["baseline_peak_rss_mb"] is not None:
        memory += f" / {_number(r['baseline_peak_rss_mb'])}"
    ratio = f"{r['ratio']}x" if r["ratio"] is not None else "–"
    rate = f"{r['triples_per_s']:,.0f}" if r["triples_per_s"] else "–"
    notes = "; ".join(x for x in (r["goal"] and f"goal {r['goal']}", r["notes"]) if x)
    return (
        f"| {name} | {_cell(r['chmgraph_name'])} | {_spread(r, '')} "
        f"| {_cell(r['baseline_name']) or '–'} | {_spread(r, 'baseline_')} "
        f"| {ratio} | {rate} | {memory} | {_cell(notes)} |"
    )


def _spread(r: dict[str, Any], prefix: str) -> str:
    median = r[f"{prefix}median_s"]
    if median is None:
        return "–"
    return f"{median:.3g} ({r[f'{prefix}min_s']:.3g}–{r[f'{prefix}max_s']:.3g})"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def free_port() -> int:
    """A loopback port free now, for a server a benchmark starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def settled(url: str, most_s: float = 600.0) -> None:
    """Wait until ``chmgraph serve`` at ``url`` has done what it does after a start (the warming,
    the library's pre-warming, its dump: ``/healthz``), so that requests are timed against a
    server at rest rather than beside that work, which it does while it already answers."""
    deadline = time.monotonic() + most_s
    while True:
        health = httpx.get(url + "/healthz", timeout=60).json()
        if not health.get("warming") and health.get("dump") in (None, "current"):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server was still busy after {most_s:.0f} s: {health}")
        time.sleep(0.5)


def wait_for_port(port: int, what: str, seconds: float = 30) -> None:
    """Return once something listens on loopback ``port``; ``RuntimeError`` naming ``what``
    after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")

"""``make bench``: every benchmark beside its baseline, in one run, for one size.

Discovers ``benchmarks/bench_*.py`` modules exposing ``run(size=..., repeats=...)``, runs each
in a child process of its own, and writes ``results/<size>.json`` and the Markdown table
``results/latest.md``. A benchmark the suite expects whose module does not exist yet is reported
as not available, never with a number.

    python benchmarks/run.py --size 100k          # quick mode
    python benchmarks/run.py --size 1m --only load,dump
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import time
from pathlib import Path
from typing import Any

import harness

from chmgraph.errors import ChmgraphError
from chmgraph.synth import parse_size

# The benchmarks the suite is made of (see README.md), by module name: bench_<name>.py, in the
# order they run (the slowest last, so that a stopped run has the others).
EXPECTED = {
    "load": "bulk load into the store vs rdflib parse",
    "dump": "dump vs rdflib's serializer",
    "validation": "submission and whole-network validation vs pyshacl with RDFS inference",
    "query": "the query library vs rdflib's SPARQL engine and vs pyoxigraph directly",
}
# Seconds a module may run before it is stopped and reported as an error.
MODULE_TIMEOUT_S = 3600.0


def discover(bench_dir: Path = harness.BENCH_DIR) -> dict[str, Path]:
    """The benchmark modules present, by name (``bench_load.py`` is ``load``)."""
    return {path.stem.removeprefix("bench_"): path for path in sorted(bench_dir.glob("bench_*.py"))}


def _in_default_run(path: Path) -> bool:
    """False for a module that says ``IN_DEFAULT_RUN = False`` (it runs only when named)."""
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    return getattr(importlib.import_module(path.stem), "IN_DEFAULT_RUN", True)


def run_suite(
    *,
    size: str,
    repeats: int,
    only: list[str] | None = None,
    bench_dir: Path = harness.BENCH_DIR,
    out_dir: Path = harness.RESULTS_DIR,
    timeout: float = MODULE_TIMEOUT_S,
) -> tuple[list[dict[str, Any]], Path, Path]:
    """Run the benchmarks (all, or ``only`` these names) and write the results."""
    workload = harness.network(size)
    print(f"workload: {workload.path.name}, {workload.triples:,} triples, {workload.graphs} graphs")
    modules = discover(bench_dir)
    extra = sorted(n for n in set(modules) - set(EXPECTED) if _in_default_run(modules[n]))
    names = only or [*EXPECTED, *extra]
    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    for done, name in enumerate(names, start=1):
        results += _results_of(name, modules.get(name), workload.size, repeats, timeout)
        # Written after each module, so a run stopped midway still leaves what it measured.
        paths = harness.write_results(
            results,
            size=workload.size,
            out_dir=out_dir,
            repeats=repeats,
            elapsed_s=round(time.perf_counter() - started, 1),
            not_yet_run=names[done:],
        )
    return results, *paths


def _results_of(
    name: str, path: Path | None, size: str, repeats: int, timeout: float
) -> list[dict[str, Any]]:
    if path is None:
        what = EXPECTED.get(name, "")
        return [harness.not_available(name, size, f"bench_{name}.py does not exist yet ({what})")]
    print(f"running {path.name} ...", flush=True)
    try:
        rows, module_peak = harness.in_child(
            harness.run_module, path, size, repeats, timeout=timeout
        )
    except (RuntimeError, TimeoutError) as exc:
        return [harness.failed(name, size, _last_line(str(exc)))]
    completed = []
    for row in rows:
        missing = [f for f in harness.MEASURED_FIELDS if f not in row]
        if missing and row.get("status", harness.STATUS_OK) == harness.STATUS_OK:
            completed.append(harness.failed(name, size, f"result lacks {', '.join(missing)}"))
            continue
        if row.get("peak_rss_mb") is None:
            row = {**row, "peak_rss_mb": round(module_peak, 1)}
            row["notes"] = "; ".join(x for x in (row.get("notes"), "peak RSS of the module") if x)
        completed.append(harness.complete(row, group=name))
    return completed


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k", help="100k (quick), 1m, 10m, or a number")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side")
    parser.add_argument("--only", help="comma-separated benchmark names (e.g. load,dump)")
    parser.add_argument("--out", type=Path, default=harness.RESULTS_DIR, help="results folder")
    parser.add_argument("--timeout", type=float, default=MODULE_TIMEOUT_S, help="s per module")
    parser.add_argument(
        "--bench-dir", type=Path, default=harness.BENCH_DIR, help="where bench_*.py modules are"
    )
    args = parser.parse_args(argv)
    try:
        parse_size(args.size)
    except ChmgraphError as exc:
        parser.error(str(exc))
    # A stopped run (timeout, Ctrl-C) raises SystemExit here, so its child processes are killed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    only = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    results, json_path, md_path = run_suite(
        size=args.size,
        repeats=args.repeats,
        only=only,
        bench_dir=args.bench_dir,
        out_dir=args.out,
        timeout=args.timeout,
    )
    print(md_path.read_text(encoding="utf-8"))
    print(f"wrote {json_path} and {md_path}")
    return 1 if any(r["status"] == harness.STATUS_ERROR for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

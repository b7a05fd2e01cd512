"""``make soak``: the reliability suite at length, and the figures of docs/reliability.md.

Runs ``tests/test_reliability_*.py`` one test at a time (no parallel workers: the load's
latencies are the server's, not the suite's), with the sizes the environment variables below
give them, collects what each test measured, and rewrites the figures section of
docs/reliability.md between its markers. Exits non-zero, and writes nothing, if a test fails.

    python scripts/soak.py              # 32 clients x 5 min on a 1M network, 20 kills each
    python scripts/soak.py --quick      # 8 clients x 1 min on the seed network, 20 kills each
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- soak figures: begin -->", "<!-- soak figures: end -->"

FULL = {
    "SOAK_CLIENTS": "32",
    "SOAK_SECONDS": "300",
    "SOAK_NETWORK": "1m",
    "SOAK_KILLS": "20",
    "SOAK_CLI_KILLS": "20",
    "SOAK_FREE_KIB": "32,48,64,96,128,160,192,256,320,384,480,640",
    "SOAK_FUZZ_EXAMPLES": "2000",
}
QUICK = {
    **FULL,
    "SOAK_CLIENTS": "8",
    "SOAK_SECONDS": "60",
    "SOAK_NETWORK": "",
    "SOAK_FREE_KIB": "48,96,160,320,480",
    "SOAK_FUZZ_EXAMPLES": "300",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a shorter soak (see above)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.jsonl"
        env = {**os.environ, **sizes, "SOAK_RESULTS": str(results)}
        started = time.monotonic()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:xdist",
                "-q",
                "-rs",
                *sorted(str(p) for p in (ROOT / "tests").glob("test_reliability_*.py")),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        took = time.monotonic() - started
        print(run.stdout[-4000:], run.stderr[-2000:], sep="\n")
        if run.returncode:
            print("soak failed: docs/reliability.md not rewritten", file=sys.stderr)
            return run.returncode
        found = [json.loads(line) for line in results.read_text().splitlines()]
    summary = run.stdout.strip().splitlines()[-1]
    PAGE.write_text(
        _with_figures(PAGE.read_text(), render(found, sizes, summary, took, args.quick))
    )
    print(f"wrote the figures of {PAGE.relative_to(ROOT)}")
    return 0


def render(found: list[dict], sizes: dict[str, str], summary: str, took: float, quick: bool) -> str:
    """The figures section, as Markdown."""
    by_kind: dict[str, list[dict]] = {}
    for item in found:
        by_kind.setdefault(item["kind"], []).append(item)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured by `make soak{' SOAK=--quick' if quick else ''}` on {when}, on a machine with "
        f"{os.cpu_count()} cores ({platform.machine()}, Python {platform.python_version()}) "
        f"shared with other work, so latencies are pessimistic; {took / 60:.0f} minutes in all. "
        f"pytest: `{summary}`.",
        "",
        "| what | load | result |",
        "|---|---|---|",
    ]
    for load in by_kind.get("load", []):
        lines.append(
            f"| concurrent clients, query-library mix ({load['queries']} queries) while a steward "
            f"submits and rolls back | {load['clients']} clients x {load['seconds']:g} s on the "
            f"{load['network']} network, {load['writes']} writes | {load['requests']:,} answers, "
            f"{load['errors']} errors, {load['states']} versions seen, every answer a single "
            f"client's for its version; p50 {load['p50_ms']} ms, p99 {load['p99_ms']} ms |"
        )
    for killed in by_kind.get("server-killed", []):
        lines.append(
            f"| `chmgraph serve` killed (SIGKILL) during a submission | {killed['trials']} "
            f"trials | {killed['versions']} versions, all whole; {killed['accepted_before_kill']} "
            "answered accepted before the kill, none lost; resubmitting the last one tells whether "
            "it is there |"
        )
    for killed in by_kind.get("cli-killed", []):
        lines.append(
            f"| `chmgraph submit` killed (SIGKILL) at a random moment | {killed['trials']} trials "
            f"| killed before its commit {killed['before']}, after it {killed['after']}; every "
            'version whole; resubmitting answers "identical to version N" exactly when N is '
            "there |"
        )
    disk = by_kind.get("disk-full", [])
    if disk:
        accepted = sum(1 for d in disk if d["accepted"])
        sizes_kib = ", ".join(str(d["free_kib"]) for d in disk)
        lines.append(
            f"| a disk that fills during a submission (tmpfs) | {len(disk)} trials, free KiB: "
            f"{sizes_kib} | {accepted} accepted, {len(disk) - accepted} refused in one line "
            "(exit 3); the store opens afterwards, nothing torn |"
        )
    for engine in by_kind.get("remote-engine-killed", []):
        lines.append(
            "| a remote engine (Oxigraph server) killed mid-query | 1 trial | exit "
            f"{engine['exit_code']}, one line; the engine restarts whole |"
        )
    for fuzz in by_kind.get("fuzz-service", []):
        lines.append(
            f"| SERVICE written in generated lexical forms | {fuzz['examples']:,} queries | "
            f"{fuzz['canary_requests_off_list']} requests off the allowlist |"
        )
    for fuzz in by_kind.get("fuzz-http", []):
        statuses = ", ".join(map(str, fuzz["statuses"]))
        lines.append(
            f"| fuzzed HTTP routes, parameters, headers, bodies, tokens | {fuzz['requests']:,} "
            f"requests | statuses {statuses}; 0 tracebacks, 0 internal errors |"
        )
    lines += [
        "",
        "Sizes: " + ", ".join(f"`{k}={v}`" for k, v in sorted(sizes.items())) + ".",
    ]
    return "\n".join(lines)


def _with_figures(page: str, figures: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(page):
        raise SystemExit(f"{PAGE}: no {BEGIN} ... {END} section to rewrite")
    return pattern.sub(lambda _: f"{BEGIN}\n{figures}\n{END}", page)


if __name__ == "__main__":
    sys.exit(main())

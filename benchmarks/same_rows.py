"""Does every library query give the same rows as another version of the library?

The acceptance check of a query rewrite: the synthetic network of ``--size`` is built once (on
disk by default, ``--memory`` for an in-memory store), then each query of ``queries/`` and the
same-named query of ``--before`` (a git revision of this repository, or a folder of ``.rq``
files) run through the one query path, with their default parameters and, for a query with a
``lang`` parameter, with each other language of ``--langs``. Their rows are compared sorted (a
tie under ``ORDER BY`` may come in either order) and, separately, in order. Each side is timed
(median of ``--repeats`` warm runs) so the check doubles as a before/after measure.

    .venv/bin/python benchmarks/same_rows.py --size 100k --before main
    .venv/bin/python benchmarks/same_rows.py --size 1m --before main --out benchmarks/results
    .venv/bin/python benchmarks/same_rows.py --size 100k --before main --engine virtuoso

With ``--engine oxigraph`` or ``--engine virtuoso`` the after side runs on that engine instead,
loaded with the network's N-Quads dump by its own bulk loader (started as bench_remote starts
it) and reached through ``RemoteStore``: the before side stays on the embedded store, so the
check is that the library answers on the engine as it did on the embedded store.

Exits 1 when any query's sorted rows differ, else 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import harness
import pyoxigraph as ox

from chmgraph.entailment import materialize
from chmgraph.network import Network
from chmgraph.query import run_query
from chmgraph.query.library import NamedQuery, QueryLibrary
from chmgraph.settings import Settings
from chmgraph.store import OxigraphStore, RemoteStore

LANGS = ("en", "fr", "zh")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--before", default="main", help="a git revision or a folder of .rq files")
    parser.add_argument("--memory", action="store_true", help="an in-memory store, not on disk")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--langs", default=",".join(LANGS))
    parser.add_argument("--only", default="", help="comma-separated query names")
    parser.add_argument("--out", type=Path, help="write same-rows-<size>.json there")
    parser.add_argument("--engine", choices=("oxigraph", "virtuoso"), help="the after side's")
    args = parser.parse_args(argv)
    workload = harness.network(args.size)
    after = QueryLibrary.load()
    before = _before(args.before, after.names)
    names = [n for n in after.names if not args.only or n in args.only.split(",")]
    with tempfile.TemporaryDirectory(dir=harness.CACHE_DIR) as tmp, ExitStack() as engine:
        network = _network(workload.path, None if args.memory else Path(tmp) / "store")
        other = _on_engine(engine, args.engine, network, Path(tmp)) if args.engine else network
        settings = Settings.from_env(max_rows=10**9, query_timeout_s=3600)
        cases = []
        for name in names:
            if name not in before:
                print(f"{name}: new, nothing to compare", flush=True)
                continue
            for params in _cases(after[name], args.langs.split(",")):
                case = _compare(
                    (network, other), before[name], after[name], params, settings, args.repeats
                )
                cases.append(case)
                print(_line(case), flush=True)
        network.close()
    differ = [c for c in cases if not c["same_sorted"]]
    summary = {
        "size": workload.size,
        "triples": workload.triples,
        "store": "memory" if args.memory else "disk",
        "engine": args.engine or "embedded",
        "before": args.before,
        "cases": cases,
        "differ": len(differ),
    }
    print(_summary(cases))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        where = args.engine or ("memory" if args.memory else "disk")
        path = args.out / f"same-rows-{workload.size}-{where}.json"
        path.write_text(json.dumps(summary, indent=1) + "\n")
    return 1 if differ else 0


def _before(revision: str, names: list[str]) -> dict[str, NamedQuery]:
    folder = Path(revision)
    queries = {}
    for name in names:
        if folder.is_dir():
            path = folder / f"{name}.rq"
            text = path.read_text() if path.exists() else None
        else:
            shown = subprocess.run(
                ["git", "show", f"{revision}:queries/{name}.rq"],
                capture_output=True,
                text=True,
                cwd=harness.PROJECT_ROOT,
            )
            text = shown.stdout if shown.returncode == 0 else None
        if text is not None:
            queries[name] = NamedQuery.from_text(text, name=name)
    return queries


def _network(path: Path, store_path: Path | None) -> Network:
    network = Network(OxigraphStore(store_path)) if store_path else Network.in_memory()
    network.init()
    network.store.bulk_load(path)
    materialize(network)
    return network


def _on_engine(stack: ExitStack, engine: str, network: Network, folder: Path) -> Network:
    """A network on ``engine`` holding the quads of ``network``, loaded from its dump by the
    engine's own loader, for as long as ``stack`` lasts."""
    from bench_remote import _oxigraph, _virtuoso

    dump = folder / "network.nq"
    network.store.dump(dump, ox.RdfFormat.N_QUADS)
    start = _oxigraph if engine == "oxigraph" else _virtuoso
    location, _, _ = stack.enter_context(start(folder / engine, dump))
    return Network(RemoteStore(location, timeout_s=3600))


# A country parameter is also set to a host country of the seed (a country page asks so).
COUNTRY = "CM"


def _cases(query: NamedQuery, langs: list[str]) -> list[dict[str, str]]:
    cases: list[dict[str, str]] = [{}]
    if any(p.name == "lang" for p in query.parameters):
        cases += [{"lang": lang} for lang in langs if lang != "en"]
    for parameter in query.parameters:
        if parameter.type == "country":
            cases += [{**case, parameter.name: COUNTRY} for case in cases[: 1 + (len(cases) > 1)]]
    return cases


def _compare(networks, before, after, params, settings, repeats) -> dict[str, Any]:
    rows, times, cpu = {}, {}, {}
    for side, query, network in zip(("before", "after"), (before, after), networks, strict=True):
        start, start_cpu = time.perf_counter(), time.process_time()
        rows[side] = _rows(run_query(network, query, params=params, settings=settings))
        # The first run warms; with --repeats 0 it is the only one, and its time is reported.
        runs, cpu_runs = [time.perf_counter() - start], [time.process_time() - start_cpu]
        if repeats:
            runs, cpu_runs = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            _rows(run_query(network, query, params=params, settings=settings))
            runs.append(time.perf_counter() - start)
            cpu_runs.append(time.process_time() - start_cpu)
        times[side], cpu[side] = statistics.median(runs), statistics.median(cpu_runs)
    return {
        "query": after.name,
        "params": params,
        "rows": len(rows["after"]),
        "before_rows": len(rows["before"]),
        "same_sorted": sorted(rows["before"]) == sorted(rows["after"]),
        "same_order": rows["before"] == rows["after"],
        "before_s": times["before"],
        "after_s": times["after"],
        "before_cpu_s": cpu["before"],
        "after_cpu_s": cpu["after"],
    }


def _rows(answer: Any) -> list[tuple[str, ...]]:
    if answer.form == "ASK":
        return [(str(answer.boolean),)]
    if answer.form in ("CONSTRUCT", "DESCRIBE"):
        return sorted((str(t),) for t in answer.triples)
    return [tuple("" if term is None else str(term) for term in row) for row in answer.rows]


def _line(case: dict[str, Any]) -> str:
    params = " ".join(f"{k}={v}" for k, v in case["params"].items())
    verdict = "same rows" if case["same_sorted"] else "ROWS DIFFER"
    if case["same_sorted"] and not case["same_order"]:
        verdict += " (order of ties differs)"
    return (
        f"{case['query']} {params}: {verdict}, {case['rows']} rows; "
        f"before {case['before_s'] * 1000:.1f} ms, after {case['after_s'] * 1000:.1f} ms "
        f"(CPU {case['before_cpu_s'] * 1000:.1f}, {case['after_cpu_s'] * 1000:.1f})"
    )


def _summary(cases: list[dict[str, Any]]) -> str:
    default = [c for c in cases if not c["params"]]
    p50 = {
        f"{side}{kind}": statistics.median(c[f"{side}{kind}_s"] for c in default) * 1000
        for side in ("before", "after")
        for kind in ("", "_cpu")
    }
    differ = sum(not c["same_sorted"] for c in cases)
    return (
        f"{len(cases)} cases, {differ} differ; library p50 (default parameters) before "
        f"{p50['before']:.1f} ms, after {p50['after']:.1f} ms (CPU {p50['before_cpu']:.1f}, "
        f"{p50['after_cpu']:.1f})"
    )


if __name__ == "__main__":
    sys.exit(main())

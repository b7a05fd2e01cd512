"""The benchmark harness works: it measures, derives its figures from the runs, writes JSON and
Markdown, and says plainly what it could not measure. It never asserts a speed."""

from __future__ import annotations

import doctest
import json
import os
import statistics
import subprocess
import sys

import psutil
import pytest

from chmgraph.settings import PROJECT_ROOT

RUN = PROJECT_ROOT / "benchmarks" / "run.py"
DERIVED = (
    "group",
    "status",
    "median_s",
    "min_s",
    "max_s",
    "baseline_median_s",
    "ratio",
    "triples_per_s",
    "peak_rss_mb",
    "baseline_peak_rss_mb",
    "notes",
)


def bench(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHMGRAPH_BENCH_CACHE": str(tmp_path / "cache")}
    return subprocess.run(
        [sys.executable, str(RUN), "--size", "400", "--repeats", "2", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """The quick mode on a tiny network: the engine benchmark and one that does not exist."""
    tmp_path = tmp_path_factory.mktemp("bench")
    out = tmp_path / "results"
    done = bench(tmp_path, "--only", "engine,nosuchthing", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return json.loads((out / "400.json").read_text()), (out / "latest.md").read_text()


def test_results_record_the_workload_machine_and_packages(quick_run):
    document, _ = quick_run
    assert document["size"] == "400" and document["repeats"] == 2
    assert document["not_yet_run"] == []  # the run finished
    assert document["machine"]["cpus"] >= 1
    assert document["machine"]["packages"]["pyoxigraph"]
    assert document["machine"]["packages"]["rdflib"]


def test_each_measured_case_has_its_runs_and_figures_derived_from_them(quick_run):
    document, _ = quick_run
    measured = [r for r in document["results"] if r["status"] == "ok"]
    assert {r["name"] for r in measured} == {"load", "dump"}
    for r in measured:
        assert set(DERIVED) <= set(r)
        assert r["group"] == "engine"
        assert 300 < r["triples"] < 600
        assert len(r["chmgraph_s"]) == 2 and len(r["baseline_s"]) == 2
        median, base = statistics.median(r["chmgraph_s"]), statistics.median(r["baseline_s"])
        assert r["median_s"] == median and r["baseline_median_s"] == base
        assert r["min_s"] == min(r["chmgraph_s"]) and r["max_s"] == max(r["chmgraph_s"])
        assert r["ratio"] == pytest.approx(base / median, rel=1e-2)
        assert r["triples_per_s"] == pytest.approx(r["triples"] / median, rel=1e-3)
        # Each side ran in a child process of its own, which reports its peak memory.
        assert r["peak_rss_mb"] > 0 and r["baseline_peak_rss_mb"] > 0


def test_a_missing_benchmark_is_reported_without_a_number(quick_run):
    document, table = quick_run
    [missing] = [r for r in document["results"] if r["group"] == "nosuchthing"]
    assert missing["status"] == "not available"
    assert "bench_nosuchthing.py does not exist yet" in missing["notes"]
    assert missing["median_s"] is None and missing["ratio"] is None
    assert "| nosuchthing | **not available** |" in table


def test_the_markdown_table_has_a_row_per_result(quick_run):
    document, table = quick_run
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(document["results"])  # the header, then one per result
    for r in document["results"]:
        if r["status"] == "ok":
            assert f"| engine: {r['name']} | {r['chmgraph_name']} |" in table
            assert f"| {r['ratio']}x |" in table


def test_a_failing_module_is_an_error_row_and_a_failed_run(tmp_path):
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "bench_broken.py").write_text(
        "def run(size, repeats):\n    raise ValueError('the store is gone')\n"
    )
    (modules / "bench_partial.py").write_text(
        "def run(size, repeats):\n    return [{'name': 'x', 'size': size}]\n"
    )
    out = tmp_path / "results"
    done = bench(
        tmp_path, "--only", "broken,partial", "--bench-dir", str(modules), "--out", str(out)
    )
    assert done.returncode == 1
    results = json.loads((out / "400.json").read_text())["results"]
    assert [(r["group"], r["status"]) for r in results] == [
        ("broken", "error"),
        ("partial", "error"),
    ]
    assert "ValueError: the store is gone" in results[0]["notes"]
    assert "lacks triples, chmgraph_name, chmgraph_s" in results[1]["notes"]
    assert all(r["ratio"] is None for r in results)


# A benchmark whose case (in a grandchild process) writes its pid, then hangs.
SLOW_MODULE = """
import functools, os, time
import harness

def sleep(path, _state):
    with open(path, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(120)

def run(size, repeats):
    side = harness.Side("sleep", functools.partial(sleep, PID_FILE))
    workload = harness.network(size)
    return [harness.compare("slow", workload=workload, chmgraph=side, baseline=None, repeats=1)]
"""


def test_a_module_that_runs_too_long_is_stopped_with_its_child_processes(tmp_path):
    modules = tmp_path / "modules"
    modules.mkdir()
    pid_file = tmp_path / "case.pid"
    (modules / "bench_slow.py").write_text(
        SLOW_MODULE.replace("PID_FILE", repr(str(pid_file))), encoding="utf-8"
    )
    out = tmp_path / "results"
    # The case starts after building a small network: 20 s leave room for that on a loaded
    # machine (at 5 s it was stopped before it began, with no pid written).
    args = ["--only", "slow", "--bench-dir", str(modules), "--out", str(out), "--timeout", "20"]
    done = bench(tmp_path, *args)
    assert done.returncode == 1
    [row] = json.loads((out / "400.json").read_text())["results"]
    assert row["status"] == "error" and "no result after 20 s" in row["notes"]
    case_pid = int(pid_file.read_text())
    assert not psutil.pid_exists(case_pid) or psutil.Process(case_pid).status() == "zombie"


def test_a_full_run_has_every_expected_benchmark_and_skips_modules_that_opt_out(tmp_path):
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "bench_extra.py").write_text("def run(size, repeats):\n    return []\n")
    (modules / "bench_floor.py").write_text(
        "IN_DEFAULT_RUN = False\ndef run(size, repeats):\n    raise SystemExit('ran')\n"
    )
    out = tmp_path / "results"
    done = bench(tmp_path, "--bench-dir", str(modules), "--out", str(out))
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "400.json").read_text())["results"]
    assert [(r["group"], r["status"]) for r in results] == [
        ("load", "not available"),
        ("dump", "not available"),
        ("validation", "not available"),
        ("query", "not available"),
    ]
    assert "running bench_extra.py" in done.stdout and "bench_floor" not in done.stdout


def test_the_harness_docstring_examples_run(monkeypatch):
    monkeypatch.syspath_prepend(str(RUN.parent))
    import harness

    result = doctest.testmod(harness)
    assert result.attempted > 0 and result.failed == 0


def test_whole_network_validation_checks_every_national_graph_beside_pyshacl(tmp_path):
    out = tmp_path / "results"
    done = bench(tmp_path, "--only", "network_validation", "--out", str(out))
    assert done.returncode == 0, done.stderr
    workload = json.loads(next((tmp_path / "cache").glob("*.json")).read_text())
    whole, sample = json.loads((out / "400.json").read_text())["results"]
    # A 400-triple network has 6 national graphs; all of them, every triple, are validated.
    assert whole["name"] == "every national graph (6)"
    assert whole["triples"] == workload["triples"] and len(whole["chmgraph_s"]) == 2
    assert "0 of 6 graphs do not conform" in whole["notes"]
    assert whole["baseline_s"] == [] and whole["ratio"] is None
    # pyshacl runs once on 3 of them, and both sides report the same results there.
    assert sample["name"] == "sample of 3 national graphs vs pyshacl"
    assert sample["status"] == "ok" and "same results: True" in sample["notes"]
    assert len(sample["baseline_s"]) == 1 and sample["ratio"] is not None
    assert 0 < sample["triples"] < whole["triples"]


def test_the_build_benchmark_keeps_the_store_it_measured(tmp_path):
    """``bench_build.py --keep DIR`` leaves chmgraph's store, as loaded, for other benchmarks;
    ``--out`` writes ``build-<size>.json``; a ``--keep`` folder that exists is refused."""
    script = PROJECT_ROOT / "benchmarks" / "bench_build.py"
    env = {**os.environ, "CHMGRAPH_BENCH_CACHE": str(tmp_path / "cache")}
    keep, out = tmp_path / "kept", tmp_path / "results"
    args = [sys.executable, str(script), "--size", "400", "--keep", str(keep), "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    (row,) = json.loads((out / "build-400.json").read_text())["results"]
    assert row["status"] == "ok" and row["baseline_quads"] == row["triples"]
    assert row["quads"] > row["triples"] and row["archive_chars"] > 0
    assert row["store_bytes_per_quad"] > 0 and row["compacted_bytes_per_quad"] > 0
    assert (out / "build-400.md").exists() and not (out / "latest.md").exists()
    # The kept store opens and holds what was measured; the workload cache has no leftovers.
    reopened = subprocess.run(
        [sys.executable, "-c", f"import pyoxigraph as ox; print(len(ox.Store({str(keep)!r})))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert int(reopened.stdout) == row["quads"]
    assert not [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]
    again = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert again.returncode == 2 and "already exists" in again.stderr

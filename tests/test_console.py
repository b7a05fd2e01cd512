"""What the commands print fits a terminal of 80 columns with every name and IRI whole, in a
form SPARQL reads back; in a pipe, one line per row (chmgraph/cli/console.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

import chmgraph as api
from chmgraph import iris
from chmgraph.query import QueryLibrary

WIDTH = 80
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "national-chm-example.ttl"


def chmgraph(store: Path, *args: str, columns: int | None = WIDTH) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHMGRAPH_")}
    env.pop("COLUMNS", None)
    env["CHMGRAPH_STORE"] = str(store)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-m", "chmgraph", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("console") / "store"
    assert chmgraph(path, "init", "--with-example").returncode == 0
    return path


def lines_of(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def fits(lines: list[str]) -> bool:
    return all(len(line.rstrip()) <= WIDTH for line in lines)


def test_the_library_fits_and_shows_every_name_whole(store):
    lines = lines_of(chmgraph(store, "queries"))
    assert fits(lines)
    words = {w.strip("│ ") for line in lines for w in line.split()}
    assert set(QueryLibrary.load().names) <= words


def test_a_library_query_shows_every_iri_whole_and_valid(store):
    lines = lines_of(chmgraph(store, "query", "workshops-by-supporter"))
    assert fits(lines)
    shown = {w for line in lines for w in line.split() if w.startswith("chmid:")}
    expected = chmgraph(store, "query", "workshops-by-supporter", "--format", "csv")
    iris_ = [line.split(",")[0] for line in expected.stdout.splitlines()[1:]]
    assert iris_ and {iris.compact(i) for i in iris_} == shown


def test_a_printed_iri_copied_into_a_query_gives_its_row_back(store):
    lines = lines_of(chmgraph(store, "query", "workshops-by-supporter"))
    printed = next(w for line in lines for w in line.split() if w.startswith("chmid:event"))
    text = f"SELECT ?start WHERE {{ {printed} schema:startDate ?start }}"
    back = chmgraph(store, "query", "-e", text, "--format", "csv")
    assert back.returncode == 0, back.stderr
    start = back.stdout.splitlines()[1]
    at = next(i for i, line in enumerate(lines) if printed in line.split())
    shown = next(line.split()[1] for line in lines[at:] if line.startswith("start "))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", start) and shown == start
    # The same text runs from Python, with the same prefixes declared for it.
    with api.open(store) as network:
        assert network.query(text).values("start") == [start]


def test_history_and_graphs_fit_with_whole_times_and_graph_names(store):
    history = lines_of(chmgraph(store, "history", "CM"))
    assert fits(history)
    assert any(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", line) for line in history)
    graphs = lines_of(chmgraph(store, "graphs"))
    assert fits(graphs)
    for name in ("national/CM", "inferred/national/CM", "inferred/submissions", "reference"):
        assert any(name in line.split() for line in graphs), name


def test_in_a_pipe_a_row_is_one_line(store):
    graphs = lines_of(chmgraph(store, "graphs", columns=None))
    rows = [line for line in graphs if line.startswith("│")]
    assert any("inferred/national/CM" in row and "CM" in row.split("│")[3] for row in rows)
    wide = lines_of(chmgraph(store, "graphs", "--wide"))
    assert wide == graphs


def test_an_unknown_prefix_is_named_in_one_line(store):
    result = chmgraph(store, "query", "-e", "SELECT ?x WHERE { ?x a foo:Bar }")
    assert result.returncode == 2
    assert "unknown prefix foo:" in result.stderr and "\\u{" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "iri",
    [
        iris.ID + "event/2013-marrakech",
        iris.ID + "m49/002",
        iris.VOCAB_BASE + "Workshop",
        iris.ID + "x/-a.b.",
        iris.ID + "q?x=1&y=(2)",
        "https://example.org/chmgraph/example/chm/CM",
        iris.ID + "a b",
    ],
)
def test_every_compact_form_reads_back_as_its_iri(iri):
    declared = "".join(f"PREFIX {p}: <{n}> " for p, n in iris.PREFIXES.items())
    shown = iris.compact(iri)
    try:
        answer = ox.Store().query(f"{declared} SELECT ?x WHERE {{ BIND({shown} AS ?x) }}")
    except SyntaxError:
        assert " " in iri  # not an IRI at all: nothing can print it validly
        return
    assert next(iter(answer))["x"].value == iri
    assert iris.expand(shown) == iri or shown.startswith("<")

"""The store commands, as a steward runs them: exit codes, messages, and an untouched store."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from chmgraph import iris
from chmgraph.cli import cli
from chmgraph.cli.console import console
from chmgraph.network import Network
from chmgraph.settings import DATA_DIR

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    assert run("init", "--store", path).exit_code == 0
    return path


def contents(store: Path) -> set:
    with Network.open(store, read_only=True) as network:
        return set(network.store.quads())


def test_a_stewards_session(store: Path, tmp_path: Path) -> None:
    first = run("submit", EXAMPLE, "--country", "CM", "--by", "A steward", "--store", store)
    assert first.exit_code == 0 and "accepted: CM version 1" in first.stdout
    again = run("submit", EXAMPLE, "--country", "CM", "--store", store)
    assert again.exit_code == 0 and "unchanged" in again.stdout
    second = tmp_path / "cm.ttl"
    second.write_text(EXAMPLE.read_text().replace('"2012"^^xsd:gYear', '"2013"^^xsd:gYear'))
    assert "version 2" in run("submit", second, "--country", "CM", "--store", store).stdout

    history = run("history", "CM", "--store", store)
    assert history.exit_code == 0 and "A steward" in history.stdout
    diff = run("diff", "CM", "1", "2", "--store", store)
    assert diff.exit_code == 0
    assert [line[:1] for line in diff.stdout.splitlines()] == ["-", "+"]
    assert '"2013"^^<http://www.w3.org/2001/XMLSchema#gYear> .' in diff.stdout
    rollback = run("rollback", "CM", "--to", "1", "--message", "back", "--store", store)
    assert rollback.exit_code == 0 and "accepted: CM version 3" in rollback.stdout
    graphs = run("graphs", "--wide", "--store", store)  # one line per graph
    assert "national/CM" in graphs.stdout and "│ inferred " in graphs.stdout
    assert "history" not in graphs.stdout  # versions are archived in the submissions graph
    status = run("status", "--store", store)
    assert status.exit_code == 0
    for label in ("graphs", "triples", "workshops", "countries", "national graphs with data"):
        assert label in status.stdout


def test_store_from_the_environment(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHMGRAPH_STORE", str(store))
    assert run("submit", EXAMPLE, "--country", "CM").exit_code == 0
    with Network.open(store, read_only=True) as network:
        assert network.store.count(iris.national_graph("CM")) > 0


def test_wrong_country_exits_1_and_stores_nothing(store: Path) -> None:
    before = contents(store)
    result = run("submit", EXAMPLE, "--country", "CO", "--store", store)
    assert result.exit_code == 1
    assert "rejected" in result.stderr and "CHM-V091" in result.stderr
    assert contents(store) == before


def test_non_conforming_submission_exits_1_with_the_report(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(EXAMPLE.read_text().replace('"2012"^^xsd:gYear', '"last spring"'))
    before = contents(store)
    result = run("submit", bad, "--country", "CM", "--store", store)
    assert result.exit_code == 1
    assert "rejected" in result.stderr and "last spring" in result.stderr
    assert contents(store) == before


def test_unknown_country_exits_2_with_a_suggestion(store: Path) -> None:
    before = contents(store)
    result = run("submit", EXAMPLE, "--country", "CMR", "--store", store)
    assert result.exit_code == 2
    assert "unknown country code 'CMR'; did you mean CM (Cameroon)?" in result.stderr
    assert contents(store) == before


def test_unreadable_and_malformed_files_exit_2(store: Path, tmp_path: Path) -> None:
    before = contents(store)
    missing = run("submit", tmp_path / "nope.ttl", "--country", "CM", "--store", store)
    assert missing.exit_code == 2 and "cannot read file" in missing.stderr
    broken = tmp_path / "broken.ttl"
    broken.write_text("<https://example.org/chmgraph/example/s> <https://example.org/p> .\n")
    malformed = run("submit", broken, "--country", "CM", "--store", store)
    assert malformed.exit_code == 2 and f"{broken}:1" in malformed.stderr
    assert contents(store) == before


def test_store_problems_exit_3(tmp_path: Path) -> None:
    missing = run("status", "--store", tmp_path / "none")
    assert missing.exit_code == 3 and "no store at" in missing.stderr
    blocker = tmp_path / "file"
    blocker.write_text("")
    unwritable = run("init", "--store", blocker / "store")
    assert unwritable.exit_code == 3 and "not writable" in unwritable.stderr


def test_store_in_use_by_another_process(store: Path, hold_store, monkeypatch) -> None:
    monkeypatch.setenv("CHMGRAPH_STORE_WAIT_S", "0.3")
    hold_store(store)
    locked = run("submit", EXAMPLE, "--country", "CM", "--store", store)
    assert locked.exit_code == 3
    assert f"store at {store} is in use by another process (waited 0.3 s" in locked.stderr
    # Reading commands do not wait for the writer: they read the newest published snapshot.
    dump = ["dump", "--out", store.parent / "d", "--base-url", "https://chm.example.org/dump/"]
    for reading in (["status"], ["query", "workshops"], dump):
        result = run(*reading, "--store", store)
        assert result.exit_code == 0 and "in use" not in result.stderr, (reading, result.stderr)


def test_init_twice_needs_force_and_keeps_history(store: Path) -> None:
    assert run("init", "--store", store, "--with-example").exit_code == 2
    forced = run("init", "--store", store, "--force", "--with-example")
    assert forced.exit_code == 0 and "accepted: CM version 1" in forced.stdout
    again = run("init", "--store", store, "--force", "--with-example")
    assert again.exit_code == 0 and "unchanged" in again.stdout
    with Network.open(store, read_only=True) as network:
        assert [v.number for v in network.history("CM")] == [1]


def test_submit_reads_standard_input_and_records_the_bytes_received(store: Path) -> None:
    data = EXAMPLE.read_bytes()
    result = CliRunner().invoke(
        cli, ["submit", "-", "--country", "CM", "--store", str(store)], input=data
    )
    assert result.exit_code == 0 and "accepted: CM version 1" in result.stdout
    with Network.open(store, read_only=True) as network:
        [record] = network.history("CM")
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    again = CliRunner().invoke(
        cli,
        ["submit", "-", "--country", "CM", "--name", "upload.ttl", "--store", str(store)],
        input=data,
    )
    assert "unchanged: upload.ttl is identical to CM version 1" in again.stdout


def test_a_rejected_submission_from_standard_input_cites_the_name_given(store: Path) -> None:
    bad = EXAMPLE.read_text().replace("/id/country/CM>", "/id/country/FR>").encode()
    result = CliRunner().invoke(
        cli,
        ["submit", "-", "--country", "CM", "--name", "cm-upload.ttl", "--store", str(store)],
        input=bad,
    )
    assert result.exit_code == 1
    assert "rejected: cm-upload.ttl does not conform" in result.stderr
    assert "Traceback" not in result.output


def test_markup_and_control_characters_in_data_are_shown_as_text(store: Path, monkeypatch) -> None:
    monkeypatch.setattr(console, "width", 200)  # a wide terminal: every cell on one line
    hostile = "[/]:warning:[b]\x1b[31m"
    submitted = run("submit", EXAMPLE, "--country", "CM", "--by", hostile, "--store", store)
    assert submitted.exit_code == 0
    history = run("history", "CM", "--store", store)
    assert history.exit_code == 0
    assert "[/]:warning:[b]\\x1b[31m" in history.stdout and "\x1b" not in history.stdout

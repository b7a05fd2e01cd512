"""Saved answers: the library's answers computed once for a state of a store on disk, read by
every reader of that state, and never read after the network changed."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from serving import Served

from chmgraph.cli import cli
from chmgraph.network import Network
from chmgraph.query import QueryLibrary
from chmgraph.query.run import run_query, save_answers
from chmgraph.query.saved import OUTSIDE, SavedAnswers, reads
from chmgraph.settings import DATA_DIR, Settings

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"
LAUNCH_2012 = '"2012"^^xsd:gYear'
LAUNCH_2013 = '"2013"^^xsd:gYear'
BY_YEAR = "national-chms-by-launch-year"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    with Network.open(path, create=True) as network:
        network.init()
        network.submit(EXAMPLE, "CM")
    return path


def settings(**changes: object) -> Settings:
    return dataclasses.replace(Settings.from_env(), **changes)


def rows(result) -> list[str]:
    return sorted(map(str, result.rows)) if result.form == "SELECT" else [str(result.boolean)]


def saved_file(store: Path, network: Network, name: str) -> Path:
    """The saved answer's data file of the library query ``name`` in the present state."""
    root = SavedAnswers(store).root
    content = network.store.content_key(OUTSIDE)
    for folder in (root / str(network.store.state), root / f"content-{content}"):
        for description in folder.glob("*.json"):
            if json.loads(description.read_text())["query"] == name:
                return next(p for p in folder.glob(description.stem + ".*") if p.suffix != ".json")
    raise AssertionError(f"no saved answer of {name}")


def years(result) -> dict[str, int]:
    return {str(r[result.variables.index("year")].value): int(r[1].value) for r in result.rows}


def test_every_library_answer_read_from_its_saved_answer_is_the_computed_one(store):
    with Network.open(store) as network:
        done = save_answers(network, settings=settings())
        assert done.state == network.store.state and not done.skipped
        assert len(done.seconds) == len(QueryLibrary.load())
        for query in QueryLibrary.load():
            saved = run_query(network, query, settings=settings())
            computed = run_query(network, query, settings=settings(saved_answers=False))
            assert rows(saved) == rows(computed), query.name
            assert len(saved.triples) == len(computed.triples), query.name
        # Saved once: asked again, nothing is computed.
        again = save_answers(network, settings=settings())
        assert set(again.seconds.values()) == {None}


def test_a_reader_reads_the_saved_answer_of_its_state(store):
    with Network.open(store) as network:
        save_answers(network, settings=settings())
        path = saved_file(store, network, BY_YEAR)
    # What the reader gets is what the file holds: a changed file shows (here, by hand).
    path.write_text(path.read_text().replace("2012", "1999"))
    with Network.open(store, read_only=True) as reader:
        assert "1999" in years(run_query(reader, BY_YEAR, settings=settings()))
        off = run_query(reader, BY_YEAR, settings=settings(saved_answers=False))
        assert "1999" not in years(off) and "2012" in years(off)


def test_no_saved_answer_is_read_after_a_change(store, tmp_path):
    with Network.open(store) as network:
        save_answers(network, settings=settings())
        before = network.store.state
        old = years(run_query(network, BY_YEAR, settings=settings()))
        changed = tmp_path / "v2.ttl"
        changed.write_text(EXAMPLE.read_text().replace(LAUNCH_2012, LAUNCH_2013))
        assert network.submit(changed, "CM").status == "accepted"
        assert network.store.state not in (None, before)
        live = run_query(network, BY_YEAR, settings=settings(saved_answers=False))
        new = run_query(network, BY_YEAR, settings=settings())
        assert years(new) == years(live) != old
    # Another process reads the new state, not the old answers.
    with Network.open(store, read_only=True) as reader:
        assert rows(run_query(reader, BY_YEAR, settings=settings())) == rows(live)


def test_a_limit_and_an_offset_get_the_rows_the_query_gives(store):
    with Network.open(store) as network:
        save_answers(network, settings=settings(max_rows=3))
        for limit, offset in ((None, 0), (2, 0), (3, 0), (2, 2), (None, 5)):
            names = ("toolkit-modules", BY_YEAR, "workshops", "events-as-schema-org")
            for name in names:
                kwargs = {"limit": limit, "offset": offset}
                got = run_query(network, name, settings=settings(max_rows=3), **kwargs)
                live = run_query(
                    network, name, settings=settings(max_rows=3, saved_answers=False), **kwargs
                )
                assert got.rows == live.rows and got.truncated == live.truncated, (name, kwargs)
                assert set(got.triples) <= set(run_query(network, name).triples)
                assert len(got.triples) == len(live.triples), (name, kwargs)


def test_the_answers_command_saves_and_clears(store):
    runner = CliRunner()
    saved = runner.invoke(cli, ["answers", "--store", str(store)])
    assert saved.exit_code == 0, saved.output
    assert f"{len(QueryLibrary.load())} answers saved" in saved.stdout
    root = SavedAnswers(store).root
    assert any(root.iterdir())
    cleared = runner.invoke(cli, ["answers", "--store", str(store), "--clear"])
    assert cleared.exit_code == 0 and not root.exists()
    memory = runner.invoke(cli, ["answers", "--store", str(store.parent / "nothing")])
    assert memory.exit_code != 0 and "Traceback" not in memory.output


def test_the_server_saves_the_answers_of_each_new_state(tmp_path):
    served = Served(tmp_path)
    try:
        health = wait_for(served, lambda h: h["answers"] == "current" and not h["warming"])
        query = (Path("queries") / f"{BY_YEAR}.rq").read_text()
        asked = {"query": query}
        assert served.http.get("/sparql", params=asked).status_code == 200
        state = health["state"]
        body = EXAMPLE.read_bytes().replace(LAUNCH_2012.encode(), LAUNCH_2013.encode())
        headers = {"Content-Type": "text/turtle"} | served.bearer(served.cm)
        accepted = served.http.post("/api/submissions/CM", content=body, headers=headers)
        assert accepted.status_code in (200, 201), accepted.text
        # At once, before the new state's answers are saved: the new answer, not the old one.
        fresh = served.http.get("/sparql", params=asked, headers={"Accept": "text/csv"})
        assert "2013" in fresh.text
        wait_for(served, lambda h: h["state"] > state and h["answers"] == "current")
        with Network.open(served.store, read_only=True) as reader:
            assert saved_file(served.store, reader, BY_YEAR).exists()
        kept = served.http.get("/sparql", params=asked, headers={"Accept": "text/csv"})
        assert kept.text == fresh.text
    finally:
        served.stop()


def wait_for(served: Served, done, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        health = served.http.get("/healthz").json()
        if done(health):
            return health
        time.sleep(0.2)
    raise AssertionError(f"the server did not get there: {health}")


def test_a_network_back_to_an_earlier_content_reads_the_answers_saved_for_it(store, tmp_path):
    with Network.open(store, read_only=True) as reader:
        first = save_answers(reader, settings=settings())  # records the snapshot's content
        content = reader.store.content_key(OUTSIDE)
    assert content is not None and not first.skipped
    changed = tmp_path / "v2.ttl"
    changed.write_text(EXAMPLE.read_text().replace(LAUNCH_2012, LAUNCH_2013))
    with Network.open(store) as network:
        assert network.submit(changed, "CM").version == 2
        second = network.store.content_key(OUTSIDE)
        assert second not in (None, content)
        assert network.rollback("CM", 1).version == 3  # the first content, a new state
        assert network.store.content_key(OUTSIDE) == content
    with Network.open(store, read_only=True) as reader:
        again = save_answers(reader, settings=settings())
        # Only the answers that read the history (versions, graphs) are computed again.
        computed = {name for name, s in again.seconds.items() if s is not None}
        assert "graph-statistics" in computed and BY_YEAR not in computed
        assert len(computed) < len(again.seconds) / 4
        for query in QueryLibrary.load():
            got = run_query(reader, query, settings=settings())
            live = run_query(reader, query, settings=settings(saved_answers=False))
            assert rows(got) == rows(live), query.name


def test_a_write_other_than_a_replacement_leaves_no_content_to_share(store):
    with Network.open(store, read_only=True) as reader:
        save_answers(reader, settings=settings())
    with Network.open(store) as network:
        network.store.update(
            "INSERT DATA { GRAPH <https://w3id.org/chmgraph/graph/national/CM> "
            "{ <http://example.org/s> <http://example.org/p> 1 } }"
        )
        assert network.store.state is not None
        assert network.store.content_key(OUTSIDE) is None


def test_what_a_query_reads_decides_whether_its_answer_is_shared():
    assert reads("SELECT * { ?w a <http://e/W> ; <http://e/p> ?o }") == [
        "a <http://e/W>",
        "http://e/p",
    ]
    for text in (
        "SELECT * { ?s ?p ?o }",
        "SELECT * { ?s a ?class }",
        "SELECT * { GRAPH ?g { ?s <http://e/p> ?o } }",
        "SELECT * FROM <http://e/g> { ?s <http://e/p> ?o }",
        "SELECT * { ?s !<http://e/p> ?o }",
        "SELECT * { ?s a/<http://e/sub>* <http://e/C> }",
        "SELECT * { FILTER NOT EXISTS { ?s ?p ?o } }",
        "SELECT * { SERVICE <http://e/sparql> { ?s <http://e/p> ?o } }",
        "not SPARQL",
    ):
        assert reads(text) is None, text


def test_a_readers_computation_is_saved_for_the_readers_after_it(store, tmp_path):
    with Network.open(store) as network:
        changed = tmp_path / "v2.ttl"
        changed.write_text(EXAMPLE.read_text().replace(LAUNCH_2012, LAUNCH_2013))
        assert network.submit(changed, "CM").version == 2  # a state nothing was saved for
        first = run_query(network, BY_YEAR, settings=settings())
        path = saved_file(store, network, BY_YEAR)
        assert "2013" in years(first)
        path.write_text(path.read_text().replace("2013", "1999"))  # by hand, to tell
        assert "1999" in years(run_query(network, BY_YEAR, settings=settings()))
        # Other text is not a library answer: computed each time, never saved.
        files = set(SavedAnswers(store).root.rglob("*"))
        run_query(network, "SELECT ?year WHERE { ?chm chm:launchYear ?year }", settings=settings())
        assert set(SavedAnswers(store).root.rglob("*")) == files

"""``chmgraph queries`` and ``chmgraph query``, as a researcher runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from chmgraph import iris
from chmgraph.cli import cli
from chmgraph.entailment import inferred_graph, materialize
from chmgraph.network import Network
from chmgraph.query.library import QueryLibrary


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("query-cli") / "store"
    with Network.open(path, create=True) as network:
        network.init(include_example=True)
        materialize(network)
    return path


def test_queries_lists_the_library_with_parameters():
    result = run("queries")
    assert result.exit_code == 0
    assert "workshops-by-supporter" in result.stdout
    assert "supporter: iri" in result.stdout
    assert f"{len(QueryLibrary.load())} queries" in result.stdout


def test_queries_as_turtle_describes_every_query():
    result = run("queries", "--format", "turtle")
    triples = list(ox.parse(result.stdout.encode(), format=ox.RdfFormat.TURTLE))
    described = {t.subject.value for t in triples if t.predicate.value.endswith("#select")}
    assert len(described) == sum(1 for q in QueryLibrary.load() if q.form == "SELECT")


def test_a_researchers_session_with_a_parameter_and_csv_export(store):
    result = run(
        "query", "workshops-by-supporter", "-p", "supporter=chmid:government/BE",
        "--format", "csv", "--store", store,
    )  # fmt: skip
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["city"] for r in rows} == {"Buea", "Marrakech"}
    table = run("query", "workshops-in-year", "--store", store)
    assert table.exit_code == 0 and "3 rows" in table.stdout and "Gros Islet" in table.stdout


def test_text_and_files_run_too(store, tmp_path):
    text = run("query", "-e", "SELECT (COUNT(*) AS ?n) { ?w a chm:RegionalWorkshop }",
               "--format", "json", "--store", store)  # fmt: skip
    assert json.loads(text.stdout)["results"]["bindings"][0]["n"]["value"] == "5"
    path = tmp_path / "mine.rq"
    path.write_text("ASK { ?x a <https://schema.org/Event> }\n", encoding="utf-8")
    assert run("query", path, "--store", store).stdout.strip() == "yes"
    assert run("query", path, "--no-entailment", "--store", store).stdout.strip() == "no"


def test_graph_limit_and_rdf_formats(store):
    cm = run("query", "national-chm-partners", "--graph", "CM", "--format", "tsv", "--store", store)
    assert cm.stdout.splitlines()[0] == "?country\t?chm\t?partner\t?partnerName"
    assert len(cm.stdout.splitlines()) == 2
    limited = run("query", "workshops", "--limit", "2", "--format", "csv", "--store", store)
    assert len(limited.stdout.strip().splitlines()) == 3
    turtle = run("query", "events-as-schema-org", "--format", "turtle", "--store", store)
    triples = list(ox.parse(turtle.stdout.encode(), format=ox.RdfFormat.TURTLE))
    assert any(t.object.value == iris.government("JP") for t in triples)


def test_the_row_cap_warns(store, monkeypatch):
    monkeypatch.setenv("CHMGRAPH_MAX_ROWS", "2")
    result = run("query", "workshops", "--format", "csv", "--store", store)
    assert result.exit_code == 0
    assert len(result.stdout.strip().splitlines()) == 3
    assert "cut at 2 rows (setting max_rows" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "nope"], "no query named 'nope'"),
        (["query"], "give a query NAME"),
        (["query", "workshops-in-year", "-p", "year=twenty"], "not a valid integer"),
        (["query", "workshops", "-p", "year"], "expected NAME=VALUE"),
        (["query", "-e", "SELECT ?x WHERE { ?x ?p ?o } ORDER ?x"],
         "<query>:1:38: syntax error: expected BY"),
        (["query", "-e", "SELECT * { SERVICE <https://evil.example/> { ?s ?p ?o } }"],
         "not on the service_allowlist"),
        (["query", "decisions", "--format", "turtle"], "does not fit a SELECT answer"),
    ],
)  # fmt: skip
def test_errors_are_messages_with_exit_code_2(store, args, message):
    result = run(*args, "--store", store)
    assert result.exit_code == 2
    assert message in result.stderr.replace("\n", "")


def test_a_timeout_is_reported(store, monkeypatch):
    monkeypatch.setenv("CHMGRAPH_MAX_ROWS", str(10**12))  # so that the rows never run out first
    result = run("query", "-e", "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", "--timeout", "0.2",
                 "--format", "csv", "--store", store)  # fmt: skip
    assert result.exit_code == 2
    assert "timed out after 0.2 s" in result.stderr


def test_a_network_missing_an_inferred_graph_warns_until_entail_runs(tmp_path):
    path = tmp_path / "store"
    with Network.open(path, create=True) as network:
        network.init()  # materializes every graph's entailments
        network.store.update(f"DROP GRAPH <{inferred_graph(iris.CBD_GRAPH)}>")
    before = run("query", "workshops-in-year", "--format", "csv", "--store", path)
    assert "have no inferred graph" in before.stderr and "chmgraph entail" in before.stderr
    assert len(before.stdout.strip().splitlines()) == 1  # regional workshops are not chm:Workshop
    entail = run("entail", "--store", path)
    assert entail.exit_code == 0 and "inferred triples written" in entail.stdout
    after = run("query", "workshops-in-year", "--format", "csv", "--store", path)
    assert after.stderr == "" and len(after.stdout.strip().splitlines()) == 4


@pytest.mark.parametrize("graph", ["ZZ", "https://w3id.org/chmgraph/graph/national/ZZ"])
def test_a_graph_the_store_lacks_is_an_error_not_an_empty_answer(store, graph):
    result = run("query", "workshops", "--graph", graph, "--store", store)
    assert result.exit_code == 2
    assert result.stdout == ""
    iri = "https://w3id.org/chmgraph/graph/national/ZZ"
    assert f"no graph '{graph}' in the store ({iri})" in result.output


def test_a_graph_the_store_holds_is_queried(store):
    result = run(
        "query", "national-chm-partners", "--graph", "CM", "--store", store, "--format", "csv"
    )
    assert result.exit_code == 0
    assert len(list(csv.DictReader(io.StringIO(result.stdout)))) >= 1

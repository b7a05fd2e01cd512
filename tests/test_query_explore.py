"""Exploring the library and taking answers away: --search, --show, did you mean, --lang,
--offset, records() and DataFrames, JSON and JSON-LD as files want them."""

from __future__ import annotations

import csv
import importlib
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

import chmgraph
from chmgraph.cli import cli
from chmgraph.entailment import materialize
from chmgraph.errors import InputError
from chmgraph.query import QueryLibrary, QueryResult
from chmgraph.query.results import python_value

LIBRARY = QueryLibrary.load()


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("explore") / "store"
    with chmgraph.Network.open(path, create=True) as network:
        network.init(include_example=True)
        materialize(network)
    return path


@pytest.fixture(scope="module")
def network():
    # In memory: a store on disk is held by one process at a time, and the CLI tests open it.
    found = chmgraph.Network.in_memory()
    found.init()
    materialize(found)
    return found


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_search_finds_the_queries_that_mention_a_word_and_only_those():
    result = run("queries", "--search", "sponsor", "--wide")
    assert result.exit_code == 0
    expected = {q.name for q in LIBRARY if q.matches("sponsor")}
    assert expected and all(name in result.stdout for name in expected)
    assert all(q.name not in result.stdout.split() for q in LIBRARY if q.name not in expected)
    assert f"{len(expected)} of {len(LIBRARY)} queries" in result.stdout
    assert run("queries", "--search", "no-such-word-anywhere").exit_code == 2


def test_a_mistyped_name_or_parameter_gets_a_suggestion(store):
    named = run("query", "workshop-in-year", "--store", store)
    assert named.exit_code == 2 and "did you mean 'workshops-in-year'" in named.stderr
    parameter = run("query", "workshops-in-year", "-p", "yaer=2013", "--store", store)
    assert parameter.exit_code == 2 and "did you mean 'year'" in parameter.stderr


def test_show_describes_a_query_without_running_it():
    query = LIBRARY["workshops-by-supporter"]
    result = run("query", query.name, "--show")
    assert result.exit_code == 0
    for part in (query.title, query.question, query.description, "-p supporter=IRI"):
        assert part in result.stdout
    assert query.text.strip().splitlines()[-1] in result.stdout


def test_print_binds_the_readers_language(store):
    printed = run(
        "query", "workshops-in-year", "--lang", "fr", "--print", "--store", store
    ).stdout  # fmt: skip
    # The language is written in as a constant, so the engine plans each lookup for it.
    assert 'FILTER(langMatches(lang(?country), "fr"))' in printed
    assert "?lang" not in printed
    assert 'VALUES (?year) { ("' in printed


def test_offset_pages_through_an_answer(store):
    everything = csv_rows(run("query", "workshops", "--format", "csv", "--store", store).stdout)
    page = run(
        "query", "workshops", "--offset", "2", "--limit", "3", "--format", "csv",
        "--store", store,
    )  # fmt: skip
    assert len(everything) > 5
    assert csv_rows(page.stdout) == everything[2:5]


def test_records_are_dicts_of_python_values(network):
    result = network.query("workshops-in-year", params={"year": "2013"})
    records = result.records()
    assert len(records) == len(result.rows)
    for record, row in zip(records, result.rows, strict=True):
        assert list(record) == result.variables
        assert list(record.values()) == [python_value(t) for t in row]
    assert all(r["start"].year == 2013 for r in records)


def test_a_dataframe_has_a_column_per_variable(network):
    pandas = pytest.importorskip("pandas")
    result = network.query("supporters-ranked")
    frame = result.to_dataframe()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == result.variables and len(frame) == len(result.rows)


def test_without_pandas_a_dataframe_is_refused_with_the_extra_to_install(monkeypatch):
    real = importlib.import_module

    def without_pandas(name: str, *args: object) -> object:
        if name == "pandas":
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_pandas)
    with pytest.raises(InputError, match=r"chmgraph\[pandas\]"):
        QueryResult("SELECT", ["x"], []).to_dataframe()


@pytest.mark.parametrize("name", ["supporters-ranked", "has-national-chm"])
def test_json_ends_with_a_newline(store, name):
    result = run("query", name, "--format", "json", "--store", store)
    assert result.exit_code == 0 and result.stdout.endswith("}\n")
    json.loads(result.stdout)


def test_json_ld_is_compacted_with_the_querys_context_and_keeps_every_triple(store):
    query = LIBRARY["events-as-schema-org"]
    assert query.context is not None and query.context["@vocab"] == "https://schema.org/"
    compact = run("query", query.name, "--format", "jsonld", "--store", store).stdout
    document = json.loads(compact)
    assert document["@context"] == query.context and compact.endswith("\n")
    assert all(node.get("@type") == "Event" for node in document["@graph"] if "@type" in node)
    ntriples = run("query", query.name, "--format", "ntriples", "--store", store).stdout
    expected = set(ox.parse(ntriples.encode(), format=ox.RdfFormat.N_TRIPLES))
    assert set(ox.parse(compact.encode(), format=ox.RdfFormat.JSON_LD)) == expected


def test_labels_come_in_the_language_asked_and_in_english_where_there_is_none(network):
    english = network.query("workshops-in-year", params={"year": "2013"})
    french = network.query("workshops-in-year", params={"year": "2013", "lang": "fr"})
    assert french.values("workshop") == english.values("workshop")
    # The seed page names workshops in English only: those labels fall back to English.
    assert french.values("label") == english.values("label")
    names = network.query(
        "SELECT ?w ?name WHERE { ?w chm:hostCountry/skos:prefLabel ?name "
        'FILTER(lang(?name) = "fr") }'
    )
    by_workshop = dict(zip(names.values("w"), names.values("name"), strict=True))
    assert french.values("country") == [by_workshop[w] for w in french.values("workshop")]
    assert french.values("country") != english.values("country")


def test_labels_picked_inside_a_subquery_come_in_the_language_asked(network):
    """The language is a constant in the text, so it reaches a subquery (a VALUES block at the
    top did not: the country names stayed English)."""
    french = network.query("workshops-by-host-country", params={"lang": "fr"})
    names = network.query(
        'SELECT ?c ?name WHERE { ?c skos:prefLabel ?name FILTER(lang(?name) = "fr") }'
    )
    by_country = dict(zip(names.values("c"), names.values("name"), strict=True))
    assert french.values("country")
    assert french.values("name") == [by_country[c] for c in french.values("country")]


def test_a_language_that_is_no_language_tag_is_refused(store):
    result = run("query", "workshops", "-p", 'lang=fr")) } #', "--store", store)
    assert result.exit_code == 2
    assert "is not a language tag" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_language_parameter_may_not_be_selected():
    text = "# param lang: language = en ; labels\nSELECT ?lang WHERE { ?s ?p ?o }"
    with pytest.raises(InputError, match="only be used in expressions"):
        chmgraph.query.NamedQuery.from_text(text, name="selects-lang")


def test_lang_on_the_command_line_is_the_querys_lang_parameter(store):
    asked = run("query", "workshops-in-year", "--lang", "es", "--format", "csv", "--store", store)
    given = run(
        "query", "workshops-in-year", "-p", "lang=es", "--format", "csv", "--store", store
    )  # fmt: skip
    assert asked.exit_code == 0 and asked.stdout == given.stdout
    ignored = run("query", "workshops-per-year", "--lang", "es", "--store", store)
    assert ignored.exit_code == 0 and "picks no labels" in ignored.stderr


@pytest.mark.parametrize(
    ("name", "variable", "separator"),
    [
        ("workshops-by-region", "years", ", "),
        ("joint-sessions", "eventTitles", " | "),
        ("workshops-by-host-country", "titles", " | "),
    ],
)
def test_lists_in_one_cell_are_sorted(network, name, variable, separator):
    cells = [c for c in network.query(name).values(variable) if c]
    assert cells
    for cell in cells:
        items = cell.split(separator)
        assert items == sorted(items), cell


def test_language_codes_compare_as_documented(network):
    """docs/queries.md: typed xsd:language, so a plain string matches nothing, STR() does."""

    def count(pattern: str) -> int:
        result = network.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        return int(result.values("n")[0] or 0)

    plain = count('?s dcterms:language ?l FILTER(?l = "en")')
    text = count('?s dcterms:language ?l FILTER(STR(?l) = "en")')
    typed = count('?s dcterms:language "en"^^xsd:language')
    assert plain == 0 and text > 0 and typed == text

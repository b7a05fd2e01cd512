"""The synthetic network: deterministic, shaped like the real one, marked synthetic, injectable."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from chmgraph import iris
from chmgraph.cli import cli
from chmgraph.network import check_submission
from chmgraph.rdfio import read_quads
from chmgraph.settings import PROJECT_ROOT
from chmgraph.synth import (
    VIOLATION_KINDS,
    SyntheticNetwork,
    network_data_dirs,
    parse_size,
)
from chmgraph.validation import validate

SYN = iris.SYNTHETIC
# The sources themselves, so that the country list the package ships is checked against them.
COUNTRY_CODES_CSV = PROJECT_ROOT.parent / "shared" / "reference" / "country-codes.csv"
UN_GROUPS_CSV = PROJECT_ROOT.parent / "shared" / "reference" / "un-regional-groups.csv"
CHM = iris.VOCAB_BASE
SCHEMA = iris.PREFIXES["schema"]
DESCRIPTION = ox.NamedNode(iris.PREFIXES["dcterms"] + "description")


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def network_100k(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth") / "network.trig"
    summary = SyntheticNetwork(target_triples=100_000, seed=7).write_file(path)
    return path, summary, read_quads(path)


def store_of(quads) -> ox.Store:
    store = ox.Store()
    store.extend(quads)
    return store


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    paths = [tmp_path / name for name in ("a.trig", "b.trig", "c.trig")]
    for path, seed in zip(paths, (5, 5, 6), strict=True):
        SyntheticNetwork(target_triples=20_000, seed=seed, violations=3).write_file(path)
    assert sha256(paths[0]) == sha256(paths[1])
    assert sha256(paths[0]) != sha256(paths[2])


def test_196_national_graphs_of_real_countries_including_every_un_member(network_100k):
    _, summary, quads = network_100k
    graphs = {q.graph_name.value for q in quads}
    codes = {iris.country_of_graph(g) for g in graphs}
    with COUNTRY_CODES_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with UN_GROUPS_CSV.open(encoding="utf-8") as f:
        members = {row["Code"] for row in csv.DictReader(f)}
    real = {row["ISO3166-1-Alpha-2"] for row in rows}
    un_members = {row["ISO3166-1-Alpha-2"] for row in rows if row["ISO3166-1-Alpha-3"] in members}
    assert summary.graphs == len(graphs) == 196
    assert None not in codes and codes <= real
    assert un_members <= codes and len(un_members) == 193


def test_each_graph_says_it_is_synthetic_and_describes_its_own_countrys_chm(network_100k):
    _, _, quads = network_100k
    store = store_of(quads)
    rows = store.query(
        """
        SELECT ?g ?chm ?country ?description WHERE { GRAPH ?g {
          ?g dcterms:description ?description .
          ?chm a chm:NationalCHM ; chm:country ?country .
        } }""",
        prefixes=iris.PREFIXES,
    )
    found = {
        r["g"].value: (r["chm"].value, r["country"].value, r["description"].value) for r in rows
    }
    with COUNTRY_CODES_CSV.open(encoding="utf-8") as f:
        names = {row["ISO3166-1-Alpha-2"]: row["CLDR display name"] for row in csv.DictReader(f)}
    assert len(found) == 196
    for graph, (chm, country, description) in found.items():
        code = iris.country_of_graph(graph)
        assert country == iris.country(code)
        assert chm == f"{SYN}chm/{code}"
        assert "synthetic" in description.lower()
        assert f"Synthetic national graph for {names[code]}," in description


def test_every_generated_thing_lives_in_the_synthetic_namespace(network_100k):
    _, _, quads = network_100k
    real_objects = {
        iris.ID + "toolkit/european-portal-toolkit",
        iris.ID + "toolkit/chm-toolkit",
    }
    for quad in quads:
        subject = quad.subject.value
        assert subject.startswith(SYN) or subject == quad.graph_name.value
        obj = quad.object
        if isinstance(obj, ox.NamedNode) and quad.predicate.value != iris.PREFIXES["rdf"] + "type":
            code = iris.country_of_graph(quad.graph_name.value)
            assert obj.value.startswith(SYN) or obj.value in real_objects | {iris.country(code)}


def test_size_is_close_to_the_target_and_the_file_parses_strictly(network_100k):
    path, summary, quads = network_100k
    assert len(quads) == summary.triples
    assert 95_000 <= summary.triples <= 105_000
    # The bulk loader's count agrees with the strict parser's.
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.TRIG)
    assert len(store) == summary.triples


def test_events_have_a_realistic_spread(network_100k):
    _, _, quads = network_100k
    store = store_of(quads)
    per_country = Counter(
        r["g"].value
        for r in store.query(
            "SELECT ?g WHERE { GRAPH ?g { ?e chm:organizedBy ?c } }", prefixes=iris.PREFIXES
        )
    )
    counts = sorted(per_country.values())
    assert counts[-1] >= 2 * counts[len(counts) // 2]  # a long tail of busy countries
    years = {
        r["y"].value
        for r in store.query(
            "SELECT DISTINCT (YEAR(?d) AS ?y) WHERE { GRAPH ?g { ?e schema:startDate ?d } }",
            prefixes=iris.PREFIXES,
        )
    }
    assert len(years) >= 20


# Each kind of violation, as a query that finds the things breaking that rule.
BROKEN = {
    "end-before-start": "SELECT ?e WHERE { GRAPH ?g { ?e schema:startDate ?s ; schema:endDate ?x "
    "FILTER (?x < ?s) } }",
    "countries-exceed-participants": "SELECT ?e WHERE { GRAPH ?g { ?e chm:participantCount ?p ; "
    "chm:countriesRepresentedCount ?c FILTER (?c > ?p) } }",
    "unknown-property": "SELECT ?e WHERE { GRAPH ?g { ?e chm:startdate ?d } }",
    "parallel-with-itself": "SELECT ?e WHERE { GRAPH ?g { ?e chm:heldInParallelWith ?e } }",
}


def broken_things(quads) -> dict[str, set[str]]:
    store = store_of(quads)
    return {
        kind: {r["e"].value for r in store.query(query, prefixes=iris.PREFIXES)}
        for kind, query in BROKEN.items()
    }


def test_no_violations_unless_asked(network_100k):
    _, summary, quads = network_100k
    assert summary.violations == []
    assert all(not found for found in broken_things(quads).values())


def test_injected_violations_are_exactly_the_ones_reported(tmp_path):
    path = tmp_path / "broken.trig"
    summary = SyntheticNetwork(target_triples=20_000, seed=2, violations=9).write_file(path)
    assert len(summary.violations) == 9
    assert {v.kind for v in summary.violations} == set(VIOLATION_KINDS)
    reported = {kind: set() for kind in VIOLATION_KINDS}
    for v in summary.violations:
        reported[v.kind].add(v.focus)
        assert iris.country_of_graph(v.graph) in v.focus
    assert broken_things(read_quads(path)) == reported


def test_sizes_by_name_or_number():
    assert [parse_size(s) for s in ("100k", "1M", "10m", "300")] == [
        100_000,
        1_000_000,
        10_000_000,
        300,
    ]


def test_the_command_writes_the_file_and_lists_the_violations(tmp_path):
    out = tmp_path / "net.trig"
    args = ["synth", "--size", "3000", "--seed", "1", "--countries", "5"]
    result = CliRunner().invoke(cli, [*args, "--violations", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "5 national graphs" in result.output and "end-before-start" in result.output
    assert len({q.graph_name for q in read_quads(out)}) == 5


def test_the_command_rejects_an_unknown_size_without_a_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["synth", "--size", "huge", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "unknown size 'huge'" in result.output
    assert "Traceback" not in result.output


def test_a_single_submission_is_one_turtle_graph_the_network_accepts_for_its_country(tmp_path):
    path = tmp_path / "cm.ttl"
    summary = SyntheticNetwork(target_triples=300, seed=4, countries=["CM"]).write_file(
        path, submission="CM"
    )
    quads = read_quads(path)
    assert summary.graphs == 1 and len(quads) == summary.triples
    assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in quads)
    checked = check_submission(path, "CM")
    assert checked.conforms, checked.render()
    assert not check_submission(path, "GA").conforms  # it describes Cameroon's CHM, not Gabon's


def test_the_command_writes_one_countrys_submission(tmp_path):
    out = tmp_path / "ke.ttl"
    result = CliRunner().invoke(
        cli, ["synth", "--country", "ke", "--size", "500", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "1 national graph," in result.output
    chm = ox.NamedNode(SYN + "chm/KE")
    assert any(q.subject == chm for q in read_quads(out))
    unknown = CliRunner().invoke(cli, ["synth", "--country", "XX", "--out", str(out)])
    assert unknown.exit_code == 2 and "not a country of the synthetic network: XX" in unknown.output


# The rule each injected kind breaks, by its code in shapes/chm.ttl.
RULE_OF_KIND = {
    "end-before-start": "CHM-V030",
    "countries-exceed-participants": "CHM-V031",
    "parallel-with-itself": "CHM-V032",
    "unknown-property": "CHM-V080",
}


def test_a_generated_national_graph_conforms_to_the_shapes_without_warnings(tmp_path):
    path = tmp_path / "ke.ttl"
    SyntheticNetwork(target_triples=400, seed=3, countries=["KE"]).write_file(path, submission="KE")
    report = validate([path], country="KE")
    assert report.conforms
    assert report.results == []


def test_the_shapes_find_exactly_the_injected_violations(tmp_path):
    path = tmp_path / "ke.ttl"
    summary = SyntheticNetwork(
        target_triples=400, seed=3, countries=["KE"], violations=len(VIOLATION_KINDS)
    ).write_file(path, submission="KE")
    report = validate([path], country="KE")
    found = sorted((r.code, r.focus) for r in report.results)
    assert found == sorted((RULE_OF_KIND[v.kind], v.focus) for v in summary.violations)
    assert report.counts["Violation"] == len(VIOLATION_KINDS)


def ground(triples) -> set:
    """The triples without blank nodes (whose labels differ from one reading to the next)."""
    return {
        t for t in triples if not any(isinstance(x, ox.BlankNode) for x in (t.subject, t.object))
    }


def test_with_network_data_the_file_also_holds_the_real_graphs_as_read(tmp_path):
    paths = [tmp_path / "a.trig", tmp_path / "b.trig"]
    for path in paths:
        args = ["synth", "--size", "2000", "--countries", "3", "--with-network-data"]
        result = CliRunner().invoke(cli, [*args, "--out", str(path)])
        assert result.exit_code == 0, result.output
    assert sha256(paths[0]) == sha256(paths[1])  # blank nodes too are labelled the same way
    quads = read_quads(paths[0])
    for graph, directory in network_data_dirs().items():
        read = {q.triple for f in sorted(directory.glob("*.ttl")) for q in read_quads(f)}
        held = {q.triple for q in quads if q.graph_name == ox.NamedNode(graph)}
        assert len(held) == len(read) > 0
        assert ground(held) == ground(read)
    assert len({q.graph_name for q in quads}) == 3 + 3

"""The Network API: building the network, submissions, history, diff, rollback, graphs."""

from __future__ import annotations

import csv
import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest

from chmgraph import iris
from chmgraph.entailment import inferred_graph, missing
from chmgraph.errors import InputError, StoreError, SyntaxGateError
from chmgraph.network import Network, graph_kind
from chmgraph.query.library import QueryLibrary
from chmgraph.rdfio import graphs_in_file, read_quads
from chmgraph.settings import DATA_DIR, ONTOLOGY_DIR, PROJECT_ROOT

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"
LAUNCH_2012 = '"2012"^^xsd:gYear'
LAUNCH_2013 = '"2013"^^xsd:gYear'


@pytest.fixture
def network() -> Network:
    net = Network.in_memory()
    net.init()
    return net


def variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """The example submission with one piece of text replaced, written to ``tmp_path``."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def snapshot(net: Network) -> set[ox.Quad]:
    """Every quad of the store, blank nodes included, to check nothing changed."""
    return set(net.store.quads())


def triples_of(path: Path) -> set[ox.Triple]:
    return {q.triple for q in read_quads(path)}


def canonical(triples: set[ox.Triple]) -> set[ox.Triple]:
    """The triples as a store holds them (canonical literals), with blank nodes labelled
    canonically, to compare graphs parsed apart."""
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset = ox.Dataset(store)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {q.triple for q in dataset}


def test_init_loads_each_source_folder_into_its_graph(network: Network) -> None:
    expected = {
        iris.ONTOLOGY_GRAPH: sorted(ONTOLOGY_DIR.glob("*.ttl")),
        iris.REFERENCE_GRAPH: sorted((DATA_DIR / "reference").glob("*.ttl")),
        iris.CBD_GRAPH: sorted((DATA_DIR / "cbd").glob("*.ttl")),
    }
    for graph, files in expected.items():
        stored = {q.triple for q in network.store.quads(graph)}
        assert files, graph
        assert canonical(stored) == canonical(set().union(*map(triples_of, files))), graph


def test_init_refuses_to_rebuild_without_force_and_keeps_history_with_force(
    network: Network,
) -> None:
    network.submit(EXAMPLE, "CM")
    with pytest.raises(Exception, match="--force"):
        network.init()
    before = {q for q in network.store.quads() if "national" in str(q.graph_name)}
    network.init(force=True)
    assert {q for q in network.store.quads() if "national" in str(q.graph_name)} == before
    assert [v.number for v in network.history("CM")] == [1]


def test_init_publishes_the_query_library_and_what_every_graph_entails(
    network: Network,
) -> None:
    library = QueryLibrary.load().triples()
    assert network.store.count(iris.QUERIES_GRAPH) == len(set(library))
    assert iris.QUERIES_GRAPH in network.current_graphs()
    assert missing(network.store, network.current_graphs()) == []
    workshop_is_an_event = f"""ASK {{ GRAPH <{inferred_graph(iris.CBD_GRAPH)}> {{
        ?w a <https://schema.org/Event> }} }}"""
    assert bool(network.store.query(workshop_is_an_event))


def test_each_seed_workshop_states_its_length_in_days_as_derived(network: Network) -> None:
    # The seed page gives the first and last day of five workshops; each length is derived from
    # them, both days included, and lives only in the inferred graph, never in the CBD's own facts.
    lengths = f"""SELECT ?w ?days WHERE {{ GRAPH <{inferred_graph(iris.CBD_GRAPH)}> {{
        ?w <{iris.vocab("durationDays")}> ?days }} }}"""
    found = {row["w"].value.rsplit("/", 1)[1]: row["days"] for row in network.store.query(lengths)}
    assert found["2016-belgrade-chm-workshop"] == ox.Literal(
        "5", datatype=ox.NamedNode(iris.PREFIXES["xsd"] + "integer")
    )
    assert {slug: int(days.value) for slug, days in found.items()} == {
        "2016-belgrade-chm-workshop": 5,
        "2014-buea-chm-workshop": 5,
        "2013-gros-islet-chm-workshop": 5,
        "2013-villa-de-leyva-chm-workshop": 5,
        "2013-marrakech-belgian-partnership-workshop": 4,
    }
    stated = f"ASK {{ GRAPH <{iris.CBD_GRAPH}> {{ ?w <{iris.vocab('durationDays')}> ?d }} }}"
    assert not bool(network.store.query(stated))


def test_a_submission_and_its_entailments_are_one_update(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    updates: list[str] = []
    update = network.store.update
    monkeypatch.setattr(
        network.store, "update", lambda sparql: updates.append(sparql) or update(sparql)
    )
    monkeypatch.setattr(
        network.store, "add", lambda quads: pytest.fail("written outside the update")
    )
    network.submit(EXAMPLE, "CM")
    assert len(updates) == 1
    national = iris.national_graph("CM")
    entailed = ox.Triple(
        ox.NamedNode(iris.EXAMPLE + "chm/CM"),
        ox.NamedNode(iris.PREFIXES["rdf"] + "type"),
        ox.NamedNode(iris.vocab("ClearingHouseMechanism")),
    )
    assert entailed in {q.triple for q in network.store.quads(inferred_graph(national))}
    assert network.store.count(inferred_graph(iris.SUBMISSIONS_GRAPH)) > 1
    assert missing(network.store, network.current_graphs()) == []


def test_status_counts_workshops_and_countries_of_the_sources(network: Network) -> None:
    status = network.status()
    with (PROJECT_ROOT.parent / "shared" / "reference" / "country-codes.csv").open() as f:
        codes = {row["ISO3166-1-Alpha-2"] for row in csv.DictReader(f)} - {""}
    assert status.countries == len(codes)
    # The seed page names four CBD workshops, one partner workshop and two workshops held in
    # parallel with them (Fifth National Report, NBSAPs).
    assert status.workshops == 7
    # The page lists five capacity-building workshops; two more were held in parallel.
    assert status.capacity_building_workshops == 5
    assert status.national_graphs == 0
    assert status.triples == network.store.count()


def test_submit_accepts_and_records_provenance(network: Network) -> None:
    result = network.submit(EXAMPLE, "cm", by="A steward", message="First version")
    assert (result.status, result.country, result.version) == ("accepted", "CM", 1)
    national = {q.triple for q in network.store.quads(iris.national_graph("CM"))}
    assert national == triples_of(EXAMPLE)
    assert canonical(set(network.version_triples("CM", 1))) == canonical(national)
    assert not [g for g in network.store.graphs() if graph_kind(g)[0] == "other"]
    [record] = network.history("CM")
    assert record.sha256 == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert (record.triples, record.by, record.message) == (
        len(national),
        "A steward",
        "First version",
    )
    assert record.replaces is None and record.kind == "submission"
    assert iris.national_graph("CM") in network.current_graphs()


def test_identical_content_is_a_no_op(network: Network, tmp_path: Path) -> None:
    network.submit(EXAMPLE, "CM")
    before = snapshot(network)
    again = network.submit(EXAMPLE, "CM")
    # Same statements, other bytes: a comment and a different layout.
    reformatted = tmp_path / "same.ttl"
    reformatted.write_text("# reformatted\n" + EXAMPLE.read_text(encoding="utf-8") + "\n\n")
    same = network.submit(reformatted, "CM")
    assert (again.status, again.version) == ("unchanged", 1)
    assert (same.status, same.version) == ("unchanged", 1)
    assert snapshot(network) == before


def test_new_version_revises_the_previous_and_diff_shows_the_change(
    network: Network, tmp_path: Path
) -> None:
    network.submit(EXAMPLE, "CM")
    second = network.submit(variant(tmp_path, "v2.ttl", LAUNCH_2012, LAUNCH_2013), "CM")
    assert (second.status, second.version) == ("accepted", 2)
    assert network.history("CM")[-1].replaces == 1
    revises = f"""ASK {{ GRAPH <{iris.SUBMISSIONS_GRAPH}> {{
        <{iris.graph_version("CM", 2)}> <http://www.w3.org/ns/prov#wasRevisionOf>
        <{iris.graph_version("CM", 1)}> }} }}"""
    assert bool(network.store.query(revises))
    added, removed = network.diff("CM", 1, 2)
    assert [str(t.object) for t in added] == ['"2013"^^<http://www.w3.org/2001/XMLSchema#gYear>']
    assert [str(t.object) for t in removed] == ['"2012"^^<http://www.w3.org/2001/XMLSchema#gYear>']
    added_from_nothing, nothing = network.diff("CM", 0, 1)
    assert set(added_from_nothing) == triples_of(EXAMPLE) and nothing == []


def test_rollback_restores_a_version_as_a_new_one(network: Network, tmp_path: Path) -> None:
    network.submit(EXAMPLE, "CM")
    network.submit(variant(tmp_path, "v2.ttl", LAUNCH_2012, LAUNCH_2013), "CM")
    result = network.rollback("CM", 1, by="A steward", message="launch year was right")
    assert (result.status, result.version) == ("accepted", 3)
    national = {q.triple for q in network.store.quads(iris.national_graph("CM"))}
    assert national == triples_of(EXAMPLE)
    history = network.history("CM")
    assert [v.number for v in history] == [1, 2, 3]
    assert (history[-1].restored_from, history[-1].replaces) == (1, 2)
    assert history[-1].sha256 == history[0].sha256
    assert network.rollback("CM", 3).status == "unchanged"
    with pytest.raises(InputError, match="no version 9"):
        network.rollback("CM", 9)


def test_a_versions_open_warnings_are_recorded_shown_and_kept_by_a_rollback(
    network: Network, tmp_path: Path
) -> None:
    # The example without the source of its statements: a warning (CHM-W001), not a violation.
    unsourced = EXAMPLE.read_text(encoding="utf-8").replace(
        " ;\n    # Where these statements come from: the source record above.\n"
        "    dcterms:source <https://example.org/chmgraph/example/source/national-chm-CM> .",
        " .",
    )
    assert unsourced != EXAMPLE.read_text(encoding="utf-8")
    first = network.submit(unsourced.encode("utf-8"), "CM", name="cm.ttl")
    assert first.status == "accepted"
    warned = first.checked.report.counts["Warning"]
    assert warned >= 1
    network.submit(EXAMPLE, "CM")
    assert [v.warnings for v in network.history("CM")] == [warned, 0]
    cm = next(s for s in network.standings() if s.code == "CM")
    assert (cm.version, cm.warnings) == (2, 0)
    network.rollback("CM", 1)
    assert network.history("CM")[-1].warnings == warned
    cm = next(s for s in network.standings() if s.code == "CM")
    assert (cm.version, cm.warnings) == (3, warned)


def test_unknown_country_suggests_the_closest_and_changes_nothing(network: Network) -> None:
    before = snapshot(network)
    # An alpha-3 code, a misspelt name, a name in French, a mistyped code.
    for given in ("CMR", "Cameron", "Cameroun", "CN1"):
        with pytest.raises(InputError, match=rf"'{given}'.*did you mean C[MN] \("):
            network.submit(EXAMPLE, given)
    assert snapshot(network) == before


def test_submission_for_another_country_is_rejected(network: Network) -> None:
    before = snapshot(network)
    result = network.submit(EXAMPLE, "CO")
    assert result.status == "rejected"
    assert "CHM-V091" in [r.code for r in result.report.results]
    assert snapshot(network) == before


def test_non_conforming_submission_is_rejected_with_its_report(
    network: Network, tmp_path: Path
) -> None:
    network.submit(EXAMPLE, "CM")
    before = snapshot(network)
    path = variant(tmp_path, "bad.ttl", LAUNCH_2012, '"last spring"')
    result = network.submit(path, "CM")
    assert result.status == "rejected" and result.version is None
    assert "chm:launchDate" in result.checked.render()
    assert snapshot(network) == before


def test_submission_without_a_national_chm_is_rejected(network: Network, tmp_path: Path) -> None:
    path = variant(tmp_path, "none.ttl", "a chm:NationalCHM ;", "a chm:RegionalCHM ;")
    before = snapshot(network)
    result = network.submit(path, "CM")
    assert result.status == "rejected"
    assert "describes no chm:NationalCHM" in result.checked.render()
    assert snapshot(network) == before


def test_named_graphs_in_a_submission_are_rejected(network: Network, tmp_path: Path) -> None:
    quads = read_quads(
        EXAMPLE, default_graph=ox.NamedNode("https://example.org/chmgraph/example/g")
    )
    path = tmp_path / "cm.trig"
    path.write_bytes(ox.serialize(quads, format=ox.RdfFormat.TRIG))
    before = snapshot(network)
    result = network.submit(path, "CM")
    assert result.status == "rejected"
    assert "CHM-V093" in [r.code for r in result.report.results]
    assert snapshot(network) == before


def test_malformed_or_missing_files_change_nothing(network: Network, tmp_path: Path) -> None:
    network.submit(EXAMPLE, "CM")
    before = snapshot(network)
    broken = variant(tmp_path, "broken.ttl", "chm:launchDate", "chm:launchDate chm:launchDate")
    with pytest.raises(SyntaxGateError) as raised:
        network.submit(broken, "CM")
    assert raised.value.path == str(broken) and raised.value.line is not None
    with pytest.raises(InputError, match="cannot read file"):
        network.submit(tmp_path / "missing.ttl", "CM")
    assert snapshot(network) == before


def test_graphs_lists_kinds_versions_and_countries(network: Network, tmp_path: Path) -> None:
    network.submit(EXAMPLE, "CM")
    network.submit(variant(tmp_path, "v2.ttl", LAUNCH_2012, LAUNCH_2013), "CM")
    infos = {g.iri: g for g in network.graphs()}
    national = infos[iris.national_graph("CM")]
    assert (national.kind, national.country, national.version) == ("national", "CM", 2)
    assert national.triples == len(triples_of(EXAMPLE))
    assert national.modified == network.history("CM")[-1].when
    assert infos[iris.CBD_GRAPH].kind == "cbd"
    inferred = infos[inferred_graph(iris.national_graph("CM"))]
    assert (inferred.kind, inferred.country) == ("inferred", "CM")
    assert not any(graph_kind(g)[0] == "inferred" for g in network.current_graphs())


def test_open_without_a_store_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        Network.open(tmp_path / "nothing")
    with pytest.raises(StoreError) as raised:
        Network.open(tmp_path / "nothing", read_only=True)
    assert raised.value.exit_code == 3


def test_synthetic_network_fills_only_countries_without_a_version(network: Network) -> None:
    network.submit(EXAMPLE, "CM")
    example = {q.triple for q in network.store.quads(iris.national_graph("CM"))}
    countries = network.load_synthetic(3_000, seed=1)
    assert "CM" not in countries and "FR" in countries
    assert {q.triple for q in network.store.quads(iris.national_graph("CM"))} == example
    [record] = network.history("FR")
    assert (record.number, record.validation) == (1, "not validated")
    assert "Synthetic data" in record.message
    national = {q.triple for q in network.store.quads(iris.national_graph("FR"))}
    assert canonical(national) == canonical(set(network.version_triples("FR", 1)))
    assert network.store.count(inferred_graph(iris.national_graph("FR"))) > 1
    # Everything generated is in the synthetic namespace, besides the graph's own description.
    subjects = {t.subject.value for t in national} - {iris.national_graph("FR")}
    assert subjects and all(s.startswith(iris.SYNTHETIC) for s in subjects)


def test_concurrent_submissions_get_distinct_versions(network: Network, tmp_path: Path) -> None:
    years = ["2001", "2002", "2003", "2004"]
    files = [variant(tmp_path, f"{y}.ttl", LAUNCH_2012, f'"{y}"^^xsd:gYear') for y in years]
    with ThreadPoolExecutor(max_workers=len(files)) as pool:
        results = list(pool.map(lambda path: network.submit(path, "CM"), files))
    assert sorted(r.version for r in results) == [1, 2, 3, 4]
    history = network.history("CM")
    assert [v.number for v in history] == [1, 2, 3, 4]
    assert [v.replaces for v in history] == [None, 1, 2, 3]
    last = next(r for r in results if r.version == 4)
    current = {q.triple for q in network.store.quads(iris.national_graph("CM"))}
    assert canonical(current) == canonical(set(network.version_triples("CM", 4)))
    assert canonical(current) == canonical(triples_of(files[results.index(last)]))


def test_a_bulk_file_is_read_one_graph_at_a_time_and_each_graph_must_come_whole(
    tmp_path: Path,
) -> None:
    first, second = iris.national_graph("FR"), iris.national_graph("DE")
    statement = '<https://example.org/s> <https://example.org/p> "{}" .'
    whole = tmp_path / "whole.trig"
    whole.write_text(
        f"<{first}> {{ {statement.format(1)} {statement.format(2)} }}\n"
        f"<{second}> {{ {statement.format(3)} }}\n"
    )
    read = [(g, len(t)) for g, t in graphs_in_file(whole)]
    assert read == [(first, 2), (second, 1)]
    split = tmp_path / "split.trig"
    split.write_text(
        f"<{first}> {{ {statement.format(1)} }}\n<{second}> {{ {statement.format(3)} }}\n"
        f"<{first}> {{ {statement.format(2)} }}\n"
    )
    with pytest.raises(InputError, match="appears in two places"):
        list(graphs_in_file(split))
    broken = tmp_path / "broken.trig"
    broken.write_text(f"<{first}> {{ {statement.format(1)}\n<{second}> {{ ")
    with pytest.raises(SyntaxGateError) as caught:
        list(graphs_in_file(broken))
    assert caught.value.line == 2


def test_a_bulk_file_refused_midway_stops_the_load_with_its_reason(tmp_path: Path) -> None:
    # Every country is streamed to the bulk loader in one load: a refusal raised while the
    # loader reads reaches the caller as the same error, and the store on disk still opens.
    network = Network.open(tmp_path / "store", create=True)
    network.init()
    statement = '<https://example.org/s> <https://example.org/p> "{}" .'
    mixed = tmp_path / "mixed.trig"
    mixed.write_text(
        f"<{iris.national_graph('FR')}> {{ {statement.format(1)} }}\n"
        f"<https://example.org/not-national> {{ {statement.format(2)} }}\n"
    )
    with pytest.raises(InputError, match="is not a national graph"):
        network.load_national_graphs(mixed, by="test", message="bulk")
    assert "https://example.org/not-national" not in network.store.graphs()
    network.close()
    Network.open(tmp_path / "store").close()

"""Running queries: parameters bound as terms, the graphs a query sees, entailment kept apart,
result formats, the row cap and timeout, syntax errors and the SERVICE allowlist."""

from __future__ import annotations

import json
import socket
import threading
import time

import pyoxigraph as ox
import pytest

from chmgraph import iris
from chmgraph.entailment import inferred_graph, materialize
from chmgraph.errors import ChmgraphError, InputError, SyntaxGateError
from chmgraph.network import Network
from chmgraph.query import (
    QueryTimeout,
    ServiceRefused,
    check_services,
    run_query,
    serialize,
)
from chmgraph.query.library import NamedQuery, QueryLibrary
from chmgraph.settings import DATA_DIR, Settings

LIBRARY = QueryLibrary.load()
CM = iris.national_graph("CM")
EXAMPLE_CHM = ox.NamedNode(iris.EXAMPLE + "chm/CM")
BY_LABEL = """# title: Things by label
# description: test
# question: test
# param name: string ; the English label
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?thing WHERE { ?thing rdfs:label ?label FILTER(STR(?label) = ?name) }
"""


def settings(**overrides):
    return Settings.from_env(**overrides)


# Parameters


def test_parameters_are_bound_as_terms_and_a_crafted_value_cannot_break_out(network):
    query = NamedQuery.from_text(BY_LABEL)
    found = run_query(network, query, params={"name": "Government of Japan"})
    assert found.values("thing") == [iris.government("JP")]
    # Pasted into the text, this value would close the string and match every labelled thing.
    crafted = 'Government of Japan") || true || ("'
    assert len(run_query(network, query, params={"name": crafted})) == 0
    crafted = 'x" } UNION { ?thing ?p ?o } #'
    assert len(run_query(network, query, params={"name": crafted})) == 0


def test_a_value_that_is_not_of_the_parameter_type_is_refused(network):
    year = LIBRARY["workshops-in-year"]
    with pytest.raises(InputError, match="not a valid integer"):
        run_query(network, year, params={"year": "2013) || true || (1"})
    supporter = LIBRARY["workshops-by-supporter"]
    with pytest.raises(InputError, match="not an IRI"):
        run_query(network, supporter, params={"supporter": "<x> } ?w ?p ?o {"})
    with pytest.raises(InputError, match=r"no parameter 'yaer'.*parameters: year"):
        run_query(network, year, params={"yaer": "2013"})
    with pytest.raises(InputError, match="alpha-2"):
        run_query(network, LIBRARY["has-national-chm"], params={"country": "Cameroon"})


def test_an_unset_optional_parameter_matches_anything(network):
    every = run_query(network, LIBRARY["workshops-by-organizer"])
    one = run_query(
        network,
        LIBRARY["workshops-by-organizer"],
        params={"organizer": "chmid:org/cbd-secretariat"},
    )
    assert len(every) == 2
    assert one.values("workshops") == ["4"]


# Graphs


def test_by_default_a_query_sees_every_current_graph_and_graph_names_which_said_what(network):
    result = run_query(
        network,
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s chm:supportedBy ?o } }",
    )
    assert result.values("g") == [iris.CBD_GRAPH]
    every = set(run_query(network, "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }").values("g"))
    assert every == set(network.current_graphs())  # no history, no inferred graphs


def test_the_default_graph_holds_the_query_library_and_no_past_version(tmp_path):
    network = Network.in_memory()
    network.init(include_example=True)
    example = DATA_DIR / "examples" / "national-chm-example.ttl"
    corrected = tmp_path / "cm.ttl"
    corrected.write_text(example.read_text().replace('"2012"^^xsd:gYear', '"2013"^^xsd:gYear'))
    assert network.submit(corrected, "CM").version == 2
    years = run_query(network, "SELECT ?y WHERE { ?chm chm:launchDate ?y }")
    assert years.values("y") == ["2013"]  # version 1's 2012 is archived, not a graph
    selects = "SELECT (COUNT(?q) AS ?n) WHERE { ?q a sh:SPARQLSelectExecutable }"
    expected = sum(1 for q in LIBRARY if q.form == "SELECT")
    assert run_query(network, selects).values("n") == [str(expected)]


def test_graph_option_restricts_the_default_graph_and_its_entailments(network):
    partners = run_query(network, LIBRARY["national-chm-partners"], graphs=["CM"])
    assert partners.values("partner") == [iris.ID + "org/belgian-partnership-chm"]
    assert partners.values("partnerName") == [None]  # the label lives in the CBD graph
    assert len(run_query(network, LIBRARY["workshops"], graphs=["cm"])) == 0
    ask = "ASK { ?x a chm:ClearingHouseMechanism }"  # entailed from CM's chm:NationalCHM
    assert run_query(network, ask, graphs=["CM"]).boolean is True
    assert run_query(network, ask, graphs=["cbd"]).boolean is True  # the European CHM
    assert run_query(network, ask, graphs=["reference"]).boolean is False
    with pytest.raises(InputError, match="unknown graph 'nowhere'"):
        run_query(network, ask, graphs=["nowhere"])


# Entailment


def test_entailment_finds_workshops_as_schema_events_and_parallel_events_both_ways(network):
    events = "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a schema:Event }"
    assert run_query(network, events).values("n") == ["11"]
    assert run_query(network, events, entailment=False).values("n") == ["0"]
    parallel = LIBRARY["parallel-events"]
    assert len(run_query(network, parallel)) == 6
    assert len(run_query(network, parallel, entailment=False)) == 3  # as stated, one way


def test_inferred_triples_never_leak_into_a_national_graph_or_its_dump(network, tmp_path):
    entailed = ox.Quad(
        EXAMPLE_CHM,
        ox.NamedNode(iris.PREFIXES["rdf"] + "type"),
        ox.NamedNode(iris.vocab("ClearingHouseMechanism")),
        ox.NamedNode(inferred_graph(CM)),
    )
    assert entailed in set(network.store.quads(inferred_graph(CM)))
    national = {q.triple for q in network.store.quads(CM)}
    assert entailed.triple not in national
    assert entailed.triple not in set(network.version_triples("CM", 1))
    dump = tmp_path / "cm.ttl"
    network.store.dump(dump, ox.RdfFormat.TURTLE, graph=CM)
    assert {q.triple for q in ox.parse(path=str(dump), format=ox.RdfFormat.TURTLE)} == national
    assert inferred_graph(CM) not in network.current_graphs()


def test_materialize_recomputes_one_changed_national_graph(tmp_path):
    network = Network.in_memory()
    network.init(include_example=True)
    materialize(network)
    linked = "ASK { ?chm <http://www.w3.org/ns/org#linkedTo> ?partner }"  # ⊒ chm:partner
    assert run_query(network, linked, graphs=["CM"]).boolean is True
    example = (DATA_DIR / "examples" / "national-chm-example.ttl").read_text(encoding="utf-8")
    without_partner = tmp_path / "cm.ttl"
    without_partner.write_text(
        example.replace(
            "chm:partner <https://w3id.org/chmgraph/id/org/belgian-partnership-chm> ;", ""
        ),
        encoding="utf-8",
    )
    assert network.submit(without_partner, "CM", by="test").accepted
    materialize(network, [CM])
    assert run_query(network, linked, graphs=["CM"]).boolean is False


# Formats


def test_select_results_in_the_w3c_formats_read_back_to_the_same_rows(network):
    result = run_query(network, LIBRARY["supporters-ranked"])
    for name, fmt in (
        ("json", ox.QueryResultsFormat.JSON),
        ("xml", ox.QueryResultsFormat.XML),
        ("tsv", ox.QueryResultsFormat.TSV),
    ):
        parsed = ox.parse_query_results(serialize(result, name).encode(), format=fmt)
        assert [v.value for v in parsed.variables] == result.variables
        assert [tuple(s[v] for v in result.variables) for s in parsed] == result.rows, name
    lines = serialize(result, "csv").split("\r\n")
    assert lines[0] == "supporter,name,workshops,firstYear,lastYear"
    assert lines[1] == f"{iris.government('JP')},Government of Japan,5,2013,2016"


def test_ask_and_construct_answers_have_their_own_formats(network):
    ask = run_query(network, LIBRARY["has-national-chm"])
    assert json.loads(serialize(ask, "json")) == {"head": {}, "boolean": True}
    assert bool(
        ox.parse_query_results(serialize(ask, "xml").encode(), format=ox.QueryResultsFormat.XML)
    )
    graph = run_query(network, LIBRARY["events-as-schema-org"])
    for name, fmt in (("turtle", ox.RdfFormat.TURTLE), ("jsonld", ox.RdfFormat.JSON_LD)):
        triples = {q.triple for q in ox.parse(serialize(graph, name).encode(), format=fmt)}
        assert triples == set(graph.triples), name
    assert serialize(graph, "csv").startswith("subject,predicate,object\r\n")
    with pytest.raises(InputError, match="does not fit a CONSTRUCT answer"):
        serialize(graph, "json")


# Limits


def test_limit_and_row_cap(network):
    few = settings(max_rows=3)
    capped = run_query(network, LIBRARY["workshops"], settings=few)
    assert (len(capped), capped.truncated) == (3, True)
    limited = run_query(network, LIBRARY["workshops"], limit=2, settings=few)
    assert (len(limited), limited.truncated) == (2, False)
    whole = run_query(network, LIBRARY["workshops"])
    assert (len(whole), whole.truncated) == (7, False)


def test_a_query_past_the_timeout_is_stopped_with_a_clear_message(network):
    endless = "SELECT * WHERE { ?a ?p ?b . ?c ?q ?d }"  # tens of millions of rows, streamed
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"timed out after 0.3 s \(setting query_timeout_s"):
        run_query(network, endless, settings=settings(query_timeout_s=0.3, max_rows=10**9))
    assert time.monotonic() - started < 5
    workers = [t for t in threading.enumerate() if t.name == "chmgraph-query"]
    for worker in workers:
        worker.join(5)  # the worker stops at its next row
    assert not any(w.is_alive() for w in workers)


# Syntax errors


def test_a_syntax_error_names_the_file_line_and_column(network, tmp_path):
    path = tmp_path / "broken.rq"
    path.write_text("# title: broken\nSELECT ?x\nWHERE { ?x a ?y } ORDER ?x\n", encoding="utf-8")
    with pytest.raises(SyntaxGateError) as caught:
        run_query(network, NamedQuery.from_file(path))
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(path), 3, 27)
    assert str(caught.value) == f"{path}:3:27: syntax error: expected BY"


def test_columns_are_the_users_own_despite_added_prefixes_and_bindings(network):
    text = "# param supporter: iri = chmid:government/JP ; x\n"
    text += "SELECT ?w WHERE { ?w chm:supportedBy ?supporter } ORDER ?w LIMIT 1"
    with pytest.raises(SyntaxError) as engine:  # the engine, given the prefixes its own way
        ox.Store().query(text, prefixes=iris.PREFIXES)
    with pytest.raises(SyntaxGateError) as caught:
        run_query(network, NamedQuery.from_text(text))
    assert f"error at {caught.value.line}:{caught.value.column}:" in str(engine.value)
    assert caught.value.line == 2


# SERVICE


@pytest.fixture
def listener():
    """A loopback socket that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(2)
    yield server, f"http://127.0.0.1:{server.getsockname()[1]}/sparql"
    server.close()


def connected(server: socket.socket) -> bool:
    try:
        connection, _ = server.accept()
    except TimeoutError:
        return False
    connection.close()
    return True


def test_a_service_not_on_the_allowlist_is_refused_before_anything_is_sent(network, listener):
    server, url = listener
    query = f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
    with pytest.raises(ServiceRefused, match="not on the service_allowlist setting"):
        run_query(network, query)
    assert not connected(server)


def test_an_allowlisted_service_is_called(network, listener):
    server, url = listener
    query = f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
    called: list[bool] = []
    calls = threading.Thread(target=lambda: called.append(connected(server)), daemon=True)
    calls.start()
    with pytest.raises(ChmgraphError, match="the query failed"):  # the listener sends no answer
        run_query(network, query, settings=settings(service_allowlist=(url,)))
    calls.join(3)
    assert called == [True]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { SERVICE ?endpoint { ?s ?p ?o } }",
        "SELECT * { service silent <https://evil.example/sparql> { ?s ?p ?o } }",
        "PREFIX e: <https://evil.example/> SELECT * { SERVICE e:sparql { ?s ?p ?o } }",
    ],
)
def test_every_form_of_service_is_checked(query):
    with pytest.raises(ServiceRefused):
        check_services(query, ["https://allowed.example/sparql"])


def test_service_inside_comments_strings_and_iris_is_not_a_call():
    check_services(
        '# SERVICE <https://evil.example/>\nSELECT * { ?s ?p "SERVICE <https://evil.example/>" .'
        " ?s <https://example.org/SERVICE> ?o }",
        [],
    )


def test_materialize_works_on_a_bare_store_too():
    from chmgraph.store.oxigraph import OxigraphStore

    network = Network.in_memory()
    network.init()
    store: OxigraphStore = network.store  # type: ignore[assignment]
    written = materialize(store)
    inferred = [g for g in store.graphs() if "/graph/inferred/" in g]
    assert written == sum(store.count(g) - 1 for g in inferred)  # each states its source
    assert store.count(inferred_graph(iris.CBD_GRAPH)) > 0
    assert materialize(store) == written  # recomputing replaces, never piles up

"""The validation context: the network's own graphs when it gives them, cached by their key."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from chmgraph import iris
from chmgraph.errors import InputError
from chmgraph.network import Network
from chmgraph.settings import DATA_DIR
from chmgraph.validation import Context, Source, validate

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"
INVALID = DATA_DIR.parent / "tests" / "submissions" / "invalid"
CM_CHM = "https://example.org/chmgraph/example/chm/CM"
RDF_TYPE = ox.NamedNode(iris.PREFIXES["rdf"] + "type")


def store_triples(network: Network, graph: str) -> list[ox.Triple]:
    return [q.triple for q in network.store.quads(graph)]


def store_context(network: Network, **replaced: list[ox.Triple]) -> Context:
    graphs = {
        "ontology": store_triples(network, iris.ONTOLOGY_GRAPH),
        "reference": store_triples(network, iris.REFERENCE_GRAPH),
        "cbd": store_triples(network, iris.CBD_GRAPH),
    }
    return Context.of(**{**graphs, **replaced})


def never_read():
    raise AssertionError("the triples of a cached context were read")
    yield


def test_the_store_context_gives_the_same_reports_as_the_files(network: Network):
    context = store_context(network)
    for path in [EXAMPLE, *sorted(INVALID.glob("national-*.ttl"))]:
        given = validate([path], country="CM", context=context)
        files = validate([path], country="CM")
        assert given.results == files.results
        assert [r.messages for r in given.results] == [r.messages for r in files.results]
    assert validate([EXAMPLE], country="CM", context=context).conforms


def test_the_given_context_is_the_one_used(network: Network):
    without_cm = [
        t
        for t in store_triples(network, iris.REFERENCE_GRAPH)
        if t.subject.value != iris.country("CM")
    ]
    context = store_context(network, reference=without_cm)
    with pytest.raises(InputError, match="unknown country 'CM'"):
        validate([EXAMPLE], country="CM", context=context)
    # The vocabulary is the given ontology's too: with none, every term is undeclared.
    bare = store_context(network, ontology=[])
    assert {r.code for r in validate([EXAMPLE], context=bare).results} == {"CHM-V080"}


def test_a_national_chm_only_lent_by_the_context_is_not_described(network: Network):
    """The context lends types of what a submission points at; they never make it describe."""
    partner = ox.NamedNode("https://example.org/chmgraph/example/chm/FR")
    national = ox.NamedNode(iris.vocab("NationalCHM"))
    cbd = [*store_triples(network, iris.CBD_GRAPH), ox.Triple(partner, RDF_TYPE, national)]
    context = store_context(network, cbd=cbd)
    text = EXAMPLE.read_bytes().replace(b"a chm:NationalCHM ;", b"a chm:RegionalCHM ;")
    text += f"\n<{CM_CHM}> <{iris.vocab('partner')}> <{partner.value}> .\n".encode()
    report = validate([Source("cm.ttl", text)], country="CM", context=context)
    assert "CHM-V092" in [r.code for r in report.results]


def test_a_context_is_built_once_per_key(network: Network):
    key = ("stamps", 1)
    first = Context.of(
        ontology=iter(store_triples(network, iris.ONTOLOGY_GRAPH)),
        reference=iter(store_triples(network, iris.REFERENCE_GRAPH)),
        cbd=iter(store_triples(network, iris.CBD_GRAPH)),
        key=key,
    )
    again = Context.of(ontology=never_read(), reference=never_read(), cbd=never_read(), key=key)
    assert again is first
    assert ox.NamedNode(iris.country("CM")) in first.reference_terms


def test_without_a_key_equal_content_gives_the_same_context(network: Network):
    assert store_context(network) is store_context(network)
    assert store_context(network) is not store_context(network, cbd=[])
    assert Context.load() is Context.load()

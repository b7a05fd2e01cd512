"""What the network holds: every graph with its kind, country, size, version and last change, and
a summary of the whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from chmgraph import iris
from chmgraph.entailment import inferred_graph, is_inferred_graph
from chmgraph.sparql import load
from chmgraph.store import GraphStore

BASE_GRAPHS = {
    iris.ONTOLOGY_GRAPH: "ontology",
    iris.REFERENCE_GRAPH: "reference",
    iris.CBD_GRAPH: "cbd",
}

# (kind, graph or country) -> (version number, when it last changed)
Stamps = dict[tuple[str, str], tuple[int | None, datetime]]


@dataclass(frozen=True)
class GraphInfo:
    """One named graph of the store."""

    iri: str
    kind: str
    country: str | None
    triples: int
    version: int | None
    modified: datetime | None


@dataclass(frozen=True)
class NetworkStatus:
    """A summary of what the network holds."""

    location: str
    graphs: int
    triples: int
    #: Workshops of any kind (``chm:Workshop``), those held in parallel included.
    workshops: int
    countries: int
    national_graphs: int
    graph_list: list[GraphInfo] = field(default_factory=list)
    #: The capacity-building workshops (``chm:CapacityBuildingWorkshop``) among ``workshops``.
    capacity_building_workshops: int = 0


def graph_kind(iri: str) -> tuple[str, str | None, int | None]:
    """What a graph is: (kind, country, version); an inferred graph has its source's country.

    >>> graph_kind(iris.CBD_GRAPH)
    ('cbd', None, None)
    >>> graph_kind(inferred_graph(iris.national_graph("CM")))
    ('inferred', 'CM', None)
    """
    if iri in BASE_GRAPHS:
        return BASE_GRAPHS[iri], None, None
    country = iris.country_of_graph(iri)
    if country:
        return "national", country, None
    if is_inferred_graph(iri):
        return "inferred", iris.country_of_graph(source_of_inferred(iri)), None
    others = {iris.SUBMISSIONS_GRAPH: "submissions", iris.QUERIES_GRAPH: "queries"}
    return others.get(iri, "other"), None, None


def source_of_inferred(iri: str) -> str:
    """The graph an inferred graph of a network graph was derived from.

    >>> source_of_inferred(inferred_graph(iris.CBD_GRAPH)) == iris.CBD_GRAPH
    True
    """
    return iris.GRAPH + iri[len(iris.INFERRED_GRAPH) + 1 :]


def current_graphs(store: GraphStore) -> list[str]:
    """The graphs the network asserts: ontology, reference, CBD, every national graph, the
    submissions graph and any other graph of the store (the query library), in that order; not
    the inferred graphs derived from them."""
    present = [g for g in store.graphs() if not is_inferred_graph(g)]
    national = [g for g in present if iris.country_of_graph(g)]
    fixed = {*BASE_GRAPHS, iris.SUBMISSIONS_GRAPH, *national}
    others = [g for g in present if g not in fixed]
    return [*BASE_GRAPHS, *national, iris.SUBMISSIONS_GRAPH, *others]


def graph_infos(store: GraphStore) -> list[GraphInfo]:
    """Every graph of the store with its kind, country, size, version and last change (an
    inferred graph: its source's version and last change)."""
    stamps = _stamps(store)
    infos = []
    for iri in store.graphs():
        kind, country, _ = graph_kind(iri)
        source = source_of_inferred(iri) if kind == "inferred" else iri
        version, modified = _last_change(graph_kind(source)[0], source, country, stamps)
        infos.append(GraphInfo(iri, kind, country, store.count(iri), version, modified))
    return infos


def national_versions(store: GraphStore) -> dict[str, tuple[int, datetime]]:
    """Each country with a national graph in the store: its current version and when it was
    made (one query of the submissions graph; no graph is counted)."""
    stamps = _stamps(store)
    found = {}
    for iri in store.graphs():
        kind, country, _ = graph_kind(iri)
        latest = stamps.get(("latest", country or ""))
        if kind == "national" and country and latest is not None:
            found[country] = latest
    return found


def status(store: GraphStore) -> NetworkStatus:
    """How many graphs, triples, workshops, countries and national graphs the network has."""
    graph_list = graph_infos(store)
    return NetworkStatus(
        location=store.location,
        graphs=len(graph_list),
        triples=store.count(),
        workshops=_count(store, "count-workshops"),
        capacity_building_workshops=_count(store, "count-capacity-building-workshops"),
        countries=_count(store, "count-countries"),
        national_graphs=sum(1 for g in graph_list if g.kind == "national"),
        graph_list=graph_list,
    )


def _count(store: GraphStore, query: str) -> int:
    # Counted over every graph with what it entails, as a researcher's query would see them.
    if store.capabilities.union_default_graph:
        rows = list(store.query(load(query), union=True))
    else:
        rows = list(store.query(load(query), default_graph=every_graph(store)))
    return int(rows[0]["n"].value) if rows else 0


def every_graph(store: GraphStore) -> list[str]:
    """The current graphs and the inferred graphs of those that have one: the dataset of a query
    over the whole network, named graph by graph for a backend without a union default graph."""
    graphs = current_graphs(store)
    present = set(store.graphs())
    return [*graphs, *(inferred_graph(g) for g in graphs if inferred_graph(g) in present)]


def _stamps(store: GraphStore) -> Stamps:
    stamps: Stamps = {}
    for row in store.query(load("version-times"), default_graph=[iris.SUBMISSIONS_GRAPH]):
        graph, when = row["graph"].value, datetime.fromisoformat(row["when"].value)
        if row["number"] is None:
            stamps[("graph", graph)] = (None, when)
            continue
        number, country = int(row["number"].value), iris.country_of_graph(graph)
        latest = stamps.get(("latest", country or ""))
        if country and (latest is None or (latest[0] or 0) < number):
            stamps[("latest", country)] = (number, when)
    return stamps


def _last_change(
    kind: str, graph: str, country: str | None, stamps: Mapping[tuple[str, str], tuple]
) -> tuple[int | None, datetime | None]:
    """A graph's current version number (national graphs) and when it last changed."""
    if kind == "national" and country:
        return stamps.get(("latest", country), (None, None))
    if kind == "submissions":
        return None, max((when for _, when in stamps.values()), default=None)
    return None, stamps.get(("graph", graph), (None, None))[1]

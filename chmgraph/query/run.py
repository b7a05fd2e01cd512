"""Running a query on the network: parameters, graphs, entailment, limits and SERVICE checks.

``run_query`` takes a library query (or any SPARQL text), binds its parameters as RDF terms in a
``VALUES`` block (never pasting a value into the text), chooses the graphs it sees, refuses any
``SERVICE`` call to an endpoint not on the ``service_allowlist`` setting, and runs it within the
``query_timeout_s`` and ``max_rows`` settings.

The graphs: by default a query's default graph is the union of every named graph of the store:
the network's current graphs (ontology, reference, CBD, national graphs, submissions, the query
library; history is archived inside the submissions graph, never a graph of its own) and their
inferred graphs (``chmgraph.entailment``). The engine reads that union from one index, which is
what keeps network-wide queries fast. With entailment off, the default graph lists the current
graphs instead. ``GRAPH ?g`` ranges over the current graphs, so it tells which graph asserted
what. ``graphs=[...]`` restricts both (with the inferred graphs of the graphs named).

>>> from chmgraph.entailment import materialize
>>> from chmgraph.network import Network
>>> from chmgraph.query import QueryLibrary
>>> network = Network.in_memory()
>>> network.init()
>>> materialize(network) > 0
True
>>> query = QueryLibrary.load()["workshops-in-year"]
>>> result = run_query(network, query, params={"year": "2013"})
>>> len(result), result.variables[:2]
(3, ['workshop', 'label'])
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.entailment import inferred_graph, is_inferred_graph
from chmgraph.errors import ChmgraphError, InputError
from chmgraph.query.library import NamedQuery, QueryLibrary
from chmgraph.query.policy import check_services, read_within
from chmgraph.query.results import QueryResult
from chmgraph.query.saved import OUTSIDE, Refreshed, SavedAnswers
from chmgraph.query.text import (
    PreparedQuery,
    has_dataset_clause,
    has_graph_pattern,
    prepare,
    with_dataset,
    with_row_cap,
)
from chmgraph.settings import Settings
from chmgraph.store import GraphStore

# Graph names a user may give instead of an IRI or a country code.
GRAPH_NAMES = {
    "ontology": iris.ONTOLOGY_GRAPH,
    "reference": iris.REFERENCE_GRAPH,
    "cbd": iris.CBD_GRAPH,
    "submissions": iris.SUBMISSIONS_GRAPH,
}


@dataclass(frozen=True)
class ProtocolDataset:
    """A query's dataset as a SPARQL Protocol request gives it: the graphs merged as the default
    graph and the named graphs (empty lists: none), by IRI, whether the store holds them or not.
    """

    default: list[str]
    named: list[str]


class Queryable(Protocol):
    """What ``run_query`` runs on: a ``Network`` (its current graphs and store)."""

    store: GraphStore

    def current_graphs(self) -> list[str]: ...


def resolve_graph(name: str) -> str:
    """The IRI of a graph given as a name (``cbd``), a country code (``CM``) or an IRI.

    >>> resolve_graph("cm")
    'https://w3id.org/chmgraph/graph/national/CM'
    """
    if name.lower() in GRAPH_NAMES:
        return GRAPH_NAMES[name.lower()]
    if re.fullmatch(r"[A-Za-z]{2}", name):
        return iris.national_graph(name)
    if re.match(r"^[a-z][a-z0-9+.-]*:", name):
        return name
    names = ", ".join(GRAPH_NAMES)
    raise InputError(f"unknown graph {name!r}: give a country code, one of {names}, or an IRI")


def dataset(
    network: Queryable, graphs: Sequence[str] | None, *, entailment: bool, named: bool = True
) -> tuple[list[str] | None, list[str] | None]:
    """The graphs merged as a query's default graph (None: the union of every named graph of
    the store), and the named graphs ``GRAPH`` reaches (None, unlisted, when not ``named``: for a
    query without a ``GRAPH`` pattern, they do not matter)."""
    union = network.store.capabilities.union_default_graph
    if not graphs and entailment and not named and union:
        return None, None
    named_graphs = _known_graphs(network, graphs) if graphs else network.current_graphs()
    default = _default_graph(named_graphs, graphs, entailment)
    if default is None and not union:
        # The backend cannot merge every named graph by itself: name them all.
        present = set(network.store.graphs())
        default = [*named_graphs, *(inferred_graph(g) for g in named_graphs)]
        default = [g for g in default if g in present]
    return default, named_graphs


def _known_graphs(network: Queryable, graphs: Sequence[str]) -> list[str]:
    """The IRIs of ``graphs``, each one the store holds: a graph it lacks (a typo, a country
    that never submitted) would only give an empty answer that looks like a true one."""
    held = set(network.store.graphs())
    chosen = [resolve_graph(g) for g in graphs]
    for name, iri in zip(graphs, chosen, strict=True):
        if iri not in held:
            raise InputError(
                f"no graph {name!r} in the store ({iri}); `chmgraph graphs` lists the graphs it "
                "holds"
            )
    return chosen


def _default_graph(
    named: list[str], graphs: Sequence[str] | None, entailment: bool
) -> list[str] | None:
    if not entailment:
        return list(named)
    if not graphs:
        return None
    return named + [inferred_graph(g) for g in named]


def unentailed(network: Queryable, graphs: Sequence[str] | None) -> list[str]:
    """The graphs a query reads (``graphs``, else every current graph) that have no inferred
    graph: entailment was never materialized for them, so answers lack what they entail.

    Kept per store until its next write, where the store can tell (``generation``)."""
    store = network.store
    key = (store.generation, tuple(graphs or ()))
    known = _UNENTAILED.get(store)
    if key[0] is not None and known is not None and known[0] == key:
        return known[1]
    found = _unentailed(network, graphs)
    _UNENTAILED[store] = (key, found)
    return found


# Per store: (generation and graphs asked, the answer).
_UNENTAILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _unentailed(network: Queryable, graphs: Sequence[str] | None) -> list[str]:
    present = network.store.graphs()  # one listing of the store's graphs serves both questions
    if graphs:
        named = [resolve_graph(g) for g in graphs]
    else:
        named = [g for g in present if not is_inferred_graph(g)]
    held = set(present)
    return [g for g in named if g in held and inferred_graph(g) not in held]


@dataclass(frozen=True)
class QueryPlan:
    """A query ready to run: its final text and the dataset it reads (``plan_query``)."""

    store: GraphStore
    prepared: PreparedQuery
    default: list[str] | None
    named: list[str] | None
    union: bool
    #: The JSON-LD context of the query (``NamedQuery.context``); None: the default context.
    context: dict | None
    #: Where answers computed for the store's state are read from (None: nowhere).
    saved_answers: SavedAnswers | None = None
    #: The rows a library query's answer is saved with when a reader computes it (None: not).
    save_cap: int | None = None

    def evaluate(
        self, *, cap: int | None = None, saved: bool = True
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Start the query on this thread, at most ``cap`` rows of a SELECT query (its
        outermost ``LIMIT``), from its saved answer when there is one for the store's state
        (and ``saved``); its answer must be read on this thread too."""
        if saved and self.saved_answers is not None:
            found = self.saved_answers.lookup(
                self.store, self.prepared.text, (self.default, self.union, self.named), cap
            )
            if found is None and cap is not None and self.save_cap is not None:
                found = self.saved_answers.through(self.store, self, cap, self.save_cap)
            if found is not None:
                return found  # type: ignore[return-value]
        text = self.prepared.text
        if cap is not None and self.prepared.form == "SELECT":
            text = with_row_cap(text, cap)
        return self.store.query(
            text, default_graph=self.default, union=self.union, named_graphs=self.named
        )


def plan_query(
    network: Queryable,
    query: NamedQuery | str,
    *,
    params: Mapping[str, str] | None = None,
    graphs: Sequence[str] | None = None,
    entailment: bool = True,
    settings: Settings,
    protocol_dataset: ProtocolDataset | None = None,
    base_iri: str | None = None,
) -> QueryPlan:
    """Everything ``run_query`` does before the engine runs ``query``: its text prepared, the
    SERVICE allowlist checked, its dataset chosen. For a face that reads the answer itself
    (the server streams it) within the same limits."""
    if isinstance(query, str):
        query = _named_or_text(query)
    prepared = prepare(query, query.bindings(params or {}), base_iri=base_iri)
    check_services(prepared.text, settings.service_allowlist)
    if protocol_dataset is not None:
        default, named = protocol_dataset.default, protocol_dataset.named
        union = False
    elif has_dataset_clause(prepared.text) and not graphs:
        default, named, union = None, None, False
    else:
        default, named = dataset(
            network, graphs, entailment=entailment, named=has_graph_pattern(prepared.text)
        )
        union = default is None
    saved = SavedAnswers.of(network.store) if settings.saved_answers else None
    save_cap = settings.max_rows + 1 if saved is not None else None
    return QueryPlan(network.store, prepared, default, named, union, query.context, saved, save_cap)


def run_query(
    network: Queryable,
    query: NamedQuery | str,
    *,
    params: Mapping[str, str] | None = None,
    graphs: Sequence[str] | None = None,
    entailment: bool = True,
    limit: int | None = None,
    offset: int = 0,
    settings: Settings | None = None,
    protocol_dataset: ProtocolDataset | None = None,
    base_iri: str | None = None,
) -> QueryResult:
    """Run ``query`` (a library query, or SPARQL text) on ``network`` and read its answer,
    within the settings' limits.

    ``protocol_dataset`` is a SPARQL Protocol request's ``default-graph-uri`` and
    ``named-graph-uri``: exactly those graphs, as named, in place of ``graphs`` and of the
    query's own ``FROM``. Without one, a query with ``FROM`` or ``FROM NAMED`` gets the dataset
    it names. ``base_iri`` is the base of the query's relative IRIs (unless it has a ``BASE``).

    ``query`` given as a string is a library query's name or SPARQL text.
    ``params`` are the user's values by parameter name (as typed: ``2013``, ``chmid:...``);
    ``limit`` caps the rows wanted (at most the ``max_rows`` setting, beyond which the result
    is cut and marked ``truncated``); ``offset`` skips the first rows, for paging. Raises
    ``SyntaxGateError`` (with line and column), ``ServiceRefused``, ``QueryTimeout`` or
    ``InputError`` for a bad parameter. The result's
    ``warnings`` say what the answer may lack (graphs without entailment, rows cut).
    """
    settings = settings or Settings.from_env()
    plan = plan_query(
        network,
        query,
        params=params,
        graphs=graphs,
        entailment=entailment,
        settings=settings,
        protocol_dataset=protocol_dataset,
        base_iri=base_iri,
    )
    # The engine asked for no more rows than are read (one more tells that the answer was cut):
    # it can stop there, and a saved answer of that many rows serves.
    cap = (settings.max_rows if limit is None else min(limit, settings.max_rows)) + offset + 1
    result = read_within(
        partial(_evaluate, plan, cap), plan.prepared, limit=limit, settings=settings, offset=offset
    )
    result.context = plan.context
    if entailment:
        lacking = unentailed(network, graphs)
        if lacking:
            result.warnings.append(
                f"{len(lacking)} graph(s) have no inferred graph, so the answer lacks what the "
                "vocabulary entails from them; run `chmgraph entail`"
            )
    return result


def _evaluate(plan: QueryPlan, cap: int) -> object:
    # Capped only where answers are saved: an engine may refuse a large LIMIT on a sorted
    # answer (Virtuoso's MaxSortedTopRows, 10,000 by default: error SR353).
    try:
        return plan.evaluate(cap=cap if plan.saved_answers is not None else None)
    except SyntaxError:  # reported from the text as the user wrote it, not the cap's
        return plan.evaluate(saved=False)


def save_answers(
    network: Queryable,
    *,
    settings: Settings | None = None,
    library: QueryLibrary | None = None,
    stop: Callable[[], bool] = lambda: False,
    progress: Callable[[str, float], None] | None = None,
) -> Refreshed:
    """Compute and save each library query's answer with its default parameters for the
    network's current state (``chmgraph.query.saved``), as ``run_query`` and the server read
    them; those saved already are not computed again."""
    settings = settings or Settings.from_env()
    saved = SavedAnswers.of(network.store)
    if saved is None or not settings.saved_answers:
        return Refreshed(None)
    if network.store.content_key(OUTSIDE) is None:
        # Once, where the store cannot tell it from the states before: then the answers that
        # read only the network's content are shared by every state that holds the same.
        network.store.record_content(unknown=OUTSIDE)  # the history: never needed

    def plans() -> Iterator[tuple[str, QueryPlan | Exception]]:
        for query in library or QueryLibrary.load():
            try:
                yield query.name, plan_query(network, query, settings=settings)
            except ChmgraphError as exc:
                yield query.name, exc

    return saved.refresh(
        network.store, plans(), cap=settings.max_rows + 1, stop=stop, progress=progress
    )


def self_contained(
    network: Queryable,
    query: NamedQuery | str,
    *,
    params: Mapping[str, str] | None = None,
    graphs: Sequence[str] | None = None,
    entailment: bool = True,
) -> str:
    """``query`` as text any SPARQL 1.1 engine holding the network's graphs (its dump loaded)
    answers as ``run_query`` does: prefixes declared, parameters bound, and the graphs it reads
    named in ``FROM`` and ``FROM NAMED`` clauses rather than left to the engine's default graph.
    """
    if isinstance(query, str):
        query = _named_or_text(query)
    prepared = prepare(query, query.bindings(params or {}))
    default, named = dataset(network, graphs, entailment=entailment, named=True)
    if default is None:
        present = set(network.store.graphs())
        current = network.current_graphs()
        default = [*current, *(g for g in map(inferred_graph, current) if g in present)]
    listed = named if has_graph_pattern(prepared.text) else []
    return with_dataset(prepared.text, default, listed or [])


def _named_or_text(query: str) -> NamedQuery:
    """A library query given by name (``workshops-in-year``), else SPARQL text."""
    if _QUERY_NAME.fullmatch(query.strip()):
        return QueryLibrary.load().resolve(query.strip())
    return NamedQuery.from_text(query)


# A library query's name: a file name of queries/ without ``.rq``; SPARQL text has spaces.
_QUERY_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")

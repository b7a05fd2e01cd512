"""Entailment: what the vocabulary's axioms add to the network's graphs, kept apart from them.

Queries may rely on four kinds of axiom of the ontology: ``rdfs:subClassOf`` (a workshop is a
``schema:Event``), ``rdfs:subPropertyOf`` (``chm:hostCity`` is a ``schema:location``),
``owl:inverseOf`` (``chm:jointSessionOf`` read backwards is ``chm:hasJointSession``) and
``owl:SymmetricProperty`` (``chm:heldInParallelWith`` holds both ways), combined to a fixpoint.
One more rule is chmgraph's own: an event whose ``schema:startDate`` and ``schema:endDate`` are
both single ``xsd:date`` values, the end not before the start, lasted ``chm:durationDays`` calendar
days, both ends included (SPARQL 1.1 has no standard date arithmetic, so queries get it stated).

Each of these rules reads the triples of one subject, so what a graph entails depends on that
graph alone. The entailed triples of each source graph are materialized into their own graph,
``inferred_graph(source)``, when the source changes: ``chmgraph init`` recomputes them all (the
ontology may have changed); a submission or rollback writes its national graph's inferred graph,
and adds what its PROV-O record entails to the submissions graph's, in the same transaction as
the graph itself (``Rules.inferred``, ``with_inferences``), so no reader sees a graph without
its entailments. Restricting a query to some graphs brings exactly their entailments. Inferred
graphs are never part of a national graph, its history or its dump; each states the graph it was
derived from (``prov:wasDerivedFrom``).

>>> inferred_graph("https://w3id.org/chmgraph/graph/national/CM")
'https://w3id.org/chmgraph/graph/inferred/national/CM'
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import quote

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.store import GraphStore
from chmgraph.vocabulary import RDF_TYPE, Vocabulary

_TYPE = ox.NamedNode(RDF_TYPE)
_START = ox.NamedNode(iris.PREFIXES["schema"] + "startDate")
_END = ox.NamedNode(iris.PREFIXES["schema"] + "endDate")
_DURATION = ox.NamedNode(iris.PREFIXES["chm"] + "durationDays")
_DATE = ox.NamedNode(iris.PREFIXES["xsd"] + "date")
_INTEGER = ox.NamedNode(iris.PREFIXES["xsd"] + "integer")
_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DERIVED_FROM = ox.NamedNode(iris.PREFIXES["prov"] + "wasDerivedFrom")


def inferred_graph(source: str) -> str:
    """The graph holding what ``source`` entails (network graphs keep their path under it)."""
    if source.startswith(iris.GRAPH):
        return f"{iris.INFERRED_GRAPH}/{source[len(iris.GRAPH) :]}"
    return f"{iris.INFERRED_GRAPH}/other/{quote(source, safe='')}"


def is_inferred_graph(graph: str) -> bool:
    """Whether ``graph`` is an inferred graph (and so never a source of entailment)."""
    return graph == iris.INFERRED_GRAPH or graph.startswith(iris.INFERRED_GRAPH + "/")


@dataclass(frozen=True)
class Rules:
    """The entailment rules of a vocabulary, compiled: what each class and property implies.

    >>> rules = Rules.from_vocabulary(Vocabulary.load())
    >>> "https://schema.org/Event" in rules.superclasses["https://w3id.org/chmgraph/vocab#Workshop"]
    True
    """

    # class -> every superclass
    superclasses: dict[str, frozenset[str]]
    # property -> every (implied property, whether subject and object swap)
    implied: dict[str, frozenset[tuple[str, bool]]]

    @classmethod
    def of(cls, store: GraphStore) -> Rules:
        """The rules of the vocabulary in ``store``'s ontology graph, read now: compiled once
        per ontology content, since every commit asks for them and the ontology rarely changes."""
        return _rules_of(frozenset(q.triple for q in store.quads(iris.ONTOLOGY_GRAPH)))

    @classmethod
    def from_vocabulary(cls, vocabulary: Vocabulary) -> Rules:
        superclasses = {c: vocabulary.superclasses(c) for c in vocabulary.classes}
        implied = {p: _implied(vocabulary, p) for p in vocabulary.properties}
        return cls(
            {c: s for c, s in superclasses.items() if s},
            {p: i for p, i in implied.items() if i},
        )

    def entailed(self, triples: Iterable[ox.Triple]) -> Iterator[ox.Triple]:
        """Every triple the rules derive from ``triples`` that is not among them."""
        given = set(triples)
        derived: set[ox.Triple] = set()
        for triple in given:
            derived.update(self._derive(triple))
        derived.update(durations(given))
        yield from derived - given

    def inferred(self, graph: str, triples: Iterable[ox.Triple]) -> list[ox.Triple]:
        """The whole content of ``graph``'s inferred graph when ``graph`` holds ``triples``."""
        return [*self.entailed(triples), _derived_from(graph)]

    def _derive(self, triple: ox.Triple) -> Iterator[ox.Triple]:
        predicate, subject, obj = triple.predicate.value, triple.subject, triple.object
        if predicate == RDF_TYPE and isinstance(obj, ox.NamedNode):
            for superclass in self.superclasses.get(obj.value, ()):
                yield ox.Triple(subject, _TYPE, ox.NamedNode(superclass))
        for implied, swap in self.implied.get(predicate, ()):
            if not swap:
                yield ox.Triple(subject, ox.NamedNode(implied), obj)
            elif isinstance(obj, (ox.NamedNode, ox.BlankNode)):
                yield ox.Triple(obj, ox.NamedNode(implied), subject)


def durations(triples: Iterable[ox.Triple]) -> Iterator[ox.Triple]:
    """``chm:durationDays`` of each subject with one start and one end date among ``triples``.

    >>> day = lambda d: ox.Literal(d, datatype=_DATE)
    >>> event = ox.NamedNode("https://w3id.org/chmgraph/id/event/example")
    >>> start, end = day("2016-04-04"), day("2016-04-08")
    >>> dates = [ox.Triple(event, _START, start), ox.Triple(event, _END, end)]
    >>> [t.object.value for t in durations(dates)]
    ['5']
    """
    ends: dict[ox.NamedNode | ox.BlankNode, list[list[ox.Literal]]] = defaultdict(lambda: [[], []])
    for triple in triples:
        if triple.predicate in (_START, _END) and isinstance(triple.object, ox.Literal):
            ends[triple.subject][triple.predicate == _END].append(triple.object)  # type: ignore[index]
    for subject, (starts, finishes) in ends.items():
        if len(starts) != 1 or len(finishes) != 1:
            continue
        first, last = _day(starts[0]), _day(finishes[0])
        if first is not None and last is not None and last >= first:
            days = ox.Literal(str((last - first).days + 1), datatype=_INTEGER)
            yield ox.Triple(subject, _DURATION, days)


def _day(literal: ox.Literal) -> date | None:
    if literal.datatype != _DATE or not _PLAIN_DATE.fullmatch(literal.value):
        return None  # not a date, or one with a time zone
    try:
        return date.fromisoformat(literal.value)
    except ValueError:  # ill-typed: CHM-V006 reports it
        return None


def materialize(target: object, graphs: Iterable[str] | None = None) -> int:
    """Recompute the inferred graphs of ``graphs`` (default: every current graph); the count of
    inferred triples written.

    ``target`` is a ``Network`` or a ``GraphStore``. Call it after ``init`` (every graph) and
    after an accepted submission or rollback (that national graph only). The rules come from the
    store's ontology graph. Each inferred graph is replaced in one transaction.
    """
    store: GraphStore = getattr(target, "store", target)  # type: ignore[assignment]
    if graphs is None:
        graphs = [g for g in store.graphs() if not is_inferred_graph(g)]
    rules = Rules.of(store)
    written = 0
    for graph in graphs:
        triples = rules.inferred(graph, (q.triple for q in store.quads(graph)))
        store.replace_graphs({inferred_graph(graph): triples})
        written += len(triples) - 1
    return written


def with_inferences(rules: Rules, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """``quads`` and what they entail, each entailed triple in the inferred graph of its quad's
    graph: what to add to the store when adding ``quads`` to graphs that keep their inferred
    graphs up to date."""
    quads = list(quads)
    by_graph: dict[str, list[ox.Triple]] = defaultdict(list)
    for quad in quads:
        by_graph[quad.graph_name.value].append(quad.triple)  # type: ignore[union-attr]
    added = list(quads)
    for graph, triples in by_graph.items():
        target = ox.NamedNode(inferred_graph(graph))
        added += [
            ox.Quad(t.subject, t.predicate, t.object, target)
            for t in rules.inferred(graph, triples)
        ]
    return added


def missing(store: GraphStore, graphs: Iterable[str]) -> list[str]:
    """The non-empty ``graphs`` that have no inferred graph: entailment was never materialized
    for them."""
    present = set(store.graphs())
    return [g for g in graphs if g in present and inferred_graph(g) not in present]


def _derived_from(graph: str) -> ox.Triple:
    # Every inferred graph says what it was derived from, so that it exists (and ``missing``
    # can tell) even when its source entails nothing.
    return ox.Triple(ox.NamedNode(inferred_graph(graph)), _DERIVED_FROM, ox.NamedNode(graph))


@lru_cache(maxsize=4)
def _rules_of(ontology: frozenset[ox.Triple]) -> Rules:
    return Rules.from_vocabulary(Vocabulary(ontology))


def _implied(vocabulary: Vocabulary, start: str) -> frozenset[tuple[str, bool]]:
    # States are (property, swapped); edges follow superproperties (same direction), inverses
    # (swap) and symmetry (swap), to a fixpoint.
    edges: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    symmetric = vocabulary.symmetric_properties
    seen = {(start, False)}
    frontier = [(start, False)]
    while frontier:
        prop, swapped = frontier.pop()
        if prop not in edges:
            edges[prop] = [(s, False) for s in vocabulary.superproperties(prop, direct=True)]
            inverse = vocabulary.inverse_of(prop)
            if inverse:
                edges[prop].append((inverse, True))
            if prop in symmetric:
                edges[prop].append((prop, True))
        for nxt, swap in edges[prop]:
            state = (nxt, swapped != swap)
            if state not in seen:
                seen.add(state)
                frontier.append(state)
    return frozenset(seen - {(start, False)})

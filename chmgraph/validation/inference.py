"""The context a submission is validated in, and the RDFS entailment its shapes need.

A submission points at things the network already knows (a country, a workshop, a toolkit)
without copying them. Validation therefore sees, beside the submission, the *type and label* of
every thing it points at, looked up in the ontology, reference and CBD graphs (read once per
process). Things the submission itself describes are checked as the submission describes them:
context never fills a gap the steward left.

Entailment is targeted: only RDFS subclass (rdfs9) and subproperty (rdfs7) inferences, computed
from the ontology's hierarchy for the types and properties the submission uses. Domain and range
inferences are left out on purpose: they would give any value of ``chm:hostCountry`` the type
``chm:Country``, and the shape that checks it is a country could never fail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from chmgraph.iris import PREFIXES
from chmgraph.rdfio import read_quads
from chmgraph.settings import DATA_DIR, ONTOLOGY_DIR
from chmgraph.vocabulary import Vocabulary

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
SUBCLASS_OF = PREFIXES["rdfs"] + "subClassOf"
SUBPROPERTY_OF = PREFIXES["rdfs"] + "subPropertyOf"
# Predicates that name a thing; the context lends them with the type, for reports and messages.
LABEL_PREDICATES = tuple(
    ox.NamedNode(iri)
    for iri in (
        PREFIXES["rdfs"] + "label",
        PREFIXES["skos"] + "prefLabel",
        PREFIXES["dcterms"] + "title",
        PREFIXES["schema"] + "name",
    )
)
_LENT = frozenset({RDF_TYPE, *LABEL_PREDICATES})


@dataclass(frozen=True)
class Context:
    """The network's known things: what each subject of the ontology, reference and CBD graphs
    is (types) and is called (labels), and which subjects each graph defines."""

    lent: dict[ox.NamedNode, list[ox.Triple]]
    ontology_terms: frozenset[ox.NamedNode]
    reference_terms: frozenset[ox.NamedNode]
    cbd_terms: frozenset[ox.NamedNode]

    @classmethod
    def load(cls) -> Context:
        """The context of the files in ``ontology/``, ``data/reference/`` and ``data/cbd/``,
        read once per process (again only if a file changed)."""
        return _load_context(_fingerprint(_context_files()))

    def about(self, things: Iterable[ox.NamedNode]) -> list[ox.Triple]:
        """The types and labels the context knows of ``things``."""
        return [t for thing in things for t in self.lent.get(thing, ())]


def _context_files() -> dict[str, list[Path]]:
    return {
        "ontology": sorted(ONTOLOGY_DIR.glob("*.ttl")),
        "reference": sorted((DATA_DIR / "reference").glob("*.ttl")),
        "cbd": sorted((DATA_DIR / "cbd").glob("*.ttl")),
    }


def _fingerprint(
    files: dict[str, list[Path]],
) -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
    return tuple(
        (graph, tuple((str(p), p.stat().st_mtime_ns) for p in paths))
        for graph, paths in files.items()
    )


@lru_cache(maxsize=2)
def _load_context(fingerprint: tuple) -> Context:
    lent: dict[ox.NamedNode, list[ox.Triple]] = defaultdict(list)
    terms: dict[str, set[ox.NamedNode]] = {}
    for graph, files in fingerprint:
        terms[graph] = set()
        for name, _ in files:
            for quad in read_quads(name):
                subject = quad.subject
                if isinstance(subject, ox.NamedNode):
                    terms[graph].add(subject)
                    if quad.predicate in _LENT:
                        lent[subject].append(quad.triple)
    return Context(
        lent=dict(lent),
        ontology_terms=frozenset(terms["ontology"]),
        reference_terms=frozenset(terms["reference"]),
        cbd_terms=frozenset(terms["cbd"]),
    )


@dataclass(frozen=True)
class Hierarchy:
    """Superclasses and superproperties by term (transitive, the term itself excluded)."""

    superclasses: dict[str, frozenset[str]]
    superproperties: dict[str, frozenset[str]]

    @classmethod
    def of_vocabulary(cls, vocabulary: Vocabulary | None = None) -> Hierarchy:
        """The hierarchy the chmgraph ontology declares."""
        vocab = vocabulary or Vocabulary.load()
        return _vocabulary_hierarchy(vocab)

    @classmethod
    def of_triples(cls, triples: Iterable[ox.Triple]) -> Hierarchy:
        """The hierarchy stated by ``rdfs:subClassOf``/``rdfs:subPropertyOf`` in ``triples``
        (used with custom shapes, where the data brings its own schema)."""
        edges: dict[str, dict[str, set[str]]] = {
            SUBCLASS_OF: defaultdict(set),
            SUBPROPERTY_OF: defaultdict(set),
        }
        for t in triples:
            if t.predicate.value in edges and isinstance(t.object, ox.NamedNode):
                edges[t.predicate.value][t.subject.value].add(t.object.value)
        return cls(_transitive(edges[SUBCLASS_OF]), _transitive(edges[SUBPROPERTY_OF]))


@lru_cache(maxsize=4)
def _vocabulary_hierarchy(vocab: Vocabulary) -> Hierarchy:
    return Hierarchy(
        superclasses={c: vocab.superclasses(c) for c in vocab.classes if vocab.superclasses(c)},
        superproperties={
            p: vocab.superproperties(p) for p in vocab.properties if vocab.superproperties(p)
        },
    )


def _transitive(direct: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    closed: dict[str, frozenset[str]] = {}
    for start in direct:
        seen: set[str] = set()
        frontier = list(direct[start])
        while frontier:
            nxt = frontier.pop()
            if nxt not in seen and nxt != start:
                seen.add(nxt)
                frontier.extend(direct.get(nxt, ()))
        closed[start] = frozenset(seen)
    return closed


def entailed(triples: Iterable[ox.Triple], hierarchy: Hierarchy) -> set[ox.Triple]:
    """The subclass and subproperty consequences of ``triples`` not already among them.

    >>> h = Hierarchy(superclasses={"http://e/B": frozenset({"http://e/A"})}, superproperties={})
    >>> t = ox.Triple(ox.NamedNode("http://e/x"), RDF_TYPE, ox.NamedNode("http://e/B"))
    >>> [str(x.object) for x in entailed([t], h)]
    ['<http://e/A>']
    """
    given = triples if isinstance(triples, (set, frozenset)) else set(triples)
    found: set[ox.Triple] = set()
    for t in given:
        if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            for cls in hierarchy.superclasses.get(t.object.value, ()):
                found.add(ox.Triple(t.subject, RDF_TYPE, ox.NamedNode(cls)))
        for prop in hierarchy.superproperties.get(t.predicate.value, ()):
            found.add(ox.Triple(t.subject, ox.NamedNode(prop), t.object))
    # A superproperty of a subproperty of rdf:type would need a second round; none is declared.
    return found - given

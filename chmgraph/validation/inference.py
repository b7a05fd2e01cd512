"""The RDFS entailment the shapes need: targeted, from the vocabulary's hierarchy.

Only RDFS subclass (rdfs9) and subproperty (rdfs7) inferences, computed from the ontology's
hierarchy for the types and properties the submission uses. Domain and range inferences are left
out on purpose: they would give any value of ``chm:hostCountry`` the type ``chm:Country``, and
the shape that checks it is a country could never fail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

from chmgraph.iris import PREFIXES
from chmgraph.vocabulary import Vocabulary

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
SUBCLASS_OF = PREFIXES["rdfs"] + "subClassOf"
SUBPROPERTY_OF = PREFIXES["rdfs"] + "subPropertyOf"


@dataclass(frozen=True)
class Hierarchy:
    """Superclasses and superproperties by term (transitive, the term itself excluded)."""

    superclasses: dict[str, frozenset[str]]
    superproperties: dict[str, frozenset[str]]

    @classmethod
    def of_vocabulary(cls, vocabulary: Vocabulary) -> Hierarchy:
        """The hierarchy ``vocabulary`` declares (computed once per vocabulary)."""
        return _vocabulary_hierarchy(vocabulary)

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

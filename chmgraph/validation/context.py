"""The context a submission is validated in: what the network already knows.

A submission points at things the network already knows (a country, a workshop, a toolkit)
without copying them. Validation therefore sees, beside the submission, the *type and label* of
every thing it points at, as the ontology, reference and CBD graphs give them, and checks its
terms against the vocabulary the ontology declares. Things the submission itself describes are
checked as the submission describes them: context never fills a gap the steward left.

The network gives its own graphs (``Context.of``, with a key such as the graphs' modification
stamps); without them, the files of ``ontology/``, ``data/reference/`` and ``data/cbd/`` are the
context (``Context.load``). Either way a context is built once per key and then reused.

>>> context = Context.load()
>>> context is Context.load()
True
>>> country = ox.NamedNode("https://w3id.org/chmgraph/id/country/CM")
>>> country in context.reference_terms
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from chmgraph.iris import PREFIXES
from chmgraph.rdfio import read_quads
from chmgraph.settings import DATA_DIR, ONTOLOGY_DIR
from chmgraph.vocabulary import RDF_TYPE, Vocabulary

GRAPHS = ("ontology", "reference", "cbd")
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
_LENT = frozenset({ox.NamedNode(RDF_TYPE), *LABEL_PREDICATES})


@dataclass(frozen=True, eq=False)
class Context:
    """The network's known things: what each subject of the ontology, reference and CBD graphs
    is (types) and is called (labels), which subjects each graph defines, and the vocabulary."""

    lent: dict[ox.NamedNode, list[ox.Triple]]
    ontology_terms: frozenset[ox.NamedNode]
    reference_terms: frozenset[ox.NamedNode]
    cbd_terms: frozenset[ox.NamedNode]
    vocabulary: Vocabulary

    @classmethod
    def load(cls) -> Context:
        """The context of the files in ``ontology/``, ``data/reference/`` and ``data/cbd/``,
        read once per process (again only if a file changed)."""
        files = _context_files()
        fingerprint = tuple(
            (graph, tuple((str(p), p.stat().st_mtime_ns) for p in paths))
            for graph, paths in files.items()
        )
        graphs = {
            graph: (q.triple for path in paths for q in read_quads(path))
            for graph, paths in files.items()
        }
        return _cached(_Keyed(("files", fingerprint), graphs))

    @classmethod
    def of(
        cls,
        *,
        ontology: Iterable[ox.Triple],
        reference: Iterable[ox.Triple],
        cbd: Iterable[ox.Triple],
        key: Hashable | None = None,
    ) -> Context:
        """The context of the given graphs' triples, such as a store's.

        With ``key`` (anything that changes when a graph does: the graphs' modification stamps,
        a digest), a context built before for the same key is returned and the triples are not
        read at all, so pass them lazily (a generator over the store). Without one, the key is
        the content itself: the triples are read, and equal content gives the same context.
        """
        graphs = {"ontology": ontology, "reference": reference, "cbd": cbd}
        if key is None:
            content = {graph: frozenset(triples) for graph, triples in graphs.items()}
            return _cached(_Keyed(("content", tuple(content.values())), content))
        return _cached(_Keyed(("given", key), graphs))

    def about(self, things: Iterable[ox.NamedNode]) -> list[ox.Triple]:
        """The types and labels the context knows of ``things``."""
        return [t for thing in things for t in self.lent.get(thing, ())]


def _context_files() -> dict[str, list[Path]]:
    return {
        "ontology": sorted(ONTOLOGY_DIR.glob("*.ttl")),
        "reference": sorted((DATA_DIR / "reference").glob("*.ttl")),
        "cbd": sorted((DATA_DIR / "cbd").glob("*.ttl")),
    }


@dataclass(frozen=True)
class _Keyed:
    """A cache key with the graphs to build from on a miss (not part of the key)."""

    key: Hashable
    graphs: dict[str, Iterable[ox.Triple]] = field(compare=False, hash=False)


@lru_cache(maxsize=4)
def _cached(keyed: _Keyed) -> Context:
    return _build(keyed.graphs)


def _build(graphs: dict[str, Iterable[ox.Triple]]) -> Context:
    lent: dict[ox.NamedNode, list[ox.Triple]] = defaultdict(list)
    terms: dict[str, set[ox.NamedNode]] = {}
    ontology: list[ox.Triple] = []
    for graph in GRAPHS:
        terms[graph] = set()
        for triple in graphs[graph]:
            if graph == "ontology":
                ontology.append(triple)
            subject = triple.subject
            if isinstance(subject, ox.NamedNode):
                terms[graph].add(subject)
                if triple.predicate in _LENT:
                    lent[subject].append(triple)
    return Context(
        lent=dict(lent),
        ontology_terms=frozenset(terms["ontology"]),
        reference_terms=frozenset(terms["reference"]),
        cbd_terms=frozenset(terms["cbd"]),
        vocabulary=Vocabulary(ontology),
    )

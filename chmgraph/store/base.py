"""The store interface: a quad store of named graphs that chmgraph reads and writes through.

Callers see only this interface and pyoxigraph's term and result types, so a backend can be the
embedded Oxigraph store or, later, any SPARQL 1.1 Protocol + Graph Store Protocol endpoint
(which can build the same result objects with ``pyoxigraph.parse_query_results``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
# Called with (bytes read so far, total bytes) while a bulk load runs.
LoadProgress = Callable[[int, int], None]


class GraphStore(ABC):
    """A quad store of named graphs; use it as a context manager to close it."""

    #: Where the store lives, for messages ("store at PATH ..."); ``"memory"`` for in-memory.
    location: str

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        union: bool = False,
        named_graphs: Sequence[str] | None = None,
        substitutions: Mapping[str, Term] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query.

        Its default graph is the graphs ``default_graph`` lists, merged; with ``union`` instead,
        every named graph of the store merged (the fast way to see them all: one index lookup
        per pattern, where a list costs one per graph). Without either it is the store's own
        default graph, which chmgraph leaves empty. ``named_graphs`` limits what ``GRAPH``
        reaches (default: every named graph).
        """

    @abstractmethod
    def update(self, sparql: str) -> None:
        """Run a SPARQL update request as one transaction: all of it or nothing."""

    @abstractmethod
    def add(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads in one transaction."""

    @abstractmethod
    def bulk_load(
        self,
        source: Iterable[ox.Quad] | Path,
        *,
        to_graph: str | None = None,
        progress: LoadProgress | None = None,
    ) -> None:
        """Load many quads fast, without a transaction: for building a store, not for updates.

        ``source`` is quads or an RDF file (format from its extension); a triple file's
        statements go into ``to_graph``.
        """

    @abstractmethod
    def graphs(self) -> list[str]:
        """The IRIs of every named graph holding at least one triple, sorted."""

    @abstractmethod
    def count(self, graph: str | None = None) -> int:
        """The number of quads in ``graph``, or in the whole store."""

    @abstractmethod
    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        """The quads of ``graph``, or of the whole store."""

    @abstractmethod
    def dump(self, output: BinaryIO | Path, format: ox.RdfFormat, graph: str | None = None) -> None:
        """Serialize ``graph`` (or, for a quad format, the whole store) to ``output``."""

    @abstractmethod
    def close(self) -> None:
        """Release the store (its lock, for a store on disk)."""

    def replace_graphs(
        self, new_contents: Mapping[str, Iterable[ox.Triple]], *, add: Iterable[ox.Quad] = ()
    ) -> None:
        """Make each graph of ``new_contents`` exactly its triples and add ``add``, atomically.

        One SPARQL update request is one transaction, so readers see every graph as it was before
        or as it is after, never a mix, and a crash keeps the old state whole.
        """
        self.update(replacement_update(new_contents, add))

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def replacement_update(
    new_contents: Mapping[str, Iterable[ox.Triple]], add: Iterable[ox.Quad] = ()
) -> str:
    """The SPARQL update request that replaces graphs and adds quads.

    >>> t = ox.Triple(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o"))
    >>> print(replacement_update({"http://e/g": [t]}))
    DROP SILENT GRAPH <http://e/g> ;
    INSERT DATA {
    GRAPH <http://e/g> {
    <http://e/s> <http://e/p> "o" .
    }
    }
    """
    parts = [f"DROP SILENT GRAPH <{iri}> ;" for iri in new_contents]
    blocks = [_graph_block(iri, triples) for iri, triples in new_contents.items()]
    extra: dict[str, list[ox.Triple]] = {}
    for quad in add:
        if not isinstance(quad.graph_name, ox.NamedNode):
            raise ValueError(f"quad outside a named graph: {quad}")
        extra.setdefault(quad.graph_name.value, []).append(quad.triple)
    blocks += [_graph_block(iri, triples) for iri, triples in extra.items()]
    parts.append("INSERT DATA {\n" + "".join(blocks) + "}")
    return "\n".join(parts)


def _graph_block(iri: str, triples: Iterable[ox.Triple]) -> str:
    body = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)
    return f"GRAPH <{iri}> {{\n{body}}}\n"

"""The store contract: a quad store of named graphs that chmgraph reads and writes through.

Callers see only this interface and pyoxigraph's term and result types, so a backend can be the
embedded Oxigraph store or any SPARQL 1.1 Protocol + Graph Store Protocol endpoint (which can
build the same result objects with ``pyoxigraph.parse_query_results``). What a backend can do
beyond plain SPARQL 1.1 is declared in its ``capabilities``, never assumed: the network names a
query's dataset explicitly where a backend has no union default graph, and numbers versions with
conditional writes (``Guard``) rather than a lock only one process can hold.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
# Called with (bytes read so far, total bytes) while a bulk load runs.
LoadProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do beyond the SPARQL 1.1 Query, Update and Graph Store protocols."""

    #: A query's default graph can be the union of every named graph (``query(union=True)``).
    union_default_graph: bool = False
    #: An update request of several operations is one transaction: all of it or nothing.
    atomic_update: bool = False
    #: One update operation (a DELETE/INSERT over several graphs) is one transaction, though a
    #: request of several is not: a replacement is written as a single operation.
    atomic_operation: bool = False
    #: A query's time limit can be enforced by the engine itself.
    server_timeout: bool = False
    #: Quads can be loaded outside transactions, at the engine's bulk speed.
    bulk_load: bool = False
    #: A query given no dataset reads every graph the engine holds as its default graph
    #: (Virtuoso), not an empty one: chmgraph names the dataset of every query that reads it.
    default_graph_is_union: bool = False


@dataclass(frozen=True)
class Guard:
    """A condition a write is made under: the ``pattern`` (a SPARQL group graph pattern, braces
    included) must match when the update runs, and ``written`` (an ASK query) tells afterwards
    whether this write, and not a concurrent one, took place."""

    pattern: str
    written: str


class GraphStore(ABC):
    """A quad store of named graphs; use it as a context manager to close it."""

    #: Where the store lives, for messages ("store at PATH ..."); ``"memory"`` for in-memory.
    location: str
    capabilities: Capabilities = Capabilities()
    #: A number that changes whenever this process writes the store, when no one else can write
    #: it (the embedded store holds its lock); None where others may (a remote engine). Lets
    #: callers keep what they derived from the store's state until the next write.
    generation: int | None = None

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        union: bool = False,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query.

        Its default graph is the graphs ``default_graph`` lists, merged; with ``union`` instead
        (only where ``capabilities.union_default_graph``), every named graph of the store merged
        (the fast way to see them all: one index lookup per pattern, where a list costs one per
        graph). Without either it is the store's own default graph, which chmgraph leaves empty.
        ``named_graphs`` limits what ``GRAPH`` reaches (default: every named graph). Values are
        bound in the query's text (``chmgraph.query.text.bind``), never by engine extensions.
        """

    @abstractmethod
    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL update request as one transaction: all of it or nothing; its relative
        IRIs resolve against ``base_iri``."""

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

    @abstractmethod
    def as_stored(self, triples: Iterable[ox.Triple]) -> list[ox.Triple]:
        """``triples`` as this backend would hold them, without duplicates: engines keep some
        literals in a canonical form of their own ("016"^^xsd:int may come back as "16"), so a
        submission is compared with a stored graph, and counted, in that form."""

    @abstractmethod
    def optimize(self) -> None:
        """Reorganize the store's files for faster reads, where the backend can (a remote
        engine looks after its own): nothing else changes."""

    def replace_graphs(
        self,
        new_contents: Mapping[str, Iterable[ox.Triple]],
        *,
        add: Iterable[ox.Quad] = (),
        guard: Guard | None = None,
    ) -> bool:
        """Make each graph of ``new_contents`` exactly its triples and add ``add``, atomically;
        with a ``guard``, only if its pattern matches when the write runs. Whether it was written.

        One SPARQL update request is one transaction (``capabilities.atomic_update``), so readers
        see every graph as it was before or as it is after, never a mix, and a crash keeps the
        old state whole. A guarded write checks its condition inside that same request, so two
        writers (two threads, two processes, two servers on one engine) can never both win.
        """
        self.update(replacement_update(new_contents, add, guard=guard))
        return guard is None or bool(self.query(guard.written))

    @property
    def state(self) -> str | None:
        """A name of the store's committed state that every process reading it agrees on and
        that a write never gives back (answers computed for it stay right while it lasts), or
        None when the backend cannot tell (a remote engine another client may write) or a write
        is under way."""
        return None

    def content_key(self, outside: Sequence[str] = ()) -> str | None:
        """A digest of what the graphs of the committed state hold, all but those ``outside``,
        equal for two states exactly when those graphs hold the same statements (so answers
        that read only them hold for both), or None when the backend does not follow it."""
        return None

    def record_content(self, unknown: Sequence[str] = ()) -> bool:
        """Read every graph (but those ``unknown``) and record what each holds, so that
        ``content_key`` is known for this state (and, where the backend follows it, the states
        that follow) outside at least ``unknown``; whether it was recorded."""
        return False

    def one_change(self) -> AbstractContextManager[None]:
        """Writes inside this block reach other processes' readers as one change: a backend that
        publishes its state to readers (the embedded store's snapshots) does so once, at the end.
        Elsewhere every write request is what readers see change at once."""
        return nullcontext()

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def check_dataset(default_graph: Sequence[str] | None, union: bool) -> None:
    """Refuse a query dataset that asks for both named graphs and the union as its default."""
    if union and default_graph is not None:
        raise ValueError("give default_graph or union, not both")


def replacement_update(
    new_contents: Mapping[str, Iterable[ox.Triple]],
    add: Iterable[ox.Quad] = (),
    *,
    guard: Guard | None = None,
) -> str:
    """The SPARQL update request that replaces graphs and adds quads (under ``guard``).

    >>> t = ox.Triple(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o"))
    >>> print(replacement_update({"http://e/g": [t]}))
    DROP SILENT GRAPH <http://e/g> ;
    INSERT DATA {
    GRAPH <http://e/g> {
    <http://e/s> <http://e/p> "o" .
    }
    }

    Under a guard, every operation carries the guard's pattern as its WHERE clause. The pattern
    is evaluated before the last operation inserts anything, and the earlier ones only delete
    from the replaced graphs, which a guard does not read, so all of them see the same answer.

    >>> guard = Guard("{ FILTER NOT EXISTS { <http://e/v> ?p ?o } }", "ASK {}")
    >>> print(replacement_update({"http://e/g": [t]}, guard=guard))
    ... # doctest: +NORMALIZE_WHITESPACE
    DELETE { GRAPH <http://e/g> { ?s ?p ?o } }
    WHERE { { FILTER NOT EXISTS { <http://e/v> ?p ?o } } GRAPH <http://e/g> { ?s ?p ?o } } ;
    INSERT {
    GRAPH <http://e/g> {
    <http://e/s> <http://e/p> "o" .
    }
    } WHERE { FILTER NOT EXISTS { <http://e/v> ?p ?o } }
    """
    if guard is None:
        parts = [f"DROP SILENT GRAPH <{iri}> ;" for iri in new_contents]
    else:
        parts = [
            f"DELETE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} "
            f"WHERE {{ {guard.pattern} GRAPH <{iri}> {{ ?s ?p ?o }} }} ;"
            for iri in new_contents
        ]
    listed = {iri: list(triples) for iri, triples in new_contents.items()}
    blocks = [_graph_block(iri, triples) for iri, triples in listed.items() if triples]
    extra: dict[str, list[ox.Triple]] = {}
    for quad in add:
        if not isinstance(quad.graph_name, ox.NamedNode):
            raise ValueError(f"quad outside a named graph: {quad}")
        extra.setdefault(quad.graph_name.value, []).append(quad.triple)
    blocks += [_graph_block(iri, triples) for iri, triples in extra.items()]
    if guard is None:
        parts.append("INSERT DATA {\n" + "".join(blocks) + "}")
    else:
        parts.append("INSERT {\n" + "".join(blocks) + f"}} WHERE {guard.pattern}")
    return "\n".join(parts)


def _graph_block(iri: str, triples: Iterable[ox.Triple]) -> str:
    body = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)
    return f"GRAPH <{iri}> {{\n{body}}}\n"

"""The files of a dump and their names: the nouns the dump, its description and its change log
share."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chmgraph import iris
from chmgraph.store import GraphStore

TURTLE = "text/turtle"
TRIG = "application/trig"
NQUADS = "application/n-quads"
GZIP = "application/gzip"

NETWORK_TRIG = "network.trig"
NETWORK_NQUADS = "network.nq"
# What the vocabulary entails from every graph, apart from the graphs themselves: an engine
# loaded with both answers the query library as the network does.
INFERRED_TRIG = "inferred.trig"
INFERRED_NQUADS = "inferred.nq"
QUERIES_FILE = "queries.ttl"
VOID_FILE = "void.ttl"
CHANGES_FILE = "changes.ttl"

# Graphs and properties kept out of dumps: entailed triples and the archives of past versions
# (see the module docstring).
_NOT_DUMPED = (iris.INFERRED_GRAPH,)
NOT_DUMPED_PROPERTIES = frozenset({iris.vocab("archivedContent")})
NOT_DUMPED_PREDICATES = frozenset(f"<{p}>".encode() for p in NOT_DUMPED_PROPERTIES)
_SAFE_GRAPH_PATH = re.compile(r"[a-z][a-z0-9-]*(/[A-Za-z0-9][A-Za-z0-9-]*)*")

#: Called with (file name, files done, files in all) after each file is written.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DumpFile:
    """One file of a dump: where it is, what it holds, and its bytes' size and SHA-256."""

    path: str  # relative to the dump directory, with "/" separators
    media_type: str
    size: int
    sha256: str
    graph: str | None = None  # the graph a per-graph file holds; None for network-wide files
    compressed: bool = False


@dataclass
class Dump:
    """What ``dump_network`` wrote."""

    out: Path
    graphs: list[str]
    files: list[DumpFile] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)  # files whose bytes changed
    removed: list[str] = field(default_factory=list)  # stale files of removed graphs


def inferred_graphs(store: GraphStore) -> list[str]:
    """The inferred graphs of ``store`` (``chmgraph.entailment``), sorted: dumped apart."""
    return [g for g in store.graphs() if g.startswith(_NOT_DUMPED)]


def dumped_graphs(store: GraphStore) -> list[str]:
    """The graphs a dump holds: every non-empty graph but the inferred graphs, sorted."""
    return [g for g in store.graphs() if not g.startswith(_NOT_DUMPED)]


def graph_file(graph: str) -> str:
    """The dump file of a graph, relative to the dump directory.

    >>> graph_file("https://w3id.org/chmgraph/graph/national/CM")
    'national/CM.ttl'
    >>> graph_file("https://example.org/other graph")
    'graphs/42177329906b938d.ttl'
    """
    rest = graph[len(iris.GRAPH) :] if graph.startswith(iris.GRAPH) else ""
    if _SAFE_GRAPH_PATH.fullmatch(rest):
        return rest + ".ttl"
    return "graphs/" + hashlib.sha256(graph.encode()).hexdigest()[:16] + ".ttl"

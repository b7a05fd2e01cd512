"""Dumps of the network that harvesters can trust: deterministic, described, atomic.

``dump_network(store, out)`` writes, under ``out``:

* one Turtle file per graph (``ontology.ttl``, ``reference.ttl``, ``cbd.ttl``,
  ``national/CM.ttl``, ``submissions.ttl``, ``queries.ttl``...), each also gzip-compressed;
* the whole network as ``network.trig`` and ``network.nq``, each also gzip-compressed;
* ``queries.ttl``, the query library as RDF, when the store does not hold it already;
* ``changes.ttl``, the log of added, replaced and removed graphs between dumps;
* ``void.ttl``, the VoID and DCAT-AP description of every file, written last.

``dump_if_stale(store, out, record=FILE)`` dumps only when ``FILE`` does not record the state the
dump at ``out`` was made from as the store's present one (``dump_state``: a digest of each
graph's statements as the store holds them, the query library, the dump's settings and
chmgraph's version); after a dump it records that state. Reading the state costs one export of
the store, a small part of a dump (which canonicalizes, sorts and compresses).

The inferred graphs are not dumped (derived data), nor the statements of every accepted version
that the submissions graph's records archive (``chm:archivedContent``): the dump publishes the
current graphs and the provenance of each version, the store keeps the history. Blank
nodes are canonicalized with RDFC-1.0 (``chmgraph.canonical``), statements are sorted and prefixes
are fixed, so the same graphs give the same bytes whatever the load order or the machine; a file
whose bytes did not change is not rewritten, so its modification time (an HTTP server's
``Last-Modified``) stays put. Every file is written to a temporary name and renamed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.canonical import canonical_lines, turtle_statements
from chmgraph.errors import ChmgraphError, InputError
from chmgraph.publish import changes, describe
from chmgraph.publish.changes import Previous
from chmgraph.publish.files import (
    CHANGES_FILE,
    INFERRED_NQUADS,
    INFERRED_TRIG,
    NETWORK_NQUADS,
    NETWORK_TRIG,
    NOT_DUMPED_PREDICATES,
    NQUADS,
    QUERIES_FILE,
    TRIG,
    TURTLE,
    VOID_FILE,
    Dump,
    DumpFile,
    Progress,
    dumped_graphs,
    graph_file,
    inferred_graphs,
)
from chmgraph.query.library import QueryLibrary
from chmgraph.settings import Settings
from chmgraph.store import GraphStore
from chmgraph.version import __version__

# Level 6 is zlib's default: a tenth of level 9's time for nearly the same size.
_GZIP_LEVEL = 6


def dump_network(
    store: GraphStore,
    out: str | Path,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Dump:
    """Dump every graph of ``store`` under ``out`` (see the module docstring for the files)."""
    settings = settings or Settings.from_env()
    _check_base_url(settings.dump_base_url)
    out = Path(out)
    _make_directory(out)
    graphs = dumped_graphs(store)
    previous = changes.read_previous(out)
    dump = Dump(out=out, graphs=graphs)
    writer = _Writer(dump, progress, total=4 * len(graphs) + 11)
    _write_data(store, graphs, writer)
    _write_inferred(store, writer)
    _write_description(store, previous, writer, settings)
    _remove_stale(dump, previous.files)
    return dump


def dump_if_stale(
    store: GraphStore,
    out: str | Path,
    *,
    record: Path,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Dump | None:
    """``dump_network``, unless ``record`` says the dump at ``out`` was made from the state
    ``store`` is in now, with these settings, and its files are all there (then None, and
    nothing is written). After a dump, ``record`` holds its state."""
    settings = settings or Settings.from_env()
    state = dump_state(store, settings)
    out = Path(out)
    if _recorded(record, out) == state:
        return None
    dump = dump_network(store, out, settings=settings, progress=progress)
    files = {f.path: f.size for f in dump.files}
    data = json.dumps({"state": state, "files": files}, indent=1, sort_keys=True)
    write_atomic(record, data.encode() + b"\n")
    return dump


def dump_state(store: GraphStore, settings: Settings) -> dict[str, object]:
    """What a dump is made of: a digest of each dumped (and inferred) graph's statements in the
    store's order, of the query library, the ``dump_*`` settings and chmgraph's version."""
    graphs = {
        g: hashlib.sha256(graph_ntriples(store, g)).hexdigest()
        for g in [*dumped_graphs(store), *inferred_graphs(store)]
    }
    queries = canonical_turtle(QueryLibrary.load().triples())  # its blank nodes labelled
    dump_settings = {k: v for k, v in asdict(settings).items() if k.startswith("dump_")}
    return {
        "version": __version__,
        "settings": dump_settings,
        "graphs": graphs,
        "queries": hashlib.sha256(queries).hexdigest(),
    }


def _recorded(record: Path, out: Path) -> object:
    """The state ``record`` holds, if every file it lists is at ``out`` with its size."""
    try:
        found = json.loads(record.read_text(encoding="utf-8"))
        files = found["files"]
        if not all((out / path).stat().st_size == size for path, size in files.items()):
            return None
        return found["state"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _check_base_url(url: str) -> None:
    if not url:
        raise InputError(
            "a dump needs the URL it will be served under: give --base-url URL (or set "
            "CHMGRAPH_DUMP_BASE_URL); every download link in void.ttl starts with it"
        )
    if not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE) or not url.endswith("/"):
        raise InputError(
            f"dump_base_url {url!r} must be an absolute URL ending with '/' (the dump's files are "
            "found under it)"
        )


def network_trig(store: GraphStore) -> bytes:
    """The dumped graphs of ``store`` as deterministic TriG (the bytes of ``network.trig``)."""
    graphs = dumped_graphs(store)
    joint = canonical_lines({g: graph_ntriples(store, g) for g in graphs}, jointly=True)
    return _trig(graphs, {g: turtle_statements(joint[g], iris.PREFIXES) for g in graphs})


def graph_ntriples(store: GraphStore, graph: str) -> bytes:
    """The dumped statements of ``graph`` (all but ``NOT_DUMPED_PROPERTIES``) as N-Triples, in
    the store's order."""
    buffer = io.BytesIO()
    store.dump(buffer, ox.RdfFormat.N_TRIPLES, graph=graph)
    data = buffer.getvalue()
    return _without_archives(data) if graph == iris.SUBMISSIONS_GRAPH else data


def _without_archives(ntriples: bytes) -> bytes:
    # A line is "<subject> <predicate> object ." and a subject holds no space.
    return b"".join(
        line
        for line in ntriples.splitlines(keepends=True)
        if line.split(b" ", 2)[1] not in NOT_DUMPED_PREDICATES
    )


def turtle_header(prefixes: Mapping[str, str] = iris.PREFIXES) -> bytes:
    """The fixed prefix declarations a Turtle or TriG file of a dump starts with."""
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items()).encode()


def canonical_turtle(
    triples: Iterable[ox.Triple], prefixes: Mapping[str, str] = iris.PREFIXES
) -> bytes:
    """Triples as deterministic Turtle: canonical blank nodes, sorted statements, fixed prefixes."""
    ntriples = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    lines = canonical_lines({iris.GRAPH: ntriples})[iris.GRAPH]
    return turtle_header(prefixes) + turtle_statements(lines, prefixes)


def deterministic_gzip(data: bytes) -> bytes:
    """gzip bytes without a timestamp or file name, so equal input gives equal output.

    >>> deterministic_gzip(b"x") == deterministic_gzip(b"x")
    True
    """
    return gzip.compress(data, compresslevel=_GZIP_LEVEL, mtime=0)


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` at ``path`` through a temporary name; False when the bytes were already
    there (then nothing is touched)."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as exc:  # an interrupted dump leaves no temporary file behind
        temporary.unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise
        raise ChmgraphError(f"{path}: cannot write dump file: {exc.strerror or exc}") from None
    return True


def _write_data(store: GraphStore, graphs: Sequence[str], writer: _Writer) -> None:
    """Each graph's Turtle file, the query library, the network as TriG and N-Quads."""
    raw = {g: graph_ntriples(store, g) for g in graphs}
    alone = canonical_lines(raw)
    joint = canonical_lines(raw, jointly=True) if any(b"_:" in d for d in raw.values()) else alone
    del raw
    bodies: dict[str, bytes] = {}
    for graph in graphs:
        bodies[graph] = turtle_statements(alone[graph], iris.PREFIXES)
        writer.write_both(graph_file(graph), TURTLE, turtle_header() + bodies[graph], graph)
    if iris.QUERIES_GRAPH not in graphs:
        _write_query_library(writer)
    # A graph's block in the TriG is its own file's body unless joint canonicalization labelled
    # its blank nodes differently.
    for graph in graphs:
        if joint[graph] != alone[graph]:
            bodies[graph] = turtle_statements(joint[graph], iris.PREFIXES)
    writer.write_both(NETWORK_TRIG, TRIG, _trig(graphs, bodies))
    del bodies
    writer.write_both(NETWORK_NQUADS, NQUADS, _nquads(graphs, joint))


def _write_inferred(store: GraphStore, writer: _Writer) -> None:
    """What the vocabulary entails from each graph, as ``inferred.trig`` and ``inferred.nq``."""
    graphs = inferred_graphs(store)
    if not graphs:
        return
    raw = {g: graph_ntriples(store, g) for g in graphs}
    joint = canonical_lines(raw, jointly=True)
    bodies = {g: turtle_statements(joint[g], iris.PREFIXES) for g in graphs}
    writer.write_both(INFERRED_TRIG, TRIG, _trig(graphs, bodies))
    writer.write_both(INFERRED_NQUADS, NQUADS, _nquads(graphs, joint))


def _write_description(
    store: GraphStore, previous: Previous, writer: _Writer, settings: Settings
) -> None:
    """``changes.ttl``, then ``void.ttl`` (last: it lists only files already complete)."""
    change_log = changes.change_log(previous, writer.dump, store=store, settings=settings)
    writer.write(CHANGES_FILE, TURTLE, canonical_turtle(change_log, describe.PREFIXES))
    description = describe.describe_dump(store, writer.dump, settings=settings)
    writer.write(VOID_FILE, TURTLE, canonical_turtle(description, describe.PREFIXES))


def _trig(graphs: Sequence[str], blocks: Mapping[str, bytes]) -> bytes:
    parts = [turtle_header()]
    for graph in graphs:
        parts += [f"<{graph}> {{\n".encode(), blocks[graph], b"}\n"]
    return b"".join(parts)


def _nquads(graphs: Sequence[str], joint: Mapping[str, list[bytes]]) -> bytes:
    # An N-Triples line ends with " .\n" and never holds a raw newline, so the graph name goes
    # before each line end.
    return b"".join(b"".join(joint[g]).replace(b" .\n", f" <{g}> .\n".encode()) for g in graphs)


def _write_query_library(writer: _Writer) -> None:
    library = QueryLibrary.load()
    if len(library):
        data = canonical_turtle(library.triples())
        writer.write_both(QUERIES_FILE, TURTLE, data, iris.QUERIES_GRAPH)


def _remove_stale(dump: Dump, previous_files: Sequence[str]) -> None:
    current = {f.path for f in dump.files}
    for path in previous_files:
        if path not in current:
            (dump.out / path).unlink(missing_ok=True)
            dump.removed.append(path)


def _make_directory(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ChmgraphError(f"{out}: cannot create dump directory: {exc.strerror or exc}") from None


class _Writer:
    """Writes the files of a dump, records them and reports progress."""

    def __init__(self, dump: Dump, progress: Progress | None, total: int) -> None:
        self.dump, self.progress, self.total = dump, progress, total

    def write_both(self, path: str, media_type: str, data: bytes, graph: str | None = None) -> None:
        """Write ``data`` at ``path`` and compressed at ``path.gz``."""
        self.write(path, media_type, data, graph)
        self.write(path + ".gz", media_type, deterministic_gzip(data), graph, compressed=True)

    def write(
        self,
        path: str,
        media_type: str,
        data: bytes,
        graph: str | None = None,
        *,
        compressed: bool = False,
    ) -> None:
        if write_atomic(self.dump.out / path, data):
            self.dump.rewritten.append(path)
        digest = hashlib.sha256(data).hexdigest()
        self.dump.files.append(DumpFile(path, media_type, len(data), digest, graph, compressed))
        if self.progress:
            self.progress(path, len(self.dump.files), max(self.total, len(self.dump.files)))

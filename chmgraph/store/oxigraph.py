"""The embedded backend: an Oxigraph store on disk (RocksDB), or in memory for tests."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from chmgraph.errors import StoreError, StoreInUse, SyntaxGateError
from chmgraph.rdfio import detect_format
from chmgraph.store.base import (
    Capabilities,
    GraphStore,
    Guard,
    LoadProgress,
    QueryResult,
    check_dataset,
)
from chmgraph.store.snapshots import Snapshot, Snapshots


class OxigraphStore(GraphStore):
    """An Oxigraph store at ``path``, or in memory when ``path`` is None.

    A store on disk opened to write holds its lock, and publishes every change it commits as a
    snapshot for readers (``chmgraph.store.snapshots``). ``read_only`` opens the newest snapshot
    instead: a reader takes no lock, never waits for a writer, and sees one committed state, the
    one before a writer's commit or the one after. A store in a folder this process cannot write
    (a read-only disk) has no writer: it is opened read-only as it is.

    >>> with OxigraphStore(None) as store:
    ...     store.add([ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"),
    ...                        ox.Literal("o"), ox.NamedNode("http://e/g"))])
    ...     store.graphs(), store.count("http://e/g")
    (['http://e/g'], 1)
    """

    # One update request is one RocksDB transaction; the union of the named graphs is one index.
    capabilities = Capabilities(
        union_default_graph=True, atomic_update=True, server_timeout=False, bulk_load=True
    )

    def __init__(
        self, path: Path | None, *, read_only: bool = False, snapshot: Snapshot | None = None
    ) -> None:
        self.path = path
        self.location = str(path) if path is not None else "memory"
        self._snapshot = snapshot
        if snapshot is not None:
            self._store = snapshot.store
        else:
            self._store = _open(path, read_only=read_only)
        self._read_only = read_only or snapshot is not None
        # A guarded update reads its condition and writes in one transaction; serializing this
        # process's updates makes that read-then-write atomic however the engine isolates them
        # (other processes are kept out by the store's own lock).
        self._updating = threading.RLock()
        self.generation = 0
        # The graphs that hold a triple, for the generation they were listed in (``graphs``).
        self._graphs: tuple[int, list[str]] | None = None
        writer = path is not None and snapshot is None and not read_only
        self._snapshots = Snapshots(path) if writer and path is not None else None
        self._changing = 0  # depth of one_change() blocks
        self._unpublished = False
        # The number of the snapshot that holds this writer's committed state (None: unknown).
        self._published: int | None = None
        self._identity_text: str | None = None
        # Since the last publication: each replaced graph's digest ("" emptied, None added to),
        # and the writes not followed that way (any but ``replace_graphs``).
        self._delta: dict[str, str | None] = {}
        self._unfollowed = 0
        self._content_keys: dict[tuple[int, tuple[str, ...]], str | None] = {}
        # The snapshots this writer published, newest last: each with the one before it and the
        # graphs replaced since (None: a write not followed).
        self._followed: list[tuple[int, int | None, dict[str, str | None] | None]] = []
        if self._snapshots is not None:
            if self._snapshots.pending():
                # A writer before this one committed and died before publishing (or the store
                # predates snapshots): readers catch up now.
                self._published = self._snapshots.publish(self._store)
            else:
                self._published = max(self._snapshots.numbers(), default=None)

    @classmethod
    def reader(cls, path: Path, snapshot: Snapshot) -> OxigraphStore:
        """A reader of the store at ``path`` over its open ``snapshot``."""
        return cls(path, snapshot=snapshot)

    @contextmanager
    def one_change(self) -> Iterator[None]:
        with self._updating:
            self._changing += 1
            try:
                yield
            finally:
                self._changing -= 1
                self._publish_if_done()

    def _writing(self) -> None:
        self._unfollowed += 1
        self.generation += 1
        if self._snapshots is not None and not self._unpublished:
            self._snapshots.mark_pending()
        self._unpublished = True

    def _written(self) -> None:
        # Once more when the write is over: what a reader derived while it ran (from the
        # generation it began) is not taken for the state after it.
        self.generation += 1
        self._publish_if_done()

    def _publish_if_done(self) -> None:
        if self._snapshots is not None and self._unpublished and not self._changing:
            before = self._published
            self._published = self._snapshots.publish(self._store)
            self._unpublished = False
            self._follow_content(before)

    def replace_graphs(
        self,
        new_contents: Mapping[str, Iterable[ox.Triple]],
        *,
        add: Iterable[ox.Quad] = (),
        guard: Guard | None = None,
    ) -> bool:
        # The one write whose effect is known without reading the store back: the snapshot it
        # is published in can say what each graph holds (``content_key``).
        contents = {iri: list(triples) for iri, triples in new_contents.items()}
        added = list(add)
        with self.one_change():
            written = super().replace_graphs(contents, add=added, guard=guard)
            self._unfollowed -= 1  # that update, followed here
            if written:
                # As stored (literals in their canonical form), as ``record_content`` reads them.
                self._delta |= {iri: self._digest(iri) if t else "" for iri, t in contents.items()}
                self._delta |= {q.graph_name.value: None for q in added}  # type: ignore[union-attr]
        return written

    def _digest(self, iri: str) -> str:
        """The SHA-256 of graph ``iri`` as Oxigraph writes it: its statements in the order of
        its index, which their terms' encodings (hashes of the terms) decide, so the same
        statements give the same bytes; equal digests, equal statements."""
        digest = hashlib.sha256()
        self._store.dump(
            _Hashing(digest), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(iri)
        )
        return digest.hexdigest()

    def _follow_content(self, before: int | None) -> None:
        """Record what the snapshot just published holds, from the newest snapshot before it
        whose content is recorded and the graphs replaced since, when every write since was a
        replacement (a reader may record an older snapshot's content while this writer goes on:
        the states since are followed from it)."""
        delta = None if self._unfollowed else self._delta
        self._delta, self._unfollowed = {}, 0
        if self._snapshots is None or self._published is None:
            return
        self._followed.append((self._published, before, delta))
        del self._followed[:-_FOLLOWED]
        steps: list[dict[str, str | None]] = []
        at = len(self._followed) - 1
        while True:
            _, previous, change = self._followed[at]
            if change is None or previous is None:
                return
            steps.append(change)
            held = self._snapshots.content(previous)
            if held is not None:
                break
            at -= 1  # on to the publication that made ``previous``, if this writer's
            if at < 0 or self._followed[at][0] != previous:
                return
        for change in reversed(steps):
            for iri, digest in change.items():
                if digest == "":
                    held.pop(iri, None)
                else:
                    held[iri] = digest
        self._snapshots.record_content(self._published, held)

    def content_key(self, outside: Sequence[str] = ()) -> str | None:
        number = self._state_number()
        if number is None or self.path is None:
            return None
        key = (number, tuple(sorted(outside)))
        if key not in self._content_keys:
            held = Snapshots(self.path).content(number)
            found = None
            if held is not None:
                inside = {iri: d for iri, d in held.items() if iri not in outside}
                if None not in inside.values():
                    text = json.dumps(sorted(inside.items()))
                    found = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
            self._content_keys[key] = found
        return self._content_keys[key]

    def record_content(self, unknown: Sequence[str] = ()) -> bool:
        """Read every graph of this reader's snapshot (but those ``unknown``: left unread,
        recorded as not known) and record its digests, so that its ``content_key`` and those
        of the states that follow by replacements are known; whether it was recorded (only a
        reader over a snapshot can)."""
        if self._snapshot is None or self.path is None:
            return False
        digests = {iri: None if iri in unknown else self._digest(iri) for iri in self.graphs()}
        Snapshots(self.path).record_content(self._snapshot.number, digests)
        self._content_keys.clear()
        return True

    def _state_number(self) -> int | None:
        if self._snapshot is not None:
            return self._snapshot.number
        if self._snapshots is None or self._unpublished or self._changing:
            return None
        return self._published

    @property
    def state(self) -> str | None:
        # The store's identity (RocksDB's, new with each store made at this path) and the
        # number of the snapshot of its committed state: a reader over that snapshot and the
        # writer that published it name the same state. None while a write is unpublished.
        if self.path is None:
            return None
        number = self._state_number()
        identity = self._identity()
        if number is None or identity is None:
            return None
        return f"{identity}-{number}"

    def _identity(self) -> str | None:
        if self._identity_text is None:
            try:
                text = (self.path / "IDENTITY").read_text(encoding="ascii").strip()  # type: ignore[operator]
            except (OSError, ValueError):
                return None
            self._identity_text = "".join(c for c in text if c.isalnum())[:40] or None
        return self._identity_text

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        union: bool = False,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        check_dataset(default_graph, union)
        return self._store.query(
            sparql,
            use_default_graph_as_union=union,
            default_graph=_nodes(default_graph),
            named_graphs=_nodes(named_graphs),
        )

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        with self._updating:
            self._writing()
            try:
                self._store.update(sparql, base_iri=base_iri)
            finally:
                self._written()

    def add(self, quads: Iterable[ox.Quad]) -> None:
        with self._updating:
            self._writing()
            try:
                self._store.extend(quads)
            finally:
                self._written()

    def bulk_load(
        self,
        source: Iterable[ox.Quad] | Path,
        *,
        to_graph: str | None = None,
        progress: LoadProgress | None = None,
    ) -> None:
        with self._updating:
            self._writing()
            try:
                self._bulk_load(source, to_graph, progress)
            finally:
                self._written()

    def _bulk_load(
        self,
        source: Iterable[ox.Quad] | Path,
        to_graph: str | None,
        progress: LoadProgress | None,
    ) -> None:
        if not isinstance(source, Path):
            self._store.bulk_extend(source)
            return
        graph = ox.NamedNode(to_graph) if to_graph else None
        with source.open("rb") as stream:
            reader = (
                _CountingReader(stream, source.stat().st_size, progress) if progress else stream
            )
            try:
                self._store.bulk_load(reader, format=detect_format(source), to_graph=graph)
            except SyntaxError as exc:
                raise SyntaxGateError(str(source), exc.lineno, exc.offset, exc.msg) from None
        self._store.flush()

    def graphs(self) -> list[str]:
        # Listed once per generation: a query that reads named graphs plans with this list,
        # and listing costs a lookup per graph (tens of milliseconds for thousands of graphs).
        generation, known = self.generation, self._graphs
        if known is not None and known[0] == generation:
            return list(known[1])
        # A graph emptied by a guarded update (a withdrawn national graph) stays named in
        # Oxigraph; the contract lists graphs that hold a triple.
        found = sorted(
            g.value
            for g in self._store.named_graphs()
            if isinstance(g, ox.NamedNode)
            and next(iter(self._store.quads_for_pattern(None, None, None, g)), None) is not None
        )
        if self.generation == generation:  # no write began or ended meanwhile
            self._graphs = (generation, found)
        return list(found)

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            return len(self._store)
        result = self._store.query(
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph=ox.NamedNode(graph)
        )
        return int(next(iter(result))["n"].value)

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        name = ox.NamedNode(graph) if graph is not None else None
        return iter(self._store.quads_for_pattern(None, None, None, name))

    def dump(self, output: BinaryIO | Path, format: ox.RdfFormat, graph: str | None = None) -> None:
        from_graph = ox.NamedNode(graph) if graph is not None else None
        self._store.dump(output, format=format, from_graph=from_graph)

    def as_stored(self, triples: Iterable[ox.Triple]) -> list[ox.Triple]:
        # Oxigraph canonicalizes XSD numeric, boolean and date/time literals on the way in; an
        # in-memory store of the same engine shows the form without touching this one.
        scratch = ox.Store()
        scratch.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        return [q.triple for q in scratch]

    def optimize(self) -> None:
        # Writes made one transaction at a time leave recent data in the write-ahead log and
        # many small files; the same queries run about 15% faster on the store compacted.
        if not self._read_only:
            self._store.flush()
            self._store.optimize()

    def close(self) -> None:
        if self._store is None:
            return
        with self._updating:
            self._publish_if_done()
        # pyoxigraph releases the store, and its lock, when the last reference goes away.
        self._store = None  # type: ignore[assignment]
        if self._snapshot is not None:
            self._snapshot.release()


# How many of its publications a writer remembers the changes of.
_FOLLOWED = 256


def _open(path: Path | None, *, read_only: bool) -> ox.Store:
    if path is None:
        return ox.Store()
    try:
        if read_only:
            return ox.Store.read_only(str(path))
        return ox.Store(str(path))
    except OSError as exc:
        if "lock" in str(exc).lower():
            raise StoreInUse(f"store at {path} is in use by another process") from None
        raise StoreError(f"store at {path} cannot be opened: {_reason(exc)}") from None
    except RuntimeError as exc:  # RocksDB reports a damaged or half-written store this way
        raise StoreError(f"store at {path} cannot be opened: {exc}") from None


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc).removeprefix("IO error: ")


def _nodes(iris: Sequence[str] | None) -> list[ox.NamedNode] | None:
    return None if iris is None else [ox.NamedNode(i) for i in iris]


class _Hashing(io.RawIOBase):
    """A file that hashes what is written to it."""

    def __init__(self, digest: hashlib._Hash) -> None:
        self._digest = digest

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[no-untyped-def, override]
        self._digest.update(data)
        return len(data)


class _CountingReader(io.RawIOBase):
    """A binary stream that reports how many bytes have been read, for a progress bar."""

    def __init__(self, stream: BinaryIO, total: int, progress: LoadProgress) -> None:
        self._stream, self._total, self._progress, self._done = stream, total, progress, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._done += len(data)
        self._progress(self._done, self._total)
        return data

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

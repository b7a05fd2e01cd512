"""The network's store: named graphs behind one interface, with an embedded Oxigraph backend.

>>> from chmgraph.store import open_store
>>> with open_store(None) as store:
...     store.count()
0
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from chmgraph.errors import StoreError, StoreInUse
from chmgraph.store.base import Capabilities, GraphStore, Guard, QueryResult, replacement_update
from chmgraph.store.oxigraph import OxigraphStore
from chmgraph.store.remote import Credentials, RemoteStore, is_remote
from chmgraph.store.snapshots import Snapshots

__all__ = [
    "Capabilities",
    "Credentials",
    "GraphStore",
    "Guard",
    "OxigraphStore",
    "QueryResult",
    "RemoteStore",
    "is_remote",
    "open_store",
    "replacement_update",
]

_LOG = logging.getLogger(__name__)

# How often a process waiting for another one's lock tries again.
_LOCK_RETRY_S = 0.05
# How many times a reader lists the snapshots again when a writer replaced the newest meanwhile.
_READER_ATTEMPTS = 20


def open_store(
    path: Path | str | None,
    *,
    create: bool = False,
    read_only: bool = False,
    wait_s: float = 0.0,
    credentials: Credentials | None = None,
    timeout_s: float = 60.0,
    graphs_ttl_s: float = 0.0,
) -> GraphStore:
    """The store at ``path`` (None: a new in-memory store), or the remote engine it names
    (``oxigraph+http://host:port``: ``chmgraph.store.remote``, with ``credentials``; each request
    bounded by ``timeout_s``; its list of graphs kept ``graphs_ttl_s``).

    Without ``create``, a path that holds no store is an error rather than a new empty store, so a
    mistyped ``--store`` never silently starts an empty network. A store on disk is written by one
    process at a time: ``wait_s`` is how long a writer waits for another one to let it go before
    giving up (``StoreInUse``), so that two stewards' commands run one after the other, not one
    failing. ``read_only`` opens a reader, which never waits for a writer: it reads the newest
    committed state the writers published (``chmgraph.store.snapshots``).
    """
    if path is None:
        return OxigraphStore(None)
    if is_remote(str(path)):
        return RemoteStore(
            str(path), credentials=credentials, timeout_s=timeout_s, graphs_ttl_s=graphs_ttl_s
        )
    path = Path(path)
    if not create and not (path / "CURRENT").is_file():
        raise StoreError(f"no store at {path}: create one with `chmgraph init --store {path}`")
    if create:
        _make_directory(path)
    if read_only:
        return _open_reader(path, wait_s)
    return _open_writer(path, wait_s)


def _open_writer(path: Path, wait_s: float) -> OxigraphStore:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return OxigraphStore(path)
        except StoreInUse as exc:
            if time.monotonic() >= deadline:
                if not wait_s:
                    raise
                raise StoreInUse(
                    f"{exc} (waited {wait_s:g} s: setting store_wait_s, environment "
                    "CHMGRAPH_STORE_WAIT_S)"
                ) from None
            time.sleep(_LOCK_RETRY_S)


def _open_reader(path: Path, wait_s: float) -> OxigraphStore:
    if not os.access(path, os.W_OK):
        # No process can write here (a read-only disk, a folder not ours): nothing changes
        # under a lock-free reader of the store itself.
        return OxigraphStore(path, read_only=True)
    shelf = Snapshots(path)
    for _ in range(_READER_ATTEMPTS):
        if shelf.pending():
            _catch_up(path, wait_s if not shelf.numbers() else 0.0)
        snapshot = shelf.open_newest()
        if snapshot is not None:
            return OxigraphStore.reader(path, snapshot)
    raise StoreError(f"store at {path}: no snapshot could be opened for reading; try again")


def _catch_up(path: Path, wait_s: float) -> None:
    """Publish the store's state when its newest snapshot may be behind, unless a writer holds
    it (that writer publishes its own commits). With no snapshot at all (a store built before
    snapshots, or being built), wait for the writer up to ``wait_s``."""
    try:
        _open_writer(path, wait_s).close()
    except StoreInUse:
        if not Snapshots(path).numbers():
            raise
    except StoreError as exc:
        # The store cannot be opened to write (a full disk): the newest snapshot is a whole,
        # earlier version, and readers still read it.
        if not Snapshots(path).numbers():
            raise
        _LOG.warning("reading the last published version: %s", exc)


def _make_directory(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"store at {path} is not writable: {exc.strerror or exc}") from None
    if not path.is_dir():
        raise StoreError(f"store at {path} is not a directory")

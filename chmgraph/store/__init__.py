"""The network's store: named graphs behind one interface, with an embedded Oxigraph backend.

>>> from chmgraph.store import open_store
>>> with open_store(None) as store:
...     store.count()
0
"""

from __future__ import annotations

import time
from pathlib import Path

from chmgraph.errors import StoreError, StoreInUse
from chmgraph.store.base import Capabilities, GraphStore, Guard, QueryResult, replacement_update
from chmgraph.store.oxigraph import OxigraphStore
from chmgraph.store.remote import Credentials, RemoteStore, is_remote

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

# How often a process waiting for another one's lock tries again.
_LOCK_RETRY_S = 0.05


def open_store(
    path: Path | str | None,
    *,
    create: bool = False,
    read_only: bool = False,
    wait_s: float = 0.0,
    credentials: Credentials | None = None,
    timeout_s: float = 60.0,
) -> GraphStore:
    """The store at ``path`` (None: a new in-memory store), or the remote engine it names
    (``oxigraph+http://host:port``: ``chmgraph.store.remote``, with ``credentials``).

    Without ``create``, a path that holds no store is an error rather than a new empty store, so a
    mistyped ``--store`` never silently starts an empty network. ``read_only`` skips the lock and
    is only safe while no other process writes the store. A store on disk is held by one process
    at a time: ``wait_s`` is how long to wait for another process to let it go before giving up
    (``StoreInUse``), so that two stewards' commands run one after the other, not one failing.
    """
    if path is None:
        return OxigraphStore(None)
    if is_remote(str(path)):
        return RemoteStore(str(path), credentials=credentials, timeout_s=timeout_s)
    path = Path(path)
    if not create and not (path / "CURRENT").is_file():
        raise StoreError(f"no store at {path}: create one with `chmgraph init --store {path}`")
    if create:
        _make_directory(path)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return OxigraphStore(path, read_only=read_only)
        except StoreInUse as exc:
            if time.monotonic() >= deadline:
                if not wait_s:
                    raise
                raise StoreInUse(
                    f"{exc} (waited {wait_s:g} s: setting store_wait_s, environment "
                    "CHMGRAPH_STORE_WAIT_S)"
                ) from None
            time.sleep(_LOCK_RETRY_S)


def _make_directory(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"store at {path} is not writable: {exc.strerror or exc}") from None
    if not path.is_dir():
        raise StoreError(f"store at {path} is not a directory")

"""The network's store: named graphs behind one interface, with an embedded Oxigraph backend.

>>> from chmgraph.store import open_store
>>> with open_store(None) as store:
...     store.count()
0
"""

from __future__ import annotations

from pathlib import Path

from chmgraph.errors import StoreError
from chmgraph.store.base import GraphStore, QueryResult, replacement_update
from chmgraph.store.oxigraph import OxigraphStore

__all__ = ["GraphStore", "OxigraphStore", "QueryResult", "open_store", "replacement_update"]


def open_store(path: Path | None, *, create: bool = False, read_only: bool = False) -> GraphStore:
    """The store at ``path`` (None: a new in-memory store).

    Without ``create``, a path that holds no store is an error rather than a new empty store, so a
    mistyped ``--store`` never silently starts an empty network. ``read_only`` skips the lock and
    is only safe while no other process writes the store.
    """
    if path is None:
        return OxigraphStore(None)
    path = Path(path)
    if not create and not (path / "CURRENT").is_file():
        raise StoreError(f"no store at {path}: create one with `chmgraph init --store {path}`")
    if create:
        _make_directory(path)
    return OxigraphStore(path, read_only=read_only)


def _make_directory(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"store at {path} is not writable: {exc.strerror or exc}") from None
    if not path.is_dir():
        raise StoreError(f"store at {path} is not a directory")

"""Readers beside a writer: every commit to an embedded store is published as a snapshot.

Oxigraph's store on disk admits one writing process (RocksDB's lock), and leaves undefined what a
lock-free ``Store.read_only`` opening sees while another process writes (the writer's compactions
delete files such a reader still needs). So the writer publishes each committed state instead:
``Store.backup`` makes a RocksDB checkpoint (hard links to the immutable table files, a flushed
memtable), a whole point-in-time copy that no process ever writes again, into
``<store>.snapshots/<n>``. A reader opens the newest one read-only, which is well defined, and
holds a shared ``flock`` on ``<n>.lock`` while it reads; the writer removes an older snapshot only
when it can take that lock exclusively, so no reader loses the files under it.

A writer killed after its commit and before its snapshot leaves the ``PENDING`` mark it set
before writing: the next process that can take the store's lock (a writer, or a reader finding
the store free) publishes the store's state first, so readers catch up.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

_LOG = logging.getLogger(__name__)

SUFFIX = ".snapshots"
_PENDING = "PENDING"
_PARTIAL = ".partial-"
_TRASH = ".trash-"
_CONTENT = ".content.json"
# How many snapshots' contents stay recorded after the snapshots are gone.
_CONTENTS_KEPT = 64


@dataclass
class Snapshot:
    """An open snapshot: its read-only store and the shared lock that keeps it on disk."""

    store: ox.Store
    number: int
    _lock: int

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._lock)


class Snapshots:
    """The published snapshots of the store at ``path`` (``<path>.snapshots``)."""

    def __init__(self, path: Path) -> None:
        self.root = path.with_name(path.name + SUFFIX)

    # The writer's side: called only by the process holding the store's lock.

    def mark_pending(self) -> None:
        """Record that the store is about to change and its newest snapshot may fall behind."""
        try:
            self.root.mkdir(exist_ok=True)
            (self.root / _PENDING).touch()
        except OSError as exc:
            _LOG.warning("cannot mark %s: %s", self.root, exc)

    def publish(self, store: ox.Store) -> int | None:
        """Publish ``store``'s committed state as the newest snapshot, then remove the older ones
        no reader holds; its number. A failure (a full disk) leaves the ``PENDING`` mark for the
        next process to publish (None): the commit itself stands."""
        try:
            number = self._publish(store)
        except OSError as exc:
            _LOG.warning("cannot publish a snapshot in %s: %s", self.root, exc)
            return None
        with contextlib.suppress(FileNotFoundError):
            (self.root / _PENDING).unlink()
        self._collect()
        return number

    def _publish(self, store: ox.Store) -> int:
        self.root.mkdir(exist_ok=True)
        number = max(self.numbers(), default=0) + 1
        partial = self.root / f"{_PARTIAL}{number}"
        shutil.rmtree(partial, ignore_errors=True)
        try:
            store.backup(str(partial))
            (self.root / f"{number}.lock").touch()
            # The rename makes it visible whole: a reader lists only finished snapshots.
            partial.rename(self.root / str(number))
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        return number

    def _collect(self) -> None:
        numbers = self.numbers()
        for number in numbers[:-1]:
            self._remove_unread(number)
        # A snapshot's content outlives it a while: the next ones' are followed from it.
        oldest_content = (numbers[-1] if numbers else 0) - _CONTENTS_KEPT
        for leftover in self.root.iterdir():
            if leftover.name.startswith((_PARTIAL, _TRASH)):
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        leftover.unlink()
            elif leftover.name.endswith(_CONTENT):
                number = leftover.name[: -len(_CONTENT)]
                if number.isdigit() and int(number) < oldest_content:
                    with contextlib.suppress(FileNotFoundError):
                        leftover.unlink()

    def _remove_unread(self, number: int) -> None:
        lock_path = self.root / f"{number}.lock"
        try:
            lock = os.open(lock_path, os.O_RDONLY)
        except FileNotFoundError:
            lock = None
        try:
            if lock is not None:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return  # a reader holds it: removed by a later commit
            trash = self.root / f"{_TRASH}{number}"
            with contextlib.suppress(FileNotFoundError):
                (self.root / str(number)).rename(trash)
            shutil.rmtree(trash, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                lock_path.unlink()
        finally:
            if lock is not None:
                os.close(lock)

    # What each snapshot holds, graph by graph (``chmgraph.store.content``): written by the
    # writer that published it, or by a reader that read it whole.

    def content_path(self, number: int) -> Path:
        return self.root / f"{number}{_CONTENT}"

    def content(self, number: int) -> dict[str, str | None] | None:
        """Snapshot ``number``'s digest of each graph (None: a graph changed in a way not
        followed), or None when it was not recorded."""
        try:
            found = json.loads(self.content_path(number).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def record_content(self, number: int, digests: dict[str, str | None]) -> None:
        """Record snapshot ``number``'s digest of each graph (written whole, or not at all)."""
        path = self.content_path(number)
        partial = path.with_name(f"{_PARTIAL}{os.getpid()}-{path.name}")
        try:
            partial.write_text(json.dumps(digests, sort_keys=True), encoding="utf-8")
            partial.replace(path)
        except OSError as exc:
            _LOG.warning("cannot record %s: %s", path, exc)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()

    # The reader's side: any process, no lock on the store.

    def numbers(self) -> list[int]:
        """The published snapshots, oldest first."""
        try:
            names = [p.name for p in self.root.iterdir()]
        except OSError:
            return []
        return sorted(int(n) for n in names if n.isdigit())

    def pending(self) -> bool:
        """Whether the newest snapshot may be older than the store: none yet, or a writer
        marked a change it has not published (it may still be running)."""
        return not self.numbers() or (self.root / _PENDING).exists()

    def open_newest(self) -> Snapshot | None:
        """The newest snapshot, opened read-only and held; None when there is none, or when a
        writer removed it between listing and locking (list again)."""
        numbers = self.numbers()
        if not numbers:
            return None
        number = numbers[-1]
        try:
            lock = os.open(self.root / f"{number}.lock", os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(lock, fcntl.LOCK_SH)
            where = self.root / str(number)
            if not (where / "CURRENT").is_file():
                os.close(lock)
                return None
            return Snapshot(ox.Store.read_only(str(where)), number, lock)
        except OSError as exc:
            _LOG.warning("cannot open snapshot %s: %s", number, exc)
            os.close(lock)
            return None
        except BaseException:
            os.close(lock)
            raise

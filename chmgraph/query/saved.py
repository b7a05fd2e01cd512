"""Saved answers: the query library's answers computed once for a state of the network, on disk.

A network of ten million triples answers some library questions in minutes (every country's
workshops grouped and their titles listed; half a million attendances sorted). Their answers
change only when the network does, so each is computed once per state and saved beside the
store, in ``<store>.answers/<state>/``; every reader of that state (the server's ``/sparql`` and
pages, the CLI, another process) reads it from there, its first row at once.

A state is the store's own name for its committed state (``GraphStore.state``: the embedded
store's identity and the number of the snapshot it published after its last commit), so an answer
is never read for a state it was not computed in, and no write, whoever makes it (a submission, a
rollback, a harvest, a Graph Store Protocol request), can leave a stale one behind: the next state
has a new name and no answers until they are computed for it. A backend that cannot name its
states (a remote engine other clients write) has none.

What is saved (``refresh``): each library query with its default parameters, as ``run_query``
and the server's ``/sparql`` run it: its prepared text with the ``max_rows`` cap as its outermost
``LIMIT``, plus one row, so a reader can tell that an answer was cut. A reader asking for at most
that many rows (``run_query``'s default, the server's cap, a smaller ``--limit``) gets the first
rows of the saved answer, which are that smaller query's answer; a reader asking for more (an
offset past them) runs the query. The triples of a ``CONSTRUCT`` or ``DESCRIBE`` answer are saved
the same way: at most that many, which a reader asking for no more reads. A query's ``BASE`` (the
endpoint's URL the server adds) is left out of its key when its text has no relative IRI, the
only place a base matters.

Files are written whole (a temporary name, then a rename), SPARQL results as TSV and triples as
N-Triples, in a folder per state; the folders of all but the newest ``KEEP_STATES`` states are
removed when answers are saved for a new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from chmgraph.query.text import PreparedQuery
from chmgraph.query.tokens import tokens
from chmgraph.store import GraphStore

SUFFIX = ".answers"
# The states whose answers stay on disk: the newest, and a few before it, which a reader that
# opened an older snapshot may still be reading.
KEEP_STATES = 3
_TSV = ox.QueryResultsFormat.TSV
_JSON = ox.QueryResultsFormat.JSON
_RELATIVE_IRI = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.-]*:)[^>]*>")
_BASE = re.compile(r"\s*BASE\s*<[^>]*>\s*", re.IGNORECASE)
_PARTIAL = ".partial-"

Answer = ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]


class Plan(Protocol):
    """A query ready to run (``chmgraph.query.run.QueryPlan``)."""

    prepared: PreparedQuery
    default: list[str] | None
    union: bool
    named: list[str] | None

    def evaluate(self, *, cap: int | None = None, saved: bool = True) -> object: ...


@dataclass
class Refreshed:
    """What ``SavedAnswers.refresh`` did: the state, and each query's seconds (None: found
    saved already) or the reason it was not saved."""

    state: str | None
    seconds: dict[str, float | None] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


class SavedAnswers:
    """The saved answers of the store at ``path`` (``<path>.answers``)."""

    def __init__(self, path: Path) -> None:
        self.root = path.with_name(path.name + SUFFIX)

    @classmethod
    def of(cls, store: GraphStore) -> SavedAnswers | None:
        """The saved answers of ``store``, if it is a store on disk that names its states."""
        path = getattr(store, "path", None)
        return cls(path) if isinstance(path, Path) else None

    # Reading

    def lookup(
        self,
        store: GraphStore,
        text: str,
        dataset: tuple[Sequence[str] | None, bool, Sequence[str] | None],
        cap: int | None,
    ) -> Answer | None:
        """The saved answer of ``text`` over ``dataset`` (default graphs, union, named graphs)
        in the store's current state, at most ``cap`` rows (None: all of it), or None."""
        state = store.state
        if state is None:
            return None
        base = self.root / state / _key(text, dataset)
        try:
            meta = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
            if meta["form"] == "ASK":
                return ox.parse_query_results(path=base.with_suffix(".srj"), format=_JSON)
            if meta["form"] == "SELECT":
                return self._solutions(base.with_suffix(".tsv"), meta, cap)
            if not _enough(meta, cap):
                return None
            data = base.with_suffix(".nt").read_bytes()
        except (OSError, ValueError, KeyError, TypeError):
            return None
        triples = (quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
        return triples if cap is None else itertools.islice(triples, cap)

    def _solutions(self, path: Path, meta: dict, cap: int | None) -> Answer | None:
        if not _enough(meta, cap):
            return None
        if cap is not None and cap < meta["rows"]:
            with path.open("rb") as lines:
                head = b"".join(line for _, line in zip(range(cap + 1), lines, strict=False))
            return ox.parse_query_results(head, _TSV)
        return ox.parse_query_results(path=path, format=_TSV)

    # Writing

    def refresh(
        self,
        store: GraphStore,
        plans: Iterable[tuple[str, Plan | Exception]],
        *,
        cap: int,
        stop: Callable[[], bool] = lambda: False,
        progress: Callable[[str, float], None] | None = None,
    ) -> Refreshed:
        """Compute and save, for ``store``'s current state, the answer of each plan (by query
        name; an exception: the query cannot be planned) not saved yet, at most ``cap`` rows;
        older states' folders removed. ``stop`` is asked between queries. Nothing is saved when
        the state has no name, and a query's answer is dropped if a write came in while it ran.
        """
        state = store.state
        done = Refreshed(state)
        if state is None:
            return done
        folder = self.root / state
        folder.mkdir(parents=True, exist_ok=True)
        self._collect(keep=folder)
        for name, plan in plans:
            if stop() or store.state != state:
                break
            if isinstance(plan, Exception):  # a query that cannot run with its defaults
                done.skipped[name] = str(plan)
                continue
            base = folder / _key(plan.prepared.text, (plan.default, plan.union, plan.named))
            if base.with_suffix(".json").exists():
                done.seconds[name] = None
                continue
            started = time.monotonic()
            try:
                _write(base, plan.prepared.form, plan.evaluate(cap=cap, saved=False), cap, name)
            except Exception as exc:  # the engine's failure: that query is not saved
                _remove(base)
                done.skipped[name] = str(exc) or type(exc).__name__
                continue
            if store.state != state:  # a write came in meanwhile: the answer may be the new one
                _remove(base)
                break
            done.seconds[name] = time.monotonic() - started
            if progress is not None:
                progress(name, done.seconds[name])
        return done

    def clear(self) -> None:
        """Remove every saved answer."""
        shutil.rmtree(self.root, ignore_errors=True)

    def states(self) -> list[Path]:
        """The folders of states with saved answers, oldest first."""
        try:
            found = [p for p in self.root.iterdir() if p.is_dir() and _PARTIAL not in p.name]
        except OSError:
            return []
        return sorted(found, key=lambda p: p.stat().st_mtime)

    def _collect(self, keep: Path) -> None:
        older = [p for p in self.states() if p != keep]
        for folder in older[: max(0, len(older) - (KEEP_STATES - 1))]:
            shutil.rmtree(folder, ignore_errors=True)


def _enough(meta: dict, cap: int | None) -> bool:
    """Whether a saved answer described by ``meta`` holds the answer of its query capped at
    ``cap`` rows (None: not capped): it is whole, or cut at no fewer rows."""
    return bool(meta["whole"]) or (cap is not None and cap <= meta["rows"])


def _key(text: str, dataset: tuple[Sequence[str] | None, bool, Sequence[str] | None]) -> str:
    """A file name for ``text`` over ``dataset``: its digest, ``BASE`` left out where it
    cannot matter."""
    found = _BASE.match(text)
    if found and not any(
        t.lastgroup == "iri" and _RELATIVE_IRI.fullmatch(t.group()) for t in tokens(text)
    ):
        text = text[found.end() :]
    default, union, named = dataset
    data = json.dumps([text, default, union, named], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


def _write(base: Path, form: str, answer: object, cap: int, name: str) -> None:
    """Save ``answer`` at ``base``: its data file, then its ``.json`` description (what a reader
    looks for first), each written whole."""
    if isinstance(answer, ox.QueryBoolean):
        value = bool(answer)
        _whole(base.with_suffix(".srj"), lambda out: answer.serialize(out, format=_JSON))
        meta = {"form": "ASK", "rows": 1, "whole": True, "value": value}
    elif isinstance(answer, ox.QuerySolutions):
        _whole(base.with_suffix(".tsv"), lambda out: answer.serialize(out, format=_TSV))
        with base.with_suffix(".tsv").open("rb") as lines:
            rows = sum(1 for _ in lines) - 1  # TSV escapes a term's line breaks
        meta = {"form": "SELECT", "rows": rows, "whole": rows < cap}
    else:
        triples = []
        for triple in answer:  # type: ignore[attr-defined]
            if len(triples) == cap:
                break
            triples.append(triple)
        _whole(
            base.with_suffix(".nt"),
            lambda out: ox.serialize(triples, out, format=ox.RdfFormat.N_TRIPLES),
        )
        meta = {"form": form, "rows": len(triples), "whole": len(triples) < cap}
    meta["query"] = name
    _whole(base.with_suffix(".json"), lambda out: out.write(json.dumps(meta).encode()))


def _whole(path: Path, write: Callable[[object], object]) -> None:
    partial = path.with_name(f"{_PARTIAL}{os.getpid()}-{path.name}")
    try:
        with partial.open("wb") as out:
            write(out)
        partial.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _remove(base: Path) -> None:
    for suffix in (".json", ".tsv", ".srj", ".nt"):
        with contextlib.suppress(FileNotFoundError):
            base.with_suffix(suffix).unlink()

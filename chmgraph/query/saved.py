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
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib import RDF, URIRef, paths
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from chmgraph import iris
from chmgraph.entailment import inferred_graph
from chmgraph.query.library import QueryLibrary
from chmgraph.query.text import PreparedQuery, prepare
from chmgraph.query.tokens import tokens
from chmgraph.store import GraphStore

SUFFIX = ".answers"
# The states whose answers stay on disk: the newest, and a few before it, which a reader that
# opened an older snapshot may still be reading.
KEEP_STATES = 3
# The contents whose answers stay on disk: enough for a network going back and forth between a
# few versions (a rollback and its undoing) to find each one's answers.
KEEP_CONTENTS = 8
# The graphs outside the network's content: its history (the versions' records, with what they
# entail). An answer that reads none of their triples holds for every state of the same content.
OUTSIDE = (iris.SUBMISSIONS_GRAPH, inferred_graph(iris.SUBMISSIONS_GRAPH))
_CONTENT = "content-"
_TSV = ox.QueryResultsFormat.TSV
_JSON = ox.QueryResultsFormat.JSON
_RELATIVE_IRI = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.-]*:)[^>]*>")
_BASE = re.compile(r"\s*BASE\s*<[^>]*>\s*", re.IGNORECASE)
_PARTIAL = ".partial-"

# Per store: (the state, what its history's triples match by).
_RECORDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

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
        key = _key(text, dataset)
        base = self.root / state / key
        try:
            if not base.with_suffix(".json").exists():
                base = self._by_content(store, key)
            meta = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
            if "uses" in meta and not _apart(meta["uses"], records(store)):
                return None
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

    def _by_content(self, store: GraphStore, key: str) -> Path:
        """Where the answer ``key`` is saved for the content of the store's graphs (the
        network's, not its history), whatever the state that holds it."""
        content = store.content_key(OUTSIDE)
        if content is None:
            raise FileNotFoundError(key)
        return self.root / f"{_CONTENT}{content}" / key

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
        self._collect(keep=self._folders(store, state))
        for name, plan in plans:
            if stop() or store.state != state:
                break
            if isinstance(plan, Exception):  # a query that cannot run with its defaults
                done.skipped[name] = str(plan)
                continue
            started = time.monotonic()
            try:
                computed = self._save(store, state, plan, cap, name)
            except Exception as exc:  # the engine's failure: that query is not saved
                done.skipped[name] = str(exc) or type(exc).__name__
                continue
            if computed is None:  # a write came in meanwhile
                break
            done.seconds[name] = time.monotonic() - started if computed else None
            if computed and progress is not None:
                progress(name, done.seconds[name])  # type: ignore[arg-type]
        return done

    def through(self, store: GraphStore, plan: Plan, cap: int, save_cap: int) -> Answer | None:
        """The answer of ``plan`` (a library query with its default parameters; else None) at
        most ``cap`` rows, computed with ``save_cap`` rows and saved first if it is not: what a
        reader that finds no saved answer does, so that one reader's computation serves the
        next. Readers of one answer in this process compute it once, the others waiting."""
        name = _library_texts().get(_unbased(plan.prepared.text))
        state = store.state
        if name is None or state is None or cap > save_cap:
            return None
        dataset = (plan.default, plan.union, plan.named)
        base, uses = self._place(store, state, plan)
        # Waiting only for the computation of the very answer it reads (this state's, or this
        # content's): one of another state would not serve it.
        with _computing(str(base)):
            found = self.lookup(store, plan.prepared.text, dataset, cap)
            if found is not None:  # computed meanwhile, by the reader waited for
                return found
            try:
                if not self._save(store, state, plan, save_cap, name, (base, uses)):
                    return None
            except OSError:  # a folder this reader cannot write, a full disk: not saved
                return None
        return self.lookup(store, plan.prepared.text, dataset, cap)

    def _place(self, store: GraphStore, state: str, plan: Plan) -> tuple[Path, list[str] | None]:
        """Where ``plan``'s answer is saved for ``state``: in its content's folder if it reads
        none of the history (with what it reads), else in the state's."""
        key = _key(plan.prepared.text, (plan.default, plan.union, plan.named))
        content = store.content_key(OUTSIDE)
        uses = reads(plan.prepared.text) if content else None
        if uses is not None and not _apart(uses, records(store)):
            uses = None
        folder = self.root / (state if uses is None else f"{_CONTENT}{content}")
        return folder / key, uses

    def _folders(self, store: GraphStore, state: str) -> set[Path | None]:
        """The folders of ``state`` and of its content (if known), the latter marked the
        newest used (kept longest)."""
        content = store.content_key(OUTSIDE)
        shared = self.root / f"{_CONTENT}{content}" if content else None
        if shared is not None and shared.is_dir():
            os.utime(shared)
        return {self.root / state, shared}

    def _save(
        self,
        store: GraphStore,
        state: str,
        plan: Plan,
        cap: int,
        name: str,
        place: tuple[Path, list[str] | None] | None = None,
    ) -> bool | None:
        """Compute and save ``plan``'s answer for ``state`` (``place``: where, else as
        ``_place`` says): whether it was computed (False: saved already), or None when the
        store was no longer in ``state`` when the query started (then nothing is saved)."""
        base, uses = place or self._place(store, state, plan)
        if base.with_suffix(".json").exists():
            return False
        try:
            # The engine reads the state the store is in when the query starts, for as long as
            # it runs: the same state before and after that start is the answer's.
            answer = plan.evaluate(cap=cap, saved=False)
            if store.state != state:
                return None
            base.parent.mkdir(parents=True, exist_ok=True)
            _write(base, plan.prepared.form, answer, cap, name, uses)
        except BaseException:
            _remove(base)
            raise
        return True

    def clear(self) -> None:
        """Remove every saved answer."""
        shutil.rmtree(self.root, ignore_errors=True)

    def folders(self, *, content: bool = False) -> list[Path]:
        """The folders of states (``content``: of contents) with saved answers, oldest first."""
        try:
            found = [
                p
                for p in self.root.iterdir()
                if p.is_dir() and p.name.startswith(_CONTENT) == content
            ]
        except OSError:
            return []
        return sorted(found, key=lambda p: p.stat().st_mtime)

    def _collect(self, keep: set[Path | None]) -> None:
        for content, most in ((False, KEEP_STATES), (True, KEEP_CONTENTS)):
            older = [p for p in self.folders(content=content) if p not in keep]
            for folder in older[: max(0, len(older) - (most - 1))]:
                shutil.rmtree(folder, ignore_errors=True)


def _enough(meta: dict, cap: int | None) -> bool:
    """Whether a saved answer described by ``meta`` holds the answer of its query capped at
    ``cap`` rows (None: not capped): it is whole, or cut at no fewer rows."""
    return bool(meta["whole"]) or (cap is not None and cap <= meta["rows"])


@lru_cache(maxsize=1)
def _library_texts() -> dict[str, str]:
    """The text of each library query with its default parameters (no ``BASE``), by text."""
    return {_unbased(prepare(q, q.bindings({})).text): q.name for q in QueryLibrary.load()}


@lru_cache(maxsize=256)
def _unbased(text: str) -> str:
    """``text`` without the ``BASE`` it begins with, when it has no relative IRI (the only
    place a base matters)."""
    found = _BASE.match(text)
    if found and not any(
        t.lastgroup == "iri" and _RELATIVE_IRI.fullmatch(t.group()) for t in tokens(text)
    ):
        return text[found.end() :]
    return text


@contextlib.contextmanager
def _computing(key: str) -> Iterator[None]:
    """Held while this process computes the answer ``key``: one reader at a time."""
    with _LOCKS_LOCK:
        held = _LOCKS.setdefault(key, [threading.Lock(), 0])
        held[1] += 1  # type: ignore[operator]
    try:
        with held[0]:  # type: ignore[attr-defined]
            yield
    finally:
        with _LOCKS_LOCK:
            held[1] -= 1  # type: ignore[operator]
            if not held[1]:
                del _LOCKS[key]


# By answer: its lock and how many readers hold or wait for it.
_LOCKS: dict[str, list[object]] = {}
_LOCKS_LOCK = threading.Lock()


def _key(text: str, dataset: tuple[Sequence[str] | None, bool, Sequence[str] | None]) -> str:
    """A file name for ``text`` over ``dataset``: its digest, ``BASE`` left out where it
    cannot matter."""
    text = _unbased(text)
    default, union, named = dataset
    data = json.dumps([text, default, union, named], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


@lru_cache(maxsize=256)
def reads(text: str) -> list[str] | None:
    """The IRIs a query's patterns match predicates by (``a`` with a class: that class, as
    ``a <class>``), when those are all the triples it can read: no variable or negated
    predicate, no ``a`` with a variable class, no ``GRAPH``, ``SERVICE`` or ``FROM``; else
    None (or when the text cannot be read). Kept per text (rdflib's parser takes tens of
    milliseconds): the list is shared, not to be changed.

    >>> reads("PREFIX : <http://e/> SELECT * { ?s a :C ; :p/:q ?o }")
    ['a <http://e/C>', 'http://e/p', 'http://e/q']
    >>> reads("SELECT * { ?s ?p ?o }") is None
    True
    """
    try:
        algebra = prepareQuery(text).algebra
    except Exception:  # rdflib's parser raises many kinds; such a text is not shared
        return None
    if algebra.get("datasetClause"):
        return None
    found: set[str] = set()
    return sorted(found) if _reads(algebra, found) else None


def _reads(node: object, found: set[str]) -> bool:
    """Gather into ``found`` what the patterns under ``node`` read; False if unknowable."""
    if isinstance(node, CompValue):
        if node.name in ("Graph", "GraphGraphPattern", "ServiceGraphPattern"):
            return False
        if node.name in ("BGP", "TriplesBlock"):
            # A TriplesBlock (an EXISTS pattern, as parsed) lists its triples' terms in a row.
            flat = [t[i : i + 3] for t in node.get("triples") or () for i in range(0, len(t), 3)]
            return all(len(t) == 3 and _triple(*t, found) for t in flat)
        return all(_reads(v, found) for k, v in node.items() if k != "_vars")
    if isinstance(node, list | tuple):
        return all(_reads(v, found) for v in node)
    return True


def _triple(subject: object, predicate: object, obj: object, found: set[str]) -> bool:
    if predicate == RDF.type:
        if not isinstance(obj, URIRef):
            return False
        found.add(f"a <{obj}>")
        return True
    if isinstance(predicate, URIRef):
        found.add(str(predicate))
        return True
    return isinstance(predicate, paths.Path) and _path(predicate, found)


def _path(path: object, found: set[str]) -> bool:
    if isinstance(path, URIRef):
        if path == RDF.type:  # its class is a step of the path, not a constant
            return False
        found.add(str(path))
        return True
    if isinstance(path, paths.NegatedPath) or not isinstance(path, paths.Path):
        return False
    parts = [getattr(path, a) for a in ("args", "path", "arg") if hasattr(path, a)]
    flat = [p for part in parts for p in (part if isinstance(part, list) else [part])]
    return bool(flat) and all(_path(p, found) for p in flat)


def records(store: GraphStore) -> frozenset[str]:
    """What the triples of the graphs ``OUTSIDE`` the network's content (its history) match
    by, as ``reads`` names it: their predicates and, as ``a <class>``, their classes."""
    state = store.state
    known = _RECORDS.get(store)
    if known is not None and known[0] == state and state is not None:
        return known[1]
    graphs = " ".join(f"<{g}>" for g in OUTSIDE)
    text = (
        f"SELECT DISTINCT ?p ?class WHERE {{ VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s ?p ?o }} "
        f"OPTIONAL {{ FILTER(?p = <{RDF.type}>) BIND(?o AS ?class) }} }}"
    )
    found = set()
    for row in store.query(text, named_graphs=list(OUTSIDE)):  # type: ignore[union-attr]
        found.add(row["p"].value)
        if row["class"] is not None:
            found.add(f"a <{row['class'].value}>")
    _RECORDS[store] = (state, frozenset(found))
    return frozenset(found)


def _apart(uses: Iterable[str], outside: frozenset[str]) -> bool:
    return not outside.intersection(uses)


def _write(
    base: Path, form: str, answer: object, cap: int, name: str, uses: list[str] | None = None
) -> None:
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
    if uses is not None:  # saved for a content: what it reads, checked against each state's
        meta["uses"] = uses
    _whole(base.with_suffix(".json"), lambda out: out.write(json.dumps(meta).encode()))


def _whole(path: Path, write: Callable[[object], object]) -> None:
    partial = path.with_name(f"{_PARTIAL}{os.getpid()}-{threading.get_ident()}-{path.name}")
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

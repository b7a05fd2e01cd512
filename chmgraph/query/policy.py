"""The limits every query runs within: the SERVICE allowlist, the timeout and the row cap."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from functools import lru_cache

import pyoxigraph as ox
from pyparsing import ParseResults
from rdflib import URIRef
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from chmgraph.errors import ChmgraphError, InputError, QueryTimeout
from chmgraph.query.results import QueryResult
from chmgraph.query.text import PreparedQuery
from chmgraph.query.tokens import is_keyword, tokens, unescaped
from chmgraph.settings import Settings


class ServiceRefused(InputError):
    """The query calls a SERVICE endpoint that is not on the ``service_allowlist`` setting."""


def check_services(text: str, allowlist: Iterable[str]) -> None:
    """Refuse a query that calls a SERVICE endpoint not in ``allowlist``.

    The endpoint must be written as a full IRI: a variable or prefixed name cannot be checked
    before the query runs, so it is refused too. ``text`` is read with its codepoint escapes
    written out (``unescaped``), as ``prepare`` hands it to the engine.

    >>> check_services("SELECT * { SERVICE <https://evil.example/sparql> { ?s ?p ?o } }", [])
    Traceback (most recent call last):
    ...
    chmgraph.query.policy.ServiceRefused: SERVICE <https://evil.example/sparql> is not on the \
service_allowlist setting (allowed: none)
    """
    allowed = set(allowlist)
    for endpoint in _services(unescaped(text)[0]):
        if endpoint is None:
            raise ServiceRefused(
                "SERVICE endpoints must be written as a full <IRI> to be checked against the "
                "service_allowlist setting"
            )
        if endpoint not in allowed:
            listed = ", ".join(sorted(allowed)) or "none"
            raise ServiceRefused(
                f"SERVICE <{endpoint}> is not on the service_allowlist setting (allowed: {listed})"
            )


_SERVICE_WORD = re.compile(r"service", re.IGNORECASE)


@lru_cache(maxsize=256)
def _services(text: str) -> tuple[str | None, ...]:
    """The endpoint IRI of each SERVICE of ``text``; None for one not written as an IRI.

    The lexer finds them; where the word appears at all, a full SPARQL parser (rdflib's) reads
    the query too and its SERVICE calls are added, so that no way of writing one that the lexer
    misreads lets it through. If neither finds one where the word appears and the parser cannot
    read the query, the query cannot be checked and counts as calling an unknown endpoint.
    """
    lexed = _lexed_services(text)
    if not _SERVICE_WORD.search(text):
        return lexed
    parsed = _parsed_services(text)
    if parsed is None:
        return lexed if lexed else (None,)
    return lexed + parsed


def _parsed_services(text: str) -> tuple[str | None, ...] | None:
    """The SERVICE endpoints of ``text`` as rdflib's parser reads them (None: it cannot)."""
    try:
        tree = parseQuery(text)
    except Exception:  # any failure of a third-party parser means: not understood
        try:
            tree = parseUpdate(text)
        except Exception:
            return None
    found: list[str | None] = []
    prefixes = _declared_prefixes(tree)
    _walk(tree, found, prefixes)
    return tuple(found)


def _declared_prefixes(tree: object) -> dict[str, str]:
    prefixes: dict[str, str] = {}

    def visit(node: object) -> None:
        if isinstance(node, CompValue):
            if node.name == "PrefixDecl":
                prefixes[str(node.get("prefix") or "")] = str(node.get("iri"))
            for value in node.values():
                visit(value)
        elif isinstance(node, (list, tuple, ParseResults)):
            for value in node:
                visit(value)

    visit(tree)
    return prefixes


def _walk(node: object, found: list[str | None], prefixes: dict[str, str]) -> None:
    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            found.append(_endpoint(node.get("term"), prefixes))
        for value in node.values():
            _walk(value, found, prefixes)
    elif isinstance(node, (list, tuple, ParseResults)):
        for value in node:
            _walk(value, found, prefixes)


def _endpoint(term: object, prefixes: dict[str, str]) -> str | None:
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, CompValue) and term.name == "pname":
        namespace = prefixes.get(str(term.get("prefix") or ""))
        return None if namespace is None else namespace + str(term.get("localname") or "")
    return None  # a variable: which endpoint it names is known only while the query runs


def _lexed_services(text: str) -> tuple[str | None, ...]:
    found = [t for t in tokens(text) if t.lastgroup != "comment"]
    endpoints: list[str | None] = []
    for index, token in enumerate(found):
        if not is_keyword(token, "SERVICE"):
            continue
        target = found[index + 1] if index + 1 < len(found) else None
        if target is not None and is_keyword(target, "SILENT"):
            target = found[index + 2] if index + 2 < len(found) else None
        endpoints.append(target.group()[1:-1] if target and target.lastgroup == "iri" else None)
    return tuple(endpoints)


def read_within(
    evaluate: Callable[[], object],
    prepared: PreparedQuery,
    *,
    limit: int | None,
    settings: Settings,
    offset: int = 0,
) -> QueryResult:
    """Call ``evaluate`` and read its results in a worker thread, waiting at most the timeout;
    the first ``offset`` rows (or triples) are skipped, for paging.

    pyoxigraph cannot cancel a query. Evaluation is lazy, so the worker reads row by row and
    stops at the first row after the deadline; the caller gets ``QueryTimeout`` on time either
    way, and a query stuck before its first row (a sort or a grouping) finishes in the
    background, its result dropped.
    """
    cap = settings.max_rows if limit is None else min(limit, settings.max_rows)
    deadline = time.monotonic() + settings.query_timeout_s
    outcome: dict[str, object] = {}
    done = threading.Event()

    def work() -> None:
        try:
            answer = evaluate()  # a syntax error here is the query's
            unreadable = None
            try:
                outcome["result"] = _read(answer, prepared.form, cap, deadline, offset)
            except SyntaxError as exc:
                # The answer's, read lazily: a remote engine's body cut short or malformed.
                unreadable = exc.msg
            if unreadable is not None:
                # Raised here, not in the handler, so that it keeps no frame holding the answer.
                raise ChmgraphError(
                    f"the engine's answer cannot be read (cut short or malformed): {unreadable}",
                    exit_code=3,
                )
        except BaseException as exc:  # handed over to the caller's thread
            # without its frames: pyoxigraph's result objects must be dropped in this thread
            outcome["error"] = exc.with_traceback(None)
        finally:
            done.set()

    started = time.monotonic()
    threading.Thread(target=work, name="chmgraph-query", daemon=True).start()
    if not done.wait(settings.query_timeout_s) or isinstance(outcome.get("error"), _Late):
        raise QueryTimeout(timeout_message(settings))
    error = outcome.get("error")
    if isinstance(error, SyntaxError):
        raise prepared.syntax_error(error.msg or str(error)) from None
    if isinstance(error, ChmgraphError):
        raise error
    if isinstance(error, BaseException):
        raise engine_error(error) from None
    result: QueryResult = outcome["result"]  # type: ignore[assignment]
    result.truncated = result.truncated and (limit is None or limit > settings.max_rows)
    result.elapsed_s = time.monotonic() - started
    if result.truncated:
        result.warnings.append(
            f"the answer was cut at {settings.max_rows:,} rows (setting max_rows, environment "
            "CHMGRAPH_MAX_ROWS); narrow the query or use --limit"
        )
    return result


class _Late(Exception):
    """The worker passed the deadline while reading rows."""


def _read(answer: object, form: str, cap: int, deadline: float, offset: int) -> QueryResult:
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(form="ASK", boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        solutions = (tuple(solution) for solution in answer)
        rows, truncated = _take(solutions, cap, deadline, offset)
        return QueryResult(form="SELECT", variables=variables, rows=rows, truncated=truncated)
    triples, truncated = _take(iter(answer), cap, deadline, offset)  # type: ignore[call-overload]
    return QueryResult(form=form, triples=triples, truncated=truncated)


def _take(items: Iterable, cap: int, deadline: float, offset: int) -> tuple[list, bool]:
    taken = []
    for _ in zip(range(offset), items, strict=False):
        if time.monotonic() > deadline:
            raise _Late
    for item in items:
        if len(taken) == cap:
            return taken, True
        if time.monotonic() > deadline:
            raise _Late
        taken.append(item)
    return taken, False


def timeout_message(settings: Settings | None = None) -> str:
    """What a query that ran out of time is told."""
    settings = settings or Settings.from_env()
    return (
        f"query timed out after {settings.query_timeout_s:g} s (setting query_timeout_s, "
        "environment CHMGRAPH_QUERY_TIMEOUT_S): narrow it with parameters or --graph"
    )


def engine_error(error: BaseException) -> ChmgraphError:
    """The engine's own failure on a well-formed query (a failing SERVICE call, an I/O error),
    reported with its reason, without a traceback."""
    reason = str(error) or type(error).__name__
    return ChmgraphError(f"the query failed: {reason}")

"""Running a query on the network: parameters, graphs, entailment, limits and SERVICE checks.

``run_query`` takes a library query (or any SPARQL text), binds its parameters as RDF terms in a
``VALUES`` block (never pasting a value into the text), chooses the graphs it sees, refuses any
``SERVICE`` call to an endpoint not on the ``service_allowlist`` setting, and runs it within the
``query_timeout_s`` and ``max_rows`` settings.

The graphs: by default a query's default graph is the union of every named graph of the store:
the network's current graphs (ontology, reference, CBD, national graphs, submissions, the query
library; history is archived inside the submissions graph, never a graph of its own) and their
inferred graphs (``chmgraph.entailment``). The engine reads that union from one index, which is
what keeps network-wide queries fast. With entailment off, the default graph lists the current
graphs instead. ``GRAPH ?g`` ranges over the current graphs, so it tells which graph asserted
what. ``graphs=[...]`` restricts both (with the inferred graphs of the graphs named).

>>> from chmgraph.entailment import materialize
>>> from chmgraph.network import Network
>>> from chmgraph.queries import QueryLibrary
>>> network = Network.in_memory()
>>> network.init()
>>> materialize(network) > 0
True
>>> query = QueryLibrary.load()["workshops-in-year"]
>>> result = run_query(network, query, params={"year": "2013"})
>>> len(result), result.variables[:2]
(3, ['workshop', 'label'])
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol
from xml.sax.saxutils import escape

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.entailment import inferred_graph
from chmgraph.errors import ChmgraphError, InputError, SyntaxGateError
from chmgraph.queries import NamedQuery, is_keyword, tokens
from chmgraph.settings import Settings
from chmgraph.store import GraphStore

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

# Graph names a user may give instead of an IRI or a country code.
GRAPH_NAMES = {
    "ontology": iris.ONTOLOGY_GRAPH,
    "reference": iris.REFERENCE_GRAPH,
    "cbd": iris.CBD_GRAPH,
    "submissions": iris.SUBMISSIONS_GRAPH,
}

_ERROR_PLACE = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)


class QueryTimeout(ChmgraphError):
    """The query ran longer than the ``query_timeout_s`` setting."""


class ServiceRefused(InputError):
    """The query calls a SERVICE endpoint that is not on the ``service_allowlist`` setting."""


class Queryable(Protocol):
    """What ``run_query`` runs on: a ``Network`` (its current graphs and store)."""

    store: GraphStore

    def current_graphs(self) -> list[str]: ...


@dataclass
class QueryResult:
    """A query's answer, read whole: rows (SELECT), triples (CONSTRUCT/DESCRIBE) or a boolean."""

    form: str
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    triples: list[ox.Triple] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False
    elapsed_s: float = 0.0

    def __len__(self) -> int:
        return len(self.rows) if self.form == "SELECT" else len(self.triples)

    def column(self, name: str) -> list[Term | None]:
        """The values of variable ``name`` in every row."""
        index = self.variables.index(name)
        return [row[index] for row in self.rows]

    def values(self, name: str) -> list[str | None]:
        """The lexical values (``term.value``) of variable ``name`` in every row."""
        return [None if t is None else t.value for t in self.column(name)]  # type: ignore[union-attr]


@dataclass(frozen=True)
class PreparedQuery:
    """A query's final text (parameters bound, prefixes declared) and how to map error places."""

    text: str
    form: str
    where: str
    # (line, column, length) of each insertion, to report errors at the user's own columns.
    insertions: tuple[tuple[int, int, int], ...]

    def syntax_error(self, message: str) -> SyntaxGateError:
        """The engine's error message as an error at the line and column of the user's text."""
        match = _ERROR_PLACE.match(message)
        if not match:
            return SyntaxGateError(self.where, None, None, message)
        line, column = int(match.group(1)), int(match.group(2))
        for at_line, at_column, length in reversed(self.insertions):  # last made, first undone
            if at_line == line and at_column <= column:
                column -= length
        return SyntaxGateError(self.where, line, max(column, 1), match.group(3))


def prepare(query: NamedQuery, bindings: Mapping[str, Term]) -> PreparedQuery:
    """The text to run: missing standard prefixes declared, ``bindings`` as a VALUES block.

    >>> q = NamedQuery.from_text("SELECT ?x WHERE { ?x a chm:Workshop }")
    >>> text = prepare(q, {"x": ox.NamedNode("http://e/w")}).text
    >>> text.startswith("PREFIX chm: <https://w3id.org/chmgraph/vocab#> ")
    True
    >>> text.split("> ", 1)[1]
    'SELECT ?x WHERE { VALUES (?x) { (<http://e/w>) } ?x a chm:Workshop }'
    """
    where = str(query.path) if query.path else "<query>"
    text = query.text
    prologue, brace = _shape(text)
    insertions = []
    if bindings:
        if brace is None:
            raise InputError(f"{where}: no WHERE clause to bind the parameters in")
        names = " ".join(f"?{name}" for name in bindings)
        terms = " ".join(str(term) for term in bindings.values())
        block = f" VALUES ({names}) {{ ({terms}) }}"
        line, column = _place(text, brace)
        insertions.append((line, column, len(block)))
        text = text[:brace] + block + text[brace:]
    if prologue:
        insertions.append((1, 1, len(prologue)))
        text = prologue + text
    return PreparedQuery(text, query.form, where, tuple(insertions))


@lru_cache(maxsize=256)
def _shape(text: str) -> tuple[str, int | None]:
    """The prefix declarations ``text`` lacks, and where its outermost WHERE group opens."""
    found = [t for t in tokens(text) if t.lastgroup != "comment"]
    declared = {
        t.group().lower()
        for t, prev in zip(found[1:], found, strict=False)
        if is_keyword(prev, "PREFIX")
    }
    used = {t.group().split(":")[0] for t in found if t.lastgroup == "word" and ":" in t.group()}
    missing = sorted(p for p in used if p in iris.PREFIXES and f"{p}:" not in declared)
    return "".join(f"PREFIX {p}: <{iris.PREFIXES[p]}> " for p in missing), _where_brace(found)


def check_services(text: str, allowlist: Iterable[str]) -> None:
    """Refuse a query that calls a SERVICE endpoint not in ``allowlist``.

    The endpoint must be written as a full IRI: a variable or prefixed name cannot be checked
    before the query runs, so it is refused too.

    >>> check_services("SELECT * { SERVICE <https://evil.example/sparql> { ?s ?p ?o } }", [])
    Traceback (most recent call last):
    ...
    chmgraph.query.ServiceRefused: SERVICE <https://evil.example/sparql> is not on the \
service_allowlist setting (allowed: none)
    """
    allowed = set(allowlist)
    for endpoint in _services(text):
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


@lru_cache(maxsize=256)
def _services(text: str) -> tuple[str | None, ...]:
    """The endpoint IRI of each SERVICE of ``text``; None for one not written as an IRI."""
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


def resolve_graph(name: str) -> str:
    """The IRI of a graph given as a name (``cbd``), a country code (``CM``) or an IRI.

    >>> resolve_graph("cm")
    'https://w3id.org/chmgraph/graph/national/CM'
    """
    if name.lower() in GRAPH_NAMES:
        return GRAPH_NAMES[name.lower()]
    if re.fullmatch(r"[A-Za-z]{2}", name):
        return iris.national_graph(name)
    if re.match(r"^[a-z][a-z0-9+.-]*:", name):
        return name
    names = ", ".join(GRAPH_NAMES)
    raise InputError(f"unknown graph {name!r}: give a country code, one of {names}, or an IRI")


def dataset(
    network: Queryable, graphs: Sequence[str] | None, *, entailment: bool, named: bool = True
) -> tuple[list[str] | None, list[str] | None]:
    """The graphs merged as a query's default graph (None: the union of every named graph of
    the store), and the named graphs ``GRAPH`` reaches (None, unlisted, when not ``named``: for a
    query without a ``GRAPH`` pattern, they do not matter)."""
    if not graphs and entailment and not named:
        return None, None
    named_graphs = [resolve_graph(g) for g in graphs] if graphs else network.current_graphs()
    return _default_graph(named_graphs, graphs, entailment), named_graphs


def _default_graph(
    named: list[str], graphs: Sequence[str] | None, entailment: bool
) -> list[str] | None:
    if not entailment:
        return list(named)
    if not graphs:
        return None
    return named + [inferred_graph(g) for g in named]


def run_query(
    network: Queryable,
    query: NamedQuery | str,
    *,
    params: Mapping[str, str] | None = None,
    graphs: Sequence[str] | None = None,
    entailment: bool = True,
    limit: int | None = None,
    settings: Settings | None = None,
) -> QueryResult:
    """Run ``query`` (a library query, or SPARQL text) on ``network`` and read its answer,
    within the settings' limits.

    ``params`` are the user's values by parameter name (as typed: ``2013``, ``chmid:...``);
    ``limit`` caps the rows wanted (at most the ``max_rows`` setting, beyond which the result
    is cut and marked ``truncated``). Raises ``SyntaxGateError`` (with line and column),
    ``ServiceRefused``, ``QueryTimeout`` or ``InputError`` for a bad parameter.
    """
    settings = settings or Settings.from_env()
    if isinstance(query, str):
        query = NamedQuery.from_text(query)
    prepared = prepare(query, query.bindings(params or {}))
    check_services(prepared.text, settings.service_allowlist)
    default, named = dataset(
        network, graphs, entailment=entailment, named=has_graph_pattern(prepared.text)
    )

    def evaluate() -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        return network.store.query(
            prepared.text, default_graph=default, union=default is None, named_graphs=named
        )

    return read_within(evaluate, prepared, limit=limit, settings=settings)


@lru_cache(maxsize=256)
def has_graph_pattern(text: str) -> bool:
    """Whether ``text`` has a ``GRAPH`` pattern, the only place its named graphs matter.

    >>> has_graph_pattern("SELECT ?g { GRAPH ?g { ?s ?p ?o } }"), has_graph_pattern("ASK {}")
    (True, False)
    """
    return any(is_keyword(t, "GRAPH") for t in tokens(text))


def read_within(
    evaluate: Callable[[], object],
    prepared: PreparedQuery,
    *,
    limit: int | None,
    settings: Settings,
) -> QueryResult:
    """Call ``evaluate`` and read its results in a worker thread, waiting at most the timeout.

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
            outcome["result"] = _read(evaluate(), prepared.form, cap, deadline)
        except BaseException as exc:  # handed over to the caller's thread
            # without its frames: pyoxigraph's result objects must be dropped in this thread
            outcome["error"] = exc.with_traceback(None)
        finally:
            done.set()

    started = time.monotonic()
    threading.Thread(target=work, name="chmgraph-query", daemon=True).start()
    if not done.wait(settings.query_timeout_s) or isinstance(outcome.get("error"), _Late):
        raise QueryTimeout(
            f"query timed out after {settings.query_timeout_s:g} s (setting query_timeout_s, "
            "environment CHMGRAPH_QUERY_TIMEOUT_S): narrow it with parameters or --graph"
        )
    error = outcome.get("error")
    if isinstance(error, SyntaxError):
        raise prepared.syntax_error(error.msg or str(error)) from None
    if isinstance(error, ChmgraphError):
        raise error
    if isinstance(error, BaseException):
        raise _engine_error(error) from None
    result: QueryResult = outcome["result"]  # type: ignore[assignment]
    result.truncated = result.truncated and (limit is None or limit > settings.max_rows)
    result.elapsed_s = time.monotonic() - started
    return result


class _Late(Exception):
    """The worker passed the deadline while reading rows."""


def _read(answer: object, form: str, cap: int, deadline: float) -> QueryResult:
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(form="ASK", boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        rows, truncated = _take((tuple(solution) for solution in answer), cap, deadline)
        return QueryResult(form="SELECT", variables=variables, rows=rows, truncated=truncated)
    triples, truncated = _take(iter(answer), cap, deadline)  # type: ignore[call-overload]
    return QueryResult(form=form, triples=triples, truncated=truncated)


def _take(items: Iterable, cap: int, deadline: float) -> tuple[list, bool]:
    taken = []
    for item in items:
        if len(taken) == cap:
            return taken, True
        if time.monotonic() > deadline:
            raise _Late
        taken.append(item)
    return taken, False


def _engine_error(error: BaseException) -> ChmgraphError:
    # The engine's own failures on a well-formed query (a failing SERVICE call, an I/O error)
    # are reported with its reason, without a traceback.
    reason = str(error) or type(error).__name__
    return ChmgraphError(f"the query failed: {reason}")


def _where_brace(found: list[re.Match[str]]) -> int | None:
    """The offset just after the ``{`` opening the outermost WHERE clause, if any."""
    depth, after_where, first_open = 0, False, None
    for token in found:
        if token.lastgroup == "open":
            if depth == 0 and (after_where or first_open is None):
                if after_where:
                    return token.end()
                first_open = token.end()
            depth += 1
        elif token.lastgroup == "close":
            depth -= 1
        elif depth == 0 and is_keyword(token, "WHERE"):
            after_where = True
    return first_open


def _place(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


# Result formats: the W3C SPARQL 1.1 result formats for SELECT and ASK answers, RDF syntaxes for
# CONSTRUCT and DESCRIBE answers (whose triples read as subject/predicate/object rows in CSV/TSV).

XSD_STRING = iris.PREFIXES["xsd"] + "string"
RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml", "turtle", "jsonld", "ntriples")
_RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
}
_MEDIA_TYPES = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
}


def media_type(result: QueryResult, format: str) -> str:
    """The media type of ``result`` serialized in ``format``."""
    if result.form in ("CONSTRUCT", "DESCRIBE") and format in _RDF_FORMATS:
        return _RDF_FORMATS[format].media_type
    return _MEDIA_TYPES.get(format, "text/plain")


def serialize(result: QueryResult, format: str) -> str:
    """``result`` as text in ``format`` (one of ``RESULT_FORMATS`` but ``table``).

    >>> answer = QueryResult("SELECT", ["n"], [(ox.Literal("3", language="en"),)])
    >>> serialize(answer, "csv")
    'n\\r\\n3\\r\\n'
    """
    graph = result.form in ("CONSTRUCT", "DESCRIBE")
    if graph and format in _RDF_FORMATS:
        prefixes = dict(iris.PREFIXES)
        data = ox.serialize(result.triples, format=_RDF_FORMATS[format], prefixes=prefixes)
        return (data or b"").decode("utf-8")
    writers = {"csv": _csv, "tsv": _tsv, "json": _json, "xml": _xml}
    if format not in writers or (graph and format in ("json", "xml")):
        fits = "turtle, jsonld, ntriples, xml, csv or tsv" if graph else "csv, tsv, json or xml"
        raise InputError(f"format {format!r} does not fit a {result.form} answer; use {fits}")
    return writers[format](as_rows(result))


def as_rows(result: QueryResult) -> QueryResult:
    """A CONSTRUCT/DESCRIBE answer as SELECT rows of subject, predicate, object."""
    if result.form not in ("CONSTRUCT", "DESCRIBE"):
        return result
    rows = [(t.subject, t.predicate, t.object) for t in result.triples]
    return QueryResult("SELECT", ["subject", "predicate", "object"], rows)  # type: ignore[arg-type]


def _csv(result: QueryResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if result.form == "ASK":
        writer.writerow(["_askResult"])
        writer.writerow(["true" if result.boolean else "false"])
        return out.getvalue()
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow(["" if t is None else _plain(t) for t in row])
    return out.getvalue()


def _plain(term: Term) -> str:
    return (
        f"_:{term.value}" if isinstance(term, ox.BlankNode) else str(getattr(term, "value", term))
    )


def _tsv(result: QueryResult) -> str:
    if result.form == "ASK":
        return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _json(result: QueryResult) -> str:
    if result.form == "ASK":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)})
    bindings = [
        {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]
    return json.dumps(
        {"head": {"vars": result.variables}, "results": {"bindings": bindings}},
        ensure_ascii=False,
    )


def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        found: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            found["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            found["datatype"] = term.datatype.value
        return found
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


def _xml(result: QueryResult) -> str:
    parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if result.form == "ASK":
        parts.append(f"<head/><boolean>{'true' if result.boolean else 'false'}</boolean>")
        return "".join(parts) + "</sparql>\n"
    parts.append("<head>" + "".join(f'<variable name="{v}"/>' for v in result.variables))
    parts.append("</head><results>")
    for row in result.rows:
        cells = [
            f'<binding name="{v}">{_xml_term(t)}</binding>'
            for v, t in zip(result.variables, row, strict=True)
            if t is not None
        ]
        parts.append("<result>" + "".join(cells) + "</result>")
    return "".join(parts) + "</results></sparql>\n"


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            attribute = f' xml:lang="{escape(term.language)}"'
        elif term.datatype.value != XSD_STRING:
            attribute = f' datatype="{escape(term.datatype.value)}"'
        else:
            attribute = ""
        return f"<literal{attribute}>{escape(term.value)}</literal>"
    inner = "".join(
        f"<{name}>{_xml_term(getattr(term, name))}</{name}>"
        for name in ("subject", "predicate", "object")
    )
    return f"<triple>{inner}</triple>"

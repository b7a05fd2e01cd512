"""A query's answer written as bytes while it is read, within the row cap and the timeout: for
answers too large to hold whole (the server's ``/sparql`` streams them).

pyoxigraph's own serializers write the SPARQL result formats and the RDF syntaxes, without
Python objects per row; the answer is read and written on the thread that started the query,
as pyoxigraph requires. A SELECT query gets the row cap as its own ``LIMIT``
(``with_row_cap``), so the engine stops there; the triples of a CONSTRUCT or DESCRIBE answer
are counted on their way to the serializer. The writer checks the deadline and whether its
reader has gone at every chunk, which is where a query that cannot be cancelled stops.

>>> import pyoxigraph as ox
>>> from chmgraph.network import Network
>>> from chmgraph.query.run import plan_query
>>> from chmgraph.settings import Settings
>>> network = Network.in_memory()
>>> network.store.add([ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"),
...     ox.Literal("1"), ox.NamedNode("http://e/g"))])
>>> settings = Settings()
>>> plan = plan_query(network, "SELECT ?o { ?s ?p ?o }", settings=settings)
>>> chunks = []
>>> write_answer(plan, "csv", Chunks(chunks.append, settings=settings), settings)
>>> b"".join(chunks)
b'o\\r\\n1\\r\\n'
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable, Iterator

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.errors import ChmgraphError
from chmgraph.query.policy import QueryTimeout, engine_error, timeout_message
from chmgraph.query.results import RDF_FORMATS, QueryResult, serialize
from chmgraph.query.run import QueryPlan
from chmgraph.settings import Settings

# About this much of an answer is handed on at a time: small enough to bound memory, large
# enough that the per-chunk work (a thread hop, a check) costs nothing beside the rows.
CHUNK_BYTES = 64 * 1024

_RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
# Written by pyoxigraph as the triples come; JSON-LD is compacted whole (``_write``).
_RDF_FORMATS = {name: f for name, f in RDF_FORMATS.items() if name != "jsonld"}


class Stopped(ChmgraphError):
    """The reader of an answer has gone: the query stops at its next chunk."""


class Chunks:
    """Where an answer's bytes go: gathered into chunks of about ``CHUNK_BYTES``, each handed to
    ``deliver`` (which may block, or raise ``Stopped``). Once the ``query_timeout_s`` setting
    has passed since ``started`` (``time.monotonic``, default now), or once ``stop`` was called,
    the next write raises and the answer ends there."""

    def __init__(
        self,
        deliver: Callable[[bytes], object],
        *,
        settings: Settings,
        started: float | None = None,
    ) -> None:
        self._deliver = deliver
        self._settings = settings
        self._deadline = (started or time.monotonic()) + settings.query_timeout_s
        self._buffer = bytearray()
        self._stopped = False
        self.delivered = 0
        #: Whether ``finish`` was called: the chunk being handed on is the last.
        self.finished = False
        #: Why the answer was stopped (``QueryTimeout``, ``Stopped``), if it was.
        self.reason: ChmgraphError | None = None

    def stop(self) -> None:
        """Ask the answer to stop (from any thread): its reader has gone."""
        self._stopped = True

    def check(self) -> None:
        """Raise (and remember) why the answer must stop, if it must."""
        if self.reason is None:
            if self._stopped:
                self.reason = Stopped("the client went away")
            elif time.monotonic() > self._deadline:
                self.reason = QueryTimeout(timeout_message(self._settings))
        if self.reason is not None:
            raise self.reason

    # The file-like face pyoxigraph's serializers write to.

    def write(self, data: bytes) -> int:
        self.check()
        self._buffer += data
        if len(self._buffer) >= CHUNK_BYTES:
            self._hand_on()
        return len(data)

    def flush(self) -> None:
        """Nothing: chunks are handed on by size, and the last by ``finish``."""

    def finish(self) -> None:
        """Hand on what is left: the answer is complete."""
        self.finished = True
        if self._buffer or not self.delivered:
            self._hand_on()

    def _hand_on(self) -> None:
        chunk = bytes(self._buffer)
        self._buffer.clear()
        self.delivered += 1
        try:
            self._deliver(chunk)
        except ChmgraphError as exc:  # the reader has gone, or took too long
            self.reason = exc
            raise


def write_answer(plan: QueryPlan, format: str, out: Chunks, settings: Settings) -> None:
    """Run ``plan`` on this thread and write its answer in ``format`` (a name of
    ``chmgraph.query.results.RESULT_FORMATS`` but ``table``) to ``out``, at most
    ``max_rows`` rows (or triples), then ``out.finish()``.

    Raises ``SyntaxGateError`` for a malformed query, ``InputError`` for a format that does
    not fit the answer, ``QueryTimeout`` or ``Stopped`` when ``out`` stopped it, and
    ``ChmgraphError`` for the engine's own failures."""
    try:
        _run(plan, format, out, settings.max_rows)
    except Exception as exc:
        _drop_frames(exc)
        # A write refused by ``out`` comes back from pyoxigraph as its own error.
        failure = exc if isinstance(exc, ChmgraphError) else out.reason or engine_error(exc)
    else:
        out.finish()
        return
    _drop_frames(out.reason)
    raise failure.with_traceback(None) from None


def _run(plan: QueryPlan, format: str, out: Chunks, cap: int) -> None:
    answer = _start(plan, cap)
    _write(answer, plan, format, out, cap)


def _drop_frames(error: BaseException | None) -> None:
    """Clear the locals of the frames ``error`` (and what it was raised from) went through.

    They hold the query's answer, which pyoxigraph must drop on the thread that made it: left
    to a traceback, it would be dropped wherever the exception is collected (the server's event
    loop, once the error is handed there), which pyoxigraph refuses with an error on standard
    error, keeping the answer's memory for good."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        error.__traceback__ = None
        error = error.__cause__ or error.__context__


def _start(plan: QueryPlan, cap: int) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    prepared = plan.prepared
    try:
        return plan.evaluate(cap=cap)
    except SyntaxError:
        pass
    # Reported from the text as the user wrote it, not where the cap was added.
    try:
        return plan.evaluate(saved=False)
    except SyntaxError as exc:
        raise prepared.syntax_error(exc.msg or str(exc)) from None


def _write(answer: object, plan: QueryPlan, format: str, out: Chunks, cap: int) -> None:
    if isinstance(answer, ox.QueryBoolean):
        out.write(serialize(QueryResult("ASK", boolean=bool(answer)), format).encode("utf-8"))
    elif isinstance(answer, ox.QuerySolutions):
        if format not in _RESULT_FORMATS:
            serialize(QueryResult("SELECT"), format)  # the error naming the formats that fit
        answer.serialize(out, format=_RESULT_FORMATS[format])
    elif format in _RDF_FORMATS:
        triples = _counted(answer, cap, out)  # type: ignore[arg-type]
        prefixes = dict(iris.PREFIXES) if format != "ntriples" else None
        ox.serialize(triples, out, format=_RDF_FORMATS[format], prefixes=prefixes)
    else:
        # JSON-LD is compacted whole, and CSV or TSV of triples is rare: read whole, capped.
        triples = list(_counted(answer, cap, out))  # type: ignore[arg-type]
        result = QueryResult(plan.prepared.form, triples=triples, context=plan.context)
        out.write(serialize(result, format).encode("utf-8"))


def _counted(triples: Iterable[ox.Triple], cap: int, out: Chunks) -> Iterator[ox.Triple]:
    for count, triple in enumerate(triples):
        if count == cap:
            return
        if count % 1024 == 0:
            out.check()
        yield triple

"""The SPARQL 1.1 Protocol at ``/sparql``: queries by GET and POST (URL-encoded form or direct
body), updates by POST with an admin credential, and the Service Description.

The query runs, and its answer is read and serialized, in a worker: the status is decided
before the first byte is sent, and the answer is cached for the network's state with an ETag.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from chmgraph.query.policy import QueryTimeout, check_services, timeout_message
from chmgraph.query.run import ProtocolDataset
from chmgraph.query.stream import Chunks, Stopped, write_answer
from chmgraph.query.text import with_using
from chmgraph.query.tokens import unescaped
from chmgraph.server import auth
from chmgraph.server.http import (
    HttpError,
    decode,
    graph_iri,
    media_type,
    not_modified,
    read_body,
    text,
)
from chmgraph.server.negotiation import GRAPH, choose, with_charset
from chmgraph.server.service import AnswerStream, ClientGone, Service

log = logging.getLogger("chmgraph.server")

SD = "http://www.w3.org/ns/sparql-service-description#"
_FORM = "application/x-www-form-urlencoded"


class ProtocolRequest:
    """A query or an update and its dataset, as the request gives them."""

    def __init__(self, kind: str, text: str, fields: dict[str, list[str]]) -> None:
        self.kind = kind
        self.text = text
        self.fields = fields

    def graphs(self, default_name: str, named_name: str) -> ProtocolDataset | None:
        default = [graph_iri(g, default_name) for g in self.fields.get(default_name, [])]
        named = [graph_iri(g, named_name) for g in self.fields.get(named_name, [])]
        return ProtocolDataset(default, named) if default or named else None


async def endpoint(request: Request) -> Response:
    service: Service = request.app.state.service
    asked = await _read(request, service)
    if asked is None:
        return service_description(request, service)
    if asked.kind == "update":
        return await _update(request, service, asked)
    return await _query(request, service, asked)


async def _read(request: Request, service: Service) -> ProtocolRequest | None:
    url_fields = parse_qs(request.url.query, keep_blank_values=True)
    if request.method in ("GET", "HEAD"):
        if "update" in url_fields:
            raise HttpError(405, "an update must be sent by POST", {"Allow": "GET, POST"})
        if "query" not in url_fields:
            return None
        return _one(url_fields, "query")
    media, params = media_type(request)
    body = await read_body(request, service.settings.server_max_body_bytes)
    if media == _FORM:
        form = parse_qs(
            decode(body, params, "the form"), keep_blank_values=True, strict_parsing=False
        )
        fields = {**url_fields, **{k: url_fields.get(k, []) + v for k, v in form.items()}}
        if ("query" in fields) == ("update" in fields):
            raise HttpError(400, "a form must have exactly one of the fields query and update")
        return _one(fields, "query" if "query" in fields else "update")
    if media in ("application/sparql-query", "application/sparql-update"):
        kind = "query" if media.endswith("query") else "update"
        return ProtocolRequest(kind, decode(body, params, f"the {kind}"), url_fields)
    shown = media or "no Content-Type"
    raise HttpError(
        415,
        f"{shown}: send a query as application/sparql-query or in a form "
        f"({_FORM}), an update as application/sparql-update or in a form",
    )


def _one(fields: dict[str, list[str]], kind: str) -> ProtocolRequest:
    values = fields[kind]
    if len(values) != 1:
        raise HttpError(400, f"give one {kind}, not {len(values)}")
    return ProtocolRequest(kind, values[0], fields)


async def _query(request: Request, service: Service, asked: ProtocolRequest) -> Response:
    started = time.monotonic()
    dataset = asked.graphs("default-graph-uri", "named-graph-uri")
    wanted = request.headers.get("accept", ""), request.query_params.get("format")
    key = service.cache_key("query", asked.text, dataset, wanted)
    headers = {"Vary": "Accept"}
    if key is not None:
        etag = f'"{key}"'
        headers |= {"ETag": etag, "Cache-Control": "no-cache"}
        if not_modified(request, etag):
            return Response(status_code=304, headers=headers)
        found = service.cached(key)
        if found is not None:
            body, media = found
            return Response(body, media_type=media, headers=headers)
    answer = _Answer(service, asked.text, dataset, wanted, key, started)
    job = service.stream_query(answer.write, deadline=answer.deadline)
    try:
        first = await _first(job.stream, answer, request)
    except _Failed as failed:  # the query's own error: the worker has finished
        job.stream.cancel()
        raise failed.reason from None
    except BaseException:  # timed out, the client has gone, the server stops
        service.abandon(job)
        raise
    kind, body = first
    if kind == "whole":
        return Response(body, media_type=answer.media, headers=headers)
    return _Streamed(job.stream, body, media_type=answer.media, headers=headers)


async def _first(stream: AnswerStream, answer: _Answer, request: Request) -> tuple[str, bytes]:
    """The answer's first chunk (or the whole of a short one); its failure, raised as
    ``_Failed``, decides the status before a byte is sent; past the timeout, ``QueryTimeout``;
    ``ClientGone`` if the client disconnects first. (The worker stops at its next chunk.)"""
    loop = asyncio.get_running_loop()
    got = loop.create_task(stream.get())
    gone = loop.create_task(_disconnected(request))
    try:
        async with asyncio.timeout_at(_loop_time(answer.deadline)):
            await asyncio.wait((got, gone), return_when=asyncio.FIRST_COMPLETED)
    except TimeoutError:
        raise QueryTimeout(timeout_message(answer.service.settings)) from None
    finally:
        gone.cancel()
        if not got.done():
            got.cancel()
    if not got.done():
        raise ClientGone
    kind, payload = got.result()
    if kind == "error":
        raise _Failed(payload)  # type: ignore[arg-type]
    return kind, payload  # type: ignore[return-value]


async def _disconnected(request: Request) -> None:
    """Return when the client has closed the connection (its body, if any, was read already)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


class _Failed(Exception):
    def __init__(self, reason: BaseException) -> None:
        super().__init__(str(reason))
        self.reason = reason


def _loop_time(deadline: float) -> float:
    """``deadline`` (``time.monotonic``) on the running loop's clock."""
    return asyncio.get_running_loop().time() + deadline - time.monotonic()


class _Answer:
    """One query's answer as a worker writes it: run, serialized by pyoxigraph in chunks, and
    kept in the result cache when it is small enough."""

    def __init__(
        self,
        service: Service,
        query: str,
        dataset: ProtocolDataset | None,
        wanted: tuple[str, str | None],
        key: str | None,
        started: float,
    ) -> None:
        self.service = service
        self.query = query
        self.dataset = dataset
        self.wanted = wanted
        self.key = key
        self.state = service.state
        self.started = started
        self.deadline = started + service.settings.query_timeout_s
        self.media = ""
        self._kept: list[bytes] | None = [] if key is not None else None
        self._kept_bytes = 0
        self._whole = False

    def write(self, stream: AnswerStream) -> None:
        """In the worker: run the query and hand its answer to ``stream``."""
        settings = self.service.settings
        out = Chunks(
            lambda chunk: self._deliver(stream, out, chunk), settings=settings, started=self.started
        )
        try:
            plan, chosen = self.service.plan_answer(self.query, self.dataset, self.wanted)
            self.media = with_charset(chosen.media_type)
            write_answer(plan, chosen.name, out, settings)
        except Stopped:
            # The client went: a whole answer still fills the cache for the next one.
            if self._whole and self._kept is not None:
                self.service.remember(self.key, self.state, b"".join(self._kept), self.media)
            return
        except Exception as exc:
            with contextlib.suppress(Stopped):
                stream.put("error", exc.with_traceback(None))
            return
        if not self._whole:
            with contextlib.suppress(Stopped):
                stream.put("end", None)
        if self._kept is not None:
            self.service.remember(self.key, self.state, b"".join(self._kept), self.media)

    def _deliver(self, stream: AnswerStream, out: Chunks, chunk: bytes) -> None:
        if self._kept is not None:
            self._kept_bytes += len(chunk)
            if self._kept_bytes > self.service.settings.server_result_cache_answer_bytes:
                self._kept = None
            else:
                self._kept.append(chunk)
        # A first chunk that is also the last is the whole answer, sent with its length.
        self._whole = out.delivered == 1 and out.finished
        stream.put("whole" if self._whole else "chunk", chunk)


class _Streamed(StreamingResponse):
    """An answer sent as its worker writes it. If it fails once sent in part (the timeout), the
    connection is closed before the end, so the client sees an incomplete answer, never a
    complete-looking one; when the client goes, the worker is told to stop."""

    def __init__(self, stream: AnswerStream, first: bytes, **kwargs: object) -> None:
        super().__init__(self._chunks(stream, first), **kwargs)  # type: ignore[arg-type]
        self.stream = stream

    @staticmethod
    async def _chunks(stream: AnswerStream, first: bytes) -> AsyncIterator[bytes]:
        yield first
        while True:
            kind, payload = await stream.get()
            if kind == "end":
                return
            if kind == "error":
                raise _Cut(payload)  # type: ignore[arg-type]
            yield payload  # type: ignore[misc]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except _Cut as cut:
            log.warning("an answer was cut after it started: %s", cut.reason)
        finally:
            self.stream.cancel()


class _Cut(Exception):
    def __init__(self, reason: BaseException) -> None:
        super().__init__(str(reason))
        self.reason = reason


async def _update(request: Request, service: Service, asked: ProtocolRequest) -> Response:
    auth.may_write_secretariat(request, service)
    using = asked.graphs("using-graph-uri", "using-named-graph-uri")
    # The update's WHERE may call a SERVICE: the allowlist holds for the Secretariat too, on the
    # text as the engine reads it.
    update = unescaped(asked.text)[0]
    check_services(update, service.settings.service_allowlist)
    if using is not None:
        update = with_using(update, using.default, using.named)
    store = service.network.store

    def run() -> None:
        try:
            store.update(update, base_iri=f"{service.base_url}/sparql")
        except SyntaxError as exc:
            raise HttpError(400, f"the update is not valid SPARQL: {exc}") from None

    await service.run(service.write, run, lambda _: True)
    return text(200, "update done")


def service_description(request: Request, service: Service) -> Response:
    """What the endpoint offers (SPARQL 1.1 Service Description), in an RDF format."""
    chosen = choose(request, GRAPH)
    node = ox.NamedNode(f"{service.base_url}/sparql")
    sd = ox.BlankNode("service")

    def iri(local: str) -> ox.NamedNode:
        return ox.NamedNode(SD + local)

    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    triples = [
        ox.Triple(sd, rdf_type, iri("Service")),
        ox.Triple(sd, iri("endpoint"), node),
        ox.Triple(sd, iri("supportedLanguage"), iri("SPARQL11Query")),
        ox.Triple(sd, iri("supportedLanguage"), iri("SPARQL11Update")),
        ox.Triple(sd, iri("feature"), iri("UnionDefaultGraph")),
        ox.Triple(sd, iri("feature"), iri("BasicFederatedQuery")),
    ]
    for fmt in _RESULT_FORMATS:
        triples.append(ox.Triple(sd, iri("resultFormat"), ox.NamedNode(f"{_FORMATS}{fmt}")))
    rdf_format = ox.RdfFormat.from_media_type(chosen.media_type)
    body = ox.serialize(triples, format=rdf_format, prefixes={"sd": SD}) or b""
    return Response(body, media_type=with_charset(chosen.media_type))


_FORMATS = "http://www.w3.org/ns/formats/"
_RESULT_FORMATS = (
    *("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV"),
    *("Turtle", "N-Triples", "JSON-LD", "RDF_XML"),
)

"""What every route shares: plain-text errors, bodies read within a limit, conditional GETs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import pyoxigraph as ox
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message

from chmgraph.errors import ChmgraphError, InputError, StoreError, VersionConflict
from chmgraph.query.policy import QueryTimeout, ServiceRefused
from chmgraph.server.negotiation import NotAcceptable
from chmgraph.server.service import Busy, ClientGone

log = logging.getLogger("chmgraph.server")


class HttpError(Exception):
    """A request the server answers with ``status`` and a one-paragraph ``message``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error (or a short answer) as UTF-8 plain text, one line ending with a newline."""
    return PlainTextResponse(message.rstrip("\n") + "\n", status_code=status, headers=headers)


def error_response(exc: Exception) -> Response:
    """The answer to a failure: its status and message; never a traceback."""
    if isinstance(exc, HttpError):
        return text(exc.status, str(exc), exc.headers)
    if isinstance(exc, NotAcceptable):
        return text(406, str(exc))
    if isinstance(exc, ClientGone):
        # Nothing reaches the client; the access log shows the status nginx uses for it.
        return Response(status_code=499)
    if isinstance(exc, Busy):
        return text(503, "every query slot is busy: try again shortly", {"Retry-After": "1"})
    if isinstance(exc, ServiceRefused):
        return text(403, str(exc))
    if isinstance(exc, QueryTimeout):
        return text(503, str(exc))
    if isinstance(exc, VersionConflict):
        return text(409, str(exc))
    if isinstance(exc, InputError):
        return text(400, str(exc))
    if isinstance(exc, StoreError):
        return text(503, str(exc), {"Retry-After": "5"})
    if isinstance(exc, ChmgraphError):
        return text(500, str(exc))
    # A bug: the log says what happened (not the request's headers), the client only that it did.
    log.error("internal error", exc_info=exc)
    return text(500, "internal server error; the server's log has the details")


# The failures a request can cause (answered with their status, nothing logged).
EXPECTED_FAILURES = (HttpError, NotAcceptable, Busy, ClientGone, ChmgraphError)


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused with 413 once it passes ``limit`` bytes (before reading it
    all when Content-Length says so), and with 408 when it has not all arrived within the
    ``server_body_timeout_s`` setting (a client sending a byte now and then holds nothing)."""
    _refuse_declared(request, limit)
    async with _body_deadline(request):
        return await _read_within(request, limit)


@contextlib.asynccontextmanager
async def read_form(request: Request, limit: int) -> AsyncIterator[FormData]:
    """The request's form (multipart or URL-encoded) within the bounds of ``read_body``: 413
    past ``limit`` bytes in all, 408 when it has not all arrived within the
    ``server_body_timeout_s`` setting, 400 when it cannot be read. Starlette bounds only the
    parts that are not files; a file part would be spooled to disk whatever its size."""
    _refuse_declared(request, limit)
    size = 0

    async def receive() -> Message:
        nonlocal size
        message = await request.receive()
        size += len(message.get("body", b""))
        if size > limit:
            raise HttpError(413, f"the body passed the limit of {limit:,} bytes; cut off there")
        return message

    bounded = Request(request.scope, receive)
    try:
        async with _body_deadline(request):
            form = await bounded.form(max_part_size=limit)
    except HTTPException as exc:  # a part too large, a broken body
        raise HttpError(400, f"the form cannot be read: {exc.detail}") from None
    try:
        yield form
    finally:
        await form.close()


def _refuse_declared(request: Request, limit: int) -> None:
    """413 before reading, when the body's Content-Length passes ``limit``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HttpError(413, f"the body is {int(declared):,} bytes; the limit is {limit:,}")


@contextlib.asynccontextmanager
async def _body_deadline(request: Request) -> AsyncIterator[None]:
    """408 (and the connection closed) when the body has not all arrived within the
    ``server_body_timeout_s`` setting."""
    seconds = request.app.state.service.settings.server_body_timeout_s
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise HttpError(
            408,
            f"the body did not arrive within {seconds:g} s (setting server_body_timeout_s)",
            {"Connection": "close"},
        ) from None


async def _read_within(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"the body passed the limit of {limit:,} bytes; cut off there")
        chunks.append(chunk)
    return b"".join(chunks)


def media_type(request: Request) -> tuple[str, dict[str, str]]:
    """The request's Content-Type: its media type (lower case) and its parameters."""
    header = request.headers.get("content-type", "")
    media, *params = (part.strip() for part in header.split(";"))
    found = {}
    for param in params:
        key, _, value = param.partition("=")
        found[key.strip().lower()] = value.strip().strip('"')
    return media.lower(), found


def decode(body: bytes, params: dict[str, str], what: str) -> str:
    """``body`` as text: UTF-8 (the protocol's only encoding), else 400."""
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise HttpError(400, f"{what} must be UTF-8, not {charset}")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(400, f"{what} is not valid UTF-8 (byte {exc.start})") from None


def graph_iri(value: str, what: str) -> str:
    """``value`` if it is an absolute IRI, else 400 (it is written into SPARQL as ``<IRI>``)."""
    try:
        return ox.NamedNode(value).value
    except ValueError:
        raise HttpError(400, f"{what} {value!r} is not an absolute IRI") from None


def not_modified(request: Request, etag: str) -> bool:
    """Whether the client's If-None-Match already names ``etag``."""
    header = request.headers.get("if-none-match", "")
    return any(tag.strip() in (etag, "*", "W/" + etag) for tag in header.split(","))

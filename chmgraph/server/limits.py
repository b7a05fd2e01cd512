"""Manners every request gets: its headers within a deadline (``HeaderDeadline``), a
per-client rate limit (429 with Retry-After) and an access log line that holds no secret (no
header values, no query string: it may carry a query's parameters, and a token sent by mistake
in a URL would end up in the log)."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time

import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

access_log = logging.getLogger("chmgraph.server.access")
_WINDOW_S = 60.0


class RateLimit:
    """At most ``per_minute`` requests a minute per client address (a sliding token bucket)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """0 if ``client`` may make a request now (and counts it), else seconds to wait."""
        now = time.monotonic()
        rate = self.per_minute / _WINDOW_S
        with self._lock:
            tokens, then = self._buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return (1 - tokens) / rate
            self._buckets[client] = (tokens - 1, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()
            return 0.0


class Manners:
    """ASGI middleware: the rate limit, then the access log."""

    def __init__(self, app: ASGIApp, *, per_minute: int) -> None:
        self.app = app
        self.limit = RateLimit(per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("-", 0))[0]
        started = time.monotonic()
        status = {"code": 0}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        wait = self.limit.wait_s(client) if scope["path"] != "/healthz" else 0.0
        if wait:
            await _too_many(sending, math.ceil(wait))
        else:
            await self.app(scope, receive, sending)
        access_log.info(
            '%s "%s %s" %d %.1fms',
            client,
            scope["method"],
            scope["path"],
            status["code"],
            (time.monotonic() - started) * 1000,
        )


async def _too_many(send: Send, retry_after: int) -> None:
    body = f"too many requests: try again in {retry_after} s\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"retry-after", str(retry_after).encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HeaderDeadline(H11Protocol):
    """Uvicorn's HTTP/1.1 connection, with a deadline for each request's headers.

    Uvicorn times nothing before a request's headers are whole: a connection that sends nothing,
    or its headers a byte now and then, is held for as long as the client likes, and its
    keep-alive timer restarts at every byte. Here the headers of each request (the first one
    from when the connection opens, the next from when the previous answer ends) must all
    arrive within ``header_timeout_s`` (the ``server_header_timeout_s`` setting), else the
    connection is answered 408 and closed. Bodies have their own deadline
    (``server_body_timeout_s``, ``chmgraph.server.http.read_body``).
    """

    header_timeout_s = 20.0

    @classmethod
    def within(cls, seconds: float) -> type[HeaderDeadline]:
        """The protocol class with a deadline of ``seconds``, for ``uvicorn.run(http=...)``."""
        return type(cls.__name__, (cls,), {"header_timeout_s": seconds})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._await_headers()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:  # the request's headers have arrived
            self._headers_arrived()

    def on_response_complete(self) -> None:
        self._await_headers()  # a request pipelined behind this one cancels it at once
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._headers_arrived()
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _headers_arrived(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.our_state is h11.IDLE:  # nothing of an answer sent on this request yet
            body = (
                f"the request's headers did not arrive within {self.header_timeout_s:g} s "
                "(setting server_header_timeout_s)\n"
            ).encode()
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
            )
        self.transport.close()

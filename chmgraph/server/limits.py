"""Manners every request gets: a per-client rate limit (429 with Retry-After) and an access
log line that holds no secret (no header values, no query string: it may carry a query's
parameters, and a token sent by mistake in a URL would end up in the log)."""

from __future__ import annotations

import logging
import math
import threading
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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

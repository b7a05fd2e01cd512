"""Loopback web sites for the harvest tests: a dump directory served over HTTP with ETags, and
paths that misbehave the way hostile or broken sources do.

Each site is a threaded HTTP server on a free port of a loopback address (127.0.0.2 too: Linux
routes all of 127/8 to the loopback interface), stopped with ``close``.
"""

from __future__ import annotations

import hashlib
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox

TRIPLE = b"<http://e/s> <http://e/p> <http://e/o> .\n"
# How long a misbehaving path keeps misbehaving: far longer than any deadline under test.
HOSTILE_S = 20.0
# How long slow/ paths wait before answering.
SLOW_S = 10.0


class Site:
    """A loopback web site serving a dump directory, with misbehaving paths for the tests."""

    def __init__(self, folder: Path, store: ox.Store | None = None, host: str = "127.0.0.1"):
        self.folder, self.store = folder, store or ox.Store()
        self.overrides: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}  # path -> Location
        self.requests: list[tuple[str, str | None]] = []  # (path, If-None-Match)
        self.answers: list[int] = []
        self.etags = True
        self.big_size = 0  # bytes of huge-streamed.ttl
        server = ThreadingHTTPServer((host, 0), _handler(self))
        server.daemon_threads = True
        self.server = server
        self.url = f"http://{host}:{server.server_address[1]}/"
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def body(self, path: str) -> bytes | None:
        if path in self.overrides:
            return self.overrides[path]
        file = self.folder / path
        return file.read_bytes() if file.is_file() else None

    def reset(self) -> None:
        self.overrides.clear()
        self.redirects.clear()
        self.requests.clear()
        self.answers.clear()
        self.etags = True

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            url = urllib.parse.urlparse(self.path)
            path = url.path.lstrip("/")
            site.requests.append((path, self.headers.get("If-None-Match")))
            params = urllib.parse.parse_qs(url.query)
            if path in site.redirects:
                return self._redirect(site.redirects[path])
            if path.startswith("hostile/"):
                return self._hostile(path.removeprefix("hostile/"))
            if path == "slow/national/CM.ttl":
                time.sleep(SLOW_S)
                return self._send(200, site.body("national/CM.ttl") or b"")
            if path == "huge-announced.ttl":
                self.send_response(200)
                self.send_header("Content-Length", str(site.big_size * 10))
                self.end_headers()
                return None
            if path == "huge-streamed.ttl":
                return self._stream(TRIPLE * 100, 2 * site.big_size)
            if path == "sparql":
                result = site.store.query(params["query"][0])
                return self._send(200, result.serialize(format=ox.RdfFormat.N_TRIPLES), "nt")
            if path == "gsp":
                graph = ox.NamedNode(params["graph"][0])
                data = site.store.dump(format=ox.RdfFormat.TURTLE, from_graph=graph)
                return self._send(200, data, "ttl")
            body = site.body(path)
            if body is None:
                return self._send(404, b"not found")
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if site.etags and self.headers.get("If-None-Match") == etag:
                return self._send(304, b"")
            return self._send(200, body, etag=etag if site.etags else None)

        def _hostile(self, what: str) -> None:
            try:
                if what == "slow-headers":  # the status line, then a header byte at a time
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    self._trickle(b"X-Slow: " + b"a" * 10_000)
                elif what == "slow-body":  # the headers at once, then a body byte at a time
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self._trickle(TRIPLE * 2500)
                elif what == "endless":  # a body that never ends, as fast as it goes
                    self.send_response(200)
                    self.send_header("Content-Type", "text/turtle")
                    self.end_headers()
                    until = time.monotonic() + HOSTILE_S
                    while time.monotonic() < until:
                        self.wfile.write(TRIPLE * 1000)
                elif what.startswith("chain/"):  # a redirect to the next link, forever
                    self._redirect(f"/hostile/chain/{int(what.split('/')[1]) + 1}")
                else:
                    self._send(404, b"not found")
            except OSError:
                pass  # the client gave up, as it should

        def _trickle(self, data: bytes) -> None:
            until = time.monotonic() + HOSTILE_S
            for byte in data:
                if time.monotonic() > until:
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.05)

        def _redirect(self, location: str) -> None:
            site.answers.append(302)
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, body: bytes, kind: str = "", etag: str | None = None):
            site.answers.append(status)
            self.send_response(status)
            types = {"nt": "application/n-triples", "ttl": "text/turtle"}
            self.send_header("Content-Type", types.get(kind, "application/octet-stream"))
            if etag:
                self.send_header("ETag", etag)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _stream(self, chunk: bytes, size: int) -> None:
            # No Content-Length: the client learns the size only by reading.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(size // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass  # the client stopped reading at its limit

    return Handler

"""The pages' static files (``static/``): under URLs that name their content, so that a
browser keeps them for a year without asking again, and gzipped for a client that accepts it.

A page links ``asset_url("query.js")``, ``/static/query.js?v=<digest>``: the digest changes
with the file, so the URL a page links is always the file's current content, and a response
to it may say ``immutable``. A request without the current digest (an old page, a hand-typed
URL) gets the file too, with ``no-cache``: the browser asks again, with its ETag, each time.
Text files are compressed once a server and kept (the query page's scripts and styles: 1.1 MB
as files, 0.3 MB gzipped); the first load still parses all of it.

The URLs are made by ``chmgraph.server.templating.asset_url``.
"""

from __future__ import annotations

import gzip
import os
import threading
from functools import lru_cache
from pathlib import Path

from starlette.datastructures import Headers, QueryParams
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

from chmgraph.server.templating import asset_digest

# What a versioned URL's response says: keep it a year, never ask again.
FOREVER = "public, max-age=31536000, immutable"
# What any other static response says: keep it, but ask (with its ETag) before using it.
ASK = "no-cache"
# Files worth compressing, by suffix, and the smallest worth it.
COMPRESSED = {".js", ".css", ".json", ".svg", ".txt", ".html"}
COMPRESS_FROM_BYTES = 1024


_compressing = threading.Lock()


@lru_cache(maxsize=256)
def _gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    with _compressing:  # one compression of a file at a time, however many ask at once
        return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


class Assets(StaticFiles):
    """``StaticFiles`` with the caching and the compression above."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        request_headers = Headers(scope=scope)
        path = str(full_path)
        key = (path, stat_result.st_mtime_ns, stat_result.st_size)
        asked = QueryParams(scope.get("query_string", b"")).get("v")
        caching = FOREVER if asked == asset_digest(*key) else ASK
        plain = FileResponse(path, status_code=status_code, stat_result=stat_result)
        plain.headers["Cache-Control"] = caching
        plain.headers["Vary"] = "Accept-Encoding"
        compress = (
            Path(path).suffix in COMPRESSED
            and stat_result.st_size >= COMPRESS_FROM_BYTES
            and _accepts_gzip(request_headers.get("accept-encoding", ""))
        )
        if not compress:
            if self.is_not_modified(plain.headers, request_headers):
                return NotModifiedResponse(plain.headers)
            return plain
        headers = {
            "ETag": plain.headers["etag"][:-1] + '-gzip"',
            "Last-Modified": plain.headers["last-modified"],
            "Cache-Control": caching,
            "Vary": "Accept-Encoding",
            "Content-Encoding": "gzip",
        }
        if self.is_not_modified(Headers(headers=headers), request_headers):
            return NotModifiedResponse(Headers(headers=headers))
        return Response(
            _gzipped(*key),
            status_code=status_code,
            media_type=plain.media_type,
            headers=headers,
        )


def _accepts_gzip(accepted: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (``gzip;q=0`` refuses it).

    >>> _accepts_gzip("gzip, deflate, br"), _accepts_gzip("br"), _accepts_gzip("gzip;q=0")
    (True, False, False)
    """
    for part in accepted.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=")
            try:
                return not params or float(quality) > 0
            except ValueError:
                return False
    return False

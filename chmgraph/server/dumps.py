"""The dump at ``/dump/`` (``chmgraph.publish.dump``'s files, refreshed after every accepted
write) and ``/.well-known/void``.

Starlette's static files give each file an ETag and a Last-Modified, answer 304 to
If-None-Match and If-Modified-Since, serve byte ranges, and refuse paths outside the directory.
"""

from __future__ import annotations

import mimetypes
import os

from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from chmgraph.server.http import text
from chmgraph.server.service import Service

# The standard library's table lacks the RDF syntaxes the dump is made of.
for _suffix, _media in {
    ".ttl": "text/turtle",
    ".trig": "application/trig",
    ".nq": "application/n-quads",
    ".nt": "application/n-triples",
    ".rq": "application/sparql-query",
}.items():
    mimetypes.add_type(_media, _suffix)


class DumpFiles(StaticFiles):
    """The dump directory; a gzipped file is served as what it is (``application/gzip``), so a
    harvester does not take its bytes for Turtle."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if str(full_path).endswith(".gz") and response.status_code != 304:
            response.headers["content-type"] = "application/gzip"
        return response


async def well_known_void(request: Request) -> Response:
    """``/.well-known/void``: the dump's VoID description (RFC 8615, VoID section 7)."""
    service: Service = request.app.state.service
    if not (service.dump_dir / "void.ttl").is_file():
        return text(503, "the dump is being written; try again shortly", {"Retry-After": "5"})
    return Response(
        status_code=303,
        headers={"Location": "/dump/void.ttl"},
    )

"""The ASGI app: routes, middleware and the service they share.

>>> from chmgraph.network import Network
>>> from chmgraph.settings import Settings
>>> app = create_app(Network.in_memory(), Settings(), base_url="http://127.0.0.1:8000")
>>> sorted({r.path for r in app.routes})[:3]
['/', '/.well-known/void', '/api/harvest']
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from chmgraph.network import Network
from chmgraph.server import assets, dumps, harvests, linked_data, pages, sparql, store, submissions
from chmgraph.server.http import EXPECTED_FAILURES, error_response
from chmgraph.server.limits import Manners
from chmgraph.server.service import Service
from chmgraph.server.templating import STATIC_DIR
from chmgraph.settings import Settings

_READ = ["GET", "HEAD"]
_GSP = ["GET", "HEAD", "PUT", "POST", "DELETE"]


def create_app(network: Network, settings: Settings, *, base_url: str) -> Starlette:
    """The server over ``network``; ``base_url`` is where it is reached (its own IRIs: the
    Service Description's endpoint, graphs created by POST, the dump's links)."""
    service = Service(network, settings, base_url=base_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.run(service.start, pages.warm)
        yield
        # Uvicorn has let requests in flight finish (its graceful shutdown); the pool's own
        # work (a submission's commit and dump) finishes here before the store is closed.
        service.close()

    routes = [
        # The web UI's pages (chmgraph.server.pages); the browse pages are the Linked Data ones.
        Route("/", pages.home, methods=_READ),
        Route("/query", pages.editor, methods=_READ),
        Route("/queries/{name}", pages.named_query, methods=_READ),
        Route("/results", pages.free_query, methods=_READ),
        Route("/dashboard", pages.dashboard, methods=_READ),
        Route("/validate", pages.validation, methods=["GET", "HEAD", "POST"]),
        Route("/rules", pages.rules, methods=_READ),
        Route("/steward", pages.steward, methods=_READ),
        Mount("/static", assets.Assets(directory=STATIC_DIR), name="static"),
        Route("/healthz", healthz, methods=_READ),
        Route("/sparql", sparql.endpoint, methods=["GET", "HEAD", "POST"]),
        Route("/store", store.graph_store, methods=_GSP),
        Route("/store/{path:path}", store.graph_store, methods=_GSP),
        Route("/api/openapi.json", submissions.openapi, methods=_READ),
        Route("/api/validate", submissions.validate, methods=["POST"]),
        Route("/api/submissions/{country}", submissions.history, methods=_READ),
        Route("/api/submissions/{country}", submissions.submit, methods=["POST"]),
        Route("/api/submissions/{country}/diff", submissions.diff, methods=_READ),
        Route("/api/submissions/{country}/rollback", submissions.rollback, methods=["POST"]),
        Route("/api/harvest", harvests.start, methods=["POST"]),
        Route("/api/harvest", harvests.status, methods=_READ),
        Route("/id/{path:path}", linked_data.resource, methods=_READ),
        Route("/vocab", linked_data.vocabulary, methods=_READ),
        Route("/context.jsonld", linked_data.context, methods=_READ),
        Route("/graph/{path:path}", linked_data.graph, methods=_READ),
        Route("/.well-known/void", dumps.well_known_void, methods=_READ),
        Mount("/dump", dumps.DumpFiles(directory=service.dump_dir, check_dir=False)),
    ]
    middleware = [
        Middleware(Manners, per_minute=settings.server_rate_limit_per_minute),
        # Open for reads from any page; writes need an Authorization header, which is not
        # among the headers a cross-origin request may send, so a page cannot write.
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD", "POST"],
            allow_headers=["Accept", "Content-Type", "If-None-Match", "If-Modified-Since"],
            expose_headers=["ETag", "Retry-After", "Location"],
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        # The expected failures end here with their 4xx; anything else also reaches the log.
        exception_handlers={kind: _failed for kind in (*EXPECTED_FAILURES, Exception)},
    )
    app.state.service = service
    app.state.harvests = harvests.HarvestRuns(service)
    return app


async def _failed(request: Request, exc: Exception) -> Response:
    return error_response(exc)


async def healthz(request: Request) -> Response:
    service: Service = request.app.state.service
    return JSONResponse(
        {
            "status": "ok",
            "state": service.state,
            "warming": service.warming,
            "dump": service.dump_status,
            "answers": service.answers_status,
        }
    )

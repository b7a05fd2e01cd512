"""Harvesting inside the server: ``POST /api/harvest?source=VOID_URL`` (an admin credential)
starts a whole-network harvest (``chmgraph.harvest.Harvester.harvest_network``) in a thread of
its own and answers 202 at once; ``GET /api/harvest`` says how the last one went (or that one is
running). Queries go on meanwhile: the downloads and checks hold nothing, and the commits take
the server's write lock as a submission does, then refresh the dump.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chmgraph.harvest import Harvester, HarvestState, NetworkHarvest
from chmgraph.harvest.download import host_of
from chmgraph.server import auth
from chmgraph.server.http import HttpError
from chmgraph.server.service import Service


class HarvestRuns:
    """The server's harvests: at most one at a time, and the outcome of the last."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._lock = threading.Lock()
        self.running: str | None = None
        self.last: dict[str, object] | None = None
        state = HarvestState.at(service.network.store.location)
        self.harvester = Harvester(service.writing, settings=service.settings, state=state)

    def start(self, source: str) -> bool:
        """Start harvesting ``source`` in a thread; False if a harvest is running already."""
        with self._lock:
            if self.running is not None:
                return False
            self.running = source
        threading.Thread(target=self._run, args=(source,), name="chmgraph-harvest").start()
        return True

    def _run(self, source: str) -> None:
        started = datetime.now(UTC)
        try:
            outcome = self.harvester.harvest_network(source)
            report = _report(outcome)
        except Exception as exc:  # reported to whoever asks, never lost in a thread
            report = {"source": source, "ok": False, "error": str(exc)}
        report |= {"started": started.isoformat(), "ended": datetime.now(UTC).isoformat()}
        with self._lock:
            self.last, self.running = report, None

    def status(self) -> dict[str, object]:
        with self._lock:
            return {"running": self.running, "last": self.last}


def _report(outcome: NetworkHarvest) -> dict[str, object]:
    actions = ("added", "updated", "removed", "unchanged", "rejected", "failed")
    return {
        "source": outcome.void_url,
        "ok": outcome.ok,
        "summary": outcome.summary(),
        "requests": outcome.requests,
        "counts": {action: outcome.count(action) for action in actions},
        "graphs": [
            {
                "graph": r.graph,
                "action": r.action,
                "source": r.source,
                "version": r.version,
                "reason": r.reason.strip().splitlines()[0] if r.reason.strip() else "",
            }
            for r in outcome.results
            if r.action != "unchanged"
        ],
    }


def _runs(request: Request) -> HarvestRuns:
    return request.app.state.harvests


async def start(request: Request) -> Response:
    service: Service = request.app.state.service
    auth.may_write_secretariat(request, service)
    source = request.query_params.get("source", "")
    if not source.startswith(("http://", "https://")):
        raise HttpError(400, "source must be the http(s) URL of a VoID description")
    hosts = service.settings.harvest_allowed_hosts
    if hosts and host_of(source) not in {h.lower() for h in hosts}:
        # Refused before any request, as the harvest would refuse it (its links are held to
        # the same hosts).
        raise HttpError(
            403,
            f"{source}: host {host_of(source)!r} is not one the harvest may read from "
            f"({', '.join(sorted(hosts))}; setting harvest_allowed_hosts)",
        )
    if not _runs(request).start(source):
        raise HttpError(409, "a harvest is running already: GET /api/harvest says how it goes")
    return JSONResponse({"started": source, "status": "/api/harvest"}, status_code=202)


async def status(request: Request) -> Response:
    return JSONResponse(_runs(request).status())

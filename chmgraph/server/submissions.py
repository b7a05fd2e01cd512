"""The validation and submission API (JSON), described at ``/api/openapi.json``.

``POST /api/validate?country=CM`` checks an upload against the network without a credential
(at most ``server_validate_max_bytes``) and answers the report as JSON, SARIF, Turtle or text
(``?format=``); ``POST /api/submissions/CM`` submits with CM's credential; ``GET
/api/submissions/CM`` lists the versions, ``GET /api/submissions/CM/diff?from=1&to=2`` compares
two, ``POST /api/submissions/CM/rollback?to=1`` makes an old one current again.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chmgraph.network import SubmissionResult
from chmgraph.server import auth
from chmgraph.server.http import HttpError, media_type, read_body
from chmgraph.server.service import Service

_REPORT_MEDIA = {
    "json": "application/json",
    "sarif": "application/sarif+json",
    "turtle": "text/turtle; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}


def _service(request: Request) -> Service:
    return request.app.state.service


async def validate(request: Request) -> Response:
    service = _service(request)
    country = _required(request, "country")
    report_format = request.query_params.get("format", "json")
    if report_format not in _REPORT_MEDIA:
        raise HttpError(400, f"format must be one of {', '.join(_REPORT_MEDIA)}")
    data = await read_body(request, service.settings.server_validate_max_bytes)
    name, rdf_format = _upload(request)
    checked = await service.run(service.network.check, data, country, name=name, format=rdf_format)
    if checked.report is None:
        return JSONResponse({"conforms": checked.conforms, "summary": checked.summary})
    lang = request.query_params.get("lang")
    body = checked.report.render(format=report_format, lang=lang)
    return Response(body, media_type=_REPORT_MEDIA[report_format])


async def submit(request: Request) -> Response:
    service = _service(request)
    country = service.network.country_code(request.path_params["country"])
    steward = auth.may_write_national(request, service, country)
    data = await read_body(request, service.settings.server_max_body_bytes)
    name, rdf_format = _upload(request)
    network = service.network
    result = await service.run(
        service.write,
        lambda: network.submit(
            data,
            country,
            by=request.query_params.get("by") or f"credential {steward.id}",
            message=request.query_params.get("message"),
            name=name,
            format=rdf_format,
        ),
        lambda outcome: outcome.accepted,
    )
    return outcome_response(result)


async def history(request: Request) -> Response:
    service = _service(request)
    records = await service.run(service.network.history, request.path_params["country"])
    return JSONResponse(
        [
            {
                "version": r.number,
                "iri": r.iri,
                "triples": r.triples,
                "sha256": r.sha256,
                "when": r.when.isoformat(),
                "by": r.by,
                "message": r.message,
                "validation": r.validation,
                "warnings": r.warnings,
                "replaces": r.replaces,
                "restored_from": r.restored_from,
                "source": r.source,
                "upstream": {
                    "version": r.upstream_version,
                    "when": r.upstream_when.isoformat() if r.upstream_when else None,
                    "steward": r.upstream_steward,
                },
            }
            for r in records
        ]
    )


async def diff(request: Request) -> Response:
    service = _service(request)
    old, new = _number(request, "from"), _number(request, "to")
    added, removed = await service.run(
        service.network.diff, request.path_params["country"], old, new
    )
    return JSONResponse(
        {
            "from": old,
            "to": new,
            "added": [f"{t.subject} {t.predicate} {t.object} ." for t in added],
            "removed": [f"{t.subject} {t.predicate} {t.object} ." for t in removed],
        }
    )


async def rollback(request: Request) -> Response:
    service = _service(request)
    country = service.network.country_code(request.path_params["country"])
    steward = auth.may_write_national(request, service, country)
    to = _number(request, "to")
    network = service.network
    result = await service.run(
        service.write,
        lambda: network.rollback(
            country,
            to,
            by=f"credential {steward.id}",
            message=request.query_params.get("message"),
        ),
        lambda outcome: outcome.accepted,
    )
    return outcome_response(result)


def outcome_response(result: SubmissionResult) -> Response:
    """A submission's outcome as JSON: 200 accepted or unchanged, 422 rejected."""
    report = result.report
    body = {
        "status": result.status,
        "country": result.country,
        "version": result.version,
        "triples": result.triples,
        "report": None if report is None else json.loads(report.render(format="json")),
    }
    return JSONResponse(body, status_code=422 if result.status == "rejected" else 200)


def _upload(request: Request) -> tuple[str, ox.RdfFormat | None]:
    """The name reports cite, and the RDF syntax the Content-Type names (None: by the name)."""
    name = request.query_params.get("name") or "upload.ttl"
    media, _ = media_type(request)
    if not media or media == "application/octet-stream":
        return name, None
    rdf_format = ox.RdfFormat.from_media_type(media)
    if rdf_format is None:
        raise HttpError(415, f"{media} is not an RDF syntax; send text/turtle, for example")
    return name, rdf_format


def _required(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise HttpError(400, f"give ?{name}=")
    return value


def _number(request: Request, name: str) -> int:
    value = _required(request, name)
    if not value.isdigit():
        raise HttpError(400, f"?{name}= must be a version number, not {value!r}")
    return int(value)


OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "chmgraph", "version": "1"},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "paths": {
        "/api/validate": {
            "post": {
                "summary": "Validate an upload against the network; nothing is stored",
                "parameters": [
                    {"name": "country", "in": "query", "required": True},
                    {"name": "format", "in": "query", "description": "json, sarif, turtle, text"},
                    {"name": "lang", "in": "query", "description": "ar, en, es, fr, ru, zh"},
                    {"name": "name", "in": "query", "description": "the name reports cite"},
                ],
                "requestBody": {"content": {"text/turtle": {}, "application/n-triples": {}}},
                "responses": {"200": {"description": "the validation report"}},
            }
        },
        "/api/submissions/{country}": {
            "get": {"summary": "Every accepted version, oldest first"},
            "post": {
                "summary": "Submit the country's national graph (its steward's credential)",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "by", "in": "query"},
                    {"name": "message", "in": "query"},
                ],
                "requestBody": {"content": {"text/turtle": {}, "application/n-triples": {}}},
                "responses": {
                    "200": {"description": "accepted or unchanged, with the report"},
                    "401": {"description": "no credential"},
                    "403": {"description": "another country's credential"},
                    "422": {"description": "rejected, with the report; nothing changed"},
                },
            },
        },
        "/api/submissions/{country}/diff": {
            "get": {
                "summary": "Triples added and removed between two versions",
                "parameters": [
                    {"name": "from", "in": "query", "required": True},
                    {"name": "to", "in": "query", "required": True},
                ],
            }
        },
        "/api/submissions/{country}/rollback": {
            "post": {
                "summary": "Make version `to` current again, as a new version",
                "security": [{"bearer": []}],
                "parameters": [{"name": "to", "in": "query", "required": True}],
            }
        },
        "/api/harvest": {
            "get": {"summary": "Whether a harvest is running, and how the last one went"},
            "post": {
                "summary": "Harvest every national graph of a VoID description, in the "
                "background (an admin credential)",
                "security": [{"bearer": []}],
                "parameters": [{"name": "source", "in": "query", "required": True}],
                "responses": {
                    "202": {"description": "started"},
                    "409": {"description": "a harvest is running already"},
                },
            },
        },
    },
}


async def openapi(request: Request) -> Response:
    return JSONResponse(OPENAPI)

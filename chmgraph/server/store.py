"""The SPARQL 1.1 Graph Store Protocol at ``/store``: graphs named indirectly
(``/store?graph=IRI``, ``/store?default``) or directly (``/store/any/path``, whose IRI is the
request's URL).

Anyone may read. A national graph is written only through the gate of ``chmgraph submit``
(validation, a new version, its PROV-O record), with that country's credential: PUT submits the
body as the graph, POST submits the graph with the body's triples added, DELETE submits an
empty graph (which the national rules reject). Every other graph is written only with an admin
credential, directly.
"""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from chmgraph import iris
from chmgraph.network import SubmissionResult
from chmgraph.server import auth
from chmgraph.server.http import HttpError, graph_iri, media_type, read_body, read_form, text
from chmgraph.server.negotiation import GRAPH, choose
from chmgraph.server.service import Service

_ALL = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


async def graph_store(request: Request) -> Response:
    service: Service = request.app.state.service
    target = _target(request, service)
    if request.method in ("GET", "HEAD"):
        return await _read(request, service, target)
    if target is None and request.method == "POST" and "default" not in request.query_params:
        target = f"{service.base_url}/store/{uuid.uuid4()}"
        response = await _write(request, service, target, "PUT")
        response.status_code = 201
        response.headers["Location"] = target
        return response
    return await _write(request, service, target, request.method)


def _target(request: Request, service: Service) -> str | None:
    """The graph's IRI; None for the default graph (or a POST creating a graph)."""
    if request.path_params.get("path"):
        return graph_iri(f"{service.base_url}{request.url.path}", "the request's URL")
    graph = request.query_params.getlist("graph")
    if "default" in request.query_params:
        if graph:
            raise HttpError(400, "give graph=IRI or default, not both")
        return None
    if len(graph) == 1:
        return graph_iri(graph[0], "graph")
    if request.method == "POST" and not graph:
        return None
    raise HttpError(400, "name one graph: ?graph=IRI, or ?default for the default graph")


async def _read(request: Request, service: Service, target: str | None) -> Response:
    chosen = choose(request, GRAPH)
    store = service.network.store

    def serialize() -> bytes | None:
        if target is not None and target not in store.graphs():
            return None
        answer = store.query(_ALL, default_graph=[target] if target else None)
        rdf_format = ox.RdfFormat.from_media_type(chosen.media_type)
        return ox.serialize(list(answer), format=rdf_format, prefixes=dict(iris.PREFIXES)) or b""

    body = await service.run_query(serialize)
    if body is None:
        return text(404, f"no graph <{target}> in the store")
    media = chosen.media_type + ("" if "json" in chosen.media_type else "; charset=utf-8")
    if request.method == "HEAD":
        return Response(media_type=media, headers={"Content-Length": str(len(body))})
    return Response(body, media_type=media)


async def _write(request: Request, service: Service, target: str | None, method: str) -> Response:
    country = iris.country_of_graph(target) if target else None
    if country is not None:
        steward = auth.may_write_national(request, service, country)
        return await _submit(request, service, target, country, method, steward.id)
    auth.may_write_secretariat(request, service)
    triples = await _triples(request, service) if method != "DELETE" else []
    store = service.network.store
    existed = target is None or target in store.graphs()
    if method == "DELETE" and not existed:
        return text(404, f"no graph <{target}> in the store")
    update = _replacement(target, triples, keep=method == "POST")
    await service.run(service.write, lambda: store.update(update), lambda _: True)
    if method == "PUT" and not existed:
        return text(201, "created")
    return Response(status_code=204)


def _replacement(target: str | None, triples: list[ox.Triple], *, keep: bool) -> str:
    """The one update (one transaction) that makes ``target`` hold ``triples`` (or adds them)."""
    data = " ".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
    graph = f"GRAPH <{target}>" if target else "DEFAULT"
    inside = f"GRAPH <{target}> {{ {data} }}" if target else data
    drop = "" if keep else f"DROP SILENT {graph} ;\n"
    return f"{drop}INSERT DATA {{ {inside} }}"


async def _triples(request: Request, service: Service) -> list[ox.Triple]:
    """The triples of the body: an RDF document, or the files of a multipart form."""
    limit = service.settings.server_max_body_bytes
    media, _ = media_type(request)
    if media == "multipart/form-data":
        documents = []
        async with read_form(request, limit) as form:
            for _, part in form.multi_items():
                if hasattr(part, "read"):
                    documents.append((await part.read(), part.content_type or "text/turtle"))
    else:
        documents = [(await read_body(request, limit), media)]
    found: list[ox.Triple] = []
    for data, kind in documents:
        found.extend(_parse(data, kind.split(";")[0].strip(), request))
    return found


def _parse(data: bytes, media: str, request: Request) -> list[ox.Triple]:
    rdf_format = ox.RdfFormat.from_media_type(media) if media else None
    if rdf_format is None or rdf_format.supports_datasets:
        raise HttpError(415, f"{media or 'no Content-Type'}: send a graph in an RDF syntax")
    try:
        return [q.triple for q in ox.parse(data, format=rdf_format, base_iri=str(request.url))]
    except SyntaxError as exc:
        raise HttpError(400, f"the body is not valid {rdf_format.name}: {exc}") from None


async def _submit(
    request: Request, service: Service, target: str, country: str, method: str, by: str
) -> Response:
    network = service.network
    media, _ = media_type(request)
    if method == "DELETE":
        data, name, rdf_format = b"", "DELETE", ox.RdfFormat.N_TRIPLES
    elif method == "PUT" and media != "multipart/form-data":
        # The body as sent, so the report's line numbers are the steward's file's.
        data = await read_body(request, service.settings.server_max_body_bytes)
        name, rdf_format = "upload", ox.RdfFormat.from_media_type(media)
        if rdf_format is None:
            raise HttpError(415, f"{media or 'no Content-Type'}: send a graph in an RDF syntax")
    else:
        triples = await _triples(request, service)
        if method == "POST":
            triples = list(network.store.query(_ALL, default_graph=[target])) + triples
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        name, rdf_format = "upload.nt", ox.RdfFormat.N_TRIPLES
    result = await service.run(
        service.write,
        lambda: network.submit(
            data,
            country,
            by=f"credential {by}",
            message=f"{method} /store",
            name=name,
            format=rdf_format,
        ),
        lambda outcome: outcome.accepted,
    )
    return submission_response(result, created=result.version == 1)


def submission_response(result: SubmissionResult, *, created: bool = False) -> Response:
    """A submission's outcome: 201/200 accepted, 204 unchanged, 422 rejected with the report."""
    if result.status == "rejected":
        report = result.checked.render() if result.checked else ""
        return text(422, f"rejected: {result.country}'s graph did not change\n{report}")
    if result.status == "unchanged":
        return Response(status_code=204)
    return text(
        201 if created else 200,
        f"accepted: {result.country} version {result.version} ({result.triples} triples)",
    )

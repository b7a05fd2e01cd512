"""Linked Data: every IRI under the network's base answers here with content negotiation.

``/id/PATH`` describes ``https://w3id.org/chmgraph/id/PATH`` (the statements about it, from
every current graph and what they entail); ``/vocab`` is the vocabulary (the ontology graph);
``/graph/PATH`` is the named graph ``https://w3id.org/chmgraph/graph/PATH``. HTML, Turtle,
JSON-LD, N-Triples and RDF/XML; 404 for an IRI nothing is said about. HTML is minimal, and every
value in it is escaped.
"""

from __future__ import annotations

from html import escape

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from chmgraph import iris
from chmgraph.server.http import text
from chmgraph.server.negotiation import GRAPH, HTML, Format, choose
from chmgraph.server.service import Service

_OFFERED = (*GRAPH, HTML)
# Browsers ask for HTML first; every other client gets Turtle unless it asks otherwise.
_BROWSER_FIRST = (HTML, *GRAPH)
_BASE = "https://w3id.org/chmgraph/"


async def resource(request: Request) -> Response:
    """``/id/...``: what the network says about one thing."""
    service: Service = request.app.state.service
    subject = iris.ID + request.path_params["path"]
    chosen = _choose(request)
    try:
        # Written into the query as an IRI: only a valid one, so a path cannot add SPARQL.
        node = ox.NamedNode(subject)
    except ValueError:
        return text(404, f"{subject!r} is not an IRI of this network")
    query = f"CONSTRUCT {{ {node} ?p ?o }} WHERE {{ {node} ?p ?o }}"
    triples = await service.run_query(_construct, service, query)
    if not triples:
        return text(404, f"nothing is known about <{subject}>")
    return _answer(triples, chosen, subject)


async def vocabulary(request: Request) -> Response:
    """``/vocab``: the ontology graph."""
    return await _graph(request, iris.ONTOLOGY_GRAPH, iris.VOCAB_ONTOLOGY)


async def graph(request: Request) -> Response:
    """``/graph/...``: one named graph, whole."""
    name = iris.GRAPH + request.path_params["path"]
    return await _graph(request, name, name)


async def _graph(request: Request, name: str, about: str) -> Response:
    service: Service = request.app.state.service
    chosen = _choose(request)
    store = service.network.store

    def read() -> list[ox.Triple] | None:
        if name not in store.graphs():
            return None
        return list(store.query("CONSTRUCT WHERE { ?s ?p ?o }", default_graph=[name]))

    triples = await service.run_query(read)
    if triples is None:
        return text(404, f"no graph <{name}> in the network")
    return _answer(triples, chosen, about)


def _construct(service: Service, query: str) -> list[ox.Triple]:
    return service.network.query(query, settings=service.settings).triples


def _choose(request: Request) -> Format:
    accept = request.headers.get("accept", "")
    return choose(request, _BROWSER_FIRST if "text/html" in accept else _OFFERED)


def _answer(triples: list[ox.Triple], chosen: Format, about: str) -> Response:
    headers = {"Vary": "Accept", "Link": f'<{about}>; rel="canonical"'}
    if chosen is HTML:
        return HTMLResponse(_html(triples, about), headers=headers)
    rdf_format = ox.RdfFormat.from_media_type(chosen.media_type)
    body = ox.serialize(triples, format=rdf_format, prefixes=dict(iris.PREFIXES)) or b""
    charset = "" if "json" in chosen.media_type else "; charset=utf-8"
    return Response(body, media_type=chosen.media_type + charset, headers=headers)


def _html(triples: list[ox.Triple], about: str) -> str:
    rows = "\n".join(
        f"<tr><td>{_cell(t.subject)}</td><td>{_cell(t.predicate)}</td><td>{_cell(t.object)}</td>"
        "</tr>"
        for t in sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    )
    title = escape(about)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body><h1>{title}</h1>\n"
        '<p>Also as <a href="?format=turtle">Turtle</a>, <a href="?format=jsonld">JSON-LD</a>, '
        '<a href="?format=ntriples">N-Triples</a>.</p>\n'
        f"<table>\n<tr><th>subject</th><th>predicate</th><th>object</th></tr>\n{rows}\n</table>"
        "</body></html>\n"
    )


def _cell(term: object) -> str:
    """A term as HTML: a link for an IRI (the local one for the network's own), else text."""
    if isinstance(term, ox.NamedNode):
        href = term.value
        if href.startswith(_BASE):
            href = "/" + href[len(_BASE) :]
        return f'<a href="{escape(href)}">{escape(term.value)}</a>'
    if isinstance(term, ox.Literal) and term.language:
        return f'<span lang="{escape(term.language)}">{escape(term.value)}</span>'
    return escape(getattr(term, "value", str(term)))

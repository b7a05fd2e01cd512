"""Linked Data: every IRI under the network's base answers here with content negotiation.

``/id/PATH`` describes ``https://w3id.org/chmgraph/id/PATH`` (the statements about it, from
every current graph and what they entail); ``/vocab`` is the vocabulary (the ontology graph);
``/graph/PATH`` is the named graph ``https://w3id.org/chmgraph/graph/PATH``. HTML, Turtle,
JSON-LD, N-Triples and RDF/XML; 404 for an IRI nothing is said about. The HTML of these IRIs is
the web UI's browse pages (``templates/resource.html``, ``templates/graph.html``): the thing's
names in the six languages, its statements with the labels of what they name in the reader's
language, what links to it, and for a country its national CHM, versions and workshops (the
library's queries); every value escaped.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from chmgraph import iris
from chmgraph.errors import ChmgraphError
from chmgraph.jsonld import SHIPPED
from chmgraph.query.library import QueryLibrary
from chmgraph.server import i18n
from chmgraph.server.http import text
from chmgraph.server.negotiation import GRAPH, HTML, Format, choose
from chmgraph.server.service import Service
from chmgraph.server.templating import Cell, cell, page, result_table

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
    if chosen is HTML:
        lang = i18n.language(request)
        view = await service.run_query(describe, service, subject, triples, lang)
        return page(request, "resource.html", headers=_headers(subject), view=view)
    return _answer(triples, chosen, subject)


async def vocabulary(request: Request) -> Response:
    """``/vocab``: the ontology graph."""
    return await _graph(request, iris.ONTOLOGY_GRAPH, iris.VOCAB_ONTOLOGY)


async def context(request: Request) -> Response:
    """``/context.jsonld``: the network's JSON-LD context, the file chmgraph ships (and reads
    JSON-LD with), so that what a steward's editor resolves is what validation uses."""
    body = SHIPPED[iris.CONTEXT].read_bytes()
    return Response(
        body, media_type="application/ld+json", headers={"Cache-Control": "max-age=3600"}
    )


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
    if chosen is HTML:
        subjects = _by_subject(triples)
        return page(
            request,
            "graph.html",
            headers=_headers(about),
            name=name,
            about=about,
            count=len(triples),
            subjects=subjects[:GRAPH_SUBJECTS],
            cut=len(subjects) > GRAPH_SUBJECTS,
        )
    return _answer(triples, chosen, about)


def _construct(service: Service, query: str) -> list[ox.Triple]:
    return service.network.query(query, settings=service.settings).triples


def _choose(request: Request) -> Format:
    accept = request.headers.get("accept", "")
    return choose(request, _BROWSER_FIRST if "text/html" in accept else _OFFERED)


def _headers(about: str) -> dict[str, str]:
    return {"Link": f'<{about}>; rel="canonical"'}


def _answer(triples: list[ox.Triple], chosen: Format, about: str) -> Response:
    headers = {"Vary": "Accept", **_headers(about)}
    rdf_format = ox.RdfFormat.from_media_type(chosen.media_type)
    body = ox.serialize(triples, format=rdf_format, prefixes=dict(iris.PREFIXES)) or b""
    charset = "" if "json" in chosen.media_type else "; charset=utf-8"
    return Response(body, media_type=chosen.media_type + charset, headers=headers)


# The browse pages

RDFS_LABEL = iris.PREFIXES["rdfs"] + "label"
SKOS_PREF = iris.PREFIXES["skos"] + "prefLabel"
FORMAL_NAME = iris.PREFIXES["chm"] + "formalName"
RDF_TYPE = iris.PREFIXES["rdf"] + "type"
NAME_PROPERTIES = (SKOS_PREF, RDFS_LABEL, FORMAL_NAME)
# What a page shows at most: statements linking to the thing, subjects of a graph.
INCOMING = 300
GRAPH_SUBJECTS = 2000
_COUNTRY = iris.ID + "country/"
# The library's questions a country page answers, with the parameters they take.
COUNTRY_QUERIES = (
    "has-national-chm",
    "workshops-by-host-country",
    "national-chm-workshops-attended",
)


@dataclass(frozen=True)
class Statement:
    """A property of the thing with its values, each a cell with the label of what it names."""

    predicate: Cell
    values: list[Cell]


@dataclass
class View:
    """What a browse page shows of one thing."""

    iri: str
    title: str
    types: list[Cell]
    names: list[tuple[str, str, str]]  # (property label, language, text)
    statements: list[Statement]
    incoming: list[tuple[Cell, Cell]]
    incoming_cut: bool
    country: str | None = None
    versions: list | None = None
    answers: list | None = None


def describe(service: Service, subject: str, triples: list[ox.Triple], lang: str) -> View:
    """The browse page of ``subject``: labels in ``lang`` (then English, then any)."""
    network = service.network
    node = ox.NamedNode(subject)
    incoming_query = f"SELECT ?s ?p WHERE {{ ?s ?p {node} }} LIMIT {INCOMING + 1}"
    incoming = network.query(incoming_query, settings=service.settings).rows
    named = {subject} | {t.predicate.value for t in triples}
    named |= {t.object.value for t in triples if isinstance(t.object, ox.NamedNode)}
    named |= {r[i].value for r in incoming for i in (0, 1) if isinstance(r[i], ox.NamedNode)}
    labels = _labels(service, sorted(named), lang)

    def labelled(term: object) -> Cell:
        shown = cell(term)
        if isinstance(term, ox.NamedNode) and term.value in labels:
            return Cell(labels[term.value], term.value)
        return shown

    found = sorted(
        (NAME_PROPERTIES.index(t.predicate.value), t.object.language or "", t.object.value)
        for t in triples
        if t.predicate.value in NAME_PROPERTIES and isinstance(t.object, ox.Literal)
    )
    names = [(labels.get(NAME_PROPERTIES[i], NAME_PROPERTIES[i]), tag, x) for i, tag, x in found]
    grouped: dict[str, list[Cell]] = {}
    for t in sorted(triples, key=lambda t: (t.predicate.value, str(t.object))):
        if t.predicate.value in NAME_PROPERTIES or t.predicate.value == RDF_TYPE:
            continue
        grouped.setdefault(t.predicate.value, []).append(labelled(t.object))
    view = View(
        iri=subject,
        title=labels.get(subject, subject),
        types=[labelled(t.object) for t in triples if t.predicate.value == RDF_TYPE],
        names=names,
        statements=[Statement(labelled(ox.NamedNode(p)), v) for p, v in grouped.items()],
        incoming=[(labelled(r[0]), labelled(r[1])) for r in incoming[:INCOMING]],
        incoming_cut=len(incoming) > INCOMING,
    )
    if subject.startswith(_COUNTRY):
        _country(service, view, subject[len(_COUNTRY) :], lang)
    return view


def _country(service: Service, view: View, code: str, lang: str) -> None:
    """A country's page: its national graph's versions and the library's answers about it."""
    network = service.network
    view.country = code
    try:
        view.versions = list(reversed(network.history(code)))
    except ChmgraphError:
        view.versions = []
    library = QueryLibrary.load()
    view.answers = []
    for name in COUNTRY_QUERIES:
        if name not in {q.name for q in library}:
            continue
        query = library[name]
        params = {"country": code}
        if any(p.name == "lang" for p in query.parameters):
            params["lang"] = lang
        result = service.answer(query, params)
        table = result_table(result, 200)
        view.answers.append((query, table, len(table["rows"])))


def _labels(service: Service, named: list[str], lang: str) -> dict[str, str]:
    """The label of each IRI of ``named`` in ``lang``, else English, else any it has."""
    if not named:
        return {}
    values = " ".join(str(ox.NamedNode(i)) for i in named)
    query = (
        f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} "
        f"?s <{SKOS_PREF}>|<{RDFS_LABEL}> ?l FILTER(isLiteral(?l)) }}"
    )
    rank: dict[str, tuple[int, str]] = {}
    for s, label in network_rows(service, query):
        tag = label.language or ""
        order = 0 if tag == lang else 1 if tag == "en" else 2 if tag == "" else 3
        best = rank.get(s.value)
        if best is None or (order, label.value) < best:
            rank[s.value] = (order, label.value)
    return {iri: label for iri, (_, label) in rank.items()}


def network_rows(service: Service, query: str) -> list[tuple]:
    return service.network.query(query, settings=service.settings).rows


def _by_subject(triples: list[ox.Triple]) -> list[tuple[str, str, list[tuple[Cell, Cell]]]]:
    """A graph's statements by subject: (its anchor, the subject, its predicates and values)."""
    grouped: dict[str, list[tuple[Cell, Cell]]] = {}
    for t in sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object))):
        key = t.subject.value if isinstance(t.subject, ox.NamedNode) else "_:" + t.subject.value
        grouped.setdefault(key, []).append((cell(t.predicate), cell(t.object)))
    return [(_anchor(s), s, rows) for s, rows in grouped.items()]


def _anchor(subject: str) -> str:
    """The fragment a subject's section has: a vocabulary term's own (``/vocab#Workshop``)."""
    if "#" in subject:
        return subject.rsplit("#", 1)[1] or subject
    return subject

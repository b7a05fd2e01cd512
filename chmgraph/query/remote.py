"""Running the query library against a remote SPARQL 1.1 endpoint, through SPARQLWrapper.

The same preparation as a local run (parameters bound in a ``VALUES`` block, the SERVICE
allowlist checked before anything is sent), then one SPARQL 1.1 Protocol request: the graphs
asked for go as ``default-graph-uri`` and ``named-graph-uri``; without them the endpoint's own
default dataset answers. Entailment is the endpoint's own. Answers are parsed by pyoxigraph and
read within the same row cap; the timeout bounds each network operation of the request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from urllib.error import URLError

import pyoxigraph as ox
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from chmgraph.errors import ChmgraphError, InputError, StoreError
from chmgraph.query.library import NamedQuery
from chmgraph.query.policy import QueryTimeout, check_services, read_within
from chmgraph.query.results import QueryResult
from chmgraph.query.run import resolve_graph
from chmgraph.query.text import PreparedQuery, prepare
from chmgraph.settings import Settings


def run_remote(
    url: str,
    query: NamedQuery | str,
    *,
    params: Mapping[str, str] | None = None,
    graphs: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
    settings: Settings | None = None,
) -> QueryResult:
    """Run ``query`` (a library query, or SPARQL text) at the endpoint ``url``.

    Raises what ``chmgraph.query.run_query`` raises, and ``StoreError`` when the endpoint
    cannot be reached.
    """
    settings = settings or Settings.from_env()
    if isinstance(query, str):
        query = NamedQuery.from_text(query)
    prepared = prepare(query, query.bindings(params or {}))
    check_services(prepared.text, settings.service_allowlist)
    request = _request(url, prepared, graphs, settings)
    data = _send(url, request, settings)
    result = read_within(
        lambda: _parse(data, prepared), prepared, limit=limit, settings=settings, offset=offset
    )
    result.context = query.context
    return result


def _request(
    url: str, prepared: PreparedQuery, graphs: Sequence[str] | None, settings: Settings
) -> SPARQLWrapper:
    request = SPARQLWrapper(url)
    request.setQuery(prepared.text)
    # SPARQLWrapper guesses the form with a regular expression that words in comments can fool
    # ("clearing-house" reads as CLEAR); the form is known, so say it.
    request.queryType = prepared.form
    request.setMethod(POST)
    graph_answer = prepared.form in ("CONSTRUCT", "DESCRIBE")
    request.setReturnFormat(TURTLE if graph_answer else JSON)
    request.setTimeout(max(1, math.ceil(settings.query_timeout_s)))
    for graph in graphs or ():
        iri = resolve_graph(graph)
        request.addDefaultGraph(iri)
        request.addNamedGraph(iri)
    return request


def _send(url: str, request: SPARQLWrapper, settings: Settings) -> bytes:
    try:
        return request.query().response.read()
    except SPARQLWrapperException as exc:
        reason = str(exc).strip().splitlines()
        raise InputError(f"{url}: the endpoint refused the query: {' '.join(reason)}") from None
    except TimeoutError:
        raise QueryTimeout(
            f"{url}: no answer within {settings.query_timeout_s:g} s (setting query_timeout_s)"
        ) from None
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StoreError(f"{url}: cannot reach the SPARQL endpoint: {reason}") from None


def _parse(data: bytes, prepared: PreparedQuery) -> object:
    try:
        if prepared.form in ("CONSTRUCT", "DESCRIBE"):
            return (quad.triple for quad in ox.parse(data, format=ox.RdfFormat.TURTLE))
        return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    except (SyntaxError, ValueError) as exc:
        raise ChmgraphError(f"the endpoint's answer cannot be read: {exc}") from None

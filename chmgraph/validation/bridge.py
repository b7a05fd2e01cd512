"""The bridge to rdflib, pySHACL's graph library: pyoxigraph terms in, rdflib terms out and back.

pyoxigraph parses and holds the data; pySHACL needs an rdflib graph. Terms are built one by one
(no serializer and parser in between), with literals kept as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from rdflib.plugins.sparql import prepareQuery

from chmgraph import iris
from chmgraph.errors import InputError

_XSD_STRING = iris.PREFIXES["xsd"] + "string"


class PreparedQueryGraph(rdflib.Graph):
    """An rdflib graph that parses each distinct SPARQL query once.

    pySHACL runs a SPARQL constraint once per focus node, and rdflib parses the query text
    every time (about 60 ms each): parsing, not evaluation, dominated validation. The prepared
    query is the same algebra rdflib would build, so results are unchanged.
    """

    def query(  # type: ignore[override]
        self,
        query_object,
        processor="sparql",
        result="sparql",
        initNs=None,
        initBindings=None,
        use_store_provided=True,
        **kwargs,
    ):
        if isinstance(query_object, str):
            namespaces = initNs or dict(self.namespaces())
            query_object = _prepared(query_object, tuple(sorted(namespaces.items())))
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )


@lru_cache(maxsize=256)
def _prepared(text: str, namespaces: tuple[tuple[str, str], ...]):
    return prepareQuery(text, initNs=dict(namespaces))


def to_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """An rdflib graph of ``triples``; literals keep their lexical form as written."""
    graph = PreparedQueryGraph()
    add = graph.add
    for t in triples:
        add((to_rdflib_term(t.subject), to_rdflib_term(t.predicate), to_rdflib_term(t.object)))
    return graph


def to_rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> rdflib.term.Node:
    """The rdflib term for a pyoxigraph one (RDF-star triple terms have none)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return rdflib.Literal(term.value)
        # rdflib's own parser builds literals this way, so results agree with plain pySHACL.
        return rdflib.Literal(term.value, datatype=term.datatype.value)
    raise InputError(f"RDF-star triple terms cannot be validated: {term}")


def from_rdflib(term: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | None:
    """The pyoxigraph node for an rdflib IRI or blank node; None for anything else."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    return None

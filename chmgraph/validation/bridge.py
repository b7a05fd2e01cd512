"""The bridge to rdflib, pySHACL's graph library: pyoxigraph terms in, rdflib terms out and back.

pyoxigraph parses and holds the data; pySHACL needs an rdflib graph. Terms are built one by one
(no serializer and parser in between), with literals kept as written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from rdflib.plugins.sparql import prepareQuery

from chmgraph import iris
from chmgraph.errors import InputError

_XSD_STRING = iris.PREFIXES["xsd"] + "string"


class _IllTypedLiteralFilter(logging.Filter):
    """rdflib logs a warning with a traceback for each literal whose text is no value of its
    datatype; validation reports those literals as findings with their line (CHM-V006)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_IllTypedLiteralFilter())


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
    for triple in rdflib_triples(triples):
        add(triple)
    return graph


def rdflib_triples(triples: Iterable[ox.Triple]) -> list[tuple[rdflib.term.Node, ...]]:
    """``triples`` as rdflib terms, each distinct term built once and shared.

    Building an rdflib literal is slow, and a term met again is the very same object: a
    dictionary finds it by identity, without rdflib's equality written in Python."""
    built: dict = {}
    converted = []
    for t in triples:
        row = []
        for term in (t.subject, t.predicate, t.object):
            found = built.get(term)
            if found is None:
                found = built[term] = to_rdflib_term(term)
            row.append(found)
        converted.append(tuple(row))
    return converted


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
        # As written: rdflib would rewrite "012"^^xsd:integer to "12", "1"^^xsd:boolean to
        # "true", and an ill-typed "none"^^xsd:boolean to a well-typed "false".
        return rdflib.Literal(term.value, datatype=term.datatype.value, normalize=False)
    raise InputError(f"RDF-star triple terms cannot be validated: {term}")


def plain_string(literal: rdflib.Literal) -> rdflib.Literal:
    """``literal``, an ``xsd:string`` one in rdflib's untyped form, as data is converted.

    In RDF 1.1, ``"x"`` and ``"x"^^xsd:string`` are the same term; rdflib holds them as two
    unequal ones, so data and shapes must agree on one or ``sh:in`` and ``sh:hasValue`` answer
    by how the value was written (pySHACL's issue 286)."""
    if str(literal.datatype) == _XSD_STRING and not literal.language:
        return rdflib.Literal(str(literal))
    return literal


def from_rdflib(term: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | None:
    """The pyoxigraph node for an rdflib IRI or blank node; None for anything else."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    return None

"""A query's answer read whole, and its serializations: the W3C SPARQL 1.1 result formats for
SELECT and ASK answers, RDF syntaxes for CONSTRUCT and DESCRIBE answers."""

from __future__ import annotations

import csv
import datetime
import importlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

import pyoxigraph as ox
import rdflib

from chmgraph import iris
from chmgraph.errors import InputError
from chmgraph.store.base import Term


# Graph names a user may give instead of an IRI or a country code.
@dataclass
class QueryResult:
    """A query's answer, read whole: rows (SELECT), triples (CONSTRUCT/DESCRIBE) or a boolean."""

    form: str
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    triples: list[ox.Triple] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False
    elapsed_s: float = 0.0
    #: What the answer may lack, for any face to show (graphs without entailment, rows cut).
    warnings: list[str] = field(default_factory=list)
    #: The JSON-LD context of the query (``NamedQuery.context``); None: the default context.
    context: dict | None = None

    def __len__(self) -> int:
        return len(self.rows) if self.form == "SELECT" else len(self.triples)

    def column(self, name: str) -> list[Term | None]:
        """The values of variable ``name`` in every row."""
        index = self.variables.index(name)
        return [row[index] for row in self.rows]

    def values(self, name: str) -> list[str | None]:
        """The lexical values (``term.value``) of variable ``name`` in every row."""
        return [None if t is None else t.value for t in self.column(name)]  # type: ignore[union-attr]

    def records(self) -> list[dict[str, object]]:
        """The rows as dicts by variable, each value a Python value (``python_value``); an
        unbound variable is None. A CONSTRUCT answer gives subject, predicate, object.

        >>> answer = QueryResult("SELECT", ["n", "l"], [(ox.Literal("3", datatype=INTEGER), None)])
        >>> answer.records()
        [{'n': 3, 'l': None}]
        """
        rows = as_rows(self)
        return [
            {v: python_value(t) for v, t in zip(rows.variables, row, strict=True)}
            for row in rows.rows
        ]

    def to_dataframe(self) -> object:
        """The rows as a pandas ``DataFrame``, one column per variable (``records``' values).

        pandas is an optional extra: ``pip install 'chmgraph[pandas]'``.
        """
        try:
            # Imported here, not at the top: pandas is optional and slow to import, and every
            # command of the CLI imports this module.
            pandas = importlib.import_module("pandas")
        except ImportError:
            raise InputError(
                "QueryResult.to_dataframe needs pandas: pip install 'chmgraph[pandas]'"
            ) from None
        return pandas.DataFrame.from_records(self.records(), columns=as_rows(self).variables)


INTEGER = ox.NamedNode(iris.PREFIXES["xsd"] + "integer")
_XSD = iris.PREFIXES["xsd"]
# The XSD datatypes with a Python value of their own; any other literal is its lexical form.
_PYTHON: dict[str, Callable[[str], object]] = {
    **{
        _XSD + name: int
        for name in (
            "integer",
            "int",
            "long",
            "short",
            "byte",
            "nonNegativeInteger",
            "positiveInteger",
            "unsignedInt",
        )
    },
    _XSD + "decimal": Decimal,
    _XSD + "double": float,
    _XSD + "float": float,
    _XSD + "boolean": lambda v: v in ("true", "1"),
    _XSD + "date": datetime.date.fromisoformat,
    _XSD + "dateTime": datetime.datetime.fromisoformat,
}


def python_value(term: Term | None) -> object:
    """``term`` as a Python value: an IRI its string, a blank node ``_:id``, a numeric,
    boolean, date or dateTime literal a Python number, bool, date or datetime, any other literal
    its text (language and other datatypes dropped; the term itself is in ``rows``).

    >>> python_value(ox.Literal("2013-03-11", datatype=ox.NamedNode(_XSD + "date")))
    datetime.date(2013, 3, 11)
    >>> python_value(ox.NamedNode("https://w3id.org/chmgraph/id/m49/002"))
    'https://w3id.org/chmgraph/id/m49/002'
    """
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        convert = _PYTHON.get(term.datatype.value)
        if convert is not None:
            try:
                return convert(term.value)
            except ValueError:
                return term.value
        return term.value
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


# CONSTRUCT and DESCRIBE answers (whose triples read as subject/predicate/object rows in CSV/TSV).

XSD_STRING = iris.PREFIXES["xsd"] + "string"
RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml", "turtle", "jsonld", "ntriples")
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
}
_MEDIA_TYPES = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
}


def media_type(result: QueryResult, format: str) -> str:
    """The media type of ``result`` serialized in ``format``."""
    if result.form in ("CONSTRUCT", "DESCRIBE") and format in RDF_FORMATS:
        return RDF_FORMATS[format].media_type
    return _MEDIA_TYPES.get(format, "text/plain")


def serialize(result: QueryResult, format: str) -> str:
    """``result`` as text in ``format`` (one of ``RESULT_FORMATS`` but ``table``).

    >>> answer = QueryResult("SELECT", ["n"], [(ox.Literal("3", language="en"),)])
    >>> serialize(answer, "csv")
    'n\\r\\n3\\r\\n'
    """
    graph = result.form in ("CONSTRUCT", "DESCRIBE")
    if graph and format == "jsonld":
        return _jsonld(result.triples, result.context or DEFAULT_CONTEXT)
    if graph and format in RDF_FORMATS:
        prefixes = dict(iris.PREFIXES)
        data = ox.serialize(result.triples, format=RDF_FORMATS[format], prefixes=prefixes)
        return (data or b"").decode("utf-8")
    writers = {"csv": _csv, "tsv": _tsv, "json": _json, "xml": _xml}
    if format not in writers or (graph and format in ("json", "xml")):
        fits = "turtle, jsonld, ntriples, xml, csv or tsv" if graph else "csv, tsv, json or xml"
        raise InputError(f"format {format!r} does not fit a {result.form} answer; use {fits}")
    return writers[format](as_rows(result))


# The context of a CONSTRUCT answer's JSON-LD when its query has none: chmgraph's prefixes.
DEFAULT_CONTEXT: dict = dict(iris.PREFIXES)


def _jsonld(triples: list[ox.Triple], context: dict) -> str:
    """``triples`` as JSON-LD compacted with ``context`` (given inline, never fetched)."""
    # pyoxigraph writes expanded JSON-LD only; rdflib compacts, from the N-Triples of the answer.
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    graph = rdflib.Graph().parse(data=data.decode("utf-8"), format="nt")
    text = graph.serialize(format="json-ld", context=context, indent=2, sort_keys=True)
    return text.rstrip("\n") + "\n"


def as_rows(result: QueryResult) -> QueryResult:
    """A CONSTRUCT/DESCRIBE answer as SELECT rows of subject, predicate, object."""
    if result.form not in ("CONSTRUCT", "DESCRIBE"):
        return result
    rows = [(t.subject, t.predicate, t.object) for t in result.triples]
    return QueryResult("SELECT", ["subject", "predicate", "object"], rows)  # type: ignore[arg-type]


def _csv(result: QueryResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if result.form == "ASK":
        writer.writerow(["_askResult"])
        writer.writerow(["true" if result.boolean else "false"])
        return out.getvalue()
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow(["" if t is None else _plain(t) for t in row])
    return out.getvalue()


def _plain(term: Term) -> str:
    return (
        f"_:{term.value}" if isinstance(term, ox.BlankNode) else str(getattr(term, "value", term))
    )


def _tsv(result: QueryResult) -> str:
    if result.form == "ASK":
        return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _json(result: QueryResult) -> str:
    # Text output ends with a newline, as files and terminals expect.
    if result.form == "ASK":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)}) + "\n"
    bindings = [
        {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]
    return (
        json.dumps(
            {"head": {"vars": result.variables}, "results": {"bindings": bindings}},
            ensure_ascii=False,
        )
        + "\n"
    )


def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        found: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            found["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            found["datatype"] = term.datatype.value
        return found
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


def _xml(result: QueryResult) -> str:
    parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if result.form == "ASK":
        parts.append(f"<head/><boolean>{'true' if result.boolean else 'false'}</boolean>")
        return "".join(parts) + "</sparql>\n"
    parts.append("<head>" + "".join(f'<variable name="{v}"/>' for v in result.variables))
    parts.append("</head><results>")
    for row in result.rows:
        cells = [
            f'<binding name="{v}">{_xml_term(t)}</binding>'
            for v, t in zip(result.variables, row, strict=True)
            if t is not None
        ]
        parts.append("<result>" + "".join(cells) + "</result>")
    return "".join(parts) + "</results></sparql>\n"


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            attribute = f' xml:lang="{escape(term.language)}"'
        elif term.datatype.value != XSD_STRING:
            attribute = f' datatype="{escape(term.datatype.value)}"'
        else:
            attribute = ""
        return f"<literal{attribute}>{escape(term.value)}</literal>"
    inner = "".join(
        f"<{name}>{_xml_term(getattr(term, name))}</{name}>"
        for name in ("subject", "predicate", "object")
    )
    return f"<triple>{inner}</triple>"

"""Reading what is validated: paths or bytes, through the syntax gate, with their source maps.

Every source is parsed strictly (a malformed file raises ``SyntaxGateError``) and mapped to the
lines describing each subject, so that a result can name ``file:line``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from chmgraph.errors import InputError
from chmgraph.rdfio import detect_format, parse_bytes, read_file
from chmgraph.validation.sourcemap import SourceMap


@dataclass(frozen=True)
class Source:
    """RDF given as bytes rather than a path (a harvested document, an upload)."""

    name: str
    data: bytes
    format: ox.RdfFormat | None = None
    base_iri: str | None = None


@dataclass
class ReadSource:
    """A source parsed: its statements and where in its text each subject is described."""

    source: Source
    quads: list[ox.Quad]
    sourcemap: SourceMap


def read_source(
    path: str | Path, format: str | ox.RdfFormat | None = None, *, base_iri: str | None = None
) -> Source:
    """The file at ``path`` as a ``Source``, its format given by name or by its extension.

    ``base_iri`` resolves relative IRIs; without one, a relative IRI is a syntax error (the
    network's data uses absolute IRIs only).
    """
    data, rdf_format = read_file(path, format)
    return Source(name=str(path), data=data, format=rdf_format, base_iri=base_iri)


def read_sources(sources: Sequence[str | Path | Source], *, file_base: bool) -> list[ReadSource]:
    """Read and parse every source; with ``file_base``, a file's relative IRIs resolve against
    its own location, as plain pySHACL resolves them."""
    if not sources:
        raise InputError("nothing to validate: give at least one file")
    read = [_read(_as_source(s, file_base=file_base)) for s in sources]
    if len(read) > 1:
        for index, r in enumerate(read):
            _separate_blank_nodes(r, f"s{index}")
    return read


def _as_source(source: str | Path | Source, *, file_base: bool) -> Source:
    if isinstance(source, Source):
        return source
    return read_source(source, base_iri=Path(source).absolute().as_uri() if file_base else None)


def _read(source: Source) -> ReadSource:
    rdf_format = source.format or detect_format(source.name)
    quads = parse_bytes(source.data, name=source.name, format=rdf_format, base_iri=source.base_iri)
    sourcemap = SourceMap.build(source.data, format=rdf_format, base_iri=source.base_iri)
    if rdf_format in (ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML):
        sourcemap.resolve_fuzzy(sorted({_key(q.subject) for q in quads}))
    else:
        sourcemap.resolve_anonymous(quads)
    return ReadSource(source, quads, sourcemap)


def _separate_blank_nodes(read: ReadSource, prefix: str) -> None:
    """Keep blank nodes of different files apart (RDF merge), and their source lines with them."""

    def rename(term):
        return ox.BlankNode(prefix + term.value) if isinstance(term, ox.BlankNode) else term

    read.quads = [
        ox.Quad(rename(q.subject), q.predicate, rename(q.object), q.graph_name) for q in read.quads
    ]
    read.sourcemap.lines = {
        ("_:" + prefix + k[2:] if k.startswith("_:") else k): v
        for k, v in read.sourcemap.lines.items()
    }


def _key(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    return "_:" + term.value if isinstance(term, ox.BlankNode) else str(getattr(term, "value", ""))

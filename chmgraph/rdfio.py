"""Strict reading of RDF files: the syntax gate every input passes first.

pyoxigraph parses; anything malformed is rejected with the file, line, column and the parser's
reason (``SyntaxGateError``), never with a traceback and never half-read.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from chmgraph.errors import InputError, SyntaxGateError
from chmgraph.jsonld import ContextCatalogue, JsonLdOptions, parse_jsonld
from chmgraph.settings import Settings

# Extensions chmgraph reads, and the names a user may give with --format.
_EXTENSIONS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}
FORMAT_NAMES = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "nq": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "xml": ox.RdfFormat.RDF_XML,
}


def detect_format(path: str | Path, format: str | ox.RdfFormat | None = None) -> ox.RdfFormat:
    """The format of ``path``: ``format`` (a name or an ``RdfFormat``), else its extension.

    >>> detect_format("cm.ttl").name
    'Turtle'
    """
    if isinstance(format, ox.RdfFormat):
        return format
    if format:
        try:
            return FORMAT_NAMES[format.lower()]
        except KeyError:
            known = ", ".join(sorted(FORMAT_NAMES))
            raise InputError(f"unknown RDF format {format!r} (known: {known})") from None
    suffixes = [s.lower() for s in Path(path).suffixes if s.lower() != ".gz"]
    if suffixes and suffixes[-1] in _EXTENSIONS:
        return _EXTENSIONS[suffixes[-1]]
    raise InputError(
        f"{path}: cannot tell the RDF format from the file name; "
        "use .ttl, .trig, .nt, .nq, .jsonld or .rdf, or give --format"
    )


def read_quads(
    path: str | Path,
    *,
    format: str | ox.RdfFormat | None = None,
    base_iri: str | None = None,
    default_graph: ox.NamedNode | ox.DefaultGraph | None = None,
) -> list[ox.Quad]:
    """Every statement of the file at ``path``, strictly parsed.

    Triples of triple formats land in ``default_graph`` (the default graph unless given).
    Raises ``InputError`` for an unreadable file and ``SyntaxGateError`` for malformed content.
    """
    data, rdf_format = read_file(path, format)
    return parse_bytes(
        data, name=str(path), format=rdf_format, base_iri=base_iri, default_graph=default_graph
    )


def graphs_in_file(
    path: str | Path, *, progress: Callable[[int, int], None] | None = None
) -> Iterator[tuple[str, list[ox.Triple]]]:
    """Each named graph of the quads file at ``path`` (TriG, N-Quads) with its triples, one
    graph at a time, so that a file of any size is read in the memory of its largest graph.

    A graph's statements must come together, as ``chmgraph synth`` and ``chmgraph dump``
    write them: a graph met again after another is ``InputError`` (and so is a statement in the
    default graph). ``progress(bytes read, file size)`` is called after each graph. Malformed
    content is ``SyntaxGateError`` at its line, as everywhere.
    """
    path = Path(path)
    rdf_format = detect_format(path)
    settings = Settings.from_env()
    done: set[str] = set()
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            current, triples = None, []
            for quad in ox.parse(stream, format=rdf_format):
                graph = getattr(quad.graph_name, "value", None)
                if graph is None:
                    raise InputError(f"{path}: a statement in the default graph: {quad}")
                if graph != current:
                    if current is not None:
                        yield _complete(current, triples, path, settings, done)
                        if progress:
                            progress(stream.tell(), size)
                    if graph in done:
                        raise InputError(
                            f"{path}: graph <{graph}> appears in two places; write each graph's "
                            "statements together"
                        )
                    current, triples = graph, []
                triples.append(quad.triple)
            if current is not None:
                yield _complete(current, triples, path, settings, done)
                if progress:
                    progress(size, size)
    except SyntaxError as exc:
        raise SyntaxGateError(str(path), exc.lineno, exc.offset, _reason(exc)) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from None


def _complete(
    graph: str, triples: list[ox.Triple], path: Path, settings: Settings, done: set[str]
) -> tuple[str, list[ox.Triple]]:
    """A graph read whole, checked as ``parse_bytes`` checks a file."""
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    check_linked_blank_nodes(quads, f"{path} <{graph}>", settings.max_linked_blank_nodes)
    _check_literals(quads, str(path), settings.max_literal_bytes)
    done.add(graph)
    return graph, triples


def read_file(
    path: str | Path, format: str | ox.RdfFormat | None = None
) -> tuple[bytes, ox.RdfFormat]:
    """The bytes of the RDF file at ``path`` and its format, unparsed.

    Raises ``InputError`` for an unknown format or an unreadable file.
    """
    path = Path(path)
    rdf_format = detect_format(path, format)
    try:
        _check_size(path.stat().st_size, str(path), Settings.from_env().max_input_bytes)
        return path.read_bytes(), rdf_format
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from None


def parse_bytes(
    data: bytes,
    *,
    name: str,
    format: ox.RdfFormat,
    base_iri: str | None = None,
    default_graph: ox.NamedNode | ox.DefaultGraph | None = None,
    contexts: ContextCatalogue | None = None,
    jsonld_options: JsonLdOptions | None = None,
) -> list[ox.Quad]:
    """Strictly parse ``data`` (named ``name`` in errors) into quads.

    RDF/XML with a document type declaration is refused before it is parsed: its entities
    expand (a 1 KB "billion laughs" file fills any memory), and RDF data never needs them.
    JSON-LD is read by ``chmgraph.jsonld``, its remote contexts from ``contexts`` and with the
    API options ``jsonld_options`` (default: the ``jsonld_*`` settings); every other format by
    pyoxigraph. The ``max_input_bytes`` and
    ``max_literal_bytes`` settings bound what is read (``InputError``, before any later step
    runs out of memory).
    """
    settings = Settings.from_env()
    _check_size(len(data), name, settings.max_input_bytes)
    data = utf8(data, name)
    if format == ox.RdfFormat.RDF_XML:
        _refuse_doctype(data, name)
    try:
        if format == ox.RdfFormat.JSON_LD:
            catalogue = contexts or ContextCatalogue.parse(
                settings.jsonld_contexts, settings.jsonld_context_max_bytes
            )
            options = jsonld_options or JsonLdOptions.parse(
                settings.jsonld_processing_mode,
                settings.jsonld_expand_context,
                settings.jsonld_rdf_direction,
            )
            quads = parse_jsonld(
                data, name=name, base_iri=base_iri, contexts=catalogue, options=options
            )
        else:
            quads = list(ox.parse(data, format=format, base_iri=base_iri))
    except SyntaxError as exc:
        raise SyntaxGateError(name, exc.lineno, exc.offset, _reason(exc)) from None
    except ValueError as exc:
        raise SyntaxGateError(name, None, None, str(exc)) from None
    except MemoryError:
        # pyoxigraph's parsers hold one token in a buffer of at most 16 MiB.
        raise InputError(
            f"{name}: a term (a literal, most likely) is over the parser's 16 MiB buffer; "
            f"the max_literal_bytes setting allows {settings.max_literal_bytes} bytes"
        ) from None
    check_linked_blank_nodes(quads, name)
    _check_literals(quads, name, settings.max_literal_bytes)
    if default_graph is not None and not isinstance(default_graph, ox.DefaultGraph):
        quads = [_into(q, default_graph) for q in quads]
    return quads


def check_linked_blank_nodes(quads: Iterable[ox.Quad], name: str, limit: int | None = None) -> None:
    """Raise ``InputError`` when more than ``limit`` blank nodes (the setting
    ``max_linked_blank_nodes``) are linked to one another.

    Comparing graphs and writing them deterministically labels blank nodes canonically
    (RDFC-1.0), whose work grows with the fourth power of such a group: 400 nested blank nodes
    take seconds, 800 minutes. National data has a few blank nodes at a time; a long chain of
    them is someone's attempt to hold the store, or data better written with IRIs.

    >>> p, nodes = ox.NamedNode("http://e/p"), [ox.BlankNode() for _ in range(4)]
    >>> chain = [ox.Quad(a, p, b) for a, b in zip(nodes, nodes[1:])]
    >>> check_linked_blank_nodes(chain, "chain.ttl", limit=4)
    >>> check_linked_blank_nodes(chain, "chain.ttl", limit=3)
    Traceback (most recent call last):
    ...
    chmgraph.errors.InputError: chain.ttl: 4 blank nodes are linked to one another; ...
    """
    limit = Settings.from_env().max_linked_blank_nodes if limit is None else limit
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def root(node: ox.BlankNode) -> ox.BlankNode:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for quad in quads:
        if isinstance(quad.subject, ox.BlankNode) and isinstance(quad.object, ox.BlankNode):
            parent[root(quad.subject)] = root(quad.object)
    if len(parent) <= limit:
        return
    sizes: dict[ox.BlankNode, int] = {}
    for node in list(parent):
        top = root(node)
        sizes[top] = sizes.get(top, 0) + 1
    largest = max(sizes.values(), default=0)
    if largest > limit:
        raise InputError(
            f"{name}: {largest} blank nodes are linked to one another; at most {limit} are "
            "accepted (setting max_linked_blank_nodes): give the nodes IRIs"
        )


# The prolog of an XML document: its declaration, comments, processing instructions, space.
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def _refuse_doctype(data: bytes, name: str) -> None:
    """Raise ``SyntaxGateError`` if the XML document ``data`` declares a document type (where
    entities are declared) before its root element.

    >>> _refuse_doctype(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', "f.rdf")
    Traceback (most recent call last):
    ...
    chmgraph.errors.SyntaxGateError: f.rdf:1:22: syntax error: a DOCTYPE (entity declarations) ...
    """
    at = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # a UTF-8 byte order mark
    while match := _PROLOG_ITEM.match(data, at):
        at = match.end()
    if data[at : at + 9].upper() == b"<!DOCTYPE":
        line = data.count(b"\n", 0, at) + 1
        column = at - (data.rfind(b"\n", 0, at) + 1) + 1
        raise SyntaxGateError(
            name,
            line,
            column,
            "a DOCTYPE (entity declarations) is not accepted in RDF/XML: entities can expand "
            "without bound; write the values out instead",
        )


def _check_size(size: int, name: str, limit: int) -> None:
    if size > limit:
        raise InputError(
            f"{name}: {size} bytes, over the max_input_bytes setting ({limit} bytes; "
            "CHMGRAPH_MAX_INPUT_BYTES, docs/settings.md)"
        )


def _check_literals(quads: list[ox.Quad], name: str, limit: int) -> None:
    """A literal over ``limit`` bytes is refused: rdflib and pySHACL copy each value several
    times, and no description a steward writes comes near it."""
    for quad in quads:
        obj = quad.object
        if isinstance(obj, ox.Literal) and len(obj.value) * 4 > limit:
            size = len(obj.value.encode("utf-8"))
            if size > limit:
                raise InputError(
                    f"{name}: a literal of {size} bytes (of {quad.subject} {quad.predicate}), "
                    f"over the max_literal_bytes setting ({limit} bytes; "
                    "CHMGRAPH_MAX_LITERAL_BYTES, docs/settings.md)"
                )


# Byte order marks of the encodings RDF files are not read in (UTF-32's first: UTF-32LE's
# starts with UTF-16LE's).
_OTHER_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def utf8(data: bytes, name: str) -> bytes:
    """``data`` as UTF-8 without a byte order mark (editors on Windows write one, and the
    parsers would read it as a character of the first term).

    Raises ``InputError`` naming the encoding for UTF-16 and UTF-32 files, and the line of the
    first byte that is not UTF-8 for others (Latin-1, Windows-1252...): the parsers would say
    only "invalid UTF-8".

    >>> utf8(codecs.BOM_UTF8 + b"<a> <b> <c> .", "x.nt")
    b'<a> <b> <c> .'
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :]
    for mark, encoding in _OTHER_ENCODINGS:
        if data.startswith(mark):
            raise InputError(
                f"{name}: the file is in {encoding} (its byte order mark says so); "
                "RDF files are read as UTF-8: save it as UTF-8"
            )
    if len(data) >= 4 and (data[1] == data[3] == 0 or data[0] == data[2] == 0):
        # Text starting with two ASCII characters, in UTF-16 (a NUL byte in a literal, which
        # the W3C suites use, is valid UTF-8: only the start of the file is looked at).
        raise InputError(
            f"{name}: the file starts with NUL bytes between its characters, so it is UTF-16 or "
            "UTF-32 without a byte order mark, not UTF-8: save it as UTF-8"
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{name}:{line}: byte 0x{data[exc.start]:02x} is no UTF-8 (the file is in another "
            "encoding, such as Latin-1 or Windows-1252): save it as UTF-8"
        ) from None
    return data


def _into(quad: ox.Quad, graph: ox.NamedNode) -> ox.Quad:
    if isinstance(quad.graph_name, ox.DefaultGraph):
        return ox.Quad(quad.subject, quad.predicate, quad.object, graph)
    return quad


def _reason(exc: SyntaxError) -> str:
    # pyoxigraph prefixes its message with the span ("Parser error between line 3 column 11 and
    # line 4 column 1: ..."); the span is reported separately, so keep only the reason.
    message = exc.msg or str(exc)
    head, sep, tail = message.partition(": ")
    return tail if sep and head.startswith("Parser error") else message

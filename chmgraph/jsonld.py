"""Reading JSON-LD 1.1: PyLD's processor, with remote contexts from a local catalogue only.

pyoxigraph's JSON-LD parser keeps only the last of several type-scoped contexts on a node and
drops the other terms without a word, so a steward's titles vanish; PyLD expands JSON-LD 1.1 as
the W3C suite asks (``docs/conformance.md``). Its statements come back as pyoxigraph terms, so
everything after the syntax gate sees one kind of quad whatever the format.

A remote ``@context`` is never fetched: a validation must not depend on what a server answers
today, nor make a request a submitter chose. The network's own context
(``chmgraph.iris.CONTEXT``, generated from the vocabulary into ``ontology/context.jsonld``) is
shipped; the ``jsonld_contexts`` setting maps any other context URL (or a URL prefix ending in
``/``) to a local file; any other URL is refused with a message naming it and the setting.

Three API options of the JSON-LD processor can be set (``JsonLdOptions``, settings
``jsonld_processing_mode``, ``jsonld_expand_context`` and ``jsonld_rdf_direction``): reading as
JSON-LD 1.0, a local context for files with none (plain JSON), and keeping ``@direction`` in RDF.

>>> doc = b'{"@context": {"name": "http://schema.org/name"}, "@id": "http://e/a", "name": "A"}'
>>> [str(q) for q in parse_jsonld(doc, name="a.jsonld")]
['<http://e/a> <http://schema.org/name> "A"']
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from cachetools import LRUCache
from pyld import jsonld
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer

from chmgraph.errors import InputError, SyntaxGateError
from chmgraph.iris import CONTEXT
from chmgraph.resources import ONTOLOGY_DIR

CONTEXTS_SETTING = "CHMGRAPH_JSONLD_CONTEXTS"
PROCESSING_MODES = ("json-ld-1.1", "json-ld-1.0")
# How a literal's base direction (``@direction``) reaches RDF: dropped (JSON-LD's default, ""),
# in the datatype (``https://www.w3.org/ns/i18n#ar_rtl``) or as a node with rdf:value,
# rdf:language and rdf:direction (both non-normative in JSON-LD 1.1).
RDF_DIRECTIONS = ("", "i18n-datatype", "compound-literal")
# The base PyLD is given when the file has none. Given an empty base, PyLD resolves relative IRIs
# against an example IRI of its own (``http://example.org/base/``), inventing the steward's IRIs;
# a base in a reserved domain (RFC 6761) lets every such IRI be found and refused instead.
_NO_BASE = "https://no-base.invalid/"
# The contexts chmgraph ships, by URL: the network's own, which the vocabulary generates
# (``make docs``), so that it never ages apart from the terms it names.
SHIPPED = {CONTEXT: ONTOLOGY_DIR / "context.jsonld"}


@dataclass(frozen=True)
class ContextCatalogue:
    """Context URLs (exact, or prefixes ending in ``/``) and the local files that stand for
    them; ``max_bytes`` bounds each file read."""

    entries: tuple[tuple[str, Path], ...] = ()
    max_bytes: int = 1024 * 1024

    @classmethod
    def parse(cls, pairs: Iterable[str], max_bytes: int = 1024 * 1024) -> ContextCatalogue:
        """A catalogue from ``URL=PATH`` pairs (the form of the ``jsonld_contexts`` setting)."""
        entries = []
        for pair in pairs:
            url, sep, path = pair.partition("=")
            if not sep or not url or not path:
                raise InputError(f"{CONTEXTS_SETTING}: expected URL=PATH, got {pair!r}")
            entries.append((url, Path(path)))
        return cls(tuple(entries), max_bytes)

    def local_file(self, url: str) -> Path | None:
        """The file standing for ``url``: its exact entry, else the longest matching prefix."""
        best: tuple[int, Path] | None = None
        for known, path in self.entries:
            if url == known:
                return path
            if known.endswith("/") and url.startswith(known) and len(known) > (best or (0,))[0]:
                best = (len(known), path / url[len(known) :])
        return best[1] if best else None


@dataclass(frozen=True)
class JsonLdOptions:
    """The JSON-LD API options chmgraph's reader offers, as the JSON-LD 1.1 API names them.

    ``processing_mode``: ``json-ld-1.1`` or ``json-ld-1.0`` (a 1.1 feature is then an error);
    ``expand_context``: a local context file applied before a document's own (a plain JSON file
    read as JSON-LD); ``rdf_direction``: one of ``RDF_DIRECTIONS``.
    """

    processing_mode: str = "json-ld-1.1"
    expand_context: Path | None = None
    rdf_direction: str = ""

    def __post_init__(self) -> None:
        if self.processing_mode not in PROCESSING_MODES:
            raise InputError(
                f"CHMGRAPH_JSONLD_PROCESSING_MODE={self.processing_mode!r}: expected "
                f"{' or '.join(PROCESSING_MODES)} (see docs/settings.md)"
            )
        if self.rdf_direction not in RDF_DIRECTIONS:
            raise InputError(
                f"CHMGRAPH_JSONLD_RDF_DIRECTION={self.rdf_direction!r}: expected empty, "
                f"{' or '.join(RDF_DIRECTIONS[1:])} (see docs/settings.md)"
            )

    @classmethod
    def parse(cls, processing_mode: str, expand_context: str, rdf_direction: str) -> JsonLdOptions:
        """Options from the settings' text (an empty ``expand_context``: none)."""
        return cls(processing_mode, Path(expand_context) if expand_context else None, rdf_direction)

    def pyld(self, catalogue: ContextCatalogue) -> dict:
        """The options as PyLD takes them; the expansion context is read here, under the
        catalogue's size bound, so that PyLD never resolves it as a URL."""
        options: dict = {"processingMode": self.processing_mode}
        if self.rdf_direction:
            options["rdfDirection"] = self.rdf_direction
        if self.expand_context is not None:
            context = _context_file(self.expand_context, catalogue.max_bytes)
            if context is None:
                raise InputError(
                    f"CHMGRAPH_JSONLD_EXPAND_CONTEXT: {self.expand_context} cannot be read as "
                    f"JSON (missing, not UTF-8 JSON, or over {catalogue.max_bytes} bytes)"
                )
            options["expandContext"] = (
                context
                if isinstance(context, dict) and "@context" in context
                else {"@context": context}
            )
        return options


def parse_jsonld(
    data: bytes,
    *,
    name: str,
    base_iri: str | None = None,
    contexts: ContextCatalogue | None = None,
    options: JsonLdOptions | None = None,
) -> list[ox.Quad]:
    """The statements of the JSON-LD document ``data`` (named ``name`` in errors), read with
    ``options`` (default: JSON-LD 1.1, no expansion context, ``@direction`` dropped).

    Raises ``SyntaxGateError`` for text that is not JSON (with its line and column), for JSON
    that is not valid JSON-LD, and for a remote context the catalogue does not hold;
    ``InputError`` for an expansion context file that cannot be read.
    """
    document = _json(data, name)
    catalogue = contexts or ContextCatalogue()
    api_options = (options or JsonLdOptions()).pyld(catalogue)
    refused: list[str] = []

    def loader(url: str, _options: dict) -> dict:
        return _load(url, catalogue, refused)

    # PyLD relabels every blank node; the written labels are put back (the source map finds a
    # node's lines by them), and the unlabelled ones get labels no file is likely to write.
    issuer = IdentifierIssuer("_:jsonld-b")
    options = {
        **api_options,
        "base": base_iri or _NO_BASE,
        "identifierIssuer": issuer,
        "documentLoader": loader,
        # A resolver of its own: PyLD's shared cache would keep a context file's old content.
        "contextResolver": ContextResolver(LRUCache(maxsize=64), loader),
    }
    try:
        with warnings.catch_warnings():
            # PyLD warns (with a traceback-like line on stderr) when it ignores a term shaped like
            # a keyword, as JSON-LD 1.1 asks it to; the ignored term is no statement of the user's.
            warnings.simplefilter("ignore")
            processor = jsonld.JsonLdProcessor()
            expanded = processor.expand(document, options)
            _check_kept(expanded, name)
            # The expanded form is expanded again by to_rdf: with no expansion context then.
            options.pop("expandContext", None)
            dataset = processor.to_rdf(expanded, options)
    except jsonld.JsonLdError as exc:
        if refused:
            raise SyntaxGateError(name, None, None, _refusal(refused[-1], catalogue)) from None
        raise SyntaxGateError(name, None, None, f"invalid JSON-LD: {_reason(exc)}") from None
    except RecursionError:
        raise SyntaxGateError(name, None, None, "JSON-LD nested too deeply to read") from None
    except (TypeError, KeyError, AttributeError, IndexError) as exc:
        # PyLD's own defects on unusual input (e.g. a null @base with a list of IRIs): the
        # document cannot be read, which is no reason for a traceback.
        raise SyntaxGateError(
            name, None, None, f"the JSON-LD processor cannot read this document ({exc!r})"
        ) from None
    written = {new: old for old, new in issuer.existing.items()}
    return list(_quads(dataset, name, written))


def _json(data: bytes, name: str) -> object:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SyntaxGateError(name, line, None, "not UTF-8 text (JSON-LD is UTF-8)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SyntaxGateError(name, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise SyntaxGateError(name, None, None, "JSON nested too deeply to read") from None


def _load(url: str, catalogue: ContextCatalogue, refused: list[str]) -> dict:
    """PyLD's document loader: the catalogue's file for ``url``, else a context chmgraph
    ships; never the network."""
    path = catalogue.local_file(url) or SHIPPED.get(url)
    document = None if path is None else _context_file(path, catalogue.max_bytes)
    if document is None:
        refused.append(url)
        raise jsonld.JsonLdError(
            f"context {url} not available locally",
            "jsonld.LoadDocumentError",
            code="loading remote context failed",
        )
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
    }


def _context_file(path: Path, max_bytes: int) -> object | None:
    """The JSON in ``path``, or None when it is missing, too large or not UTF-8 JSON."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            return None
        return json.loads(data.decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _refusal(url: str, catalogue: ContextCatalogue) -> str:
    path = catalogue.local_file(url)
    if path is None:
        return (
            f"remote JSON-LD context {url} is not fetched; save a copy and map it with "
            f"{CONTEXTS_SETTING}='{url}=PATH' (docs/settings.md)"
        )
    return (
        f"JSON-LD context {url}: its local copy {path} cannot be read as JSON "
        f"(missing, not UTF-8 JSON, or over {catalogue.max_bytes} bytes)"
    )


def _reason(exc: jsonld.JsonLdError) -> str:
    """The innermost JSON-LD error code and message: PyLD wraps the cause in generic ones."""
    while isinstance(exc.__cause__, jsonld.JsonLdError):
        exc = exc.__cause__
    message = exc.args[0] if exc.args else exc.type
    return f"{exc.code}: {message}" if exc.code else str(message)


def _check_kept(expanded: object, name: str) -> None:
    """Raise for a relative IRI or an ignored keyword-shaped @id left after expansion: JSON-LD's
    algorithm drops its statement without a word (the W3C suite expects that), and a steward
    would never learn of it."""
    stack = [expanded]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        if "@value" in item:
            _absolute(item.get("@type"), name)
            continue
        for key, value in item.items():
            if key == "@id" and value is None:
                # Expansion's mark for an @id shaped like a keyword ("@ignoreMe"), which
                # JSON-LD 1.1 ignores with no more than a warning.
                raise SyntaxGateError(
                    name,
                    None,
                    None,
                    "an @id shaped like a JSON-LD keyword ('@' and letters) is ignored by "
                    "JSON-LD; its statement would be lost",
                )
            if key == "@id" and isinstance(value, str):
                _absolute(value, name)
            elif key == "@type":
                for type_ in value if isinstance(value, list) else [value]:
                    _absolute(type_, name)
            elif not key.startswith("@"):
                _absolute(key, name, property=True)
            if isinstance(value, (list, dict)):
                stack.append(value)


def _absolute(iri: object, name: str, *, property: bool = False) -> None:
    if not isinstance(iri, str) or iri.startswith("@") or (iri.startswith("_:") and not property):
        return
    if iri.startswith("_:"):
        reason = f"blank node {iri!r} used as a property (RDF has no such statement)"
    elif ":" not in iri or iri.startswith(_NO_BASE):
        relative = iri.removeprefix(_NO_BASE)
        reason = f"relative IRI {relative!r} with no base to resolve it against"
    else:
        return
    raise SyntaxGateError(name, None, None, f"{reason}; its statement would be lost")


def _quads(dataset: dict, name: str, written: dict[str, str]) -> Iterable[ox.Quad]:
    for graph_name, triples in dataset.items():
        graph = ox.DefaultGraph() if graph_name == "@default" else _node(graph_name, name, written)
        for t in triples:
            yield ox.Quad(
                _term(t["subject"], name, written),
                _term(t["predicate"], name, written),
                _term(t["object"], name, written),
                graph,
            )


def _node(value: str, name: str, written: dict[str, str]) -> ox.NamedNode | ox.BlankNode:
    kind = "blank node" if value.startswith("_:") else "IRI"
    return _term({"type": kind, "value": value}, name, written)


def _term(
    term: dict, name: str, written: dict[str, str]
) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A pyoxigraph term from PyLD's; a malformed IRI or language tag is a syntax error rather
    than a statement dropped."""
    value = term["value"]
    try:
        if term["type"] == "blank node":
            return ox.BlankNode(written.get(value, value)[2:])
        if term["type"] == "IRI":
            return ox.NamedNode(value)
        if term.get("language"):
            return ox.Literal(value, language=term["language"])
        return ox.Literal(value, datatype=ox.NamedNode(term["datatype"]))
    except ValueError as exc:
        raise SyntaxGateError(name, None, None, f"invalid RDF term {value!r}: {exc}") from None

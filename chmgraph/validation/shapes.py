"""Loading shapes: the CHM shapes of ``shapes/``, or any SHACL files given.

Shapes are read like data, through the syntax gate in any RDF format (JSON-LD too), and built
into rdflib terms the way data is (literals as written, ``xsd:string`` in one form), once per
process (again when a file changes). Shapes that cannot be used raise: validation never runs on
fewer rules than it was asked for. Every SPARQL query of a constraint is parsed here, so that a
malformed one is named with its shape and file rather than failing inside the engine.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import rdflib
from pyshacl.monkey import rdflib_bool_patch, rdflib_bool_unpatch
from rdflib.namespace import OWL, SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parser import parseUpdate

from chmgraph.errors import InputError
from chmgraph.rdfio import parse_bytes, read_file
from chmgraph.settings import SHAPES_DIR
from chmgraph.validation.bridge import to_rdflib_term
from chmgraph.validation.errors import ShapesError
from chmgraph.validation.sourcemap import SourceMap

CHM_SHAPES = (SHAPES_DIR / "chm.ttl",)


def shapes_graph(paths: tuple[Path, ...]) -> rdflib.Graph:
    """The shapes of ``paths`` as one rdflib graph, read once per process (again if changed).

    Raises ``InputError`` for a missing file, ``SyntaxGateError`` for a malformed one and
    ``ShapesError`` when pySHACL cannot load them or they state no SHACL at all.
    """
    key = tuple((str(p), _mtime(p)) for p in paths)
    return _load_shapes(key)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        raise InputError(f"{path}: cannot read shapes file") from None


@lru_cache(maxsize=16)
def _load_shapes(key: tuple[tuple[str, int], ...]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for name, _ in key:
        loaded = _read(Path(name))
        _check_queries(loaded, name)
        for triple in loaded:
            graph.add(triple)
        for prefix, namespace in loaded.namespaces():
            graph.bind(prefix, namespace, override=False)
    if not any(_uses_shacl(triple) for triple in graph):
        # A truncated or mistaken file would otherwise make every input conform.
        names = ", ".join(name for name, _ in key)
        raise ShapesError(f"{names}: no SHACL shape to validate with")
    return graph


def _read(path: Path) -> rdflib.Graph:
    """One shapes file, its statements in any graph of it, with the prefixes it declares."""
    data, rdf_format = read_file(path)
    base = path.absolute().as_uri()
    quads = parse_bytes(data, name=str(path), format=rdf_format, base_iri=base)
    graph = rdflib.Graph()
    # pySHACL reads only "true" as a true xsd:boolean in shapes (so "1" does not switch
    # sh:uniqueLang on, as the W3C suite's core/property/uniqueLang-002 asks); its patch of
    # rdflib does that while the literals are built, as when pySHACL loads shapes itself.
    rdflib_bool_patch()
    try:
        for q in quads:
            terms = (q.subject, q.predicate, q.object)
            graph.add(tuple(to_rdflib_term(t) for t in terms))
    finally:
        rdflib_bool_unpatch()
    prefixes = SourceMap.build(data, format=rdf_format, base_iri=base).prefixes
    for prefix, namespace in prefixes.items():
        graph.bind(prefix, namespace, override=False)
    return graph


_QUERIES = (SH.select, SH.ask, SH.construct)


def _check_queries(graph: rdflib.Graph, name: str) -> None:
    """Parse each SPARQL query of the file with the prefixes its ``sh:prefixes`` declare, as
    pySHACL will; raise ``ShapesError`` naming the file and the shape for one that fails."""
    for predicate in (*_QUERIES, SH.update):
        for node, text in graph.subject_objects(predicate):
            prefixes = _declared_prefixes(graph, node)
            try:
                if predicate == SH.update:
                    parseUpdate(str(text))
                else:
                    prepareQuery(str(text), initNs=prefixes)
            except Exception as exc:
                # rdflib raises pyparsing errors, and a bare Exception for an unknown prefix.
                raise ShapesError(
                    f"{name}: the SPARQL query of {_owner(graph, node)} cannot be used: {exc}"
                ) from None


def _declared_prefixes(graph: rdflib.Graph, node) -> dict[str, str]:
    """The prefixes of ``sh:prefixes``: each holder's declarations and, as SHACL says, those
    of what it ``owl:imports``."""
    found: dict[str, str] = {}
    holders = list(graph.objects(node, SH.prefixes))
    seen = set()
    while holders:
        holder = holders.pop()
        if holder in seen:
            continue
        seen.add(holder)
        holders.extend(graph.objects(holder, OWL.imports))
        for declaration in graph.objects(holder, SH.declare):
            prefix = graph.value(declaration, SH.prefix)
            namespace = graph.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                found[str(prefix)] = str(namespace)
    return found


def _owner(graph: rdflib.Graph, node) -> str:
    """The shape (or constraint component) a query belongs to, as the file names it."""
    for predicate in (SH.sparql, SH.validator, SH.nodeValidator, SH.propertyValidator, SH.target):
        owner = graph.value(None, predicate, node)
        if owner is not None:
            node = owner
            break
    if isinstance(node, rdflib.URIRef):
        return graph.namespace_manager.normalizeUri(node)
    return "a shape with no IRI (a blank node)"


def _uses_shacl(triple: tuple[rdflib.term.Node, ...]) -> bool:
    return any(isinstance(term, rdflib.URIRef) and term.startswith(SH) for term in triple[1:])

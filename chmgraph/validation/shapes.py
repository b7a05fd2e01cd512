"""Loading shapes: the CHM shapes of ``shapes/``, or any SHACL files given.

Shapes pass the syntax gate like data, then are loaded the way pySHACL loads them itself, once
per process (again when a file changes). Shapes that cannot be loaded raise: validation never
runs on fewer rules than it was asked for.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import rdflib
from pyshacl.monkey import rdflib_bool_patch, rdflib_bool_unpatch
from pyshacl.rdfutil import load_from_source
from rdflib.namespace import SH

from chmgraph.errors import InputError
from chmgraph.rdfio import read_quads
from chmgraph.settings import SHAPES_DIR
from chmgraph.validation.bridge import plain_string
from chmgraph.validation.errors import ShapesError

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
    """pySHACL's boolean patch keeps ``"1"^^xsd:boolean`` as written, which rdflib would
    rewrite."""
    graph = rdflib.Graph()
    for name, _ in key:
        read_quads(name, base_iri=Path(name).absolute().as_uri())
        rdflib_bool_patch()
        try:
            loaded = load_from_source(name, multigraph=True, do_owl_imports=False)
        except Exception as exc:
            # The file passed the syntax gate: this is rdflib or pySHACL refusing it.
            raise ShapesError(f"{name}: the shapes cannot be loaded: {exc}") from exc
        finally:
            rdflib_bool_unpatch()
        for subject, predicate, obj in loaded.triples((None, None, None)):
            if isinstance(obj, rdflib.Literal):
                obj = plain_string(obj)
            graph.add((subject, predicate, obj))
        for prefix, namespace in loaded.namespaces():
            graph.bind(prefix, namespace, override=False)
    if not any(_uses_shacl(triple) for triple in graph):
        # A truncated or mistaken file would otherwise make every input conform.
        names = ", ".join(name for name, _ in key)
        raise ShapesError(f"{names}: no SHACL shape to validate with")
    return graph


def _uses_shacl(triple: tuple[rdflib.term.Node, ...]) -> bool:
    return any(isinstance(term, rdflib.URIRef) and term.startswith(SH) for term in triple[1:])

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

from chmgraph.errors import InputError
from chmgraph.rdfio import read_quads
from chmgraph.settings import SHAPES_DIR

CHM_SHAPES = (SHAPES_DIR / "chm.ttl",)


def shapes_graph(paths: tuple[Path, ...]) -> rdflib.Graph:
    """The shapes of ``paths`` as one rdflib graph, read once per process (again if changed)."""
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
        finally:
            rdflib_bool_unpatch()
        for triple in loaded.triples((None, None, None)):
            graph.add(triple)
        for prefix, namespace in loaded.namespaces():
            graph.bind(prefix, namespace, override=False)
    return graph

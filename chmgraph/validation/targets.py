"""Whether the shapes apply to anything: a validation that checked no node has checked nothing.

SHACL conforms vacuously when no shape has a focus node (data and shapes that share no class or
property, shapes for another profile); "Conforms." would then say more than was checked. This
finds the focus nodes' existence the way SHACL defines targets, on the graph the shapes see.
"""

from __future__ import annotations

import rdflib
from rdflib.namespace import RDF, RDFS, SH

from chmgraph.validation.core import Data

_SHAPE_TYPES = (SH.NodeShape, SH.PropertyShape)


def any_shape_applies(shapes: rdflib.Graph, data: Data) -> bool:
    """Whether some shape has a focus node in ``data``: an ``sh:targetNode`` (a focus node
    whether or not the data mentions it), an instance of a target class (implicit class targets
    and ``rdfs:subClassOf`` in the data included), a subject or object of a target property. A
    SPARQL-based target (``sh:target``) counts as applying: only running it could tell."""
    if _exists(shapes, (None, SH.targetNode, None)) or _exists(shapes, (None, SH.target, None)):
        return True
    for kind in (SH.targetSubjectsOf, SH.targetObjectsOf):
        for predicate in shapes.objects(None, kind):
            if data.by_predicate.get(predicate):
                return True
    classes = set(shapes.objects(None, SH.targetClass))
    classes |= {c for c in shapes.subjects(RDF.type, RDFS.Class) if _is_shape(shapes, c)}
    return bool(classes) and any(
        classes & data.superclasses(type_) for type_ in set(data.objects_of(RDF.type))
    )


def _exists(graph: rdflib.Graph, pattern: tuple) -> bool:
    return next(iter(graph.triples(pattern)), None) is not None


def _is_shape(shapes: rdflib.Graph, node) -> bool:
    return any((node, RDF.type, kind) in shapes for kind in _SHAPE_TYPES)

"""The rules table: every rule code of ``shapes/chm.ttl`` with its severity, target and intent.

``docs/rules.md`` is this module's output (``python -m chmgraph.validation.rules >
docs/rules.md``); a test fails when the two differ, so the table cannot drift from the shapes.

>>> rules = collect()
>>> [r.code for r in rules if r.code == "CHM-W001"]
['CHM-W001']
"""

from __future__ import annotations

from dataclasses import dataclass

import rdflib
from rdflib.namespace import RDFS, SH

from chmgraph.validation.shapes import CHM_SHAPES, shapes_graph
from chmgraph.vocabulary import curie

_IDENTIFIER = rdflib.URIRef("http://purl.org/dc/terms/identifier")
_TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
_CHMSH = "https://w3id.org/chmgraph/shapes#"
_SEVERITY = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass(frozen=True)
class Rule:
    """One rule code: what it checks, on what, and how severe a breach is."""

    code: str
    severity: str
    targets: str
    paths: str
    description: str
    shape: str


def collect() -> list[Rule]:
    """The rules of the CHM shapes, by code."""
    shapes = shapes_graph(CHM_SHAPES)
    rules: dict[str, Rule] = {}
    for shape, code in shapes.subject_objects(_IDENTIFIER):
        if not isinstance(shape, rdflib.URIRef) or not str(code).startswith("CHM-"):
            continue
        described = shapes.value(shape, RDFS.comment)
        if str(code) in rules and described is None:
            continue
        rules[str(code)] = Rule(
            code=str(code),
            severity=_SEVERITY.get(shapes.value(shape, SH.severity), "Violation"),
            targets=", ".join(sorted(_targets(shapes, shape))),
            paths=", ".join(sorted(_paths(shapes, shape, str(code)))),
            description=str(described or ""),
            shape=str(shape).replace(_CHMSH, "chmsh:"),
        )
    return sorted(rules.values(), key=lambda r: (r.code[4], r.code))


def _targets(shapes: rdflib.Graph, shape) -> set[str]:
    """What the shape applies to: its own targets, else those of the node shape it belongs to."""
    found = set()
    parent = shapes.value(None, SH.property, shape)
    if parent is not None and not any(shapes.value(shape, kind) for kind in _TARGETS):
        return _targets(shapes, parent)
    for kind in _TARGETS:
        for target in shapes.objects(shape, kind):
            prefix = "" if kind == SH.targetClass else kind.removeprefix(str(SH)) + " "
            found.add(prefix + curie(str(target)).replace(_CHMSH, "chmsh:"))
    return found


def _paths(shapes: rdflib.Graph, shape, code: str) -> set[str]:
    """The paths the rule checks: the shape's own, and those of its property shapes that carry
    no code of their own or the same one."""
    nodes = [shape] + [
        p
        for p in shapes.objects(shape, SH.property)
        if str(shapes.value(p, _IDENTIFIER) or code) == code
    ]
    return {_path_text(shapes, p) for n in nodes for p in shapes.objects(n, SH.path)}


def _path_text(shapes: rdflib.Graph, path) -> str:
    if isinstance(path, rdflib.URIRef):
        return curie(str(path))
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        members = rdflib.collection.Collection(shapes, alternatives)
        return " or ".join(curie(str(m)) for m in members)
    return "(complex path)"


def markdown() -> str:
    """``docs/rules.md``."""
    lines = [
        "# Validation rules",
        "",
        "Generated from `shapes/chm.ttl` by `python -m chmgraph.validation.rules > docs/rules.md`;",
        "do not edit by hand. A Violation blocks a submission; a Warning or an Info does not.",
        "Codes are stable: a rule keeps its code for good, and a retired code is never reused.",
        "",
        "| code | severity | applies to | property | rule | shape |",
        "|---|---|---|---|---|---|",
    ]
    for rule in collect():
        cells = [
            f"`{rule.code}`",
            rule.severity,
            rule.targets,
            rule.paths,
            rule.description.replace("|", "\\|"),
            f"`{rule.shape}`",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")

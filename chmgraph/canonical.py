"""Canonical N-Triples: the same graph always gives the same bytes.

A graph's canonical form is its N-Triples lines with blank nodes relabelled by RDFC-1.0
(``_:c14n0``, ``_:c14n1``...) and the lines sorted bytewise. Labels depend only on the statements,
never on load order, store internals or the machine, so every file written from this form
(Turtle, TriG, N-Quads) is byte-for-byte reproducible.

Only statements that mention a blank node take part in canonicalization (RDFC-1.0 labels depend on
nothing else), so a graph without blank nodes costs a dump and a sort.

>>> a = b'_:x <http://e/p> "1" .\\n<http://e/s> <http://e/p> _:x .\\n'
>>> b = b'<http://e/s> <http://e/p> _:y .\\n_:y <http://e/p> "1" .\\n'
>>> canonical_ntriples({"g": a})["g"] == canonical_ntriples({"g": b})["g"]
True
>>> print(canonical_ntriples({"g": a})["g"].decode(), end="")
<http://e/s> <http://e/p> _:c14n0 .
_:c14n0 <http://e/p> "1" .
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyoxigraph as ox

# An N-Triples line whose object is a blank node: a literal never ends in a blank-node label
# (it ends with a quote, a language tag or a datatype IRI), so the last token tells.
_BLANK_OBJECT = re.compile(rb" _:[^\s\"<>]+ \.\n?$")


def canonical_ntriples(graphs: Mapping[str, bytes], *, jointly: bool = False) -> dict[str, bytes]:
    """The canonical N-Triples of each graph (graph IRI -> N-Triples bytes as dumped).

    With ``jointly``, blank nodes are labelled across all the graphs at once, as one dataset, so a
    blank node shared by two graphs keeps one label and labels never collide between graphs (for
    the whole-network files); otherwise each graph is canonicalized on its own (for its own file).
    """
    plain: dict[str, list[bytes]] = {}
    blank: dict[str, list[bytes]] = {}
    for graph, data in graphs.items():
        plain[graph], blank[graph] = _split_blank(data)
    if jointly:
        relabelled = _canonical_blank_lines(blank)
    else:
        relabelled = {}
        for graph, lines in blank.items():
            relabelled.update(_canonical_blank_lines({graph: lines}))
    result = {}
    for graph, lines in plain.items():
        lines.extend(relabelled.get(graph, ()))
        lines.sort()
        result[graph] = b"".join(lines)
    return result


def _split_blank(data: bytes) -> tuple[list[bytes], list[bytes]]:
    lines = data.splitlines(keepends=True)
    if b"_:" not in data:
        return lines, []
    plain, blank = [], []
    for line in lines:
        if line.startswith(b"_:") or _BLANK_OBJECT.search(line):
            blank.append(line)
        else:
            plain.append(line)
    return plain, blank


def _canonical_blank_lines(blank: Mapping[str, list[bytes]]) -> dict[str, list[bytes]]:
    """Relabel the blank-node statements of the graphs (together) with RDFC-1.0."""
    if not any(blank.values()):
        return {}
    dataset = ox.Dataset()
    for graph, lines in blank.items():
        name = ox.NamedNode(graph)
        for quad in ox.parse(b"".join(lines), format=ox.RdfFormat.N_TRIPLES):
            dataset.add(ox.Quad(quad.subject, quad.predicate, quad.object, name))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    triples: dict[str, list[ox.Triple]] = {}
    for quad in dataset:
        triples.setdefault(quad.graph_name.value, []).append(quad.triple)
    return {
        graph: ox.serialize(items, format=ox.RdfFormat.N_TRIPLES).splitlines(keepends=True)
        for graph, items in triples.items()
    }

"""Canonical N-Triples, and Turtle written from them: the same graph always gives the same bytes.

A graph's canonical form is its N-Triples lines with blank nodes relabelled by RDFC-1.0
(``_:c14n0``, ``_:c14n1``...) and the lines sorted bytewise. Labels depend only on the statements,
never on load order, store internals or the machine, so every file written from this form
(Turtle, TriG, N-Quads) is byte-for-byte reproducible.

Only statements that mention a blank node take part in canonicalization (RDFC-1.0 labels depend on
nothing else), so a graph without blank nodes costs a dump and a sort.

>>> g = "http://e/g"
>>> a = b'_:x <http://e/p> "1" .\\n<http://e/s> <http://e/p> _:x .\\n'
>>> b = b'<http://e/s> <http://e/p> _:y .\\n_:y <http://e/p> "1" .\\n'
>>> canonical_lines({g: a})[g] == canonical_lines({g: b})[g]
True
>>> print(turtle_statements(canonical_lines({g: a})[g], {"e": "http://e/"}).decode(), end="")
e:s e:p _:c14n0 .
_:c14n0 e:p "1" .
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import pyoxigraph as ox

# An N-Triples line whose object is a blank node: a literal never ends in a blank-node label
# (it ends with a quote, a language tag or a datatype IRI), so the last token tells.
_BLANK_OBJECT = re.compile(rb" _:[^\s\"<>]+ \.\n?$")


def canonical_lines(
    graphs: Mapping[str, bytes], *, jointly: bool = False
) -> dict[str, list[bytes]]:
    """The canonical N-Triples lines of each graph (graph IRI -> N-Triples bytes as dumped).

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
    for graph, lines in plain.items():
        lines.extend(relabelled.get(graph, ()))
        lines.sort()
    return plain


def turtle_statements(lines: Sequence[bytes], prefixes: Mapping[str, str]) -> bytes:
    """Turtle statements (no prefix lines) from sorted canonical N-Triples lines.

    Statements of one subject are grouped (``;``), objects of one predicate listed (``,``), and
    an IRI becomes a prefixed name when its local part is plainly safe (letters, digits, ``_``,
    ``-``); any other term is written as in N-Triples, which is valid Turtle.
    """
    compact = _compactor(tuple(prefixes.items()))
    term, known_predicate = compact.term, compact.predicates.get
    out: list[bytes] = []
    append = out.append
    subject = predicate = None
    for line in lines:
        # A canonical line is "S P O .\n"; subjects and predicates hold no space.
        s, p, o = line[:-3].split(b" ", 2)
        if s != subject:
            if subject is not None:
                append(b" .\n")
            subject, predicate = s, p
            name = known_predicate(p) or compact.predicate(p)
            append(term(s) + b" " + name + b" " + term(o))
        elif p != predicate:
            predicate = p
            name = known_predicate(p) or compact.predicate(p)
            append(b" ;\n\t" + name + b" " + term(o))
        else:
            append(b" ,\n\t\t" + term(o))
    if subject is not None:
        append(b" .\n")
    return b"".join(out)


class _Compactor:
    """Prefixed names for terms in N-Triples form, for one prefix map (with bounded caches:
    predicates, classes and linked things repeat, and a lookup costs less than the pattern)."""

    def __init__(self, prefixes: tuple[tuple[str, str], ...]) -> None:
        spaces = sorted(prefixes, key=lambda item: -len(item[1]))
        alternatives = b"|".join(re.escape(ns.encode()) for _, ns in spaces)
        self._iri = re.compile(rb"<(" + alternatives + rb")([A-Za-z0-9_][A-Za-z0-9_-]*)>")
        self._names = {ns.encode(): prefix.encode() + b":" for prefix, ns in spaces}
        self._iris: dict[bytes, bytes] = {}
        self.predicates: dict[bytes, bytes] = {}

    def iri(self, term: bytes) -> bytes:
        name = self._iris.get(term)
        if name is None:
            match = self._iri.fullmatch(term)
            name = self._names[match.group(1)] + match.group(2) if match else term
            if len(self._iris) < _CACHED_TERMS:
                self._iris[term] = name
        return name

    def predicate(self, term: bytes) -> bytes:
        name = self.predicates.get(term)
        if name is None:
            name = b"a" if term == _RDF_TYPE else self.iri(term)
            self.predicates[term] = name
        return name

    def term(self, term: bytes) -> bytes:
        first = term[0]
        if first == 60:  # "<": an IRI
            return self.iri(term)
        if first == 34 and term[-1] == 62:  # '"...^^<datatype>'
            cut = term.rindex(b"^^") + 2
            return term[:cut] + self.predicate(term[cut:])
        return term


_CACHED_TERMS = 1 << 16
_RDF_TYPE = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


@lru_cache(maxsize=8)
def _compactor(prefixes: tuple[tuple[str, str], ...]) -> _Compactor:
    return _Compactor(prefixes)


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

"""SHACL Core on plain indexes: the constraint components whose semantics are simple, evaluated
over dictionaries of the data instead of pySHACL's shape machinery on rdflib's store.

pySHACL spends most of its time outside the constraints themselves: it builds each constraint
component object again for every focus node a nested shape (``sh:node``, ``sh:or``) is checked
on, scans its list of all parameters for every predicate of a shape, and asks rdflib's store
(with its contexts) for every value. Here each shape is compiled once per shapes graph, the data
is indexed once (subject -> predicate -> objects, and the inverse), and each constraint is a
loop over value nodes.

Only shapes whose every part is understood are evaluated here (``CoreShapes.split``): targets
(``sh:targetClass``, ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, and
implicit class targets); paths that are an IRI, an inverse IRI, or sequences and alternatives
of those; and ``sh:class``, ``sh:datatype``, ``sh:nodeKind``, ``sh:minCount``, ``sh:maxCount``,
``sh:minLength``, ``sh:maxLength``, ``sh:pattern`` (with ``sh:flags``), ``sh:languageIn``,
``sh:uniqueLang``, ``sh:in``, ``sh:hasValue``, ``sh:node``, ``sh:property``, ``sh:and``,
``sh:or``, ``sh:not`` and ``sh:xone``. A shape with anything else (a SPARQL constraint, a
value range, a qualified count, a closed shape, a custom component, a recursive reference,
a parameter pySHACL would refuse) is left to pySHACL, so results are pySHACL's in every case:
the semantics below follow pySHACL 0.40 line by line (e.g. ``sh:pattern`` with Python's
``re``, ``sh:datatype`` with rdflib's lexical check, ``sh:class`` through the data's
``rdfs:subClassOf``), and the test suite checks both give the same results on the W3C SHACL
suite, the peer shapes and a synthetic DCAT catalogue.

The report graph is built by pySHACL's own report writer from the same result triples pySHACL
makes (focus node, path, value, component, severity, source shape, the shape's messages), so
what reads pySHACL's reports reads this one. One difference: a ``sh:node`` result does not
carry the nested results as ``sh:detail``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property, lru_cache

import pyoxigraph as ox
import rdflib
from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS
from pyshacl.validator import Validator
from rdflib.namespace import RDF, RDFS, SH, XSD

from chmgraph.validation.bridge import PreparedQueryGraph, rdflib_triples

# The parameters evaluated here; any other constraint parameter leaves its shape to pySHACL.
_SUPPORTED = {
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.minCount,
    SH.maxCount,
    SH.minLength,
    SH.maxLength,
    SH.pattern,
    SH.flags,
    SH.languageIn,
    SH.uniqueLang,
    SH["in"],
    SH.hasValue,
    SH.node,
    SH.property,
    SH["and"],
    SH["or"],
    SH["not"],
    SH.xone,
}
_PARAMETERS = set(ALL_CONSTRAINT_PARAMETERS) | {SH.flags}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_WHOLE = {
    XSD.integer,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
    XSD.long,
    XSD.int,
    XSD.short,
    XSD.byte,
    XSD.unsignedLong,
    XSD.unsignedInt,
    XSD.unsignedShort,
    XSD.unsignedByte,
}
# Terms the constraints compare values with, looked up once: an attribute of an rdflib
# namespace is a function call that builds a new term.
_TYPE, _LANG_STRING, _STRING = RDF.type, RDF.langString, XSD.string
_STRING_TYPES = (None, _LANG_STRING, _STRING)
# pySHACL's check of a literal's Python value, for the datatypes it knows.
_PYTHON_TYPES = {
    XSD.string: (str, bytes),
    RDF.langString: (str, bytes),
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: date,
    XSD.time: time,
    XSD.dateTime: datetime,
}
_NODE_KINDS = {
    SH.BlankNode: (True, False, False),
    SH.IRI: (False, True, False),
    SH.Literal: (False, False, True),
    SH.BlankNodeOrIRI: (True, True, False),
    SH.BlankNodeOrLiteral: (True, False, True),
    SH.IRIOrLiteral: (False, True, True),
}


class Unsupported(Exception):
    """A shape (or something it refers to) this module leaves to pySHACL."""


class Data:
    """The data graph as dictionaries: subject -> predicate -> objects, and the inverse.

    Built from the triples (rdflib terms) the shapes see; the rdflib graph pySHACL needs is
    built from them only when pySHACL runs (``graph``), with ``namespaces`` bound."""

    def __init__(
        self, triples: Iterable[tuple], namespaces: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.triples = list(dict.fromkeys(triples))
        self.namespaces = list(namespaces)
        out: dict = defaultdict(lambda: defaultdict(list))
        inv: dict = defaultdict(lambda: defaultdict(list))
        by_predicate: dict = defaultdict(list)
        for s, p, o in self.triples:
            out[s][p].append(o)
            inv[o][p].append(s)
            by_predicate[p].append((s, o))
        self.out, self.inv, self.by_predicate = out, inv, by_predicate
        self._superclasses: dict = {}

    @classmethod
    def of(cls, triples: Iterable[ox.Triple], namespaces: Iterable[tuple[str, str]] = ()) -> Data:
        """The data of pyoxigraph ``triples``."""
        return cls(rdflib_triples(triples), namespaces)

    @cached_property
    def graph(self) -> rdflib.Graph:
        """The data as an rdflib graph, for pySHACL."""
        graph = PreparedQueryGraph()
        for prefix, namespace in self.namespaces:
            graph.bind(prefix, namespace, override=False)
        add = graph.add
        for triple in self.triples:
            add(triple)
        return graph

    @cached_property
    def blank_descriptions(self) -> rdflib.Graph:
        """The statements about blank nodes: what a report copies of a blank focus node or
        value (pySHACL's report writer clones a blank node's description, nothing else)."""
        graph = rdflib.Graph()
        for s, p, o in self.triples:
            if isinstance(s, rdflib.BNode):
                graph.add((s, p, o))
        return graph

    def objects(self, node, predicate) -> list:
        found = self.out.get(node)
        return found.get(predicate, []) if found is not None else []

    def subjects(self, predicate, node) -> list:
        found = self.inv.get(node)
        return found.get(predicate, []) if found is not None else []

    def referrers(self, node) -> list:
        """The subjects of every statement whose object is ``node``."""
        found = self.inv.get(node)
        return [s for subjects in found.values() for s in subjects] if found is not None else []

    def objects_of(self, predicate) -> list:
        """The objects of every statement with ``predicate``."""
        return [o for _, o in self.by_predicate.get(predicate, ())]

    def superclasses(self, cls) -> set:
        """``cls`` and every class it is an ``rdfs:subClassOf``, transitively."""
        known = self._superclasses.get(cls)
        if known is None:
            known = _closure(cls, lambda c: self.objects(c, RDFS.subClassOf))
            self._superclasses[cls] = known
        return known

    def instances(self, cls) -> set:
        """The SHACL instances of ``cls``: typed by it or by a subclass of it."""
        classes = _closure(cls, lambda c: self.subjects(RDFS.subClassOf, c))
        return {s for c in classes for s in self.subjects(RDF.type, c)}


def _closure(start, step: Callable[[object], Iterable]) -> set:
    seen = {start}
    frontier = [start]
    while frontier:
        for following in step(frontier.pop()):
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    return seen


# A path: a function from a focus node to its value nodes.
Path = Callable[[Data, object], set]


@dataclass
class Shape:
    """A compiled shape: what it is, its constraints and what its results carry."""

    node: rdflib.term.Node
    path_node: rdflib.term.Node | None = None
    path: Path | None = None
    severity: rdflib.term.Node = SH.Violation
    messages: tuple = ()
    deactivated: bool = False
    # (component, check): check(data, focus -> values) gives (focus, value or None) per result.
    constraints: list = field(default_factory=list)
    properties: list = field(default_factory=list)


@dataclass(frozen=True)
class CoreResult:
    shape: Shape
    component: rdflib.URIRef
    focus: rdflib.term.Node
    value: rdflib.term.Node | None


class CoreShapes:
    """The shapes of a shapes graph that this module evaluates, compiled once."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph
        self._compiled: dict = {}
        self._failed: set = set()
        self.targeted = _targeted_shapes(graph)
        self.fast: list[Shape] = []
        self.rest: list[rdflib.term.Node] = []
        global_fallback = any(graph.subjects(RDF.type, SH.ConstraintComponent)) or any(
            graph.subjects(SH.parameter, None)
        )
        for node in sorted(self.targeted, key=str):
            shape = None if global_fallback else self._try(node)
            if shape is None:
                self.rest.append(node)
            else:
                self.fast.append(shape)
        self._close_rest()
        if any(isinstance(n, rdflib.BNode) for n in self.rest):
            # pySHACL can be told to use only shapes named by IRI: one without leaves all to it.
            self.rest, self.fast = sorted(self.targeted, key=str), []

    def _close_rest(self) -> None:
        """pySHACL's ``use_shapes`` leaves out every shape named by IRI that is not listed, even
        where a listed shape refers to it: the shapes left to it are listed with every IRI
        shape they reach, and a shape evaluated here that is among them goes to pySHACL."""
        while True:
            reached = set()
            for node in self.rest:
                reached |= _reached(self.graph, node)
            reached = {n for n in reached if isinstance(n, rdflib.URIRef)} - set(self.rest)
            if not reached:
                return
            self.rest = sorted({*self.rest, *reached}, key=str)
            self.fast = [shape for shape in self.fast if shape.node not in reached]

    def _try(self, node) -> Shape | None:
        try:
            return self._shape(node, ())
        except Unsupported:
            return None

    def _shape(self, node, within: tuple) -> Shape:
        if node in within:
            raise Unsupported(f"recursive shape {node}")
        if node in self._compiled:
            return self._compiled[node]
        g = self.graph
        if not any(True for _ in g.predicate_objects(node)):
            raise Unsupported(f"{node} is described nowhere")
        parameters = {p for p in g.predicates(node) if p in _PARAMETERS}
        if parameters - _SUPPORTED or (node, SH.target, None) in g:
            raise Unsupported(f"{node} has constraints evaluated by pySHACL only")
        shape = Shape(node=node)
        paths = list(g.objects(node, SH.path))
        if len(paths) > 1:
            raise Unsupported("several paths")
        if paths:
            shape.path_node = paths[0]
            shape.path = _path(g, paths[0])
        shape.severity = _one(g, node, SH.severity, SH.Violation)
        shape.messages = tuple(g.objects(node, SH.message))
        deactivated = _one(g, node, SH.deactivated, None)
        if deactivated is not None:
            if not isinstance(deactivated, rdflib.Literal):
                raise Unsupported("sh:deactivated is no literal")
            shape.deactivated = bool(deactivated.value)
        # Compiled before its references, so a recursive reference is found above.
        inner = (*within, node)
        shape.constraints = self._constraints(shape, parameters, inner)
        self._compiled[node] = shape
        return shape

    def _constraints(self, shape: Shape, parameters: set, within: tuple) -> list:
        g, node = self.graph, shape.node
        is_property = shape.path is not None
        constraints: list = []
        for parameter, compile_ in _COMPILERS:
            if parameter in parameters:
                constraints.extend(compile_(self, g, node, is_property, within))
        return constraints

    def conforms(self, data: Data, shape: Shape, value, cache: dict) -> bool:
        key = (shape.node, value)
        known = cache.get(key)
        if known is None:
            known = not self.evaluate(data, shape, [value], cache)
            cache[key] = known
        return known

    def evaluate(self, data: Data, shape: Shape, focus: Iterable, cache: dict) -> list[CoreResult]:
        """The results of ``shape`` on the ``focus`` nodes."""
        if shape.deactivated:
            return []
        focus = list(focus)
        if not focus:
            return []
        if shape.path is None:
            values = {f: {f} for f in focus}
        else:
            values = {f: shape.path(data, f) for f in focus}
        results: list[CoreResult] = []
        for component, check in shape.constraints:
            if component is None:  # sh:property: the nested shape's own results
                results.extend(check(self, data, values, cache))
                continue
            for f, v in check(self, data, values, cache):
                results.append(CoreResult(shape, component, f, v))
        return results

    def validate(self, data: Data) -> list[CoreResult]:
        """The results of every shape evaluated here, on its targets."""
        cache: dict = {}
        results: list[CoreResult] = []
        for shape in self.fast:
            results.extend(self.evaluate(data, shape, _focus_nodes(self.graph, data, shape), cache))
        return results


@lru_cache(maxsize=16)
def core_shapes(graph: rdflib.Graph) -> CoreShapes:
    """The compiled shapes of ``graph`` (shapes graphs are built once per process)."""
    return CoreShapes(graph)


def _one(g: rdflib.Graph, node, predicate, default):
    found = set(g.objects(node, predicate))
    if len(found) > 1:
        raise Unsupported(f"several {predicate}")
    return next(iter(found)) if found else default


def _targeted_shapes(g: rdflib.Graph) -> set:
    """The shapes pySHACL validates from the top: those with a target, and shapes that are
    classes (implicit class targets)."""
    targeted = {s for t in _TARGETS for s in g.subjects(t, None)}
    class_types = {RDFS.Class, *g.subjects(RDFS.subClassOf, RDFS.Class)}
    shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    shapes |= set(g.subjects(SH.property, None)) | set(g.subjects(SH.node, None))
    targeted |= {s for s in shapes if any(t in class_types for t in g.objects(s, RDF.type))}
    targeted |= set(g.subjects(SH.target, None))
    return targeted


_SHAPE_EXPECTING = (SH.property, SH.node, SH["not"], SH.qualifiedValueShape)
_SHAPE_LISTS = (SH["and"], SH["or"], SH.xone)


def _reached(g: rdflib.Graph, start) -> set:
    """The shapes ``start`` refers to, transitively (``sh:property``, ``sh:node``...)."""

    def step(node):
        for p in _SHAPE_EXPECTING:
            yield from g.objects(node, p)
        for p in _SHAPE_LISTS:
            for holder in g.objects(node, p):
                yield from g.items(holder)

    return _closure(start, step) - {start}


def _focus_nodes(g: rdflib.Graph, data: Data, shape: Shape) -> set:
    node = shape.node
    found = set(g.objects(node, SH.targetNode))
    classes = set(g.objects(node, SH.targetClass))
    class_types = {RDFS.Class, *g.subjects(RDFS.subClassOf, RDFS.Class)}
    if any(t in class_types for t in g.objects(node, RDF.type)):
        classes.add(node)
    for cls in classes:
        found |= data.instances(cls)
    for predicate in g.objects(node, SH.targetSubjectsOf):
        found |= {s for s, _ in data.by_predicate.get(predicate, ())}
    for predicate in g.objects(node, SH.targetObjectsOf):
        found |= {o for _, o in data.by_predicate.get(predicate, ())}
    return found


def _path(g: rdflib.Graph, node) -> Path:
    """The path at ``node``: an IRI, an inverse IRI, or a sequence or alternative of those."""
    if isinstance(node, rdflib.URIRef):
        return lambda data, focus: set(data.objects(focus, node))
    if not isinstance(node, rdflib.BNode):
        raise Unsupported("a path that is a literal")
    # In pySHACL's order: a list is a sequence whatever else the node says.
    if (node, RDF.first, None) in g:
        members = _list(g, node)
        if len(members) < 2:
            raise Unsupported("a sequence path pySHACL refuses")
        steps = [_simple_step(g, m) for m in members]

        def sequence(data: Data, focus) -> set:
            current = {focus}
            for step in steps:
                current = set().union(*(step(data, c) for c in current)) if current else set()
            return current

        return sequence
    inverse = list(g.objects(node, SH.inversePath))
    if inverse:
        if len(inverse) > 1 or not isinstance(inverse[0], rdflib.URIRef):
            raise Unsupported("an inverse of a complex path")
        predicate = inverse[0]
        return lambda data, focus: set(data.subjects(predicate, focus))
    alternatives = list(g.objects(node, SH.alternativePath))
    if alternatives:
        members = _list(g, alternatives[0])
        if len(alternatives) > 1 or len(members) < 2:
            raise Unsupported("an alternative path pySHACL refuses")
        steps = [_simple_step(g, m) for m in members]
        return lambda data, focus: set().union(*(step(data, focus) for step in steps))
    raise Unsupported("a path evaluated by pySHACL only")


def _simple_step(g: rdflib.Graph, node) -> Path:
    if isinstance(node, rdflib.URIRef):
        return _path(g, node)
    inverse = list(g.objects(node, SH.inversePath))
    alone = len(set(g.predicates(node))) == 1
    if len(inverse) == 1 and isinstance(inverse[0], rdflib.URIRef) and alone:
        return _path(g, node)
    raise Unsupported("a nested complex path")


def _list(g: rdflib.Graph, node) -> list:
    items, seen = [], set()
    while node != RDF.nil:
        if node in seen:
            raise Unsupported("a cyclic list")
        seen.add(node)
        first, rest = list(g.objects(node, RDF.first)), list(g.objects(node, RDF.rest))
        if len(first) != 1 or len(rest) != 1:
            raise Unsupported("a malformed list")
        items.append(first[0])
        node = rest[0]
    return items


# Compilers: (parameter, compile(core, g, node, is_property, within) -> [(component, check)]).


def _values_check(test: Callable[[object], bool]):
    """A check failing each value node for which ``test`` is false."""

    def check(core, data, values, cache):
        return [(f, v) for f, vs in values.items() for v in vs if not test(v)]

    return check


def _class(core, g, node, is_property, within):
    return [(SH.ClassConstraintComponent, _class_check(c)) for c in g.objects(node, SH["class"])]


def _class_check(cls):
    def check(core, data, values, cache):
        failed = []
        for f, vs in values.items():
            for v in vs:
                if isinstance(v, rdflib.Literal) or not any(
                    cls in data.superclasses(t) for t in data.objects(v, _TYPE)
                ):
                    failed.append((f, v))
        return failed

    return check


def _datatype(core, g, node, is_property, within):
    rule = _single(g, node, SH.datatype)
    any_literal, any_datatype = rule == RDFS.Literal, rule == RDFS.Datatype
    string, lang_string = rule == _STRING, rule == _LANG_STRING

    def test(v) -> bool:
        if not isinstance(v, rdflib.Literal):
            return False
        if v.datatype == rule:
            return not getattr(v, "ill_typed", None) and _actual_datatype(v, rule)
        if any_literal:
            return True
        if any_datatype and v.datatype:
            return True
        if v.datatype is None and v.language is None and string:
            return _actual_datatype(v, rule)
        if lang_string and v.language:
            return _actual_datatype(v, rule)
        return False

    return [(SH.DatatypeConstraintComponent, _values_check(test))]


def _actual_datatype(literal: rdflib.Literal, rule) -> bool:
    """pySHACL's check of a literal's Python value for the datatypes it knows."""
    expected = _PYTHON_TYPES.get(rule)
    return True if expected is None else isinstance(literal.value, expected)


def _node_kind(core, g, node, is_property, within):
    rule = _single(g, node, SH.nodeKind)
    if rule not in _NODE_KINDS:
        raise Unsupported("an unknown node kind")
    blank, iri, literal = _NODE_KINDS[rule]

    def test(v) -> bool:
        if isinstance(v, rdflib.BNode):
            return blank
        if isinstance(v, rdflib.Literal):
            return literal
        return iri

    return [(SH.NodeKindConstraintComponent, _values_check(test))]


def _count(parameter, component, too_many: bool):
    def compile_(core, g, node, is_property, within):
        limit = _single(g, node, parameter)
        if not is_property:
            raise Unsupported("a count on a node shape (pySHACL refuses it)")
        if not (isinstance(limit, rdflib.Literal) and limit.datatype == XSD.integer):
            raise Unsupported("a count that is no xsd:integer")
        n = int(limit.value)
        if n < 0 or (n == 0 and not too_many):
            if n < 0:
                raise Unsupported("a negative count")
            return []

        def check(core, data, values, cache):
            if too_many:
                return [(f, None) for f, vs in values.items() if len(vs) > n]
            return [(f, None) for f, vs in values.items() if len(vs) < n]

        return [(component, check)]

    return compile_


def _length(parameter, component, longest: bool):
    def compile_(core, g, node, is_property, within):
        limit = _single(g, node, parameter)
        if (
            not isinstance(limit, rdflib.Literal)
            or getattr(limit, "ill_typed", False)
            or limit.datatype not in _WHOLE
            or limit.value < 0
        ):
            raise Unsupported("a length pySHACL refuses")
        n = int(limit.value)

        def test(v) -> bool:
            if n == 0 and not longest:
                return True
            if isinstance(v, rdflib.BNode):
                return False
            size = len(_as_string(v))
            return size <= n if longest else size >= n

        return [(component, _values_check(test))]

    return compile_


def _pattern(core, g, node, is_property, within):
    patterns = list(g.objects(node, SH.pattern))
    flags_found = list(g.objects(node, SH.flags))
    re_flags = 0
    if flags_found:
        text = str(flags_found[0].value if isinstance(flags_found[0], rdflib.Literal) else "")
        text = text.lower()
        re_flags |= re.I if "i" in text else 0
        re_flags |= re.M if "m" in text else 0
    checks = []
    for p in patterns:
        if not isinstance(p, rdflib.Literal):
            raise Unsupported("a pattern that is no literal")
        text = str(p.value) if p.value is not None and len(p.value) > 1 else str(p)
        try:
            matcher = re.compile(text, re_flags)
        except re.error as exc:
            raise Unsupported(f"a pattern Python cannot compile: {exc}") from None

        def test(v, matcher=matcher) -> bool:
            if isinstance(v, rdflib.BNode):
                return False
            return matcher.search(_as_string(v)) is not None

        checks.append((SH.PatternConstraintComponent, _values_check(test)))
    return checks


def _as_string(v) -> str:
    """A value node's text as pySHACL's string-based constraints read it."""
    if isinstance(v, rdflib.Literal) and v.value is not None and v.datatype in _STRING_TYPES:
        return str(v.value)
    return str(v)


def _language_in(core, g, node, is_property, within):
    wanted = set()
    for item in _list(g, _single(g, node, SH.languageIn)):
        if not isinstance(item, rdflib.Literal) or not isinstance(item.value, str):
            raise Unsupported("a language that is no string")
        wanted.add(str(item.value).lower())

    def test(v) -> bool:
        if not isinstance(v, rdflib.Literal) or not v.language:
            return False
        lang = str(v.language).lower()
        return "*" in wanted or lang in wanted or lang.split("-")[0] in wanted

    return [(SH.LanguageInConstraintComponent, _values_check(test))]


def _unique_lang(core, g, node, is_property, within):
    rule = _single(g, node, SH.uniqueLang)
    if not is_property or not isinstance(rule, rdflib.Literal) or not isinstance(rule.value, bool):
        raise Unsupported("an sh:uniqueLang pySHACL refuses")
    if not rule.value:
        return []

    def check(core, data, values, cache):
        failed = []
        for f, vs in values.items():
            seen, repeated = set(), set()
            for v in vs:
                if isinstance(v, rdflib.Literal) and v.language:
                    lang = str(v.language).lower()
                    (repeated if lang in seen else seen).add(lang)
            failed.extend((f, None) for _ in repeated)
        return failed

    return [(SH.UniqueLangConstraintComponent, check)]


def _in(core, g, node, is_property, within):
    allowed = set(_list(g, _single(g, node, SH["in"])))
    return [(SH.InConstraintComponent, _values_check(lambda v: v in allowed))]


def _has_value(core, g, node, is_property, within):
    checks = []
    for wanted in set(g.objects(node, SH.hasValue)):

        def check(core, data, values, cache, wanted=wanted):
            return [(f, None) for f, vs in values.items() if not any(v == wanted for v in vs)]

        checks.append((SH.HasValueConstraintComponent, check))
    return checks


def _shape_list(core, g, node, parameter, within) -> list[Shape]:
    shapes = []
    for holder in g.objects(node, parameter):
        members = _list(g, holder)
        if not members:
            raise Unsupported("an empty list of shapes")
        shapes.append([core._shape(m, within) for m in members])
    return shapes


def _node(core, g, node, is_property, within):
    checks = []
    for target in g.objects(node, SH.node):
        nested = core._shape(target, within)
        if nested.path is not None:
            raise Unsupported("sh:node names a property shape")

        def check(core, data, values, cache, nested=nested):
            return [
                (f, v)
                for f, vs in values.items()
                for v in vs
                if not core.conforms(data, nested, v, cache)
            ]

        checks.append((SH.NodeConstraintComponent, check))
    return checks


def _property(core, g, node, is_property, within):
    checks = []
    for target in g.objects(node, SH.property):
        nested = core._shape(target, within)
        if nested.path is None:
            raise Unsupported("sh:property names a node shape")

        def check(core, data, values, cache, nested=nested):
            each = [v for vs in values.values() for v in vs]
            distinct = list(dict.fromkeys(each))
            if len(distinct) == len(each):  # evaluated together: the same results, at once
                return core.evaluate(data, nested, distinct, cache)
            results = []  # a value met twice is reported twice, as pySHACL does
            for v in each:
                results.extend(core.evaluate(data, nested, [v], cache))
            return results

        checks.append((None, check))
    return checks


def _logical(parameter, component, passes: Callable[[int, int], bool]):
    """``sh:and``, ``sh:or``, ``sh:xone``: a value fails when the number of member shapes it
    conforms to does not pass."""

    def compile_(core, g, node, is_property, within):
        checks = []
        for members in _shape_list(core, g, node, parameter, within):
            # pySHACL reads sh:and and sh:or lists as sets, sh:xone lists as lists.
            distinct = list({id(m): m for m in members}.values())
            if parameter == SH.xone:
                distinct = members

            def check(core, data, values, cache, distinct=distinct):
                failed = []
                for f, vs in values.items():
                    for v in vs:
                        n = sum(1 for m in distinct if core.conforms(data, m, v, cache))
                        if not passes(n, len(distinct)):
                            failed.append((f, v))
                return failed

            checks.append((component, check))
        return checks

    return compile_


def _not(core, g, node, is_property, within):
    checks = []
    for target in g.objects(node, SH["not"]):
        nested = core._shape(target, within)

        def check(core, data, values, cache, nested=nested):
            ok = core.conforms
            return [(f, v) for f, vs in values.items() for v in vs if ok(data, nested, v, cache)]

        checks.append((SH.NotConstraintComponent, check))
    return checks


def _single(g: rdflib.Graph, node, parameter):
    found = list(g.objects(node, parameter))
    if len(found) != 1:
        raise Unsupported(f"{len(found)} values of {parameter}")
    return found[0]


# In pySHACL's order of its parameter list, so results come in the same order.
_COMPILERS = (
    (SH["class"], _class),
    (SH.datatype, _datatype),
    (SH.nodeKind, _node_kind),
    (SH.minCount, _count(SH.minCount, SH.MinCountConstraintComponent, too_many=False)),
    (SH.maxCount, _count(SH.maxCount, SH.MaxCountConstraintComponent, too_many=True)),
    (SH.minLength, _length(SH.minLength, SH.MinLengthConstraintComponent, longest=False)),
    (SH.maxLength, _length(SH.maxLength, SH.MaxLengthConstraintComponent, longest=True)),
    (SH.pattern, _pattern),
    (SH.languageIn, _language_in),
    (SH.uniqueLang, _unique_lang),
    (SH["in"], _in),
    (SH.hasValue, _has_value),
    (SH.node, _node),
    (SH.property, _property),
    (SH["and"], _logical(SH["and"], SH.AndConstraintComponent, lambda n, total: n == total)),
    (SH["or"], _logical(SH["or"], SH.OrConstraintComponent, lambda n, total: n > 0)),
    (SH.xone, _logical(SH.xone, SH.XoneConstraintComponent, lambda n, total: n == 1)),
    (SH["not"], _not),
)


class _ShapesGraphView:
    """What pySHACL's report writer reads of a shapes graph."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph


# The statements of a result whose objects are the data's or the shapes' nodes: a blank one is
# copied into the report with its description, as pySHACL's report writer copies it.
_FROM_DATA = (SH.focusNode, SH.value)
_FROM_SHAPES = (SH.sourceConstraintComponent, SH.sourceShape, SH.resultPath)


def result_statements(r: CoreResult) -> dict:
    """What the report states of the result ``r``: predicate -> objects, as pySHACL's."""
    about = {
        RDF.type: [SH.ValidationResult],
        SH.sourceConstraintComponent: [r.component],
        SH.sourceShape: [r.shape.node],
        SH.resultSeverity: [r.shape.severity],
        SH.focusNode: [r.focus],
    }
    if r.value is not None:
        about[SH.value] = [r.value]
    if r.shape.path_node is not None:
        about[SH.resultPath] = [r.shape.path_node]
    about[SH.resultMessage] = list(r.shape.messages or (rdflib.Literal(_generic(r)),))
    return about


def report_graph(shapes: rdflib.Graph, data: Data, results: list[tuple]) -> rdflib.Graph:
    """pySHACL's report graph for ``results`` (each its node and ``result_statements``),
    written by pySHACL's own report writer."""
    written = []
    described = data.blank_descriptions if results else None
    for node, about in results:
        triples = []
        for predicate, objects in about.items():
            source = described if predicate in _FROM_DATA else None
            source = shapes if predicate in _FROM_SHAPES else source
            triples.extend((node, predicate, o if source is None else (source, o)) for o in objects)
        written.append(("", node, triples))
    report, _ = Validator.create_validation_report(_ShapesGraphView(shapes), not written, written)
    return report


def _generic(r: CoreResult) -> str:
    name = str(r.component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    value = f" {r.value.n3()}" if r.value is not None else ""
    return f"{name} constraint not met on {r.focus.n3()}{value}"

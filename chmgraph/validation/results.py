"""Results from pySHACL's report: each ``sh:result`` as a ``ValidationResult`` a steward can act on.

A result gets its rule code (its shape's ``dcterms:identifier``), a message in each of the six
languages that keeps the detail pySHACL found (value, limit, count, the SPARQL rule's variables),
the label of the thing described, and the file and line describing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH

from chmgraph import iris
from chmgraph.validation.bridge import from_rdflib, to_rdflib_term
from chmgraph.validation.context import LABEL_PREDICATES
from chmgraph.validation.core import Data
from chmgraph.validation.engine import EngineReport, EngineResult
from chmgraph.validation.facts import SUBMISSION
from chmgraph.validation.lexical import ill_typed
from chmgraph.validation.messages import (
    CHMSH,
    LANGUAGES,
    MESSAGE,
    NETWORK_MESSAGE,
    SUGGESTION,
    Templates,
)
from chmgraph.validation.report import ValidationResult
from chmgraph.validation.shapes import CHM_SHAPES, shapes_graph
from chmgraph.validation.sources import ReadSource
from chmgraph.vocabulary import Vocabulary, curie

REDEFINITION_RULE = "CHM-V090"
_SEVERITY = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


def severity_name(severity: rdflib.term.Node | None) -> str:
    """A result's severity as the shapes declare it: ``Violation``, ``Warning``, ``Info``, or
    the local name of a custom one (``ex:Blocker`` is ``Blocker``); none declared is a
    Violation, as SHACL says."""
    if severity is None:
        return "Violation"
    if severity in _SEVERITY:
        return _SEVERITY[severity]
    return re.split(r"[#/:]", str(severity).rstrip("#/"))[-1] or str(severity)


_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
_DCT_IDENTIFIER = rdflib.URIRef(iris.PREFIXES["dcterms"] + "identifier")
_SUBMISSION = to_rdflib_term(SUBMISSION)
# Datatypes whose literals Turtle writes bare (1, 2.5, true), and so do messages.
# Constraint components comparing a path's values with another property's values at the focus.
_PAIR_COMPONENTS = {
    "EqualsConstraintComponent",
    "DisjointConstraintComponent",
    "LessThanConstraintComponent",
    "LessThanOrEqualsConstraintComponent",
}
_BARE_DATATYPES = {iris.PREFIXES["xsd"] + n for n in ("integer", "decimal", "double", "boolean")}
_SPARQL_PLACEHOLDER = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")
# The shape parameter holding the limit each core constraint component sets.
_PARAMETER = {
    "MinCountConstraintComponent": SH.minCount,
    "MaxCountConstraintComponent": SH.maxCount,
    "DatatypeConstraintComponent": SH.datatype,
    "ClassConstraintComponent": SH["class"],
    "NodeKindConstraintComponent": SH.nodeKind,
    "PatternConstraintComponent": SH.pattern,
    "LanguageInConstraintComponent": SH.languageIn,
    "InConstraintComponent": SH["in"],
    "HasValueConstraintComponent": SH.hasValue,
    "MinInclusiveConstraintComponent": SH.minInclusive,
    "MaxInclusiveConstraintComponent": SH.maxInclusive,
    "MinExclusiveConstraintComponent": SH.minExclusive,
    "MaxExclusiveConstraintComponent": SH.maxExclusive,
    "MinLengthConstraintComponent": SH.minLength,
    "MaxLengthConstraintComponent": SH.maxLength,
    "QualifiedMinCountConstraintComponent": SH.qualifiedMinCount,
    "QualifiedMaxCountConstraintComponent": SH.qualifiedMaxCount,
    "EqualsConstraintComponent": SH.equals,
    "DisjointConstraintComponent": SH.disjoint,
    "LessThanConstraintComponent": SH.lessThan,
    "LessThanOrEqualsConstraintComponent": SH.lessThanOrEquals,
    "NodeConstraintComponent": SH.node,
    "OrConstraintComponent": SH["or"],
    "XoneConstraintComponent": SH.xone,
    "AndConstraintComponent": SH["and"],
    "NotConstraintComponent": SH["not"],
}
# The rule SHACL cannot state: a national submission is one graph (its code and messages are on
# this node of shapes/chm.ttl, with the shapes').
ONE_GRAPH = rdflib.URIRef(CHMSH + "OneGraph")
# A file with no statement conforms to any shape; it is reported rather than accepted.
NOT_EMPTY = rdflib.URIRef(CHMSH + "NotEmpty")
# The rule no shape states for all data: a literal's text is a value of its datatype.
WELL_TYPED = rdflib.URIRef(CHMSH + "WellTypedLiterals")
_XSD = iris.PREFIXES["xsd"]


def ordered(results: list[ValidationResult]) -> list[ValidationResult]:
    """``results`` as a report lists them: by file, line, thing and severity, without what
    follows from a redefinition."""
    return sorted(_without_consequences(results), key=_order)


def _without_consequences(results: list[ValidationResult]) -> list[ValidationResult]:
    """A thing a national graph may not describe (CHM-V090) is reported for that alone: what
    other shapes say of the partial copy would only send the steward after the wrong fix."""
    redefined = {r.focus for r in results if r.code == REDEFINITION_RULE}
    return [r for r in results if r.focus not in redefined or r.code == REDEFINITION_RULE]


def _order(result: ValidationResult) -> tuple:
    rank = _SEVERITY_ORDER.get(result.severity, len(_SEVERITY_ORDER))
    return (
        result.source or "~",
        result.line or 0,
        result.focus,
        rank,
        result.code or "",
        result.path or "",
        # Then by what tells two results of one rule apart, so that a report is the same
        # from run to run (the engines give their results in no particular order).
        result.component or "",
        result.value or "",
        result.message,
    )


@dataclass(frozen=True)
class BuiltResult:
    """A result and the focus node it is about, as pySHACL gave it."""

    result: ValidationResult
    node_focus: rdflib.term.Node


class ResultBuilder:
    """Turns pySHACL's report graph, and the sources' structure, into ``ValidationResult``s."""

    def __init__(
        self,
        data: Data,
        shapes: rdflib.Graph,
        engine: EngineReport,
        templates: Templates,
        read: list[ReadSource],
        lang: str,
        vocabulary: Vocabulary | None,
        *,
        network: bool = True,
    ) -> None:
        self.data, self.shapes, self.engine = data, shapes, engine
        self.templates, self.read, self.lang = templates, read, lang
        self.vocabulary = vocabulary
        # Whether the network's graphs were looked in (the CHM shapes), as messages may say.
        self.network = network
        self._subject_sets: list[tuple[ReadSource, set]] | None = None
        # Many results share a focus node and a shape: each is looked up once.
        self._labels: dict = {}
        self._codes: dict = {}
        self._expectations: dict = {}
        self._paths: dict = {}
        self._authorship: dict = {}

    def results(self) -> list[BuiltResult]:
        """One per result of the engines."""
        return [self._build(result) for result in self.engine.results]

    def named_graph_results(self) -> list[ValidationResult]:
        """One per named graph of a source: a national submission is one graph, a rule about
        the files rather than the graph they make, which no shape can see."""
        results = []
        for read in self.read:
            names = {q.graph_name for q in read.quads}
            names.discard(ox.DefaultGraph())
            for name in sorted(names, key=str):
                results.append(self._named_graph_result(read, to_rdflib_term(name)))
        return results

    def empty_source_results(self) -> list[ValidationResult]:
        """One per source holding no statement (an empty file, or one of only prefixes and
        comments): validating it would say "Conforms." of nothing."""
        results = []
        for read in self.read:
            if read.quads:
                continue
            detail = {"value": read.source.name, "focus": read.source.name}
            results.append(
                self._rule_result(NOT_EMPTY, detail, focus=_SUBMISSION, source=read.source.name)
            )
        return results

    def ill_typed_results(
        self, triples: Iterable[ox.Triple], reported: list[ValidationResult]
    ) -> list[ValidationResult]:
        """One per submitted literal of an XSD datatype whose text is no value of it
        (``chmgraph.validation.lexical``), unless a ``sh:datatype`` result already names it."""
        already = {
            (r.focus, r.path, r.value)
            for r in reported
            if r.component == "sh:DatatypeConstraintComponent"
        }
        results = []
        typed = (
            t
            for t in triples
            if isinstance(t.object, ox.Literal) and t.object.datatype.value.startswith(_XSD)
        )
        for t in sorted(typed, key=str):
            literal = t.object
            value = to_rdflib_term(literal)
            if not ill_typed(value):
                continue
            focus = to_rdflib_term(t.subject)
            detail = {
                "path": curie(t.predicate.value),
                "value": _show(value),
                "expected": _show(value.datatype),
                "focus": self._label(focus) or _show(focus),
            }
            if (_name(focus), detail["path"], detail["value"]) in already:
                continue
            source, line = self._place(focus)
            results.append(
                self._rule_result(
                    WELL_TYPED,
                    detail,
                    focus=focus,
                    source=source,
                    line=line,
                    label=self._label(focus),
                    path=detail["path"],
                )
            )
        return results

    def _named_graph_result(self, read: ReadSource, name: rdflib.term.Node) -> ValidationResult:
        detail = {"value": _show(name), "focus": _show(name)}
        return self._rule_result(ONE_GRAPH, detail, focus=name, source=read.source.name)

    def _rule_result(
        self,
        rule: rdflib.URIRef,
        detail: dict[str, object],
        *,
        focus: rdflib.term.Node,
        source: str | None,
        line: int | None = None,
        label: str | None = None,
        path: str | None = None,
    ) -> ValidationResult:
        """A result of one of chmgraph's own rules, which no engine reports: its message in
        every language from ``detail``, its severity and code those ``shapes/chm.ttl`` gives
        ``rule``."""
        messages = {
            lang: self.templates.render(str(rule), lang, detail) or "" for lang in LANGUAGES
        }
        return ValidationResult(
            severity=_engine_rule_severity(rule),
            code=_engine_rule_code(rule),
            focus=_name(focus),
            label=label,
            path=path,
            value=detail["value"],
            message=messages[self.lang],
            source=source,
            line=line,
            shape=str(rule),
            messages=messages,
        )

    def _build(self, found: EngineResult) -> BuiltResult:
        focus = found.value(SH.focusNode)
        shape = found.value(SH.sourceShape)
        component = found.value(SH.sourceConstraintComponent)
        path_node = found.value(SH.resultPath)
        value = found.value(SH.value)
        detail = self._detail(found, focus, shape, component, path_node, value)
        authored = self._authored(found, shape)
        messages = {
            lang: self._message(found, shape, component, lang, detail, authored)
            for lang in LANGUAGES
        }
        source, line = self._place(focus)
        result = ValidationResult(
            severity=severity_name(found.value(SH.resultSeverity)),
            code=self._code(shape),
            focus=_name(focus),
            label=self._label(focus),
            path=detail["path"],
            value=detail["value"],
            message=messages[self.lang],
            source=source,
            line=line,
            shape=_name(shape) if shape is not None else None,
            component=curie(str(component)) if component is not None else None,
            messages=messages,
            node=found.node,
        )
        return BuiltResult(result, focus)

    def _detail(self, found, focus, shape, component, path_node, value) -> dict[str, object]:
        detail: dict[str, object] = {
            "path": self._path(found.paths, path_node) if path_node is not None else None,
            "value": _show(value) if value is not None else None,
            "focus": self._label(focus) or _show(focus),
        }
        local = str(component).rsplit("#", 1)[-1] if component is not None else ""
        if local == "UniqueLangConstraintComponent":
            detail["value"] = self._repeated_languages(found.paths, focus, path_node)
        parameter = _PARAMETER.get(local)
        if parameter is not None and shape is not None:
            detail["expected"] = self._expected(shape, parameter)
        if local in {"MinCountConstraintComponent", "MaxCountConstraintComponent"}:
            detail["count"] = self._count(found.paths, focus, path_node)
        if local in _PAIR_COMPONENTS and shape is not None:
            other = self.shapes.value(shape, _PARAMETER[local])
            values = sorted(_show(v) for v in self.data.objects(focus, other))
            detail["other"] = ", ".join(values) or None
        detail.update(self._bindings(found))
        # The nearest declared term: only the CHM shapes come with a vocabulary to look in.
        if value is not None and str(shape) == CHMSH + "DeclaredTerms" and self.vocabulary:
            detail["suggestion"] = self.vocabulary.nearest(str(value))
        return detail

    def _path(self, paths: rdflib.Graph, path_node) -> str:
        key = (id(paths), path_node)
        if key not in self._paths:
            self._paths[key] = _path(paths, path_node)
        return self._paths[key]

    def _expected(self, shape, parameter) -> str | None:
        key = (shape, parameter)
        if key not in self._expectations:
            self._expectations[key] = self._find_expected(shape, parameter)
        return self._expectations[key]

    def _find_expected(self, shape, parameter) -> str | None:
        found = self.shapes.value(shape, parameter)
        if found is None:
            return None
        if parameter in (SH["or"], SH.xone, SH["and"]):
            return " | ".join(
                self._describe_member(m) for m in rdflib.collection.Collection(self.shapes, found)
            )
        if parameter in (SH.languageIn, SH["in"]):
            return ", ".join(_show(m) for m in rdflib.collection.Collection(self.shapes, found))
        if parameter in (SH.node, SH["not"]) and isinstance(found, rdflib.BNode):
            return self._describe_member(found)  # a shape with no name: what it says
        return _show(found)

    def _describe_member(self, member) -> str:
        parts = []
        for predicate, obj in sorted(self.shapes.predicate_objects(member)):
            parts.append(f"{curie(str(predicate)).removeprefix('sh:')} {_show(obj)}")
        return ", ".join(parts) or _show(member)

    def _count(self, paths: rdflib.Graph, focus, path_node) -> int | None:
        values = _values(paths, self.data, focus, path_node)
        return None if values is None else len(values)

    def _repeated_languages(self, paths: rdflib.Graph, focus, path_node) -> str | None:
        values = _values(paths, self.data, focus, path_node) or set()
        tags = [v.language for v in values if isinstance(v, rdflib.Literal) and v.language]
        repeated = sorted({t for t in tags if tags.count(t) > 1})
        return ", ".join(repeated) or None

    def _bindings(self, found: EngineResult) -> dict[str, str]:
        """Values of a SPARQL rule's variables, read back from its filled-in ``sh:message``."""
        constraint = found.value(SH.sourceConstraint)
        template = self.shapes.value(constraint, SH.message) if constraint is not None else None
        message = found.value(SH.resultMessage)
        if template is None or message is None:
            return {}
        names: list[str] = []

        def group(match: re.Match) -> str:
            names.append(match.group(1))
            return f"(?P<v{len(names) - 1}>.*?)"

        pattern = _SPARQL_PLACEHOLDER.sub(
            group,
            re.escape(str(template))
            .replace(r"\{", "{")
            .replace(r"\}", "}")
            .replace(r"\?", "?")
            .replace(r"\$", "$"),
        )
        match = re.fullmatch(pattern, str(message), flags=re.DOTALL)
        if match is None:
            return {}
        return {name: _show_text(match.group(f"v{i}")) for i, name in enumerate(names)}

    def _message(
        self, found, shape, component, lang: str, detail: dict[str, object], authored: bool
    ) -> str:
        if "suggestion" in detail:
            detail = {**detail, "suggestion": self._suggestion(detail["suggestion"], lang)}
        if shape is not None and self.templates.has(str(shape)):
            text = self.templates.render(str(shape), lang, detail)
        elif authored:
            text = _authors_message(found.about.get(SH.resultMessage, ()), lang, detail)
        elif component is not None and self.templates.has(str(component)):
            wording = NETWORK_MESSAGE if self.network else MESSAGE
            if not self.templates.has(str(component), wording):
                wording = MESSAGE
            text = self.templates.render(str(component), lang, detail, predicate=wording)
        else:
            text = None
        engine_message = found.value(SH.resultMessage)
        return text or (str(engine_message) if engine_message is not None else "")

    def _authored(self, found: EngineResult, shape) -> bool:
        """Whether the shape's author wrote the message (``sh:message`` on the shape or on its
        SPARQL constraint): then it is the one shown, as pySHACL filled it in."""
        key = (shape, found.value(SH.sourceConstraint))
        if key not in self._authorship:
            self._authorship[key] = any(
                self.shapes.value(holder, SH.message) is not None
                for holder in key
                if holder is not None
            )
        return self._authorship[key]

    def _suggestion(self, nearest: object, lang: str) -> str:
        if not nearest:
            return ""
        rendered = self.templates.render(
            CHMSH + "DeclaredTerms", lang, {"term": curie(str(nearest))}, predicate=SUGGESTION
        )
        return rendered or ""

    def _code(self, shape) -> str | None:
        if shape is None:
            return None
        if shape not in self._codes:
            self._codes[shape] = self._find_code(shape)
        return self._codes[shape]

    def _find_code(self, shape) -> str | None:
        code = self.shapes.value(shape, _DCT_IDENTIFIER)
        if code is None:
            parent = self.shapes.value(None, SH.property, shape)
            code = self.shapes.value(parent, _DCT_IDENTIFIER) if parent is not None else None
        return str(code) if code is not None else None

    def _label(self, term) -> str | None:
        if not isinstance(term, (rdflib.URIRef, rdflib.BNode)):
            return None
        if term not in self._labels:
            self._labels[term] = self._find_label(term)
        return self._labels[term]

    def _find_label(self, term) -> str | None:
        best: dict[str, str] = {}
        for predicate in LABEL_PREDICATES:
            for label in self.data.objects(term, rdflib.URIRef(predicate.value)):
                if isinstance(label, rdflib.Literal):
                    best.setdefault(label.language or "", str(label))
        for lang in (self.lang, "en", ""):
            if lang in best:
                return best[lang]
        return next(iter(best.values()), None)

    def _place(self, focus) -> tuple[str | None, int | None]:
        """The file and line describing ``focus``; a blank node without a label of its own is
        placed at its nearest named ancestor, the submission as a whole at its only file."""
        if focus == _SUBMISSION and len(self.read) == 1:
            return self.read[0].source.name, None
        seen = set()
        frontier = [focus]
        while frontier:
            term = frontier.pop(0)
            if term in seen:
                continue
            seen.add(term)
            key = f"_:{term}" if isinstance(term, rdflib.BNode) else str(term)
            for r in self.read:
                line = r.sourcemap.line(key)
                if line is not None:
                    return r.source.name, line
            if isinstance(term, rdflib.BNode):
                frontier.extend(self.data.referrers(term))
        term = from_rdflib(focus)
        described_in = [r.source.name for r, subjects in self._subjects() if term in subjects]
        return (described_in[0] if described_in else None), None

    def _subjects(self) -> list[tuple[ReadSource, set]]:
        """Each source's subjects, gathered once: scanning every statement for each result
        made reports grow with results times triples."""
        if self._subject_sets is None:
            self._subject_sets = [(r, {q.subject for q in r.quads}) for r in self.read]
        return self._subject_sets


def _engine_rule_code(rule: rdflib.URIRef) -> str | None:
    """The code ``shapes/chm.ttl`` gives a rule the engine checks itself, whatever the shapes
    in use."""
    code = shapes_graph(CHM_SHAPES).value(rule, _DCT_IDENTIFIER)
    return str(code) if code is not None else None


def _engine_rule_severity(rule: rdflib.URIRef) -> str:
    return severity_name(shapes_graph(CHM_SHAPES).value(rule, SH.severity))


def _authors_message(messages: Iterable, lang: str, detail: dict[str, object]) -> str | None:
    """The author's message in ``lang``, else in English, else untagged, else the first by
    language tag; with the value found when the message does not show it."""
    by_lang: dict[str, str] = {}
    for message in sorted(messages, key=lambda m: (getattr(m, "language", None) or "", str(m))):
        by_lang.setdefault(getattr(message, "language", None) or "", str(message))
    if not by_lang:
        return None
    for wanted in (lang, "en", ""):
        if wanted in by_lang:
            text = by_lang[wanted]
            break
    else:
        text = next(iter(by_lang.values()))
    value = detail.get("value")
    if value and str(value) not in text and str(value).strip('"') not in text:
        text = f"{text} ({value})"
    return text


def _name(term) -> str:
    return f"_:{term}" if isinstance(term, rdflib.BNode) else str(term)


def _show(term) -> str:
    """A term as a steward would write it in Turtle, with the network's prefixes."""
    if isinstance(term, rdflib.URIRef):
        shown = curie(str(term))
        return shown if shown != str(term) else f"<{term}>"
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    if isinstance(term, rdflib.Literal):
        text = f'"{term}"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype and str(term.datatype) in _BARE_DATATYPES:
            return str(term)
        if term.datatype and str(term.datatype) != iris.PREFIXES["xsd"] + "string":
            return f"{text}^^{_show(term.datatype)}"
        return text
    return str(term)


def _show_text(text: str) -> str:
    """A value pySHACL wrote into a message, shown with the network's prefixes when an IRI."""
    if re.match(r"^[a-z][a-z0-9+.-]*://\S+$", text):
        return _show(rdflib.URIRef(text))
    return text


def _values(shapes: rdflib.Graph, data: Data, focus, path) -> set | None:
    """The values of ``path`` at ``focus``: predicates, inverses, sequences and alternatives;
    None for a path this does not follow (the count is then shown as unknown)."""
    if isinstance(path, rdflib.URIRef):
        return set(data.objects(focus, path))
    inverse = shapes.value(path, SH.inversePath)
    if isinstance(inverse, rdflib.URIRef):
        return set(data.subjects(inverse, focus))
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        found: set = set()
        for member in rdflib.collection.Collection(shapes, alternatives):
            values = _values(shapes, data, focus, member)
            if values is None:
                return None
            found |= values
        return found
    if shapes.value(path, RDF.first) is not None:
        current = {focus}
        for step in rdflib.collection.Collection(shapes, path):
            following: set = set()
            for node in current:
                values = _values(shapes, data, node, step)
                if values is None:
                    return None
                following |= values
            current = following
        return current
    return None


def _path(graph: rdflib.Graph, node) -> str:
    """A SHACL property path in SPARQL syntax, with the network's prefixes."""
    if isinstance(node, rdflib.URIRef):
        return curie(str(node))
    for predicate, wrap in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(node, predicate)
        if inner is not None:
            return wrap.format(_path(graph, inner))
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        members = rdflib.collection.Collection(graph, alternatives)
        return "(" + "|".join(_path(graph, m) for m in members) + ")"
    if graph.value(node, RDF.first) is not None:
        return "/".join(_path(graph, m) for m in rdflib.collection.Collection(graph, node))
    return _show(node)

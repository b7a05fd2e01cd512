"""Validation: the syntax gate, the context, targeted entailment, pySHACL, and the results.

``validate`` reads every source strictly (a malformed file raises ``SyntaxGateError``), builds
the graph the shapes see (the submission; the types and labels of the things it points at; the
engine's facts in the ``chmsh:`` namespace; the RDFS subclass and subproperty consequences), runs
pySHACL on it without pySHACL's own inference, and turns each result into a
``ValidationResult`` with its rule code, message, label, file and line.

With ``shapes`` given, no context and no engine facts are added: the tool behaves as plain pySHACL
on the same data and shapes (with ``inference=False``, exactly), with chmgraph's lines and
messages on top.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib
from pyshacl.errors import ReportableRuntimeError, ValidationFailure
from pyshacl.monkey import rdflib_bool_patch, rdflib_bool_unpatch
from pyshacl.rdfutil import load_from_source
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import prepareQuery

from chmgraph import iris
from chmgraph.errors import InputError
from chmgraph.rdfio import detect_format, parse_bytes, read_file, read_quads
from chmgraph.settings import SHAPES_DIR
from chmgraph.validation.inference import LABEL_PREDICATES, Context, Hierarchy, entailed
from chmgraph.validation.messages import CHMSH, LANGUAGES, MESSAGE_FILE, SUGGESTION, Templates
from chmgraph.validation.report import ValidationReport, ValidationResult
from chmgraph.validation.sourcemap import SourceMap
from chmgraph.vocabulary import STRUCTURAL_PREDICATES, Vocabulary, curie

CHM_SHAPES = (SHAPES_DIR / "chm.ttl",)
REDEFINITION_RULE = "CHM-V090"
MESSAGE_FILES = (MESSAGE_FILE,)
_SEVERITY = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
_DCT_IDENTIFIER = rdflib.URIRef(iris.PREFIXES["dcterms"] + "identifier")
# A BCP 47 tag that names a language: an ISO 639 primary subtag (2-3 letters), then optional
# script, region and variant subtags. Well-formedness itself is the syntax gate's job; this keeps
# out private-use (x-...) and grandfathered (i-...) tags and stray extensions.
_LANGUAGE_TAG = re.compile(
    r"^[a-z]{2,3}(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*$",
    re.IGNORECASE,
)
_RDF_MEMBER = re.compile(r"^http://www\.w3\.org/1999/02/22-rdf-syntax-ns#_[1-9][0-9]*$")
# Datatypes whose literals Turtle writes bare (1, 2.5, true), and so do messages.
# Constraint components comparing a path's values with another property's values at the focus.
_PAIR_COMPONENTS = {
    "EqualsConstraintComponent",
    "DisjointConstraintComponent",
    "LessThanConstraintComponent",
    "LessThanOrEqualsConstraintComponent",
}
_XSD_STRING = iris.PREFIXES["xsd"] + "string"
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
}


@dataclass(frozen=True)
class Source:
    """RDF given as bytes rather than a path (a harvested document, an upload)."""

    name: str
    data: bytes
    format: ox.RdfFormat | None = None
    base_iri: str | None = None


@dataclass
class _Read:
    source: Source
    quads: list[ox.Quad]
    sourcemap: SourceMap


class ShapesError(InputError):
    """Shapes that cannot be used (pySHACL reports a failure, e.g. a malformed shape)."""


def validate(
    sources: Sequence[str | Path | Source],
    *,
    country: str | None = None,
    shapes: Sequence[str | Path] | None = None,
    inference: bool = True,
    lang: str = "en",
) -> ValidationReport:
    """Validate ``sources`` (paths or ``Source``) and report what is wrong, where and why.

    ``country`` (an ISO alpha-2 code) applies the national rules; ``shapes`` replaces the CHM
    shapes of ``shapes/``; ``inference`` adds the RDFS subclass/subproperty consequences;
    ``lang`` is the language of the messages (ar en es fr ru zh).
    Raises ``SyntaxGateError`` for malformed input and ``InputError`` for unreadable input.

    >>> example = SHAPES_DIR.parent / "data" / "examples" / "national-chm-example.ttl"
    >>> report = validate([example], country="CM")
    >>> report.conforms, report.counts["Violation"]
    (True, 0)
    """
    if lang not in LANGUAGES:
        raise InputError(f"unknown message language {lang!r} (known: {', '.join(LANGUAGES)})")
    chm_mode = shapes is None
    read = _read_all(sources, file_base=not chm_mode)
    data_quads = [q for r in read for q in r.quads]
    submitted = {q.triple for q in data_quads}
    shape_paths = tuple(Path(p) for p in (CHM_SHAPES if chm_mode else shapes))
    shapes_in_use = shapes_graph(shape_paths)
    data_graph = to_rdflib(_seen_by_shapes(submitted, chm_mode, country, inference))
    for r in read:
        for prefix, namespace in r.sourcemap.prefixes.items():
            data_graph.bind(prefix, namespace, override=False)
    engine_graph = run_pyshacl(data_graph, shapes_in_use)
    described = {t.subject for t in submitted}
    templates = Templates.of(MESSAGE_FILES + shape_paths)
    builder = _ResultBuilder(data_graph, shapes_in_use, engine_graph, templates, read, lang)
    built = [
        r for r in builder.results() if not chm_mode or _from_rdflib(r.node_focus) in described
    ]
    return ValidationReport(
        results=sorted(_without_consequences([b.result for b in built]), key=_order),
        data_quads=data_quads,
        lang=lang,
        engine_graph=engine_graph,
        summary_text=lambda lang_, counts, ok: _summary(templates, lang_, counts, ok),
    )


def _seen_by_shapes(
    submitted: set[ox.Triple], chm_mode: bool, country: str | None, inference: bool
) -> set[ox.Triple]:
    """The submission, plus (with the CHM shapes) what the context says of the things it points
    at and the engine's facts, plus the subclass/subproperty consequences of it all."""
    triples = set(submitted)
    if chm_mode:
        context = Context.load()
        triples |= _lent(submitted, context)
        triples |= _engine_facts(submitted, context, country)
        hierarchy = Hierarchy.of_vocabulary() if inference else None
    else:
        hierarchy = Hierarchy.of_triples(submitted) if inference else None
    if hierarchy is not None:
        triples |= entailed(triples, hierarchy)
    return triples


def run_pyshacl(data_graph: rdflib.Graph, shapes_graph: rdflib.Graph) -> rdflib.Graph:
    """pySHACL's report graph for ``data_graph`` (validated in place, no inference)."""
    try:
        _, report, _ = pyshacl.validate(
            data_graph, shacl_graph=shapes_graph, inference="none", inplace=True
        )
    except ReportableRuntimeError as exc:
        raise ShapesError(f"the shapes cannot be used: {exc.message}") from None
    except NotImplementedError as exc:
        raise ShapesError(f"the shapes use a feature the engine lacks: {exc}") from None
    if isinstance(report, ValidationFailure):
        raise ShapesError(f"the shapes cannot be used: {report.message}")
    return report


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
    )


def _summary(templates: Templates, lang: str, counts: dict[str, int], conforms: bool) -> str:
    verdict = templates.render(CHMSH + ("Conforms" if conforms else "DoesNotConform"), lang, {})
    detail = {
        "violations": counts["Violation"],
        "warnings": counts["Warning"],
        "infos": counts["Info"],
        "verdict": verdict,
    }
    return templates.render(CHMSH + "Summary", lang, detail) or str(detail)


# Reading -------------------------------------------------------------------------------------


def _read_all(sources: Sequence[str | Path | Source], *, file_base: bool) -> list[_Read]:
    """Read and parse every source; with ``file_base``, a file's relative IRIs resolve against
    its own location, as plain pySHACL resolves them."""
    if not sources:
        raise InputError("nothing to validate: give at least one file")
    read = [_read(_as_source(s, file_base=file_base)) for s in sources]
    if len(read) > 1:
        for index, r in enumerate(read):
            _separate_blank_nodes(r, f"s{index}")
    return read


def _as_source(source: str | Path | Source, *, file_base: bool) -> Source:
    if isinstance(source, Source):
        return source
    return read_source(source, base_iri=Path(source).absolute().as_uri() if file_base else None)


def read_source(
    path: str | Path, format: str | ox.RdfFormat | None = None, *, base_iri: str | None = None
) -> Source:
    """The file at ``path`` as a ``Source``, its format given by name or by its extension.

    ``base_iri`` resolves relative IRIs; without one, a relative IRI is a syntax error (the
    network's data uses absolute IRIs only).
    """
    data, rdf_format = read_file(path, format)
    return Source(name=str(path), data=data, format=rdf_format, base_iri=base_iri)


def _read(source: Source) -> _Read:
    rdf_format = source.format or detect_format(source.name)
    quads = parse_bytes(source.data, name=source.name, format=rdf_format, base_iri=source.base_iri)
    sourcemap = SourceMap.build(source.data, format=rdf_format, base_iri=source.base_iri)
    if rdf_format in (ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML):
        sourcemap.resolve_fuzzy(sorted({_key(q.subject) for q in quads}))
    return _Read(source, quads, sourcemap)


def _separate_blank_nodes(read: _Read, prefix: str) -> None:
    """Keep blank nodes of different files apart (RDF merge), and their source lines with them."""

    def rename(term):
        return ox.BlankNode(prefix + term.value) if isinstance(term, ox.BlankNode) else term

    read.quads = [
        ox.Quad(rename(q.subject), q.predicate, rename(q.object), q.graph_name) for q in read.quads
    ]
    read.sourcemap.lines = {
        ("_:" + prefix + k[2:] if k.startswith("_:") else k): v
        for k, v in read.sourcemap.lines.items()
    }


def _key(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    return "_:" + term.value if isinstance(term, ox.BlankNode) else str(getattr(term, "value", ""))


# Shapes ------------------------------------------------------------------------------------


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
    """Shapes pass the syntax gate, then are loaded the way pySHACL loads them itself (its
    boolean patch keeps ``"1"^^xsd:boolean`` as written, which rdflib would rewrite)."""
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


# The graph the shapes see --------------------------------------------------------------------


def _lent(submitted: set[ox.Triple], context: Context) -> set[ox.Triple]:
    """Types and labels of the things the submission points at, as the network knows them."""
    pointed = {t.object for t in submitted if isinstance(t.object, ox.NamedNode)}
    return set(context.about(pointed))


def _engine_facts(
    submitted: set[ox.Triple], context: Context, country: str | None
) -> set[ox.Triple]:
    """The ``chmsh:`` facts the shapes of ``shapes/chm.ttl`` read (see its header)."""
    vocab = Vocabulary.load()
    facts: set[ox.Triple] = set()
    unknown_language = ox.NamedNode(CHMSH + "unknownLanguage")
    undeclared_property = ox.NamedNode(CHMSH + "undeclaredProperty")
    undeclared_class = ox.NamedNode(CHMSH + "undeclaredClass")
    for t in submitted:
        predicate = t.predicate.value
        language = t.object.language if isinstance(t.object, ox.Literal) else None
        if language and not _LANGUAGE_TAG.match(language):
            facts.add(ox.Triple(t.subject, unknown_language, t.object))
        if not (
            vocab.is_declared(predicate)
            or predicate in STRUCTURAL_PREDICATES
            or _RDF_MEMBER.match(predicate)
        ):
            facts.add(ox.Triple(t.subject, undeclared_property, t.predicate))
        if (
            predicate == iris.PREFIXES["rdf"] + "type"
            and isinstance(t.object, ox.NamedNode)
            and t.object.value not in vocab.classes
        ):
            facts.add(ox.Triple(t.subject, undeclared_class, t.object))
    if country is not None:
        facts |= _national_facts(submitted, context, country)
    return facts


def _national_facts(submitted: set[ox.Triple], context: Context, country: str) -> set[ox.Triple]:
    try:
        country_iri = ox.NamedNode(iris.country(country))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if country_iri not in context.reference_terms:
        raise InputError(f"unknown country {country!r}: not a country of the reference graph")
    submission = ox.NamedNode(CHMSH + "submission")
    facts = {ox.Triple(submission, ox.NamedNode(CHMSH + "country"), country_iri)}
    defined_in = ox.NamedNode(CHMSH + "definedIn")
    for subject in {t.subject for t in submitted if isinstance(t.subject, ox.NamedNode)}:
        if subject in context.ontology_terms or subject.value.startswith(iris.VOCAB_BASE):
            facts.add(ox.Triple(subject, defined_in, ox.NamedNode(iris.ONTOLOGY_GRAPH)))
        elif subject in context.reference_terms:
            facts.add(ox.Triple(subject, defined_in, ox.NamedNode(iris.REFERENCE_GRAPH)))
    return facts


class PreparedQueryGraph(rdflib.Graph):
    """An rdflib graph that parses each distinct SPARQL query once.

    pySHACL runs a SPARQL constraint once per focus node, and rdflib parses the query text
    every time (about 60 ms each): parsing, not evaluation, dominated validation. The prepared
    query is the same algebra rdflib would build, so results are unchanged.
    """

    def query(  # type: ignore[override]
        self,
        query_object,
        processor="sparql",
        result="sparql",
        initNs=None,
        initBindings=None,
        use_store_provided=True,
        **kwargs,
    ):
        if isinstance(query_object, str):
            namespaces = initNs or dict(self.namespaces())
            query_object = _prepared(query_object, tuple(sorted(namespaces.items())))
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )


@lru_cache(maxsize=256)
def _prepared(text: str, namespaces: tuple[tuple[str, str], ...]):
    return prepareQuery(text, initNs=dict(namespaces))


def to_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """An rdflib graph of ``triples``; literals keep their lexical form as written."""
    graph = PreparedQueryGraph()
    add = graph.add
    for t in triples:
        add((_to_rdflib(t.subject), _to_rdflib(t.predicate), _to_rdflib(t.object)))
    return graph


def _to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return rdflib.Literal(term.value)
        # rdflib's own parser builds literals this way, so results agree with plain pySHACL.
        return rdflib.Literal(term.value, datatype=term.datatype.value)
    raise InputError(f"RDF-star triple terms cannot be validated: {term}")


def _from_rdflib(term) -> ox.NamedNode | ox.BlankNode | ox.Literal | None:
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    return None


# Results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Built:
    result: ValidationResult
    node_focus: rdflib.term.Node


class _ResultBuilder:
    """Turns pySHACL's report graph into ``ValidationResult`` objects."""

    def __init__(
        self,
        data: rdflib.Graph,
        shapes: rdflib.Graph,
        report: rdflib.Graph,
        templates: Templates,
        read: list[_Read],
        lang: str,
    ) -> None:
        self.data, self.shapes, self.report = data, shapes, report
        self.templates, self.read, self.lang = templates, read, lang
        self._parents: dict | None = None

    def results(self) -> list[_Built]:
        return [self._build(node) for node in self.report.objects(None, SH.result)]

    def _build(self, node: rdflib.term.Node) -> _Built:
        rg = self.report
        focus = rg.value(node, SH.focusNode)
        shape = rg.value(node, SH.sourceShape)
        component = rg.value(node, SH.sourceConstraintComponent)
        path_node = rg.value(node, SH.resultPath)
        value = rg.value(node, SH.value)
        detail = self._detail(node, focus, shape, component, path_node, value)
        messages = {lang: self._message(node, shape, component, lang, detail) for lang in LANGUAGES}
        source, line = self._place(focus)
        result = ValidationResult(
            severity=_SEVERITY.get(rg.value(node, SH.resultSeverity), "Violation"),
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
            node=node,
        )
        return _Built(result, focus)

    def _detail(self, node, focus, shape, component, path_node, value) -> dict[str, object]:
        detail: dict[str, object] = {
            "path": _path(self.report, path_node) if path_node is not None else None,
            "value": _show(value) if value is not None else None,
            "focus": self._label(focus) or _show(focus),
        }
        local = str(component).rsplit("#", 1)[-1] if component is not None else ""
        if local == "UniqueLangConstraintComponent":
            detail["value"] = self._repeated_languages(focus, path_node)
        parameter = _PARAMETER.get(local)
        if parameter is not None and shape is not None:
            detail["expected"] = self._expected(shape, parameter)
        if local in {"MinCountConstraintComponent", "MaxCountConstraintComponent"}:
            detail["count"] = self._count(focus, path_node)
        if local in _PAIR_COMPONENTS and shape is not None:
            other = self.shapes.value(shape, _PARAMETER[local])
            values = sorted(_show(v) for v in self.data.objects(focus, other))
            detail["other"] = ", ".join(values) or None
        detail.update(self._bindings(node))
        if value is not None and str(shape) == CHMSH + "DeclaredTerms":
            detail["suggestion"] = Vocabulary.load().nearest(str(value))
        return detail

    def _expected(self, shape, parameter) -> str | None:
        found = self.shapes.value(shape, parameter)
        if found is None:
            return None
        if parameter in (SH["or"], SH.xone):
            return " | ".join(
                self._describe_member(m) for m in rdflib.collection.Collection(self.shapes, found)
            )
        if parameter in (SH.languageIn, SH["in"]):
            return ", ".join(_show(m) for m in rdflib.collection.Collection(self.shapes, found))
        return _show(found)

    def _describe_member(self, member) -> str:
        parts = []
        for predicate, obj in sorted(self.shapes.predicate_objects(member)):
            parts.append(f"{curie(str(predicate)).removeprefix('sh:')} {_show(obj)}")
        return ", ".join(parts) or _show(member)

    def _count(self, focus, path_node) -> int | None:
        values = _values(self.report, self.data, focus, path_node)
        return None if values is None else len(values)

    def _repeated_languages(self, focus, path_node) -> str | None:
        values = _values(self.report, self.data, focus, path_node) or set()
        tags = [v.language for v in values if isinstance(v, rdflib.Literal) and v.language]
        repeated = sorted({t for t in tags if tags.count(t) > 1})
        return ", ".join(repeated) or None

    def _bindings(self, node) -> dict[str, str]:
        """Values of a SPARQL rule's variables, read back from its filled-in ``sh:message``."""
        constraint = self.report.value(node, SH.sourceConstraint)
        template = self.shapes.value(constraint, SH.message) if constraint is not None else None
        message = self.report.value(node, SH.resultMessage)
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

    def _message(self, node, shape, component, lang: str, detail: dict[str, object]) -> str:
        if "suggestion" in detail:
            detail = {**detail, "suggestion": self._suggestion(detail["suggestion"], lang)}
        if shape is not None and self.templates.has(str(shape)):
            text = self.templates.render(str(shape), lang, detail)
        elif component is not None and self.templates.has(str(component)):
            text = self.templates.render(str(component), lang, detail)
        else:
            text = None
        engine_message = self.report.value(node, SH.resultMessage)
        return text or (str(engine_message) if engine_message is not None else "")

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
        code = self.shapes.value(shape, _DCT_IDENTIFIER)
        if code is None:
            parent = self.shapes.value(None, SH.property, shape)
            code = self.shapes.value(parent, _DCT_IDENTIFIER) if parent is not None else None
        return str(code) if code is not None else None

    def _label(self, term) -> str | None:
        if not isinstance(term, (rdflib.URIRef, rdflib.BNode)):
            return None
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
        placed at its nearest named ancestor."""
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
                frontier.extend(self.data.subjects(None, term))
        described_in = [r.source.name for r in self.read if _describes(r, focus)]
        return (described_in[0] if described_in else None), None


def _describes(read: _Read, focus) -> bool:
    term = _from_rdflib(focus)
    return term is not None and any(q.subject == term for q in read.quads)


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


def _values(shapes: rdflib.Graph, data: rdflib.Graph, focus, path) -> set | None:
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

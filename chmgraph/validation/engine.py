"""The SHACL engine: pySHACL on the graph the shapes see, failing closed.

pySHACL's report is the only ground for accepting a submission, so every way it can fail to
give a trustworthy one raises: unusable shapes (``ShapesError``), and any other failure or a
report that contradicts itself (``EngineError``). No error becomes a conforming report.

The shapes whose every part ``chmgraph.validation.core`` understands are evaluated there, and
pySHACL validates only the others (``use_shapes``); the two reports become one. This holds for
the CHM shapes as for shapes from elsewhere (``--shapes``): half the CHM shapes are plain core
constraints, and pySHACL's machinery, not the constraints, was most of a submission's time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import pyshacl
import rdflib
from pyshacl.errors import ReportableRuntimeError, ValidationFailure
from pyshacl.shapes_graph import ShapesGraph
from rdflib.namespace import RDF, SH

from chmgraph.validation.core import Data, core_shapes, report_graph, result_statements
from chmgraph.validation.errors import EngineError, ShapesError


@dataclass(frozen=True)
class EngineResult:
    """One result as the report states it: its node in the report, its statements (predicate
    -> objects), and the graph describing its path (a complex path is a blank node)."""

    node: rdflib.term.Node
    about: dict
    paths: rdflib.Graph

    def value(self, predicate) -> rdflib.term.Node | None:
        """One object of ``predicate`` (as ``Graph.value``)."""
        found = self.about.get(predicate)
        return found[0] if found else None


class EngineReport:
    """The engines' results, and the ``sh:ValidationReport`` graph stating them, written when
    first asked for: a report in text, JSON or SARIF never needs it, and writing it with
    rdflib took as long as evaluating the core shapes."""

    def __init__(self, results: list[EngineResult], write: Callable[[], rdflib.Graph]) -> None:
        self.results = results
        self._write = write

    @property
    def conforms(self) -> bool:
        """SHACL's verdict: no result at all."""
        return not self.results

    @cached_property
    def graph(self) -> rdflib.Graph:
        """pySHACL's report graph of these results."""
        report = self._write()
        _check(self.conforms, report)
        return report


def run_engine(data: Data, shapes_graph: rdflib.Graph) -> EngineReport:
    """The results for ``data``: the core evaluator's for the shapes it understands and
    pySHACL's for the rest (on ``data.graph``, built only then)."""
    _loadable(shapes_graph)
    try:
        compiled = core_shapes(shapes_graph)
    except Exception as exc:
        raise EngineError(f"validation could not run: {exc!r}") from exc
    if not compiled.fast:
        report = run_pyshacl(data.graph, shapes_graph)
        return EngineReport(_results_of(report), lambda: report)
    try:
        ours = [
            EngineResult(rdflib.BNode(), result_statements(r), shapes_graph)
            for r in compiled.validate(data)
        ]
    except Exception as exc:
        raise EngineError(f"validation could not run: {exc!r}") from exc
    rest = None
    if compiled.rest:
        rest = run_pyshacl(data.graph, shapes_graph, use_shapes=[str(n) for n in compiled.rest])

    def write() -> rdflib.Graph:
        report = report_graph(shapes_graph, data, [(r.node, r.about) for r in ours])
        if rest is not None:
            _merge(report, rest)
        return report

    return EngineReport(ours + (_results_of(rest) if rest is not None else []), write)


def _results_of(report: rdflib.Graph) -> list[EngineResult]:
    """The results of pySHACL's report graph, each read once."""
    about: dict = {}
    for s, p, o in report:
        about.setdefault(s, {}).setdefault(p, []).append(o)
    return [EngineResult(node, about[node], report) for node in report.objects(None, SH.result)]


@lru_cache(maxsize=16)
def _loadable(shapes_graph: rdflib.Graph) -> None:
    """pySHACL's own checks of the shapes (a node shape with a path, a property shape with two
    paths...), which it makes when it gathers them, so that a shape evaluated without it is
    refused as it would be."""
    try:
        ShapesGraph(shapes_graph).shapes  # noqa: B018 (the property gathers and checks them)
    except ReportableRuntimeError as exc:
        raise ShapesError(f"the shapes cannot be used: {exc.message}") from None


def _merge(report: rdflib.Graph, other: rdflib.Graph) -> None:
    """Add the results of ``other`` to ``report``'s one report."""
    (ours,) = report.subjects(RDF.type, SH.ValidationReport)
    (theirs,) = other.subjects(RDF.type, SH.ValidationReport)
    for s, p, o in other:
        if s == theirs:
            if p == SH.result:
                report.add((ours, SH.result, o))
            continue
        report.add((s, p, o))
    if any(other.objects(theirs, SH.result)):
        report.set((ours, SH.conforms, rdflib.Literal(False)))


def run_pyshacl(
    data_graph: rdflib.Graph, shapes_graph: rdflib.Graph, use_shapes: list[str] | None = None
) -> rdflib.Graph:
    """pySHACL's report graph for ``data_graph`` (validated in place, no inference), with all
    shapes or only those of ``use_shapes``."""
    try:
        conforms, report, _ = pyshacl.validate(
            data_graph,
            shacl_graph=shapes_graph,
            inference="none",
            inplace=True,
            use_shapes=use_shapes,
        )
    except ReportableRuntimeError as exc:
        raise ShapesError(f"the shapes cannot be used: {exc.message}") from None
    except NotImplementedError as exc:
        raise ShapesError(f"the shapes use a feature the engine lacks: {exc}") from None
    except Exception as exc:
        raise EngineError(f"validation could not run: pySHACL failed: {exc!r}") from exc
    if isinstance(report, ValidationFailure):
        raise ShapesError(f"the shapes cannot be used: {report.message}")
    _check(conforms, report)
    return report


def _check(conforms: object, report: object) -> None:
    """The report is one ``sh:ValidationReport`` whose verdict agrees with its results."""
    if not isinstance(report, rdflib.Graph):
        raise EngineError(f"validation could not run: pySHACL gave no report graph: {report!r}")
    reports = list(report.subjects(RDF.type, SH.ValidationReport))
    if len(reports) != 1:
        raise EngineError(f"validation could not run: {len(reports)} reports, expected one")
    stated = report.value(reports[0], SH.conforms)
    has_results = report.value(reports[0], SH.result) is not None
    if not isinstance(stated, rdflib.Literal) or stated.toPython() is not bool(conforms):
        raise EngineError("validation could not run: pySHACL's verdict and report disagree")
    if bool(conforms) is has_results:
        raise EngineError("validation could not run: pySHACL's verdict and results disagree")

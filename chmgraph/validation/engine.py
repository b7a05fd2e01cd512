"""The SHACL engine: pySHACL on the graph the shapes see, failing closed.

pySHACL's report is the only ground for accepting a submission, so every way it can fail to
give a trustworthy one raises: unusable shapes (``ShapesError``), and any other failure or a
report that contradicts itself (``EngineError``). No error becomes a conforming report.
"""

from __future__ import annotations

import pyshacl
import rdflib
from pyshacl.errors import ReportableRuntimeError, ValidationFailure
from rdflib.namespace import RDF, SH

from chmgraph.validation.errors import EngineError, ShapesError


def run_pyshacl(data_graph: rdflib.Graph, shapes_graph: rdflib.Graph) -> rdflib.Graph:
    """pySHACL's report graph for ``data_graph`` (validated in place, no inference)."""
    try:
        conforms, report, _ = pyshacl.validate(
            data_graph, shacl_graph=shapes_graph, inference="none", inplace=True
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

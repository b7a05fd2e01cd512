"""The SHACL engine: pySHACL on the graph the shapes see; unusable shapes raise ``ShapesError``."""

from __future__ import annotations

import pyshacl
import rdflib
from pyshacl.errors import ReportableRuntimeError, ValidationFailure

from chmgraph.validation.errors import ShapesError


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

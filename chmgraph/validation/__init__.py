"""Validation of RDF against the network's rules: ``validate(...)`` returns a report.

>>> from chmgraph.validation import validate, Source
>>> toolkit = b"<https://example.org/t> a <https://w3id.org/chmgraph/vocab#Toolkit> ."
>>> report = validate([Source("toolkit.ttl", toolkit)])
>>> report.conforms, [r.code for r in report.results]
(False, ['CHM-V001', 'CHM-W002', 'CHM-W003'])
"""

from chmgraph.validation.engine import ShapesError, Source, read_source, validate
from chmgraph.validation.report import ValidationReport, ValidationResult

__all__ = [
    "ShapesError",
    "Source",
    "ValidationReport",
    "ValidationResult",
    "read_source",
    "validate",
]

"""Validation of RDF against the network's rules: ``validate(...)`` returns a report.

One module per concept, in the order validation runs:

- ``sources``: reading what is validated (``Source``, ``read_source``) through the syntax gate,
  with the lines describing each subject (``sourcemap``);
- ``shapes``: loading the CHM shapes of ``shapes/``, or any SHACL files;
- ``context``: what the network knows (its ontology, reference and CBD graphs), lent to the data;
- ``facts``: the ``chmsh:`` facts the engine states for the shapes to read;
- ``inference``: the targeted RDFS subclass/subproperty entailment;
- ``bridge``: pyoxigraph terms to rdflib's, for pySHACL;
- ``engine``: pySHACL, failing closed (``ShapesError``, ``EngineError`` in ``errors``);
- ``results``: each result of pySHACL's report as a ``ValidationResult`` (``report``), worded in
  six languages (``messages``);
- ``run``: ``validate``, from sources to report.

>>> from chmgraph.validation import validate, Source
>>> toolkit = b"<https://example.org/t> a <https://w3id.org/chmgraph/vocab#Toolkit> ."
>>> report = validate([Source("toolkit.ttl", toolkit)])
>>> report.conforms, [r.code for r in report.results]
(False, ['CHM-V001', 'CHM-W002', 'CHM-W003'])
"""

from chmgraph.validation.context import Context
from chmgraph.validation.errors import EngineError, ShapesError
from chmgraph.validation.report import ValidationReport, ValidationResult
from chmgraph.validation.run import validate
from chmgraph.validation.sources import Source, read_source

__all__ = [
    "Context",
    "EngineError",
    "ShapesError",
    "Source",
    "ValidationReport",
    "ValidationResult",
    "read_source",
    "validate",
]

"""Validation fails closed: when it cannot run, it raises, and nothing is accepted on it."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
import rdflib
from click.testing import CliRunner
from rdflib.namespace import RDF, SH

from chmgraph.cli import cli
from chmgraph.errors import EXIT_USAGE, InputError
from chmgraph.network import Network
from chmgraph.settings import DATA_DIR
from chmgraph.validation import EngineError, ShapesError, validate
from chmgraph.validation import run as validation_run

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"


def _engine_fails(*args, **kwargs):
    raise RuntimeError("the engine broke")


def _report(conforms: bool, results: int) -> rdflib.Graph:
    graph = rdflib.Graph()
    report = rdflib.BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, rdflib.Literal(conforms)))
    for _ in range(results):
        graph.add((report, SH.result, rdflib.BNode()))
    return graph


def test_a_pyshacl_failure_raises_instead_of_reporting(monkeypatch):
    monkeypatch.setattr(pyshacl, "validate", _engine_fails)
    with pytest.raises(EngineError, match=r"validation could not run: .*the engine broke") as e:
        validate([EXAMPLE], country="CM")
    assert e.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    ("conforms", "report"),
    [
        (True, _report(conforms=True, results=1)),  # results, yet "conforms"
        (False, _report(conforms=False, results=0)),  # no result, yet "does not conform"
        (True, _report(conforms=False, results=1)),  # the verdict and the report disagree
        (True, rdflib.Graph()),  # no sh:ValidationReport at all
    ],
)
def test_a_report_that_contradicts_itself_raises(monkeypatch, conforms, report):
    monkeypatch.setattr(pyshacl, "validate", lambda *a, **k: (conforms, report, ""))
    with pytest.raises(EngineError, match="validation could not run"):
        validate([EXAMPLE], country="CM")


def test_missing_chm_shapes_raise(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(validation_run, "CHM_SHAPES", (tmp_path / "chm.ttl",))
    with pytest.raises(InputError, match="cannot read shapes file"):
        validate([EXAMPLE], country="CM")


def test_shapes_without_a_single_shape_raise(monkeypatch, tmp_path: Path):
    empty = tmp_path / "chm.ttl"
    empty.write_text("# truncated\n", encoding="utf-8")
    monkeypatch.setattr(validation_run, "CHM_SHAPES", (empty,))
    with pytest.raises(ShapesError, match="no SHACL shape to validate with"):
        validate([EXAMPLE], country="CM")
    data_only = tmp_path / "data.ttl"
    data_only.write_text("<http://e/a> <http://e/b> <http://e/c> .\n", encoding="utf-8")
    with pytest.raises(ShapesError, match="no SHACL shape"):
        validate([EXAMPLE], shapes=[data_only])


def test_the_cli_exits_2_when_validation_cannot_run(monkeypatch):
    monkeypatch.setattr(pyshacl, "validate", _engine_fails)
    result = CliRunner().invoke(cli, ["validate", str(EXAMPLE), "--country", "CM"])
    assert result.exit_code == EXIT_USAGE
    assert "error: validation could not run" in result.output
    assert "Conforms" not in result.output


def test_the_network_accepts_nothing_when_validation_cannot_run(monkeypatch):
    network = Network.in_memory()
    network.init()
    before = set(network.store.quads())
    monkeypatch.setattr(pyshacl, "validate", _engine_fails)
    with pytest.raises(EngineError):
        network.submit(EXAMPLE, "CM")
    assert set(network.store.quads()) == before

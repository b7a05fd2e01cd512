"""The national rules (``country=``): one graph, describing that country's national CHM."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from chmgraph.rdfio import read_quads
from chmgraph.settings import DATA_DIR
from chmgraph.validation import Source, validate

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"
SUBMISSION = "https://w3id.org/chmgraph/shapes#submission"
LANGUAGES = {"ar", "en", "es", "fr", "ru", "zh"}


def example(old: bytes = b"", new: bytes = b"", name: str = "cm.ttl") -> Source:
    text = EXAMPLE.read_bytes()
    assert old in text
    return Source(name, text.replace(old, new) if old else text)


def codes(report) -> list[str]:
    return [r.code for r in report.results]


def trig(*graphs: str) -> Source:
    """The example with its statements spread over the named graphs ``graphs`` (the default
    graph for an empty name)."""
    triples = [q.triple for q in read_quads(EXAMPLE)]
    quads = [
        ox.Quad(*t, ox.NamedNode(graphs[i % len(graphs)]) if graphs[i % len(graphs)] else None)
        for i, t in enumerate(triples)
    ]
    return Source("cm.trig", ox.serialize(quads, format=ox.RdfFormat.TRIG), ox.RdfFormat.TRIG)


def test_a_submission_describing_no_national_chm_is_refused():
    source = example(b"a chm:NationalCHM ;", b"a chm:RegionalCHM ;")
    report = validate([source], country="CM")
    (result,) = report.results
    assert (result.code, result.severity, result.focus) == ("CHM-V092", "Violation", SUBMISSION)
    assert result.source == "cm.ttl"
    assert "describes no chm:NationalCHM" in result.message
    assert set(result.messages) == LANGUAGES
    assert all("chm:NationalCHM" in m and "country/CM" in m for m in result.messages.values())
    assert not report.conforms
    # The national rules apply only to a national submission.
    assert validate([source]).results == []


def test_a_national_chm_of_another_country_is_refused_naming_it():
    (result,) = validate([example()], country="FR").results
    assert (result.code, result.path) == ("CHM-V091", "chm:country")
    assert result.message == (
        "Describes the CHM of chmid:country/CM, but this is the national graph of chmid:country/FR."
    )


def test_a_national_chm_names_its_country():
    source = example(b"chm:country <https://w3id.org/chmgraph/id/country/CM> ;", b"")
    (result,) = validate([source], country="CM").results
    assert (result.code, result.path) == ("CHM-V041", "chm:country")


@pytest.mark.parametrize("graphs", [("https://example.org/g",), ("", "https://example.org/g")])
def test_a_national_submission_is_one_graph(graphs):
    report = validate([trig(*graphs)], country="CM")
    (result,) = report.results
    assert (result.code, result.severity, result.focus) == (
        "CHM-V093",
        "Violation",
        "https://example.org/g",
    )
    assert (result.source, result.value, result.shape) == (
        "cm.trig",
        "<https://example.org/g>",
        "https://w3id.org/chmgraph/shapes#OneGraph",
    )
    assert result.message == (
        "A national submission is one graph: move the statements of the named graph "
        "<https://example.org/g> into the default graph."
    )
    assert set(result.messages) == LANGUAGES
    assert all("<https://example.org/g>" in m for m in result.messages.values())
    assert not report.conforms
    assert "CHM-V093" in report.render("sarif")


def test_each_named_graph_is_reported_and_a_default_graph_alone_passes():
    report = validate([trig("https://example.org/b", "https://example.org/a")], country="CM")
    assert [(r.code, r.focus) for r in report.results] == [
        ("CHM-V093", "https://example.org/a"),
        ("CHM-V093", "https://example.org/b"),
    ]
    assert validate([trig("")], country="CM").results == []
    # Without a country the file is network data, which may use named graphs.
    assert validate([trig("https://example.org/g")]).results == []

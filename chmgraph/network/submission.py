"""The gate before the store: a national submission read, validated and, if it conforms,
committed as the next version of its country's graph.

A submission is bytes with a name (a file's path, an upload's file name, a harvested URL) and a
format: the SHA-256 recorded is that of the bytes received, and reports cite the name the user
gave. Validation is the whole gate and it fails closed: the network imports the validation
package at load time, so a network that cannot validate cannot accept anything.

Versions are numbered with a conditional write (``chmgraph.network.history.next_version_guard``):
the record of version N+1 is written only if no version N+1 exists yet, checked inside the
update that writes it. Two writers that both read N as the latest can never both write N+1; the
one that loses reads the history again and retries (``commit``'s caller).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.entailment import Rules, inferred_graph, with_inferences
from chmgraph.network.history import (
    Upstream,
    VersionRecord,
    archive,
    next_version_guard,
    now,
    record_quads,
)
from chmgraph.rdfio import detect_format, read_file
from chmgraph.store import GraphStore
from chmgraph.validation import Context, Source, ValidationReport, validate

#: A name for bytes that came without one (standard input).
STDIN_NAME = "<stdin>"


@dataclass(frozen=True)
class CheckedSubmission:
    """A submission read and checked: its statements, whether it may be accepted, and why not."""

    quads: list[ox.Quad]
    conforms: bool
    summary: str
    sha256: str
    report: ValidationReport | None = None

    @property
    def warnings(self) -> int | None:
        """How many warnings validation gave (None: not validated)."""
        return None if self.report is None else self.report.counts["Warning"]

    def render(self) -> str:
        """What keeps the submission out, as text: the validation report's findings."""
        if self.report is None or self.report.conforms:
            return ""
        return self.report.render(format="text")


@dataclass(frozen=True)
class SubmissionResult:
    """What became of a submission (or a rollback)."""

    status: Literal["accepted", "unchanged", "rejected"]
    country: str
    version: int | None
    triples: int
    checked: CheckedSubmission | None = None

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    @property
    def report(self) -> ValidationReport | None:
        """The validation report, when the submission was validated."""
        return self.checked.report if self.checked else None


def as_source(
    source: Path | str | bytes, *, name: str | None = None, format: str | ox.RdfFormat | None = None
) -> Source:
    """A submission's bytes with the name reports cite: a path is read (its name is the path),
    bytes are taken as given (named ``name``, their format from ``format`` or the name)."""
    if isinstance(source, bytes):
        shown = name or STDIN_NAME
        if format is None and shown == STDIN_NAME:
            format = ox.RdfFormat.TURTLE
        return Source(name=shown, data=source, format=detect_format(shown, format))
    data, rdf_format = read_file(source, format)
    return Source(name=name or str(source), data=data, format=rdf_format)


def check_submission(
    source: Source | Path | str,
    country: str,
    store: GraphStore | None = None,
    *,
    context: Context | None = None,
) -> CheckedSubmission:
    """Read and validate a national submission for ``country``: the gate before the store.

    The national rules (one graph, describing this country's national CHM) are shapes like the
    others (``shapes/``). The context the submission is checked against (the vocabulary, the
    reference data, the CBD's facts) is that of ``store``, the network it is submitted to; the
    package's own files without one, or ``context`` (``store_context``: a store's context read
    earlier, so that checking needs no store). Syntax errors raise ``SyntaxGateError``; anything
    else that keeps the submission out of the network is in the result (``conforms`` False,
    with the report).
    """
    if not isinstance(source, Source):
        source = as_source(source)
    if context is None and store is not None:
        context = _context(store)
    report = validate([source], country=country, context=context)
    return CheckedSubmission(
        quads=list(report.data_quads),
        conforms=bool(report.conforms),
        summary=report.summary(),
        sha256=hashlib.sha256(source.data).hexdigest(),
        report=report,
    )


def store_context(store: GraphStore) -> Context:
    """The context submissions to ``store`` are checked against, read now: it stays usable
    after the store is closed."""
    return Context.of(
        ontology=[q.triple for q in store.quads(iris.ONTOLOGY_GRAPH)],
        reference=[q.triple for q in store.quads(iris.REFERENCE_GRAPH)],
        cbd=[q.triple for q in store.quads(iris.CBD_GRAPH)],
    )


def _context(store: GraphStore) -> Context:
    # Keyed by content (no key): always the store's current graphs, even after another process
    # rebuilt them; reading them costs tens of milliseconds.
    def triples(graph: str) -> Iterator[ox.Triple]:
        return (q.triple for q in store.quads(graph))

    return Context.of(
        ontology=triples(iris.ONTOLOGY_GRAPH),
        reference=triples(iris.REFERENCE_GRAPH),
        cbd=triples(iris.CBD_GRAPH),
    )


def commit(
    store: GraphStore,
    code: str,
    triples: Sequence[ox.Triple],
    past: Sequence[VersionRecord],
    *,
    digest: str,
    by: str | None,
    message: str | None,
    validation: str | None,
    warnings: int | None = None,
    restored_from: int | None = None,
    upstream: Upstream | None = None,
) -> int | None:
    """Make ``triples`` the national graph, with their entailments and the version's record
    (archiving them), in one conditional SPARQL update: the number of the version written, or
    None when another writer wrote the next version first (then nothing was written)."""
    number = (past[-1].number if past else 0) + 1
    when = now()
    record = record_quads(
        country=code,
        number=number,
        triples=len(triples),
        sha256=digest,
        when=when,
        by=by,
        message=message,
        validation=validation,
        warnings=warnings,
        content=archive(triples),
        restored_from=restored_from,
        upstream=upstream,
    )
    rules = Rules.of(store)
    graph = iris.national_graph(code)
    contents = {graph: triples, inferred_graph(graph): rules.inferred(graph, triples)}
    guard = next_version_guard(code, number, digest, when)
    written = store.replace_graphs(contents, add=with_inferences(rules, record), guard=guard)
    return number if written else None


def holds(store: GraphStore, code: str, triples: Sequence[ox.Triple]) -> bool:
    """Whether ``code``'s national graph holds exactly ``triples`` (as the store holds them)."""
    graph = iris.national_graph(code)
    if store.count(graph) != len(triples):
        return False
    current = [q.triple for q in store.quads(graph)]
    return canonical(current) == canonical(triples)


def canonical(triples: Iterable[ox.Triple]) -> frozenset[ox.Triple]:
    """The triples with blank nodes relabelled canonically (RDFC-1.0), so equal graphs compare
    equal whatever labels their blank nodes had."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return frozenset(q.triple for q in dataset)

"""Validation from end to end: ``validate`` reads the sources, builds the graph the shapes see,
runs the SHACL engine and turns its report into a ``ValidationReport``.

The graph the shapes see is the submission; the types and labels of the things it points at
(``chmgraph.validation.context``); the engine's ``chmsh:`` facts (``chmgraph.validation.facts``);
and the RDFS subclass and subproperty consequences of it all (``chmgraph.validation.inference``).
The SHACL engine runs on it without its own inference (``chmgraph.validation.engine``: the core
evaluator for the shapes it understands, pySHACL for the rest), and each of its results becomes
a ``ValidationResult`` with its rule code, message, label, file and line
(``chmgraph.validation.results``).

With ``shapes`` given, no context and no engine facts are added: the tool behaves as plain pySHACL
on the same data and shapes (with ``inference=False``, exactly), with chmgraph's lines and
messages on top.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import rdflib

from chmgraph.errors import InputError
from chmgraph.validation.bridge import from_rdflib
from chmgraph.validation.context import Context
from chmgraph.validation.core import Data
from chmgraph.validation.engine import EngineReport, run_engine
from chmgraph.validation.errors import NothingChecked
from chmgraph.validation.facts import SUBMISSION, engine_facts
from chmgraph.validation.inference import Hierarchy, entailed
from chmgraph.validation.messages import LANGUAGES, MESSAGE_FILE, Templates, summary
from chmgraph.validation.report import ValidationReport
from chmgraph.validation.results import ResultBuilder, ordered
from chmgraph.validation.shapes import CHM_SHAPES, shapes_graph
from chmgraph.validation.sources import Source, read_sources
from chmgraph.validation.targets import any_shape_applies

MESSAGE_FILES = (MESSAGE_FILE,)
# While a validation runs, the collector's oldest generation is collected after this many
# collections of the middle one (Python's default: 10), i.e. in practice not at all.
_OLDEST_GENERATION_AFTER = 1_000_000
# pySHACL and rdflib's SPARQL parser are not thread-safe: one validation at a time in a process,
# whichever face or caller starts it (a submission, a check, a harvest, the server's /validate).
_one_at_a_time = threading.Lock()


def validate(
    sources: Sequence[str | Path | Source],
    *,
    country: str | None = None,
    shapes: Sequence[str | Path] | None = None,
    inference: bool = True,
    lang: str = "en",
    context: Context | None = None,
) -> ValidationReport:
    """Validate ``sources`` (paths or ``Source``) and report what is wrong, where and why.

    ``country`` (an ISO alpha-2 code) applies the national rules; ``shapes`` replaces the CHM
    shapes of ``shapes/``; ``inference`` adds the RDFS subclass/subproperty consequences;
    ``lang`` is the language of the messages (ar en es fr ru zh); ``context`` is what the
    network knows (``Context.of`` its store's graphs; default ``Context.load()``, the files of
    ``ontology/`` and ``data/``), unused with ``shapes``.
    Raises ``SyntaxGateError`` for malformed input, ``InputError`` for unreadable input, and
    ``ShapesError`` or ``EngineError`` when validation cannot run: it never reports a
    conforming result it did not check.

    >>> from chmgraph.settings import DATA_DIR
    >>> example = DATA_DIR / "examples" / "national-chm-example.ttl"
    >>> report = validate([example], country="CM")
    >>> report.conforms, report.counts["Violation"]
    (True, 0)
    """
    with _one_at_a_time, _full_collections_paused():
        return _validate(sources, country, shapes, inference, lang, context)


@contextmanager
def _full_collections_paused() -> Iterator[None]:
    """Python's full garbage collections paused for the duration (the young generations are
    still collected).

    A validation holds its graphs as millions of small objects that live until it ends, and
    every full collection walks all of them: a fifth of the time at 100k triples, and a larger
    share the larger the input. The graphs hold no reference cycles to reclaim, so the pause
    costs no memory; the thresholds are put back when it ends (validations run one at a time)."""
    thresholds = gc.get_threshold()
    young, middle, _ = thresholds
    gc.set_threshold(young, middle, _OLDEST_GENERATION_AFTER)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _validate(
    sources: Sequence[str | Path | Source],
    country: str | None,
    shapes: Sequence[str | Path] | None,
    inference: bool,
    lang: str,
    context: Context | None,
) -> ValidationReport:
    if lang not in LANGUAGES:
        raise InputError(f"unknown message language {lang!r} (known: {', '.join(LANGUAGES)})")
    chm_mode = shapes is None
    read = read_sources(sources, file_base=not chm_mode)
    data_quads = [q for r in read for q in r.quads]
    submitted = {q.triple for q in data_quads}
    shape_paths = tuple(Path(p) for p in (CHM_SHAPES if chm_mode else shapes))
    shapes_in_use = shapes_graph(shape_paths)
    known = (context or Context.load()) if chm_mode else None
    data = Data.of(
        _seen_by_shapes(submitted, known, country, inference),
        [item for r in read for item in r.sourcemap.prefixes.items()],
    )
    if data_quads and not any_shape_applies(shapes_in_use, data):
        raise NothingChecked(
            f"{_names(read)}: no shape applied to any node, so nothing was checked: no node of "
            f"the data is of a class the shapes target, nor uses a property they target "
            f"(shapes: {', '.join(str(p) for p in shape_paths)})"
        )
    engine = run_engine(data, shapes_in_use)
    templates = Templates.of(tuple(dict.fromkeys(MESSAGE_FILES + CHM_SHAPES + shape_paths)))
    vocabulary = known.vocabulary if known is not None else None
    builder = ResultBuilder(
        data, shapes_in_use, engine, templates, read, lang, vocabulary, network=chm_mode
    )
    # Results about the submission as a whole (the national rules) are about no subject of it.
    reported = {t.subject for t in submitted} | {SUBMISSION}
    results = [
        b.result for b in builder.results() if not chm_mode or from_rdflib(b.node_focus) in reported
    ]
    results += builder.empty_source_results()
    results += builder.ill_typed_results(submitted, results)
    if chm_mode and country is not None:
        results += builder.named_graph_results()
    return ValidationReport(
        results=ordered(results),
        data_quads=data_quads,
        lang=lang,
        engine_report=lambda: _written(engine),
        summary_text=lambda lang_, counts, ok: summary(templates, lang_, counts, ok),
    )


def _written(engine: EngineReport) -> rdflib.Graph:
    """The engine's report graph, written (when first read, after the validation) one at a
    time like any validation: it is pySHACL's report writer that writes it."""
    with _one_at_a_time:
        return engine.graph


def _names(read: list) -> str:
    return ", ".join(r.source.name for r in read)


def _seen_by_shapes(
    submitted: set[ox.Triple], context: Context | None, country: str | None, inference: bool
) -> set[ox.Triple]:
    """The submission, plus (with the CHM shapes, which come with a context) what the context
    says of the things it points at and the engine's facts, plus the subclass/subproperty
    consequences of it all."""
    triples = set(submitted)
    if context is not None:
        pointed = {t.object for t in submitted if isinstance(t.object, ox.NamedNode)}
        triples |= set(context.about(pointed))
        triples |= engine_facts(submitted, context, country)
        hierarchy = Hierarchy.of_vocabulary(context.vocabulary) if inference else None
    else:
        hierarchy = Hierarchy.of_triples(submitted) if inference else None
    if hierarchy is not None:
        triples |= entailed(triples, hierarchy)
    return triples

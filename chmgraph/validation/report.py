"""Validation reports a steward can act on, and their formats.

A ``ValidationReport`` holds ``ValidationResult`` objects: each with its severity, rule code, the
thing described (its IRI, label, file and line), the property path, the value found and a
message in the report's language. ``render`` writes it as:

* ``text`` — for people: results grouped by thing described, with ``file:line`` and label, then
  a summary line with the counts per severity and whether the data conforms;
* ``json`` — for pipelines: the same, flat, one object per result;
* ``turtle`` — the standard ``sh:ValidationReport``, each result with its localized
  ``sh:resultMessage`` and chmgraph's additions (``chmsh:ruleCode``, ``chmsh:sourceFile``,
  ``chmsh:line``, ``chmsh:accepted``);
* ``sarif`` — SARIF 2.1.0, which code hosts' CI (GitHub code scanning and others) show inline
  on the submitted file at the reported line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
import rdflib

from chmgraph.version import __version__

SEVERITIES = ("Violation", "Warning", "Info")
# The severities that do not block: any other (a Violation, or a custom severity such as
# ex:Blocker, which chmgraph cannot know to be harmless) makes the data not conform.
NON_BLOCKING = ("Warning", "Info")
FORMATS = ("text", "json", "turtle", "sarif")
# A custom severity blocks, so it is an error to a code host.
_SARIF_LEVEL = {"Violation": "error", "Warning": "warning", "Info": "note"}
_SARIF_CUSTOM_LEVEL = "error"
CHMSH = rdflib.Namespace("https://w3id.org/chmgraph/shapes#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


def other_severities(counts: dict[str, int]) -> str:
    """The counts of custom severities, for the summary line (``"Blocker: 2. "``)."""
    others = [f"{name}: {n}. " for name, n in counts.items() if name not in SEVERITIES]
    return "".join(others)


def _sarif_level(severity: str) -> str:
    return _SARIF_LEVEL.get(severity, _SARIF_CUSTOM_LEVEL)


@dataclass(frozen=True)
class ValidationResult:
    """One thing found wrong (or worth noting) about one thing described."""

    severity: str  # "Violation", "Warning", "Info", or a custom severity's local name
    code: str | None  # the rule code, e.g. "CHM-V041"; None for a shape without one
    focus: str  # the thing described: an IRI, or "_:id" for a blank node
    label: str | None  # its name, when it has one
    path: str | None  # the property path, as prefixed names
    value: str | None  # the value found, as written in Turtle
    message: str  # in the report's language
    source: str | None  # the submitted file describing the thing
    line: int | None  # the line in that file where the thing's statements are
    shape: str | None = None  # the shape (IRI or "_:id") the result comes from
    component: str | None = None  # the SHACL constraint component
    messages: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    node: rdflib.term.Node | None = field(default=None, repr=False, compare=False)

    def message_in(self, lang: str | None) -> str:
        """The message in ``lang`` (the report's language when None)."""
        return self.messages.get(lang or "", self.message)

    @property
    def place(self) -> str:
        """``file:line`` (or just the file) where the thing is described."""
        if self.source is None:
            return "?"
        return f"{self.source}:{self.line}" if self.line else self.source


@dataclass
class ValidationReport:
    """The outcome of ``chmgraph.validation.validate``."""

    results: list[ValidationResult]
    data_quads: list[ox.Quad]
    lang: str = "en"
    # Writes the engine's sh:ValidationReport graph (engine_graph), only when asked for.
    engine_report: Callable[[], rdflib.Graph] | None = field(default=None, repr=False)
    summary_text: Callable[[str, dict[str, int], bool], str] | None = field(
        default=None, repr=False
    )

    @cached_property
    def engine_graph(self) -> rdflib.Graph | None:
        """The engine's own ``sh:ValidationReport`` (pySHACL's form), before chmgraph's
        grouping: written when first asked for."""
        return self.engine_report() if self.engine_report is not None else None

    @property
    def counts(self) -> dict[str, int]:
        """Results per severity: ``{"Violation": n, "Warning": n, "Info": n}``, and ``n`` for
        each custom severity found (``"Blocker": n``)."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for result in self.results:
            counts[result.severity] = counts.get(result.severity, 0) + 1
        return counts

    @property
    def conforms(self) -> bool:
        """True when every result is a Warning or an Info: a Violation, or a result of a custom
        severity, blocks."""
        return all(r.severity in NON_BLOCKING for r in self.results)

    def groups(self) -> list[tuple[str, list[ValidationResult]]]:
        """Results grouped by the thing described, in file and line order."""
        grouped: dict[str, list[ValidationResult]] = {}
        for result in self.results:
            grouped.setdefault(result.focus, []).append(result)
        return list(grouped.items())

    def render(self, format: str = "text", lang: str | None = None) -> str:
        """The report as ``text``, ``json``, ``turtle`` or ``sarif``, messages in ``lang``."""
        writers = {
            "text": self._text,
            "json": self._json,
            "turtle": self._turtle,
            "sarif": self._sarif,
        }
        if format not in writers:
            raise ValueError(f"unknown report format {format!r} (known: {', '.join(FORMATS)})")
        return writers[format](lang or self.lang)

    def summary(self, lang: str | None = None) -> str:
        """The counts per severity and whether the data conforms, in ``lang``."""
        lang = lang or self.lang
        if self.summary_text is not None:
            return self.summary_text(lang, self.counts, self.conforms)
        counts = self.counts
        verdict = other_severities(counts) + ("Conforms." if self.conforms else "Does not conform.")
        return (
            f"{counts['Violation']} violation(s), {counts['Warning']} warning(s), "
            f"{counts['Info']} info. {verdict}"
        )

    def _text(self, lang: str) -> str:
        lines: list[str] = []
        for focus, results in self.groups():
            first = results[0]
            name = f"{first.label}  " if first.label else ""
            shown = f"<{focus}>" if "://" in focus else focus  # an IRI, or a blank node id
            lines.append(f"{first.place}  {name}{shown}")
            for r in results:
                code = r.code or "-"
                path = f"  {r.path}" if r.path else ""
                lines.append(f"  {r.severity:<9} {code:<9}{path}  {r.message_in(lang)}")
            lines.append("")
        lines.append(self.summary(lang))
        return "\n".join(lines) + "\n"

    def _json(self, lang: str) -> str:
        results = []
        for r in self.results:
            entry = asdict(r)
            entry.pop("node", None)
            entry.pop("messages", None)
            entry["message"] = r.message_in(lang)
            results.append(entry)
        body = {"conforms": self.conforms, "counts": self.counts, "lang": lang, "results": results}
        return json.dumps(body, ensure_ascii=False, indent=2) + "\n"

    def _turtle(self, lang: str) -> str:
        graph = rdflib.Graph()
        graph.bind("sh", SH)
        graph.bind("chmsh", CHMSH)
        report = rdflib.BNode()
        graph.add((report, rdflib.RDF.type, SH.ValidationReport))
        graph.add((report, SH.conforms, rdflib.Literal(not self.results)))
        graph.add((report, CHMSH.accepted, rdflib.Literal(self.conforms)))
        for r in self.results:
            node = self._copy_result(graph, r)
            graph.add((report, SH.result, node))
            graph.remove((node, SH.resultMessage, None))
            graph.add((node, SH.resultMessage, rdflib.Literal(r.message_in(lang), lang=lang)))
            if r.code:
                graph.add((node, CHMSH.ruleCode, rdflib.Literal(r.code)))
            if r.source:
                graph.add((node, CHMSH.sourceFile, rdflib.Literal(r.source)))
            if r.line:
                graph.add((node, CHMSH.line, rdflib.Literal(r.line)))
        return graph.serialize(format="turtle")

    def _copy_result(self, graph: rdflib.Graph, result: ValidationResult) -> rdflib.term.Node:
        if self.engine_graph is None or result.node is None:
            node = rdflib.BNode()
            graph.add((node, rdflib.RDF.type, SH.ValidationResult))
            return node
        for triple in self.engine_graph.cbd(result.node):
            graph.add(triple)
        return result.node

    def _sarif(self, lang: str) -> str:
        rules: dict[str, dict] = {}
        results = []
        for r in self.results:
            rule_id = r.code or r.component or "SHACL"
            rules.setdefault(
                rule_id,
                {
                    "id": rule_id,
                    "defaultConfiguration": {"level": _sarif_level(r.severity)},
                },
            )
            entry: dict = {
                "ruleId": rule_id,
                "level": _sarif_level(r.severity),
                "message": {"text": r.message_in(lang)},
                "logicalLocations": [{"fullyQualifiedName": r.focus, "name": r.label or r.focus}],
                "properties": {"severity": r.severity},
            }
            if r.source:
                region = {"startLine": r.line} if r.line else {}
                entry["locations"] = [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": Path(r.source).as_posix()},
                            **({"region": region} if region else {}),
                        }
                    }
                ]
            results.append(entry)
        run = {
            "tool": {
                "driver": {
                    "name": "chmgraph",
                    "version": __version__,
                    "informationUri": "https://w3id.org/chmgraph/vocab",
                    "rules": list(rules.values()),
                }
            },
            "results": results,
        }
        sarif = {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [run],
        }
        return json.dumps(sarif, ensure_ascii=False, indent=2) + "\n"


def comparable_results(report: rdflib.Graph) -> list[tuple[str, ...]]:
    """The results of a SHACL validation report graph (chmgraph's ``engine_graph`` or plain
    pySHACL's), as sorted rows of strings, so two engines' reports compare result by result.

    Blank nodes compare by kind only: their labels differ between runs.
    """
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    columns = (
        sh.focusNode,
        sh.resultPath,
        sh.value,
        sh.sourceConstraintComponent,
        sh.resultSeverity,
        sh.sourceShape,
    )
    rows = []
    for result in report.objects(None, sh.result):
        nodes = (report.value(result, column) for column in columns)
        rows.append(tuple("_:" if isinstance(n, rdflib.BNode) else str(n) for n in nodes))
    return sorted(rows)

"""Messages in the six UN languages, from templates that keep the engine's detail.

Templates are data: ``shapes/messages.ttl`` words each SHACL constraint component (and the
report's summary), and each SPARQL rule of ``shapes/chm.ttl`` carries its own
``chmsh:message``. Placeholders (``{value}``, ``{expected}``, ``{count}``...) are filled with
what the engine found; one the engine could not tell is shown as ``?``.

>>> t = Templates.of([MESSAGE_FILE])
>>> t.render(SH + "MinCountConstraintComponent", "fr", {"path": "rdfs:label", "count": 0,
...          "expected": 1})
'rdfs:label : 0 valeur(s) trouvée(s), au moins 1 attendue(s).'
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from chmgraph.rdfio import read_quads
from chmgraph.settings import SHAPES_DIR
from chmgraph.validation.report import other_severities

SH = "http://www.w3.org/ns/shacl#"
CHMSH = "https://w3id.org/chmgraph/shapes#"
MESSAGE = CHMSH + "message"
# A component's message when the network's graphs were looked in too (the CHM shapes).
NETWORK_MESSAGE = CHMSH + "networkMessage"
SUGGESTION = CHMSH + "suggestion"
LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")
# The path a message starts with, and what separates it from the rest ("{path} : " in French).
_PATH_PREFIX = re.compile(r"^\{path\}\s*[:：]\s*")
# The templates of SHACL's constraint components and of the report's own phrases.
MESSAGE_FILE = SHAPES_DIR / "messages.ttl"


class _Detail(dict):
    """Placeholders the engine could not fill read as ``?``."""

    def __missing__(self, key: str) -> str:
        return "?"


@dataclass(frozen=True)
class Templates:
    """Message templates by subject (a constraint component, a shape, a report part), then by
    predicate (``chmsh:message``, ``chmsh:suggestion``) and language."""

    by_subject: Mapping[tuple[str, str], Mapping[str, str]]

    @classmethod
    def of(cls, paths: Iterable[str | Path]) -> Templates:
        """The templates stated in the files ``paths`` (read once per process)."""
        key = tuple((str(p), Path(p).stat().st_mtime_ns) for p in paths)
        return _templates(key)

    def has(self, subject: str, predicate: str = MESSAGE) -> bool:
        """Whether ``subject`` has a template."""
        return (subject, predicate) in self.by_subject

    def render(
        self, subject: str, lang: str, detail: Mapping[str, object], predicate: str = MESSAGE
    ) -> str | None:
        """The template of ``subject`` in ``lang`` (else English) filled with ``detail``."""
        texts = self.by_subject.get((subject, predicate))
        if not texts:
            return None
        text = texts.get(lang) or texts.get("en") or next(iter(texts.values()))
        if detail.get("path") is None:
            # A result of a node shape has no path: no "?: " before the message.
            text = _PATH_PREFIX.sub("", text)
        shown = _Detail({k: "?" if v is None else v for k, v in detail.items()})
        return text.format_map(shown).strip()


@lru_cache(maxsize=8)
def _templates(key: tuple[tuple[str, int], ...]) -> Templates:
    found: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for name, _ in key:
        for quad in read_quads(name, base_iri=Path(name).absolute().as_uri()):
            obj = quad.object
            if quad.predicate.value in {MESSAGE, NETWORK_MESSAGE, SUGGESTION} and isinstance(
                obj, ox.Literal
            ):
                subject = quad.subject.value if isinstance(quad.subject, ox.NamedNode) else ""
                found[subject, quad.predicate.value][obj.language or "en"] = obj.value
    return Templates(dict(found))


def summary(templates: Templates, lang: str, counts: Mapping[str, int], conforms: bool) -> str:
    """The report's last line in ``lang``: counts per severity and the verdict."""
    verdict = templates.render(CHMSH + ("Conforms" if conforms else "DoesNotConform"), lang, {})
    detail = {
        "violations": counts["Violation"],
        "warnings": counts["Warning"],
        "infos": counts["Info"],
        "verdict": other_severities(counts) + (verdict or ""),
    }
    return templates.render(CHMSH + "Summary", lang, detail) or str(detail)

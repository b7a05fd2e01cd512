"""The web UI's languages: the six UN languages, chosen per request, and the UI text of each.

The language of a page is ``?lang=`` when given (and then remembered in the ``lang`` cookie),
else the cookie, else the best of the browser's ``Accept-Language`` among the six, else
English (``FALLBACK``). UI text lives in one catalogue per language, ``locales/LANG.json``; a
key missing from a catalogue falls back to English. Labels of data come from the data's own
six-language labels, and validation messages from the validation layer's.

>>> catalogue("fr").text("nav.query")
'Requêtes'
>>> best_of("ru;q=0.8, zh-CN, en;q=0.5")
'zh'
>>> best_of("de-DE, de")
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request

from chmgraph.server.negotiation import accepted

LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
FALLBACK = "en"
RIGHT_TO_LEFT = frozenset({"ar"})
COOKIE = "lang"
LOCALES = Path(__file__).resolve().parent / "locales"


@dataclass(frozen=True)
class Catalogue:
    """The UI text of one language, with English for what it lacks."""

    lang: str
    entries: dict[str, str]
    fallback: dict[str, str]

    @property
    def direction(self) -> str:
        return "rtl" if self.lang in RIGHT_TO_LEFT else "ltr"

    def text(self, key: str, **values: object) -> str:
        """The text of ``key``, with ``{name}`` fields filled from ``values``."""
        found = self.entries.get(key) or self.fallback.get(key) or key
        return found.format(**values) if values else found


@cache
def _entries(lang: str) -> dict[str, str]:
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def catalogue(lang: str) -> Catalogue:
    """The catalogue of ``lang`` (one of ``LANGUAGES``)."""
    return Catalogue(lang, _entries(lang), _entries(FALLBACK))


def best_of(header: str) -> str | None:
    """The best of the six languages an ``Accept-Language`` header asks for, if any."""
    for tag, quality in accepted(header):
        primary = tag.split("-")[0]
        if quality > 0 and primary in LANGUAGES:
            return primary
    return None


def language(request: Request) -> str:
    """The language of the page answering ``request``."""
    asked = request.query_params.get("lang", "").lower()
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE, "")
    if remembered in LANGUAGES:
        return remembered
    return best_of(request.headers.get("accept-language", "")) or FALLBACK

"""Pages from Jinja2 templates: every value escaped, in the reader's language, with a
Content-Security-Policy that lets a page load scripts, styles and data from the server only.

Templates are in ``templates/``, static files (scripts, styles, the vendored assets and their
licences) in ``static/``, both inside the package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import jinja2
import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from chmgraph import iris
from chmgraph.query.results import QueryResult
from chmgraph.server import i18n

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
MAP_PATHS = STATIC_DIR / "vendor" / "world-atlas" / "countries-50m.paths.json"
# Inline styles are allowed (the editor sets style attributes); scripts, fonts, images and
# connections come from the server only, and no other site may frame a page.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
LANGUAGE_NAMES = {
    "ar": "العربية",
    "zh": "中文",
    "en": "English",
    "fr": "Français",
    "ru": "Русский",
    "es": "Español",
}
_BASE = "https://w3id.org/chmgraph/"

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_environment)


def local_href(iri: str) -> str:
    """The server's own path for one of the network's IRIs; any other IRI as it is.

    >>> local_href("https://w3id.org/chmgraph/id/country/CM")
    '/id/country/CM'
    """
    return "/" + iri[len(_BASE) :] if iri.startswith(_BASE) else iri


def short(iri: str) -> str:
    """An IRI as a prefixed name when one of the network's prefixes fits.

    >>> short("https://w3id.org/chmgraph/vocab#Workshop")
    'chm:Workshop'
    """
    best = ""
    for prefix, namespace in iris.PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            best, chosen = namespace, prefix
    if best and all(c.isalnum() or c in "-_./" for c in iri[len(best) :]):
        return f"{chosen}:{iri[len(best) :]}"
    return iri


def page(
    request: Request,
    template: str,
    /,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: object,
) -> Response:
    """The page ``template`` filled with ``context`` in the request's language."""
    lang = i18n.language(request)
    catalogue = i18n.catalogue(lang)
    others = {k: v for k, v in request.query_params.multi_items() if k != "lang"}
    switch = {
        code: request.url.path + "?" + urlencode([*others.items(), ("lang", code)])
        for code in i18n.LANGUAGES
    }
    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "dir": catalogue.direction,
            "t": catalogue.text,
            "language_names": LANGUAGE_NAMES,
            "switch": switch,
            "here": request.url.path,
            "local_href": local_href,
            "short": short,
            **context,
        },
        status_code=status,
        headers={**page_headers(), **(headers or {})},
    )
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def page_headers() -> dict[str, str]:
    """What every page carries: its policy, and that it varies with the reader's language."""
    return {
        "Content-Security-Policy": POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Vary": "Accept, Accept-Language, Cookie",
    }


@cache
def world() -> dict:
    """The map's outlines: ``{"width", "height", "paths": {M49 code: SVG path data}}``."""
    return json.loads(MAP_PATHS.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Cell:
    """A value of a results table: its text, and a link when it is an IRI."""

    text: str
    href: str | None = None
    lang: str | None = None


def result_table(result: QueryResult, most: int) -> dict:
    """The answer as header and rows of cells (a graph as subject, predicate, object), at
    most ``most`` rows."""
    if result.form == "ASK":
        return {"header": ["boolean"], "rows": [[Cell(str(result.boolean).lower())]]}
    rows = result.rows
    header = result.variables
    if result.form in ("CONSTRUCT", "DESCRIBE"):
        header = ["subject", "predicate", "object"]
        rows = [(t.subject, t.predicate, t.object) for t in result.triples]
    return {
        "header": header,
        "rows": [[cell(term) for term in row] for row in rows[:most]],
        "cut": len(rows) > most,
    }


def cell(term: object) -> Cell:
    if term is None:
        return Cell("")
    if isinstance(term, ox.NamedNode):
        return Cell(term.value, term.value)
    if isinstance(term, ox.Literal):
        return Cell(term.value, lang=term.language or None)
    return Cell(getattr(term, "value", str(term)))

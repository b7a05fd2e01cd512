"""Pages from Jinja2 templates: every value escaped, in the reader's language, with a
Content-Security-Policy that lets a page load scripts, styles and data from the server only.

Templates are in ``templates/``, static files (scripts, styles, the vendored assets and their
licences) in ``static/``, both inside the package.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
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


def asset_url(name: str) -> str:
    """The URL a page links for ``static/NAME``: its path with the digest of its content, so
    that it may be kept for good (``chmgraph.server.assets``).

    >>> asset_url("chmgraph.css").startswith("/static/chmgraph.css?v=")
    True
    """
    path = STATIC_DIR / name
    found = path.stat()
    return f"/static/{name}?v={asset_digest(str(path), found.st_mtime_ns, found.st_size)}"


@lru_cache(maxsize=256)
def asset_digest(path: str, mtime_ns: int, size: int) -> str:
    """The start of the SHA-256 of the file at ``path`` (as it is at that time and size)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


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
            "asset": asset_url,
            **context,
        },
        status_code=status,
        headers={**page_headers(), **(headers or {})},
    )
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def warm() -> None:
    """Compile every template and read the map once, before the first page asks for them."""
    for name in _environment.list_templates(extensions=["html"]):
        _environment.get_template(name)
    world()


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
    """The map's outlines: ``{"width", "height", "paths": {M49 code: SVG path data}}``, the
    path data in relative form (``compact_path``): the same shapes in about half the bytes of
    every page that shows a map."""
    outlines = json.loads(MAP_PATHS.read_text(encoding="utf-8"))
    outlines["paths"] = {code: compact_path(d) for code, d in outlines["paths"].items()}
    return outlines


_STEP = re.compile(r"([MLZ])(?:(-?[0-9.]+),(-?[0-9.]+))?", re.IGNORECASE)


def compact_path(data: str) -> str:
    """SVG path data of absolute ``M``/``L``/``Z`` commands with coordinates in tenths, as
    relative moves and lines, each command letter once for a run of points, numbers written
    as short as SVG reads them.

    >>> compact_path("M684.8,146.3L685.6,146.2L686.7,146.6L687.5,146.5ZM10.0,20.0L12.0,20.0Z")
    'M684.8,146.3l.8-.1 1.1.4.8-.1zm-674.8-126.3l2 0z'
    """
    out: list[str] = []
    last: str | None = None  # the last number written, for whether the next needs a space
    x = y = 0
    start = (0, 0)  # after ``z`` SVG goes on from where the subpath started
    command = ""
    for letter, xs, ys in _STEP.findall(data):
        if letter.upper() == "Z":
            out.append("z")
            command, last = "z", None
            x, y = start
            continue
        nx, ny = round(float(xs) * 10), round(float(ys) * 10)
        if not out:
            wanted, dx, dy = "M", nx, ny
        else:
            wanted, dx, dy = ("m" if letter.upper() == "M" else "l"), nx - x, ny - y
        x, y = nx, ny
        if wanted in "Mm":
            start = (x, y)
        if wanted != command:
            out.append(wanted)
            command, last = wanted, None
        for number in (_tenths(dx), _tenths(dy)):
            if last is not None and not (
                number.startswith("-") or (number.startswith(".") and "." in last)
            ):
                out.append("," if command == "M" else " ")
            out.append(number)
            last = number
    return "".join(out)


def _tenths(value: int) -> str:
    """``value`` tenths as SVG's shortest number: 8 -> ``.8``, -11 -> ``-1.1``, 20 -> ``2``."""
    sign, value = ("-" if value < 0 else ""), abs(value)
    whole, tenth = divmod(value, 10)
    if not tenth:
        return f"{sign}{whole}"
    return f"{sign}{whole or ''}.{tenth}"


@dataclass(frozen=True)
class Cell:
    """A value of a results table: its text, and a link when it is an IRI."""

    text: str
    href: str | None = None
    lang: str | None = None
    # The whole value's length in characters when ``text`` is only its start (``result_table``).
    whole: int | None = None


# A literal longer than this is shown cut on a page, as Datasette's pages cut long cells: the
# first characters and an ellipsis; the downloads have it whole. (A GROUP_CONCAT of a country's
# workshops at 100k is 9,000 characters a row: the whole table was 290 KB of one page.)
PAGE_CELL_CHARS = 300


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
    shown = [[_shortened(cell(term)) for term in row] for row in rows[:most]]
    return {
        "header": header,
        "rows": shown,
        "cut": len(rows) > most,
        "cells_cut": any(c.whole is not None for row in shown for c in row),
    }


def _shortened(value: Cell) -> Cell:
    """``value`` with a literal's text cut to ``PAGE_CELL_CHARS`` characters (an IRI whole).

    >>> _shortened(Cell("x" * 301)).text == "x" * 300, _shortened(Cell("x" * 301)).whole
    (True, 301)
    >>> _shortened(Cell("short")).whole is None
    True
    """
    if value.href or len(value.text) <= PAGE_CELL_CHARS:
        return value
    return Cell(value.text[:PAGE_CELL_CHARS], value.href, value.lang, len(value.text))


def cell(term: object) -> Cell:
    if term is None:
        return Cell("")
    if isinstance(term, ox.NamedNode):
        return Cell(term.value, term.value)
    if isinstance(term, ox.Literal):
        return Cell(term.value, lang=term.language or None)
    return Cell(getattr(term, "value", str(term)))

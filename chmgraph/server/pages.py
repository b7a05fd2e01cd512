"""The web UI's pages: home, the query editor and the library's queries as forms, the network
dashboard, validation at the line, the rules, and the steward's area.

Every page is server-rendered from a template and calls the same Python API as the CLI
(``Network.query``, ``Network.standings``, ``chmgraph.validate``); the small scripts in
``static/`` only draw (the editor, a chart) and call the JSON API (the steward's area). The
browse pages are the Linked Data pages of ``chmgraph.server.linked_data``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from chmgraph import iris
from chmgraph.errors import ChmgraphError, InputError
from chmgraph.network.standing import CountryStanding, coverage
from chmgraph.query.library import NamedQuery, QueryLibrary
from chmgraph.query.results import QueryResult, media_type, serialize
from chmgraph.query.text import bind
from chmgraph.server import i18n, templating
from chmgraph.server.http import HttpError, read_form, text
from chmgraph.server.service import Service
from chmgraph.server.templating import page, result_table, world
from chmgraph.settings import DATA_DIR
from chmgraph.validation import Source, validate
from chmgraph.validation.report import SEVERITIES, ValidationReport, ValidationResult
from chmgraph.validation.rules import collect

# Formats of the downloads offered with an answer, by the answer's form.
TABLE_DOWNLOADS = ("csv", "tsv", "json", "xml")
GRAPH_DOWNLOADS = ("turtle", "ntriples", "jsonld", "xml", "csv", "tsv")
REPORT_FORMATS = {
    "json": "application/json",
    "sarif": "application/sarif+json",
    "turtle": "text/turtle; charset=utf-8",
}
# Files of the package a visitor may pick on the validation page, by name.
PICKS = {
    "seed": ("data/cbd", "*.ttl", None),
    "example": ("data/examples", "national-chm-example.ttl", "CM"),
}
_COUNTRY = iris.ID + "country/"
# What a table row may show on a page before the rest is left to the downloads.
PAGE_ROWS = 1000


def _service(request: Request) -> Service:
    return request.app.state.service


async def home(request: Request) -> Response:
    service = _service(request)
    status = await service.run_query(service.kept, service.network.status)
    return page(request, "home.html", figures=status, library=len(QueryLibrary.load()))


# The library and the editor


@dataclass(frozen=True)
class Theme:
    """Queries of the library grouped by their first keyword."""

    name: str
    queries: list[NamedQuery]


def themes(library: QueryLibrary) -> list[Theme]:
    """The library's queries grouped by theme: of a query's keywords, the one most queries
    share (the first of those on a tie); themes by name."""
    counts = Counter(k for query in library for k in set(query.keywords))
    grouped: dict[str, list[NamedQuery]] = {}
    for query in library:
        ranked = sorted(query.keywords, key=lambda k: -counts[k])
        grouped.setdefault(ranked[0] if ranked else "other", []).append(query)
    return [Theme(name, sorted(qs, key=lambda q: q.title)) for name, qs in sorted(grouped.items())]


async def editor(request: Request) -> Response:
    """``/query``: YASGUI against ``/sparql``, the library as examples; ``?query=`` opens a
    query (a shared URL)."""
    library = QueryLibrary.load()
    examples = _examples(library, i18n.language(request))
    first = library["workshops-per-year"] if "workshops-per-year" in examples else None
    shown = request.query_params.get("query") or (examples[first.name] if first else "")
    return page(
        request,
        "query.html",
        themes=themes(library),
        examples=examples,
        shown=shown,
        downloads=TABLE_DOWNLOADS,
    )


async def named_query(request: Request) -> Response:
    """``/queries/NAME``: the library's query as a form of its typed parameters, run with the
    values given (a shareable URL), its answer as a table, a chart, a map and downloads."""
    library = QueryLibrary.load()
    name = request.path_params["name"]
    if name not in {q.name for q in library}:
        return text(404, f"no query {name!r} in the library")
    query = library[name]
    values = {
        p.name: request.query_params[p.name]
        for p in query.parameters
        if request.query_params.get(p.name, "").strip()
    }
    if _takes(query, "lang") and "lang" not in values:
        values["lang"] = i18n.language(request)
    return await _answer_page(request, query, values)


async def free_query(request: Request) -> Response:
    """``/results?query=TEXT``: any query's answer as the library's are shown."""
    asked = request.query_params.get("query", "")
    if not asked.strip():
        raise HttpError(400, "give ?query= with the SPARQL text")
    return await _answer_page(request, NamedQuery.from_text(asked), {})


async def _answer_page(request: Request, query: NamedQuery, values: dict[str, str]) -> Response:
    service = _service(request)
    lang = i18n.language(request)
    chosen = request.query_params.get("format")
    listed = await _countries(service, lang)
    context = {"query": query, "values": values, "countries_list": listed}
    try:
        bound = bind(query.text, query.bindings(values))
        result = await service.run_query(service.answer, query, values)
    except (InputError, SyntaxError) as exc:
        empty = {"result": None, "table": None, "chart": None, "countries": None}
        return page(
            request,
            "named_query.html",
            status=400,
            error=str(exc),
            downloads=(),
            bound=query.text,
            **empty,
            **context,
        )
    if chosen:
        try:
            body = serialize(result, chosen)
        except InputError as exc:
            raise HttpError(400, str(exc)) from None
        filename = f"{query.name}.{_extension(chosen)}"
        return Response(
            body.encode("utf-8"),
            media_type=_charset(media_type(result, chosen)),
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    graph = result.form in ("CONSTRUCT", "DESCRIBE")
    shared = list(values.items())
    if not query.path:
        shared = [("query", query.text)]
    return page(
        request,
        "named_query.html",
        error=None,
        result=result,
        table=result_table(result, PAGE_ROWS),
        chart=chart(result),
        countries=_mapped(result, listed),
        downloads=[
            (f, "?" + urlencode([*shared, ("format", f)]))
            for f in (GRAPH_DOWNLOADS if graph else TABLE_DOWNLOADS)
        ],
        bound=bound,
        world=world,
        **context,
    )


@lru_cache(maxsize=2 * len(i18n.LANGUAGES))
def _examples(library: QueryLibrary, lang: str) -> dict[str, str]:
    """The editor's examples: each library query's text with its default parameters bound, in
    ``lang``; once a library and language (binding the whole library takes a quarter of a
    second, the rest of the page a few milliseconds)."""
    return {
        q.name: bind(q.text, q.bindings({"lang": lang} if _takes(q, "lang") else {}))
        for q in library
    }


def _takes(query: NamedQuery, name: str) -> bool:
    return any(p.name == name for p in query.parameters)


def _extension(format: str) -> str:
    return {"turtle": "ttl", "ntriples": "nt", "jsonld": "jsonld"}.get(format, format)


def _charset(media: str) -> str:
    return media if "json" in media else f"{media}; charset=utf-8"


_NUMBERS = {
    iris.PREFIXES["xsd"] + name
    for name in ("integer", "decimal", "double", "float", "nonNegativeInteger", "int", "long")
}
_TIMES = {iris.PREFIXES["xsd"] + name for name in ("gYear", "date", "dateTime", "gYearMonth")}


def chart(result: QueryResult) -> dict | None:
    """A chart of a SELECT answer: the first numeric column against the first other column; a
    line when that column holds years or dates, else bars; None when no column is numeric."""
    if result.form != "SELECT" or not result.rows:
        return None
    kinds = [_kind(result.column(v)) for v in result.variables]
    if "number" not in kinds:
        return None
    value = kinds.index("number")
    labels = [i for i, k in enumerate(kinds) if i != value and k in ("text", "time", "number")]
    if not labels:
        return None
    label = labels[0]
    line = kinds[label] in ("time", "number")
    rows = result.rows[:PAGE_ROWS]
    return {
        "type": "line" if line else "bar",
        "label": result.variables[label],
        "value": result.variables[value],
        "labels": [_plain(row[label]) for row in rows],
        "values": [float(row[value].value) if row[value] is not None else None for row in rows],
    }


def _kind(column: Sequence[object]) -> str:
    found = [t for t in column if t is not None]
    if not found:
        return "empty"
    if all(isinstance(t, ox.Literal) and t.datatype.value in _NUMBERS for t in found):
        return "number"
    if all(isinstance(t, ox.Literal) and t.datatype.value in _TIMES for t in found):
        return "time"
    if all(isinstance(t, ox.Literal) for t in found):
        return "text"
    return "iri"


def _plain(term: object) -> str:
    return "" if term is None else getattr(term, "value", str(term))


async def _countries(service: Service, lang: str) -> list[CountryStanding]:
    return await service.run_query(service.kept, service.network.country_directory, lang=lang)


def _mapped(result: QueryResult, standings: list[CountryStanding]) -> dict | None:
    """The countries an answer's rows hold (as the network's country IRIs), for a map; None
    when they hold none."""
    codes = set()
    rows = result.rows if result.form == "SELECT" else []
    for row in rows:
        for term in row:
            if isinstance(term, ox.NamedNode) and term.value.startswith(_COUNTRY):
                codes.add(term.value[len(_COUNTRY) :])
    if not codes:
        return None
    return {s.m49: s for s in standings if s.code in codes and s.m49}


# The dashboard


async def dashboard(request: Request) -> Response:
    service = _service(request)
    lang = i18n.language(request)
    standings = await service.run_query(service.kept, service.network.standings, lang=lang)
    submitted = [s for s in standings if s.submitted]
    return page(
        request,
        "dashboard.html",
        standings=standings,
        submitted=submitted,
        coverage=coverage(standings),
        countries={s.m49: s for s in submitted if s.m49},
        world=world(),
    )


# Validation


@dataclass(frozen=True)
class Line:
    """A line of a validated file, with the findings about the thing described there."""

    number: int
    text: str
    results: list[ValidationResult]


@dataclass(frozen=True)
class ShownFile:
    name: str
    lines: list[Line]
    unplaced: list[ValidationResult]


async def validation(request: Request) -> Response:
    """``/validate``: GET the form, or a file of the package picked (``?pick=seed``); POST an
    upload (``file``) or pasted text (``text``). ``?format=json|sarif|turtle`` downloads."""
    service = _service(request)
    lang = i18n.language(request)
    async with read_form(request, service.settings.server_validate_max_bytes) as fields:
        picked = request.query_params.get("pick") or fields.get("pick")
        country = (fields.get("country") or request.query_params.get("country") or "").strip()
        chosen = fields.get("format") or request.query_params.get("format")
        sources = await _sources(request, fields, picked)
    if sources is None:
        return page(request, "validate.html", report=None, files=[], picks=PICKS, **_form(lang))
    if picked in PICKS and not country:
        country = PICKS[picked][2] or ""
    try:
        code = service.network.country_code(country) if country else None
        report = await _report(service, sources, code, lang, picked in PICKS)
    except ChmgraphError as exc:
        return page(
            request,
            "validate.html",
            status=400,
            report=None,
            files=[],
            picks=PICKS,
            error=str(exc),
            **_form(lang, country),
        )
    if chosen in REPORT_FORMATS:
        return Response(
            report.render(format=chosen, lang=lang).encode("utf-8"),
            media_type=REPORT_FORMATS[chosen],
            headers={"Content-Disposition": f'attachment; filename="report.{chosen}"'},
        )
    return page(
        request,
        "validate.html",
        report=report,
        files=_shown(sources, report),
        picks=PICKS,
        picked=picked if picked in PICKS else None,
        texts=[s.data.decode("utf-8", "replace") for s in sources] if not picked else [],
        names=[s.name for s in sources],
        severities=SEVERITIES,
        **_form(lang, country),
    )


async def _report(
    service: Service, sources: list[Source], code: str | None, lang: str, picked: bool
) -> ValidationReport:
    """The validation report of ``sources``; of the package's own files (a pick), kept: it
    depends only on them, the country and the language, so each is computed once a server."""
    if not picked:
        return await service.run(validate, sources, country=code, lang=lang)
    return await service.run(_picked_report, sources, code, lang)


def _picked_report(sources: list[Source], code: str | None, lang: str) -> ValidationReport:
    digest = hashlib.sha256(b"".join(s.name.encode() + b"\0" + s.data for s in sources))
    key = (digest.hexdigest(), code, lang)
    if key not in _PICKED_REPORTS:
        _PICKED_REPORTS[key] = validate(sources, country=code, lang=lang)
    return _PICKED_REPORTS[key]


def warm() -> None:
    """What the pages compute once a server, computed at its start (``Service.later``) rather
    than for its first reader: the editor's examples and the seed's report, in English (the
    seed's validation took 2.4 s for the first reader on a loaded machine); the templates
    compiled and the map read."""
    templating.warm()
    _examples(QueryLibrary.load(), "en")
    folder, pattern, code = PICKS["seed"]
    _picked_report(_picked_sources(folder, pattern), code, "en")


# Reports of picked files by (content digest, country, language): a few picks, six languages.
_PICKED_REPORTS: dict[tuple[str, str | None, str], ValidationReport] = {}


def _form(lang: str, country: str = "") -> dict:
    return {"message_lang": lang, "country": country, "error": None}


async def _sources(request: Request, fields: object, picked: str | None) -> list[Source] | None:
    if picked in PICKS:
        folder, pattern, _ = PICKS[picked]
        return _picked_sources(folder, pattern)
    if picked:
        raise HttpError(400, f"pick must be one of {', '.join(PICKS)}")
    upload = fields.get("file")  # type: ignore[attr-defined]
    if isinstance(upload, UploadFile) and upload.filename:
        return [Source(name=upload.filename, data=await upload.read())]
    texts = fields.getlist("text")  # type: ignore[attr-defined]
    names = fields.getlist("name")  # type: ignore[attr-defined]
    if texts and any(t.strip() for t in texts):
        named = [*names, *(["upload.ttl"] * len(texts))]
        return [
            Source(name=n or "upload.ttl", data=t.encode("utf-8"))
            for n, t in zip(named, texts, strict=False)
        ]
    return None


def _picked_sources(folder: str, pattern: str) -> list[Source]:
    return [
        Source(name=f"{folder}/{path.name}", data=path.read_bytes())
        for path in sorted((DATA_DIR / folder.removeprefix("data/")).glob(pattern))
    ]


def _shown(sources: list[Source], report: ValidationReport) -> list[ShownFile]:
    """Each file with its lines, every finding under the line of the thing it is about."""
    shown = []
    for source in sources:
        mine = [r for r in report.results if r.source == source.name]
        by_line: dict[int, list[ValidationResult]] = {}
        for result in mine:
            if result.line:
                by_line.setdefault(result.line, []).append(result)
        text_lines = source.data.decode("utf-8", "replace").splitlines()
        lines = [Line(n, t, by_line.get(n, [])) for n, t in enumerate(text_lines, start=1)]
        shown.append(ShownFile(source.name, lines, [r for r in mine if not r.line]))
    others = [r for r in report.results if r.source not in {s.name for s in sources}]
    if others:
        shown.append(ShownFile("", [], others))
    return shown


async def rules(request: Request) -> Response:
    """``/rules``: every rule of the network's shapes, by code (``#CHM-W001``)."""
    return page(request, "rules.html", rules=collect())


# The steward's area


async def steward(request: Request) -> Response:
    """``/steward``: submit, history with diffs and rollback, through ``/api/submissions``
    with the country's token (kept in the page, never sent anywhere else)."""
    service = _service(request)
    lang = i18n.language(request)
    return page(request, "steward.html", countries=await _countries(service, lang))

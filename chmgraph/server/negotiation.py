"""Content negotiation from one table of formats per kind of answer."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request


@dataclass(frozen=True)
class Format:
    """A format a resource can be answered in: its name (``chmgraph.query.results``'s, for
    ``serialize``), its media type, and other media types that ask for it."""

    name: str
    media_type: str
    aliases: tuple[str, ...] = ()


# SELECT and ASK answers: the W3C SPARQL 1.1 result formats. The first is the default.
TABULAR = (
    Format("json", "application/sparql-results+json", ("application/json",)),
    Format("xml", "application/sparql-results+xml", ("application/xml", "text/xml")),
    Format("csv", "text/csv"),
    Format("tsv", "text/tab-separated-values"),
)
# CONSTRUCT and DESCRIBE answers, graphs and Linked Data.
GRAPH = (
    Format("turtle", "text/turtle", ("application/x-turtle",)),
    Format("ntriples", "application/n-triples", ("text/plain",)),
    Format("jsonld", "application/ld+json", ("application/json",)),
    Format("xml", "application/rdf+xml", ("application/xml", "text/xml")),
)
HTML = Format("html", "text/html", ("application/xhtml+xml",))


class NotAcceptable(Exception):
    """None of the formats offered is one the client accepts."""

    def __init__(self, offered: tuple[Format, ...]) -> None:
        super().__init__(
            "none of the formats this resource has is acceptable: "
            + ", ".join(f.media_type for f in offered)
        )


def accepted(header: str) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their quality, best first.

    >>> accepted("text/html;q=0.5, text/turtle")
    [('text/turtle', 1.0), ('text/html', 0.5)]
    """
    ranges = []
    for position, item in enumerate(header.split(",")):
        media, *params = (part.strip() for part in item.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality, -position))
    ranges.sort(key=lambda r: (r[1], _specificity(r[0]), r[2]), reverse=True)
    return [(media, quality) for media, quality, _ in ranges]


def _specificity(media: str) -> int:
    return 0 if media == "*/*" else 1 if media.endswith("/*") else 2


def choose(request: Request, offered: tuple[Format, ...]) -> Format:
    """The format to answer ``request`` in: ``?format=NAME`` if given, else by its Accept
    header, else the first offered."""
    return choose_for(
        request.headers.get("accept", ""), request.query_params.get("format"), offered
    )


def choose_for(accept: str, asked: str | None, offered: tuple[Format, ...]) -> Format:
    """``choose`` for a request whose Accept header is ``accept`` and whose ``format`` parameter
    is ``asked`` (None: not given).

    >>> choose_for("text/csv;q=0.5, */*;q=0.1", None, TABULAR).name
    'csv'
    """
    if asked:
        for candidate in offered:
            if asked in (candidate.name, candidate.media_type):
                return candidate
        raise NotAcceptable(offered)
    if not accept.strip():
        return offered[0]
    for media, quality in accepted(accept):
        if quality <= 0:
            continue
        for candidate in offered:
            if _matches(media, candidate):
                return candidate
    raise NotAcceptable(offered)


def answer_format(form: str, accept: str, asked: str | None) -> Format:
    """The format of a query's answer (``form``: SELECT, ASK, CONSTRUCT or DESCRIBE) for a
    request with Accept header ``accept`` and ``format`` parameter ``asked``.

    >>> answer_format("CONSTRUCT", "", None).name, answer_format("SELECT", "*/*", None).name
    ('turtle', 'json')
    """
    if form in ("CONSTRUCT", "DESCRIBE"):
        # CSV and TSV of a graph's triples (subject, predicate, object) are asked for too.
        return choose_for(accept, asked, GRAPH + TABULAR[2:])
    return choose_for(accept, asked, TABULAR)


def with_charset(media: str) -> str:
    """``media`` as a Content-Type: text formats say they are UTF-8 (JSON is, by definition).

    >>> with_charset("text/csv"), with_charset("application/sparql-results+json")
    ('text/csv; charset=utf-8', 'application/sparql-results+json')
    """
    return media if "json" in media else f"{media}; charset=utf-8"


def _matches(media: str, candidate: Format) -> bool:
    if media == "*/*":
        return True
    if media.endswith("/*"):
        return candidate.media_type.startswith(media[:-1])
    return media in (candidate.media_type, *candidate.aliases)

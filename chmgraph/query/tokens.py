"""The SPARQL lexer chmgraph needs: tokens enough to find keywords, prefixes and SERVICE
calls without mistaking a comment, string or IRI for them."""

from __future__ import annotations

import re
from collections.abc import Iterator

# A prefixed name's local part may hold escapes (``ex:a\#b``, ``ex:a\'b``) and %-encoded bytes:
# read whole, they are never mistaken for the start of a comment or a string.
# The tokens of SPARQL that matter for finding keywords: comments, strings and IRIs are skipped
# whole so that a keyword inside them is never mistaken for one in the query.
_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]\w+)
  | (?P<word>(?:[A-Za-z_][\w.-]*)?:(?:[\w.:-]|\\[_~.!$&'()*+,;=/?\#@%-]|%[0-9A-Fa-f]{2})*
             |[A-Za-z_][\w.-]*)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<other>\S)
    """,
    re.VERBOSE,
)


def tokens(text: str) -> Iterator[re.Match[str]]:
    """The tokens of SPARQL ``text`` that matter for finding its keywords.

    >>> [t.group() for t in tokens('ASK { ?s <http://e/ASK> "SELECT" } # SELECT')]
    ['ASK', '{', '?s', '<http://e/ASK>', '"SELECT"', '}', '# SELECT']
    """
    return _TOKEN.finditer(text)


def is_keyword(token: re.Match[str], keyword: str) -> bool:
    """Whether ``token`` is the SPARQL keyword ``keyword`` (any case)."""
    return token.lastgroup == "word" and token.group().upper() == keyword


_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# What a string cannot hold as such: written as its ECHAR there.
_ECHAR = {'"': '\\"', "'": "\\'", "\\": "\\\\", "\n": "\\n", "\r": "\\r"}
_NOT_IN_IRI = set('<>"{}|^`\\') | {chr(c) for c in range(0x21)}


def unescaped(text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    r"""``text`` with its codepoint escapes (``\u0053`` is ``S``) written as the characters
    they stand for, and the (offset in the result, change of length) of each one replaced.

    SPARQL reads codepoint escapes before its grammar, anywhere in a query (a keyword, a
    variable, a brace, the end of a comment), but engines read them only in strings and IRIs:
    the result is the same query in a form every reader reads alike, so that what is checked
    (the SERVICE allowlist) is what runs. The text is read left to right with each escape as
    its character, so an escaped quote opens a string and an escaped line break ends a comment;
    inside a string an escape is a character of the string (as engines read it), written as
    itself or, where the string cannot hold it as such (a quote, a backslash, a line break), as
    its two-character escape. An escape of no character (a surrogate) is left as it is.

    >>> unescaped(r'selec\u0074 ?\u0078 { BIND("\u0022" AS ?x) }')[0]
    'select ?x { BIND("\\"" AS ?x) }'
    """
    if _CODEPOINT.search(text) is None:
        # No escape to write out: the text as it is (the reading below, a character at a time
        # in Python, took most of the time of planning a query at the endpoint).
        return text, ()
    pieces: list[str] = []
    changes: list[tuple[int, int]] = []
    size = 0
    at = 0
    quote = ""  # the delimiter of the string the text is in, if it is in one
    comment = False

    def put(piece: str, end: int) -> None:
        nonlocal size, at
        if len(piece) != end - at:
            changes.append((size, len(piece) - (end - at)))
        pieces.append(piece)
        size += len(piece)
        at = end

    while at < len(text):
        if quote:
            if text.startswith(quote, at):
                put(quote, at + len(quote))
                quote = ""
                continue
            match = _CODEPOINT.match(text, at)
            char = _character(match) if match else None
            if match and char is not None:
                put(_ECHAR.get(char, char), match.end())
            else:
                put(
                    text[at : at + 2] if text[at] == "\\" else text[at],
                    at + (2 if text[at] == "\\" else 1),
                )
            continue
        char, end = _decoded_at(text, at)
        if comment:
            comment = char not in "\n\r"
            put(char, end)
        elif char == "#":
            comment = True
            put(char, end)
        elif char == "\\":  # a local name's escape (ex:a\#b): the next character is no delimiter
            following, after = _decoded_at(text, end) if end < len(text) else ("", end)
            put(char + following, after)
        elif char in "\"'":
            # Once a quote opens a string, what follows is the string's: its next two
            # characters make a long string's delimiter only as themselves, not as escapes.
            triple = char * 3 if text.startswith(char * 2, end) else char
            if triple == char and text.startswith(char, end):
                quote, triple = "", char * 2  # '' is an empty string, not a long one's start
            else:
                quote = triple
            put(triple, end + len(triple) - 1)
        elif char == "<":
            put(*_iri_or_less_than(text, end))
        else:
            put(char, end)
    return "".join(pieces), tuple(changes)


def _iri_or_less_than(text: str, at: int) -> tuple[str, int]:
    """After a ``<`` (read up to ``at``): a whole IRI with its escapes written out, or the
    ``<`` alone (a comparison)."""
    iri, end = "<", at
    while end < len(text):
        char, after = _decoded_at(text, end)
        if char == ">":
            return iri + char, after
        if char in _NOT_IN_IRI:
            break
        iri, end = iri + char, after
    return "<", at


def _decoded_at(text: str, at: int) -> tuple[str, int]:
    """The character at ``at`` (a codepoint escape read as its character) and where it ends."""
    match = _CODEPOINT.match(text, at)
    char = _character(match) if match else None
    return (char, match.end()) if match and char is not None else (text[at], at + 1)


def _character(match: re.Match[str]) -> str | None:
    code = int(match.group(1) or match.group(2), 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)

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
# Inside a string: an escape sequence of two characters (``\\``, ``\"``) or a codepoint escape.
_IN_STRING = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\.", re.DOTALL)
# What a string cannot hold as such: written as its ECHAR there.
_ECHAR = {'"': '\\"', "'": "\\'", "\\": "\\\\", "\n": "\\n", "\r": "\\r"}


def unescaped(text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    r"""``text`` with its codepoint escapes (``\u0053`` is ``S``) written as the characters
    they stand for, and the (offset in the result, change of length) of each one replaced.

    SPARQL reads codepoint escapes before its grammar, anywhere in a query (a keyword, a
    variable, a brace), but engines read them only in strings and IRIs: the result is the same
    query in a form every reader reads alike, so that what is checked (the SERVICE allowlist)
    is what runs. In a string a character the string cannot hold as such (a quote, a
    backslash, a line break) is written as its two-character escape; an escape of no
    character (a surrogate) is left as it is, for the engine to refuse.

    >>> unescaped(r'selec\u0074 ?\u0078 { BIND("\u0022" AS ?x) }')[0]
    'select ?x { BIND("\\"" AS ?x) }'
    """
    pieces: list[str] = []
    changes: list[tuple[int, int]] = []
    size = 0
    at = 0

    def put(piece: str, written: str | None = None) -> None:
        nonlocal size
        if written is not None and len(piece) != len(written):
            changes.append((size, len(piece) - len(written)))
        pieces.append(piece)
        size += len(piece)

    def outside(span: str) -> None:
        start = 0
        for match in _CODEPOINT.finditer(span):
            put(span[start : match.start()])
            put(_character(match) or match.group(), match.group())
            start = match.end()
        put(span[start:])

    def inside(string: str) -> None:
        start = 0
        for match in _IN_STRING.finditer(string):
            char = _character(match) if match.group(1) or match.group(2) else None
            if char is None:
                continue  # an ECHAR, or an escape of no character: the engine reads it
            put(string[start : match.start()])
            put(_ECHAR.get(char, char), match.group())
            start = match.end()
        put(string[start:])

    for token in tokens(text):
        if token.lastgroup == "string" and "\\" in token.group():
            outside(text[at : token.start()])
            inside(token.group())
            at = token.end()
    outside(text[at:])
    return "".join(pieces), tuple(changes)


def _character(match: re.Match[str]) -> str | None:
    code = int(match.group(1) or match.group(2), 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)

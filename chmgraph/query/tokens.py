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

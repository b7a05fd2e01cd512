"""Where each thing is described in a submitted file: subjects mapped to source lines.

No SHACL engine reports lines: the parsers they use forget positions. A light tokenizer pass over
the submitted text finds, for each subject, the line of every statement block it starts, so a
report can say ``cm.ttl:42`` instead of naming a blank node.

* Turtle, TriG, N-Triples, N-Quads: exact. Prefixes and ``@base`` are followed, so ``ex:chm-CM``,
  ``<chm/CM>`` and the full IRI are the same subject; labelled blank nodes (``_:b1``) keep their
  label through the parser, so they map too. A ``[ ... ]`` blank node has no name to find and is
  placed by the caller at its nearest named ancestor.
* JSON-LD and RDF/XML: best effort. The line of the first ``"@id"`` / ``rdf:about`` /
  ``rdf:nodeID`` whose value names the subject (in full, or as a compact IRI or relative
  reference ending with its local part), a description of the node before a mere reference.

>>> m = SourceMap.build(b'@prefix ex: <http://e/> .\\nex:a ex:p 1 .\\n\\nex:b ex:p [ ex:q 2 ] .',
...                     format=ox.RdfFormat.TURTLE)
>>> m.line("http://e/a"), m.line("http://e/b"), m.line("http://e/c")
(2, 4, None)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urljoin

import pyoxigraph as ox

_TEXT_FORMATS = {
    ox.RdfFormat.TURTLE,
    ox.RdfFormat.TRIG,
    ox.RdfFormat.N_TRIPLES,
    ox.RdfFormat.N_QUADS,
    ox.RdfFormat.N3,
}
# One token at a position, by the group that matched: white space (newlines counted), a
# comment, an IRI, the quote opening a string (read by _string_end), punctuation, or a run of
# characters that can form a prefixed name, keyword, number or blank node label.
_TOKEN = re.compile(
    r"""(\s+)|(#[^\n]*)|<(?!<)([^>]*)>?|(["'])|(<<|>>|\^\^|[\[\](){},;])"""
    r"""|(.[^\s<>"'{}\[\](),;#]*)""",
    re.DOTALL,
)
_SPACE, _COMMENT, _IRI, _QUOTE, _PUNCT = 1, 2, 3, 4, 5
_ESCAPE = re.compile(r"\\(.)")
_ID_ATTRIBUTE = re.compile(
    r"""(?:"@id"\s*:\s*"([^"]*)"|rdf:(?:about|ID)\s*=\s*["']([^"']*)["'])"""
    r"""|rdf:nodeID\s*=\s*["']([^"']*)["']"""
)


class _Token(NamedTuple):
    kind: str  # "iri", "pname", "bnode", "string", "punct", "word"
    text: str
    line: int


@dataclass
class SourceMap:
    """Subject (IRI, or ``_:label`` for a labelled blank node) to the lines describing it."""

    lines: dict[str, list[int]] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)
    # Lines of the statements whose subject is an anonymous blank node ("[] a dcat:Dataset"),
    # in the file's order: the parser names those nodes itself (resolve_anonymous).
    anonymous: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, data: bytes, *, format: ox.RdfFormat, base_iri: str | None = None) -> SourceMap:
        """The source map of ``data`` (already accepted by the syntax gate)."""
        text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
        if format in _TEXT_FORMATS:
            prefixes: dict[str, str] = {}
            anonymous: list[int] = []
            lines = _subject_lines(_tokens(text), base_iri, prefixes, anonymous)
            return cls(lines, prefixes, anonymous)
        return cls(_id_lines(text))

    def line(self, subject: str) -> int | None:
        """The first line where ``subject`` (an IRI or ``_:label``) starts a statement."""
        found = self.lines.get(subject)
        return found[0] if found else None

    def resolve_anonymous(self, quads: list[ox.Quad]) -> None:
        """Attach the lines of anonymous top-level subjects to the blank nodes the parser made
        for them: the blank subjects that are no object and have no written label, in the
        order the parser gives them (the file's). When their number differs from the
        statements found, nothing is attached: no line rather than a wrong one."""
        objects = {q.object for q in quads if isinstance(q.object, ox.BlankNode)}
        made: list[str] = []
        for q in quads:
            subject = q.subject
            if isinstance(subject, ox.BlankNode) and subject not in objects:
                key = f"_:{subject.value}"
                if key not in self.lines and key not in made:
                    made.append(key)
        if len(made) == len(self.anonymous):
            for key, line in zip(made, self.anonymous, strict=True):
                self.lines[key] = [line]

    def resolve_fuzzy(self, subjects: list[str]) -> None:
        """Attach fuzzy ``@id``/``rdf:about`` matches (JSON-LD, RDF/XML) to full subject IRIs."""
        for subject in subjects:
            if subject in self.lines:
                continue
            for written, found in self.lines.items():
                if written and _names(written, subject):
                    self.lines[subject] = found
                    break


def _names(written: str, subject: str) -> bool:
    """Whether an ``@id``/``rdf:about`` value ``written`` plausibly names ``subject``."""
    if written.startswith("_:") or subject.startswith("_:"):
        return written == subject
    tail = written.split(":", 1)[1] if re.match(r"^[A-Za-z][\w.-]*:(?!//)", written) else written
    tail = tail.lstrip("#/")
    return bool(tail) and subject.endswith(tail) and subject[-len(tail) - 1] in "/#:"


def _tokens(text: str) -> Iterator[_Token]:
    pos, line, size = 0, 1, len(text)
    match = _TOKEN.match
    while pos < size:
        found = match(text, pos)
        kind = found.lastindex
        if kind == _SPACE:
            line += found.group(kind).count("\n")
            pos = found.end()
        elif kind == _COMMENT:
            pos = found.end()
        elif kind == _IRI:
            yield _Token("iri", found.group(kind), line)
            pos = found.end()
        elif kind == _QUOTE:
            end = _string_end(text, pos)
            yield _Token("string", "", line)
            line += text.count("\n", pos, end)
            pos = end
        elif kind == _PUNCT:
            yield _Token("punct", found.group(kind), line)
            pos = found.end()
        else:
            word, end = found.group(kind), found.end()
            # A final "." ends the statement, unless escaped inside a local name.
            while word.endswith(".") and not word.endswith("\\."):
                word, end = word[:-1], end - 1
            if not word:
                yield _Token("punct", ".", line)
                pos += 1
                continue
            yield _Token(_word_kind(word), word, line)
            pos = end


def _word_kind(word: str) -> str:
    if word.startswith("_:"):
        return "bnode"
    if ":" in word and not word.startswith("@"):
        return "pname"
    return "word"


def _string_end(text: str, pos: int) -> int:
    quote = text[pos]
    long_quote = quote * 3
    if text.startswith(long_quote, pos):
        i = pos + 3
        while True:
            found = text.find(long_quote, i)
            if found < 0:
                return len(text)
            backslashes = len(text[i:found]) - len(text[i:found].rstrip("\\"))
            if backslashes % 2 == 0:
                return found + 3
            i = found + 1
    i = pos + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    return i + 1


def _subject_lines(
    tokens: Iterator[_Token], base_iri: str | None, prefixes: dict[str, str], anonymous: list[int]
) -> dict[str, list[int]]:
    """Subjects of statement blocks, found by following Turtle/TriG's statement structure;
    the prefixes declared on the way are added to ``prefixes``, the lines of statements whose
    subject is an anonymous blank node (``[] ...`` or ``[ ... ] ...``) to ``anonymous``."""
    base = base_iri or ""
    found: dict[str, list[int]] = {}
    depth = 0  # nesting of [ ] ( ) << >> inside a statement
    expect_subject = True
    pending: _Token | None = None
    directive: list[_Token] = []
    for token in tokens:
        if directive:
            directive.append(token)
            keyword = directive[0].text.lower().lstrip("@")
            if keyword == "prefix" and len(directive) == 3:
                prefixes[directive[1].text.rstrip(":")] = _resolve(directive[2].text, base)
                directive = [] if not directive[0].text.startswith("@") else directive
            elif keyword == "base" and len(directive) == 2:
                base = _resolve(directive[1].text, base)
                directive = [] if not directive[0].text.startswith("@") else directive
            elif token.text == "." and directive[0].text.startswith("@"):
                directive = []
            continue
        if pending is not None:
            if token.text != "{":  # "<g> {" names a TriG graph; anything else makes a subject
                name = _term(pending, prefixes, base)
                if name:
                    found.setdefault(name, []).append(pending.line)
                expect_subject = False
            pending = None
        if token.kind == "word" and token.text.lower() in {"@prefix", "prefix", "@base", "base"}:
            directive = [token]
        elif token.text in {"[", "(", "<<"}:
            if token.text == "[" and expect_subject and depth == 0:
                anonymous.append(token.line)
            depth += 1
            expect_subject = False
        elif token.text in {"]", ")", ">>"}:
            depth = max(0, depth - 1)
        elif token.text in {"{", "}"} or (token.text == "." and depth == 0):
            expect_subject = True
        elif expect_subject and token.kind in {"iri", "pname", "bnode"}:
            pending = token
        elif expect_subject and token.kind == "word" and token.text.lower() == "graph":
            continue
    return found


def _term(token: _Token, prefixes: dict[str, str], base: str) -> str | None:
    if token.kind == "iri":
        return _resolve(_unescape_iri(token.text), base)
    if token.kind == "bnode":
        return token.text
    prefix, _, local = token.text.partition(":")
    if prefix not in prefixes:
        return None
    return prefixes[prefix] + _ESCAPE.sub(r"\1", local)


def _unescape_iri(text: str) -> str:
    if "\\u" not in text and "\\U" not in text:
        return text
    return re.sub(
        r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
        lambda m: chr(int(m.group(1) or m.group(2), 16)),
        text,
    )


def _resolve(iri: str, base: str) -> str:
    return urljoin(base, iri) if base and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri) else iri


def _id_lines(text: str) -> dict[str, list[int]]:
    """Lines of each ``"@id"`` / ``rdf:about`` / ``rdf:nodeID``, the node's own descriptions
    first: a reference (``{"@id": "x"}`` alone, ``<p rdf:nodeID="n"/>``) written before the
    description would otherwise be taken for it."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    described: dict[str, list[int]] = {}
    referenced: dict[str, list[int]] = {}
    for match in _ID_ATTRIBUTE.finditer(text):
        about, node_id = match.group(1) or match.group(2), match.group(3)
        value = "_:" + node_id if node_id else about or ""
        line = bisect_right(starts, match.start())
        kind = referenced if _is_reference(text, match) else described
        kind.setdefault(value, []).append(line)
    found = described
    for value, lines in referenced.items():
        found[value] = found.get(value, []) + lines
    return found


def _is_reference(text: str, match: re.Match) -> bool:
    """Whether an ``@id`` or ``rdf:nodeID`` only points at a node: alone in its JSON object, or
    on an RDF/XML element that closes at once."""
    if match.group(1) is not None:
        before = text[: match.start()].rstrip()
        after = text[match.end() :].lstrip()
        return before.endswith("{") and after.startswith("}")
    if match.group(3) is not None:
        return text[match.end() :].lstrip().startswith("/>")
    return False

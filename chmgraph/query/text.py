"""A query's final text: standard prefixes declared, parameters bound in a VALUES block (a
language written in as a constant), and error places mapped back to the user's own lines and
columns."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from chmgraph import iris
from chmgraph.errors import InputError, SyntaxGateError
from chmgraph.query.library import NamedQuery
from chmgraph.query.tokens import is_keyword, tokens, unescaped
from chmgraph.store.base import Term

_ERROR_PLACE = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)
_PREFIX_NOT_FOUND = "Prefix not found"


@dataclass(frozen=True)
class PreparedQuery:
    """A query's final text (parameters bound, prefixes declared) and how to map error places."""

    text: str
    form: str
    where: str
    # (line, column, length) of each insertion, to report errors at the user's own columns.
    insertions: tuple[tuple[int, int, int], ...]
    #: Prefixes the text uses but neither declares nor finds in ``chmgraph.iris.PREFIXES``.
    unknown_prefixes: tuple[str, ...] = ()

    def syntax_error(self, message: str) -> SyntaxGateError:
        """The engine's error message as an error at the line and column of the user's text."""
        match = _ERROR_PLACE.match(message)
        if not match:
            return SyntaxGateError(self.where, None, None, message)
        line, column = int(match.group(1)), int(match.group(2))
        for at_line, at_column, length in reversed(self.insertions):  # last made, first undone
            if at_line == line and at_column <= column:
                column -= length
        reason = match.group(3)
        if self.unknown_prefixes and _PREFIX_NOT_FOUND in reason:
            # The engine lists every character a name may hold: a screenful that hides the cause.
            reason = unknown_prefix_message(self.unknown_prefixes)
        return SyntaxGateError(self.where, line, max(column, 1), reason)


def unknown_prefix_message(prefixes: tuple[str, ...]) -> str:
    """What to do about prefixes nobody declared.

    >>> unknown_prefix_message(("foo",))[:60]
    'unknown prefix foo: (declare it: PREFIX foo: <...>); known w'
    """
    names = ", ".join(f"{p}:" for p in prefixes)
    first = prefixes[0]
    known = " ".join(f"{p}:" for p in iris.PREFIXES)
    return f"unknown prefix {names} (declare it: PREFIX {first}: <...>); known without one: {known}"


def prepare(
    query: NamedQuery, bindings: Mapping[str, Term], *, base_iri: str | None = None
) -> PreparedQuery:
    """The text to run: codepoint escapes written as their characters (``unescaped``: the
    engine reads them only in strings and IRIs), missing standard prefixes declared,
    ``bindings`` as a VALUES block, and ``base_iri`` (a SPARQL Protocol endpoint's URL) as the
    base relative IRIs resolve against unless the query declares its own.

    >>> import pyoxigraph as ox
    >>> q = NamedQuery.from_text("SELECT ?x WHERE { ?x a chm:Workshop }")
    >>> text = prepare(q, {"x": ox.NamedNode("http://e/w")}).text
    >>> text.startswith("PREFIX chm: <https://w3id.org/chmgraph/vocab#> ")
    True
    >>> text.split("> ", 1)[1]
    'SELECT ?x WHERE { VALUES (?x) { (<http://e/w>) } ?x a chm:Workshop }'
    """
    where = str(query.path) if query.path else "<query>"
    text, changes = unescaped(query.text)
    escapes = [(*_place(text, offset), change) for offset, change in changes]
    constants = {p.name for p in query.parameters if p.constant and p.name in bindings}
    text, insertions = _write_constants(text, {n: bindings[n] for n in constants})
    insertions = escapes + insertions
    bindings = {n: term for n, term in bindings.items() if n not in constants}
    prologue, brace, unknown = _shape(text)
    if bindings:
        if brace is None:
            raise InputError(f"{where}: no WHERE clause to bind the parameters in")
        names = " ".join(f"?{name}" for name in bindings)
        terms = " ".join(str(term) for term in bindings.values())
        block = f" VALUES ({names}) {{ ({terms}) }}"
        at = _binding_place(text, brace)
        if at != brace:  # on the marked line, before its comment
            block = block.lstrip() + " "
        line, column = _place(text, at)
        insertions.append((line, column, len(block)))
        text = text[:at] + block + text[at:]
    if base_iri:
        prologue = f"BASE <{base_iri}> {prologue}"
    if prologue:
        insertions.append((1, 1, len(prologue)))
        text = prologue + text
    return PreparedQuery(text, query.form, where, tuple(insertions), unknown)


def _write_constants(
    text: str, constants: Mapping[str, Term]
) -> tuple[str, list[tuple[int, int, int]]]:
    """``text`` with each variable of ``constants`` replaced by its term (pyoxigraph's
    serialization), and the (line, column, change of length) of each replacement."""
    if not constants:
        return text, []
    pieces, insertions, at = [], [], 0
    for token in tokens(text):
        if token.lastgroup != "var" or token.group()[1:] not in constants:
            continue
        value = str(constants[token.group()[1:]])
        pieces += [text[at : token.start()], value]
        line, column = _place(text, token.start())
        insertions.append((line, column, len(value) - len(token.group())))
        at = token.end()
    return "".join(pieces) + text[at:], insertions


@lru_cache(maxsize=256)
def _shape(text: str) -> tuple[str, int | None, tuple[str, ...]]:
    """The prefix declarations ``text`` lacks, where its outermost WHERE group opens, and the
    prefixes it uses that nobody knows."""
    found = [t for t in tokens(text) if t.lastgroup != "comment"]
    declared = {
        t.group().lower()
        for t, prev in zip(found[1:], found, strict=False)
        if is_keyword(prev, "PREFIX")
    }
    used = {t.group().split(":")[0] for t in found if t.lastgroup == "word" and ":" in t.group()}
    undeclared = sorted(p for p in used if f"{p}:" not in declared)
    missing = [p for p in undeclared if p in iris.PREFIXES]
    unknown = tuple(p for p in undeclared if p not in iris.PREFIXES)
    prologue = "".join(f"PREFIX {p}: <{iris.PREFIXES[p]}> " for p in missing)
    return prologue, _where_brace(found), unknown


@lru_cache(maxsize=256)
def has_graph_pattern(text: str) -> bool:
    """Whether ``text`` has a ``GRAPH`` pattern, the only place its named graphs matter.

    >>> has_graph_pattern("SELECT ?g { GRAPH ?g { ?s ?p ?o } }"), has_graph_pattern("ASK {}")
    (True, False)
    """
    return any(is_keyword(t, "GRAPH") for t in tokens(text))


@lru_cache(maxsize=256)
def has_dataset_clause(text: str) -> bool:
    """Whether ``text`` names its own dataset with ``FROM`` or ``FROM NAMED``.

    >>> has_dataset_clause("ASK FROM <http://e/g> {}"), has_dataset_clause("ASK { ?from ?p 1 }")
    (True, False)
    """
    return any(is_keyword(t, "FROM") for t in tokens(text))


def with_row_cap(text: str, cap: int) -> str:
    r"""``text``, a SELECT query, answering at most ``cap`` rows: its outermost ``LIMIT``
    lowered to ``cap``, or one added (before a closing ``VALUES`` block, else at the end). The
    engine then stops at the cap itself, and its serializer can write the answer.

    >>> with_row_cap("SELECT * { { SELECT * {} LIMIT 99 } } LIMIT 50", 10)
    'SELECT * { { SELECT * {} LIMIT 99 } } LIMIT 10'
    >>> with_row_cap("SELECT * {} LIMIT 5", 10)
    'SELECT * {} LIMIT 5'
    >>> with_row_cap("SELECT * {} # every row", 10)
    'SELECT * {} # every row\nLIMIT 10\n'
    """
    depth, values_at = 0, None
    for token in tokens(text):
        if token.lastgroup == "open":
            depth += 1
        elif token.lastgroup == "close":
            depth -= 1
        elif depth == 0 and is_keyword(token, "LIMIT"):
            number = _LIMIT_NUMBER.match(text, token.end())
            if number is None or int(number.group(1)) <= cap:
                return text  # already within the cap, or not SPARQL (the engine says why)
            return text[: number.start(1)] + str(cap) + text[number.end(1) :]
        elif depth == 0 and values_at is None and is_keyword(token, "VALUES"):
            values_at = token.start()
    if values_at is not None:
        return f"{text[:values_at]}LIMIT {cap}\n{text[values_at:]}"
    return f"{text}\nLIMIT {cap}\n"


_LIMIT_NUMBER = re.compile(r"(?:\s|#[^\n]*)*(\d+)")


def with_using(update: str, default: Sequence[str], named: Sequence[str] = ()) -> str:
    """``update`` with its dataset written in it, as a SPARQL Protocol request's
    ``using-graph-uri`` (``default``) and ``using-named-graph-uri`` (``named``) give it: ``USING``
    and ``USING NAMED`` clauses before the ``WHERE`` of each ``DELETE``/``INSERT`` operation.
    An update that names its own (``USING``, ``WITH``) cannot take them: ``InputError``, as the
    protocol says.

    >>> with_using("INSERT { ?s a <http://e/C> } WHERE { ?s ?p ?o }", ["http://e/g"])
    'INSERT { ?s a <http://e/C> } USING <http://e/g> WHERE { ?s ?p ?o }'
    """
    clauses = [f"USING <{g}>" for g in default] + [f"USING NAMED <{g}>" for g in named]
    if not clauses:
        return update
    found = [t for t in tokens(update) if t.lastgroup != "comment"]
    places, depth = [], 0
    for previous, token in zip([None, *found], found, strict=False):
        if token.lastgroup == "open":
            depth += 1
        elif token.lastgroup == "close":
            depth -= 1
        elif depth == 0 and (is_keyword(token, "USING") or is_keyword(token, "WITH")):
            raise InputError(
                "the update names its own dataset (USING or WITH): it cannot also take "
                "using-graph-uri or using-named-graph-uri"
            )
        elif (
            depth == 0
            and is_keyword(token, "WHERE")
            and previous is not None
            and previous.lastgroup == "close"
        ):
            # After a template's closing brace: a DELETE/INSERT operation (not DELETE WHERE).
            places.append(token.start())
    text = " ".join(clauses) + " "
    for at in reversed(places):
        update = update[:at] + text + update[at:]
    return update


# A comment line of a query's body saying where its parameters' VALUES block goes, for a
# parameter whose restriction must reach inside a subquery (the engine plans a subquery on its
# own: a VALUES block outside it is joined only after the subquery's whole answer is computed).
BINDING_MARK = "# parameters bound here"


def _binding_place(text: str, brace: int) -> int:
    r"""Where the parameters' VALUES block goes: at the query's ``BINDING_MARK`` comment (its
    author's promise that the answer is the same as with the block at the top), else just inside
    the outermost WHERE group, at ``brace``.

    >>> text = "SELECT * { { SELECT ?x WHERE {\n  # parameters bound here\n  ?x ?p ?o } } }"
    >>> text[_binding_place(text, 10) :].splitlines()[0]
    '# parameters bound here'
    """
    for token in tokens(text):
        if token.lastgroup == "comment" and token.group().strip().lower() == BINDING_MARK:
            return token.start()
    return brace


def _where_brace(found: list[re.Match[str]]) -> int | None:
    """The offset just after the ``{`` opening the outermost WHERE clause, if any."""
    depth, after_where, first_open = 0, False, None
    for token in found:
        if token.lastgroup == "open":
            if depth == 0 and (after_where or first_open is None):
                if after_where:
                    return token.end()
                first_open = token.end()
            depth += 1
        elif token.lastgroup == "close":
            depth -= 1
        elif depth == 0 and is_keyword(token, "WHERE"):
            after_where = True
    return first_open


def _place(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


# Result formats: the W3C SPARQL 1.1 result formats for SELECT and ASK answers, RDF syntaxes for


def bind(text: str, bindings: Mapping[str, Term]) -> str:
    """``text`` with ``bindings`` as a VALUES block in its WHERE clause: values bound the way
    every SPARQL 1.1 engine understands, for the network's own queries.

    >>> import pyoxigraph as ox
    >>> bind("SELECT ?o WHERE { ?s ?p ?o }", {"s": ox.NamedNode("http://e/s")})
    'SELECT ?o WHERE { VALUES (?s) { (<http://e/s>) } ?s ?p ?o }'
    """
    return prepare(NamedQuery.from_text(text), bindings).text


def with_dataset(text: str, default: Sequence[str], named: Sequence[str] = ()) -> str:
    """``text`` with its dataset written in it: ``FROM`` each graph of ``default`` and
    ``FROM NAMED`` each of ``named``, before its WHERE clause, so that any SPARQL 1.1 engine
    holding those graphs reads exactly them, whatever its own default graph.

    >>> print(with_dataset("SELECT * WHERE { ?s ?p ?o }", ["http://e/g"], ["http://e/g"]))
    SELECT * FROM <http://e/g>
    FROM NAMED <http://e/g>
    WHERE { ?s ?p ?o }
    >>> print(with_dataset("ASK { ?s ?p ?o }", ["http://e/g"]))
    ASK FROM <http://e/g>
    { ?s ?p ?o }
    """
    clauses = [f"FROM <{g}>" for g in default] + [f"FROM NAMED <{g}>" for g in named]
    if not clauses:
        return text
    at = _dataset_place([t for t in tokens(text) if t.lastgroup != "comment"], len(text))
    before = "" if at == 0 or text[at - 1].isspace() else "\n"
    return text[:at] + before + "\n".join(clauses) + "\n" + text[at:]


def _dataset_place(found: list[re.Match[str]], end: int) -> int:
    """Where a query's dataset clauses go: before its outermost WHERE (the keyword, or the brace
    of a WHERE clause written without it: a CONSTRUCT's second group, any other form's first);
    at the end of a DESCRIBE without one."""
    depth, groups = 0, []
    for token in found:
        if token.lastgroup == "open":
            if depth == 0:
                groups.append(token.start())
            depth += 1
        elif token.lastgroup == "close":
            depth -= 1
        elif depth == 0 and is_keyword(token, "WHERE"):
            return token.start()
    where = 1 if any(is_keyword(t, "CONSTRUCT") for t in found) else 0
    return groups[where] if len(groups) > where else end

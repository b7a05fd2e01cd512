"""The query library: the named SPARQL questions in ``queries/*.rq``.

Each file is one query. Its header, a block of ``#`` comment lines before the query text, says
what it is::

    # title: Workshops supported by an organization
    # description: Every event an organization supported, with its dates and host city.
    # question: Which workshops did the Government of Japan support?
    # keywords: workshop, supporter
    # param supporter: iri = chmid:government/JP ; the organization that supported the events
    # param year: integer ; the year the events started (unset: every year)

A parameter is a variable of the query (``?supporter``) bound to an RDF term when the query runs,
never pasted into the text as the user typed it. A parameter without a default is optional:
unset, the variable stays free and matches anything. Types: see ``PARAMETER_TYPES``. A
``language`` parameter (a BCP 47 tag, the language of labels) is written into the text as a
constant string wherever its variable appears, so that the engine plans each label lookup for
that language (and sees it inside subqueries and nested groups, where a ``VALUES`` block at the
top does not reach); its variable may only be used in expressions.

>>> library = QueryLibrary.load()
>>> query = library["workshops-by-supporter"]
>>> query.title
'Workshops supported by an organization'
>>> query.parameters[0].term("chmid:government/BE")
<NamedNode value=https://w3id.org/chmgraph/id/government/BE>
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.errors import InputError
from chmgraph.query.tokens import tokens, unescaped
from chmgraph.settings import QUERIES_DIR

XSD = iris.PREFIXES["xsd"]
SH = iris.PREFIXES["sh"]
SCHEMA = iris.PREFIXES["schema"]
RDFS = iris.PREFIXES["rdfs"]
RDF_TYPE = iris.PREFIXES["rdf"] + "type"

LIBRARY_IRI = iris.ID + "query-library"
CONTEXT_SUFFIX = ".context.jsonld"
QUERY_BASE = iris.ID + "query/"
PARAMETER_BASE = iris.ID + "query-parameter/"

# The kinds of value a parameter takes, and the datatype of a literal one (None: an IRI).
PARAMETER_TYPES: dict[str, str | None] = {
    "iri": None,
    "country": None,
    "string": XSD + "string",
    "language": XSD + "string",
    "integer": XSD + "integer",
    "decimal": XSD + "decimal",
    "date": XSD + "date",
    "boolean": XSD + "boolean",
}

# The SHACL executable class and query property of each query form; SHACL has none for DESCRIBE,
# whose text goes under schema:text.
_FORMS = {
    "SELECT": (SH + "SPARQLSelectExecutable", SH + "select"),
    "CONSTRUCT": (SH + "SPARQLConstructExecutable", SH + "construct"),
    "ASK": (SH + "SPARQLAskExecutable", SH + "ask"),
    "DESCRIBE": (SH + "SPARQLExecutable", SCHEMA + "text"),
}
_HEADER_LINE = re.compile(r"^#\s*(?P<key>param\s+\w+|[a-z]+)\s*:\s*(?P<value>.*)$")
_CONTINUATION = re.compile(r"^#\s{2,}(?P<value>\S.*)$")
_PARAMETER = re.compile(
    r"^(?P<type>[a-z]+)\s*(?:=\s*(?P<default>[^;]*?))?\s*(?:;\s*(?P<description>.*))?$"
)
# BCP 47's shape (RFC 5646, section 2.1), as SPARQL's LANGTAG has it.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_CASTS = ox.Store()  # an empty store, to evaluate casts with
_REQUIRED_KEYS = ("title", "description", "question")
_KNOWN_KEYS = {*_REQUIRED_KEYS, "keywords"}


@dataclass(frozen=True)
class Parameter:
    """A named input of a query: the variable ``?name``, bound to a term of type ``type``."""

    name: str
    type: str
    default: str | None
    description: str

    @property
    def constant(self) -> bool:
        """Whether the value is written into the text as a constant (a ``language``), rather
        than bound in a ``VALUES`` block."""
        return self.type == "language"

    def term(self, value: str) -> ox.NamedNode | ox.Literal:
        """The RDF term ``value`` (as a user types it) stands for.

        >>> Parameter("year", "integer", None, "").term("2013")
        <Literal value=2013 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
        >>> Parameter("country", "country", None, "").term("cm").value
        'https://w3id.org/chmgraph/id/country/CM'
        """
        if self.type == "string":
            return ox.Literal(value)
        if self.type == "language":
            if not _LANGUAGE_TAG.fullmatch(value.strip()):
                raise InputError(
                    f"parameter {self.name}: {value!r} is not a language tag "
                    "(such as en, fr, pt-BR)"
                )
            return ox.Literal(value.strip())
        value = value.strip()
        if self.type == "country":
            try:
                return ox.NamedNode(iris.country(value))
            except ValueError as exc:
                raise InputError(f"parameter {self.name}: {exc}") from None
        if self.type == "iri":
            return _iri(self.name, value)
        literal = _typed_literal(value, PARAMETER_TYPES[self.type] or "")
        if literal is None:
            raise InputError(f"parameter {self.name}: {value!r} is not a valid {self.type}")
        return literal


@dataclass(frozen=True)
class NamedQuery:
    """One query of the library: its name (the file's stem), header and SPARQL text."""

    name: str
    path: Path | None
    title: str
    description: str
    question: str
    keywords: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    text: str

    @cached_property
    def form(self) -> str:
        """``SELECT``, ``CONSTRUCT``, ``ASK`` or ``DESCRIBE``: the first form keyword."""
        for token in tokens(unescaped(self.text)[0]):
            if token.lastgroup == "word" and token.group().upper() in _FORMS:
                return token.group().upper()
        return "SELECT"

    @cached_property
    def context(self) -> dict | None:
        """The JSON-LD context its CONSTRUCT answers are compacted with: the file
        ``NAME.context.jsonld`` beside the query, if there is one."""
        if self.path is None:
            return None
        beside = self.path.with_name(self.path.stem + CONTEXT_SUFFIX)
        if not beside.is_file():
            return None
        try:
            found = json.loads(beside.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{beside}: cannot read the JSON-LD context: {exc}") from None
        return found.get("@context", found) if isinstance(found, dict) else None

    @property
    def iri(self) -> str:
        """The query's IRI in the network, for its RDF description."""
        return QUERY_BASE + self.name

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``; ``InputError`` naming the known ones otherwise."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        names = [p.name for p in self.parameters]
        known = ", ".join(names) or "none"
        raise InputError(
            f"query {self.name} has no parameter {name!r}{did_you_mean(name, names)} "
            f"(parameters: {known})"
        )

    def matches(self, word: str) -> bool:
        """Whether ``word`` (any case) is in the query's name, title, description, question,
        keywords or parameters' names and descriptions."""
        needle = word.casefold()
        parameters = [f"{p.name} {p.description}" for p in self.parameters]
        fields = [self.name, self.title, self.description, self.question, *self.keywords]
        return any(needle in text.casefold() for text in [*fields, *parameters])

    def bindings(self, values: Mapping[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
        """The terms to bind: ``values`` given by the user, then the parameters' defaults."""
        bound = {name: self.parameter(name).term(value) for name, value in values.items()}
        for parameter in self.parameters:
            if parameter.name not in bound and parameter.default is not None:
                bound[parameter.name] = parameter.term(parameter.default)
        return bound

    @classmethod
    def from_text(cls, text: str, *, name: str = "query", path: Path | None = None) -> NamedQuery:
        """A query from SPARQL text; its header, if any, is parsed, but none is required."""
        header = _parse_header(text, str(path or name))
        for parameter in header.get("parameters", ()):
            if parameter.constant:
                _check_only_in_expressions(text, parameter.name, str(path or name))
        return cls(
            name=name,
            path=path,
            title=header.get("title", ""),
            description=header.get("description", ""),
            question=header.get("question", ""),
            keywords=tuple(k.strip() for k in header.get("keywords", "").split(",") if k.strip()),
            parameters=tuple(header.get("parameters", ())),
            text=text,
        )

    @classmethod
    def from_file(cls, path: str | Path) -> NamedQuery:
        """The query in ``path``; ``InputError`` if unreadable."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read query: {exc}") from None
        return cls.from_text(text, name=path.stem, path=path)


class QueryLibrary:
    """The named queries of a folder (default ``queries/``), by name.

    >>> "supporters-ranked" in QueryLibrary.load().names
    True
    """

    def __init__(self, queries: Mapping[str, NamedQuery]) -> None:
        self._queries = dict(sorted(queries.items()))

    @classmethod
    def load(cls, folder: str | Path = QUERIES_DIR) -> QueryLibrary:
        """Every ``*.rq`` of ``folder``; each must have a title, description and question.

        Read once per process, and again only when a file of ``folder`` changed."""
        files = sorted(Path(folder).glob("*.rq"))
        return _load(tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files))

    @classmethod
    def read(cls, files: Iterable[Path]) -> QueryLibrary:
        """The library of ``files`` (``*.rq``), read now."""
        queries = {}
        for path in files:
            query = NamedQuery.from_file(path)
            missing = [key for key in _REQUIRED_KEYS if not getattr(query, key)]
            if missing:
                raise InputError(f"{path}:1: query header lacks {', '.join(missing)}")
            queries[query.name] = query
        return cls(queries)

    @property
    def names(self) -> list[str]:
        """The queries' names, sorted."""
        return list(self._queries)

    def __iter__(self) -> Iterator[NamedQuery]:
        return iter(self._queries.values())

    def __len__(self) -> int:
        return len(self._queries)

    def __getitem__(self, name: str) -> NamedQuery:
        try:
            return self._queries[name]
        except KeyError:
            raise InputError(
                f"no query named {name!r}{did_you_mean(name, self.names)}; "
                "`chmgraph queries` lists them, `chmgraph queries --search WORD` finds them"
            ) from None

    def search(self, word: str) -> list[NamedQuery]:
        """The queries that mention ``word`` (``NamedQuery.matches``).

        >>> "workshops-by-supporter" in [q.name for q in QueryLibrary.load().search("Sponsor")]
        True
        """
        return [query for query in self if query.matches(word)]

    def resolve(self, name_or_path: str) -> NamedQuery:
        """A library query by name, else the ``.rq`` file at that path."""
        if name_or_path in self._queries:
            return self._queries[name_or_path]
        if name_or_path.endswith(".rq") or Path(name_or_path).is_file():
            return NamedQuery.from_file(name_or_path)
        return self[name_or_path]

    def triples(self) -> list[ox.Triple]:
        """The library described as RDF: each query a SHACL SPARQL executable with schema.org
        metadata, its parameters as ``sh:Parameter``s."""
        library = ox.NamedNode(LIBRARY_IRI)
        triples = [
            ox.Triple(library, ox.NamedNode(RDF_TYPE), ox.NamedNode(SCHEMA + "Collection")),
            ox.Triple(library, ox.NamedNode(RDFS + "label"), _en("The chmgraph query library")),
        ]
        for query in self:
            triples += _describe(query, library)
        return triples

    def serialize(self, format: ox.RdfFormat = ox.RdfFormat.TURTLE) -> bytes:
        """The RDF description of the library in ``format``."""
        prefixes = {k: iris.PREFIXES[k] for k in ("sh", "schema", "rdfs", "xsd", "dcterms")}
        return ox.serialize(self.triples(), format=format, prefixes=prefixes) or b""


def did_you_mean(name: str, known: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the known names closest to a mistyped one, else nothing.

    >>> did_you_mean("workshop-in-year", ["workshops-in-year", "toolkits"])
    " (did you mean 'workshops-in-year'?)"
    """
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def _describe(query: NamedQuery, library: ox.NamedNode) -> list[ox.Triple]:
    node = ox.NamedNode(query.iri)
    executable, query_property = _FORMS[query.form]
    statements: list[tuple[str, ox.NamedNode | ox.Literal | ox.BlankNode]] = [
        (RDF_TYPE, ox.NamedNode(executable)),
        (RDF_TYPE, ox.NamedNode(SH + "SPARQLExecutable")),
        (iris.PREFIXES["dcterms"] + "identifier", ox.Literal(query.name)),
        (RDFS + "label", _en(query.title)),
        (RDFS + "comment", _en(query.description)),
        (SCHEMA + "name", _en(query.title)),
        (SCHEMA + "description", _en(query.description)),
        (SCHEMA + "abstract", _en(query.question)),
        (SCHEMA + "isPartOf", library),
        (query_property, ox.Literal(query.text)),
    ]
    statements += [(SCHEMA + "keywords", _en(k)) for k in query.keywords]
    triples = list(dict.fromkeys(ox.Triple(node, ox.NamedNode(p), o) for p, o in statements))
    for parameter in query.parameters:
        triples += _describe_parameter(node, parameter)
    return triples


def _describe_parameter(query: ox.NamedNode, parameter: Parameter) -> list[ox.Triple]:
    node = ox.BlankNode()
    datatype = PARAMETER_TYPES[parameter.type]
    statements: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        (RDF_TYPE, ox.NamedNode(SH + "Parameter")),
        (SH + "path", ox.NamedNode(PARAMETER_BASE + parameter.name)),
        (SH + "name", ox.Literal(parameter.name)),
        (SH + "description", _en(parameter.description)),
        (
            SH + "optional",
            ox.Literal(
                "true" if parameter.default is None else "false",
                datatype=ox.NamedNode(XSD + "boolean"),
            ),
        ),
        (SH + "nodeKind", ox.NamedNode(SH + ("Literal" if datatype else "IRI"))),
    ]
    if datatype:
        statements.append((SH + "datatype", ox.NamedNode(datatype)))
    if parameter.default is not None:
        statements.append((SH + "defaultValue", parameter.term(parameter.default)))
    return [ox.Triple(query, ox.NamedNode(SH + "parameter"), node)] + [
        ox.Triple(node, ox.NamedNode(p), o) for p, o in statements
    ]


def _parse_header(text: str, where: str) -> dict:
    header: dict = {"parameters": []}
    last: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        continued = _CONTINUATION.match(line)
        if continued and last in _KNOWN_KEYS:
            header[last] += " " + continued.group("value").strip()
            continue
        match = _HEADER_LINE.match(line)
        if not match:
            last = None
            continue
        key, value = match.group("key"), match.group("value").strip()
        if key.startswith("param"):
            header["parameters"].append(_parse_parameter(key.split()[1], value, where, number))
            last = None
        elif key in _KNOWN_KEYS:
            header[key], last = value, key
    return header


def _parse_parameter(name: str, spec: str, where: str, line: int) -> Parameter:
    match = _PARAMETER.match(spec)
    if not match or match.group("type") not in PARAMETER_TYPES:
        known = ", ".join(PARAMETER_TYPES)
        raise InputError(
            f"{where}:{line}: parameter {name}: expected 'TYPE [= DEFAULT] ; DESCRIPTION' "
            f"with TYPE one of {known}"
        )
    default = match.group("default")
    parameter = Parameter(
        name=name,
        type=match.group("type"),
        default=default.strip() if default and default.strip() else None,
        description=(match.group("description") or "").strip(),
    )
    if parameter.default is not None:
        try:
            parameter.term(parameter.default)
        except InputError as exc:
            raise InputError(f"{where}:{line}: default of {exc}") from None
    return parameter


def _check_only_in_expressions(text: str, name: str, where: str) -> None:
    """A constant parameter's variable becomes a value in the text: it may not be selected
    (``SELECT ?lang``) or assigned (``AS ?lang``), where a value is not SPARQL."""
    depth, projecting, previous = 0, False, None
    for token in tokens(text):
        kind, word = token.lastgroup, token.group()
        if kind == "comment":
            continue
        if kind == "word" and word.upper() == "SELECT":
            projecting, depth = True, 0
        elif kind == "open" or (kind == "word" and word.upper() == "WHERE"):
            projecting = False
        elif kind == "other" and word in "()":
            depth += 1 if word == "(" else -1
        elif kind == "var" and word[1:] == name:
            assigned = previous is not None and previous.group().upper() == "AS"
            if assigned or (projecting and depth == 0):
                line = text.count("\n", 0, token.start()) + 1
                raise InputError(
                    f"{where}:{line}: parameter {name} is a language, written into the text as "
                    f"a value: ?{name} may only be used in expressions, not selected or assigned"
                )
        previous = token


def _iri(name: str, value: str) -> ox.NamedNode:
    value = iris.expand(value)
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    try:
        return ox.NamedNode(value)
    except ValueError as exc:
        raise InputError(f"parameter {name}: {value!r} is not an IRI ({exc})") from None


def _typed_literal(value: str, datatype: str) -> ox.Literal | None:
    # pyoxigraph keeps ill-typed literals as they are; a SPARQL cast gives the canonical literal,
    # or nothing when the value is not valid for the datatype. The value is bound, not pasted.
    solutions = _CASTS.query(
        f"SELECT ?value ?typed WHERE {{ BIND(<{datatype}>(?value) AS ?typed) }}",
        substitutions={ox.Variable("value"): ox.Literal(value)},
    )
    typed = next(iter(solutions))["typed"]
    return typed if isinstance(typed, ox.Literal) else None


def _en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


@lru_cache(maxsize=8)
def _load(fingerprint: tuple[tuple[str, int, int], ...]) -> QueryLibrary:
    return QueryLibrary.read(Path(name) for name, _, _ in fingerprint)

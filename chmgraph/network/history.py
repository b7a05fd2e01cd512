"""The history of national graphs: numbered versions and their PROV-O records.

Every accepted version of a country's graph is described in the submissions graph: the version
(``chm:GraphVersion``, ``chmgraph.iris.graph_version``) with its number, triple count, the
SHA-256 of the file as received, the version it revises, its validation summary and its
statements themselves (``chm:archivedContent``, canonical N-Triples: ``archive``); the activity
that produced it (a ``chm:Submission``, or a rollback) with who, when and the steward's message.

Keeping each version as an archive inside its record, rather than as a named graph, leaves every
named graph of the store current, so a query's default graph can be the union of all of them.

>>> s = ox.NamedNode("http://e/s")
>>> text = archive([ox.Triple(s, ox.NamedNode("http://e/p"), ox.BlankNode())])
>>> text.splitlines()
['<http://e/s> <http://e/p> _:c14n0 .']
>>> [str(t) for t in unarchive(text)]
['<http://e/s> <http://e/p> _:c14n0']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.query.text import bind
from chmgraph.sparql import load
from chmgraph.store import GraphStore, Guard

PROV = iris.PREFIXES["prov"]
XSD = iris.PREFIXES["xsd"]


@dataclass(frozen=True)
class VersionRecord:
    """One accepted version of a country's national graph."""

    country: str
    number: int
    iri: str  # the version's own IRI (``chmgraph.iris.graph_version``)
    triples: int
    sha256: str
    when: datetime
    by: str | None
    message: str | None
    validation: str | None
    replaces: int | None
    restored_from: int | None
    # How many warnings validation gave when it was accepted (None: not recorded).
    warnings: int | None = None
    # Where a harvested version came from, as its upstream network stated it.
    source: str | None = None
    upstream_version: int | None = None
    upstream_when: datetime | None = None
    upstream_steward: str | None = None

    @property
    def kind(self) -> str:
        """``submission`` or ``rollback``."""
        return "rollback" if self.restored_from is not None else "submission"


@dataclass(frozen=True)
class Upstream:
    """Where a harvested version came from: the URL actually read (after redirects) and, where
    the upstream network states them, its version of the graph, that version's time and its
    steward. Recorded as a ``prov:Entity`` the activity used (``<version>#upstream``)."""

    url: str
    dataset: str | None = None  # the upstream graph (its dataset IRI)
    version: int | None = None
    when: datetime | None = None
    steward: str | None = None
    listed_in: str | None = None  # the VoID description or change set that led to it


def upstream_quads(country: str, number: int, upstream: Upstream) -> list[ox.Quad]:
    """The PROV-O statements of where version ``number`` was harvested from: ``prov:used`` and
    ``dcterms:source`` name the URL read; the upstream entity carries its version, time,
    steward and dataset."""
    version = ox.NamedNode(iris.graph_version(country, number))
    activity = ox.NamedNode(activity_iri(country, number))
    entity = ox.NamedNode(iris.graph_version(country, number) + "#upstream")
    url = ox.NamedNode(upstream.url)
    dct, dcat = iris.PREFIXES["dcterms"], iris.PREFIXES["dcat"]
    statements: list[tuple[ox.NamedNode | ox.BlankNode, str, ox.NamedNode | ox.Literal]] = [
        (activity, PROV + "used", url),
        (version, dct + "source", url),
        (activity, PROV + "used", entity),
        (version, PROV + "hadPrimarySource", entity),
        (entity, iris.PREFIXES["rdf"] + "type", ox.NamedNode(PROV + "Entity")),
        (entity, dcat + "downloadURL", url),
    ]
    if upstream.dataset:
        statements.append((entity, dct + "isVersionOf", ox.NamedNode(upstream.dataset)))
    if upstream.version is not None:
        statements.append((entity, dcat + "version", ox.Literal(str(upstream.version))))
    if upstream.when is not None:
        statements.append((entity, PROV + "generatedAtTime", _stamp(upstream.when)))
    if upstream.listed_in:
        statements.append(
            (entity, iris.PREFIXES["rdfs"] + "seeAlso", ox.NamedNode(upstream.listed_in))
        )
    if upstream.steward:
        if upstream.steward.startswith(("http://", "https://", "urn:")):
            statements.append((entity, PROV + "wasAttributedTo", ox.NamedNode(upstream.steward)))
        else:
            agent = ox.BlankNode()
            statements += [
                (entity, PROV + "wasAttributedTo", agent),  # type: ignore[list-item]
                (agent, iris.PREFIXES["rdf"] + "type", ox.NamedNode(PROV + "Agent")),
                (agent, iris.PREFIXES["foaf"] + "name", ox.Literal(upstream.steward)),
            ]
    graph = ox.NamedNode(iris.SUBMISSIONS_GRAPH)
    return [ox.Quad(s, ox.NamedNode(p), o, graph) for s, p, o in statements]


def versions(store: GraphStore, country: str) -> list[VersionRecord]:
    """Every accepted version of ``country``'s graph, oldest first."""
    text = bind(load("history"), {"graph": ox.NamedNode(iris.national_graph(country))})
    result = store.query(text, default_graph=[iris.SUBMISSIONS_GRAPH])
    return [_record(country, row) for row in result]


def archived_triples(store: GraphStore, country: str, number: int) -> list[ox.Triple]:
    """The statements of accepted version ``number`` of ``country``'s graph, from its archive."""
    text = bind(load("archive"), {"version": ox.NamedNode(iris.graph_version(country, number))})
    result = store.query(text, default_graph=[iris.SUBMISSIONS_GRAPH])
    rows = list(result)
    return unarchive(rows[0]["content"].value) if rows else []


def archive(triples: Iterable[ox.Triple]) -> str:
    """``triples`` as the text a version archives: N-Triples, one statement a line, blank nodes
    labelled canonically (RDFC-1.0) and lines sorted, so equal graphs archive to equal text."""
    triples = list(triples)
    if any(
        isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples
    ):
        dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        triples = [q.triple for q in dataset]
    # Without blank nodes there is nothing to relabel, and the serializer is 15x faster than
    # building a dataset to canonicalize.
    text = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
    return "".join(sorted(set(text.splitlines(keepends=True))))


def unarchive(text: str) -> list[ox.Triple]:
    """The statements of an archive (``archive``'s text)."""
    return [q.triple for q in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]


def record_quads(
    *,
    country: str,
    number: int,
    triples: int,
    sha256: str,
    when: datetime,
    by: str | None,
    message: str | None,
    validation: str | None,
    content: str,
    warnings: int | None = None,
    restored_from: int | None = None,
    upstream: Upstream | None = None,
) -> list[ox.Quad]:
    """The PROV-O description of a new version, with its statements archived (``content``:
    ``archive``'s text), as quads of the submissions graph; with where it was harvested from
    (``upstream_quads``) for a harvested version."""
    version = ox.NamedNode(iris.graph_version(country, number))
    activity = ox.NamedNode(activity_iri(country, number))
    stamp = _stamp(when)
    kind = iris.vocab("Submission") if restored_from is None else PROV + "Activity"
    statements: list[tuple[ox.NamedNode | ox.BlankNode, str, ox.NamedNode | ox.Literal]] = [
        (version, iris.PREFIXES["rdf"] + "type", ox.NamedNode(iris.vocab("GraphVersion"))),
        (version, iris.vocab("ofGraph"), ox.NamedNode(iris.national_graph(country))),
        (version, iris.vocab("versionNumber"), _typed(number, "positiveInteger")),
        (version, iris.vocab("tripleCount"), _typed(triples, "nonNegativeInteger")),
        (
            version,
            iris.vocab("sha256"),
            ox.Literal(sha256, datatype=ox.NamedNode(XSD + "hexBinary")),
        ),
        (version, iris.vocab("archivedContent"), ox.Literal(content)),
        (version, PROV + "generatedAtTime", stamp),
        (version, PROV + "wasGeneratedBy", activity),
        (activity, iris.PREFIXES["rdf"] + "type", ox.NamedNode(kind)),
        (activity, PROV + "endedAtTime", stamp),
        (activity, PROV + "generated", version),
    ]
    if number > 1:
        previous = ox.NamedNode(iris.graph_version(country, number - 1))
        statements.append((version, PROV + "wasRevisionOf", previous))
    if restored_from is not None:
        source = ox.NamedNode(iris.graph_version(country, restored_from))
        statements.append((version, PROV + "wasDerivedFrom", source))
        statements.append((activity, PROV + "used", source))
    if validation:
        statements.append((version, iris.vocab("validationSummary"), ox.Literal(validation)))
    if warnings is not None:
        statements.append(
            (version, iris.vocab("warningCount"), _typed(warnings, "nonNegativeInteger"))
        )
    if message:
        statements.append((activity, iris.PREFIXES["rdfs"] + "comment", ox.Literal(message)))
    statements += _agent_statements(activity, by)
    graph = ox.NamedNode(iris.SUBMISSIONS_GRAPH)
    quads = [ox.Quad(s, ox.NamedNode(p), o, graph) for s, p, o in statements]
    return quads + (upstream_quads(country, number, upstream) if upstream else [])


def next_version_guard(country: str, number: int, sha256: str, when: datetime) -> Guard:
    """The condition under which version ``number`` of ``country``'s graph is written: no record
    of that version exists yet (the writer read ``number - 1`` as the latest), and the check that
    the record found afterwards is the writer's own (``sha256``, ``when``)."""
    version = iris.graph_version(country, number)
    graph = iris.SUBMISSIONS_GRAPH
    pattern = (
        f"{{ FILTER NOT EXISTS {{ GRAPH <{graph}> {{ <{version}> "
        f"<{iris.vocab('versionNumber')}> ?taken }} }} }}"
    )
    written = bind(
        load("version-written"),
        {
            "version": ox.NamedNode(version),
            "submissions": ox.NamedNode(graph),
            "sha": ox.Literal(sha256, datatype=ox.NamedNode(XSD + "hexBinary")),
            "when": _stamp(when),
        },
    )
    return Guard(pattern, written)


def activity_iri(country: str, number: int) -> str:
    """The activity (submission or rollback) that produced a version.

    >>> activity_iri("CM", 2)
    'https://w3id.org/chmgraph/id/version/CM/2#activity'
    """
    return iris.graph_version(country, number) + "#activity"


def now() -> datetime:
    """The current time in UTC, to the second, as history records it."""
    return datetime.now(UTC).replace(microsecond=0)


def _agent_statements(
    activity: ox.NamedNode, by: str | None
) -> list[tuple[ox.NamedNode | ox.BlankNode, str, ox.NamedNode | ox.Literal]]:
    # ``--by`` is an IRI (an ORCID, a web ID) or a plain name; a name becomes an agent node.
    if not by:
        return []
    if by.startswith(("http://", "https://", "urn:")):
        return [(activity, PROV + "wasAssociatedWith", ox.NamedNode(by))]
    agent = ox.BlankNode()
    return [
        (activity, PROV + "wasAssociatedWith", agent),  # type: ignore[list-item]
        (agent, iris.PREFIXES["rdf"] + "type", ox.NamedNode(PROV + "Agent")),
        (agent, iris.PREFIXES["foaf"] + "name", ox.Literal(by)),
    ]


def _stamp(when: datetime) -> ox.Literal:
    return ox.Literal(when.isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))


def _typed(value: int, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))


def _record(country: str, row: ox.QuerySolution) -> VersionRecord:
    def text(name: str) -> str | None:
        term = row[name]
        return term.value if term is not None else None

    def number_of(name: str) -> int | None:
        value = text(name)
        return int(value.rsplit("/", 1)[1]) if value else None

    agent = row["agent"]
    by = text("name") or (agent.value if isinstance(agent, ox.NamedNode) else None)
    return VersionRecord(
        country=country,
        number=int(row["number"].value),
        iri=row["version"].value,
        triples=int(row["triples"].value),
        sha256=row["sha"].value,
        when=datetime.fromisoformat(row["when"].value),
        by=by,
        message=text("message"),
        validation=text("summary"),
        warnings=int(w) if (w := text("warnings")) is not None else None,
        replaces=number_of("previous"),
        restored_from=number_of("restored"),
        source=text("source"),
        upstream_version=int(up) if (up := text("upstreamVersion")) and up.isdigit() else None,
        upstream_when=datetime.fromisoformat(t) if (t := text("upstreamWhen")) else None,
        upstream_steward=text("upstreamName") or text("upstreamAgent"),
    )

"""What an upstream network says about itself: its VoID description, its change log and the
PROV-O records of its versions, read from the files of its dump.

``Listing`` is a VoID description read: each dataset with the dump to take of it (the smallest
to fetch of the formats that hold one graph, then the quad formats), that dump's SHA-256 and the
dataset's ``dcterms:modified``. ``deletions`` reads ``changes.ttl``; ``latest_versions`` reads
the dumped submissions graph for each national graph's latest version, its time and steward.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime

import pyoxigraph as ox

from chmgraph import iris

VOID_DATA_DUMP = ox.NamedNode(iris.PREFIXES["void"] + "dataDump")
# Which of a dataset's dumps to take: the smallest to fetch of the formats that hold one graph,
# then the quad formats.
_DUMP_PREFERENCE = (".ttl.gz", ".nt.gz", ".ttl", ".nt", ".trig.gz", ".nq.gz", ".trig", ".nq")

_DUMPS = """
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX spdx: <http://spdx.org/rdf/terms#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?dataset ?url ?sha ?modified WHERE {
  ?dataset void:dataDump ?url .
  OPTIONAL { ?file dcat:downloadURL ?url ; spdx:checksum/spdx:checksumValue ?sha }
  OPTIONAL { ?dataset dcterms:modified ?modified }
}
"""
_CHANGE_LOG = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?log WHERE { ?catalog rdfs:seeAlso ?log FILTER(STRENDS(STR(?log), "changes.ttl")) }
"""
_DELETIONS = """
PREFIX adms: <http://www.w3.org/ns/adms#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?graph ?set ?number WHERE {
  ?record foaf:primaryTopic ?graph ;
          adms:status <http://purl.org/adms/changetype/deleted> ;
          dcterms:isPartOf ?set .
  ?set dcterms:identifier ?number .
}
"""
_LATEST_VERSIONS = """
PREFIX chm: <https://w3id.org/chmgraph/vocab#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?graph ?version ?number ?when ?agent ?name WHERE {
  ?version chm:ofGraph ?graph ; chm:versionNumber ?number ; prov:generatedAtTime ?when .
  OPTIONAL { ?version prov:wasGeneratedBy/prov:wasAssociatedWith ?agent
             OPTIONAL { ?agent foaf:name ?name } }
}
"""


@dataclass(frozen=True)
class ListedDump:
    """A dataset of a VoID description and the dump of it to take."""

    dataset: str
    url: str
    sha256: str | None
    modified: datetime | None


@dataclass(frozen=True)
class UpstreamVersion:
    """A version as its own network's records state it."""

    iri: str
    number: int
    when: datetime | None
    steward: str | None


@dataclass
class Listing:
    """A VoID description read: its datasets' chosen dumps, and the link to its change log."""

    url: str
    dumps: dict[str, ListedDump] = field(default_factory=dict)  # dataset IRI -> dump
    change_log: str | None = None

    @classmethod
    def of(cls, quads: list[ox.Quad], url: str) -> Listing:
        store = ox.Store()
        store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
        found: dict[str, list[ListedDump]] = {}
        for row in store.query(_DUMPS):
            link = urllib.parse.urljoin(url, row["url"].value)
            sha = row["sha"].value.lower() if row["sha"] is not None else None
            modified = _datetime(row["modified"].value) if row["modified"] is not None else None
            dataset = row["dataset"].value
            found.setdefault(dataset, []).append(ListedDump(dataset, link, sha, modified))
        listing = cls(url)
        for dataset, dumps in found.items():
            listing.dumps[dataset] = min(dumps, key=lambda d: _preference(d.url))
        logs = [urllib.parse.urljoin(url, r["log"].value) for r in store.query(_CHANGE_LOG)]
        listing.change_log = min(logs) if logs else None
        return listing

    @property
    def national(self) -> dict[str, ListedDump]:
        """The national graphs listed, by graph IRI."""
        return {g: d for g, d in self.dumps.items() if iris.country_of_graph(g)}


def is_void(quads: list[ox.Quad]) -> bool:
    """Whether a source is a VoID description (it links datasets to their dumps)."""
    return any(q.predicate == VOID_DATA_DUMP for q in quads)


def deletions(quads: list[ox.Quad]) -> dict[str, str]:
    """The graphs a change log says were deleted, with the change set that last did (graph IRI
    -> change set IRI)."""
    store = ox.Store()
    store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    last: dict[str, tuple[int, str]] = {}
    for row in store.query(_DELETIONS):
        number = int(row["number"].value) if row["number"].value.isdigit() else 0
        graph = row["graph"].value
        if graph not in last or last[graph][0] < number:
            last[graph] = (number, row["set"].value)
    return {graph: change_set for graph, (_, change_set) in last.items()}


def latest_versions(quads: list[ox.Quad]) -> dict[str, UpstreamVersion]:
    """Each national graph's latest version as the upstream submissions graph records it."""
    store = ox.Store()
    store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    latest: dict[str, UpstreamVersion] = {}
    for row in store.query(_LATEST_VERSIONS):
        if not row["number"].value.isdigit():
            continue
        graph, number = row["graph"].value, int(row["number"].value)
        if graph in latest and latest[graph].number >= number:
            continue
        agent = row["agent"]
        steward = row["name"].value if row["name"] is not None else None
        if steward is None and isinstance(agent, ox.NamedNode):
            steward = agent.value
        latest[graph] = UpstreamVersion(
            row["version"].value, number, _datetime(row["when"].value), steward
        )
    return latest


def _preference(url: str) -> tuple[int, str]:
    path = urllib.parse.urlparse(url).path
    for rank, suffix in enumerate(_DUMP_PREFERENCE):
        if path.endswith(suffix):
            return rank, url
    return len(_DUMP_PREFERENCE), url


def _datetime(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None

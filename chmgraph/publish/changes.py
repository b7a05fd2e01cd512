"""The change log of a dump directory: which graphs each dump added, replaced or removed.

``changes.ttl`` keeps every change set since the first dump in the directory, so a harvester that
missed some dumps still learns of every deletion. Change set ``n`` is ``<{dump_base_url}
changes.ttl#n>`` (a ``prov:Activity``, ``prov:wasInformedBy`` set ``n-1``); each changed graph is
a ``dcat:CatalogRecord`` whose ``foaf:primaryTopic`` is the graph and whose ``adms:status`` is an
ADMS change type (``created``, ``updated``, ``deleted``), with the SHA-256 of the graph's new
Turtle file. A dump that changes nothing adds no change set, so the file keeps its bytes.

The previous state is read from the directory's own ``void.ttl`` (the SHA-256 of each graph's
Turtle file), so no other state is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.errors import ChmgraphError
from chmgraph.publish.describe import last_submissions
from chmgraph.publish.files import CHANGES_FILE, VOID_FILE, Dump, graph_file
from chmgraph.rdfio import read_quads
from chmgraph.settings import Settings
from chmgraph.store import GraphStore

CHANGE_TYPE = "http://purl.org/adms/changetype/"
ADMS_STATUS = "http://www.w3.org/ns/adms#status"
RDF_TYPE = iris.PREFIXES["rdf"] + "type"
DCAT = iris.PREFIXES["dcat"]
DCT = iris.PREFIXES["dcterms"]
PROV = iris.PREFIXES["prov"]
FOAF = iris.PREFIXES["foaf"]
SHA256 = iris.vocab("sha256")

_PREVIOUS_GRAPHS = """
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX spdx: <http://spdx.org/rdf/terms#>
SELECT ?graph ?sha WHERE {
  ?network void:subset ?graph .
  ?graph dcat:distribution ?file .
  ?file dcat:mediaType <https://www.iana.org/assignments/media-types/text/turtle> ;
        spdx:checksum/spdx:checksumValue ?sha .
  FILTER NOT EXISTS { ?file dcat:compressFormat ?compression }
}
"""


@dataclass
class Previous:
    """The state of a dump directory before a new dump: its graphs and change log."""

    graphs: dict[str, str] = field(default_factory=dict)  # graph IRI -> SHA-256 of its Turtle
    log: list[ox.Triple] = field(default_factory=list)
    change_sets: int = 0

    @property
    def files(self) -> list[str]:
        """The per-graph files the previous dump wrote."""
        paths = [graph_file(g) for g in self.graphs]
        return [p for path in paths for p in (path, path + ".gz")]


@dataclass(frozen=True)
class Changes:
    """Graphs added, replaced and removed by a dump."""

    added: list[str]
    replaced: list[str]
    removed: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.replaced or self.removed)


def read_previous(out: Path) -> Previous:
    """What the dump directory ``out`` held (nothing if it holds no dump)."""
    previous = Previous()
    void = out / VOID_FILE
    if void.is_file():
        store = ox.Store()
        store.extend(_read(void))
        for row in store.query(_PREVIOUS_GRAPHS):
            previous.graphs[row["graph"].value] = row["sha"].value
    log = out / CHANGES_FILE
    if log.is_file():
        previous.log = [q.triple for q in _read(log)]
        previous.change_sets = sum(
            1
            for t in previous.log
            if t.predicate.value == RDF_TYPE and t.object.value == PROV + "Activity"
        )
    return previous


def compare(previous: Previous, dump: Dump) -> Changes:
    """The graphs ``dump`` added, replaced and removed relative to ``previous``."""
    now = _turtle_digests(dump)
    return Changes(
        added=sorted(g for g in now if g not in previous.graphs),
        replaced=sorted(g for g in now if g in previous.graphs and previous.graphs[g] != now[g]),
        removed=sorted(g for g in previous.graphs if g not in now),
    )


def change_log(
    previous: Previous, dump: Dump, *, store: GraphStore, settings: Settings
) -> list[ox.Triple]:
    """The change log after ``dump``: the previous log, plus a change set if anything changed."""
    changes = compare(previous, dump)
    if not changes:
        return previous.log
    number = previous.change_sets + 1
    change_set = _change_set_iri(settings, number)
    triples = [
        _triple(change_set, RDF_TYPE, ox.NamedNode(PROV + "Activity")),
        _triple(change_set, DCT + "identifier", ox.Literal(str(number))),
    ]
    if number > 1:
        earlier = ox.NamedNode(_change_set_iri(settings, number - 1))
        triples.append(_triple(change_set, PROV + "wasInformedBy", earlier))
    digests = _turtle_digests(dump)
    modified = last_submissions(store)
    for status, graphs in (
        ("created", changes.added),
        ("updated", changes.replaced),
        ("deleted", changes.removed),
    ):
        for graph in graphs:
            record = f"{change_set}/{graph_file(graph)}"
            triples += [
                _triple(record, RDF_TYPE, ox.NamedNode(DCAT + "CatalogRecord")),
                _triple(record, DCT + "isPartOf", ox.NamedNode(change_set)),
                _triple(record, FOAF + "primaryTopic", ox.NamedNode(graph)),
                _triple(record, ADMS_STATUS, ox.NamedNode(CHANGE_TYPE + status)),
            ]
            if graph in digests:
                value = ox.Literal(digests[graph], datatype=ox.NamedNode(_XSD_HEX))
                triples.append(_triple(record, SHA256, value))
            if graph in modified:
                stamp = ox.Literal(modified[graph].isoformat(), datatype=ox.NamedNode(_XSD_TIME))
                triples.append(_triple(record, DCT + "modified", stamp))
    return previous.log + triples


_XSD_HEX = iris.PREFIXES["xsd"] + "hexBinary"
_XSD_TIME = iris.PREFIXES["xsd"] + "dateTime"


def _change_set_iri(settings: Settings, number: int) -> str:
    return f"{settings.dump_base_url}{CHANGES_FILE}#{number}"


def _turtle_digests(dump: Dump) -> dict[str, str]:
    return {f.graph: f.sha256 for f in dump.files if f.graph and not f.compressed}


def _triple(subject: str, predicate: str, obj: ox.NamedNode | ox.Literal) -> ox.Triple:
    return ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), obj)


def _read(path: Path) -> list[ox.Quad]:
    try:
        return read_quads(path)
    except ChmgraphError as exc:
        raise ChmgraphError(
            f"{exc} (the dump directory holds a damaged {path.name}; remove it to start afresh)"
        ) from None

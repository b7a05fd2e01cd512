"""What a dump holds, in VoID and DCAT-AP 3: the ``void.ttl`` a harvester reads first.

Each dumped graph is a ``void:Dataset`` and ``dcat:Dataset`` named by its graph IRI, a subset of
the network dataset; the catalogue lists them all. Each file of the dump is a ``dcat:Distribution``
with its download URL (under the ``dump_base_url`` setting), media type, byte size and SHA-256.
``dcterms:modified`` is the time of the last accepted submission of a graph (for the network: of
any graph), never the dump time, so describing an unchanged network gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.publish.files import (
    CHANGES_FILE,
    INFERRED_NQUADS,
    INFERRED_TRIG,
    NETWORK_NQUADS,
    NETWORK_TRIG,
    NOT_DUMPED_PROPERTIES,
    Dump,
    DumpFile,
    graph_file,
    inferred_graphs,
)
from chmgraph.rdfio import read_quads
from chmgraph.settings import Settings
from chmgraph.store import GraphStore, OxigraphStore

ADMS = "http://www.w3.org/ns/adms#"
DCATAP = "http://data.europa.eu/r5r/"
SPDX = "http://spdx.org/rdf/terms#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
PREFIXES = {**iris.PREFIXES, "adms": ADMS, "dcatap": DCATAP, "spdx": SPDX, "vcard": VCARD}

RDF = iris.PREFIXES["rdf"]
_OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = iris.PREFIXES["xsd"]
DCT = iris.PREFIXES["dcterms"]
DCAT = iris.PREFIXES["dcat"]
VOID = iris.PREFIXES["void"]
FOAF = iris.PREFIXES["foaf"]
PROV = iris.PREFIXES["prov"]

_IANA = "https://www.iana.org/assignments/media-types/"
_EU = "http://publications.europa.eu/resource/authority/"
# The EU file-type authority's name for each media type a dump uses (DCAT-AP dct:format).
_FILE_TYPES = {
    "text/turtle": "RDF_TURTLE",
    "application/trig": "RDF_TRIG",
    "application/n-quads": "RDF_N_QUADS",
}
_W3C_FORMATS = {
    "text/turtle": "http://www.w3.org/ns/formats/Turtle",
    "application/trig": "http://www.w3.org/ns/formats/TriG",
    "application/n-quads": "http://www.w3.org/ns/formats/N-Quads",
}
# The six UN languages of the network's labels, in the EU language authority.
_LANGUAGES = ("ARA", "ENG", "FRA", "RUS", "SPA", "ZHO")
_THEME = _EU + "data-theme/ENVI"
# The licences a deployment is likely to choose, by family name and version: catalogues such as
# CKAN's licence register match a licence by that name.
_LICENCE_TITLES = {
    "creativecommons.org/licenses/by/4.0": ("Creative Commons Attribution", "4.0"),
    "creativecommons.org/licenses/by-sa/4.0": ("Creative Commons Attribution Share-Alike", "4.0"),
    "creativecommons.org/publicdomain/zero/1.0": ("CC0", "1.0"),
}
_KEYWORDS = ("biodiversity", "clearing-house mechanism", "Convention on Biological Diversity")

_TITLES = {
    iris.ONTOLOGY_GRAPH: "The chmgraph vocabulary",
    iris.REFERENCE_GRAPH: "Reference data: countries, UN M49 areas, UN regional groups, cities",
    iris.CBD_GRAPH: "Facts of the CBD Secretariat's page on establishing national CHMs",
    iris.SUBMISSIONS_GRAPH: "Provenance of every accepted national submission",
    iris.QUERIES_GRAPH: "The query library of the CHM network",
    iris.INFERRED_GRAPH: "What the vocabulary entails from the network's graphs",
}

# A national graph changes with each accepted version; the network's own graphs carry the time
# they were last loaded (dcterms:modified, stamped by ``chmgraph init``).
_LAST_SUBMISSIONS = """
PREFIX chm: <https://w3id.org/chmgraph/vocab#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?graph (MAX(?when) AS ?last) WHERE {
  { ?version chm:ofGraph ?graph ; prov:generatedAtTime ?when }
  UNION { ?graph dcterms:modified ?when }
}
GROUP BY ?graph
"""
# The names the description is written with, in the network's six languages: each country's
# preferred name (reference graph), and the vocabulary's own labels (ontology graph).
_COUNTRY_NAMES = """
PREFIX chm: <https://w3id.org/chmgraph/vocab#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?code ?name WHERE {
  ?country a chm:Country ; skos:notation ?code ; skos:prefLabel ?name .
  FILTER(DATATYPE(?code) = chm:ISO3166Alpha2)
}
"""
_TERM_LABELS = """
PREFIX chm: <https://w3id.org/chmgraph/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?term ?label WHERE {
  VALUES ?term { chm:NationalCHM chm:GraphVersion }
  ?term rdfs:label ?label
}
"""
_LATEST_VERSIONS = """
PREFIX chm: <https://w3id.org/chmgraph/vocab#>
SELECT ?graph (MAX(?number) AS ?latest) WHERE {
  ?version chm:ofGraph ?graph ; chm:versionNumber ?number
} GROUP BY ?graph
"""
_LANGS = ("ar", "en", "es", "fr", "ru", "zh")
_ENTITIES = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?s)) }"
_CLASSES = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c"
_PROPERTIES = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"
# The same, for each graph at once: three passes over the data instead of three per graph.
_GRAPH_ENTITIES = """SELECT ?g (COUNT(DISTINCT ?s) AS ?n)
WHERE { GRAPH ?g { ?s ?p ?o FILTER(isIRI(?s)) } } GROUP BY ?g"""
_GRAPH_CLASSES = """SELECT ?g ?c (COUNT(DISTINCT ?s) AS ?n)
WHERE { GRAPH ?g { ?s a ?c FILTER(isIRI(?c)) } } GROUP BY ?g ?c"""
_GRAPH_PROPERTIES = """SELECT ?g ?p (COUNT(*) AS ?n)
WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ?p"""


@dataclass(frozen=True)
class Names:
    """What the description names things with: country names and the vocabulary's labels by
    language, and each graph's latest version number."""

    countries: dict[str, dict[str, str]]  # alpha-2 code -> language -> name
    labels: dict[str, dict[str, str]]  # term IRI -> language -> label
    versions: dict[str, int]  # graph IRI -> latest version number

    @classmethod
    def of(cls, store: GraphStore) -> Names:
        graphs = set(store.graphs())
        countries: dict[str, dict[str, str]] = {}
        if iris.REFERENCE_GRAPH in graphs:
            for row in store.query(_COUNTRY_NAMES, default_graph=[iris.REFERENCE_GRAPH]):
                name = row["name"]
                if isinstance(name, ox.Literal) and name.language in _LANGS:
                    countries.setdefault(row["code"].value, {})[name.language] = name.value
        labels: dict[str, dict[str, str]] = {}
        if iris.ONTOLOGY_GRAPH in graphs:
            for row in store.query(_TERM_LABELS, default_graph=[iris.ONTOLOGY_GRAPH]):
                label = row["label"]
                if isinstance(label, ox.Literal) and label.language in _LANGS:
                    labels.setdefault(row["term"].value, {})[label.language] = label.value
        versions: dict[str, int] = {}
        if iris.SUBMISSIONS_GRAPH in graphs:
            result = store.query(_LATEST_VERSIONS, default_graph=[iris.SUBMISSIONS_GRAPH])
            versions = {r["graph"].value: int(r["latest"].value) for r in result}
        return cls(countries, labels, versions)

    def national_titles(self, code: str) -> dict[str, tuple[str, str]]:
        """A national graph's title and description in each language that has both the
        country's name and the vocabulary's labels (English at least, from the code)."""
        chm = self.labels.get(iris.vocab("NationalCHM"), {})
        version = self.labels.get(iris.vocab("GraphVersion"), {})
        number = self.versions.get(iris.national_graph(code))
        found: dict[str, tuple[str, str]] = {}
        for lang, name in self.countries.get(code, {}).items():
            if lang in chm and lang in version:
                title = f"{chm[lang][:1].upper()}{chm[lang][1:]}: {name}"
                described = f"{name}: {chm[lang]}, {version[lang]} {number or ''}".rstrip()
                found[lang] = (title, described)
        if "en" not in found:
            found["en"] = (
                f"National clearing-house mechanism graph {code}",
                f"The current accepted submission of the national graph of {code}.",
            )
        return found


@dataclass(frozen=True)
class Statistics:
    """VoID statistics of a graph or of the network."""

    triples: int
    entities: int
    classes: dict[str, int]  # class IRI -> instances
    properties: dict[str, int]  # property IRI -> triples

    def vocabularies(self) -> list[str]:
        """The namespaces of the classes and properties used, sorted."""
        spaces = {_namespace(term) for term in [*self.classes, *self.properties]}
        return sorted(space for space in spaces if space)


def statistics(store: GraphStore, graphs: Sequence[str]) -> Statistics:
    """The VoID statistics of the union of ``graphs``.

    >>> with OxigraphStore(None) as store:
    ...     store.add([ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode(RDF + "type"),
    ...                        ox.NamedNode("http://e/C"), ox.NamedNode("http://e/g"))])
    ...     statistics(store, ["http://e/g"]).classes
    {'http://e/C': 1}
    """

    def rows(sparql: str) -> list[ox.QuerySolution]:
        return list(store.query(sparql, default_graph=list(graphs)))

    entities = int(rows(_ENTITIES)[0]["n"].value)
    classes = {r["c"].value: int(r["n"].value) for r in rows(_CLASSES)}
    every = {r["p"].value: int(r["n"].value) for r in rows(_PROPERTIES)}
    properties = _dumped(every)
    left_out = sum(every.values()) - sum(properties.values())
    triples = sum(store.count(g) for g in graphs) - left_out
    return Statistics(triples, entities, dict(sorted(classes.items())), properties)


def _dumped(properties: dict[str, int]) -> dict[str, int]:
    """The property counts of what a dump holds (archives of past versions left out)."""
    return {p: n for p, n in properties.items() if p not in NOT_DUMPED_PROPERTIES}


def graph_statistics(store: GraphStore, graphs: Sequence[str]) -> dict[str, Statistics]:
    """The VoID statistics of each of ``graphs`` (graph IRI -> statistics)."""

    def rows(sparql: str) -> list[ox.QuerySolution]:
        return list(store.query(sparql, named_graphs=list(graphs)))

    entities = {r["g"].value: int(r["n"].value) for r in rows(_GRAPH_ENTITIES)}
    classes: dict[str, dict[str, int]] = {g: {} for g in graphs}
    for r in rows(_GRAPH_CLASSES):
        classes[r["g"].value][r["c"].value] = int(r["n"].value)
    properties: dict[str, dict[str, int]] = {g: {} for g in graphs}
    for r in rows(_GRAPH_PROPERTIES):
        properties[r["g"].value][r["p"].value] = int(r["n"].value)
    return {
        g: Statistics(
            sum(_dumped(properties[g]).values()),
            entities.get(g, 0),
            dict(sorted(classes[g].items())),
            _dumped(properties[g]),
        )
        for g in graphs
    }


def last_submissions(store: GraphStore) -> dict[str, datetime]:
    """The time of the last accepted submission (or load) of each graph that has one."""
    if iris.SUBMISSIONS_GRAPH not in store.graphs():
        return {}
    result = store.query(_LAST_SUBMISSIONS, default_graph=[iris.SUBMISSIONS_GRAPH])
    return {row["graph"].value: _datetime(row["last"].value) for row in result}


def _datetime(text: str) -> datetime:
    # SPARQL writes UTC as "Z", which datetime.fromisoformat reads only from Python 3.11 on.
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def catalog_iri(settings: Settings) -> str:
    """The catalogue of a deployment's dumps."""
    return settings.dump_base_url + "void.ttl#catalog"


def network_iri(settings: Settings) -> str:
    """The dataset of the whole network, as a deployment dumps it."""
    return settings.dump_base_url + "void.ttl#network"


def describe_dump(store: GraphStore, dump: Dump, *, settings: Settings) -> list[ox.Triple]:
    """The VoID and DCAT-AP description of ``dump`` (written as ``void.ttl``)."""
    out = _Triples()
    names = Names.of(store)
    modified = last_submissions(store)
    last = max(modified.values(), default=None)
    network = network_iri(settings)
    _catalog(out, network, last, settings)
    _dataset(out, network, statistics(store, dump.graphs), last, settings, names)
    for item in dump.files:
        if item.path.startswith((NETWORK_TRIG, NETWORK_NQUADS)):
            _distribution(out, network, item, settings)
    inferred = inferred_graphs(store)
    if inferred:
        # Derived data, described as a dataset of its own: not a subset of the network's.
        out.link(catalog_iri(settings), DCAT + "dataset", iris.INFERRED_GRAPH)
        out.link(iris.INFERRED_GRAPH, PROV + "wasDerivedFrom", network)
        _dataset(out, iris.INFERRED_GRAPH, statistics(store, inferred), last, settings, names)
        for item in dump.files:
            if item.path.startswith((INFERRED_TRIG, INFERRED_NQUADS)):
                _distribution(out, iris.INFERRED_GRAPH, item, settings)
    per_graph = graph_statistics(store, dump.graphs)
    for graph in sorted({f.graph for f in dump.files if f.graph}):
        out.link(catalog_iri(settings), DCAT + "dataset", graph)
        out.link(network, VOID + "subset", graph)
        stats = per_graph[graph] if graph in per_graph else _file_statistics(dump, graph)
        _dataset(out, graph, stats, modified.get(graph), settings, names)
        for item in dump.files:
            if item.graph == graph:
                _distribution(out, graph, item, settings)
    return out.triples


def _catalog(out: _Triples, network: str, last: datetime | None, settings: Settings) -> None:
    catalog = catalog_iri(settings)
    out.add(catalog, RDF + "type", ox.NamedNode(DCAT + "Catalog"))
    out.text(catalog, DCT + "title", "Linked data of the CHM network")
    out.text(
        catalog,
        DCT + "description",
        "Dumps of the named graphs of the Clearing-House Mechanism network of the Convention on "
        "Biological Diversity: vocabulary, reference data, the Secretariat's facts and national "
        "graphs, in Turtle, TriG and N-Quads.",
    )
    out.link(catalog, FOAF + "homepage", settings.dump_base_url)
    out.add(settings.dump_base_url, RDF + "type", ox.NamedNode(FOAF + "Document"))
    out.link(catalog, DCT + "license", settings.dump_license)
    _license(out, settings)
    out.link(catalog, DCAT + "themeTaxonomy", _EU + "data-theme")
    # The EU data themes and the one used, named as the EU vocabulary names them.
    out.add(_EU + "data-theme", RDF + "type", ox.NamedNode(SKOS + "ConceptScheme"))
    out.text(_EU + "data-theme", DCT + "title", "Data theme")
    out.add(_THEME, RDF + "type", ox.NamedNode(SKOS + "Concept"))
    out.text(_THEME, SKOS + "prefLabel", "Environment")
    out.link(_THEME, SKOS + "inScheme", _EU + "data-theme")
    for code in _LANGUAGES:
        out.link(catalog, DCT + "language", _EU + "language/" + code)
        out.add(_EU + "language/" + code, RDF + "type", ox.NamedNode(DCT + "LinguisticSystem"))
    out.time(catalog, DCT + "modified", last)
    out.link(catalog, iris.PREFIXES["rdfs"] + "seeAlso", settings.dump_base_url + CHANGES_FILE)
    out.link(catalog, DCAT + "dataset", network)
    _agent(out, catalog, settings)


def _dataset(
    out: _Triples,
    dataset: str,
    stats: Statistics,
    when: datetime | None,
    settings: Settings,
    names: Names,
) -> None:
    out.add(dataset, RDF + "type", ox.NamedNode(VOID + "Dataset"))
    out.add(dataset, RDF + "type", ox.NamedNode(DCAT + "Dataset"))
    country = iris.country_of_graph(dataset)
    if country:
        for lang, (title, description) in sorted(names.national_titles(country).items()):
            out.text(dataset, DCT + "title", title, lang)
            out.text(dataset, DCT + "description", description, lang)
    else:
        title, description = _title(dataset)
        out.text(dataset, DCT + "title", title)
        out.text(dataset, DCT + "description", description)
    version = names.versions.get(dataset)
    if version is not None:
        # DCAT 3 names the version dcat:version; DCAT-AP 2 consumers read owl:versionInfo.
        out.add(dataset, DCAT + "version", ox.Literal(str(version)))
        out.add(dataset, _OWL + "versionInfo", ox.Literal(str(version)))
        out.link(dataset, DCAT + "hasCurrentVersion", iris.graph_version(country or "", version))
    out.time(dataset, DCT + "modified", when)
    out.link(dataset, DCT + "license", settings.dump_license)
    out.link(dataset, DCAT + "theme", _THEME)
    for keyword in _KEYWORDS:
        out.text(dataset, DCAT + "keyword", keyword)
    if country:
        out.link(dataset, DCT + "spatial", iris.country(country))
        out.add(iris.country(country), RDF + "type", ox.NamedNode(DCT + "Location"))
    _agent(out, dataset, settings)
    _contact(out, dataset, settings)
    out.number(dataset, VOID + "triples", stats.triples)
    out.number(dataset, VOID + "entities", stats.entities)
    out.number(dataset, VOID + "classes", len(stats.classes))
    out.number(dataset, VOID + "properties", len(stats.properties))
    for vocabulary in stats.vocabularies():
        out.link(dataset, VOID + "vocabulary", vocabulary)
    for cls, count in stats.classes.items():
        partition = ox.BlankNode()
        out.add(dataset, VOID + "classPartition", partition)
        out.add(partition, VOID + "class", ox.NamedNode(cls))
        out.number(partition, VOID + "entities", count)
    for prop, count in stats.properties.items():
        partition = ox.BlankNode()
        out.add(dataset, VOID + "propertyPartition", partition)
        out.add(partition, VOID + "property", ox.NamedNode(prop))
        out.number(partition, VOID + "triples", count)


def _distribution(out: _Triples, dataset: str, item: DumpFile, settings: Settings) -> None:
    url = settings.dump_base_url + item.path
    node = url + "#distribution"
    out.link(dataset, VOID + "dataDump", url)
    out.link(dataset, DCAT + "distribution", node)
    out.add(node, RDF + "type", ox.NamedNode(DCAT + "Distribution"))
    kind = "gzip-compressed " if item.compressed else ""
    out.text(node, DCT + "title", item.path)
    out.text(node, DCT + "description", f"{kind}{_FILE_TYPES[item.media_type]} dump")
    out.link(node, DCAT + "accessURL", url)
    out.link(node, DCAT + "downloadURL", url)
    out.link(node, DCAT + "mediaType", _IANA + item.media_type)
    out.add(_IANA + item.media_type, RDF + "type", ox.NamedNode(DCT + "MediaType"))
    file_type = _EU + "file-type/" + _FILE_TYPES[item.media_type]
    out.link(node, DCT + "format", file_type)
    out.add(file_type, RDF + "type", ox.NamedNode(DCT + "MediaTypeOrExtent"))
    out.link(node, DCT + "conformsTo", _W3C_FORMATS[item.media_type])
    out.add(_W3C_FORMATS[item.media_type], RDF + "type", ox.NamedNode(DCT + "Standard"))
    if item.compressed:
        out.link(node, DCAT + "compressFormat", _IANA + "application/gzip")
        out.add(_IANA + "application/gzip", RDF + "type", ox.NamedNode(DCT + "MediaType"))
    out.link(node, DCT + "license", settings.dump_license)
    out.link(node, DCATAP + "availability", _EU + "planned-availability/STABLE")
    out.number(node, DCAT + "byteSize", item.size)
    checksum = ox.BlankNode()
    out.add(node, SPDX + "checksum", checksum)
    out.add(checksum, RDF + "type", ox.NamedNode(SPDX + "Checksum"))
    out.link(checksum, SPDX + "algorithm", SPDX + "checksumAlgorithm_sha256")
    out.add(checksum, SPDX + "checksumValue", ox.Literal(item.sha256, datatype=_xsd("hexBinary")))


def _agent(out: _Triples, subject: str, settings: Settings) -> None:
    out.link(subject, DCT + "publisher", settings.dump_publisher)
    out.add(settings.dump_publisher, RDF + "type", ox.NamedNode(FOAF + "Agent"))
    out.text(settings.dump_publisher, FOAF + "name", settings.dump_publisher_name)


def _contact(out: _Triples, subject: str, settings: Settings) -> None:
    contact = settings.dump_publisher + "#contact"
    out.link(subject, DCAT + "contactPoint", contact)
    out.add(contact, RDF + "type", ox.NamedNode(VCARD + "Organization"))
    out.add(contact, RDF + "type", ox.NamedNode(VCARD + "Kind"))  # for readers without RDFS
    out.text(contact, VCARD + "fn", settings.dump_publisher_name)
    out.link(contact, VCARD + "hasURL", settings.dump_base_url)
    if settings.dump_contact_email:
        out.link(contact, VCARD + "hasEmail", "mailto:" + settings.dump_contact_email)


def _license(out: _Triples, settings: Settings) -> None:
    """The licence as a ``dcterms:LicenseDocument`` with its name, so a consumer that matches
    licences by title (CKAN) finds it too."""
    license_iri = settings.dump_license
    out.add(license_iri, RDF + "type", ox.NamedNode(DCT + "LicenseDocument"))
    known = _LICENCE_TITLES.get(license_iri.rstrip("/").removeprefix("https://"))
    if known:
        out.text(license_iri, DCT + "title", known[0])
        out.add(license_iri, DCT + "hasVersion", ox.Literal(known[1]))


def _title(dataset: str) -> tuple[str, str]:
    if dataset.endswith("#network"):
        return "The CHM network", "Every dumped graph of the network, as one dataset."
    country = iris.country_of_graph(dataset)
    if country:
        return (
            f"National clearing-house mechanism graph {country}",
            f"The current accepted submission of the national graph of {country}.",
        )
    if dataset == iris.INFERRED_GRAPH:
        return _TITLES[dataset], (
            "The triples the vocabulary's subclass, subproperty, inverse and symmetric axioms "
            "entail from each graph, one inferred graph per source graph (derived data: load it "
            "beside the graphs to answer the query library as the network does)."
        )
    title = _TITLES.get(dataset, f"Graph {dataset}")
    return title, f"The named graph {dataset} of the CHM network."


def _file_statistics(dump: Dump, graph: str) -> Statistics:
    # A file not backed by a store graph (the query library read from queries/): its own triples.
    with OxigraphStore(None) as scratch:
        path = dump.out / _turtle_file_of(dump, graph)
        scratch.add(read_quads(path, default_graph=ox.NamedNode(graph)))
        return statistics(scratch, [graph])


def _turtle_file_of(dump: Dump, graph: str) -> str:
    """The uncompressed Turtle file of ``graph`` in ``dump``."""
    for item in dump.files:
        if item.graph == graph and not item.compressed:
            return item.path
    return graph_file(graph)


def _namespace(term: str) -> str | None:
    """The namespace of a term IRI: up to its last ``#`` or ``/`` (None if it has neither past
    its scheme, as ``urn:x``).

    >>> _namespace("https://schema.org/startDate"), _namespace("urn:x")
    ('https://schema.org/', None)
    """
    cut = max(term.rfind("#"), term.rfind("/"))
    return term[: cut + 1] if cut > term.find(":") + 2 else None


def _xsd(name: str) -> ox.NamedNode:
    return ox.NamedNode(XSD + name)


class _Triples:
    """Collects the description's triples, with shorthands for IRIs, texts, numbers, times."""

    def __init__(self) -> None:
        self.triples: list[ox.Triple] = []
        self._seen: set[ox.Triple] = set()

    def add(self, s: str | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal):
        subject = ox.NamedNode(s) if isinstance(s, str) else s
        triple = ox.Triple(subject, ox.NamedNode(p), o)
        if triple not in self._seen:
            self._seen.add(triple)
            self.triples.append(triple)

    def link(self, s: str, p: str, iri: str) -> None:
        self.add(s, p, ox.NamedNode(iri))

    def text(self, s: str, p: str, value: str, lang: str = "en") -> None:
        self.add(s, p, ox.Literal(value, language=lang))

    def number(self, s: str | ox.BlankNode, p: str, value: int) -> None:
        self.add(s, p, ox.Literal(str(value), datatype=_xsd("nonNegativeInteger")))

    def time(self, s: str, p: str, when: datetime | None) -> None:
        if when is not None:
            self.add(s, p, ox.Literal(when.isoformat(), datatype=_xsd("dateTime")))

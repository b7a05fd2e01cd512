"""The IRIs of chmgraph, in one place.

Three bases, each stable and documented in ``docs/iris.md``:

* ``VOCAB`` — the vocabulary (classes and properties), prefix ``chm:``.
* ``ID`` — the network's own things (countries, workshops, organizations, toolkits...).
* ``GRAPH`` — the named graphs the network is made of.

Example and synthetic data never use these: they live under ``EXAMPLE`` and ``SYNTHETIC``.
"""

from __future__ import annotations

import re

VOCAB_BASE = "https://w3id.org/chmgraph/vocab#"
VOCAB_ONTOLOGY = "https://w3id.org/chmgraph/vocab"
VOCAB_VERSION = "https://w3id.org/chmgraph/vocab/0.1.0"
ID = "https://w3id.org/chmgraph/id/"
GRAPH = "https://w3id.org/chmgraph/graph/"
EXAMPLE = "https://example.org/chmgraph/example/"
SYNTHETIC = "https://example.org/chmgraph/synthetic/"

ONTOLOGY_GRAPH = GRAPH + "ontology"
REFERENCE_GRAPH = GRAPH + "reference"
CBD_GRAPH = GRAPH + "cbd"
SUBMISSIONS_GRAPH = GRAPH + "submissions"
INFERRED_GRAPH = GRAPH + "inferred"
QUERIES_GRAPH = GRAPH + "queries"

PREFIXES = {
    "chm": VOCAB_BASE,
    "chmid": ID,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "void": "http://rdfs.org/ns/void#",
    "sh": "http://www.w3.org/ns/shacl#",
}

_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def vocab(local_name: str) -> str:
    """The IRI of a vocabulary term: ``vocab("Workshop")`` is ``chm:Workshop``."""
    return VOCAB_BASE + local_name


def country(alpha2: str) -> str:
    """A country or territory, by its ISO 3166-1 alpha-2 code.

    >>> country("CM")
    'https://w3id.org/chmgraph/id/country/CM'
    """
    return ID + "country/" + _checked_code(alpha2)


def m49_area(code: str) -> str:
    """A UN M49 area (world, region, sub-region, intermediate region) by its 3-digit code.

    >>> m49_area("2")
    'https://w3id.org/chmgraph/id/m49/002'
    """
    return ID + "m49/" + code.zfill(3)


def un_regional_group(slug: str) -> str:
    """A UN regional group: ``african``, ``asia-pacific``, ``eastern-european``, ``grulac``,
    ``weog``."""
    return ID + "un-group/" + slug


def national_chm(alpha2: str) -> str:
    """The national Clearing-House Mechanism of a country."""
    return ID + "chm/" + _checked_code(alpha2)


def government(alpha2: str) -> str:
    """The Government of a country, as an organization."""
    return ID + "government/" + _checked_code(alpha2)


def national_graph(alpha2: str) -> str:
    """The named graph holding a country's national CHM data.

    >>> national_graph("cm")
    'https://w3id.org/chmgraph/graph/national/CM'
    """
    return GRAPH + "national/" + _checked_code(alpha2)


def graph_version(alpha2: str, version: int) -> str:
    """Accepted version ``version`` of a country's national graph: a ``chm:GraphVersion`` of the
    submissions graph, which archives its statements (``chm:archivedContent``).

    >>> graph_version("cm", 2)
    'https://w3id.org/chmgraph/id/version/CM/2'
    """
    return f"{ID}version/{_checked_code(alpha2)}/{int(version)}"


def country_of_graph(graph_iri: str) -> str | None:
    """The alpha-2 code of a national graph's country, or None for any other graph.

    >>> country_of_graph("https://w3id.org/chmgraph/graph/national/CM")
    'CM'
    """
    prefix = GRAPH + "national/"
    if graph_iri.startswith(prefix):
        code = graph_iri[len(prefix) :]
        if _COUNTRY_CODE.match(code):
            return code
    return None


def _checked_code(alpha2: str) -> str:
    code = alpha2.strip().upper()
    if not _COUNTRY_CODE.match(code):
        raise ValueError(f"not an ISO 3166-1 alpha-2 code: {alpha2!r}")
    return code

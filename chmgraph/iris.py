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
# The network's JSON-LD context: a term for each class and property of the vocabulary, shipped
# with chmgraph (``ontology/context.jsonld``) and served by ``chmgraph serve``.
CONTEXT = "https://w3id.org/chmgraph/context.jsonld"
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

# SPARQL 1.1 / Turtle prefixed names (PN_LOCAL): the characters a local part may hold as they
# are, and those it may hold escaped with a backslash (PN_LOCAL_ESC), like the ``/`` of
# ``chmid:event\/2013-...``. ``%`` stays as it is: it only ever starts a percent-encoding.
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_FIRST = re.compile(f"[{_PN_CHARS_BASE}_:0-9]")
_PN_MIDDLE = re.compile(f"[{_PN_CHARS_BASE}_:0-9\u00b7\u0300-\u036f\u203f-\u2040.-]")
_PN_LAST = re.compile(f"[{_PN_CHARS_BASE}_:0-9\u00b7\u0300-\u036f\u203f-\u2040-]")
_PN_LOCAL_ESC = set("_~.-!$&'()*+,;=/?#@")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_ESCAPED = re.compile(r"\\(.)")


def compact(iri: str) -> str:
    """``iri`` as SPARQL can read it back: a prefixed name of ``PREFIXES`` (the longest
    namespace wins; reserved characters of the local part escaped), else ``<iri>``. Every form it
    prints can be pasted into ``chmgraph query -e`` or ``Network.query`` text as it is.

    >>> compact("https://w3id.org/chmgraph/vocab#Workshop")
    'chm:Workshop'
    >>> print(compact("https://w3id.org/chmgraph/id/event/2013-03-11-marrakech"))
    chmid:event\\/2013-03-11-marrakech
    >>> compact("https://example.org/x")
    '<https://example.org/x>'
    """
    best = max(
        (p for p, namespace in PREFIXES.items() if iri.startswith(namespace)),
        key=lambda p: len(PREFIXES[p]),
        default=None,
    )
    local = _local_part(iri[len(PREFIXES[best]) :]) if best else None
    return f"{best}:{local}" if local is not None else f"<{iri}>"


def expand(name: str) -> str:
    """The IRI of a prefixed name of ``PREFIXES``, escapes undone; anything else unchanged.

    >>> expand("chmid:government\\\\/JP") == expand("chmid:government/JP") == government("JP")
    True
    """
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + _ESCAPED.sub(r"\1", local)
    return name


def _local_part(local: str) -> str | None:
    """``local`` written as a PN_LOCAL, or None when no escaping makes it one."""
    out, at = [], 0
    while at < len(local):
        percent = _PERCENT.match(local, at)
        if percent:
            out.append(percent.group())
            at = percent.end()
            continue
        char = local[at]
        rule = _PN_FIRST if at == 0 else _PN_LAST if at == len(local) - 1 else _PN_MIDDLE
        if rule.fullmatch(char):
            out.append(char)
        elif char in _PN_LOCAL_ESC:
            out.append("\\" + char)
        else:
            return None
        at += 1
    return "".join(out)


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

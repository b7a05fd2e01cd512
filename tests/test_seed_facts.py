"""The seed page's facts, asked of the network in SPARQL.

The ontology, the CBD graph (``data/cbd``) and the reference graph (``data/reference``) are loaded
into an in-memory pyoxigraph store, each in its named graph, and the questions the seed page
answers are asked of it. Expected values are the seed page's own statements
(``../shared/seed/000_3460ec5dae324d5b.txt``); where a test can, it reads them from the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from chmgraph import iris
from chmgraph.rdfio import read_quads
from chmgraph.settings import DATA_DIR, ONTOLOGY_DIR, PROJECT_ROOT

SEED_PAGE = PROJECT_ROOT.parent / "shared" / "seed" / "000_3460ec5dae324d5b.txt"
CBD_DIR = DATA_DIR / "cbd"
REFERENCE_DIR = DATA_DIR / "reference"
EXAMPLE_FILE = DATA_DIR / "examples" / "national-chm-example.ttl"

SOURCE = iris.ID + "source/seed-capacity-building-page"
RDF_TYPE = iris.PREFIXES["rdf"] + "type"
DCTERMS_SOURCE = iris.PREFIXES["dcterms"] + "source"
DCTERMS_DESCRIPTION = iris.PREFIXES["dcterms"] + "description"
XSD_ANYURI = iris.PREFIXES["xsd"] + "anyURI"

PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in iris.PREFIXES.items())


def event(slug: str) -> str:
    return iris.ID + "event/" + slug


BELGRADE = event("2016-belgrade-chm-workshop")
BUEA = event("2014-buea-chm-workshop")
GROS_ISLET = event("2013-gros-islet-chm-workshop")
VILLA_DE_LEYVA = event("2013-villa-de-leyva-chm-workshop")
MARRAKECH = event("2013-marrakech-belgian-partnership-workshop")


def load(store: ox.Store, files: list[Path], graph: str) -> None:
    for path in files:
        store.extend(read_quads(path, default_graph=ox.NamedNode(graph)))


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED_PAGE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def cbd_quads() -> list[ox.Quad]:
    return [q for path in sorted(CBD_DIR.glob("*.ttl")) for q in read_quads(path)]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    load(store, sorted(ONTOLOGY_DIR.glob("*.ttl")), iris.ONTOLOGY_GRAPH)
    load(store, sorted(CBD_DIR.glob("*.ttl")), iris.CBD_GRAPH)
    load(store, sorted(REFERENCE_DIR.glob("*.ttl")), iris.REFERENCE_GRAPH)
    return store


def select(store: ox.Store, query: str) -> list[tuple[str | None, ...]]:
    """Rows of a SELECT over the union of the graphs, each term as its value (None if unbound)."""
    solutions = store.query(PREFIXES + query, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [tuple(None if s[n] is None else s[n].value for n in names) for s in solutions]


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(PREFIXES + query, use_default_graph_as_union=True))


def test_cbd_files_parse_strictly() -> None:
    files = sorted(CBD_DIR.glob("*.ttl"))
    assert files, "data/cbd holds no Turtle file"
    for path in files:
        assert read_quads(path), f"{path.name} holds no statement"


def test_the_government_of_japan_supported_five_workshops(store: ox.Store) -> None:
    rows = select(
        store,
        f"""SELECT (COUNT(DISTINCT ?workshop) AS ?n) WHERE {{
              ?workshop chm:supportedBy ?government .
              ?government a chm:Government ; chm:governmentOf <{iris.country("JP")}> ;
                          rdfs:label "Government of Japan"@en .
            }}""",
    )
    assert rows == [("5",)]


def test_three_capacity_building_workshops_took_place_in_2013(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?workshop WHERE {
             ?workshop a/rdfs:subClassOf* chm:CapacityBuildingWorkshop ;
                       schema:startDate ?start .
             FILTER(YEAR(?start) = 2013)
           }""",
    )
    assert {w for (w,) in rows} == {MARRAKECH, GROS_ISLET, VILLA_DE_LEYVA}


def test_each_workshop_has_its_stated_host_city_and_country(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?workshop ?city ?country ?start ?end WHERE {
             ?workshop a chm:RegionalWorkshop ; chm:hostCity ?city ; chm:hostCountry ?country ;
                       schema:startDate ?start ; schema:endDate ?end .
           }""",
    )
    place = iris.ID + "place/"
    assert set(rows) == {
        (BELGRADE, place + "belgrade", iris.country("RS"), "2016-04-04", "2016-04-08"),
        (BUEA, place + "buea", iris.country("CM"), "2014-05-05", "2014-05-09"),
        (GROS_ISLET, place + "gros-islet", iris.country("LC"), "2013-09-16", "2013-09-20"),
        (VILLA_DE_LEYVA, place + "villa-de-leyva", iris.country("CO"), "2013-05-06", "2013-05-10"),
        (MARRAKECH, place + "marrakech", iris.country("MA"), "2013-03-11", "2013-03-14"),
    }


def test_each_workshop_was_supported_by_the_stated_governments(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?workshop ?country WHERE {
             ?workshop a chm:RegionalWorkshop ; chm:supportedBy/chm:governmentOf ?country .
           }""",
    )
    stated = {
        BELGRADE: {"RS", "JP"},
        BUEA: {"CM", "BE", "JP"},
        GROS_ISLET: {"LC", "JP"},
        VILLA_DE_LEYVA: {"CO", "JP"},
        MARRAKECH: {"MA", "BE", "JP"},
    }
    expected = {(w, iris.country(code)) for w, codes in stated.items() for code in codes}
    assert set(rows) == expected


def test_participant_and_country_counts_are_as_stated(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?workshop ?participants ?countries WHERE {
             ?workshop a chm:RegionalWorkshop ; chm:countriesRepresentedCount ?countries .
             OPTIONAL { ?workshop chm:participantCount ?participants }
           }""",
    )
    assert set(rows) == {
        (BELGRADE, "16", "11"),
        (BUEA, "22", "22"),
        (GROS_ISLET, "17", "11"),
        (VILLA_DE_LEYVA, None, "18"),
        (MARRAKECH, "18", "8"),
    }


def test_the_latin_america_workshop_states_no_participant_count(store: ox.Store) -> None:
    assert not ask(store, f"ASK {{ <{VILLA_DE_LEYVA}> chm:participantCount ?n }}")
    assert ask(
        store,
        f'ASK {{ <{VILLA_DE_LEYVA}> chm:countriesRepresentedCount "18"^^xsd:nonNegativeInteger }}',
    )


@pytest.mark.parametrize(
    ("workshop", "parallel_event", "kind"),
    [
        (
            BUEA,
            "Coordination Meeting of the Belgian Partnership for the Clearing-House Mechanism",
            "Meeting",
        ),
        (
            GROS_ISLET,
            "Regional Workshop for the Caribbean Countries on the Preparation of the "
            "Fifth National Report",
            "Workshop",
        ),
        (
            VILLA_DE_LEYVA,
            "Regional Workshop for Latin America on Updating National Biodiversity "
            "Strategies and Action Plans (NBSAPs)",
            "Workshop",
        ),
    ],
)
def test_parallel_events_are_stated_in_the_pages_direction_with_joint_sessions(
    store: ox.Store, workshop: str, parallel_event: str, kind: str
) -> None:
    rows = select(
        store,
        f"""SELECT ?other ?topic WHERE {{
              <{workshop}> chm:heldInParallelWith ?other .
              ?other a chm:{kind} ; rdfs:label "{parallel_event}"@en .
              ?session a chm:JointSession ;
                       chm:jointSessionOf <{workshop}> , ?other ;
                       dcterms:description ?topic .
            }}""",
    )
    assert len(rows) == 1
    topic = rows[0][1]
    assert topic in {
        "Joint sessions were organized for topics of interest to both workshops.",
        "Joint sessions were organized to strengthen the relationship between NBSAPs and the CHM.",
    }


def test_only_the_three_stated_parallel_pairs_exist(store: ox.Store) -> None:
    rows = select(store, "SELECT ?a WHERE { ?a chm:heldInParallelWith ?b }")
    assert sorted(a for (a,) in rows) == sorted([BUEA, GROS_ISLET, VILLA_DE_LEYVA])


def test_the_chm_toolkit_lists_seven_modules_and_states_six(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?stated (COUNT(DISTINCT ?module) AS ?listed)
                  (MIN(?position) AS ?first) (MAX(?position) AS ?last) WHERE {
             ?toolkit a chm:Toolkit ; rdfs:label "CHM Toolkit"@en ; chm:statedModuleCount ?stated ;
                      chm:hasModule ?module .
             ?module a chm:ToolkitModule ; schema:position ?position ; chm:moduleKind ?kind .
           } GROUP BY ?stated""",
    )
    assert rows == [("6", "7", "1", "7")]


def test_the_chm_toolkit_has_the_four_stated_objectives(store: ox.Store, seed_text: str) -> None:
    rows = select(
        store,
        """SELECT ?position ?text WHERE {
             ?toolkit rdfs:label "CHM Toolkit"@en ; chm:hasObjective ?objective .
             ?objective a chm:Objective ; schema:position ?position ; dcterms:description ?text .
           } ORDER BY ?position""",
    )
    assert [p for p, _ in rows] == ["1", "2", "3", "4"]
    for _, text in rows:
        assert text.rstrip(".") in seed_text


def test_the_european_portal_toolkit_is_free_used_in_europe_and_africa(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?url ?area WHERE {
             ?toolkit a chm:PortalToolkit ; rdfs:label "European Portal Toolkit"@en ;
                      chm:developedBy ?chm ; chm:maintainedBy ?chm ;
                      schema:isAccessibleForFree true ; schema:url ?url ; chm:usedIn ?area .
             ?chm a chm:RegionalCHM ; rdfs:label "European CHM"@en .
           }""",
    )
    url = "http://biodiversity-chm.eea.europa.eu/ptk"
    assert set(rows) == {(url, iris.m49_area("150")), (url, iris.m49_area("002"))}


def test_decision_x15_encourages_national_chms(store: ox.Store, seed_text: str) -> None:
    rows = select(
        store,
        """SELECT ?encourages WHERE {
             ?decision a chm:Decision ; dcterms:identifier "X/15" ; chm:encourages ?encourages ;
                       chm:concerns chm:NationalCHM .
           }""",
    )
    assert len(rows) == 1
    assert f"Decision X/15 encourages {rows[0][0]}" in seed_text


def test_the_marrakech_workshop_focused_on_the_partnership_programme(store: ox.Store) -> None:
    rows = select(
        store,
        f"""SELECT ?institution ?start ?end ?group ?plan WHERE {{
              <{MARRAKECH}> chm:organizedBy ?partnership ;
                  chm:institutionRepresented ?comifac ; chm:focus ?programme .
              ?partnership a chm:Partnership ;
                  rdfs:label "Belgian Partnership for the Clearing-House Mechanism"@en .
              ?comifac a chm:RegionalInstitution ; rdfs:label ?institution .
              ?programme a chm:Programme ; chm:programmeOf ?partnership ;
                  schema:startDate ?start ; schema:endDate ?end ;
                  chm:partnerCountryGroup ?group ; chm:implements/rdfs:label ?plan .
            }}""",
    )
    assert rows == [
        (
            "COMIFAC",
            "2014",
            "2019",
            "developing countries",
            "Strategy Plan of the Convention 2011-2020",
        )
    ]


def test_the_plans_period_is_the_one_its_name_on_the_page_states(
    store: ox.Store, seed_text: str
) -> None:
    rows = select(
        store,
        """SELECT ?name ?start ?end WHERE { ?plan a chm:StrategicPlan ; rdfs:label ?name ;
             schema:startDate ?start ; schema:endDate ?end }""",
    )
    assert len(rows) == 1
    name, start, end = rows[0]
    stated = re.search(re.escape(name.rsplit(" ", 1)[0]) + r" (\d{4})-(\d{4})", seed_text)
    assert stated and (start, end) == stated.groups()


def test_workshop_regions_match_m49_areas_where_plain(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?workshop ?area WHERE {
             ?workshop a chm:RegionalWorkshop ; chm:targetRegion ?region .
             ?region skos:inScheme ?scheme ; skos:relatedMatch ?area .
           }""",
    )
    m49 = iris.m49_area
    assert set(rows) == {
        (BELGRADE, m49("151")),
        (BELGRADE, m49("145")),
        (BUEA, m49("002")),
        (GROS_ISLET, m49("029")),
        (VILLA_DE_LEYVA, m49("419")),
        (MARRAKECH, m49("002")),
    }


def test_the_source_record_names_the_page_and_its_languages(store: ox.Store) -> None:
    rows = select(
        store,
        f"""SELECT ?title ?publisher (GROUP_CONCAT(STR(?language); separator=" ") AS ?languages)
            WHERE {{
              <{SOURCE}> dcterms:title ?title ; dcterms:language ?language ;
                         dcterms:publisher/rdfs:label ?publisher .
            }} GROUP BY ?title ?publisher""",
    )
    assert len(rows) == 1
    title, publisher, languages = rows[0]
    assert title == "Capacity Building — Establishing National Clearing-House Mechanisms"
    assert publisher == "CBD Secretariat"
    assert sorted(languages.split()) == ["ar", "en", "es", "fr", "ru", "zh"]


def test_names_of_events_organizations_and_toolkits_are_the_pages(
    store: ox.Store, seed_text: str
) -> None:
    rows = select(
        store,
        """SELECT ?thing ?label WHERE {
             ?thing a ?class ; rdfs:label ?label .
             VALUES ?class { chm:RegionalWorkshop chm:Workshop chm:Meeting chm:Secretariat
                             chm:Partnership chm:RegionalCHM chm:RegionalInstitution chm:UNBody
                             chm:Toolkit chm:PortalToolkit chm:StrategicPlan }
           }""",
    )
    assert len(rows) == 17
    flat_text = " ".join(seed_text.split())
    missing = [label for _, label in rows if label.lower() not in flat_text.lower()]
    assert missing == []


def test_goals_and_descriptions_are_the_pages_sentences(store: ox.Store, seed_text: str) -> None:
    rows = select(
        store,
        """SELECT ?text WHERE {
             ?thing a ?class ; dcterms:description|chm:goal|chm:purpose ?text .
             VALUES ?class { chm:RegionalWorkshop chm:JointSession chm:Toolkit chm:PortalToolkit
                             chm:Objective chm:ToolkitModule chm:Decision }
           }""",
    )
    assert len(rows) >= 20
    flat_text = " ".join(seed_text.split()).lower()
    sentences = [s for (text,) in rows for s in re.split(r"(?<=\.) ", text)]
    missing = [s for s in sentences if s.rstrip(".").lower() not in flat_text]
    assert missing == []


def test_every_label_is_english(cbd_quads: list[ox.Quad]) -> None:
    label_predicates = {
        iris.PREFIXES["rdfs"] + "label",
        iris.PREFIXES["skos"] + "prefLabel",
        iris.PREFIXES["skos"] + "altLabel",
        iris.PREFIXES["dcterms"] + "title",
    }
    languages = {q.object.language for q in cbd_quads if q.predicate.value in label_predicates}
    assert languages == {"en"}


def test_every_subject_of_the_cbd_graph_carries_its_source(cbd_quads: list[ox.Quad]) -> None:
    subjects = {q.subject for q in cbd_quads}
    sourced = {
        q.subject
        for q in cbd_quads
        if q.predicate.value == DCTERMS_SOURCE and q.object.value == SOURCE
    }
    unsourced = {s.value for s in subjects - sourced}
    assert unsourced == {SOURCE}, "only the source record itself may lack dcterms:source"


def test_the_cbd_graph_holds_no_url_the_page_does_not_state(
    cbd_quads: list[ox.Quad], seed_text: str
) -> None:
    stated_urls = {url.rstrip(".,;") for url in re.findall(r"https?://\S+", seed_text)}
    vocabularies = (*iris.PREFIXES.values(), iris.ID)
    found: set[str] = set()
    for quad in cbd_quads:
        for term in (quad.subject, quad.predicate, quad.object):
            if isinstance(term, ox.NamedNode) and not term.value.startswith(vocabularies):
                found.add(term.value)
            elif isinstance(term, ox.Literal):
                found.update(re.findall(r"https?://[^\s\"'<>]+", term.value))
                if term.datatype.value == XSD_ANYURI:
                    found.add(term.value)
    assert found == stated_urls == {"http://biodiversity-chm.eea.europa.eu/ptk"}


def test_the_cbd_graph_uses_only_declared_terms(store: ox.Store) -> None:
    rows = select(
        store,
        f"""SELECT DISTINCT ?term WHERE {{
              GRAPH <{iris.CBD_GRAPH}> {{
                {{ ?s ?term ?o FILTER(?term != rdf:type) }} UNION {{ ?s a ?term }}
              }}
              FILTER NOT EXISTS {{ GRAPH <{iris.ONTOLOGY_GRAPH}> {{ ?term rdfs:label ?label }} }}
            }}""",
    )
    assert rows == []


def test_reference_places_the_cbd_graph_links_to_exist(store: ox.Store) -> None:
    """Hosts are cities of the reference graph, in the country the workshop names."""
    rows = select(
        store,
        f"""SELECT ?workshop ?city WHERE {{
              ?workshop chm:hostCity ?city ; chm:hostCountry ?country .
              FILTER NOT EXISTS {{
                GRAPH <{iris.REFERENCE_GRAPH}> {{ ?city a chm:City ; chm:inCountry ?country }}
              }}
            }}""",
    )
    assert rows == []
    rows = select(
        store,
        f"""SELECT DISTINCT ?place WHERE {{
              GRAPH <{iris.CBD_GRAPH}> {{
                {{ ?s chm:governmentOf|chm:usedIn|skos:relatedMatch ?place }}
              }}
              FILTER NOT EXISTS {{ GRAPH <{iris.REFERENCE_GRAPH}> {{ ?place a ?class }} }}
            }}""",
    )
    assert rows == []


@pytest.fixture(scope="module")
def example_quads() -> list[ox.Quad]:
    return read_quads(EXAMPLE_FILE)


def test_the_example_submission_is_marked_as_example_data(example_quads: list[ox.Quad]) -> None:
    subjects = {q.subject.value for q in example_quads}
    assert all(s.startswith(iris.EXAMPLE) for s in subjects)
    described = {
        q.subject.value
        for q in example_quads
        if q.predicate.value == DCTERMS_DESCRIPTION and q.object.value.startswith("Example data")
    }
    assert described == subjects
    chm = iris.EXAMPLE + "chm/CM"
    types = {
        q.object.value
        for q in example_quads
        if q.subject.value == chm and q.predicate.value == RDF_TYPE
    }
    assert types == {iris.vocab("NationalCHM")}


def test_the_example_links_only_to_things_the_network_knows(
    store: ox.Store, example_quads: list[ox.Quad]
) -> None:
    network_iris = {
        q.object.value
        for q in example_quads
        if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(iris.ID)
    }
    assert iris.country("CM") in network_iris
    assert event("2014-buea-chm-workshop") in network_iris
    unknown = [node for node in sorted(network_iris) if not ask(store, f"ASK {{ <{node}> ?p ?o }}")]
    assert unknown == []

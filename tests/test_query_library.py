"""Every query of the library, run on the seed network (ontology, reference and CBD graphs from
the repository, the example national CHM of CM submitted), with the answers the seed page and
the reference data give."""

from __future__ import annotations

import csv
from collections import Counter

from chmgraph import iris
from chmgraph.query import QueryResult, run_query
from chmgraph.query.library import QueryLibrary
from chmgraph.query.text import prepare
from chmgraph.settings import PROJECT_ROOT

LIBRARY = QueryLibrary.load()
SHARED = PROJECT_ROOT.parent / "shared" / "reference"
EVENT = iris.ID + "event/"
JP = iris.government("JP")
EXAMPLE_CHM = iris.EXAMPLE + "chm/CM"
CHM_TOOLKIT = iris.ID + "toolkit/chm-toolkit"
PORTAL_TOOLKIT = iris.ID + "toolkit/european-portal-toolkit"
REGIONAL_WORKSHOPS = {
    EVENT + "2016-belgrade-chm-workshop",
    EVENT + "2014-buea-chm-workshop",
    EVENT + "2013-gros-islet-chm-workshop",
    EVENT + "2013-villa-de-leyva-chm-workshop",
    EVENT + "2013-marrakech-belgian-partnership-workshop",
}


def run(network, name, **params):
    return run_query(network, LIBRARY[name], params=params)


def records(result: QueryResult) -> list[dict[str, str | None]]:
    return [
        {v: None if t is None else t.value for v, t in zip(result.variables, row, strict=True)}
        for row in result.rows
    ]


def african_countries() -> set[str]:
    with open(SHARED / "country-codes.csv", encoding="utf-8") as f:
        return {r["ISO3166-1-Alpha-2"] for r in csv.DictReader(f) if r["Region Code"] == "2"}


def un_group_size(name: str) -> int:
    with open(SHARED / "un-regional-groups.csv", encoding="utf-8") as f:
        return sum(1 for r in csv.DictReader(f) if r["Region"] == name)


def test_every_library_query_has_answers_checked_here():
    checked = {name.removeprefix("test_").replace("_", "-") for name in globals()}
    assert set(LIBRARY.names) <= checked, set(LIBRARY.names) - checked


def test_workshops(network):
    rows = {r["workshop"]: r for r in records(run(network, "workshops"))}
    assert set(rows) >= REGIONAL_WORKSHOPS
    assert len(rows) == 7  # and the two workshops held in parallel
    belgrade = rows[EVENT + "2016-belgrade-chm-workshop"]
    assert (belgrade["city"], belgrade["country"]) == ("Belgrade", "Serbia")
    assert (belgrade["participants"], belgrade["countries"]) == ("16", "11")
    assert belgrade["start"] == "2016-04-04"


def test_workshops_in_year(network):
    assert set(run(network, "workshops-in-year").values("workshop")) == {
        EVENT + "2013-gros-islet-chm-workshop",
        EVENT + "2013-villa-de-leyva-chm-workshop",
        EVENT + "2013-marrakech-belgian-partnership-workshop",
    }
    assert run(network, "workshops-in-year", year="2016").values("city") == ["Belgrade"]
    assert len(run(network, "workshops-in-year", year="2020")) == 0


def test_workshops_per_year(network):
    rows = {r["year"]: r for r in records(run(network, "workshops-per-year"))}
    assert {y: r["workshops"] for y, r in rows.items()} == {"2013": "3", "2014": "1", "2016": "1"}
    assert rows["2013"]["participants"] == "35"  # 17 in Gros Islet, 18 in Marrakech


def test_workshops_by_region(network):
    rows = {r["regionLabel"]: r for r in records(run(network, "workshops-by-region"))}
    assert rows["African countries"]["workshops"] == "2"
    assert set(rows["African countries"]["years"].split(", ")) == {"2013", "2014"}
    assert len(rows) == 4
    caribbean = iris.ID + "concept/workshop-region/caribbean-countries"
    only = run(network, "workshops-by-region", region=caribbean)
    assert only.values("years") == ["2013"]


def test_workshops_in_area(network):
    assert set(run(network, "workshops-in-area").values("country")) == {"Cameroon", "Morocco"}
    americas = run(network, "workshops-in-area", area="chmid:m49/419")
    assert set(americas.values("country")) == {"Colombia", "Saint Lucia"}


def test_workshops_by_host_country(network):
    rows = records(run(network, "workshops-by-host-country"))
    assert {r["name"] for r in rows} == {"Serbia", "Cameroon", "Saint Lucia", "Colombia", "Morocco"}
    assert all(r["workshops"] == "1" for r in rows)
    cameroon = records(run(network, "workshops-by-host-country", country="cm"))
    assert [r["titles"] for r in cameroon] == [
        "Regional Workshop for African Countries on the Clearing-House Mechanism"
    ]


def test_a_country_bound_inside_the_subquery_answers_as_the_unbound_query_does(network):
    # workshops-by-host-country places its parameters where it says (# parameters bound here):
    # inside the subquery, so each country's answer must be its row of the whole answer.
    query = LIBRARY["workshops-by-host-country"]
    text = prepare(query, query.bindings({"country": "cm"})).text
    # inside the innermost subquery, the host countries'
    assert text.index("VALUES") > text.index("SELECT ?workshop ?country WHERE")
    for lang in ("en", "fr"):
        every = records(run(network, "workshops-by-host-country", lang=lang))
        for row in every:
            code = row["country"].rsplit("/", 1)[1]
            found = records(run(network, "workshops-by-host-country", country=code, lang=lang))
            assert found == [row]


def test_workshops_by_organizer(network):
    rows = {r["name"]: r["workshops"] for r in records(run(network, "workshops-by-organizer"))}
    assert rows == {
        "CBD Secretariat": "4",
        "Belgian Partnership for the Clearing-House Mechanism": "1",
    }


def test_workshops_by_supporter(network):
    japan = run(network, "workshops-by-supporter")
    assert set(japan.values("workshop")) == REGIONAL_WORKSHOPS  # Japan supported all five
    belgium = run(network, "workshops-by-supporter", supporter="chmid:government/BE")
    assert set(belgium.values("city")) == {"Buea", "Marrakech"}


def test_supporters_ranked(network):
    rows = records(run(network, "supporters-ranked"))
    assert (rows[0]["supporter"], rows[0]["workshops"]) == (JP, "5")
    assert (rows[0]["firstYear"], rows[0]["lastYear"]) == ("2013", "2016")
    assert (rows[1]["name"], rows[1]["workshops"]) == ("Government of Belgium", "2")
    assert len(rows) == 7
    assert Counter(r["workshops"] for r in rows[2:]) == {"1": 5}


def test_participant_totals(network):
    [every] = records(run(network, "participant-totals"))
    assert every == {
        "workshops": "5",
        "totalParticipants": "73",  # 16 + 22 + 17 + 18; Villa de Leyva states none
        "withParticipants": "4",
        "totalCountries": "70",  # 11 + 22 + 11 + 18 + 8
        "withCountries": "5",
    }
    [in_2013] = records(run(network, "participant-totals", year="2013"))
    assert (in_2013["workshops"], in_2013["totalParticipants"]) == ("3", "35")
    assert in_2013["totalCountries"] == "37"


def test_parallel_events(network):
    pairs = {(r["event"], r["parallel"]) for r in records(run(network, "parallel-events"))}
    assert len(pairs) == 6  # three pairs, each from both sides
    assert all((b, a) in pairs for a, b in pairs)
    assert (EVENT + "2014-buea-belgian-partnership-coordination-meeting",
            EVENT + "2014-buea-chm-workshop") in pairs  # fmt: skip
    buea = run(network, "parallel-events", event="chmid:event/2014-buea-chm-workshop")
    assert buea.values("parallelLabel") == [
        "Coordination Meeting of the Belgian Partnership for the Clearing-House Mechanism"
    ]


def test_joint_sessions(network):
    rows = records(run(network, "joint-sessions"))
    assert len(rows) == 3
    assert all(r["events"] == "2" for r in rows)
    buea = next(r for r in rows if r["session"] == EVENT + "2014-buea-joint-sessions")
    assert "Coordination Meeting of the Belgian Partnership" in buea["eventTitles"]


def test_toolkits(network):
    rows = {r["toolkit"]: r for r in records(run(network, "toolkits"))}
    assert set(rows) == {CHM_TOOLKIT, PORTAL_TOOLKIT}
    chm = rows[CHM_TOOLKIT]
    assert (chm["statedModules"], chm["listedModules"], chm["objectives"]) == ("6", "7", "4")
    portal = rows[PORTAL_TOOLKIT]
    assert (portal["developer"], portal["maintainer"]) == ("European CHM", "European CHM")
    assert portal["address"] == "http://biodiversity-chm.eea.europa.eu/ptk"


def test_toolkit_objectives(network):
    rows = records(run(network, "toolkit-objectives"))
    assert [r["position"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[3]["text"].startswith("Promote the exchange of biodiversity-related data")
    assert len(run(network, "toolkit-objectives", toolkit=PORTAL_TOOLKIT)) == 0


def test_toolkit_modules(network):
    rows = records(run(network, "toolkit-modules"))
    assert [r["position"] for r in rows] == [str(n) for n in range(1, 8)]
    assert rows[6]["text"].startswith("Providing links to expertise, partners")
    assert all(r["kind"] for r in rows)


def test_national_chms_by_toolkit(network):
    [row] = records(run(network, "national-chms-by-toolkit"))
    assert (row["toolkit"], row["chm"], row["countryName"]) == (
        PORTAL_TOOLKIT,
        EXAMPLE_CHM,
        "Cameroon",
    )
    assert len(run(network, "national-chms-by-toolkit", toolkit=CHM_TOOLKIT)) == 0


def test_national_chms_by_launch_year(network):
    assert records(run(network, "national-chms-by-launch-year")) == [
        {"year": "2012", "chms": "1", "countries": "CM"}
    ]


def test_national_chm_partners(network):
    [row] = records(run(network, "national-chm-partners"))
    assert row["partnerName"] == "Belgian Partnership for the Clearing-House Mechanism"
    assert len(run(network, "national-chm-partners", country="FR")) == 0


def test_partners_by_region(network):
    [row] = records(run(network, "partners-by-region"))
    assert (row["regionName"], row["countries"]) == ("Africa", "1")


def test_national_chm_workshops_attended(network):
    [row] = records(run(network, "national-chm-workshops-attended", country="CM"))
    assert (row["event"], row["start"]) == (EVENT + "2014-buea-chm-workshop", "2014-05-05")


def test_countries_with_national_chm(network):
    [row] = records(run(network, "countries-with-national-chm"))
    assert (row["name"], row["chm"], row["launch"]) == ("Cameroon", EXAMPLE_CHM, "2012")
    assert len(run(network, "countries-with-national-chm", area="chmid:m49/150")) == 0


def test_countries_without_national_chm(network):
    result = run(network, "countries-without-national-chm")
    codes = {iri.rsplit("/", 1)[1] for iri in result.values("country")}
    assert codes == african_countries() - {"CM"}


def test_un_group_coverage(network):
    rows = {r["name"]: r for r in records(run(network, "un-group-coverage"))}
    african = rows["African Group"]
    assert african["countries"] == str(un_group_size("African Group"))
    assert (african["withNationalChm"], african["workshopsHosted"]) == ("1", "2")
    assert rows["GRULAC"]["workshopsHosted"] == "2"
    assert rows["Eastern European Group"]["workshopsHosted"] == "1"
    only = run(network, "un-group-coverage", group="chmid:un-group/weog")
    assert only.values("withNationalChm") == ["0"]


def test_graph_statistics(network):
    rows = {r["graph"]: r for r in records(run(network, "graph-statistics"))}
    assert set(rows) == set(network.current_graphs())
    archive = f"<{iris.vocab('archivedContent')}>"
    for graph, row in rows.items():
        archives = network.store.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s {archive} ?o }} }}"
        )
        published = network.store.count(graph) - int(next(iter(archives))["n"].value)
        assert row["triples"] == str(published)  # what a dump publishes: no archives
    national = rows[iris.national_graph("CM")]
    assert (national["version"], national["steward"]) == ("1", "chmgraph init")
    assert rows[iris.CBD_GRAPH]["version"] is None


def test_fact_provenance(network):
    rows = records(run(network, "fact-provenance"))
    assert {r["graph"] for r in rows} == {iris.national_graph("CM")}
    assert {(r["version"], r["steward"]) for r in rows} == {("1", "chmgraph init")}
    assert iris.vocab("usesToolkit") in {r["predicate"] for r in rows}
    buea = records(
        run(
            network,
            "fact-provenance",
            subject="chmid:event/2014-buea-chm-workshop",
            predicate="chm:supportedBy",
        )
    )
    assert {(r["graph"], r["object"]) for r in buea} == {
        (iris.CBD_GRAPH, iris.government(c)) for c in ("CM", "BE", "JP")
    }


def test_workshops_missing_counts(network):
    assert records(run(network, "workshops-missing-counts")) == [
        {
            "workshop": EVENT + "2013-villa-de-leyva-chm-workshop",
            "label": "Regional Workshop for Latin America on the Clearing-House Mechanism",
            "missing": "number of participants",
        }
    ]


def test_toolkit_module_counts(network):
    [row] = records(run(network, "toolkit-module-counts"))
    assert (row["toolkit"], row["stated"], row["listed"]) == (CHM_TOOLKIT, "6", "7")


def test_events_by_class(network):
    rows = {r["statedClass"]: r["things"] for r in records(run(network, "events-by-class"))}
    assert rows == {
        iris.vocab("RegionalWorkshop"): "5",
        iris.vocab("JointSession"): "3",
        iris.vocab("Workshop"): "2",
        iris.vocab("Meeting"): "1",
    }
    toolkits = records(run(network, "events-by-class", **{"class": "schema:CreativeWork"}))
    assert {r["statedClass"] for r in toolkits} >= {iris.vocab("Toolkit"), iris.vocab("Decision")}


def test_events_as_schema_org(network):
    result = run(network, "events-as-schema-org")
    facts = {(t.subject.value, t.predicate.value, t.object.value) for t in result.triples}
    buea = EVENT + "2014-buea-chm-workshop"
    schema = iris.PREFIXES["schema"]
    assert (buea, schema + "sponsor", JP) in facts  # chm:supportedBy ⊑ schema:sponsor
    assert (buea, schema + "location", iris.country("CM")) in facts  # chm:hostCountry
    # chm:jointSessionOf ⊑ schema:superEvent
    assert (EVENT + "2014-buea-joint-sessions", schema + "superEvent", buea) in facts


def test_has_national_chm(network):
    assert run(network, "has-national-chm").boolean is True
    assert run(network, "has-national-chm", country="FR").boolean is False


def test_decisions(network):
    [row] = records(run(network, "decisions"))
    assert (row["number"], row["concerns"]) == ("X/15", iris.vocab("NationalCHM"))
    assert row["encourages"].startswith("Parties to continue to take the necessary steps")

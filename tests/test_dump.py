"""Dumps: deterministic bytes, faithful round trips, a truthful VoID/DCAT description, a change
log that propagates deletions, atomic writes."""

from __future__ import annotations

import gzip
import hashlib
import random
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

from chmgraph import iris
from chmgraph.cli import cli
from chmgraph.errors import InputError
from chmgraph.network import Network
from chmgraph.publish.dump import (
    deterministic_gzip,
    dump_if_stale,
    dump_network,
    network_trig,
    write_atomic,
)
from chmgraph.publish.files import NETWORK_NQUADS, NETWORK_TRIG, graph_file
from chmgraph.settings import PROJECT_ROOT, Settings
from chmgraph.store import OxigraphStore
from chmgraph.validation.bridge import to_rdflib

TURTLE_SUITE = PROJECT_ROOT.parent / "shared" / "w3c" / "rdf-tests" / "rdf" / "rdf11" / "rdf-turtle"
SUITE_BASE = "https://w3c.github.io/rdf-tests/rdf/rdf11/rdf-turtle/"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
RDFT = "http://www.w3.org/ns/rdftest#"
RDFS_SEE_ALSO = iris.PREFIXES["rdfs"] + "seeAlso"
SETTINGS = Settings(dump_base_url="https://example.org/chmgraph/example/dump/")


def eval_inputs() -> list[Path]:
    """The inputs of the Turtle evaluation tests: odd literals, IRIs, blank nodes, lists."""
    manifest = ox.Store()
    manifest.load(path=str(TURTLE_SUITE / "manifest.ttl"), base_iri=SUITE_BASE + "manifest.ttl")
    rows = manifest.query(
        f"SELECT ?action WHERE {{ ?t a <{RDFT}TestTurtleEval> ; <{MF}action> ?action }}"
    )
    return sorted(TURTLE_SUITE / row["action"].value.rsplit("/", 1)[1] for row in rows)


def fixture_quads() -> list[ox.Quad]:
    """Each evaluation input in its own example graph, plus a network-shaped graph."""
    quads = []
    for path in eval_inputs():
        graph = ox.NamedNode(iris.EXAMPLE + "graph/w3c/" + path.stem)
        for quad in ox.parse(path=str(path), base_iri=SUITE_BASE + path.name):
            quads.append(ox.Quad(quad.subject, quad.predicate, quad.object, graph))
    example = PROJECT_ROOT / "data" / "examples" / "national-chm-example.ttl"
    national = ox.NamedNode(iris.national_graph("CM"))
    quads += [ox.Quad(q.subject, q.predicate, q.object, national) for q in ox.parse(path=example)]
    return quads


def store_of(quads: list[ox.Quad]) -> OxigraphStore:
    store = OxigraphStore(None)
    store.add(quads)
    return store


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def quads() -> list[ox.Quad]:
    return fixture_quads()


@pytest.fixture(scope="module")
def dumped(quads, tmp_path_factory) -> tuple[OxigraphStore, Path]:
    store = store_of(quads)
    out = tmp_path_factory.mktemp("dump")
    dump_network(store, out, settings=SETTINGS)
    return store, out


def test_fixtures_hold_blank_nodes_and_odd_literals(quads):
    assert len(eval_inputs()) > 100
    assert any(isinstance(q.subject, ox.BlankNode) for q in quads)
    assert any(isinstance(q.object, ox.Literal) and "\\" in q.object.value for q in quads)


def test_same_graphs_in_another_load_order_give_the_same_bytes(quads, dumped, tmp_path):
    _, first = dumped
    shuffled = list(quads)
    random.Random(7).shuffle(shuffled)
    # Fresh blank nodes too: the same graphs re-read, as another machine would load them.
    reread = list(
        ox.parse(ox.serialize(shuffled, format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
    )
    dump_network(store_of(reread), tmp_path, settings=SETTINGS)
    assert digests(tmp_path) == digests(first)


def test_dumping_again_rewrites_nothing(dumped):
    store, out = dumped
    before = {p: (out / p).stat().st_mtime_ns for p in digests(out)}
    again = dump_network(store, out, settings=SETTINGS)
    assert again.rewritten == [] and again.removed == []
    assert {p: (out / p).stat().st_mtime_ns for p in digests(out)} == before


def test_a_dump_is_written_again_only_when_the_store_or_its_files_changed(quads, tmp_path):
    store = store_of(quads)
    out, record = tmp_path / "dump", tmp_path / "dump.state.json"
    assert dump_if_stale(store, out, record=record, settings=SETTINGS) is not None
    assert dump_if_stale(store, out, record=record, settings=SETTINGS) is None
    # Another dump setting makes another void.ttl: the dump is stale.
    other = Settings(dump_base_url="https://example.org/other/dump/")
    assert dump_if_stale(store, out, record=record, settings=other) is not None
    assert dump_if_stale(store, out, record=record, settings=other) is None
    # One graph changed: its files, the network's and the description are written, no other.
    cm = ox.NamedNode(iris.national_graph("CM"))
    added = ox.Quad(ox.NamedNode(iris.EXAMPLE + "x"), ox.NamedNode(RDFS_SEE_ALSO), cm, cm)
    store.add([added])
    changed = dump_if_stale(store, out, record=record, settings=other)
    assert changed is not None
    assert {p.removesuffix(".gz") for p in changed.rewritten} == {
        graph_file(cm.value),
        NETWORK_TRIG,
        NETWORK_NQUADS,
        "changes.ttl",
        "void.ttl",
    }
    # A file of the dump lost (or cut): written again.
    (out / NETWORK_TRIG).unlink()
    again = dump_if_stale(store, out, record=record, settings=other)
    assert again is not None and again.rewritten == [NETWORK_TRIG]
    record.write_text("{not json")
    assert dump_if_stale(store, out, record=record, settings=other) is not None


def test_every_graph_has_its_turtle_file_and_gzip(dumped):
    store, out = dumped
    for graph in store.graphs():
        path = out / graph_file(graph)
        assert path.is_file(), graph
        assert (
            gzip.decompress((out / (graph_file(graph) + ".gz")).read_bytes()) == path.read_bytes()
        )
    assert (out / "national" / "CM.ttl").is_file()


def test_gzip_carries_no_time_and_no_file_name():
    data = deterministic_gzip(b"<http://e/s> <http://e/p> <http://e/o> .\n")
    flags, mtime = data[3], int.from_bytes(data[4:8], "little")
    assert flags & 0x08 == 0  # FNAME
    assert mtime == 0


@pytest.mark.parametrize("reader", ["pyoxigraph", "rdflib"])
def test_each_graph_file_reads_back_isomorphic(dumped, reader):
    store, out = dumped
    for graph in store.graphs():
        data = (out / graph_file(graph)).read_bytes()
        expected = _store_ntriples(store, graph)
        if reader == "pyoxigraph":
            assert _canonical(ox.parse(data, format=ox.RdfFormat.TURTLE)) == _canonical(
                ox.parse(expected, format=ox.RdfFormat.N_TRIPLES)
            ), graph
        else:
            got = rdflib.Graph().parse(data=data, format="turtle")
            assert isomorphic(got, _rdflib_graph(store, graph)), graph


# rdflib's own dataset parsers use its deprecated ConjunctiveGraph API internally.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name,rdf_format", [(NETWORK_TRIG, "trig"), (NETWORK_NQUADS, "nquads")])
def test_network_files_read_back_as_the_whole_dataset(dumped, name, rdf_format):
    store, out = dumped
    data = (out / name).read_bytes()
    expected = list(store.quads())
    got = list(
        ox.parse(data, format=ox.RdfFormat.TRIG if rdf_format == "trig" else ox.RdfFormat.N_QUADS)
    )
    assert _canonical(got) == _canonical(expected)
    dataset = rdflib.Dataset()
    dataset.parse(data=data, format=rdf_format)
    for graph in store.graphs():
        assert isomorphic(dataset.graph(rdflib.URIRef(graph)), _rdflib_graph(store, graph)), graph


def test_network_trig_is_the_dumped_file(dumped):
    store, out = dumped
    assert network_trig(store) == (out / NETWORK_TRIG).read_bytes()


def test_blank_nodes_shared_between_graphs_stay_shared_in_network_files(tmp_path):
    shared = ox.BlankNode()
    p = ox.NamedNode("http://e/p")
    quads = [
        ox.Quad(shared, p, ox.Literal("in a"), ox.NamedNode(iris.EXAMPLE + "graph/a")),
        ox.Quad(shared, p, ox.Literal("in b"), ox.NamedNode(iris.EXAMPLE + "graph/b")),
        ox.Quad(ox.BlankNode(), p, ox.Literal("in b"), ox.NamedNode(iris.EXAMPLE + "graph/b")),
    ]
    dump_network(store_of(quads), tmp_path, settings=SETTINGS)
    back = list(ox.parse((tmp_path / NETWORK_NQUADS).read_bytes(), format=ox.RdfFormat.N_QUADS))
    assert _canonical(back) == _canonical(quads)
    subjects = {q.subject for q in back if q.object == ox.Literal("in a")}
    assert len({q.subject for q in back} & subjects) == 1


def test_void_describes_every_file_with_its_size_and_sha256(dumped):
    _, out = dumped
    void = _load(out / "void.ttl")
    rows = void.query(
        """PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX spdx: <http://spdx.org/rdf/terms#>
        SELECT ?url ?size ?sha WHERE { ?d dcat:downloadURL ?url ; dcat:byteSize ?size ;
          spdx:checksum/spdx:checksumValue ?sha }"""
    )
    described = {r["url"].value: (int(r["size"].value), r["sha"].value) for r in rows}
    files = digests(out)
    expected = {p for p in files if p not in ("void.ttl", "changes.ttl")}
    assert {u.removeprefix(SETTINGS.dump_base_url) for u in described} == expected
    for url, (size, sha) in described.items():
        path = out / url.removeprefix(SETTINGS.dump_base_url)
        assert size == path.stat().st_size and sha == files[str(path.relative_to(out))]
    see_also = _value(void, SETTINGS.dump_base_url + "void.ttl#catalog", RDFS_SEE_ALSO)
    assert see_also == SETTINGS.dump_base_url + "changes.ttl"


def test_void_counts_match_the_store(dumped):
    store, out = dumped
    void = _load(out / "void.ttl")
    national = iris.national_graph("CM")
    triples = _value(void, national, "http://rdfs.org/ns/void#triples")
    assert int(triples) == store.count(national)
    partitions = void.query(
        f"""PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?c ?n WHERE {{
          <{national}> void:classPartition [ void:class ?c ; void:entities ?n ] }}"""
    )
    assert {r["c"].value: int(r["n"].value) for r in partitions} == {
        iris.vocab("NationalCHM"): 1,
        "https://schema.org/WebPage": 1,
    }
    vocabularies = {
        q.object.value
        for q in void.quads_for_pattern(
            ox.NamedNode(national), ox.NamedNode("http://rdfs.org/ns/void#vocabulary"), None
        )
    }
    assert iris.VOCAB_BASE in vocabularies


# DCAT-AP 3: the mandatory and recommended properties of catalogue, dataset and distribution.
DCAT_AP = {
    "http://www.w3.org/ns/dcat#Catalog": [
        "dcterms:title",
        "dcterms:description",
        "dcterms:publisher",
        "dcat:dataset",
        "foaf:homepage",
        "dcterms:language",
        "dcterms:license",
        "dcat:themeTaxonomy",
    ],
    "http://www.w3.org/ns/dcat#Dataset": [
        "dcterms:title",
        "dcterms:description",
        "dcat:contactPoint",
        "dcat:distribution",
        "dcat:keyword",
        "dcterms:publisher",
        "dcat:theme",
    ],
    "http://www.w3.org/ns/dcat#Distribution": [
        "dcat:accessURL",
        "dcterms:description",
        "dcterms:format",
        "dcterms:license",
        "dcatap:availability",
        "dcat:mediaType",
    ],
    "http://xmlns.com/foaf/0.1/Agent": ["foaf:name"],
}


def test_dcat_catalogue_carries_dcat_ap_mandatory_and_recommended_properties(dumped):
    _, out = dumped
    void = _load(out / "void.ttl")
    prefixes = {**iris.PREFIXES, "dcatap": "http://data.europa.eu/r5r/"}
    missing = []
    for cls, properties in DCAT_AP.items():
        members = [
            q.subject
            for q in void.quads_for_pattern(
                None, ox.NamedNode(iris.PREFIXES["rdf"] + "type"), ox.NamedNode(cls)
            )
        ]
        assert members, cls
        for member in members:
            for name in properties:
                prefix, local = name.split(":")
                if not list(
                    void.quads_for_pattern(member, ox.NamedNode(prefixes[prefix] + local), None)
                ):
                    missing.append((member.value, name))
    assert missing == []


def test_modified_is_the_last_accepted_submission_not_the_dump_time(tmp_path):
    with Network.in_memory() as network:
        network.init(include_example=True)
        accepted = network.history("CM")[-1].when
        dump_network(network.store, tmp_path, settings=SETTINGS)
        first = (tmp_path / "void.ttl").read_bytes()
        dump_network(network.store, tmp_path, settings=SETTINGS)
    void = _load(tmp_path / "void.ttl")
    modified = _value(void, iris.national_graph("CM"), iris.PREFIXES["dcterms"] + "modified")
    assert datetime.fromisoformat(modified) == accepted
    assert (tmp_path / "void.ttl").read_bytes() == first
    assert (tmp_path / "submissions.ttl").is_file()
    assert not (tmp_path / "history").exists()


def test_submissions_are_dumped_without_the_archives_of_past_versions(tmp_path):
    with Network.in_memory() as network:
        network.init(include_example=True)
        dump_network(network.store, tmp_path, settings=SETTINGS)
        stored = set(network.store.quads(iris.SUBMISSIONS_GRAPH))
    archived = ox.NamedNode(iris.vocab("archivedContent"))
    assert any(q.predicate == archived for q in stored)
    kept = [q.triple for q in stored if q.predicate != archived]
    dumped = [q.triple for q in ox.parse(path=tmp_path / "submissions.ttl")]
    assert len(dumped) == len(kept)
    named = [
        t
        for t in kept
        if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)
    ]  # the agent is blank
    assert set(named) <= set(dumped)
    void = _load(tmp_path / "void.ttl")
    triples = _value(void, iris.SUBMISSIONS_GRAPH, "http://rdfs.org/ns/void#triples")
    assert int(triples) == len(dumped)
    everything = _load(tmp_path / NETWORK_NQUADS)
    assert not list(everything.quads_for_pattern(None, archived, None))
    assert not [g for g in everything.named_graphs() if g.value.startswith(iris.INFERRED_GRAPH)]


def test_change_log_records_added_replaced_and_removed_graphs(tmp_path):
    a, b, c = (ox.NamedNode(iris.EXAMPLE + f"graph/{name}") for name in "abc")
    p = ox.NamedNode("http://e/p")
    store = store_of([ox.Quad(p, p, ox.Literal("1"), a), ox.Quad(p, p, ox.Literal("1"), b)])
    dump_network(store, tmp_path, settings=SETTINGS)
    store.update(
        f"DROP GRAPH <{a.value}> ; INSERT DATA {{ "
        f"GRAPH <{b.value}> {{ <http://e/p> <http://e/p> '2' }} "
        f"GRAPH <{c.value}> {{ <http://e/p> <http://e/p> '3' }} }}"
    )
    second = dump_network(store, tmp_path, settings=SETTINGS)
    assert not (tmp_path / graph_file(a.value)).exists()
    assert sorted(second.removed) == sorted([graph_file(a.value), graph_file(a.value) + ".gz"])
    log = _load(tmp_path / "changes.ttl")
    rows = log.query(
        """PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?set ?graph ?status WHERE { ?r foaf:primaryTopic ?graph ;
          <http://www.w3.org/ns/adms#status> ?status ; dcterms:isPartOf/dcterms:identifier ?set }"""
    )
    changes = {
        (r["set"].value, r["graph"].value, r["status"].value.rsplit("/", 1)[1]) for r in rows
    }
    assert ("2", a.value, "deleted") in changes
    assert ("2", b.value, "updated") in changes
    assert ("2", c.value, "created") in changes
    assert ("1", a.value, "created") in changes
    assert not any(s == "2" and g == iris.QUERIES_GRAPH for s, g, _ in changes)


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "cbd.ttl"
    target.write_bytes(b"old")

    def refuse(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("chmgraph.publish.dump.os.replace", refuse)
    with pytest.raises(Exception, match="No space left"):
        write_atomic(target, b"new content")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["cbd.ttl"]


@pytest.mark.parametrize("url", ["https://e.org/d", "dump/", "/srv/dump/"])
def test_a_base_url_that_is_not_an_absolute_folder_url_is_refused(tmp_path, url):
    with pytest.raises(InputError, match="must be an absolute URL ending with '/'"):
        dump_network(store_of([]), tmp_path, settings=Settings(dump_base_url=url))
    assert list(tmp_path.iterdir()) == []


def test_a_dump_without_a_base_url_is_refused(tmp_path, monkeypatch):
    """A guessed URL in void.ttl would send the next harvest to files that are not there."""
    monkeypatch.delenv("CHMGRAPH_DUMP_BASE_URL", raising=False)
    with pytest.raises(InputError, match="--base-url"):
        dump_network(store_of([]), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.fixture
def seed_store(tmp_path) -> Path:
    store = tmp_path / "store"
    with Network.open(store, create=True) as network:
        network.init()
    return store


def test_cli_dump_without_a_base_url_exits_2_and_writes_nothing(seed_store, tmp_path, monkeypatch):
    monkeypatch.delenv("CHMGRAPH_DUMP_BASE_URL", raising=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["dump", "--store", str(seed_store), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output.startswith("error: a dump needs the URL it will be served under")
    assert not out.exists()


@pytest.mark.parametrize("by_variable", [False, True])
def test_cli_dump_links_every_file_under_the_base_url_it_names(
    seed_store, tmp_path, monkeypatch, by_variable
):
    base = "https://chm.example.org/dump/"
    out = tmp_path / "out"
    args = ["dump", "--store", str(seed_store), "--out", str(out)]
    if by_variable:
        monkeypatch.setenv("CHMGRAPH_DUMP_BASE_URL", base)
    else:
        args += ["--base-url", base]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"(void.ttl links under {base})" in result.output
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"network.trig.gz", "network.nq.gz", "void.ttl", "changes.ttl", "cbd.ttl"} <= files
    void = _load(out / "void.ttl")
    downloads = {
        str(row["url"].value)
        for row in void.query(
            "SELECT ?url WHERE { ?d <http://www.w3.org/ns/dcat#downloadURL> ?url }"
        )
    }
    # void.ttl describes the others; changes.ttl is linked from the catalogue (rdfs:seeAlso).
    assert downloads == {base + name for name in files - {"void.ttl", "changes.ttl"}}


def _store_ntriples(store: OxigraphStore, graph: str) -> bytes:
    return (
        ox.serialize((q.triple for q in store.quads(graph)), format=ox.RdfFormat.N_TRIPLES) or b""
    )


def _rdflib_graph(store: OxigraphStore, graph: str) -> rdflib.Graph:
    """The store's graph built term by term in rdflib (no parser in between), its literals in
    the canonical form rdflib's parsers give them (``"1E0"^^xsd:double`` as ``"1.0E0"``):
    validation keeps them as written, and the dump read back by rdflib does not."""
    built = to_rdflib(quad.triple for quad in store.quads(graph))
    canonical = rdflib.Graph()
    for s, p, o in built:
        if isinstance(o, rdflib.Literal) and o.datatype is not None:
            o = rdflib.Literal(str(o), datatype=o.datatype)
        canonical.add((s, p, o))
    return canonical


def _canonical(quads) -> set[ox.Quad]:
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def _load(path: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(path))
    return store


def _value(store: ox.Store, subject: str, predicate: str) -> str:
    values = [
        q.object.value
        for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)
    ]
    assert len(values) == 1, (subject, predicate, values)
    return values[0]

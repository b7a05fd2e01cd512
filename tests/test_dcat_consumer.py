"""void.ttl as DCAT consumers read it: ckanext-dcat's RDF parser (the one CKAN harvesters use,
run in a venv of its own that `make test` builds) and the DCAT-AP SHACL shapes.

The DCAT-AP 3 shapes are not in the shared peer folder nor in any package of the registries
this project uses; the DCAT-AP 2.0.1 shapes are. Their core file is run here. DCAT-AP 3 differs
from it on what void.ttl uses in two places, asserted as the only results: the range of
``dcat:byteSize`` (``xsd:decimal`` in 2.0.1, ``xsd:nonNegativeInteger`` in 3) and the checksum
algorithm (SHA-1 only in 2.0.1; void.ttl gives SHA-256). The two other files (the EU controlled
vocabularies, deprecated URIs) check values against the EU vocabularies' own data, which is not
available here and which void.ttl does not copy.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib

from chmgraph import iris
from chmgraph.network import Network
from chmgraph.publish.dump import dump_network
from chmgraph.settings import PROJECT_ROOT, Settings
from chmgraph.synth import SyntheticNetwork

CONSUMER = PROJECT_ROOT / ".venv" / "dcat-consumer" / "bin" / "python"
READER = Path(__file__).parent / "dcat_consumer" / "read_catalogue.py"
PEER = PROJECT_ROOT.parent / "shared" / "peer" / "dcat-ap-2.0.1"
SETTINGS = Settings(
    dump_base_url="https://chm.example.org/dump/",
    dump_contact_email="chm-operator@example.org",
    dump_publisher_name="Example operator (test data)",
)
LANGUAGES = {"ar", "en", "es", "fr", "ru", "zh"}


@pytest.fixture(scope="module")
def void(tmp_path_factory) -> Path:
    """The void.ttl of a network with CM's example and a synthetic AD (two versions)."""
    out = tmp_path_factory.mktemp("dump")
    with Network.in_memory() as network:
        network.init(include_example=True)
        for seed in (1, 2):
            text = io.StringIO()
            SyntheticNetwork(target_triples=200, countries=["AD"], seed=seed).write_submission(
                "AD", text
            )
            assert network.submit(text.getvalue().encode(), "AD", name="AD.ttl").accepted
        dump_network(network.store, out, settings=SETTINGS)
    return out / "void.ttl"


def ckan_datasets(path: Path) -> dict[str, dict]:
    assert CONSUMER.is_file(), "the DCAT consumer's venv is missing: run `make test`"
    run = subprocess.run(
        [str(CONSUMER), str(READER), str(path)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return {d["extras_by_key"]["uri"]: d for d in map(_by_key, json.loads(run.stdout))}


def _by_key(dataset: dict) -> dict:
    dataset["extras_by_key"] = {e["key"]: e["value"] for e in dataset.get("extras", [])}
    return dataset


def test_ckan_reads_every_dataset_with_licence_title_version_and_contact(void):
    datasets = ckan_datasets(void)
    described = ox.Store()
    described.load(path=str(void), format=ox.RdfFormat.TURTLE)
    dcat_datasets = {
        q.subject.value
        for q in described.quads_for_pattern(
            None,
            ox.NamedNode(iris.PREFIXES["rdf"] + "type"),
            ox.NamedNode(iris.PREFIXES["dcat"] + "Dataset"),
        )
    }
    assert set(datasets) == dcat_datasets
    cm = datasets[iris.national_graph("CM")]
    assert cm["title"] == "National clearing-house mechanism: Cameroon"
    assert cm["license_id"] == "cc-by"
    assert cm["version"] == "1"
    assert datasets[iris.national_graph("AD")]["version"] == "2"
    extras = cm["extras_by_key"]
    assert extras["contact_email"] == "chm-operator@example.org"
    assert extras["publisher_name"] == "Example operator (test data)"
    assert extras["spatial_uri"] == iris.country("CM")
    for resource in cm["resources"]:
        assert resource["hash"] and resource["size"] and resource["mimetype"]
        assert resource["license"] == SETTINGS.dump_license
        assert resource["url"].startswith(SETTINGS.dump_base_url)


def test_national_titles_and_descriptions_come_in_the_six_languages(void):
    described = ox.Store()
    described.load(path=str(void), format=ox.RdfFormat.TURTLE)
    for predicate in ("title", "description"):
        values = {
            q.object.language: q.object.value
            for q in described.quads_for_pattern(
                ox.NamedNode(iris.national_graph("CM")),
                ox.NamedNode(iris.PREFIXES["dcterms"] + predicate),
                None,
            )
        }
        assert set(values) == LANGUAGES
    assert "Cameroun" in values["fr"] and "Камерун" in values["ru"] and "喀麦隆" in values["zh"]


def test_the_dcat_ap_shapes_find_nothing_but_what_dcat_ap_3_changed(void):
    shapes = rdflib.Graph().parse(PEER / "dcat-ap_2.0.1_shacl_shapes.ttl")
    data = rdflib.Graph().parse(void)
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
    byte_size = rdflib.URIRef(iris.PREFIXES["dcat"] + "byteSize")
    results = list(report.subjects(sh.focusNode, None))
    paths = {report.value(r, sh.resultPath) for r in results}
    assert paths <= {byte_size, spdx.algorithm}, paths
    for result in results:
        focus, path = report.value(result, sh.focusNode), report.value(result, sh.resultPath)
        if path == byte_size:
            assert data.value(focus, byte_size).datatype == rdflib.XSD.nonNegativeInteger
        else:
            assert data.value(focus, spdx.algorithm) == spdx.checksumAlgorithm_sha256

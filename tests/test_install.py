"""The installed package is self-sufficient: a wheel built from the sdist carries the vocabulary,
shapes, facts and queries, and runs from a fresh venv outside the checkout, with no ``../shared``.

The fresh venv gets chmgraph from the wheel only; its dependencies come from this test's venv
through a ``.pth`` file (a plain path line, so the editable install's own ``.pth`` hook there is
never run), which keeps the test offline and fast.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from chmgraph import iris
from chmgraph.settings import PROJECT_ROOT
from chmgraph.synth import SyntheticNetwork

pytestmark = pytest.mark.install

# Not sources: the test venv, caches, build output, the store and benchmark workloads.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
)
RESOURCES = "chmgraph/_resources/"


def shipped_files() -> dict[str, Path]:
    """What the wheel must carry, by its name there: the files chmgraph reads at run time."""
    patterns = [
        "ontology/*.ttl",
        "ontology/context.jsonld",
        "shapes/*.ttl",
        "queries/*.rq",
        "queries/*.context.jsonld",
        "data/cbd/*.ttl",
        "data/reference/*.ttl",
        "data/reference/synthetic-network-countries.csv",
        "data/examples/*.ttl",
        "data/examples/*.jsonld",
    ]
    files = [path for pattern in patterns for path in PROJECT_ROOT.glob(pattern)]
    return {RESOURCES + path.relative_to(PROJECT_ROOT).as_posix(): path for path in files}


def run(args: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, **kwargs
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The sdist built from a copy of the checkout, and the wheel built from that sdist."""
    tmp = tmp_path_factory.mktemp("build")
    source = tmp / "source"
    shutil.copytree(PROJECT_ROOT, source, ignore=NOT_SOURCES)
    build_sdist = (
        "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])"
    )
    run([sys.executable, "-c", build_sdist, tmp / "sdist"], cwd=source)
    [sdist] = (tmp / "sdist").glob("chmgraph-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp / "unpacked", filter="data")
    [unpacked] = (tmp / "unpacked").iterdir()
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    run([*pip_wheel, "--no-index", "-w", tmp / "wheel", unpacked])
    [wheel] = (tmp / "wheel").glob("chmgraph-*.whl")
    return sdist, wheel


def test_the_wheel_carries_what_chmgraph_reads_and_nothing_else_of_the_folders(built):
    sdist, wheel = built
    expected = shipped_files()
    with zipfile.ZipFile(wheel) as archive:
        resources = {name for name in archive.namelist() if name.startswith(RESOURCES)}
        assert resources == set(expected)
        for name, path in expected.items():
            assert archive.read(name) == path.read_bytes(), name
        assert not [name for name in archive.namelist() if "__pycache__" in name]
    assert {RESOURCES + "ontology/chm.ttl", RESOURCES + "shapes/chm.ttl"} <= resources
    assert RESOURCES + "data/examples/national-chm-example.ttl" in resources
    assert len([name for name in resources if name.endswith(".rq")]) == len(
        list((PROJECT_ROOT / "queries").glob("*.rq"))
    )
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for path in expected.values():
        assert path.relative_to(PROJECT_ROOT).as_posix() in in_sdist


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory) -> Path:
    """A fresh venv holding chmgraph from the wheel; its ``bin`` folder."""
    _, wheel = built
    venv = tmp_path_factory.mktemp("venv") / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--no-index",
            wheel,
        ]
    )
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    ours = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (Path(site.stdout.strip()) / "dependencies-of-the-test-venv.pth").write_text(
        "".join(f"{path}\n" for path in ours), encoding="utf-8"
    )
    return venv / "bin"


@pytest.fixture
def outside(tmp_path) -> dict:
    """``subprocess.run`` options for an empty folder, with nothing pointing at the checkout."""
    env = {
        k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("CHMGRAPH")
    }
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    work = tmp_path / "empty"
    work.mkdir()
    return {"cwd": work, "env": env}


def test_the_wheel_carries_the_web_ui_templates_catalogues_and_static_files(built):
    _, wheel = built
    server = PROJECT_ROOT / "chmgraph" / "server"
    expected = [
        path
        for folder in ("templates", "locales", "static")
        for path in (server / folder).rglob("*")
        if path.is_file()
    ]
    assert len(expected) > 20
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for path in expected:
            name = path.relative_to(PROJECT_ROOT).as_posix()
            assert name in names, name
            assert archive.read(name) == path.read_bytes(), name
    licences = [p for p in expected if p.name == "LICENSE"]
    assert {p.parent.name for p in licences} == {"yasgui", "chart.js", "world-atlas"}


def test_chmgraph_is_imported_from_the_wheel_and_its_folders_are_the_packaged_ones(venv, outside):
    probe = (
        "import json, sys, chmgraph, chmgraph.settings as s\n"
        "print(json.dumps({'file': chmgraph.__file__, 'path': sys.path, 'dirs': [str(d) for d in "
        "(s.ONTOLOGY_DIR, s.SHAPES_DIR, s.DATA_DIR, s.QUERIES_DIR)]}))"
    )
    found = json.loads(run([venv / "python", "-c", probe], **outside).stdout)
    package = Path(found["file"]).parent
    assert package.is_relative_to(venv.parent)
    assert [Path(d) for d in found["dirs"]] == [
        package / "_resources" / name for name in ("ontology", "shapes", "data", "queries")
    ]
    assert str(PROJECT_ROOT) not in found["path"]
    assert not [p for p in found["path"] if p and Path(p).resolve() == PROJECT_ROOT]


def test_init_query_synth_and_validate_work_from_an_empty_folder(venv, outside, tmp_path):
    chmgraph = venv / "chmgraph"
    store = tmp_path / "store"
    built = run([chmgraph, "init", "--store", store, "--with-example"], **outside).stdout
    assert "accepted: CM version 1" in built

    answer = run(
        [chmgraph, "query", "workshops-by-supporter", "--store", store, "--format", "csv"],
        **outside,
    ).stdout
    rows = list(csv.DictReader(io.StringIO(answer)))
    assert len(rows) == 5
    assert all(row["workshop"].startswith(iris.ID + "event/") for row in rows)

    # The same seed gives the same bytes from the wheel as from the checkout.
    network = tmp_path / "network.trig"
    run(
        [chmgraph, "synth", "--size", "2000", "--countries", "3", "--seed", "4", "--out", network],
        **outside,
    )
    here = tmp_path / "here.trig"
    SyntheticNetwork(target_triples=2000, countries=3, seed=4).write_file(here)
    assert network.read_bytes() == here.read_bytes()

    clean, broken = tmp_path / "cm.ttl", tmp_path / "cm-broken.ttl"
    synth_cm = [chmgraph, "synth", "--country", "CM", "--size", "500", "--out"]
    run([*synth_cm, clean], **outside)
    run([*synth_cm, broken, "--violations", "1"], **outside)
    assert "Conforms" in run([chmgraph, "validate", clean], **outside).stdout
    report = subprocess.run(
        [str(chmgraph), "validate", str(broken)], capture_output=True, text=True, **outside
    )
    assert report.returncode == 1, report.stdout + report.stderr

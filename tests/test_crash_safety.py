"""A submission killed (SIGKILL) at several moments leaves the old version whole.

A subprocess submits a large national graph to a store on disk and is killed while reading the
file, as the transaction starts, while it runs, and just after it commits. The store must then
open as it is (no repair) with the country's graph, its inferred graph and its history (the
records archiving each version's statements) either all as before or all as after, never in
between."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from chmgraph import iris
from chmgraph.entailment import inferred_graph
from chmgraph.network import Network
from chmgraph.settings import DATA_DIR

pytestmark = pytest.mark.slow

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"
FILLER_SUBJECTS = 10_000  # three triples each: a commit of a second or more, killed inside

# The subprocess prints when the store is open and when the transaction starts. SHACL
# validation of a 60k-triple file would take far longer than the commit this test is about, so
# the subprocess keeps the syntax gate and the network's own national rules only.
SUBMITTER = """
import hashlib
import sys
from chmgraph import network
from chmgraph.network.submission import CheckedSubmission
from chmgraph.rdfio import parse_bytes

def syntax_checked(source, country, store=None):
    quads = parse_bytes(source.data, name=source.name, format=source.format)
    digest = hashlib.sha256(source.data).hexdigest()
    return CheckedSubmission(quads, True, "syntax checked", digest)

network.check_submission = syntax_checked
from chmgraph.store.oxigraph import OxigraphStore
update = OxigraphStore.update

def announced_update(self, sparql):
    print("committing", flush=True)
    update(self, sparql)
    print("committed", flush=True)

OxigraphStore.update = announced_update
net = network.Network.open(sys.argv[1])
print("opened", flush=True)
net.submit(sys.argv[2], "CM", message="large")
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store holding CM version 1 (the example), and a large CM version 2 to submit."""
    root = tmp_path_factory.mktemp("crash")
    with Network.open(root / "store", create=True) as network:
        network.init()
        network.submit(EXAMPLE, "CM")
    large = root / "cm-large.ttl"
    with large.open("w", encoding="utf-8") as out:
        out.write(EXAMPLE.read_text(encoding="utf-8"))
        for i in range(FILLER_SUBJECTS):
            thing = f"<{iris.SYNTHETIC}crash-test/thing/{i}>"
            out.write(
                f'{thing} a chm:Workshop ; rdfs:label "synthetic workshop {i}"@en ;\n'
                f'  dcterms:description "Synthetic data for the crash-safety test."@en .\n'
            )
    return root / "store", large


def national(network: Network) -> frozenset[ox.Triple]:
    return frozenset(q.triple for q in network.store.quads(iris.national_graph("CM")))


@pytest.mark.parametrize(
    ("event", "delay"),
    [
        ("opened", 0.0),
        ("committing", 0.0),
        ("committing", 0.3),
        ("committing", 1.0),
        ("committed", 0.0),
    ],
    ids=["reading", "commit-start", "commit-0.3s", "commit-1s", "after-commit"],
)
def test_kill_during_submission_keeps_a_whole_version(
    prepared: tuple[Path, Path], tmp_path: Path, event: str, delay: float
) -> None:
    base, large = prepared
    store = tmp_path / "store"
    shutil.copytree(base, store)
    with Network.open(store) as before:
        old = national(before)
        old_inferred = before.store.count(inferred_graph(iris.national_graph("CM")))
    env = {**os.environ, "PYTHONPATH": str(Path(iris.__file__).parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SUBMITTER, str(store), str(large)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines = [proc.stdout.readline().strip()]
    while lines[-1] and lines[-1] != event:
        lines.append(proc.stdout.readline().strip())
    assert lines[-1] == event, f"the submitter ended before {event!r}: {lines}"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with Network.open(store) as after:  # read-write: the store opens as it is
        current = national(after)
        history = [v.number for v in after.history("CM")]
        inferred = after.store.count(inferred_graph(iris.national_graph("CM")))
        assert sum(1 for _ in after.store.quads()) == after.store.count()
        if current == old:
            assert history == [1]
            assert inferred == old_inferred
        else:
            assert current == frozenset(after.version_triples("CM", 2))
            assert len(current) == len(old) + 3 * FILLER_SUBJECTS
            assert history == [1, 2]
            # each filler is a chm:Workshop, so a schema:Event too
            assert inferred >= old_inferred + FILLER_SUBJECTS
    if (event, delay) in {("opened", 0.0), ("committing", 0.0)}:
        assert current == old, "killed before the transaction could end, yet it is stored"
    if event == "committed":
        assert current != old, "a committed version was lost"

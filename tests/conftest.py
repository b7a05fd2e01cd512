"""Fixtures shared by the test modules."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from servers import Virtuoso, virtuoso_server

from chmgraph.network import Network


@pytest.fixture(scope="session")
def network() -> Network:
    """The seed network (ontology, reference, CBD facts, the example submission for CM, their
    entailments) in memory, built once per test process. Tests only read it: a test that changes
    a network builds its own."""
    seed = Network.in_memory()
    seed.init(include_example=True)
    return seed


@pytest.fixture
def hold_store() -> Iterator[Callable[[Path], None]]:
    """``hold_store(path)`` opens the store at ``path`` in another process, which keeps its lock
    until the test ends."""
    holders: list[subprocess.Popen] = []

    def hold(path: Path) -> None:
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys, pyoxigraph as ox\n"
                f"s = ox.Store({str(path)!r})\nprint('ready', flush=True)\nsys.stdin.read()",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        holders.append(holder)
        assert holder.stdout.readline().strip() == "ready"

    yield hold
    for holder in holders:
        holder.communicate("")


@pytest.fixture(scope="session")
def virtuoso(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Virtuoso]:
    """A Virtuoso server on loopback, one per test process (xdist worker), for the tests that
    share one; a test emptying it does so itself. Skipped, saying so, without Virtuoso."""
    cache = Path(request.config.cache.mkdir("virtuoso"))
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso"), cache) as server:
        yield server

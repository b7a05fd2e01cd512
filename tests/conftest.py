"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest

from chmgraph.network import Network


@pytest.fixture(scope="session")
def network() -> Network:
    """The seed network (ontology, reference, CBD facts, the example submission for CM, their
    entailments) in memory, built once per test process. Tests only read it: a test that changes
    a network builds its own."""
    seed = Network.in_memory()
    seed.init(include_example=True)
    return seed

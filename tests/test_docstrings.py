"""Every docstring example in the package runs, so the examples in the docs cannot rot."""

import doctest
import importlib
import pkgutil

import pytest

import chmgraph

MODULES = [
    "chmgraph",
    *sorted(
        m.name
        for m in pkgutil.walk_packages(chmgraph.__path__, prefix="chmgraph.")
        if not m.name.endswith("__main__")
    ),
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"

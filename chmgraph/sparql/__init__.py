"""The network's own SPARQL queries, one ``.rq`` file each, shipped inside the package.

>>> "chm:versionNumber" in load("history")
True
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """The text of the internal query ``name`` (``name.rq`` beside this module)."""
    return resources.files(__package__).joinpath(f"{name}.rq").read_text(encoding="utf-8")

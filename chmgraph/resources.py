"""Where the vocabulary, shapes, facts and queries that chmgraph reads are.

They live in the project's top-level folders (``ontology/``, ``shapes/``, ``data/``,
``queries/``). A built wheel carries a copy of each inside the package, under
``chmgraph/_resources/`` (``setup.py`` puts it there), so that an installed chmgraph needs no
checkout; an editable install has no such copy and reads the checkout's folders.

>>> (ONTOLOGY_DIR / "chm.ttl").is_file(), (QUERIES_DIR / "workshops.rq").is_file()
(True, True)
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# Where setup.py's build_py puts the copies; the folder names below are the ones it copies.
PACKAGED_DIR = PACKAGE_DIR / "_resources"
# The checkout an editable install runs from (in a wheel, the site-packages folder: not used).
CHECKOUT_DIR = PACKAGE_DIR.parent


def resource_dir(name: str) -> Path:
    """The packaged copy of folder ``name`` when there is one, else the checkout's."""
    packaged = PACKAGED_DIR / name
    return packaged if packaged.is_dir() else CHECKOUT_DIR / name


ONTOLOGY_DIR = resource_dir("ontology")
SHAPES_DIR = resource_dir("shapes")
DATA_DIR = resource_dir("data")
QUERIES_DIR = resource_dir("queries")

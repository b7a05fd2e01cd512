"""Ships the project's vocabulary, shapes, facts and queries inside the built package.

They live in ``ontology/``, ``shapes/``, ``data/`` and ``queries/`` at the project's root, beside
the ``chmgraph`` package rather than in it, so setuptools' package data cannot name them. This
``build_py`` copies the files chmgraph reads at run time into ``chmgraph/_resources/`` of the
build, where ``chmgraph.resources`` finds them; an editable install skips the copy and reads the
checkout's folders. ``MANIFEST.in`` puts the folders in the sdist, so a wheel built from it has them
too. Everything else is declared in ``pyproject.toml``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

# What chmgraph reads at run time, by folder: not the READMEs, nor host-cities.csv (an input of
# scripts/build_reference.py).
RESOURCES = {
    "ontology": ("*.ttl", "context.jsonld"),
    "shapes": ("*.ttl",),
    "queries": ("*.rq", "*.context.jsonld"),
    "data/cbd": ("*.ttl",),
    "data/reference": ("*.ttl", "synthetic-network-countries.csv"),
    "data/examples": ("*.ttl", "*.jsonld"),
}
ROOT = Path(__file__).resolve().parent


class BuildPyWithResources(build_py):
    """``build_py`` that also copies ``RESOURCES`` into ``chmgraph/_resources/``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        # A build folder left by an earlier build would otherwise ship files removed since.
        shutil.rmtree(Path(self.build_lib, "chmgraph", "_resources"), ignore_errors=True)
        for folder, patterns in RESOURCES.items():
            files = sorted({path for pattern in patterns for path in (ROOT / folder).glob(pattern)})
            if not files:
                raise SystemExit(f"setup.py: nothing to ship in {folder}/ ({', '.join(patterns)})")
            target = Path(self.build_lib, "chmgraph", "_resources", folder)
            self.mkpath(str(target))
            for path in files:
                self.copy_file(str(path), str(target / path.name))


setup(cmdclass={"build_py": BuildPyWithResources})

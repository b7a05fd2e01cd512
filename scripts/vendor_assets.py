"""Rebuilds the web UI's third-party assets from the npm registry.

Each package is fetched with ``npm pack NAME@VERSION`` into a temporary folder, and the files the
pages use are copied with the package's licence into ``chmgraph/server/static/vendor/NAME/``;
``VERSIONS.json`` there records each package's version, licence and checksums. The country
outlines of ``world-atlas`` (TopoJSON, Natural Earth 1:50m, which has the small island states
1:110m lacks) are turned once into SVG paths keyed by ISO 3166 numeric code (the M49 code of a
country), in an equirectangular projection, so the map needs no script library and no tile
server. ``axe-core`` is for the tests only and goes to ``tests/vendor/axe-core/``.

    python scripts/vendor_assets.py            # npm must be on PATH
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "chmgraph" / "server" / "static" / "vendor"
TESTS = ROOT / "tests" / "vendor"

# name, version, files to copy (path in the package -> name in the folder), where they go.
PACKAGES = [
    (
        "@zazuko/yasgui",
        "4.6.2",
        {"build/yasgui.min.js": "yasgui.min.js", "build/yasgui.min.css": "yasgui.min.css"},
        STATIC / "yasgui",
    ),
    ("chart.js", "4.6.1", {"dist/chart.umd.min.js": "chart.umd.min.js"}, STATIC / "chart.js"),
    ("world-atlas", "2.0.2", {}, STATIC / "world-atlas"),
    ("axe-core", "4.14.1", {"axe.min.js": "axe.min.js"}, TESTS / "axe-core"),
]
LICENCE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE")
# The map's frame: longitude -180..180 and latitude 90..-60 (Antarctica left out) in a
# 1000 x 420 box, coordinates rounded to 0.1.
WIDTH, SOUTH = 1000.0, -60.0
SCALE = WIDTH / 360.0
# Points nearer than this (in the frame's units) to the last one kept are left out.
STEP = 0.8


def main() -> int:
    if shutil.which("npm") is None:
        print("vendor_assets.py: npm is not on PATH", file=sys.stderr)
        return 2
    versions = {}
    with tempfile.TemporaryDirectory() as temp:
        for name, version, files, target in PACKAGES:
            package = fetch(name, version, Path(temp))
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            for source, copied in files.items():
                shutil.copyfile(package / source, target / copied)
            licence = copy_licence(package, target)
            if name == "world-atlas":
                write_map(package / "countries-50m.json", target / "countries-50m.paths.json")
            meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
            versions[name] = {
                "version": meta["version"],
                "license": meta.get("license"),
                "licence_file": licence,
                "files": sorted(p.name for p in target.iterdir()),
                "sha256": {
                    p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                    for p in sorted(target.iterdir())
                },
            }
            print(f"{name}@{meta['version']} -> {target.relative_to(ROOT)}")
    (STATIC / "VERSIONS.json").write_text(json.dumps(versions, indent=2) + "\n", encoding="utf-8")
    return 0


def fetch(name: str, version: str, temp: Path) -> Path:
    """The unpacked package ``name@version`` (``npm pack``, no install scripts run)."""
    folder = temp / name.replace("/", "+")
    folder.mkdir()
    done = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    archive = folder / done.stdout.strip().splitlines()[-1]
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return folder / "package"


def copy_licence(package: Path, target: Path) -> str:
    """Copy the package's licence file; a package that ships none (``@zazuko/yasgui`` states
    MIT in package.json only) gets a LICENSE saying so, with the MIT text."""
    for name in LICENCE_NAMES:
        if (package / name).is_file():
            shutil.copyfile(package / name, target / "LICENSE")
            return name
    meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    if meta.get("license") != "MIT":
        raise SystemExit(f"{meta['name']}: no licence file and licence {meta.get('license')!r}")
    (target / "LICENSE").write_text(
        f"{meta['name']} {meta['version']} ships no licence file; its package.json states the "
        f"MIT License.\nRepository: {_repository(meta)}\n\n{MIT}",
        encoding="utf-8",
    )
    return "package.json"


def _repository(meta: dict) -> str:
    repository = meta.get("repository")
    if isinstance(repository, dict):
        return repository.get("url", "")
    return repository or meta.get("homepage", "")


MIT = """MIT License

Copyright (c) the authors of the package named above

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def write_map(topojson: Path, target: Path) -> None:
    """Country outlines as SVG path data by ISO 3166 numeric code, with the frame's size."""
    topology = json.loads(topojson.read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    paths = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = geometry.get("id")
        if code is None or geometry.get("type") is None:
            continue
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else list(geometry["arcs"])
        data = "".join(_ring(arcs, ring) for polygon in polygons for ring in polygon)
        data = data or _dot(arcs, polygons)
        if data:
            paths[str(code).zfill(3)] = data
    height = round((90.0 - SOUTH) * SCALE)
    target.write_text(
        json.dumps(
            {
                "source": "world-atlas countries-50m.json (Natural Earth 1:50m)",
                "projection": "equirectangular",
                "width": int(WIDTH),
                "height": height,
                "paths": dict(sorted(paths.items())),
            },
            separators=(",", ":"),
        )
        + "\n",
        encoding="utf-8",
    )


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The topology's arcs as longitude/latitude points (delta-decoded, then unquantized)."""
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        decoded.append(points)
    return decoded


def _ring(arcs: list[list[tuple[float, float]]], ring: list[int]) -> str:
    """One ring as SVG path data, points closer than ``STEP`` to the last one kept left out."""
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    projected: list[tuple[float, float]] = []
    for lon, lat in points:
        x, y = (lon + 180.0) * SCALE, (90.0 - max(lat, SOUTH)) * SCALE
        last = projected[-1] if projected else None
        if last is None or abs(x - last[0]) + abs(y - last[1]) >= STEP:
            projected.append((x, y))
    if len(projected) < 3:
        return ""
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in projected) + "Z"


def _dot(arcs: list[list[tuple[float, float]]], polygons: list) -> str:
    """A small diamond where a country too small for the map's scale lies, so it still shows."""
    points = [
        p
        for polygon in polygons
        for ring in polygon
        for i in ring
        for p in arcs[i if i >= 0 else ~i]
    ]
    lon = sum(p[0] for p in points) / len(points)
    lat = sum(p[1] for p in points) / len(points)
    x, y = (lon + 180.0) * SCALE, (90.0 - lat) * SCALE
    r = 2.0
    return f"M{x:.1f},{y - r:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},{y + r:.1f}L{x - r:.1f},{y:.1f}Z"


if __name__ == "__main__":
    sys.exit(main())

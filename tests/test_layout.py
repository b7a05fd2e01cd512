"""The package's layout stays readable: no import circles between chmgraph's modules, and none
hidden by imports inside functions (shared nouns go in a module of their own)."""

from __future__ import annotations

import ast
from pathlib import Path

import chmgraph

PACKAGE = Path(chmgraph.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, tree: ast.Module) -> set[str]:
    """The chmgraph modules ``tree`` imports at its top level: a ``from X import Y`` names module
    X.Y when Y is a submodule, else X itself (importing a package runs its ``__init__``)."""
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in MODULES and m != name}


def test_no_module_imports_inside_functions_or_classes() -> None:
    nested = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = set(map(id, tree.body))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
                nested.append(f"{name}:{node.lineno}")
    assert nested == []


def test_the_modules_import_each_other_without_a_circle() -> None:
    graph = {n: imported(n, ast.parse(p.read_text(encoding="utf-8"))) for n, p in MODULES.items()}
    circles = []
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                circles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert circles == []


def test_the_layout_check_sees_a_circle() -> None:
    # The check itself: two modules importing each other are found.
    a = ast.parse("from chmgraph.network import history\n")
    assert imported("chmgraph.query.run", a) == {"chmgraph.network.history"}

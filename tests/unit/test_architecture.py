"""The layers stay apart and nothing imports in a circle: read from the source
with ``ast`` (every import counts, also those inside functions or under
TYPE_CHECKING, because each is a dependency a reader has to follow)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "zhi_gui"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py") if "gen" not in p.relative_to(PACKAGE).parts}
    known = set(files)
    result = {}
    for name, path in files.items():
        deps = imports_of(path, known) - {name}
        # A package's __init__ importing its own submodules is its public face, not a cycle.
        result[name] = {d for d in deps if not d.startswith(name + ".")}
    return result


def test_no_import_cycles_inside_zhi_gui() -> None:
    deps = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(deps.get(node, ())):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep):], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for module in sorted(deps):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize(("layer", "forbidden"), [
    ("zhi_gui.core", ("PySide6", "qasync", "zhi_gui.ui", "zhi_gui.session", "zhi_gui.plugin", "zhi_gui.services")),
    ("zhi_gui.session", ("PySide6", "qasync", "zhi_gui.ui")),
    ("zhi_gui.transfer", ("PySide6", "qasync", "zhi_gui.ui")),
    ("zhi_gui.plugin", ("PySide6", "qasync", "zhi_gui.ui", "zhi_gui.session")),
    ("zhi_gui.stores", ("PySide6", "qasync", "zhi_gui.ui", "zhi_gui.session")),
    ("zhi_gui.services", ("PySide6", "qasync", "zhi_gui.ui", "zhi_gui.session")),
])
def test_layers_do_not_import_upwards(layer: str, forbidden: tuple[str, ...]) -> None:
    bad = []
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        if name != layer and not name.startswith(layer + "."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            bad += [f"{name} imports {t}" for t in targets if t.startswith(forbidden)]
    assert not bad, "\n".join(bad)

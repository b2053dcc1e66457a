"""The shape of the code, checked: plugins import only ``ekonomi.core``'s
public names; no module imports itself back through others (function-level
imports count too); no function over 60 lines and no class over 400 lines
in production code."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import ekonomi.core as core

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"core": "ekonomi.core", "web": "ekonomi.web", "plugins": "ekonomi.plugins"}
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 400


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    """Every production module: its dotted name, path and syntax tree."""
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            yield ".".join([package, *parts]), path, ast.parse(path.read_text(encoding="utf-8"))


def imports(name: str, path: Path, tree: ast.Module) -> Iterator[tuple[str, list[str], int]]:
    """(module imported from, names, line) for every import that runs, at
    any depth (those under ``if TYPE_CHECKING:`` never do); relative imports
    resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            yield base, [a.name for a in node.names], node.lineno


def test_plugins_import_only_the_public_core():
    wrong = []
    for name, path, tree in modules():
        if not name.startswith("ekonomi.plugins."):
            continue
        for module, names, line in imports(name, path, tree):
            if module.startswith("ekonomi.core") and (module != "ekonomi.core" or set(names) - set(core.__all__)):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: from {module} import {', '.join(names)}")
    assert wrong == [], "a plugin imports only `from ekonomi.core import <public name>`"


def test_no_import_cycles():
    known = {name: (path, tree) for name, path, tree in modules()}
    graph: dict[str, set[str]] = {}
    for name, (path, tree) in known.items():
        edges = graph.setdefault(name, set())
        for module, names, _ in imports(name, path, tree):
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in known] or [module]
            edges.update(t for t in targets if t in known and t != name)
    cycles = _cycles(graph)
    assert cycles == [], "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_functions_and_classes_stay_small():
    big = []
    for name, path, tree in modules():
        if "migrations" in name:
            continue  # generated schema steps
        for node in ast.walk(tree):
            limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if length > limit:
                    big.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines")
    assert big == [], f"over {MAX_FUNCTION_LINES} lines a function or {MAX_CLASS_LINES} a class"

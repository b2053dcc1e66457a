"""Mistakes a reviewer can miss: a function defined twice in one class or
module silently replaces the first (the first is then dead code)."""

from __future__ import annotations

import ast
import collections
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("core", "plugins", "web", "tests", "benchmarks")


def test_no_function_is_defined_twice_in_one_scope():
    twice = []
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, (ast.Module, ast.ClassDef)):
                    names = collections.Counter(
                        n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                    )
                    twice += [f"{path.relative_to(ROOT)}: {getattr(node, 'name', '<module>')}.{n}" for n, c in names.items() if c > 1]
    assert twice == []

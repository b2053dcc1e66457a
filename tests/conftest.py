"""Shared fixtures.  Entry-point autoloading stays off in unit tests: test
plugins are registered directly (docs/style.md item 14)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EKONOMI_SHARED", ROOT.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, reason: str) -> None:
    """Skip when a resource is missing, except in CI where it must be there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sie_corpus() -> Path:
    path = SHARED / "sie-corpus"
    need(path.is_dir(), f"the SIE corpus is not at {path} (set EKONOMI_SHARED)")
    return path


@pytest.fixture(scope="session")
def gen_sie4() -> Path:
    path = SHARED / "tools" / "gen_sie4.py"
    need(path.is_file(), f"the SIE generator is not at {path} (set EKONOMI_SHARED)")
    return path

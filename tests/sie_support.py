"""Golden files for the SIE corpus: ``tests/sie_golden/<file>.expected.json``.

Each golden file is the ``sie check`` report of one corpus file plus a tally
of the canonical records ``normalize()`` yields.  Regenerate them after a
deliberate change, then review the diff in git::

    python tests/sie_support.py --regenerate
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "sie_golden"
DEFAULT_CORPUS = Path(os.environ.get("EKONOMI_SHARED", HERE.parent.parent / "shared")) / "sie-corpus"


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_file() and p.name != "MANIFEST.md")


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.expected.json"


def observe(path: Path) -> dict[str, Any]:
    """What the golden file holds for ``path``: the check report and a record tally."""
    from ekonomi.core import FileInput, ImportContext
    from ekonomi.plugins.sie4.check import check_file
    from ekonomi.plugins.sie4.source import Sie4Source

    report = check_file(path)
    tally: Counter[str] = Counter()
    if report["variant"] is not None:
        ctx = ImportContext(source="sie4", input=FileInput(path, path.name))
        for rec in Sie4Source().normalize(FileInput(path, path.name), ctx):
            tally[type(rec).__name__] += 1
            if type(rec).__name__ == "Voucher":
                tally["VoucherRow." + "/".join(sorted({r.kind.value for r in rec.rows})) if rec.rows else "VoucherRow.none"] += 1
            if type(rec).__name__ == "Scope":
                tally["Scope." + rec.mode] += 1
    return {"report": report, "records": dict(sorted(tally.items()))}


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def diff(expected: str, actual: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            expected.splitlines(True), actual.splitlines(True), f"{name} (golden)", f"{name} (now)", n=2
        )
    )


def regenerate(corpus: Path) -> int:
    GOLDEN.mkdir(exist_ok=True)
    for path in corpus_files(corpus):
        golden_path(path.name).write_text(dumps(observe(path)), encoding="utf-8")
        print(f"wrote {golden_path(path.name).relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--regenerate", action="store_true", help="rewrite every golden file from the corpus")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = p.parse_args()
    if not args.regenerate:
        p.print_help()
        sys.exit(2)
    sys.exit(regenerate(args.corpus))

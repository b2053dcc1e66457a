"""Benchmark of ``ekonomi sie check`` on hostile single-line files (run by hand).

    python benchmarks/sie_long_lines.py [--sizes 4 64 512] [--workdir /tmp]

Each file is ``#FLAGGA 0``, then ``#KONTO 1930 "`` followed by SIZE MB of
``x`` and no line end: one line as long as the file.  The check must take
time linear in the size (it stops reading at the longest line allowed,
``EKONOMI_SIE_MAX_LINE_KB``) and flat memory.  Prints, per size: seconds,
peak RSS of the check process, and the ratio to a plain read of the file
(``base s``), and verifies that the report names the long line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

RUNNER = "from ekonomi.plugins.sie4.source import make_group; make_group()(['check', *__import__('sys').argv[1:]], prog_name='ekonomi sie')"


def make(path: Path, mb: int) -> None:
    if path.exists() and path.stat().st_size > mb << 20:
        return
    block = b"x" * (1 << 20)
    with open(path, "wb") as f:
        f.write(b'#FLAGGA 0\n#KONTO 1930 "')
        for _ in range(mb):
            f.write(block)


def base(path: Path) -> float:
    t = time.perf_counter()
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass
    return time.perf_counter() - t


def check(path: Path) -> tuple[float, int, dict]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", RUNNER, str(path), "--json"], capture_output=True, check=False)
    seconds = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(rss, before), json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 64, 512])
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")))
    args = ap.parse_args()
    print(f"{'size':>8} {'check s':>8} {'base s':>7} {'RSS MB':>7}  verdict")
    for mb in args.sizes:
        path = args.workdir / f"sie_long_line_{mb}mb.se"
        make(path, mb)
        b = base(path)
        seconds, rss_kb, report = check(path)
        codes = [(i["code"], i["line"]) for i in report["issues"] if i["severity"] == "error"]
        assert ("sie.line.too_long", 2) in codes, codes
        print(f"{mb:>6}MB {seconds:8.2f} {b:7.2f} {rss_kb / 1024:7.0f}  sie.line.too_long at line 2")


if __name__ == "__main__":
    main()

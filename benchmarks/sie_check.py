"""Benchmark of ``ekonomi sie check`` on generated files (run by hand).

    python benchmarks/sie_check.py [--sizes 10000 100000 1000000] [--workdir /tmp] [--repeat 3] [--single]

For each size: generate the file with gen_sie4.py (kept between runs), time
the plain "read + decode + split lines" baseline, then run the check as a
subprocess (start-up included) with peak RSS measured, verify the results
against the generator's summary (counts, debit/credit totals, per-account
movement digest), and only then print the figures: the best of --repeat runs
(baseline and check each, run alternately), with the 1-minute load average
at the end of the size's runs (the machine is shared; compare runs under
similar load).
``--single`` sets EKONOMI_SIE_HALVES=0: one process, no second half in a
worker.  Uses ``ekonomi sie check`` when that command works, else a small
runner calling the same click group.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

GEN = Path(os.environ.get("EKONOMI_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "tools" / "gen_sie4.py"
RUNNER = "from ekonomi.plugins.sie4.source import make_group; make_group()(['check', *__import__('sys').argv[1:]], prog_name='ekonomi sie')"


def baseline(path: Path) -> float:
    t = time.perf_counter()
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            n += len(chunk.decode("cp437").split("\n"))
    return time.perf_counter() - t


def command() -> list[str]:
    exe = shutil.which("ekonomi")
    if exe:
        probe = subprocess.run([exe, "sie", "check", "--help"], capture_output=True)
        if probe.returncode == 0:
            return [exe, "sie", "check"]
    return [sys.executable, "-c", RUNNER]


def run_check(cmd: list[str], path: Path, env: dict[str, str]) -> tuple[float, int, dict]:
    # /usr/bin/time gives this child's own peak RSS (getrusage would also
    # count the generator run before it); with a worker process it is the
    # larger of the two processes' peaks.
    timer = ["/usr/bin/time", "-f", "%M"] if os.path.exists("/usr/bin/time") else []
    t = time.perf_counter()
    out = subprocess.run([*timer, *cmd, str(path), "--json"], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"check failed ({out.returncode}): {out.stderr[-2000:]}")
    rss_kb = int(out.stderr.strip().splitlines()[-1]) if timer else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, rss_kb, json.loads(out.stdout)


def movements_digest(path: Path) -> str:
    """Per-account movements over #TRANS rows, read through normalize(), as the generator digests them."""
    from ekonomi.core import FileInput, ImportContext, Voucher
    from ekonomi.plugins.sie4.source import Sie4Source

    sums: dict[str, Decimal] = {}
    for rec in Sie4Source().normalize(FileInput(path, path.name), ImportContext(source="sie4")):
        if type(rec) is Voucher:
            for r in rec.rows:
                if r.kind == "posted":
                    sums[r.account] = sums.get(r.account, Decimal(0)) + r.amount
    h = hashlib.sha256()
    for acc in sorted(sums, key=int):
        h.update(f"{acc};{int(sums[acc] * 100)}\n".encode())
    return h.hexdigest()


def verify(report: dict, summary: dict, path: Path, digest: bool) -> None:
    c = summary["counts"]
    got = report["counts"]
    expected = {"vouchers": c["vouchers"], "rows": c["trans"], "added_rows": c["rtrans"], "removed_rows": c["btrans"],
                "objects": c["objekt"], "balances": c["ib"] + c["ub"] + c["res"], "period_balances": c["psaldo"]}
    wrong = {k: (got[k], v) for k, v in expected.items() if got[k] != v}
    assert not wrong, f"counts differ (got, expected): {wrong}"
    assert report["totals"] == {"debit": summary["totals"]["debit"], "credit": summary["totals"]["credit"]}, report["totals"]
    assert report["checksum"] == "ok" and not report["issues"], report["issues"][:5]
    if digest:
        assert movements_digest(path) == summary["digests"]["account_movements_sha256"], "movement digest differs"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--workdir", type=Path, default=Path("/tmp"))
    p.add_argument("--digest-max", type=int, default=100_000, help="verify movement digests up to this size (a second pass)")
    p.add_argument("--repeat", type=int, default=1, help="runs per size; the best is shown")
    p.add_argument("--single", action="store_true", help="one process (EKONOMI_SIE_HALVES=0)")
    args = p.parse_args()
    cmd = command()
    env = dict(os.environ)
    if args.single:
        env["EKONOMI_SIE_HALVES"] = "0"
    print(f"command: {' '.join(cmd[:3])}{' …' if len(cmd) > 3 else ''}{' (single process)' if args.single else ''}")
    print(f"{'vouchers':>9} {'MB':>7} {'rows':>9} {'check s':>8} {'MB/s':>6} {'RSS MB':>7} {'base s':>7} {'ratio':>6} {'load':>5}")
    for n in args.sizes:
        path = args.workdir / f"sie_bench_{n}.se"
        summ = path.with_suffix(".json")
        if not path.exists() or not summ.exists():
            subprocess.run([sys.executable, str(GEN), "--vouchers", str(n), "--seed", "1", "--out", str(path), "--summary", str(summ)], check=True)
        summary = json.loads(summ.read_text(encoding="utf-8"))
        # Baseline and check alternate, so both see the machine in the same
        # state (it is shared: the same run can take 1.5 times as long minutes later).
        bases = []
        runs = []
        for _ in range(args.repeat):
            bases.append(baseline(path))
            wall, rss_kb, report = run_check(cmd, path, env)
            verify(report, summary, path, n <= args.digest_max and not runs)
            runs.append((wall, rss_kb))
        base = min(bases)
        wall = min(w for w, _ in runs)
        rss_kb = max(r for _, r in runs)
        mb = path.stat().st_size / 1e6
        load = os.getloadavg()[0]
        print(
            f"{n:>9} {mb:>7.1f} {report['counts']['rows']:>9} {wall:>8.2f} {mb / wall:>6.1f} {rss_kb / 1024:>7.0f} {base:>7.2f} {wall / base:>6.1f} {load:>5.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

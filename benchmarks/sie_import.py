"""Benchmark of ``ekonomi import`` of generated SIE files (run by hand).

    python benchmarks/sie_import.py [--sizes 10000 100000 1000000] [--db sqlite postgresql]
                                    [--workdir /tmp] [--repeat 1]

For each database and size: generate the file with gen_sie4.py (kept between
runs), create a fresh database (SQLite: a file in a temporary folder;
PostgreSQL: a database ``ekbench_<pid>_<random>`` of its own on --pg-url, dropped
after), run the real CLI (``ekonomi init``, ``ekonomi companies add``, then
``/usr/bin/time -v ekonomi import FILE --company ... --json``), verify the
result against the generator's summary (the import succeeded with no issues,
its counts, and ``ekonomi report trial-balance --json``: every account's
movement equals the summary's exactly), and only then print wall time, MB/s
and the import's peak RSS.  The load average is printed with each figure: the
machine is shared, so compare runs made under similar load.  Each import is
preceded by the plain "read + decode + split lines" pass over the same file
(sie_check.baseline), printed as ``base s``: the machine's speed drifts by
1.5 to 2 times within minutes, and the ratio to that pass tells a slower
import from a slower machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sie_check import baseline  # the same folder: run as ``python benchmarks/sie_import.py``

GEN = Path(os.environ.get("EKONOMI_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "tools" / "gen_sie4.py"
ORGNR = "556677-8899"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def ekonomi() -> list[str]:
    exe = shutil.which("ekonomi")
    return [exe] if exe else [sys.executable, "-m", "ekonomi.core.cli"]


def run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} … failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return out


def generate(workdir: Path, n: int) -> tuple[Path, dict]:
    path = workdir / f"sie_bench_{n}.se"
    summ = path.with_suffix(".json")
    if not path.exists() or not summ.exists():
        subprocess.run([sys.executable, str(GEN), "--vouchers", str(n), "--seed", "1", "--out", str(path), "--summary", str(summ)], check=True)
    return path, json.loads(summ.read_text(encoding="utf-8"))


class Database:
    """A fresh database for one measurement: a SQLite file or a PostgreSQL database of our own."""

    def __init__(self, kind: str, pg_url: str) -> None:
        self.kind = kind
        self.pg_url = pg_url
        self.tmp = Path(tempfile.mkdtemp(prefix="ekbench_"))
        self.name = f"ekbench_{os.getpid()}_{secrets.token_hex(3)}"
        if kind == "sqlite":
            self.url = f"sqlite:///{self.tmp / 'bench.db'}"
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = pg_url.rsplit("/", 1)[0] + "/" + self.name

    def _admin(self, sql: str) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(sql))
        finally:
            engine.dispose()

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["EKONOMI_DATABASE_URL"] = self.url
        env["EKONOMI_INSTANCE_PATH"] = str(self.tmp / "instance")
        env["EKONOMI_SECRET_KEY"] = "benchmark"
        return env

    def drop(self) -> None:
        if self.kind == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.tmp, ignore_errors=True)


def timed_import(path: Path, env: dict[str, str]) -> tuple[float, float, dict]:
    cmd = ["/usr/bin/time", "-v", *ekonomi(), "import", str(path), "--company", ORGNR, "--json"]
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"import failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    assert rss, out.stderr[-2000:]
    return wall, int(rss.group(1)) / 1024, json.loads(out.stdout)


def verify(result: dict, summary: dict, env: dict[str, str]) -> None:
    assert result["status"] == "succeeded", result
    assert not result["issues"], result["issues"][:5]
    c = summary["counts"]
    assert result["counts"]["vouchers"] == c["vouchers"], (result["counts"], c)
    tb = json.loads(run([*ekonomi(), "report", "trial-balance", "--company", ORGNR, "--json"], env).stdout)
    got = {r["account"]: Decimal(r["movement"]) for r in tb["accounts"] if Decimal(r["movement"])}
    want = {a: Decimal(v) for a, v in summary["account_movements"].items() if Decimal(v)}
    diff = {a: (got.get(a), want.get(a)) for a in got.keys() | want.keys() if got.get(a) != want.get(a)}
    assert not diff, f"movements differ (stored, summary): {dict(list(diff.items())[:10])}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--db", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    p.add_argument("--workdir", type=Path, default=Path("/tmp"))
    p.add_argument("--pg-url", default=os.environ.get("EKONOMI_BENCH_PG_URL", PG_URL))
    p.add_argument("--repeat", type=int, default=1, help="runs per size (each on a fresh database); the best is shown")
    args = p.parse_args()
    print(f"{'db':>10} {'vouchers':>9} {'MB':>7} {'rows':>9} {'import s':>9} {'MB/s':>6} {'RSS MB':>7} {'base s':>7} {'ratio':>6} {'load':>5}")
    for kind in args.db:
        for n in args.sizes:
            path, summary = generate(args.workdir, n)
            best: tuple[float, float] | None = None
            bases = []
            for _ in range(args.repeat):
                bases.append(baseline(path))
                db = Database(kind, args.pg_url)
                try:
                    env = db.env()
                    run([*ekonomi(), "init"], env)
                    run([*ekonomi(), "companies", "add", ORGNR, "Bench"], env)
                    wall, rss, result = timed_import(path, env)
                    verify(result, summary, env)
                finally:
                    db.drop()
                if best is None or wall < best[0]:
                    best = (wall, rss)
            assert best is not None
            wall, rss = best
            base = min(bases)
            mb = path.stat().st_size / 1e6
            load = os.getloadavg()[0]
            print(
                f"{kind:>10} {n:>9} {mb:>7.1f} {summary['counts']['trans']:>9} {wall:>9.2f} {mb / wall:>6.1f} {rss:>7.0f}"
                f" {base:>7.2f} {wall / base:>6.1f} {load:>5.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the eEkonomi sync against its emulator over real HTTP (run by hand).

    python benchmarks/eekonomi_sync.py [--vouchers 10000] [--companies 200]
                                       [--database-url URL] [--workdir /tmp]
                                       [--only first|incremental|companies]

The emulator runs as ``ekonomi eekonomi-emulator`` in a subprocess on a free
port of 127.0.0.1 (waitress): the plugin's process then has its interpreter
lock to itself, and the emulator's CPU time is printed beside each figure,
because on this shared 2-core machine it competes for the cores.  Companies
are connected through the real OAuth2 code flow and synced through the real
import pipeline (``run_import``; the 200 companies through the app's
``ThreadRunner`` with its default workers).  Calls are counted from the
emulator's request log, per endpoint (ids and dates in paths written as
``{id}`` and ``{date}``); file downloads (``/_files/``) apart.

1. ``first``: a company of ``--vouchers`` generated vouchers (random seed 7),
   its first sync: wall time, calls per endpoint, and the goal "calls <= the
   pages the data needs + 15" (the pages: ceil(vouchers of a fiscal year /
   1000) summed over the years begun, plus the pages of any other list of
   more than 1000 records).
2. ``incremental``: the same company synced again with no changes (goal <= 15
   calls), then after 7 added and 3 modified vouchers (goal <= 20 calls, and
   the counts must say 7 new and 3 updated).
3. ``companies``: ``--companies`` companies of the smallest books the seed
   generator makes (661 vouchers; attachments and documents left out, which
   only add downloads to the first syncs), ids made unique per company, each
   with an organisation number of its own; connected, first-synced, then all
   synced again at once: total time, calls per endpoint and the most calls to
   one endpoint in any 60 s (the service allows 600).  If that stays far
   below 600, the same again with the installation's limiter lowered to 60 a
   minute (``ratelimit.shared`` patched in this process), to show the limiter
   holding the window at its limit.

SQLite in a temporary folder under --workdir by default; ``--database-url``
of a PostgreSQL server makes a database ``ekbench_<pid>_<random>`` of its own
there and drops it after.  Peak RSS is this process's (``getrusage``), so it
only grows from one part to the next.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
from limits.strategies import MovingWindowRateLimiter

from ekonomi.plugins.eekonomi.ratelimit import ClockedMemoryStorage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' kit: connecting through the code flow
from tests.eekonomi_support import connect  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "ekonomi-local", "ekonomi-local-secret"
REDIRECT = "http://127.0.0.1:9/eekonomi/callback"
DEMO_ORGNR = "559000-0001"  # the generated company's
SMALLEST = 661  # the fewest vouchers the seed generator makes (its receipts fill up to the number asked)
PAGE = 1000
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
NAMESPACE = uuid.UUID("6f1c0a5e-2b7d-4c1e-9a53-0e6b1d7f4c21")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


# -- the emulator ------------------------------------------------------------------------


class Emulator:
    """``ekonomi eekonomi-emulator`` in a subprocess, and its control API."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        self.api_base = f"{self.base}/v2/"
        self.identity_base = self.base
        exe = shutil.which("ekonomi") or str(Path(sys.executable).with_name("ekonomi"))
        self.log = (workdir / "emulator.log").open("w")
        self.proc = subprocess.Popen([exe, "eekonomi-emulator", "--port", str(port)], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                requests.get(f"{self.base}/_emulator/companies", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise SystemExit("the emulator did not start")

    def control(self, what: str, body: Any = None, method: str = "post", timeout: float = 600) -> Any:
        resp = requests.request(method, f"{self.base}/_emulator/{what}", json=body, timeout=timeout)
        if resp.status_code >= 300:
            raise SystemExit(f"emulator {method.upper()} {what}: {resp.status_code} {resp.text[:500]}")
        return resp.json() if resp.content else None

    def requests_log(self) -> list[dict[str, Any]]:
        return list(self.control("requests", method="get"))

    def cpu_s(self) -> float:
        """The emulator process's CPU time so far (user + system)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


# -- the database and the app's side ------------------------------------------------------


class Database:
    def __init__(self, url: str | None, tmp: Path) -> None:
        self.admin_url = url
        self.name = f"ekbench_{os.getpid()}_{secrets.token_hex(3)}"
        if url is None:
            self.url = f"sqlite:///{tmp / (self.name + '.db')}"
        else:
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = url.rsplit("/", 1)[0] + "/" + self.name
        from ekonomi.core.books.db import init_db, make_engine

        self.engine = make_engine(self.url)
        init_db(self.engine)

    @property
    def kind(self) -> str:
        return "sqlite" if self.admin_url is None else "postgresql"

    def _admin(self, sql: str) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(sql))
        finally:
            engine.dispose()

    def drop(self) -> None:
        self.engine.dispose()
        if self.admin_url is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def plugin_manager() -> Any:
    from ekonomi.core.engine.plugins import PluginManager
    from ekonomi.plugins.eekonomi import source

    pm = PluginManager(load_entry_points=False)
    pm.register(source, name="eekonomi", builtin=True)
    return pm


def point_at(emulator: Emulator, tmp: Path) -> None:
    os.environ.update({
        "EKONOMI_EEKONOMI_API_BASE": emulator.api_base, "EKONOMI_EEKONOMI_IDENTITY_BASE": emulator.identity_base,
        "EKONOMI_EEKONOMI_CLIENT_ID": CLIENT_ID, "EKONOMI_EEKONOMI_CLIENT_SECRET": CLIENT_SECRET,
        "EKONOMI_EEKONOMI_REDIRECT_URI": REDIRECT, "EKONOMI_INSTANCE_PATH": str(tmp / "instance"),
        "EKONOMI_FILE_STORE": str(tmp / "files"), "EKONOMI_SECRET_KEY": "benchmark",
    })  # fmt: skip


def sync(engine: Any, pm: Any, orgnr: str) -> tuple[float, dict[str, Any]]:
    from ekonomi.core.engine.pipeline import ImportRequest, run_import

    t = time.perf_counter()
    result = run_import(engine, pm, ImportRequest(company=orgnr, source="eekonomi", trigger="cli"))
    wall = time.perf_counter() - t
    if result["status"] != "succeeded":
        raise SystemExit(f"sync of {orgnr} {result['status']}: {result['issues'][:3]}")
    return wall, result


# -- the request log ----------------------------------------------------------------------


def endpoint(path: str) -> str:
    if path.startswith("/_files/"):
        return "/_files/ (downloads)"
    if not path.startswith("/v2/"):
        return path
    return DAY.sub("{date}", GUID.sub("{id}", path[len("/v2/"):]))


def instant(stamp: str) -> float:
    return datetime.fromisoformat(stamp.rstrip("Z")[:26]).replace(tzinfo=timezone.utc).timestamp()


class Calls:
    def __init__(self, log: list[dict[str, Any]]) -> None:
        self.log = log
        self.by_endpoint = Counter(endpoint(r["path"]) for r in log)
        self.api = sum(n for e, n in self.by_endpoint.items() if not e.startswith("/"))
        self.downloads = self.by_endpoint["/_files/ (downloads)"]
        self.refused = sum(1 for r in log if r["status"] == 429)
        self.unauthorised = sum(1 for r in log if r["status"] == 401)

    def max_window(self, seconds: float = 60) -> tuple[int, str]:
        """The most calls to one API endpoint in any ``seconds`` as the
        service logged them (when it answered), and which."""
        times: dict[str, list[float]] = defaultdict(list)
        for r in self.log:
            if r["path"].startswith("/v2/"):
                times[endpoint(r["path"])].append(instant(r["time"]))
        return most_in_window(times, seconds)

    def shortest_span(self, calls: int) -> tuple[float, str]:
        """The shortest time in which the service logged ``calls`` calls to one endpoint."""
        times: dict[str, list[float]] = defaultdict(list)
        for r in self.log:
            if r["path"].startswith("/v2/"):
                times[endpoint(r["path"])].append(instant(r["time"]))
        spans = [(ts[i + calls - 1] - ts[i], name) for name, ts in times.items() if len(ts) >= calls
                 for ts in [sorted(ts)] for i in range(len(ts) - calls + 1)]
        return min(spans, default=(math.inf, ""))

    def show(self, indent: str = "    ") -> None:
        for name, n in sorted(self.by_endpoint.items(), key=lambda kv: (kv[0].startswith("/"), -kv[1], kv[0])):
            print(f"{indent}{n:>7}  {name}")
        print(f"{indent}{self.api:>7}  API calls in all (/v2/); {self.downloads} downloads; {self.refused} answered 429, {self.unauthorised} 401")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def measured(emulator: Emulator, what: Any) -> tuple[Any, float, float]:
    """``what()``, its wall time and the emulator's CPU time meanwhile."""
    cpu = emulator.cpu_s()
    t = time.perf_counter()
    out = what()
    return out, time.perf_counter() - t, emulator.cpu_s() - cpu


# -- 1 and 2: one big company -------------------------------------------------------------


def pages_needed(fixture: dict[str, Any], today: str) -> tuple[int, str]:
    """The pages the data needs: each begun year's vouchers at 1000 a page,
    and every other list of more than 1000 records."""
    company = fixture["companies"][0]
    years = [(y["StartDate"][:10], y["EndDate"][:10]) for y in company["FiscalYears"] if y["StartDate"][:10] <= today]
    per_year = Counter(next(s for s, e in years if s <= v["VoucherDate"][:10] <= e) for v in company["Vouchers"])
    parts = [f"vouchers {s[:4]}: {n} → {math.ceil(n / PAGE)}" for s, n in sorted(per_year.items())]
    total = sum(math.ceil(n / PAGE) for n in per_year.values())
    for section, records in company.items():
        if section != "Vouchers" and isinstance(records, list) and len(records) > PAGE:
            total += math.ceil(len(records) / PAGE)
            parts.append(f"{section}: {len(records)} → {math.ceil(len(records) / PAGE)}")
    return total, "; ".join(parts)


def voucher(day: str, amount: int) -> dict[str, Any]:
    return {"op": "add", "kind": "vouchers", "record": {"VoucherDate": day, "VoucherText": f"Bänkkvitto {amount}", "Rows": [
        {"AccountNumber": 6570, "DebitAmount": amount, "CreditAmount": 0},
        {"AccountNumber": 1930, "DebitAmount": 0, "CreditAmount": amount}]}}  # fmt: skip


def one_company(emulator: Emulator, db: Database, pm: Any, vouchers: int, only: str | None) -> list[str]:
    lines = []
    emulator.control("seed", {"generate": {"random_seed": 7, "vouchers": vouchers}})
    fixture = emulator.control("fixture", method="get")
    today = emulator.control("clock", method="get")["now"][:10]
    connect(db.engine, pm, DEMO_ORGNR, "Demo eEkonomi AB")

    emulator.control("requests", method="delete")
    (wall, first), _, cpu = measured(emulator, lambda: sync(db.engine, pm, DEMO_ORGNR))
    calls = Calls(emulator.requests_log())
    needed, how = pages_needed(fixture, today)
    ok = calls.api <= needed + 15
    print(f"\n1. first sync of {vouchers} vouchers ({db.kind}): {wall:.2f} s, emulator CPU {cpu:.2f} s, "
          f"RSS {rss_mb():.0f} MB, load {load()}; {first['counts'].get('vouchers')} vouchers, "
          f"{first['counts'].get('attachments')} attachments")
    calls.show()
    print(f"    pages the data needs: {needed} ({how})")
    print(f"    {verdict(ok)}: {calls.api} calls <= {needed} + 15 = {needed + 15}")
    lines.append(f"first sync {vouchers} ({db.kind}): {wall:.2f} s, {calls.api} calls (+{calls.downloads} downloads), "
                 f"limit {needed + 15}: {verdict(ok)}")
    if only == "first":
        return lines

    emulator.control("clock", {"advance_seconds": 600})  # less than a token's life: no 401 and refresh of the clock's making
    emulator.control("requests", method="delete")
    (wall, again), _, cpu = measured(emulator, lambda: sync(db.engine, pm, DEMO_ORGNR))
    calls = Calls(emulator.requests_log())
    ok = calls.api <= 15 and again["counts"].get("vouchers", 0) == 0
    print(f"\n2. incremental sync, no changes: {wall:.2f} s, emulator CPU {cpu:.2f} s, RSS {rss_mb():.0f} MB, "
          f"load {load()}; counts {again['counts']}")
    calls.show()
    print(f"    {verdict(ok)}: {calls.api} calls <= 15, no vouchers")
    lines.append(f"incremental, no changes: {wall:.2f} s, {calls.api} calls, goal <= 15: {verdict(ok)}")

    open_year = [v for v in fixture["companies"][0]["Vouchers"] if v["VoucherDate"][:10] >= "2026-06-01"]
    modified = [v["Id"] for v in open_year[:: max(1, len(open_year) // 3)][:3]]
    ops = [voucher(f"2026-11-{22 + i}", 100 + i) for i in range(7)]
    ops += [{"op": "modify", "kind": "vouchers", "id": i, "set": {"VoucherText": f"Rättad {n}"}} for n, i in enumerate(modified)]
    emulator.control("clock", {"advance_seconds": 600})  # less than a token's life: no 401 and refresh of the clock's making
    emulator.control("mutate", {"ops": ops})
    emulator.control("requests", method="delete")
    (wall, changed), _, cpu = measured(emulator, lambda: sync(db.engine, pm, DEMO_ORGNR))
    calls = Calls(emulator.requests_log())
    new, updated = changed["counts"].get("vouchers_new"), changed["counts"].get("vouchers_updated")
    ok_calls, ok_counts = calls.api <= 20, (new, updated) == (7, 3)
    print(f"\n3. incremental sync, 7 added and 3 modified vouchers: {wall:.2f} s, emulator CPU {cpu:.2f} s, "
          f"RSS {rss_mb():.0f} MB, load {load()}; counts {changed['counts']}")
    calls.show()
    print(f"    {verdict(ok_calls)}: {calls.api} calls <= 20; {verdict(ok_counts)}: {new} new, {updated} updated (want 7, 3)")
    lines.append(f"incremental, 10 changes: {wall:.2f} s, {calls.api} calls, goal <= 20: {verdict(ok_calls)}; "
                 f"{new} new / {updated} updated: {verdict(ok_counts)}")
    return lines


# -- 3: many companies --------------------------------------------------------------------


def orgnr_of(i: int) -> str:
    """A valid organisation number of its own for company ``i`` (Luhn check digit)."""
    from ekonomi.core.orgnr import luhn_ok

    body = f"556{i:06d}"
    digit = next(d for d in range(10) if luhn_ok(f"{body[:6]}-{body[6:]}{d}"))
    return f"{body[:6]}-{body[6:]}{digit}"


def many_fixture(template: dict[str, Any], n: int) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """``n`` copies of one generated company, every id made unique per copy
    (uuid5 of the copy and the old id, so references still meet), each with
    its own name and organisation number; attachments left out."""
    company = dict(template["companies"][0])
    company.update(Attachments=[], Documents=[], Files={})
    company["Vouchers"] = [{**v, "Attachments": None} for v in company["Vouchers"]]
    text = json.dumps(company)
    companies, who = [], []
    for i in range(n):
        copy = json.loads(GUID.sub(lambda m, i=i: str(uuid.uuid5(NAMESPACE, f"{i}:{m.group(0).lower()}")), text))
        name, orgnr = f"Bänkbolag {i + 1:03d} AB", orgnr_of(i + 1)
        copy["CompanySettings"].update(Name=name, CorporateIdentityNumber=orgnr)
        companies.append(copy)
        who.append((copy["Id"], name, orgnr))
    return {"companies": companies}, who


def write_many_fixture(template: Path, n: int, out: Path) -> None:
    """In a child process (``--fixture-of``), so that the fixture's few
    hundred MB do not count in this process's peak RSS."""
    fixture, who = many_fixture(json.loads(template.read_text(encoding="utf-8")), n)
    out.write_text(json.dumps(fixture), encoding="utf-8")
    out.with_suffix(".who.json").write_text(json.dumps(who), encoding="utf-8")


class RecordingStorage(ClockedMemoryStorage):  # type: ignore[misc]
    """The limiter's own in-memory window, keeping the time of every call it
    let through (``ClockedMemoryStorage.acquire_entry`` plus one line)."""

    def __init__(self) -> None:
        super().__init__()
        self.stamps: dict[str, list[float]] = defaultdict(list)

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        granted = super().acquire_entry(key, limit, expiry, amount)
        if granted:
            self.stamps[key].extend([self.clock()] * amount)
        return granted


def most_in_window(times: dict[str, list[float]], seconds: float = 60) -> tuple[int, str]:
    best = (0, "")
    for name, ts in times.items():
        ts = sorted(ts)
        for i, t in enumerate(ts):
            best = max(best, (bisect.bisect_left(ts, t + seconds) - i, name))
    return best


def run_all(db: Database, pm: Any, orgnrs: list[str]) -> tuple[float, Counter[str]]:
    """Every company's sync through the app's background runner (its default
    workers); the import runs' statuses."""
    from sqlalchemy import text

    from ekonomi.core.engine.jobs import ThreadRunner
    from ekonomi.core.engine.pipeline import ImportRequest

    runner = ThreadRunner(db.engine, pm)
    t = time.perf_counter()
    ids = [runner.submit(ImportRequest(company=o, source="eekonomi", trigger="refresh", started_by="benchmark")) for o in orgnrs]
    for import_id in ids:
        runner.wait(import_id)
    runner.shutdown()
    wall = time.perf_counter() - t
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM import_run WHERE id >= :lo GROUP BY status"), {"lo": min(ids)})
        return wall, Counter({status: n for status, n in rows})


def many_companies(emulator: Emulator, db: Database, pm: Any, n: int, workdir: Path) -> list[str]:
    from ekonomi.plugins.eekonomi import ratelimit

    emulator.control("seed", {"generate": {"random_seed": 7, "vouchers": SMALLEST}})
    template, many = workdir / "template.json", workdir / f"companies_{n}.json"
    template.write_text(json.dumps(emulator.control("fixture", method="get")), encoding="utf-8")
    subprocess.run([sys.executable, __file__, "--fixture-of", str(template), str(n), str(many)], check=True)
    who = [tuple(w) for w in json.loads(many.with_suffix(".who.json").read_text(encoding="utf-8"))]
    t = time.perf_counter()
    with many.open("rb") as body:
        resp = requests.post(f"{emulator.base}/_emulator/seed", data=body, headers={"Content-Type": "application/json"}, timeout=1800)
    assert resp.status_code < 300, resp.text[:500]
    seeded = emulator.control("companies", method="get")
    assert len({c["Id"] for c in seeded}) == n, f"the emulator holds {len(seeded)} companies, not {n}"
    print(f"\n4. {n} companies of {SMALLEST} vouchers seeded ({many.stat().st_size / 1e6:.0f} MB fixture, "
          f"{time.perf_counter() - t:.1f} s); the emulator holds {len(seeded)} distinct companies")
    t = time.perf_counter()
    for company_id, name, orgnr in who:
        connect(db.engine, pm, orgnr, name, company_id=company_id)
    print(f"    connected through the code flow: {time.perf_counter() - t:.1f} s")
    orgnrs = [o for _, _, o in who]
    (wall, statuses), _, cpu = measured(emulator, lambda: run_all(db, pm, orgnrs))
    print(f"    first syncs: {wall:.1f} s, emulator CPU {cpu:.1f} s, {dict(statuses)}, RSS {rss_mb():.0f} MB, load {load()}")

    lines = []
    for per_minute in (None, 60):
        limiter = ratelimit.RateLimit(per_minute=per_minute or ratelimit.PER_MINUTE)
        limiter.storage = storage = RecordingStorage()
        limiter.limiter = MovingWindowRateLimiter(storage)
        ratelimit.shared = lambda limiter=limiter: limiter  # the installation's limiter (lowered the second time)
        emulator.control("clock", {"advance_seconds": 600})
        emulator.control("requests", method="delete")
        (wall, statuses), _, cpu = measured(emulator, lambda: run_all(db, pm, orgnrs))
        calls = Calls(emulator.requests_log())
        most, where = calls.max_window()
        limit = per_minute or ratelimit.PER_MINUTE
        label = f"limiter {per_minute}/min" if per_minute else f"limiter as installed ({ratelimit.PER_MINUTE}/min)"
        print(f"\n    {n} incremental syncs, ThreadRunner default workers, {label}: {wall:.1f} s, emulator CPU {cpu:.1f} s, "
              f"{dict(statuses)}, RSS {rss_mb():.0f} MB, load {load()}")
        calls.show(indent="      ")
        # limits' keys: LIMITER/eekonomi/<client id>/<endpoint>/<amount>/1/minute
        sent, sent_where = most_in_window({"/".join(key.split("/")[3:-3]): ts for key, ts in storage.stamps.items()})
        ok = most <= limit and calls.refused == 0
        print(f"      most calls to one endpoint in any 60 s, as the service logged them: {most} ({where}); "
              f"{verdict(ok)}: <= {limit}, no 429")
        print(f"      the same as the limiter let them through: {sent} ({sent_where}); {verdict(sent <= limit)}: <= {limit}")
        span, span_where = calls.shortest_span(limit + 1)
        if span < math.inf:
            print(f"      the shortest time the service logged {limit + 1} calls to one endpoint in: {span:.3f} s ({span_where})")
        lines.append(f"{n} companies, {label}: {wall:.1f} s, {calls.api} calls, max {most}/60 s at the service "
                     f"({sent} at the limiter) on {where}, <= {limit}: {verdict(ok)}")
        if per_minute is None and most > limit // 2:
            break  # near the limit already: the lowered run shows nothing more
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vouchers", type=int, default=10_000)
    p.add_argument("--companies", type=int, default=200)
    p.add_argument("--database-url", default=None, help="a PostgreSQL server URL (default: SQLite)")
    p.add_argument("--workdir", type=Path, default=Path("/tmp"))
    p.add_argument("--only", choices=["first", "incremental", "companies"])
    p.add_argument("--fixture-of", nargs=3, metavar=("TEMPLATE", "N", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.fixture_of:
        write_many_fixture(Path(args.fixture_of[0]), int(args.fixture_of[1]), Path(args.fixture_of[2]))
        return 0
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    tmp = Path(tempfile.mkdtemp(prefix="ekbench_eek_", dir=args.workdir))
    emulator = Emulator(tmp)
    print(f"emulator: `ekonomi eekonomi-emulator` in a subprocess (waitress) at {emulator.base}; "
          f"{os.cpu_count()} cores shared with it; load {load()}")
    point_at(emulator, tmp)
    pm = plugin_manager()
    lines: list[str] = []
    try:
        if args.only in (None, "first", "incremental"):
            db = Database(args.database_url, tmp)
            try:
                lines += one_company(emulator, db, pm, args.vouchers, args.only)
            finally:
                db.drop()
        if args.only in (None, "companies"):
            emulator.control("reset")
            db = Database(args.database_url, tmp)
            try:
                lines += many_companies(emulator, db, pm, args.companies, tmp)
            finally:
                db.drop()
    finally:
        emulator.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nsummary ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, peak RSS {rss_mb():.0f} MB):")
    for line in lines:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

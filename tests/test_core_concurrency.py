"""One import per company at a time, under real concurrency: threads in one
process, and separate processes (the database lock, not only the process
lock).  Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from ekonomi.core.context import FileInput
from ekonomi.core.engine.jobs import ThreadRunner
from ekonomi.core.engine.pipeline import ImportRequest
from ekonomi.core.engine.runlog import load
from ekonomi.core.books.rules import get_company, set_source_enabled
from tests.fakes import ledger

ROOT = Path(__file__).resolve().parent.parent


def _intervals(engine) -> list[tuple[datetime, datetime, str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT started_at, finished_at, status FROM import_run ORDER BY started_at")).all()
    parse = lambda v: v if isinstance(v, datetime) else datetime.fromisoformat(str(v))  # noqa: E731
    return [(parse(s).replace(tzinfo=None), parse(f).replace(tzinfo=None), st) for s, f, st in rows]


def _assert_serial(intervals):
    for (s1, f1, _), (s2, f2, _) in zip(intervals, intervals[1:]):
        assert f1 <= s2, f"imports overlapped: {s1}–{f1} and {s2}–{f2}"


def test_threads_wait_their_turn(engine, pm, company, tmp_path, monkeypatch):
    monkeypatch.setenv("EKONOMI_FILE_STORE", str(tmp_path / "store"))
    runner = ThreadRunner(engine, pm, workers=3)
    files = []
    for i in range(3):
        path = tmp_path / f"{i}.fake"
        path.write_text(ledger(vouchers=2, extra="sleep 0.4\n"), encoding="utf-8")
        files.append(FileInput(path, path.name))
    ids: list[int] = []
    seen: list[list[str]] = []

    def watch() -> None:  # what a person polling the API would see
        while len(ids) < 3 or any(load(engine, i).as_json()["status"] in ("queued", "running") for i in ids):
            seen.append([load(engine, i).as_json()["status"] for i in list(ids)])
            time.sleep(0.05)

    import threading

    watcher = threading.Thread(target=watch)
    watcher.start()
    for f in files:
        ids.append(runner.submit(ImportRequest(company, f, started_by="test")))
    watcher.join(timeout=60)
    assert all(s.count("running") <= 1 for s in seen), seen
    assert any("running" in s and "queued" in s for s in seen), seen
    for i in ids:
        runner.wait(i, timeout=60)
    runner.shutdown()
    assert [load(engine, i).as_json()["status"] for i in ids] == ["succeeded"] * 3
    _assert_serial(_intervals(engine))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM voucher")).scalar_one() == 2


def _cli_env(engine, database_url, company, tmp_path) -> dict[str, str]:
    """The environment of an ``ekonomi`` process that knows the fake source."""
    with Session(engine) as session:
        set_source_enabled(session, get_company(session, company), "fake", True)
        session.commit()
    return {
        **os.environ,
        "EKONOMI_DATABASE_URL": database_url,
        "EKONOMI_PLUGINS": "tests.fakes:FakePlugin",
        "PYTHONPATH": str(ROOT),
        "EKONOMI_INSTANCE_PATH": str(tmp_path / "inst"),
    }


def test_processes_wait_their_turn(engine, database_url, pm, company, tmp_path):
    env = _cli_env(engine, database_url, company, tmp_path)
    procs = []
    for i in range(3):
        path = tmp_path / f"p{i}.fake"
        path.write_text(ledger(vouchers=3, extra="sleep 0.6\n"), encoding="utf-8")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "ekonomi.core.cli", "import", str(path), "--company", company, "--source", "fake"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    intervals = _intervals(engine)
    assert [st for *_, st in intervals] == ["succeeded"] * 3
    _assert_serial(intervals)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM voucher")).scalar_one() == 3


def test_killed_import_leaves_nothing_and_is_marked_failed(engine, database_url, pm, company, tmp_path):
    """A process killed mid-import: its transaction dies with it, and the next
    import of the company marks the orphaned run failed."""
    env = _cli_env(engine, database_url, company, tmp_path)
    path = tmp_path / "slow.fake"
    path.write_text(ledger(vouchers=50, extra="sleep 30\n"), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ekonomi.core.cli", "import", str(path), "--company", company, "--source", "fake"],
        env=env,
        cwd=ROOT,
    )
    deadline = time.time() + 30
    while time.time() < deadline:  # wait until it is inside its import
        with engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM import_run")).scalar_one():
                break
        time.sleep(0.1)
    time.sleep(1.5)
    proc.kill()
    proc.wait()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM voucher")).scalar_one() == 0
    ok = tmp_path / "ok.fake"
    ok.write_text(ledger(vouchers=1), encoding="utf-8")
    from ekonomi.core.engine.pipeline import run_import

    assert run_import(engine, pm, ImportRequest(company, FileInput(ok, ok.name)))["status"] == "succeeded"
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, error FROM import_run ORDER BY id")).all()
    assert rows[0][0] == "failed" and "Interrupted" in rows[0][1]
    assert not list(Path(tmp_path).rglob("*.stage")), "the killed import's staging file was not removed"


def _slow_import_reading(engine, pm, company, tmp_path, monkeypatch, workers: int, sleep: float):
    """An import of 200 vouchers that pauses ``sleep`` seconds while reading;
    returns once it is reading."""
    monkeypatch.setenv("EKONOMI_FILE_STORE", str(tmp_path / "store"))
    runner = ThreadRunner(engine, pm, workers=workers)
    slow = tmp_path / "slow.fake"
    slow.write_text(ledger(vouchers=200, extra=f"sleep {sleep}\n"), encoding="utf-8")
    first = runner.submit(ImportRequest(company, FileInput(slow, slow.name)))
    deadline = time.time() + 10
    while load(engine, first).as_json()["progress"]["phase"] != "read" and time.time() < deadline:
        time.sleep(0.05)
    return runner, first


def _add_other_company(engine) -> None:
    from ekonomi.core.books.companies import add_company
    from ekonomi.core.books.db import writer

    with Session(writer(engine)) as session:
        add_company(session, "556000-0019", "Andra AB")
        session.commit()


def test_other_writes_do_not_wait_for_a_running_import(engine, pm, company, tmp_path, monkeypatch):
    """While an import reads its input, other companies can be added and other
    imports queued at once (on SQLite too: an input under
    EKONOMI_SQLITE_DIRECT_MB stages its rows and takes the write lock only
    to commit them)."""
    runner, first = _slow_import_reading(engine, pm, company, tmp_path, monkeypatch, workers=2, sleep=2)
    t0 = time.monotonic()
    _add_other_company(engine)
    quick = tmp_path / "quick.fake"
    quick.write_text(ledger(orgnr="556000-0019", vouchers=1), encoding="utf-8")
    second = runner.submit(ImportRequest("556000-0019", FileInput(quick, quick.name)))
    waited = time.monotonic() - t0
    assert waited < 1.5, f"writes waited {waited:.1f}s for the running import"
    assert load(engine, first).as_json()["status"] == "running"
    for i in (first, second):
        runner.wait(i, timeout=60)
    runner.shutdown()
    assert load(engine, first).as_json()["status"] == "succeeded"
    assert load(engine, second).as_json()["status"] == "succeeded"


def test_other_writes_wait_for_a_big_sqlite_import_and_then_land(engine, pm, company, tmp_path, monkeypatch):
    """A big input on SQLite holds the write lock from its first row
    (target.SqliteDirectTarget): another writer waits its turn, is not
    refused, and lands once the import has committed."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's path")
    monkeypatch.setenv("EKONOMI_SQLITE_DIRECT_MB", "0")  # this small input counts as big
    runner, first = _slow_import_reading(engine, pm, company, tmp_path, monkeypatch, workers=1, sleep=1.5)
    t0 = time.monotonic()
    _add_other_company(engine)
    waited = time.monotonic() - t0
    assert load(engine, first).as_json()["status"] == "succeeded"  # the write came after the commit
    assert waited > 0.5, f"the write did not wait ({waited:.2f}s): was the import direct?"
    runner.wait(first, timeout=60)
    runner.shutdown()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM company WHERE orgnr = '556000-0019'")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM voucher")).scalar_one() == 200


_SERVER = """
import sys, time
from ekonomi.core.context import FileInput
from ekonomi.core.engine.pipeline import ImportRequest
from ekonomi.web import create_app

app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "x"})
runner = app.extensions["ekonomi"].runner
for path in sys.argv[3:]:
    runner.submit(ImportRequest(sys.argv[2], FileInput(path, path.rsplit("/", 1)[-1]), started_by="upload"))
time.sleep(600)
"""


def test_a_killed_server_leaves_no_import_unfinished(engine, database_url, pm, company, tmp_path, monkeypatch):
    """kill -9 of a server with one import running and one queued behind it:
    the next start ends or runs again every one of them, within seconds."""
    env = {**_cli_env(engine, database_url, company, tmp_path), "EKONOMI_FILE_STORE": str(tmp_path / "files")}
    monkeypatch.setenv("EKONOMI_FILE_STORE", env["EKONOMI_FILE_STORE"])
    slow, quick = tmp_path / "slow.fake", tmp_path / "quick.fake"
    slow.write_text(ledger(vouchers=5, extra="sleep 2\n"), encoding="utf-8")
    # Three vouchers, not fewer: replacing five with fewer than half would need a confirmation.
    quick.write_text(ledger(vouchers=3), encoding="utf-8")
    server = subprocess.Popen([sys.executable, "-c", _SERVER, database_url, company, str(slow), str(quick)], env=env, cwd=ROOT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:  # both queued, the first inside its import
            with engine.connect() as conn:
                if conn.execute(text("SELECT count(*) FROM import_run")).scalar_one() == 2:
                    break
            time.sleep(0.05)
        time.sleep(0.8)
    finally:
        server.kill()
        server.wait()
    with engine.connect() as conn:
        left = conn.execute(text("SELECT status FROM import_run WHERE status IN ('queued', 'running')")).scalars().all()
    assert len(left) == 2, left  # killed mid-import: nothing ended them

    from ekonomi.web import create_app

    restarted = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "PLUGIN_MANAGER": pm})
    services = restarted.extensions["ekonomi"]
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            with engine.connect() as conn:
                runs = conn.execute(text("SELECT id, status FROM import_run ORDER BY id")).all()
            if all(status in ("succeeded", "failed") for _, status in runs):
                break
            time.sleep(0.1)
        assert [status in ("succeeded", "failed") for _, status in runs] == [True, True], runs
        first, second = (load(engine, rid).as_json() for rid, _ in runs)
        assert second["status"] == "succeeded"  # it was only waiting: it runs again
        if first["status"] == "failed":  # it was running (PostgreSQL shows it): ended with the reason
            assert [i["code"] for i in first["issues"]] == ["import.interrupted"]
        with engine.connect() as conn:
            vouchers = conn.execute(text("SELECT count(*) FROM voucher")).scalar_one()
        assert vouchers == 3  # the quick file, last, replaced the year whole
    finally:
        services.runner.shutdown()
        services.engine.dispose()


def test_a_queued_import_whose_input_is_gone_is_failed_with_the_reason(engine, company, tmp_path):
    from ekonomi.core.books import models as m
    from ekonomi.core.engine.recovery import INPUT_GONE, settle_orphans

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    worker = f"{os.uname().nodename}:{dead.stdout.strip()}"
    with Session(engine) as s:
        cid = get_company(s, company).id
        for status, stored, name in (("queued", str(tmp_path / "gone.se"), "gone.se"), ("running", None, None), ("queued", None, "lost.se")):
            s.add(m.ImportRun(company_id=cid, source="fake", status=status, worker=worker, stored_path=stored, filename=name, started_by="test"))
        s.add(m.ImportRun(company_id=cid, source="fake", status="queued", worker="elsewhere:1", started_by="test"))
        s.add(m.ImportRun(company_id=cid, source="fakeint", status="queued", worker=worker, started_by="test"))  # a sync: no input
        s.commit()
    settled = settle_orphans(engine, rerun_queued=True)
    assert (settled.failed, settled.claimed) == ([1, 2, 3], [5])
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT id, status, error FROM import_run ORDER BY id")).all()
    assert [(r[0], r[1]) for r in runs] == [(1, "failed"), (2, "failed"), (3, "failed"), (4, "queued"), (5, "queued")]  # another host's is its own
    assert runs[0][2] == INPUT_GONE

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

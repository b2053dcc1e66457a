"""Uploaded inputs are kept while they may serve, not for ever (retention.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ekonomi.core.context import FileInput
from ekonomi.core.engine.jobs import ThreadRunner
from ekonomi.core.engine.pipeline import ImportRequest
from ekonomi.core.errors import EkonomiError
from tests.fakes import ledger


def _stored(engine) -> dict[int, tuple[str, str | None]]:
    with engine.connect() as conn:
        return {rid: (status, path) for rid, status, path in conn.execute(text("SELECT id, status, stored_path FROM import_run ORDER BY id"))}


def _inputs(store: Path) -> list[Path]:
    folder = store / "inputs"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("days", ["30", "0"])
def test_inputs_are_kept_by_the_rule(engine, pm, company, tmp_path, monkeypatch, days):
    monkeypatch.setenv("EKONOMI_FILE_STORE", str(tmp_path / "files"))
    monkeypatch.setenv("EKONOMI_INPUT_RETENTION_DAYS", days)
    runner = ThreadRunner(engine, pm)
    files = {"ok1": ledger(vouchers=1), "bad": ledger(vouchers=1) + "boom\n", "ok2": ledger(vouchers=2)}
    ids = {}
    for name, content in files.items():
        path = tmp_path / f"{name}.fake"
        path.write_text(content, encoding="utf-8")
        ids[name] = runner.submit(ImportRequest(company, FileInput(path, path.name), started_by="test"))
        runner.wait(ids[name], timeout=60)
    runner.shutdown()
    runs = _stored(engine)
    assert [runs[ids[n]][0] for n in files] == ["succeeded", "failed", "succeeded"]
    assert runs[ids["bad"]][1] is None  # a failed run's input goes at once
    assert runs[ids["ok2"]][1] is not None and Path(runs[ids["ok2"]][1]).is_file()  # the latest success stays
    kept_old = runs[ids["ok1"]][1] is not None
    assert kept_old == (days == "30")
    assert len(_inputs(tmp_path / "files")) == 1 + kept_old


def test_a_refused_upload_leaves_no_copy(engine, pm, tmp_path, monkeypatch):
    monkeypatch.setenv("EKONOMI_FILE_STORE", str(tmp_path / "files"))
    runner = ThreadRunner(engine, pm)
    path = tmp_path / "a.fake"
    path.write_text(ledger(vouchers=1), encoding="utf-8")
    with pytest.raises(EkonomiError):
        runner.submit(ImportRequest("556000-0000", FileInput(path, path.name), started_by="test"))  # no such company
    runner.shutdown()
    assert _inputs(tmp_path / "files") == []


@pytest.mark.parametrize("days", ["30", "0"])
def test_a_previews_input_waits_for_the_decision_then_goes_with_age(engine, pm, company, tmp_path, monkeypatch, days):
    """A preview's input is what "Importera" imports: kept while undecided,
    removed after the retention days like an old success's."""
    monkeypatch.setenv("EKONOMI_FILE_STORE", str(tmp_path / "files"))
    monkeypatch.setenv("EKONOMI_INPUT_RETENTION_DAYS", days)
    runner = ThreadRunner(engine, pm)
    path = tmp_path / "a.fake"
    path.write_text(ledger(vouchers=1), encoding="utf-8")
    preview = runner.submit(ImportRequest(company, FileInput(path, path.name), started_by="test", dry_run=True))
    runner.wait(preview, timeout=60)
    assert _stored(engine)[preview][0] == "previewed"
    other = runner.submit(ImportRequest(company, FileInput(path, path.name), started_by="test"))  # prunes after it
    runner.wait(other, timeout=60)
    runner.shutdown()
    kept = _stored(engine)[preview][1]
    assert (kept is not None and Path(kept).is_file()) == (days == "30")

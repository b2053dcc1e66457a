"""The import log: every write to ``import_run`` and ``import_issue``, and
the result object (docs/contracts.md) read back from them.

``ImportResult`` is the one definition of the result's shape, and
``Preview`` (an ImportResult and what the import would do) the one of a
preview's: the CLI's ``--json``, the API's marshmallow schemas and the
OpenAPI document are all derived from them (web/schemas.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from ..books import models as m
from ..books.db import writer
from ..errors import EkonomiError, NotFound
from ..records import Issue, Severity
from .progress import Progress, live

# At most this many issues are stored per import; the rest are counted.
MAX_STORED_ISSUES = 10_000
WORKER = f"{socket.gethostname()}:{os.getpid()}"
COUNT_KEYS = ("vouchers", "rows", "accounts", "balances", "period_balances", "objects", "invoices", "attachments")
INTERRUPTED = "Interrupted: the process running this import stopped before it finished; nothing was imported."

Status = Literal["queued", "running", "succeeded", "failed", "previewed"]
YearAction = Literal["added", "replaced", "unchanged"]
SeverityName = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class ResultIssue:
    severity: SeverityName
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class ResultFiscalYear:
    start: str
    end: str


@dataclass(frozen=True)
class ResultProgress:
    phase: str | None = None
    done: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class ImportResult:
    """The result object of one import (docs/contracts.md)."""

    import_id: int
    status: Status
    source: str
    company: str
    plugin: str | None = None
    plugin_version: str | None = None
    started_by: str | None = None
    trigger: str | None = None  # cli, upload, api, sign-in, refresh
    file: str | None = None
    sha256: str | None = None
    queued_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    fiscal_years: list[ResultFiscalYear] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    progress: ResultProgress = field(default_factory=ResultProgress)
    error: str | None = None
    issues: list[ResultIssue] = field(default_factory=list)
    program: str | None = None  # what wrote the input (SIE #PROGRAM), where it says
    program_version: str | None = None

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ResultCompanyInFile:
    """Whom the input says it belongs to."""

    name: str | None = None
    orgnr: str | None = None


@dataclass(frozen=True)
class ResultReplacedSource:
    """The import that wrote the stored data a year's replacement removes (the newest, if several)."""

    import_id: int
    source: str
    program: str | None = None
    program_version: str | None = None
    file: str | None = None


@dataclass(frozen=True)
class ResultPreviewYear:
    """What an import does to one fiscal year.  ``result_*``: the year's
    result (profit positive: minus the sum of the result accounts' posted
    rows, or of the stated #RES where the year has no vouchers)."""

    start: str
    end: str
    action: YearAction
    vouchers_before: int
    vouchers_after: int
    result_before: str
    result_after: str
    replaces_source: ResultReplacedSource | None = None


@dataclass(frozen=True)
class ResultReason:
    """Why an import needs the user's confirmation (engine/confirmation.py)."""

    code: str
    message: str
    fiscal_year: ResultFiscalYear | None = None


@dataclass(frozen=True)
class Preview(ImportResult):
    """A preview (status ``previewed``): the result object of the import,
    rolled back, and what it would have done (docs/contracts.md)."""

    company_in_file: ResultCompanyInFile = field(default_factory=ResultCompanyInFile)
    years: list[ResultPreviewYear] = field(default_factory=list)
    needs_confirmation: list[ResultReason] = field(default_factory=list)


def preview_parts(data: dict[str, Any]) -> dict[str, Any]:
    """The preview's own fields from their JSON (``import_run.preview``)."""
    years = [
        ResultPreviewYear(**{**y, "replaces_source": ResultReplacedSource(**y["replaces_source"]) if y.get("replaces_source") else None})
        for y in data.get("years", [])
    ]
    reasons = [
        ResultReason(r["code"], r["message"], ResultFiscalYear(**r["fiscal_year"]) if r.get("fiscal_year") else None)
        for r in data.get("needs_confirmation", [])
    ]
    return {"company_in_file": ResultCompanyInFile(**data.get("company_in_file") or {}), "years": years, "needs_confirmation": reasons}


class IssueLog:
    """The issues of one import: kept up to a limit, counted always."""

    def __init__(self, filename: str | None) -> None:
        self.filename = filename
        self.kept: list[Issue] = []
        self.counts = {s.value: 0 for s in Severity}
        self.errors = 0

    def add(self, issue: Issue) -> None:
        sev = Severity(issue.severity)
        self.counts[sev.value] += 1
        if sev is Severity.ERROR:
            self.errors += 1
        if issue.file is None and self.filename:
            issue = issue._replace(file=self.filename)
        if len(self.kept) < MAX_STORED_ISSUES:
            self.kept.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.add(issue)

    def final(self) -> list[Issue]:
        dropped = sum(self.counts.values()) - len(self.kept)
        if dropped <= 0:
            return self.kept
        return self.kept + [
            Issue(
                Severity.INFO,
                "import.issues_truncated",
                f"{dropped} more issues were found but not stored "
                f"({self.counts['error']} errors, {self.counts['warning']} warnings in all).",
                file=self.filename,
            )
        ]


# ---------------------------------------------------------------------------
# writes
# ---------------------------------------------------------------------------


def new_run(
    company_id: int,
    source: str,
    started_by: str,
    user_id: int | None,
    filename: str | None,
    dry_run: bool = False,
    confirmed: bool = False,
    trigger: str | None = None,
) -> m.ImportRun:
    """A queued run, not yet added to a session."""
    return m.ImportRun(
        company_id=company_id, source=source, started_by=started_by, user_id=user_id, filename=filename, worker=WORKER,
        dry_run=dry_run, confirmed=confirmed, trigger=trigger,
    )  # fmt: skip


def queue(session: Session, run: m.ImportRun) -> int:
    session.add(run)
    session.commit()
    assert run.id is not None
    return run.id


def log_refused(session: Session, run: m.ImportRun, exc: EkonomiError) -> int:
    """Write ``run`` as a failed import with the refusal as its one issue."""
    run.status = "failed"
    run.error = exc.message
    run.finished_at = run.started_at = m.utcnow()
    run.duration_s = 0.0
    session.add(run)
    session.flush()
    session.add(
        m.ImportIssue(import_id=run.id, severity="error", code=exc.code, message=exc.message, file=run.filename)  # type: ignore[arg-type]
    )
    session.commit()
    assert run.id is not None
    return run.id


def keep_input(conn: Connection, import_id: int, path: str) -> None:
    """Where a background run finds its input (the file store)."""
    conn.execute(text("UPDATE import_run SET stored_path = :p WHERE id = :i"), {"p": path, "i": import_id})


def forget_inputs(conn: Connection, import_ids: list[int]) -> None:
    """Their stored inputs were removed (retention.py)."""
    for rid in import_ids:
        conn.execute(text("UPDATE import_run SET stored_path = NULL WHERE id = :i"), {"i": rid})


def write_progress(engine: Engine, import_id: int, p: Progress) -> None:
    """Live progress for other processes; a finished run is never changed."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE import_run SET status = :s, phase = :p, done = :d, total = :t "
                "WHERE id = :id AND status IN ('queued', 'running')"
            ),
            {"s": p.status, "p": p.phase, "d": p.done, "t": p.total, "id": import_id},
        )


@dataclass
class Outcome:
    """How one run ended, as the import log keeps it."""

    status: Status
    started: float  # time.monotonic() when it started
    started_at: datetime
    fiscal_years: list[dict[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    sha256: str | None = None
    program: tuple[str | None, str | None] = (None, None)  # name, version
    preview: dict[str, Any] | None = None  # a preview's own fields, as JSON


def finish(conn: Connection, import_id: int, outcome: Outcome, issues: IssueLog) -> None:
    """Write the run's end and its issues, inside the caller's transaction
    (the import's own, for a success: rows and log commit together)."""
    conn.execute(
        text(
            "UPDATE import_run SET status = :s, finished_at = :f, started_at = :st, sha256 = coalesce(:sha, sha256), "
            "duration_s = :d, fiscal_years = :fy, counts = :c, error = :e, worker = :w, "
            "program = coalesce(:prog, program), program_version = coalesce(:progv, program_version), preview = :pv, "
            "phase = CASE WHEN :done THEN 'done' ELSE phase END WHERE id = :id"
        ),
        {
            "s": outcome.status,
            "done": outcome.status in ("succeeded", "previewed"),
            "prog": outcome.program[0],
            "progv": outcome.program[1],
            "pv": None if outcome.preview is None else json.dumps(outcome.preview),
            "f": m.utcnow(),
            "st": outcome.started_at,
            "d": round(time.monotonic() - outcome.started, 3),
            "fy": json.dumps(outcome.fiscal_years),
            "c": json.dumps(outcome.counts),
            "e": outcome.error,
            "sha": outcome.sha256,
            "w": WORKER,
            "id": import_id,
        },
    )
    conn.execute(text("DELETE FROM import_issue WHERE import_id = :id"), {"id": import_id})
    rows = [
        {"i": import_id, "sev": Severity(i.severity).value, "code": i.code, "msg": i.message, "file": i.file, "line": i.line, "col": i.column}
        for i in issues.final()
    ]
    if rows:
        conn.execute(
            text(
                'INSERT INTO import_issue (import_id, severity, code, message, file, line, "column") '
                "VALUES (:i, :sev, :code, :msg, :file, :line, :col)"
            ),
            rows,
        )


def finish_failed(engine: Engine, import_id: int, outcome: Outcome, issues: IssueLog, attempts: int = 3) -> None:
    """``finish`` a run that did not succeed, in a transaction of its own,
    tried again on a fresh connection: the database may just have restarted
    (the failure is often why the import failed)."""
    for attempt in range(1, attempts + 1):
        try:
            with writer(engine).begin() as conn:
                finish(conn, import_id, outcome, issues)
            return
        except DBAPIError:
            if attempt == attempts:
                raise
            time.sleep(0.5 * attempt)


def sweep_stale(conn: Connection, company_id: int, import_id: int) -> list[int]:
    """Mark failed the runs of this company that a dead process left
    'running' (or 'queued', if its process on this host is gone); returns
    their ids.  The caller holds the company's lock, so no other run of it
    can really be running."""
    stale = conn.execute(
        text("SELECT id, status, worker FROM import_run WHERE company_id = :c AND id <> :i AND status IN ('running', 'queued')"),
        {"c": company_id, "i": import_id},
    ).all()
    swept = [rid for rid, status, worker in stale if status == "running" or worker_gone(worker)]
    fail_interrupted(conn, swept, INTERRUPTED)
    return swept


def orphans(conn: Connection) -> list[tuple[int, str, str | None, str | None, bool]]:
    """(id, status, worker, stored input, had a file) of the runs not yet
    ended whose process, on this host, is gone."""
    rows = conn.execute(text(
        "SELECT id, status, worker, stored_path, filename IS NOT NULL OR stored_path IS NOT NULL FROM import_run "
        "WHERE status IN ('running', 'queued') ORDER BY id"
    )).all()  # fmt: skip
    return [(rid, status, worker, stored, bool(file)) for rid, status, worker, stored, file in rows if worker_gone(worker)]


def fail_interrupted(conn: Connection, import_ids: list[int], reason: str) -> None:
    for rid in import_ids:
        conn.execute(
            text("UPDATE import_run SET status = 'failed', finished_at = :f, error = :e WHERE id = :id AND status <> 'succeeded'"),
            {"f": m.utcnow(), "e": reason, "id": rid},
        )
        issue = {"i": rid, "sev": "error", "code": "import.interrupted", "msg": reason}
        conn.execute(text("INSERT INTO import_issue (import_id, severity, code, message) VALUES (:i, :sev, :code, :msg)"), issue)


def claim(conn: Connection, import_id: int, worker: str | None) -> bool:
    """Take over a queued run from ``worker`` (gone); False if another process was first."""
    result = conn.execute(
        text("UPDATE import_run SET worker = :me WHERE id = :id AND status = 'queued' AND worker = :old"),
        {"me": WORKER, "id": import_id, "old": worker},
    )
    return result.rowcount == 1


def worker_gone(worker: str | None) -> bool:
    """The process named ``host:pid`` is on this host and no longer runs; a
    process elsewhere is never taken for gone."""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# ---------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------


def _iso(ts: Any) -> str | None:
    if ts is None:
        return None
    if isinstance(ts, str):
        ts = ts.replace(" ", "T")
        return ts if ts.endswith("Z") else ts.split("+")[0] + "Z"
    if ts.tzinfo is not None:
        ts = ts.astimezone(timezone.utc).replace(tzinfo=None)
    return ts.isoformat(timespec="seconds") + "Z"


def result_of(run: m.ImportRun, orgnr: str, issues: Iterable[m.ImportIssue]) -> ImportResult:
    """A stored run as its result object; a run of this process shows its live progress."""
    now = live(run.id) if run.id is not None and run.status in ("queued", "running") else None
    status = now.status if now else run.status
    phase, done, total = (now.phase, now.done, now.total) if now else (run.phase, run.done, run.total)
    counts = dict.fromkeys(COUNT_KEYS, 0)
    counts.update(json.loads(run.counts) if run.counts else {})
    cls, extra = (Preview, preview_parts(json.loads(run.preview or "{}"))) if run.dry_run else (ImportResult, {})
    return cls(
        import_id=run.id,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        source=run.source,
        company=orgnr,
        plugin=run.plugin,
        plugin_version=run.plugin_version,
        started_by=run.started_by,
        trigger=run.trigger,
        file=run.filename,
        sha256=run.sha256,
        queued_at=_iso(run.queued_at),
        started_at=_iso(run.started_at),
        finished_at=_iso(run.finished_at),
        duration_s=run.duration_s,
        fiscal_years=[ResultFiscalYear(**y) for y in json.loads(run.fiscal_years)] if run.fiscal_years else [],
        counts=counts,
        progress=ResultProgress(phase, done, total),
        error=run.error,
        issues=[ResultIssue(i.severity, i.code, i.message, i.file, i.line, i.column) for i in issues],  # type: ignore[arg-type]
        program=run.program,
        program_version=run.program_version,
        **extra,
    )


def load(engine: Engine, import_id: int) -> ImportResult:
    with Session(engine) as session:
        found = runs_of(session, [import_id])
    if not found:
        raise NotFound(f"No import {import_id}.")
    return found[0]


def latest(session: Session, company_id: int, limit: int) -> list[ImportResult]:
    """A company's import log, newest first; previews are not imports, and
    not in it (they are read by their id)."""
    ids = session.exec(
        select(m.ImportRun.id)
        .where(m.ImportRun.company_id == company_id, col(m.ImportRun.dry_run).is_(False))
        .order_by(col(m.ImportRun.id).desc())
        .limit(limit)
    ).all()
    return runs_of(session, [i for i in ids if i is not None])


def runs_of(session: Session, ids: list[int]) -> list[ImportResult]:
    """The results of these runs, in this order: the runs with their
    companies in one query, all their issues in another."""
    if not ids:
        return []
    rows = session.exec(
        select(m.ImportRun, m.Company.orgnr).join(m.Company, m.Company.id == m.ImportRun.company_id).where(col(m.ImportRun.id).in_(ids))
    ).all()
    issues: dict[int, list[m.ImportIssue]] = {}
    for issue in session.exec(
        select(m.ImportIssue).where(col(m.ImportIssue.import_id).in_(ids)).order_by(m.ImportIssue.id)  # type: ignore[arg-type]
    ):
        issues.setdefault(issue.import_id, []).append(issue)
    by_id = {run.id: result_of(run, orgnr, issues.get(run.id, [])) for run, orgnr in rows}  # type: ignore[arg-type]
    return [by_id[i] for i in ids if i in by_id]

"""The import pipeline, the same for every source:

    submit   check the rules, write the ImportRun (queued)           (own commit)
    execute  lock the company → fetch → normalise → check → store   (one transaction)
             → write the ImportRun's outcome                         (same transaction)

All or nothing: the records and the ImportRun's success are committed
together; on any failure (an error in the data, a plugin's exception, a
dropped connection) the transaction is rolled back, so the company's books are
exactly as before, and the failure is written to the ImportRun afterwards.  A
process killed mid-import leaves its run "running"/"queued"; the next import
of that company marks it failed (``_sweep_stale``).

One import per company at a time (``company_lock``): a lock per company inside
the process, and across processes a PostgreSQL session advisory lock or a file
lock beside the SQLite database, held from fetch to commit.  A second import
waits as "queued".
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from ..books import models as m
from ..books import rules
from ..checks import RecordCheck
from ..context import FileInput, ImportContext
from ..books.db import writer
from ..errors import EkonomiError, NotFound
from ..events import Event
from .plugins import PluginManager
from .progress import Progress, Reporter
from ..records import Issue, Severity
from .target import remove_stage_files
from ..books.dates import stored_fiscal_years
from .store import Store

log = logging.getLogger(__name__)

# At most this many issues are stored per import; the rest are counted.
MAX_STORED_ISSUES = 10_000
HEAD_BYTES = 64 * 1024
WORKER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class ImportRequest:
    """What to import, for whom, and who asked."""

    company: str  # orgnr
    file: FileInput | None = None
    source: str | None = None  # None: the file source that recognises the file
    started_by: str = "cli"
    user_id: int | None = None


class ImportRejected(Exception):
    """The data has errors: roll back (the issues say why)."""


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
        if dropped > 0:
            return self.kept + [
                Issue(
                    Severity.INFO,
                    "import.issues_truncated",
                    f"{dropped} more issues were found but not stored "
                    f"({self.counts['error']} errors, {self.counts['warning']} warnings in all).",
                    file=self.filename,
                )
            ]
        return self.kept


# ---------------------------------------------------------------------------
# locks
# ---------------------------------------------------------------------------

_company_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def _process_lock(company_id: int) -> threading.Lock:
    with _locks_guard:
        return _company_locks.setdefault(company_id, threading.Lock())


@contextlib.contextmanager
def company_lock(engine: Engine, company_id: int) -> Iterator[None]:
    """Hold the company's lock for a whole import, fetch included: imports of
    one company never interleave, in this process (a thread lock) or across
    processes and machines (a PostgreSQL session advisory lock, or a file lock
    beside a SQLite database).  A process that dies releases it."""
    with _process_lock(company_id):
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(4711, :c)"), {"c": company_id})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(4711, :c)"), {"c": company_id})
                    conn.commit()
        else:
            folder = _sqlite_lock_folder(engine)
            with (folder / f"company-{company_id}.lock").open("a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)


def _sqlite_lock_folder(engine: Engine) -> Path:
    db = engine.url.database
    folder = Path(db).resolve().parent / ".ekonomi-locks" if db and db != ":memory:" else Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ---------------------------------------------------------------------------
# submit
# ---------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sha256_meanwhile(path: Path | None) -> Callable[[], str | None]:
    """The input's sha256, computed on a thread while the import reads the
    file (hashlib lets go of the interpreter lock for big blocks), so a big
    file costs its hash no wall time.  Returns the function that waits for it."""
    if path is None:
        return lambda: None
    found: list[str | None] = [None]

    def work() -> None:
        with contextlib.suppress(OSError):  # the import itself reports an unreadable file
            found[0] = sha256_of(path)

    thread = threading.Thread(target=work, name="ekonomi-sha256", daemon=True)
    thread.start()

    def result() -> str | None:
        thread.join()
        return found[0]

    return result


def submit(engine: Engine, pm: PluginManager, req: ImportRequest) -> int:
    """Check the rules and write a queued ImportRun; returns its id.

    An unknown company raises NotFound (there is nowhere to log it).  Any
    other refusal (source not active, file not recognised, no right) is
    logged as a failed ImportRun and then raised, so the log shows it.
    """
    with Session(writer(engine)) as session:
        company = rules.get_company(session, req.company)
        run = _new_run(company, req)
        try:
            if req.file is not None:
                if not req.file.path.is_file():
                    raise NotFound(f"File not found: {req.file.path}")
            source = _choose_source(session, pm, company, req)
            run.source = source.name
            run.plugin = pm.plugin_of(source.name)
            run.plugin_version = source.version
            rules.check_source_allowed(session, pm, company, source)
            if req.user_id is not None:
                rules.check_can_import(session, session.get(m.User, req.user_id), company)
        except EkonomiError as exc:
            run.source = run.source or (req.source or "unknown")
            if req.file is not None and req.file.path.is_file():
                run.sha256 = sha256_of(req.file.path)  # which file was refused
            exc.import_id = _log_refused(session, run, exc)  # type: ignore[attr-defined]
            raise
        session.add(run)
        session.commit()
        assert run.id is not None
        return run.id


def _new_run(company: m.Company, req: ImportRequest) -> m.ImportRun:
    """The ImportRun of a request, not yet added to a session."""
    return m.ImportRun(
        company_id=company.id,  # type: ignore[arg-type]
        source=req.source or "",
        started_by=req.started_by,
        user_id=req.user_id,
        filename=req.file.filename if req.file else None,
        worker=WORKER,
    )


def _log_refused(session: Session, run: m.ImportRun, exc: EkonomiError) -> int:
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


def log_refusal(engine: Engine, req: ImportRequest, exc: EkonomiError) -> int:
    """Log an import refused before the core saw it (an upload over the size
    limit, say) as a failed ImportRun of the company, so the log shows it."""
    with Session(writer(engine)) as session:
        run = _new_run(rules.get_company(session, req.company), req)
        run.source = run.source or "unknown"
        return _log_refused(session, run, exc)


def _choose_source(session: Session, pm: PluginManager, company: m.Company, req: ImportRequest) -> Any:
    if req.source:
        return pm.source(req.source)
    if req.file is None:
        raise EkonomiError("Name the source of the import.", code="bad_request")
    with req.file.path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    candidates = [
        name for name in rules.enabled_sources(session, pm, company) if pm.source(name).kind in ("file", "push")
    ]
    return pm.identify(head, req.file.filename, candidates)


# ---------------------------------------------------------------------------
# execute
# ---------------------------------------------------------------------------


def execute(
    engine: Engine,
    pm: PluginManager,
    import_id: int,
    file: FileInput | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Run a queued import to its end; returns the result object."""
    with Session(engine) as session:
        run = session.get(m.ImportRun, import_id)
        if run is None:
            raise NotFound(f"No import {import_id}.")
        company = session.get(m.Company, run.company_id)
        assert company is not None
        company_id, orgnr, company_name = company.id, company.orgnr, company.name
        source_name, started_by, filename = run.source, run.started_by, run.filename
        if file is None and run.stored_path:
            file = FileInput(Path(run.stored_path), run.filename or Path(run.stored_path).name)
    assert company_id is not None

    def emit_progress(p: Progress) -> None:
        pm.emit(Event("import_progress", orgnr, import_id, started_by, {"phase": p.phase, "done": p.done, "total": p.total}))

    reporter = Reporter(engine, import_id, listener=progress, on_event=emit_progress)
    issues = IssueLog(filename)
    started, started_at = time.monotonic(), m.utcnow()
    outcome: dict[str, Any] = {}
    error: str | None = None
    sha256: Callable[[], str | None] = lambda: None
    try:
        with company_lock(engine, company_id):
            started, started_at = time.monotonic(), m.utcnow()  # the wait in the queue is not the import's time
            sha256 = _sha256_meanwhile(file.path if file is not None else None)
            source = pm.source(source_name)  # the plugin may have gone since the import was queued
            with writer(engine).begin() as conn:
                _sweep_stale(conn, company_id, import_id)
            reporter.status("running")
            pm.emit(Event("import_started", orgnr, import_id, started_by, {"source": source_name}))
            with engine.connect() as conn:
                ctx = ImportContext(
                    source=source_name,
                    company_orgnr=orgnr,
                    company_name=company_name,
                    input=file,
                    fiscal_years=tuple(stored_fiscal_years(conn, company_id)),
                    started_by=started_by,
                    progress=reporter,
                    state=_load_state(conn, company_id, source_name),
                )
            # Fetching (an API pull may take minutes) happens before the
            # database transaction, so no lock is held while the network works.
            raw = _fetch(pm, source, ctx, issues)
            outcome = _run(engine, pm, source, raw, ctx, company_id, import_id, issues, (started, started_at), sha256)
    except ImportRejected:
        error = f"The data has {issues.errors} error(s); nothing was imported."
    except EkonomiError as exc:
        error = exc.message
        issues.add(Issue(Severity.ERROR, exc.code, exc.message))
    except Exception as exc:  # a plugin's bug or a lost database: the import fails, the app does not
        log.exception("import %s failed", import_id)
        error = f"{type(exc).__name__}: {exc}"
        issues.add(Issue(Severity.ERROR, "import.crashed", f"The import stopped: {error}"))
    finally:
        reporter.close()
    if error is not None:
        with writer(engine).begin() as conn:
            _finish_run(conn, import_id, "failed", outcome, issues, started, started_at, error, sha256())
    result = load_result(engine, import_id)
    pm.emit(Event("import_failed" if error else "import_finished", orgnr, import_id, started_by, result))
    return result


def _fetch(pm: PluginManager, source: Any, ctx: ImportContext, issues: IssueLog) -> Any:
    """Bring in the raw input and show it to the ``ekonomi_fetched`` observers."""
    plugin = pm.plugin_of(source.name)
    try:
        raw = source.fetch(ctx)
    except EkonomiError:
        raise
    except Exception as exc:
        raise EkonomiError(f"The {plugin} plugin failed to fetch: {type(exc).__name__}: {exc}", code="plugin_error") from exc
    for impl in pm.hook.ekonomi_fetched.get_hookimpls():
        try:
            impl.function(source=source, ctx=ctx, raw=raw)
        except Exception as exc:
            issues.add(Issue(Severity.WARNING, "import.observer_failed", f"{pm.pm.get_name(impl.plugin)}: {exc}"))
    return raw


def _run(
    engine: Engine,
    pm: PluginManager,
    source: Any,
    raw: Any,
    ctx: ImportContext,
    company_id: int,
    import_id: int,
    issues: IssueLog,
    started: tuple[float, Any],
    sha256: Callable[[], str | None],
) -> dict[str, Any]:
    """normalise → check → store, then commit the rows and the import log
    together.  Raises ImportRejected when the data has errors."""
    plugin = pm.plugin_of(source.name)
    checks: list[RecordCheck] = []
    for impl in pm.hook.ekonomi_checks.get_hookimpls():
        try:
            checks.extend(impl.function(source=source, ctx=ctx) or ())
        except Exception as exc:
            raise EkonomiError(
                f"The {pm.pm.get_name(impl.plugin)} plugin failed to set up its checks: {exc}", code="plugin_error"
            ) from exc
    size = ctx.input.size if ctx.input is not None and ctx.input.path.exists() else 0
    store = Store(engine, company_id, import_id, source.mode, size_hint=size)
    try:
        _stream(source, raw, ctx, plugin, checks, store, issues)
        if issues.errors:
            raise ImportRejected()
        ctx.progress("store", 0, None)
        with store.committing() as (conn, summary):  # the rows, the replace rules and the log commit together
            if summary.state is not None:
                _save_state(conn, company_id, source.name, summary.state)
            outcome = {"fiscal_years": summary.fiscal_years, "counts": summary.counts}
            _finish_run(conn, import_id, "succeeded", outcome, issues, started[0], started[1], None, sha256())
        ctx.progress("store", 1, 1)
        return outcome
    finally:
        store.close()


def _stream(
    source: Any,
    raw: Any,
    ctx: ImportContext,
    plugin: str,
    checks: list[RecordCheck],
    store: Store,
    issues: IssueLog,
) -> None:
    """Every record through the checks and, while no error is found, into
    the store.  After an error storing stops (the import will fail) but
    checking goes on, so the user sees every problem in one run."""
    add, check_issue = store.add, issues.add
    records = source.normalize(raw, ctx)
    while True:
        try:
            rec = next(records)
        except StopIteration:
            break
        except Exception as exc:
            raise EkonomiError(
                f"The {plugin} plugin failed while reading: {type(exc).__name__}: {exc}", code="plugin_error"
            ) from exc
        if type(rec) is Issue:
            check_issue(rec)
            continue
        for chk in checks:
            for found in chk.check(rec):
                check_issue(found)
        if not issues.errors:
            add(rec)
    for chk in checks:
        issues.extend(chk.finish())


def _finish_run(
    conn: Connection,
    import_id: int,
    status: str,
    outcome: dict[str, Any],
    issues: IssueLog,
    started: float,
    started_at: Any,
    error: str | None,
    sha256: str | None = None,
) -> None:
    now = m.utcnow()
    conn.execute(
        text(
            "UPDATE import_run SET status = :s, finished_at = :f, started_at = :st, sha256 = coalesce(:sha, sha256), "
            "duration_s = :d, fiscal_years = :fy, counts = :c, error = :e, worker = :w, "
            "phase = CASE WHEN :done THEN 'done' ELSE phase END WHERE id = :id"
        ),
        {
            "s": status,
            "done": status == "succeeded",
            "f": now,
            "st": started_at,
            "d": round(time.monotonic() - started, 3),
            "fy": json.dumps(outcome.get("fiscal_years", [])),
            "c": json.dumps(outcome.get("counts", {})),
            "e": error,
            "sha": sha256,
            "w": WORKER,
            "id": import_id,
        },
    )
    conn.execute(text("DELETE FROM import_issue WHERE import_id = :id"), {"id": import_id})
    rows = [
        {
            "i": import_id,
            "sev": str(Severity(i.severity).value),
            "code": i.code,
            "msg": i.message,
            "file": i.file,
            "line": i.line,
            "col": i.column,
        }
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


def _sweep_stale(conn: Connection, company_id: int, import_id: int) -> None:
    """Runs of this company left 'running' by a process that died.  We hold
    the company's lock, so no other run of it can really be running; a
    'queued' one is stale only if its process on this host is gone."""
    stale = conn.execute(
        text("SELECT id, status, worker FROM import_run WHERE company_id = :c AND id <> :i AND status IN ('running', 'queued')"),
        {"c": company_id, "i": import_id},
    ).all()
    host = socket.gethostname()
    for rid, status, worker in stale:
        if status == "queued":
            w_host, _, w_pid = (worker or "").rpartition(":")
            if w_host != host or not w_pid.isdigit() or _alive(int(w_pid)):
                continue
        conn.execute(
            text(
                "UPDATE import_run SET status = 'failed', finished_at = :f, "
                "error = 'Interrupted: the process running this import stopped before it finished; nothing was imported.' "
                "WHERE id = :id"
            ),
            {"f": m.utcnow(), "id": rid},
        )
        remove_stage_files(conn.engine, rid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _load_state(conn: Connection, company_id: int, source: str) -> dict[str, Any]:
    raw = conn.execute(
        text("SELECT state FROM source_state WHERE company_id = :c AND source = :s"), {"c": company_id, "s": source}
    ).scalar()
    return json.loads(raw) if raw else {}


def _save_state(conn: Connection, company_id: int, source: str, state: dict[str, Any]) -> None:
    params = {"c": company_id, "s": source, "st": json.dumps(state), "u": m.utcnow()}
    updated = conn.execute(
        text("UPDATE source_state SET state = :st, updated_at = :u WHERE company_id = :c AND source = :s"), params
    ).rowcount
    if not updated:
        conn.execute(
            text("INSERT INTO source_state (company_id, source, state, updated_at) VALUES (:c, :s, :st, :u)"), params
        )


# ---------------------------------------------------------------------------
# results
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


def result_object(run: m.ImportRun, orgnr: str, issues: list[m.ImportIssue]) -> dict[str, Any]:
    """The result object of docs/contracts.md."""
    from .progress import live

    counts = dict.fromkeys(
        ("vouchers", "rows", "accounts", "balances", "period_balances", "objects", "invoices", "attachments"), 0
    )
    counts.update(json.loads(run.counts) if run.counts else {})
    now = live(run.id) if run.id is not None and run.status in ("queued", "running") else None
    status = now.status if now else run.status
    phase, done, total = (now.phase, now.done, now.total) if now else (run.phase, run.done, run.total)
    return {
        "import_id": run.id,
        "status": status,
        "source": run.source,
        "company": orgnr,
        "plugin": run.plugin,
        "plugin_version": run.plugin_version,
        "started_by": run.started_by,
        "file": run.filename,
        "sha256": run.sha256,
        "queued_at": _iso(run.queued_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "duration_s": run.duration_s,
        "fiscal_years": json.loads(run.fiscal_years) if run.fiscal_years else [],
        "counts": counts,
        "progress": {"phase": phase, "done": done, "total": total},
        "error": run.error,
        "issues": [
            {
                "severity": i.severity,
                "code": i.code,
                "message": i.message,
                "file": i.file,
                "line": i.line,
                "column": i.column,
            }
            for i in issues
        ],
    }


def load_result(engine: Engine, import_id: int) -> dict[str, Any]:
    from sqlmodel import select

    with Session(engine) as session:
        run = session.get(m.ImportRun, import_id)
        if run is None:
            raise NotFound(f"No import {import_id}.")
        company = session.get(m.Company, run.company_id)
        issues = session.exec(
            select(m.ImportIssue).where(m.ImportIssue.import_id == import_id).order_by(m.ImportIssue.id)  # type: ignore[arg-type]
        ).all()
        return result_object(run, company.orgnr if company else "", list(issues))


def run_import(
    engine: Engine,
    pm: PluginManager,
    req: ImportRequest,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Submit and execute in the foreground (the CLI).  A refusal comes back
    as a failed result when it was logged, else it is raised."""
    try:
        import_id = submit(engine, pm, req)
    except EkonomiError as exc:
        import_id = getattr(exc, "import_id", None)
        if import_id is None:
            raise
        return load_result(engine, import_id)
    return execute(engine, pm, import_id, file=req.file, progress=progress)

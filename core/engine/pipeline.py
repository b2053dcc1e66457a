"""The import pipeline, the same for every source:

    submit   check the rules, write the ImportRun (queued)           (own commit)
    execute  lock the company → fetch → normalise → check → store   (one transaction)
             → write the ImportRun's outcome                         (same transaction)

A preview (``dry_run``) runs the same way to the end of that transaction,
measures what the import did to each fiscal year (impact.py) and rolls it
back: nothing of it stays but its run, with status "previewed".  An import
that is likely a mistake (confirmation.py) and was not confirmed is rolled
back the same way and fails with the code ``needs_confirmation``.

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
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ..books import models as m
from ..books import rules
from ..books.config import load as load_config
from ..books.dates import stored_fiscal_years
from ..books.db import writer
from ..checks import RecordCheck
from ..context import FileInput, ImportContext
from ..errors import EkonomiError, NeedsConfirmation, NotFound, PluginError
from ..events import Event
from ..records import Issue, Severity
from . import confirmation, impact, runlog
from .analyze import analyze_after_load
from .plugins import PluginManager
from .progress import Progress, Reporter
from .source_access import balance_reader, config_saver
from .store import Store
from .target import remove_stage_files

log = logging.getLogger(__name__)

HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class ImportRequest:
    """What to import, for whom, and who asked."""

    company: str  # orgnr
    file: FileInput | None = None
    source: str | None = None  # None: the file source that recognises the file
    started_by: str = "cli"
    user_id: int | None = None
    dry_run: bool = False  # a preview: run it all, then roll back
    confirmed: bool = False  # the user confirmed it, should it be likely a mistake
    trigger: str | None = None  # what started it: cli, upload, api, sign-in, refresh


class ImportRejected(Exception):
    """The data has errors: roll back (the issues say why)."""


class _Previewed(Exception):
    """A preview reached its end: roll back (``preview`` holds what it found)."""

    def __init__(self, preview: dict[str, Any]) -> None:
        super().__init__("previewed")
        self.preview = preview


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
            if req.file is not None and not req.file.path.is_file():
                raise NotFound(f"File not found: {req.file.path}")
            source = _choose_source(session, pm, company, req)
            run.source, run.plugin, run.plugin_version = source.name, pm.plugin_of(source.name), source.version
            rules.check_source_allowed(session, pm, company, source)
            if req.user_id is not None:
                rules.check_can_import(session, session.get(m.User, req.user_id), company)
        except EkonomiError as exc:
            run.source = run.source or "unknown"
            run.dry_run = False  # a refused file is in the log, previewed or not
            if req.file is not None and req.file.path.is_file():
                run.sha256 = sha256_of(req.file.path)  # which file was refused
            exc.import_id = runlog.log_refused(session, run, exc)  # type: ignore[attr-defined]
            raise
        return runlog.queue(session, run)


def _new_run(company: m.Company, req: ImportRequest) -> m.ImportRun:
    filename = req.file.filename if req.file else None
    return runlog.new_run(
        company.id, req.source or "", req.started_by, req.user_id, filename, req.dry_run, req.confirmed, req.trigger  # type: ignore[arg-type]
    )


def log_refusal(engine: Engine, req: ImportRequest, exc: EkonomiError) -> int:
    """Log an import refused before the core saw it (an upload over the size
    limit, say) as a failed ImportRun of the company, so the log shows it."""
    with Session(writer(engine)) as session:
        run = _new_run(rules.get_company(session, req.company), req)
        run.source = run.source or "unknown"
        return runlog.log_refused(session, run, exc)


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


@dataclass(frozen=True)
class QueuedRun:
    """What ``execute`` knows of a queued import."""

    import_id: int
    company_id: int
    orgnr: str
    company_name: str | None
    source: str
    started_by: str
    filename: str | None
    file: FileInput | None
    dry_run: bool = False
    confirmed: bool = False


def _queued(engine: Engine, import_id: int, file: FileInput | None) -> QueuedRun:
    with Session(engine) as session:
        run = session.get(m.ImportRun, import_id)
        if run is None:
            raise NotFound(f"No import {import_id}.")
        company = session.get(m.Company, run.company_id)
        assert company is not None and company.id is not None
        if file is None and run.stored_path:
            file = FileInput(Path(run.stored_path), run.filename or Path(run.stored_path).name)
        return QueuedRun(
            import_id, company.id, company.orgnr, company.name, run.source, run.started_by, run.filename, file,
            run.dry_run, run.confirmed,
        )  # fmt: skip


def execute(
    engine: Engine,
    pm: PluginManager,
    import_id: int,
    file: FileInput | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Run a queued import (or preview) to its end; returns the result object."""
    run = _queued(engine, import_id, file)
    reporter = _reporter(engine, pm, run, progress)
    issues = runlog.IssueLog(run.filename)
    outcome = runlog.Outcome("failed", time.monotonic(), m.utcnow())
    sha256: Callable[[], str | None] = lambda: None
    try:
        with company_lock(engine, run.company_id):
            outcome.started, outcome.started_at = time.monotonic(), m.utcnow()  # the wait in the queue is not the import's time
            sha256 = _sha256_meanwhile(run.file.path if run.file is not None else None)
            _import(engine, pm, run, reporter, issues, outcome, sha256)
    except ImportRejected:
        outcome.error = f"The data has {issues.errors} error(s); nothing was imported."
        if run.dry_run:  # the preview ran: what it found is in its issues
            outcome.status, outcome.error = "previewed", f"The data has {issues.errors} error(s); it cannot be imported."
    except NeedsConfirmation as exc:  # its reasons are in the issues already
        outcome.error = exc.message
    except EkonomiError as exc:
        outcome.error = exc.message
        issues.add(Issue(Severity.ERROR, exc.code, exc.message))
    except Exception as exc:  # a plugin's bug or a lost database: the import fails, the app does not
        log.exception("import %s failed", import_id)
        # A database error says what went wrong, not which statement (nor its values) it was in.
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        outcome.error = f"{type(cause).__name__}: {cause}"
        issues.add(Issue(Severity.ERROR, "import.crashed", f"The import stopped: {outcome.error}"))
    finally:
        reporter.close()
    if outcome.status != "succeeded":
        outcome.sha256 = sha256()
        runlog.finish_failed(engine, import_id, outcome, issues)
    else:
        analyze_after_load(engine, outcome.counts)  # committed, and the company's lock let go
    result = runlog.load(engine, import_id).as_json()
    if not run.dry_run:  # a preview is not an import: observers hear nothing of it
        pm.emit(Event("import_finished" if outcome.status == "succeeded" else "import_failed", run.orgnr, import_id, run.started_by, result))
    return result


def _reporter(engine: Engine, pm: PluginManager, run: QueuedRun, progress: Callable[[str, int, int | None], None] | None) -> Reporter:
    """Progress to the caller, to the observers and, where the database
    takes a second writer mid-import (not SQLite), to the import log."""

    def emit_progress(p: Progress) -> None:
        data = {"phase": p.phase, "done": p.done, "total": p.total}
        pm.emit(Event("import_progress", run.orgnr, run.import_id, run.started_by, data))

    persist = None if engine.dialect.name == "sqlite" else partial(runlog.write_progress, engine, run.import_id)
    return Reporter(run.import_id, listener=progress, on_event=None if run.dry_run else emit_progress, persist=persist)


def _import(
    engine: Engine,
    pm: PluginManager,
    run: QueuedRun,
    reporter: Reporter,
    issues: runlog.IssueLog,
    outcome: runlog.Outcome,
    sha256: Callable[[], str | None],
) -> None:
    """fetch → normalise → check → store, holding the company's lock."""
    source = pm.source(run.source)  # the plugin may have gone since the import was queued
    if source.kind == "integration":  # the company may have left it while this sync waited
        with Session(engine) as session:
            rules.check_source_allowed(session, pm, rules.get_company(session, run.orgnr), source)
    with writer(engine).begin() as conn:
        for stale in runlog.sweep_stale(conn, run.company_id, run.import_id):
            remove_stage_files(engine, stale)
    reporter.status("running")
    if not run.dry_run:
        pm.emit(Event("import_started", run.orgnr, run.import_id, run.started_by, {"source": run.source}))
    with engine.connect() as conn:
        ctx = ImportContext(
            source=run.source,
            company_orgnr=run.orgnr,
            company_name=run.company_name,
            input=run.file,
            fiscal_years=tuple(stored_fiscal_years(conn, run.company_id)),
            started_by=run.started_by,
            progress=reporter,
            state=_load_state(conn, run.company_id, run.source),
            config=load_config(conn, run.company_id, source),
            dry_run=run.dry_run,
            save_config=config_saver(engine, pm, run.company_id, source.name),
            stored_balances=balance_reader(engine, run.company_id),
        )
    # Fetching (an API pull may take minutes) happens before the database
    # transaction, so no lock is held while the network works.
    raw = _fetch(pm, source, ctx, issues)
    _run(engine, pm, source, raw, ctx, run, issues, outcome, sha256)


def _fetch(pm: PluginManager, source: Any, ctx: ImportContext, issues: runlog.IssueLog) -> Any:
    """Bring in the raw input and show it to the ``ekonomi_fetched`` observers."""
    plugin = pm.plugin_of(source.name)
    try:
        raw = source.fetch(ctx)
    except EkonomiError:
        raise
    except Exception as exc:
        raise PluginError(f"The {plugin} plugin failed to fetch: {type(exc).__name__}: {exc}", plugin=plugin) from exc
    if ctx.dry_run:  # observers keep inputs of imports; a preview is none
        return raw
    for name, _, exc in pm.call_each("ekonomi_fetched", source=source, ctx=ctx, raw=raw):
        if exc is not None:
            issues.add(Issue(Severity.WARNING, "import.observer_failed", f"{name}: {exc}"))
    return raw


def _run(
    engine: Engine,
    pm: PluginManager,
    source: Any,
    raw: Any,
    ctx: ImportContext,
    run: QueuedRun,
    issues: runlog.IssueLog,
    outcome: runlog.Outcome,
    sha256: Callable[[], str | None],
) -> None:
    """normalise → check → store, then commit the rows and the import log
    together.  Raises ImportRejected when the data has errors."""
    plugin = pm.plugin_of(source.name)
    checks: list[RecordCheck] = []
    for name, offered, exc in pm.call_each("ekonomi_checks", source=source, ctx=ctx):
        if exc is not None:
            raise PluginError(f"The {name} plugin failed to set up its checks: {exc}", plugin=name) from exc
        checks.extend(offered or ())
    size = ctx.input.size if ctx.input is not None and ctx.input.path.exists() else 0
    store = Store(engine, run.company_id, run.import_id, source.mode, size_hint=size, source=source.name)
    store.write_files = not run.dry_run
    try:
        _stream(source, raw, ctx, plugin, checks, store, issues)
        if store.company is not None:
            outcome.program = (store.company.program, store.company.program_version)
        if issues.errors:
            raise ImportRejected()
        ctx.progress("store", 0, None)
        _commit(store, ctx, run, source.kind, issues, outcome, sha256)
        outcome.status = "succeeded"  # the block's end committed it
    except _Previewed as done:  # rolled back
        outcome.status, outcome.preview = "previewed", done.preview
    finally:
        store.close()
    ctx.progress("store", 1, 1)


def _commit(
    store: Store,
    ctx: ImportContext,
    run: QueuedRun,
    kind: str,
    issues: runlog.IssueLog,
    outcome: runlog.Outcome,
    sha256: Callable[[], str | None],
) -> None:
    """The rows, the replace rules and the log commit together; a preview,
    or an import that needs a confirmation it lacks, raises instead, and
    so rolls all of it back."""
    years = impact.plan(store, {y.start for y in ctx.fiscal_years}, full=run.dry_run)
    with store.committing() as (conn, summary):
        if summary.state is not None:
            _save_state(conn, run.company_id, ctx.source, summary.state)
        outcome.sha256 = sha256()
        outcome.fiscal_years, outcome.counts = summary.fiscal_years, summary.counts
        impact.measure(conn, years, store.target.year_map, full=run.dry_run)
        reasons = confirmation.reasons(run.company_name or "", store.company, ctx.source, kind, years)
        if run.dry_run:
            raise _Previewed(_preview_json(store, years, reasons))
        if reasons and not run.confirmed:
            message = "The import is likely a mistake and needs a confirmation (--yes, confirm=true); nothing was imported."
            issues.add(Issue(Severity.ERROR, NeedsConfirmation.code, message))
            issues.extend(Issue(Severity.ERROR, r.code, r.message) for r in reasons)
            raise NeedsConfirmation(message)
        # Confirmed: the log keeps what the user confirmed.
        issues.extend(Issue(Severity.WARNING, r.code, f"Confirmed by the user: {r.message}") for r in reasons)
        runlog.finish(conn, run.import_id, replace(outcome, status="succeeded"), issues)


def _preview_json(store: Store, years: list[impact.YearImpact], reasons: list[confirmation.Reason]) -> dict[str, Any]:
    company = store.company
    return {
        "company_in_file": {"name": company.name if company else None, "orgnr": company.orgnr if company else None},
        "years": [y.as_json() for y in years],
        "needs_confirmation": [r.as_json() for r in reasons],
    }


def _stream(
    source: Any,
    raw: Any,
    ctx: ImportContext,
    plugin: str,
    checks: list[RecordCheck],
    store: Store,
    issues: runlog.IssueLog,
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
            raise PluginError(f"The {plugin} plugin failed while reading: {type(exc).__name__}: {exc}", plugin=plugin) from exc
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
        return runlog.load(engine, import_id).as_json()
    return execute(engine, pm, import_id, file=req.file, progress=progress)

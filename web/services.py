"""What the views share: the database engine, the plugin manager and the job
runner of this app, a database session per request, and template helpers."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ekonomi.core.engine.jobs import JobRunner
from ekonomi.core.engine.plugins import PluginManager

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


@dataclass
class Services:
    engine: Engine
    pm: PluginManager
    runner: JobRunner


def init_services(app: Flask) -> None:
    from ekonomi.core.books.db import make_engine
    from ekonomi.core.engine.jobs import ThreadRunner
    from ekonomi.core.engine.plugins import get_plugin_manager
    from ekonomi.core.engine.recovery import settle_orphans

    engine = make_engine(app.config.get("DATABASE_URL"))
    pm = app.config.get("PLUGIN_MANAGER") or get_plugin_manager()
    runner = app.config.get("RUNNER") or ThreadRunner(engine, pm)
    # Imports a killed server left behind end, or run again, before new work comes in.
    runner.resume(settle_orphans(engine, rerun_queued=True).claimed)
    app.extensions["ekonomi"] = Services(engine, pm, runner)
    app.before_request(_mark_writes)
    app.teardown_appcontext(_close_db)


def services() -> Services:
    return current_app.extensions["ekonomi"]  # type: ignore[no-any-return]


def db() -> Session:
    """The database session of this request (closed when it ends).  Views
    marked ``@writes`` get one that takes SQLite's write lock up front (see
    core.db.writer); the others read, and never wait for a running import."""
    if "db" not in g:
        from ekonomi.core.books.db import writer

        engine = services().engine
        g.db = Session(writer(engine) if g.get("db_writes") else engine)
    return g.db  # type: ignore[no-any-return]


def writes(view: F) -> F:
    """Mark a view that writes through the request's session (its unsafe
    methods then get a writer session, from the first use on)."""
    view.writes_db = True  # type: ignore[attr-defined]
    return view


def _mark_writes() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    g.db_writes = bool(getattr(view, "writes_db", False)) and request.method not in ("GET", "HEAD", "OPTIONS")


def reset_db() -> None:
    """After a failure: roll back the request's session, so what renders the
    answer can read again (a failed statement leaves a PostgreSQL
    transaction aborted).  A session that cannot even roll back is dropped;
    the next ``db()`` opens a fresh one."""
    session = g.get("db")
    if session is None:
        return
    try:
        session.rollback()
    except Exception:
        log.warning("the request's database session could not be rolled back; a new one is opened", exc_info=True)
        g.pop("db", None)
        with contextlib.suppress(Exception):
            session.close()


def _close_db(exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


# ---------------------------------------------------------------------------
# templates
# ---------------------------------------------------------------------------

STATUS_LABELS = {"queued": "I kö", "running": "Pågår", "succeeded": "Lyckad", "failed": "Misslyckad", "previewed": "Förhandsgranskad"}
SEVERITY_LABELS = {"error": "Fel", "warning": "Varning", "info": "Info"}
PHASE_LABELS = {None: "Väntar", "read": "Läser filen", "store": "Sparar", "done": "Klar", "fetch": "Hämtar"}
EVENT_LABELS = {
    "source_switched": "Datakälla ändrad",
    "data_deleted": "Data borttagen",
    "import_undone": "Import ångrad",
    "source_configured": "Källans inställningar ändrade",
}


def _timestamp(value: Any) -> str:
    """ISO UTC (a result object's text or a datetime) → local "YYYY-MM-DD HH:MM"."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _money(value: str | None) -> str:
    """"-1250.00" → "-1 250,00" (Swedish grouping); exact, text only."""
    if value is None:
        return ""
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    whole, _, frac = digits.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + "\u00a0".join(groups) + ("," + frac if frac else "")


def _filesize(size: int | None) -> str:
    """Bytes as a person reads them: "850 byte", "12,4 kB", "3,1 MB"."""
    size = int(size or 0)
    if size < 1000:
        return f"{size} byte"
    for unit, scale in (("kB", 1000), ("MB", 1000**2), ("GB", 1000**3)):
        if size < scale * 1000 or unit == "GB":
            return f"{size / scale:.1f} {unit}".replace(".", ",")
    return f"{size} byte"  # not reached


def template_filters() -> dict[str, Any]:
    return {
        "timestamp": _timestamp,
        "money": _money,
        "filesize": _filesize,
        "status_label": lambda s: STATUS_LABELS.get(s, s),
        "severity_label": lambda s: SEVERITY_LABELS.get(s, s),
        "phase_label": lambda s: PHASE_LABELS.get(s, s),
        "event_label": lambda s: EVENT_LABELS.get(s, s),
        "source_title": _source_title,
    }


def _source_title(name: str) -> str:
    """A source as people know it ("SIE4-fil", "Visma eEkonomi"), not its key."""
    from ekonomi.core.books.rules import source_title

    return source_title(services().pm, name)

"""How a company's integration stands, for the Byrå page (every client) and
Inställningar - Rapportinställningar (one company): connected or not (as
the source judges it from the public view of its configuration), the last
successful sync and what it brought, and the last failure after it in plain
Swedish.

Loaded for all companies at once: the configurations, the runs and their
first errors take one query each, however many clients a bureau keeps.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from ekonomi.core import Connection, Source
from ekonomi.core.books import models as m
from ekonomi.core.books import rules
from ekonomi.core.books.config import public_view
from ekonomi.core.engine.plugins import PluginManager
from ekonomi.core.errors import EkonomiError

from .wording import ISSUE_TEXTS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LastSync:
    import_id: int
    at: datetime
    by: str
    vouchers_new: int
    vouchers_updated: int
    invoices: int
    attachments: int


@dataclass(frozen=True)
class LastFailure:
    import_id: int
    at: datetime
    text: str


@dataclass(frozen=True)
class IntegrationState:
    source: str
    title: str
    connection: Connection | None
    last_sync: LastSync | None
    failure: LastFailure | None


def integration_states(session: Session, pm: PluginManager, companies: Sequence[m.Company]) -> dict[int, IntegrationState]:
    """The state of each company whose active source is an installed
    integration (the others are left out)."""
    active: dict[int, tuple[m.Company, Source]] = {}
    for company in companies:
        name = company.active_source or rules.OTHER
        if name == rules.OTHER:
            continue
        try:
            source = pm.source(name)
        except EkonomiError:
            continue
        if source.kind == "integration":
            active[company.id] = (company, source)  # type: ignore[index]
    if not active:
        return {}
    # Loaded into the session's identity map, where public_view finds them
    # (it holds them weakly: ``configs`` keeps them alive meanwhile).
    configs = session.exec(select(m.CompanySource).where(col(m.CompanySource.company_id).in_(list(active)))).all()
    succeeded, failed = _newest_runs(session, active)
    first_errors = _first_errors(session, [run.id for run in failed.values()])  # type: ignore[misc]
    states = {}
    for company_id, (company, source) in active.items():
        ok = succeeded.get(company_id)
        bad = failed.get(company_id)
        if bad is not None and ok is not None and bad.id < ok.id:  # type: ignore[operator]
            bad = None  # failed before the last success: over
        states[company_id] = IntegrationState(
            source=source.name,
            title=source.title,
            connection=_connection(session, pm, company, source),
            last_sync=_last_sync(ok) if ok is not None else None,
            failure=_failure(bad, source, first_errors.get(bad.id)) if bad is not None else None,  # type: ignore[arg-type]
        )
    del configs
    return states


def _newest_runs(
    session: Session, active: dict[int, tuple[m.Company, Source]]
) -> tuple[dict[int, m.ImportRun], dict[int, m.ImportRun]]:
    """The newest succeeded and the newest failed run of each company from
    its active source, in one query (previews are not imports)."""
    newest = (
        select(func.max(m.ImportRun.id))
        .where(
            col(m.ImportRun.company_id).in_(list(active)),
            col(m.ImportRun.dry_run).is_(False),
            col(m.ImportRun.status).in_(("succeeded", "failed")),
        )
        .group_by(m.ImportRun.company_id, m.ImportRun.source, m.ImportRun.status)
    )
    succeeded: dict[int, m.ImportRun] = {}
    failed: dict[int, m.ImportRun] = {}
    for run in session.exec(select(m.ImportRun).where(col(m.ImportRun.id).in_(newest))).all():
        if run.source != active[run.company_id][1].name:
            continue
        (succeeded if run.status == "succeeded" else failed)[run.company_id] = run
    return succeeded, failed


def _first_errors(session: Session, import_ids: list[int]) -> dict[int, m.ImportIssue]:
    if not import_ids:
        return {}
    first = (
        select(func.min(m.ImportIssue.id))
        .where(col(m.ImportIssue.import_id).in_(import_ids), m.ImportIssue.severity == "error")
        .group_by(m.ImportIssue.import_id)
    )
    return {issue.import_id: issue for issue in session.exec(select(m.ImportIssue).where(col(m.ImportIssue.id).in_(first))).all()}


def _connection(session: Session, pm: PluginManager, company: m.Company, source: Source) -> Connection | None:
    """What the source says of the company's link; nothing for a source
    without a configuration, or one that fails to say (logged)."""
    if source.config_schema is None:
        return None
    try:
        return source.connection(public_view(session, pm, company, source.name))
    except Exception:  # a plugin's bug must not take the page down
        log.exception("source %s could not tell whether %s is connected", source.name, company.orgnr)
        return None


def _last_sync(run: m.ImportRun) -> LastSync:
    counts = json.loads(run.counts) if run.counts else {}
    vouchers = int(counts.get("vouchers", 0))
    return LastSync(
        import_id=run.id,  # type: ignore[arg-type]
        at=run.finished_at or run.queued_at,
        by=started_by_label(run.started_by),
        vouchers_new=int(counts.get("vouchers_new", vouchers)),
        vouchers_updated=int(counts.get("vouchers_updated", 0)),
        invoices=int(counts.get("invoices", 0)),
        attachments=int(counts.get("attachments", 0)),
    )


def _failure(run: m.ImportRun, source: Source, issue: m.ImportIssue | None) -> LastFailure:
    text = None
    if issue is not None:
        try:
            text = source.explain(issue.code)
        except Exception:  # as in _connection
            log.exception("source %s could not explain %s", source.name, issue.code)
        text = text or ISSUE_TEXTS.get(issue.code)
    text = text or run.error or (issue.message if issue is not None else "Överföringen misslyckades.")
    return LastFailure(import_id=run.id, at=run.finished_at or run.queued_at, text=text)  # type: ignore[arg-type]


def started_by_label(started_by: str) -> str:
    """Who or what started an import, as a person reads it."""
    if started_by.startswith("user:"):
        return started_by.removeprefix("user:")
    return {"cli": "kommandoraden", "demo": "demodata"}.get(started_by, started_by)

"""Companies and bureaus: create, list, and delete the latest fiscal year."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy import func
from sqlmodel import Session, col, select

from . import models as m
from .db import writer
from ..errors import EkonomiError, NotFound
from ..events import Event
from ..orgnr import normalize_orgnr
from ..engine.plugins import PluginManager
from .reports import fiscal_years
from ..engine.chart import delete_chart
from ..engine.shadow import forget
from ..engine.store import delete_year_data


def add_bureau(session: Session, name: str) -> m.Bureau:
    if session.exec(select(m.Bureau).where(m.Bureau.name == name)).first():
        raise EkonomiError(f"A bureau named {name!r} already exists.", code="conflict")
    bureau = m.Bureau(name=name)
    session.add(bureau)
    session.flush()
    return bureau


def get_bureau(session: Session, name: str) -> m.Bureau:
    bureau = session.exec(select(m.Bureau).where(m.Bureau.name == name)).first()
    if bureau is None:
        raise NotFound(f"No bureau named {name!r}.")
    return bureau


def add_company(session: Session, orgnr: str, name: str, bureau: str | None = None) -> m.Company:
    """A new company: active source "other", built-in plugins enabled."""
    norm = normalize_orgnr(orgnr)
    if norm is None:
        raise EkonomiError(f"{orgnr!r} is not an organisation number (NNNNNN-NNNN).", code="bad_request")
    if not name.strip():
        raise EkonomiError("The company needs a name.", code="bad_request")
    if session.exec(select(m.Company).where(m.Company.orgnr == norm)).first():
        raise EkonomiError(f"A company with organisation number {norm} already exists.", code="conflict")
    company = m.Company(orgnr=norm, name=name.strip())
    if bureau:
        company.bureau_id = get_bureau(session, bureau).id
    session.add(company)
    session.flush()
    return company


def latest_runs(session: Session, companies: list[m.Company]) -> dict[int, m.ImportRun]:
    """The newest import run of each of these companies, in one query (list
    pages show it beside every company); previews are not imports."""
    ids = [c.id for c in companies]
    if not ids:
        return {}
    newest = (
        select(func.max(m.ImportRun.id))
        .where(col(m.ImportRun.company_id).in_(ids), col(m.ImportRun.dry_run).is_(False))
        .group_by(m.ImportRun.company_id)
    )
    runs = session.exec(select(m.ImportRun).where(col(m.ImportRun.id).in_(newest))).all()
    return {run.company_id: run for run in runs}


def running_runs(session: Session, companies: list[m.Company]) -> dict[int, m.ImportRun]:
    """The newest queued or running import of each of these companies (a
    sync started at sign-in, an upload waiting its turn), in one query;
    previews are not imports."""
    ids = [c.id for c in companies]
    if not ids:
        return {}
    newest = (
        select(func.max(m.ImportRun.id))
        .where(
            col(m.ImportRun.company_id).in_(ids),
            col(m.ImportRun.dry_run).is_(False),
            col(m.ImportRun.status).in_(("queued", "running")),
        )
        .group_by(m.ImportRun.company_id)
    )
    runs = session.exec(select(m.ImportRun).where(col(m.ImportRun.id).in_(newest))).all()
    return {run.company_id: run for run in runs}


def company_json(session: Session, company: m.Company, last: m.ImportRun | None = None) -> dict[str, Any]:
    """A company as ``companies list --json`` shows it; ``last`` is its newest
    import run (latest_runs), if any."""
    bureau = session.get(m.Bureau, company.bureau_id) if company.bureau_id else None
    return {
        "orgnr": company.orgnr,
        "name": company.name,
        "bureau": bureau.name if bureau else None,
        "active_source": company.active_source,
        "last_import": None
        if last is None
        else {"import_id": last.id, "status": last.status, "source": last.source, "file": last.filename},
    }


def list_companies(session: Session) -> list[m.Company]:
    return list(session.exec(select(m.Company).order_by(m.Company.orgnr)).all())


def delete_latest_year(engine: Engine, pm: PluginManager, company_id: int, actor: str) -> dict[str, Any]:
    """"Ta bort data för det senaste räkenskapsåret": delete the vouchers and
    balances of the latest fiscal year, and the year itself; logged."""
    from ..engine.pipeline import company_lock

    with company_lock(engine, company_id):  # never while an import of the company runs
        with writer(engine).connect() as conn:
            with conn.begin():
                years = fiscal_years(conn, company_id)
                if not years:
                    raise NotFound("The company has no fiscal years to delete.")
                year = years[-1]
                deleted = delete_year_data(conn, year.id)
                deleted["accounts"] = delete_chart(conn, year.id)  # the year's chart goes with it
                forget(conn, company_id)  # the books changed outside an import: no undo now
                conn.execute(text("DELETE FROM fiscal_year WHERE id = :f"), {"f": year.id})
                data = {
                    "fiscal_year": {"start": year.start.isoformat(), "end": year.end.isoformat()},
                    "deleted": deleted,
                }
                conn.execute(
                    text(
                        "INSERT INTO company_event (company_id, kind, actor, data, at) "
                        "VALUES (:c, 'data_deleted', :a, :d, :t)"
                    ),
                    {"c": company_id, "a": actor, "d": json.dumps(data), "t": m.utcnow()},
                )
                orgnr = conn.execute(text("SELECT orgnr FROM company WHERE id = :c"), {"c": company_id}).scalar()
    pm.emit(Event("data_deleted", orgnr, actor=actor, data=data))
    return data


def latest_year_summary(engine: Engine, company_id: int) -> dict[str, Any] | None:
    """What "delete latest" would remove, for the confirmation."""
    with engine.connect() as conn:
        years = fiscal_years(conn, company_id)
        if not years:
            return None
        year = years[-1]
        p = {"f": year.id}
        count = lambda sql: conn.execute(text(sql), p).scalar() or 0  # noqa: E731
        return {
            "fiscal_year": {"start": year.start.isoformat(), "end": year.end.isoformat()},
            "vouchers": count("SELECT count(*) FROM voucher WHERE fiscal_year_id = :f"),
            "rows": count("SELECT count(*) FROM voucher_row WHERE fiscal_year_id = :f"),
            "balances": count("SELECT count(*) FROM balance WHERE fiscal_year_id = :f"),
            "period_balances": count("SELECT count(*) FROM period_balance WHERE fiscal_year_id = :f")
            + count("SELECT count(*) FROM period_budget WHERE fiscal_year_id = :f"),
        }

"""Översikt: revenue, costs and result per month, the trial balance and the
vouchers of a fiscal year, limited to locked months where the bureau says
so for client users (rule 5).  Also "Uppdatera" from the main menu."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ekonomi.core.books import models as m
from ekonomi.core.books.companies import running_runs
from ekonomi.core.books.invoices import unpaid_invoices
from ekonomi.core.errors import EkonomiError
from ekonomi.core.books.reports import fiscal_years, monthly_result, trial_balance, vouchers

from .access import CompanyAccess, company_access, may_follow, user, visible_until
from .converters import query_int
from .errors import Problem
from .refresh import start_refresh, under_way
from .services import db, services

bp = Blueprint("overview", __name__, url_prefix="/companies/<orgnr>")
PAGE_SIZE = 25
MAX_PAGE = 10**9  # its offset stays far below what the database holds


@bp.get("/")
@bp.get("/overview")
@login_required
def index(orgnr: str) -> Any:
    access = company_access(orgnr, "view_reports")
    company = access.company
    until = visible_until(company)
    locked_view = until is not None
    page = query_int("page", 1, 1, MAX_PAGE, "Sidnumret (page)")
    start = None
    if request.args.get("year"):
        try:
            start = date.fromisoformat(request.args["year"])
        except ValueError:
            raise Problem(400, "year ska vara ett datum (ÅÅÅÅ-MM-DD).") from None
    shared = {"company": company, "rights": access.rights, "running": running_import(company, access)}
    with services().engine.connect() as conn:
        shared["invoices"] = unpaid_invoices(conn, company.id, date.today())  # type: ignore[arg-type]
        years = fiscal_years(conn, company.id)  # type: ignore[arg-type]
        if not years:
            return render_template("overview.html", **shared, years=[], empty=True)
        tb = trial_balance(conn, company.id, start, until)  # type: ignore[arg-type]
        months = monthly_result(conn, company.id, start, until)  # type: ignore[arg-type]
        vs = vouchers(conn, company.id, start, until, PAGE_SIZE, (page - 1) * PAGE_SIZE)  # type: ignore[arg-type]
    totals = _totals(months["months"])
    return render_template(
        "overview.html",
        **shared,
        years=years,
        year=tb["fiscal_year"],
        tb=tb,
        months=months["months"],
        totals=totals,
        chart=json.dumps(months["months"]).replace("<", "\\u003c"),
        vouchers=vs,
        page=page,
        pages=max(1, -(-vs["total"] // PAGE_SIZE)),
        locked_view=locked_view,
        lock_date=company.lock_date,
        empty=False,
    )


def running_import(company: m.Company, access: CompanyAccess) -> dict[str, Any] | None:
    """The company's newest queued or running import (a sync started at
    sign-in, say), for the notice that it is under way; ``poll`` is the
    API address the page's script follows it at, where the user may read
    it (web/api.py ``get_import``)."""
    run = running_runs(db(), [company]).get(company.id)  # type: ignore[arg-type]
    if run is None:
        return None
    return {
        "id": run.id,
        "status": run.status,
        "label": under_way(run),
        "poll": url_for("api.get_import", import_id=run.id) if may_follow(access, run) else None,
    }


def _totals(months: list[dict[str, str]]) -> dict[str, str]:
    from decimal import Decimal

    out = {}
    for key in ("revenue", "costs", "result"):
        out[key] = f"{sum((Decimal(m[key]) for m in months), Decimal('0')):.2f}"
    return out


@bp.post("/refresh")
@login_required
def refresh(orgnr: str) -> Any:
    access = company_access(orgnr)
    try:
        import_id = start_refresh(access.company, user())
    except EkonomiError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Uppdateringen har startat (import {import_id}).")
    return redirect(request.referrer if _same_site(request.referrer) else url_for("overview.index", orgnr=access.company.orgnr))


def _same_site(url: str | None) -> bool:
    from urllib.parse import urlsplit

    if not url:
        return False
    parts = urlsplit(url)
    return parts.netloc == request.host

"""Översikt: revenue, costs and result per month, the trial balance and the
vouchers of a fiscal year, limited to locked months where the bureau says
so for client users (rule 5).  Also "Uppdatera" from the main menu."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ekonomi.core.books import rules
from ekonomi.core.errors import EkonomiError
from ekonomi.core.books.reports import fiscal_years, monthly_result, trial_balance, vouchers

from .access import company_access, user
from .converters import query_int
from .errors import Problem
from .services import services

bp = Blueprint("overview", __name__, url_prefix="/companies/<orgnr>")
PAGE_SIZE = 25
MAX_PAGE = 10**9  # its offset stays far below what the database holds
NOTHING_LOCKED = date(1, 1, 1)


@bp.get("/")
@bp.get("/overview")
@login_required
def index(orgnr: str) -> Any:
    access = company_access(orgnr, "view_reports")
    company = access.company
    until = None
    locked_view = company.display_mode == "locked" and not rules.is_bureau_staff(user())
    if locked_view:
        until = company.lock_date or NOTHING_LOCKED
    page = query_int("page", 1, 1, MAX_PAGE, "Sidnumret (page)")
    start = None
    if request.args.get("year"):
        try:
            start = date.fromisoformat(request.args["year"])
        except ValueError:
            raise Problem(400, "year ska vara ett datum (ÅÅÅÅ-MM-DD).") from None
    with services().engine.connect() as conn:
        years = fiscal_years(conn, company.id)  # type: ignore[arg-type]
        if not years:
            return render_template("overview.html", company=company, rights=access.rights, years=[], empty=True)
        tb = trial_balance(conn, company.id, start, until)  # type: ignore[arg-type]
        months = monthly_result(conn, company.id, start, until)  # type: ignore[arg-type]
        vs = vouchers(conn, company.id, start, until, PAGE_SIZE, (page - 1) * PAGE_SIZE)  # type: ignore[arg-type]
    totals = _totals(months["months"])
    return render_template(
        "overview.html",
        company=company,
        rights=access.rights,
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


def _totals(months: list[dict[str, str]]) -> dict[str, str]:
    from decimal import Decimal

    out = {}
    for key in ("revenue", "costs", "result"):
        out[key] = f"{sum((Decimal(m[key]) for m in months), Decimal('0')):.2f}"
    return out


@bp.post("/refresh")
@login_required
def refresh(orgnr: str) -> Any:
    from .refresh import start_refresh

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

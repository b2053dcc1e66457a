"""Inställningar - Rapportinställningar (data source, what clients see) and
Inställningar - Användare (who may import, who may open Inställningar)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlmodel import select

from ekonomi.core.books import models as m
from ekonomi.core.books import rules
from ekonomi.core.errors import EkonomiError

from .access import company_access, require_users_page, user
from .api import data_source_json, switch_data_source
from .errors import Problem
from .integration_state import integration_states
from .services import db, services, writes
from .wording import swedish

bp = Blueprint("settings", __name__, url_prefix="/companies/<orgnr>/settings")
DISPLAY_MODES = {"ongoing": "Löpande bokföring", "locked": "Endast låsta månader"}


@bp.get("/")
@login_required
def index(orgnr: str) -> Any:
    access = company_access(orgnr, "open_settings", "import_files")
    if access.rights["import_files"] and not access.rights["open_settings"]:
        return redirect(url_for("imports.index", orgnr=access.company.orgnr))
    return redirect(url_for("settings.report", orgnr=access.company.orgnr))


@bp.route("/report", methods=["GET", "POST"])
@writes
@login_required
def report(orgnr: str) -> Any:
    access = company_access(orgnr, "open_settings")
    company = access.company
    staff = rules.is_bureau_staff(user())
    if request.method == "POST":
        wanted = request.form.get("source")
        if wanted:
            try:
                switch_data_source(company, wanted, user())
            except EkonomiError as exc:
                raise Problem.from_core(exc) from None
        if staff and "display_mode" in request.form:
            _save_display(company)
        flash("Rapportinställningarna är sparade.")
        return redirect(url_for("settings.report", orgnr=company.orgnr))
    return render_template(
        "settings/report.html",
        company=company,
        rights=access.rights,
        ds=data_source_json(company),
        staff=staff,
        modes=DISPLAY_MODES,
        integration=integration_states(db(), services().pm, [company]).get(company.id),  # type: ignore[arg-type]
        panels=_plugin_panels(company.orgnr, {**access.rights, "bureau_admin": user().role == "bureau-admin"}),
    )


def _plugin_panels(orgnr: str, rights: dict[str, bool]) -> list[Any]:
    """What plugins show on this page (``ekonomi_settings_panels``); a
    plugin that fails is left out and logged."""
    panels: list[Any] = []
    from .plugin_host import HOST

    for name, offered, exc in services().pm.call_each("ekonomi_settings_panels", orgnr=orgnr, rights=rights, host=HOST):
        if exc is not None:
            current_app.logger.error("plugin %s could not show its settings panel: %s", name, exc)
            continue
        panels.extend(offered or ())
    return panels


def _save_display(company: m.Company) -> None:
    mode = request.form.get("display_mode", "")
    if mode not in DISPLAY_MODES:
        raise Problem(400, "Välj löpande bokföring eller låsta månader.")
    raw = request.form.get("lock_date", "").strip()
    lock: date | None = None
    if raw:
        try:
            lock = date.fromisoformat(raw)
        except ValueError:
            raise Problem(400, f"{raw!r} är inget datum (ÅÅÅÅ-MM-DD).") from None
    if mode == "locked" and lock is None:
        raise Problem(400, "Ange till och med vilket datum månaderna är låsta.")
    company.display_mode = mode
    company.lock_date = lock
    db().add(company)
    db().commit()


def _people(company: m.Company) -> list[dict[str, Any]]:
    """Everyone who reaches the company, with their rights."""
    session = db()
    staff = (
        session.exec(
            select(m.User).where(m.User.bureau_id == company.bureau_id, m.User.role != "client").order_by(m.User.email)
        ).all()
        if company.bureau_id is not None
        else []
    )
    clients = session.exec(
        select(m.User)
        .join(m.CompanyAccess, m.CompanyAccess.user_id == m.User.id)  # type: ignore[arg-type]
        .where(m.CompanyAccess.company_id == company.id, m.User.role == "client")
        .order_by(m.User.email)
    ).all()
    return [
        {"user": u, "rights": rules.rights(session, u, company), "staff": u.role != "client", "fixed": rules.rights_are_fixed(u)}
        for u in [*staff, *clients]
    ]


@bp.route("/users", methods=["GET", "POST"])
@writes
@login_required
def users(orgnr: str) -> Any:
    from ekonomi.core.books.users import grant

    access = require_users_page(orgnr)
    company = access.company
    people = _people(company)
    if request.method == "POST":
        me = user()
        for p in people:
            u = p["user"]
            prefix = f"u{u.id}_"
            if p["fixed"]:
                _refuse_fixed_change(u, prefix)
                continue
            wanted = {r: _ticked(prefix + r) for r in rules.RIGHTS}
            if wanted == p["rights"]:
                continue
            if u.id == me.id and not wanted["open_settings"]:
                flash("Du kan inte ta bort din egen behörighet till Inställningar.", "error")
                continue
            grant(
                db(),
                u,
                company,
                can_view_reports=wanted["view_reports"],
                can_open_settings=wanted["open_settings"],
                can_import_files=wanted["import_files"],
            )
        db().commit()
        flash("Behörigheterna är sparade.")
        return redirect(url_for("settings.users", orgnr=company.orgnr))
    return render_template("settings/users.html", company=company, rights=access.rights, people=people)


@bp.post("/users/add")
@writes
@login_required
def add_user(orgnr: str) -> Any:
    from ekonomi.core.books.users import add_user as core_add_user

    access = require_users_page(orgnr)
    try:
        core_add_user(
            db(),
            request.form.get("email", ""),
            request.form.get("password", ""),
            "client",
            company=access.company,
            name=request.form.get("name") or None,
            can_import_files=_ticked("import_files"),
            can_open_settings=request.form.get("open_settings") == "on",
        )
        db().commit()
    except EkonomiError as exc:
        db().rollback()
        flash(swedish(exc), "error")
    else:
        flash("Användaren är tillagd.")
    return redirect(url_for("settings.users", orgnr=access.company.orgnr))


def _refuse_fixed_change(who: m.User, prefix: str) -> None:
    """The page offers no boxes for a bureau admin (their rights are the
    bureau's); a form that sends some anyway asks to change them."""
    sent = {r for r in rules.RIGHTS if any(k.startswith(prefix) and rules.right_name(k[len(prefix):]) == r for k in request.form)}
    if sent and sent != set(rules.RIGHTS):
        raise Problem(403, f"{who.email} är byråadministratör och har alltid alla behörigheter hos byråns klienter.")


def _ticked(field: str) -> bool:
    """A ticked box, also under a right's old name (``import_sie4``)."""
    names = [field] + [field.replace(new, old) for old, new in rules.LEGACY_RIGHTS.items() if field.endswith(new)]
    return any(request.form.get(n) == "on" for n in names)

"""Byrå: the bureau's clients, their data source and last import, which
source plugins each client has enabled, and adding a client."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlmodel import select

from ekonomi.core.books import models as m
from ekonomi.core.books import rules
from ekonomi.core.books.companies import latest_runs
from ekonomi.core.errors import EkonomiError

from . import source_config
from .access import require_bureau_staff, require_source_admin, user
from .errors import Problem
from .integration_state import integration_states
from .services import db, services, writes

bp = Blueprint("bureau", __name__, url_prefix="/bureau")


@bp.get("/")
@login_required
def index() -> Any:
    who = require_bureau_staff()
    session = db()
    pm = services().pm
    bureau = session.get(m.Bureau, who.bureau_id)
    companies = session.exec(select(m.Company).where(m.Company.bureau_id == who.bureau_id).order_by(m.Company.name)).all()
    sources = sorted(pm.sources().values(), key=lambda s: s.name)
    last = latest_runs(session, list(companies))
    states = integration_states(session, pm, list(companies))
    clients = []
    for c in companies:
        clients.append(
            {
                "company": c,
                "source_title": rules.source_title(pm, c.active_source or rules.OTHER),
                "last": last.get(c.id),  # type: ignore[arg-type]
                "integration": states.get(c.id),  # type: ignore[arg-type]
                "enabled": {s.name: rules.source_enabled(session, pm, c, s.name) for s in sources},
                "configs": source_config.configurable(c),
            }
        )
    failed = [p for p in pm.infos() if p.state == "failed"]
    return render_template(
        "bureau/index.html",
        bureau=bureau,
        clients=clients,
        sources=sources,
        failed=failed if who.role == "bureau-admin" else [],
        admin=who.role == "bureau-admin",
    )


@bp.post("/companies")
@writes
@login_required
def add_client() -> Any:
    from ekonomi.core.books.companies import add_company

    who = require_bureau_staff()
    bureau = db().get(m.Bureau, who.bureau_id)
    assert bureau is not None
    orgnr, name = request.form.get("orgnr", ""), request.form.get("name", "")
    try:
        company = add_company(db(), orgnr, name, bureau.name)
        db().commit()
    except EkonomiError as exc:
        db().rollback()
        flash(_refusal(exc, orgnr, who), "error")
    else:
        flash(f"{company.name} ({company.orgnr}) är tillagd som klient.")
    return redirect(url_for("bureau.index"))


def _refusal(exc: EkonomiError, orgnr: str, who: m.User) -> str:
    """Why a client was not added.  An orgnr that another bureau's client
    has is answered like one that is not an orgnr at all, so the form does
    not tell who else is a customer here."""
    if exc.code == "conflict":
        existing = rules.get_company(db(), orgnr)
        if existing.bureau_id == who.bureau_id:
            return f"{existing.name} ({existing.orgnr}) finns redan bland byråns klienter."
    elif not request.form.get("name", "").strip():
        return "Ange företagets namn."
    return "Organisationsnumret kan inte användas. Kontrollera att det är rätt skrivet (NNNNNN-NNNN)."


@bp.post("/companies/<orgnr>/sources")
@writes
@login_required
def set_sources(orgnr: str) -> Any:
    access = require_source_admin(orgnr)
    pm = services().pm
    company = access.company
    active = company.active_source or rules.OTHER
    for name in pm.sources():
        on = request.form.get(f"source_{name}") == "on"
        if not on and name == active:
            raise Problem(409, f"{name} är företagets aktiva datakälla; välj en annan under Rapportinställningar först.", "conflict")
        rules.set_source_enabled(db(), company, name, on)
    db().commit()
    flash(f"Källorna för {company.name} är sparade.")
    return redirect(url_for("bureau.index"))


@bp.post("/companies/<orgnr>/sources/<source>/config")
@writes
@login_required
def configure_source(orgnr: str, source: str) -> Any:
    """The configuration form of one source for one client."""
    from ekonomi.core.errors import ConfigError

    access = require_source_admin(orgnr)
    view = next((v for v in source_config.configurable(access.company) if v["source"] == source), None)
    if view is None:
        raise Problem(404, f"Ingen installerad källa {source!r} har inställningar.")
    try:
        source_config.save(access.company, source, source_config.form_values(request.form, view["fields"]), user())
    except ConfigError as exc:
        flash(source_config.refusal(exc, view["title"], view["fields"]), "error")
    else:
        flash(f"Inställningarna för {view['title']} hos {access.company.name} är sparade.")
    return redirect(url_for("bureau.index"))

"""Inställningar - Import: upload a SIE4 file, follow its progress, read
the import log, delete the latest fiscal year, and undo the latest import."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlmodel import col, select

from ekonomi.core.books import models as m
from ekonomi.core.books import rules
from ekonomi.core.engine import runlog

from .access import LOG_RIGHTS, company_access, integration_title, user
from .errors import Problem
from .services import db, services
from .source_config import field_labels

bp = Blueprint("imports", __name__, url_prefix="/companies/<orgnr>/settings/import")
_UNDONE_YEAR = {"restored": "återställt", "removed": "borttaget"}
LOG_LIMIT = 100


def _events(company: m.Company) -> list[dict[str, Any]]:
    rows = db().exec(
        select(m.CompanyEvent)
        .where(m.CompanyEvent.company_id == company.id)
        .order_by(col(m.CompanyEvent.id).desc())
        .limit(LOG_LIMIT)
    ).all()
    pm = services().pm

    def name(source: str) -> str:
        return rules.source_title(pm, source)

    out = []
    for e in rows:
        data = json.loads(e.data or "{}")
        if e.kind == "source_switched":
            text = f"Datakälla: {name(data.get('from', '?'))} → {name(data.get('to', '?'))}"
        elif e.kind == "data_deleted":
            fy = data.get("fiscal_year", {})
            deleted = data.get("deleted", {})
            text = f"Räkenskapsåret {fy.get('start')} – {fy.get('end')} togs bort ({deleted.get('vouchers', 0)} verifikationer)"
        elif e.kind == "import_undone":
            years = ", ".join(f"{y['start']} ({_UNDONE_YEAR[y['action']]})" for y in data.get("fiscal_years", []))
            text = f"Import {data.get('import_id')} ({data.get('file') or data.get('source')}) ångrades" + (f": {years}" if years else "")
        elif e.kind == "source_configured":  # which fields, never their values
            labels = field_labels(data.get("source", ""))
            changed = ", ".join(labels.get(f, f) for f in data.get("fields", [])) or "–"
            text = f"Inställningar för {name(data.get('source', '?'))}: {changed}"
        else:
            text = e.kind
        out.append({"at": e.at, "kind": e.kind, "actor": e.actor, "text": text})
    return out


@bp.get("/")
@login_required
def index(orgnr: str) -> Any:
    from ekonomi.core.books.companies import latest_year_summary

    access = company_access(orgnr, *LOG_RIGHTS)
    company = access.company
    log = [r.as_json() for r in runlog.latest(db(), company.id, LOG_LIMIT)]  # type: ignore[arg-type]
    running = [r for r in log if r["status"] in ("queued", "running")]
    accepts_files = (company.active_source or rules.OTHER) == rules.OTHER
    extensions = sorted(
        {ext for s in services().pm.sources().values() if s.kind == "file" for ext in s.file_extensions}
    )
    return render_template(
        "imports/index.html",
        company=company,
        rights=access.rights,
        log=log,
        running=running,
        events=_events(company),
        accepts_files=accepts_files,
        integration=integration_title(company),
        can_upload=access.rights["import_files"] and accepts_files,
        accept=",".join(extensions),
        latest=latest_year_summary(services().engine, company.id) if access.rights["open_settings"] else None,  # type: ignore[arg-type]
        undo=_undo_summary(company, years=False) if access.allows(rules.CHANGE_BOOKS_RIGHT) else None,
    )


def _undo_summary(company: m.Company, years: bool = True) -> dict[str, Any] | None:
    """What "Ångra senaste importen" would restore; None: nothing to undo."""
    from ekonomi.core.engine.undo import NothingToUndo, undo_summary

    try:
        return undo_summary(services().engine, company.id, years)  # type: ignore[arg-type]
    except NothingToUndo:
        return None


@bp.post("/")
@login_required
def upload(orgnr: str) -> Any:
    """A chosen file: preview what its import will do (previews.py), where
    the user then presses "Importera" or "Avbryt".  The page's script posts
    the same form, to show the upload's progress."""
    from .uploads import submit_upload

    access = company_access(orgnr, "import_files")
    try:
        import_id = submit_upload(access.company, request.files.get("file"), None, user(), dry_run=True)
    except Problem as exc:
        if exc.status in (401, 403, 404):
            raise
        flash(exc.message, "error")
        return redirect(url_for("imports.index", orgnr=access.company.orgnr))
    return redirect(url_for("previews.show", orgnr=access.company.orgnr, import_id=import_id))


@bp.get("/<int:import_id>")
@login_required
def detail(orgnr: str, import_id: int) -> Any:
    access = company_access(orgnr, *LOG_RIGHTS)
    run = db().get(m.ImportRun, import_id)
    if run is None or run.company_id != access.company.id:
        raise Problem(404, f"Import {import_id} finns inte för {access.company.name}.")
    result = runlog.load(services().engine, import_id).as_json()
    return render_template("imports/detail.html", company=access.company, rights=access.rights, r=result)


@bp.route("/delete-latest", methods=["GET", "POST"])
@login_required
def delete_latest(orgnr: str) -> Any:
    from ekonomi.core.books.companies import delete_latest_year, latest_year_summary

    access = company_access(orgnr, "open_settings")
    company = access.company
    summary = latest_year_summary(services().engine, company.id)  # type: ignore[arg-type]
    if summary is None:
        flash("Företaget har inga räkenskapsår att ta bort.", "error")
        return redirect(url_for("imports.index", orgnr=company.orgnr))
    if request.method == "POST":
        fy = summary["fiscal_year"]
        if request.form.get("confirm_start") != fy["start"]:
            # The page confirmed another year than the latest one now.
            flash("Det senaste räkenskapsåret har ändrats sedan sidan visades. Bekräfta igen.", "error")
            return redirect(url_for("imports.delete_latest", orgnr=company.orgnr))
        data = delete_latest_year(services().engine, services().pm, company.id, actor=f"user:{user().email}")  # type: ignore[arg-type]
        flash(
            f"Räkenskapsåret {data['fiscal_year']['start']} – {data['fiscal_year']['end']} är borttaget "
            f"({data['deleted'].get('vouchers', 0)} verifikationer)."
        )
        return redirect(url_for("imports.index", orgnr=company.orgnr))
    return render_template("imports/delete.html", company=company, rights=access.rights, s=summary)


@bp.route("/undo-latest", methods=["GET", "POST"])
@login_required
def undo_latest(orgnr: str) -> Any:
    """"Ångra senaste importen": a confirmation naming what comes back, then the undo."""
    from ekonomi.core.engine.undo import NothingToUndo, undo_latest_import

    access = company_access(orgnr, rules.CHANGE_BOOKS_RIGHT)
    company = access.company
    summary = _undo_summary(company)
    if summary is None:
        flash("Det finns ingen import att ångra. Bara den senaste importen kan ångras, en gång.", "error")
        return redirect(url_for("imports.index", orgnr=company.orgnr))
    if request.method == "POST":
        if request.form.get("confirm_import") != str(summary["import_id"]):
            # Another import finished since the page was shown.
            flash("Den senaste importen har ändrats sedan sidan visades. Bekräfta igen.", "error")
            return redirect(url_for("imports.undo_latest", orgnr=company.orgnr))
        try:
            data = undo_latest_import(
                services().engine, services().pm, company.id, f"user:{user().email}", expected=summary["import_id"]  # type: ignore[arg-type]
            )
        except NothingToUndo:  # an import finished in between
            flash("Den senaste importen har ändrats sedan sidan visades. Bekräfta igen.", "error")
            return redirect(url_for("imports.undo_latest", orgnr=company.orgnr))
        flash(f"Import {data['import_id']} ({data['file'] or data['source']}) är ångrad. Bokföringen är som före den.")
        return redirect(url_for("imports.index", orgnr=company.orgnr))
    return render_template("imports/undo.html", company=company, rights=access.rights, s=summary)

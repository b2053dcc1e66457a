"""Inställningar - Import, before the import: after choosing a file the user
sees what the import will do (the company the file names, each fiscal year
with its vouchers and result before and after, what it replaces, why it
needs a confirmation) and presses "Importera" or "Avbryt".

The preview is a run of its own on the import worker (status "previewed",
rolled back, not in the import log); "Importera" imports the file the
preview kept, confirmed where the user ticked "Jag förstår: importera ändå".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ekonomi.core.books import models as m
from ekonomi.core.context import FileInput
from ekonomi.core.engine import runlog
from ekonomi.core.engine.pipeline import ImportRequest
from ekonomi.core.errors import EkonomiError

from .access import CompanyAccess, company_access, user
from .errors import Problem
from .services import db, services
from .uploads import forget_input

bp = Blueprint("previews", __name__, url_prefix="/companies/<orgnr>/settings/import/preview")

ACTIONS = {"added": "Läggs till", "replaced": "Ersätts", "unchanged": "Oförändrat"}


def _preview(orgnr: str, import_id: int) -> tuple[CompanyAccess, m.ImportRun]:
    """The user's own preview of this company."""
    access = company_access(orgnr, "import_files")
    run = db().get(m.ImportRun, import_id)
    if run is None or run.company_id != access.company.id or not run.dry_run or run.user_id != user().id:
        raise Problem(404, f"Förhandsgranskning {import_id} finns inte för {access.company.name}.")
    return access, run


@bp.get("/<int:import_id>")
@login_required
def show(orgnr: str, import_id: int) -> Any:
    access, run = _preview(orgnr, import_id)
    r = runlog.load(services().engine, import_id).as_json()
    errors = [i for i in r["issues"] if i["severity"] == "error"]
    return render_template(
        "imports/preview.html",
        company=access.company,
        rights=access.rights,
        r=r,
        running=r["status"] in ("queued", "running"),
        errors=errors,
        can_import=r["status"] == "previewed" and not errors and bool(run.stored_path) and Path(run.stored_path or "").is_file(),
        reasons=[reason_text(reason, r, access.company.name) for reason in r.get("needs_confirmation", [])],
        actions=ACTIONS,
    )


@bp.post("/<int:import_id>")
@login_required
def decide(orgnr: str, import_id: int) -> Any:
    """"Importera" or "Avbryt"."""
    access, run = _preview(orgnr, import_id)
    back = redirect(url_for("imports.index", orgnr=access.company.orgnr))
    if request.form.get("action") != "import":
        forget_input(run)
        flash("Importen avbröts. Ingenting ändrades.")
        return back
    r = runlog.load(services().engine, import_id).as_json()
    if r["status"] != "previewed" or any(i["severity"] == "error" for i in r["issues"]):
        flash("Den här filen kan inte importeras.", "error")
        return redirect(url_for("previews.show", orgnr=orgnr, import_id=import_id))
    if not run.stored_path or not Path(run.stored_path).is_file():
        flash("Filen finns inte längre kvar. Välj den igen.", "error")
        return back
    confirmed = request.form.get("confirm") == "yes"
    if r["needs_confirmation"] and not confirmed:
        flash("Kryssa i ”Jag förstår: importera ändå” för att importera filen.", "error")
        return redirect(url_for("previews.show", orgnr=orgnr, import_id=import_id))
    who = user()
    req = ImportRequest(
        company=access.company.orgnr,
        file=FileInput(Path(run.stored_path), run.filename or "fil"),
        source=run.source,
        started_by=f"user:{who.email}",
        user_id=who.id,
        confirmed=confirmed,
    )
    try:
        new_id = services().runner.submit(req)
    except EkonomiError as exc:
        flash(Problem.from_core(exc).message, "error")
        return back
    forget_input(run)
    flash(f"Filen har tagits emot och importeras nu (import {new_id}).")
    return back


def reason_text(reason: dict[str, Any], r: dict[str, Any], company_name: str) -> str:
    """A reason for confirmation in Swedish, from its code and the preview."""
    year = reason.get("fiscal_year") or {}
    span = f"{year.get('start')} – {year.get('end')}"
    figures = next((y for y in r.get("years", []) if y["start"] == year.get("start")), {})
    if reason["code"] == "import.confirm.company":
        named = (r.get("company_in_file") or {}).get("name")
        return f"Filen saknar organisationsnummer och kommer från företaget ”{named}”, inte från {company_name}."
    if reason["code"] == "import.confirm.other_writer":
        was = figures.get("replaces_source") or {}
        by = _written_by(was.get("source"), was.get("program"))
        return f"Räkenskapsåret {span} ersätts. Det lästes in från {by}, men den här filen kommer från {_written_by(r.get('source'), r.get('program'))}."
    if reason["code"] == "import.confirm.vouchers_removed":
        return (
            f"Räkenskapsåret {span} har {figures.get('vouchers_before')} verifikationer; "
            f"efter importen finns {figures.get('vouchers_after')} kvar."
        )
    return str(reason["message"])


def _written_by(source: str | None, program: str | None) -> str:
    return f"{program} ({source})" if program else (source or "en okänd källa")

"""The JSON API under /api/v1 (docs/contracts.md "HTTP API").

Authentication: the session cookie of the pages (then unsafe methods need
the ``X-CSRFToken`` header, as forms do) or ``Authorization: Bearer <token>``.
Errors: ``{"code", "message"}`` with the status the code implies.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_login import current_user

from ekonomi.core.books import models as m
from ekonomi.core.books import rules
from ekonomi.core.engine import runlog

from . import schemas
from .access import LOG_RIGHTS, authenticate_bearer, company_access, may_follow, require_source_admin, user
from .errors import Problem
from .extensions import csrf
from .services import db, services, writes

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticate() -> None:
    if request.endpoint == "api.openapi":
        return
    if authenticate_bearer():
        return
    if not current_user.is_authenticated:
        raise Problem(401, "Logga in först, eller skicka Authorization: Bearer <token>.")
    if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # a cookie session: the same CSRF check as the forms


def _json(schema: Any, data: Any, status: int = 200, **headers: str) -> Any:
    response = jsonify(schema.dump(data))
    response.status_code = status
    response.headers.update(headers)
    return response


# ---------------------------------------------------------------------------
# imports
# ---------------------------------------------------------------------------


@bp.post("/companies/<orgnr>/imports")
def create_import(orgnr: str) -> Any:
    from .uploads import submit_upload

    access = company_access(orgnr, "import_files")
    # dry_run and confirm may come as query parameters or as form fields.
    form = schemas.load_or_400(schemas.ImportUploadSchema(), {**request.args.to_dict(), **request.form.to_dict()})
    who = user()
    import_id = submit_upload(access.company, request.files.get("file"), form["source"], who, form["dry_run"], form["confirm"])
    url = url_for("api.get_import", import_id=import_id)
    if form["dry_run"]:
        return _json(schemas.PreviewSchema(), _preview_done(import_id), 200, Location=url)
    return _json(schemas.ImportAcceptedSchema(), {"import_id": import_id, "url": url}, 202, Location=url)


def _preview_done(import_id: int) -> runlog.ImportResult:
    """Wait for a preview on the import worker; its input is not kept after
    it (the API imports a file by uploading it again, with confirm=true)."""
    from .uploads import forget_input

    services().runner.wait(import_id)
    run = db().get(m.ImportRun, import_id)
    if run is not None:
        db().refresh(run)
        forget_input(run)
    return runlog.load(services().engine, import_id)


@bp.get("/imports/<int:import_id>")
def get_import(import_id: int) -> Any:
    run = db().get(m.ImportRun, import_id)
    company = db().get(m.Company, run.company_id) if run is not None else None
    if run is None or company is None:
        raise Problem(404, f"Ingen import {import_id} finns, eller så når du den inte.")
    try:
        access = company_access(company.orgnr)
    except Problem as exc:
        if exc.status == 404:
            raise Problem(404, f"Ingen import {import_id} finns, eller så når du den inte.") from None
        raise
    if not may_follow(access, run):
        company_access(company.orgnr, *LOG_RIGHTS)  # answers 403 as before
    result = runlog.load(services().engine, import_id)
    return _json(schemas.result_schema(result), result)


@bp.get("/companies/<orgnr>/imports")
def list_imports(orgnr: str) -> Any:
    access = company_access(orgnr, *LOG_RIGHTS)
    try:
        limit = max(1, min(int(request.args.get("limit", 100)), 1000))
    except ValueError:
        raise Problem(400, "limit ska vara ett heltal.") from None
    items = runlog.latest(db(), access.company.id, limit)  # type: ignore[arg-type]
    return _json(schemas.ImportListSchema(), {"items": items})


# ---------------------------------------------------------------------------
# the books: unpaid invoices, a voucher, an attachment
# ---------------------------------------------------------------------------


@bp.get("/companies/<orgnr>/invoices")
def list_invoices(orgnr: str) -> Any:
    from datetime import date

    from ekonomi.core.books.invoices import unpaid_invoices

    access = company_access(orgnr, "view_reports")
    with services().engine.connect() as conn:
        data = unpaid_invoices(conn, access.company.id, date.today())  # type: ignore[arg-type]
    return _json(schemas.InvoiceListSchema(), data)


@bp.get("/companies/<orgnr>/vouchers/<int:voucher_id>")
def get_voucher(orgnr: str, voucher_id: int) -> Any:
    from .vouchers import find_voucher

    access = company_access(orgnr, "view_reports")
    return _json(schemas.VoucherSchema(), find_voucher(access.company, voucher_id))


@bp.get("/companies/<orgnr>/attachments/<int:attachment_id>")
def get_attachment(orgnr: str, attachment_id: int) -> Any:
    from .vouchers import attachment_response

    access = company_access(orgnr, "view_reports")
    return attachment_response(access.company, attachment_id)


# ---------------------------------------------------------------------------
# the data source (rule 1)
# ---------------------------------------------------------------------------


def data_source_json(company: m.Company) -> dict[str, Any]:
    pm = services().pm
    active = company.active_source or rules.OTHER
    options = [
        {"name": rules.OTHER, "title": rules.OTHER_TITLE, "kind": "other", "enabled": True}
    ]
    for name, src in sorted(pm.sources().items()):
        if src.kind == "integration":
            options.append(
                {
                    "name": name,
                    "title": src.title,
                    "kind": src.kind,
                    "enabled": rules.source_enabled(db(), pm, company, name),
                }
            )
    return {
        "source": active,
        "title": rules.source_title(pm, active),
        "accepts_files": active == rules.OTHER,
        "options": options,
    }


@bp.get("/companies/<orgnr>/data-source")
def get_data_source(orgnr: str) -> Any:
    access = company_access(orgnr)
    return _json(schemas.DataSourceSchema(), data_source_json(access.company))


@bp.put("/companies/<orgnr>/data-source")
@writes
def put_data_source(orgnr: str) -> Any:
    access = company_access(orgnr, "open_settings")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Problem(400, 'Skicka JSON: {"source": "other"} eller namnet på en integration.')
    wanted = schemas.load_or_400(schemas.DataSourceChangeSchema(), body)["source"]
    switch_data_source(access.company, wanted, user())
    return _json(schemas.DataSourceSchema(), data_source_json(access.company))


def switch_data_source(company: m.Company, wanted: str, who: m.User) -> None:
    """Switch through the core's rule; emits the event once committed."""
    from ekonomi.core.errors import NotFound

    pm = services().pm
    try:
        event = rules.switch_source(db(), pm, company, wanted, actor=f"user:{who.email}")
    except NotFound:
        db().rollback()
        raise Problem(400, f"Ingen integration {wanted!r} är installerad; välj \"other\" eller en installerad integration.") from None
    except Exception:
        db().rollback()
        raise
    db().commit()
    if event is not None:
        pm.emit(event)


# ---------------------------------------------------------------------------
# a source's configuration for one company (bureau admins)
# ---------------------------------------------------------------------------


@bp.get("/companies/<orgnr>/sources/<source>/config")
def get_source_config(orgnr: str, source: str) -> Any:
    from ekonomi.core.books.config import public_view

    access = require_source_admin(orgnr)
    return _json(schemas.SourceConfigSchema(), public_view(db(), services().pm, access.company, source))


@bp.put("/companies/<orgnr>/sources/<source>/config")
@writes
def put_source_config(orgnr: str, source: str) -> Any:
    """Fields left out keep their values; "" or null clears a field, and
    keeps a secret (secrets are never answered back, only whether set)."""
    from .source_config import save

    access = require_source_admin(orgnr)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Problem(400, 'Send a JSON object of field names and values: {"field": "value", ...}.')
    return _json(schemas.SourceConfigSchema(), save(access.company, source, body, user()))


# ---------------------------------------------------------------------------
# deleting and refreshing
# ---------------------------------------------------------------------------


@bp.delete("/companies/<orgnr>/fiscal-years/latest")
def delete_latest(orgnr: str) -> Any:
    from ekonomi.core.books.companies import delete_latest_year

    access = company_access(orgnr, "open_settings")
    data = delete_latest_year(services().engine, services().pm, access.company.id, actor=f"user:{user().email}")  # type: ignore[arg-type]
    return _json(schemas.DeletedYearSchema(), data)


@bp.post("/companies/<orgnr>/imports/latest/undo")
def undo_latest_import(orgnr: str) -> Any:
    """"Ångra senaste importen"; 409 ``conflict`` when there is nothing to undo."""
    from ekonomi.core.engine.undo import undo_latest_import as undo

    access = company_access(orgnr, rules.CHANGE_BOOKS_RIGHT)
    data = undo(services().engine, services().pm, access.company.id, actor=f"user:{user().email}")  # type: ignore[arg-type]
    return _json(schemas.UndoneImportSchema(), data)


@bp.post("/companies/<orgnr>/refresh")
def refresh(orgnr: str) -> Any:
    from .refresh import start_refresh

    access = company_access(orgnr)
    import_id = start_refresh(access.company, user())
    url = url_for("api.get_import", import_id=import_id)
    return _json(schemas.RefreshAcceptedSchema(), {"import_id": import_id, "url": url}, 202, Location=url)


@bp.get("/openapi.json")
def openapi() -> Any:
    from .openapi import spec

    return jsonify(spec(current_app.config["MAX_UPLOAD_MB"]))

"""A voucher and its underlag: the voucher page, and an attachment's bytes
served from the file store.  The API answers the same through the helpers
here (``find_voucher``, ``attachment_response``).

Only users who see the company's reports get either, and a client user shown
only locked months (rule 5) gets nothing dated after the lock: 404, as for
another company's voucher or attachment, so neither's existence shows.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, render_template, send_file
from flask_login import login_required

from ekonomi.core.books import models as m
from ekonomi.core.books.attachments import find_attachment
from ekonomi.core.books.reports import voucher as stored_voucher

from .access import company_access, visible_until
from .errors import Problem
from .services import services

log = logging.getLogger(__name__)
bp = Blueprint("vouchers", __name__, url_prefix="/companies/<orgnr>")
# Shown in the browser; everything else is downloaded (an HTML or SVG file
# could run script on this site's origin).
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp")


@bp.get("/vouchers/<int:voucher_id>")
@login_required
def show(orgnr: str, voucher_id: int) -> Any:
    access = company_access(orgnr, "view_reports")
    found = find_voucher(access.company, voucher_id)
    return render_template("voucher.html", company=access.company, rights=access.rights, voucher=found)


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(orgnr: str, attachment_id: int) -> Any:
    access = company_access(orgnr, "view_reports")
    return attachment_response(access.company, attachment_id)


def find_voucher(company: m.Company, voucher_id: int) -> dict[str, Any]:
    """The voucher as the user may see it, or 404."""
    with services().engine.connect() as conn:
        found = stored_voucher(conn, company.id, voucher_id, visible_until(company))  # type: ignore[arg-type]
    if found is None:
        raise Problem(404, f"Verifikationen finns inte hos {company.name}, eller så når du den inte.", english=f"No voucher {voucher_id} in this company, or you cannot reach it.")
    return found


def attachment_response(company: m.Company, attachment_id: int) -> Response:
    """The attachment's bytes with its name and type, or 404."""
    with services().engine.connect() as conn:
        found = find_attachment(conn, company.id, attachment_id, visible_until(company))  # type: ignore[arg-type]
    if found is None:
        raise Problem(404, f"Underlaget finns inte hos {company.name}, eller så når du det inte.", english=f"No attachment {attachment_id} in this company, or you cannot reach it.")
    path = found.path()
    if not path.is_file():
        log.error("attachment %s of company %s: its file %s is missing from the file store", found.id, company.orgnr, path)
        raise Problem(
            404,
            f"Filen till underlaget {found.filename} saknas i filarkivet. Kontakta byrån, eller importera underlaget igen.",
            english=f"The file of attachment {attachment_id} is missing from the file store.",
        )
    content_type = found.content_type.split(";")[0].strip().lower() or "application/octet-stream"
    response = send_file(
        path,
        mimetype=content_type if "/" in content_type else "application/octet-stream",
        as_attachment=content_type not in INLINE_TYPES,
        download_name=_download_name(found.filename) or f"underlag-{found.id}",
        conditional=True,
        etag=found.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _download_name(filename: str) -> str:
    """The name a source gave, fit for a header: no control characters (a
    newline would break the answer), no folders."""
    printable = "".join(c for c in filename if c.isprintable())
    return printable.replace("/", "_").replace("\\", "_").strip()

"""``/_files/{opaque}``: where temporary URLs lead.  An expired or unknown
link answers 403 with a storage-style XML error (assumed: signed links of
blob stores answer so)."""

from __future__ import annotations

from flask import Blueprint, Response

from .state import current

bp = Blueprint("files", __name__, url_prefix="/_files")
EXPIRED = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
           "<Message>Signed expiry time has passed or the link is not valid.</Message></Error>")


@bp.get("/<token>")
def download(token: str) -> Response:
    emulator = current()
    link = emulator.files.resolve(token, emulator.clock.now())
    books = emulator.companies.get(link.company_id) if link else None
    if link is None or books is None or link.file_id not in books.files:
        return Response(EXPIRED, 403, mimetype="application/xml")
    resp = Response(books.files[link.file_id], mimetype=link.content_type)
    resp.headers["Content-Disposition"] = f'attachment; filename="{link.file_name}"'
    return resp

"""An uploaded file into the background import (page form and API alike)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import NoReturn

from flask import request
from werkzeug.datastructures import FileStorage

from ekonomi.core.books import models as m
from ekonomi.core.context import FileInput
from ekonomi.core.errors import EkonomiError, NotRecognised
from ekonomi.core.engine.pipeline import ImportRequest, log_refusal

from .access import company_access, user
from .errors import Problem
from .request_guard import has_control_chars
from .services import services


def submit_upload(
    company: m.Company, upload: FileStorage | None, source: str | None, who: m.User, dry_run: bool = False, confirmed: bool = False
) -> int:
    """Queue the import (or preview) of ``upload``; returns the import id.
    The file is copied into the file store by the runner; refusals (not a
    SIE file, source not active, no right) are logged by the core and raised here."""
    if upload is None and _name_lost():
        refuse_upload(
            company.orgnr, who,
            "Filens namn gick inte att läsa (ett tecken utanför UTF-8 eller en radbrytning). Byt namn på filen och ladda upp den igen.",
            "The file's name could not be read (a character outside UTF-8, or a line break): rename it and upload it again.",
        )  # fmt: skip
    if upload is None or (not upload.filename and _empty(upload)):
        raise Problem(400, "Välj en fil att importera (fältet \"file\").")
    if upload.filename and has_control_chars(upload.filename):
        refuse_upload(company.orgnr, who, BAD_NAME_SV, BAD_NAME_EN)
    # A name the browser sent in another encoding, or with line breaks, may be
    # lost on the way: the file is imported all the same, under a plain name.
    name = " ".join((upload.filename or "").replace("\\", "/").split())
    filename = Path(name).name[:200] or "upload"
    if source is not None:
        known = services().pm.sources()
        if source not in known:
            raise Problem(400, f"Ingen källa heter {source!r} (installerade: {', '.join(sorted(known))}).")
        if known[source].kind == "integration":
            raise Problem(400, f"{known[source].title} hämtar själv sina data och tar inte emot filer.")
    fd, tmp = tempfile.mkstemp(prefix="ekonomi-upload-", suffix=Path(filename).suffix[:10])
    try:
        try:
            with os.fdopen(fd, "wb") as out:
                upload.save(out)
        except OSError as exc:  # a full disk: refused in plain words, logged, nothing left behind
            refuse_upload(
                company.orgnr, who,
                f"Servern kunde inte spara {filename} ({exc.strerror}). Ingenting importerades; försök igen senare.",
                f"The server could not store the upload ({exc.strerror}).", status=507, code="insufficient_storage",
            )  # fmt: skip
        empty = os.path.getsize(tmp) == 0
        try:
            return services().runner.submit(
                ImportRequest(company.orgnr, FileInput(Path(tmp), filename), source, f"user:{who.email}", who.id, dry_run, confirmed, "upload")
            )
        except EkonomiError as exc:
            problem = Problem.from_core(exc)
            if empty:
                problem.message = f"Filen {filename} är tom: ingenting importerades."
            elif exc.code == NotRecognised.code:
                problem.message = (
                    f"{filename} är ingen SIE-fil som går att importera (eller känns inte igen av någon "
                    "installerad källa). Ingenting importerades."
                )
            raise problem from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def forget_input(run: m.ImportRun) -> None:
    """Remove the kept input of a preview once nothing will import it
    (core/engine/retention.py removes those of previews never decided)."""
    from ekonomi.core.books.db import writer
    from ekonomi.core.engine.runlog import forget_inputs

    if run.dry_run and run.stored_path and run.id is not None:
        try:
            os.unlink(run.stored_path)
        except OSError:
            pass
        with writer(services().engine).begin() as conn:
            forget_inputs(conn, [run.id])


def _name_lost() -> bool:
    """A file part whose name the form parser could not read: it arrives as
    a text field, or not at all (then only the body's size tells)."""
    return "file" in request.form or (request.content_length or 0) > 1024


def _empty(upload: FileStorage) -> bool:
    head = upload.stream.read(1)
    upload.stream.seek(0)
    return not head


BAD_NAME_SV = "Filnamnet innehåller otillåtna tecken (styrtecken som NUL). Byt namn på filen och försök igen."
BAD_NAME_EN = "The file name contains control characters (such as NUL); rename the file and try again."


def refuse_upload(orgnr: str, who: m.User, message: str, english: str, status: int = 400, code: str = "bad_request") -> NoReturn:
    """Refuse an upload before the core sees it, logged as a failed import
    of the company (its file name left out: it is what was wrong)."""
    req = ImportRequest(company=orgnr, started_by=f"user:{who.email}", user_id=who.id)
    import_id = log_refusal(services().engine, req, EkonomiError(english, code=code))
    raise Problem(status, message, code, english=english, import_id=import_id)


# The views that take an upload: a refusal there belongs in the import log.
_UPLOAD_ENDPOINTS = ("api.create_import", "imports.upload")


def log_too_large(message: str) -> None:
    """An upload over the limit never reaches the core; log it as a failed
    import of the company, if the user may import there at all."""
    orgnr = (request.view_args or {}).get("orgnr")
    if request.endpoint not in _UPLOAD_ENDPOINTS or not orgnr:
        return
    try:
        company_access(orgnr, "import_files")
        who = user()
    except Problem:
        return  # not theirs to import: nothing to log
    log_refusal(
        services().engine,
        ImportRequest(company=orgnr, started_by=f"user:{who.email}", user_id=who.id),
        EkonomiError(message, code="file_too_large"),
    )

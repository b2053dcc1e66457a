"""Errors: JSON ``{"code", "message"}`` under /api/, an HTML page elsewhere.

Views raise ``Problem`` (or let an ``EkonomiError`` from the core through);
the status follows the code (docs/contracts.md "HTTP API").
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, jsonify, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from ekonomi.core.errors import EkonomiError

log = logging.getLogger(__name__)

# The core's codes as the HTTP API still spells them, for one release
# (docs/contracts.md "HTTP API"): error answers and the issues of result
# objects.  The one place the wire and the core differ.
WIRE_CODES = {"not_recognised": "not_sie"}


def wire_code(code: str) -> str:
    return WIRE_CODES.get(code, code)


STATUS_OF_CODE = {
    "bad_request": 400,
    "not_sie": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "source_not_active": 409,
    "conflict": 409,
    "needs_confirmation": 409,
    "file_too_large": 413,
    "insufficient_storage": 507,
    "too_many_requests": 429,
}
CODE_OF_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "bad_request",
    409: "conflict",
    413: "file_too_large",
    507: "insufficient_storage",
    429: "too_many_requests",
}
TITLES = {
    400: "Felaktig begäran",
    401: "Du behöver logga in",
    403: "Du har inte behörighet",
    404: "Sidan finns inte",
    405: "Metoden stöds inte",
    409: "Det går inte just nu",
    413: "Filen är för stor",
    507: "Servern har inte plats",
    429: "För många försök",
    500: "Något gick fel",
}


class Problem(Exception):
    """An error answer: HTTP status, contract code and a message for people."""

    def __init__(
        self, status: int, message: str, code: str | None = None, *, english: str | None = None, **extra: object
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODE_OF_STATUS.get(status, "bad_request")
        self.message = message
        self.english = english  # the API's message, where it differs from the page's
        self.extra = extra

    @classmethod
    def from_core(cls, exc: EkonomiError) -> Problem:
        code = wire_code(exc.code)
        code = code if code in STATUS_OF_CODE else "bad_request"
        extra = {}
        if getattr(exc, "import_id", None) is not None:
            extra["import_id"] = exc.import_id  # type: ignore[attr-defined]
        if getattr(exc, "fields", None):
            extra["fields"] = exc.fields  # type: ignore[attr-defined]
        return cls(STATUS_OF_CODE.get(code, 400), exc.message, code, **extra)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _answer(problem: Problem) -> tuple[Response | str, int]:
    from .services import reset_db

    reset_db()  # whatever failed, the answer (the page's menu, an upload's log) may read again
    if wants_json():
        body = {"code": problem.code, "message": problem.english or problem.message, **problem.extra}
        response = jsonify(body)
        if problem.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="ekonomi"'
        return response, problem.status
    return _page(problem), problem.status


def _page(problem: Problem) -> str:
    """The error page (the request's session rolled back first: it reads
    the menu); if even that fails, a bare page."""
    title = TITLES.get(problem.status, "Fel")
    try:
        return render_template("error.html", title=title, message=problem.message, status=problem.status)
    except Exception:
        log.exception("the error page for %s could not be rendered", request.path)
        return f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(problem.message)}</p>"


# Werkzeug's own errors (no route, wrong method, a body it cannot read):
# its English description on the API, these words on the pages.
SWEDISH_HTTP_MESSAGES = {
    400: "Begäran kunde inte tolkas.",
    404: "Det finns ingenting här.",
    405: "Sidan tar inte emot den här sortens begäran.",
}


def http_problem(exc: HTTPException) -> Problem:
    status = exc.code or 500
    english = exc.description or exc.name
    if status == 400 and "CSRF" in (exc.description or ""):
        message = "Formuläret har gått ut eller saknar CSRF-token. Ladda om sidan och försök igen."
    else:
        message = SWEDISH_HTTP_MESSAGES.get(status) or TITLES.get(status, "Fel")
    return Problem(status, message, english=english)


def too_large_message() -> str:
    from flask import current_app

    return f"Filen är för stor: högst {current_app.config['MAX_UPLOAD_MB']} MB får laddas upp."


def _over_the_limit() -> bool:
    from flask import current_app

    limit, length = current_app.config.get("MAX_CONTENT_LENGTH"), request.content_length
    return limit is None or length is None or length > limit


def too_many_message() -> str:
    """A throttled request (web/throttle.py): the API speaks English."""
    if wants_json():
        return "Too many requests; wait a while and try again (see Retry-After)."
    if request.endpoint == "auth.login":
        return "För många inloggningsförsök. Vänta en stund och försök igen."
    return "För många förfrågningar. Vänta en stund och försök igen."


def init_errors(app: Flask, on_too_large: Callable[[str], None]) -> None:
    """``on_too_large(message)`` logs an upload refused for its size."""
    @app.errorhandler(Problem)
    def _problem(exc: Problem):  # type: ignore[no-untyped-def]
        return _answer(exc)

    @app.errorhandler(EkonomiError)
    def _core(exc: EkonomiError):  # type: ignore[no-untyped-def]
        return _answer(Problem.from_core(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        status = exc.code or 500
        if status == 413 and not _over_the_limit():
            # Werkzeug answers 413 for too many form fields too: that is no file too large.
            return _answer(Problem(400, "Formuläret har för många fält."))
        if status == 413:
            from .services import reset_db

            reset_db()
            message = too_large_message()
            on_too_large(message)
            return _answer(Problem(status, message))
        if status == 429:
            return _answer(Problem(status, too_many_message()))
        return _answer(http_problem(exc))

    @app.errorhandler(Exception)
    def _crash(exc: Exception):  # type: ignore[no-untyped-def]
        if app.testing:
            raise exc
        log.exception("unhandled error on %s", request.path)
        return _answer(
            Problem(500, "Ett oväntat fel inträffade. Försök igen senare.", "internal_error", english="An unexpected error occurred.")
        )

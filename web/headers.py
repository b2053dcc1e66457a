"""Security headers on every answer (Flask-Talisman): a Content Security
Policy that allows only this site's own scripts, styles and images and no
framing, ``nosniff``, a Referrer-Policy; and ``Cache-Control: no-store`` on
what a signed-in user or a token gets, so a shared computer's cache keeps
no books.

HTTPS is not forced here: ``ekonomi serve`` listens on 127.0.0.1 behind a
TLS proxy (the session cookie is Secure outside tests and debug).
"""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask_login import current_user
from flask_talisman import Talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}


def init_headers(app: Flask) -> None:
    Talisman(
        app,
        force_https=False,
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        # Talisman would set these itself; the app's own settings stand.
        session_cookie_secure=bool(app.config["SESSION_COOKIE_SECURE"]),
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        session_cookie_http_only=True,
    )
    app.after_request(_no_store_when_signed_in)


def _no_store_when_signed_in(response: Response) -> Response:
    if request.endpoint == "static":
        return response
    if g.get("api_user") is not None or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response

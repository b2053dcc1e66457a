"""Throttling with Flask-Limiter: failed sign-ins per account and per
address (each costs a deliberate, slow password hash), and the API's calls
per token or address.

The limits are app config (``LOGIN_LIMIT_PER_ACCOUNT``,
``LOGIN_LIMIT_PER_ADDRESS``, ``API_RATE_LIMIT``, Flask-Limiter's
notation); the counters live in memory, or in Redis when
``EKONOMI_RATELIMIT_STORAGE_URL`` is set so that every web process counts
together.  A refusal answers 429 with ``Retry-After`` and is logged.
"""

from __future__ import annotations

import hashlib
import logging

from flask import Flask, Response, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from ekonomi.core.books import settings

log = logging.getLogger(__name__)

DEFAULT_LIMITS = {
    # Failed attempts only: a person who mistypes a few times is not held up.
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per minute; 30 per hour",
    "LOGIN_LIMIT_PER_ADDRESS": "20 per minute; 200 per hour",
    # Generous: scripts poll imports; this only stops a runaway loop.
    "API_RATE_LIMIT": "1200 per minute",
}


def init_throttle(app: Flask) -> Limiter:
    """A limiter of this app's own (its counters die with the app), bound
    to the sign-in form and the API; call once the blueprints are in."""
    for key, value in DEFAULT_LIMITS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_url())
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter = Limiter(get_remote_address, app=app)

    def failed(response: Response) -> bool:
        return response.status_code == 401

    login = app.view_functions["auth.login"]
    for config_key, key_func, what in (
        ("LOGIN_LIMIT_PER_ADDRESS", get_remote_address, "address"),
        ("LOGIN_LIMIT_PER_ACCOUNT", _account, "account"),
    ):
        login = limiter.limit(
            _configured(app, config_key),
            key_func=key_func,
            methods=["POST"],
            deduct_when=failed,
            scope=f"login-{what}",
            on_breach=_log_breach(f"sign-in attempts per {what}"),
        )(login)
    app.view_functions["auth.login"] = login

    from .api import bp as api_bp

    limiter.limit(
        _configured(app, "API_RATE_LIMIT"), key_func=_api_caller, scope="api", on_breach=_log_breach("API calls")
    )(api_bp)
    app.extensions["ekonomi_limiter"] = limiter
    return limiter


def _configured(app: Flask, key: str):  # type: ignore[no-untyped-def]
    """The limit read per request, so a test may narrow it on a made app."""
    return lambda: str(app.config[key])


def _account() -> str:
    return "account:" + request.form.get("email", "").strip().lower()


def _api_caller() -> str:
    """A Bearer token's callers share its count; others count by address."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode("utf-8")).hexdigest()
    return "address:" + get_remote_address()


def _log_breach(what: str):  # type: ignore[no-untyped-def]
    def breached(limit: RequestLimit) -> None:
        who = request.form.get("email", "") if request.endpoint == "auth.login" else ""
        log.warning(
            "throttled %s: %s from %s%s (limit %s)",
            what,
            request.path,
            get_remote_address(),
            f" for {who}" if who else "",
            limit.limit,
        )

    return breached

"""What stands before every ``/v2/`` call (E.3), in the order the checks
run: the bearer token (401), injected faults and the rate limit (401, 429,
5xx), the token's scopes (403 / 4006), the company's state (400 / 4002,
4003, 4004)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Response, g, jsonify, request

from ..scopes import READ_SCOPES
from . import errors
from .errors import ApiError
from .state import Emulator, current

WRITE_SCOPES = {"vouchers": ("ea:accounting",)}
COMPANY_STATES = {
    "startup_guide_not_completed": (errors.STARTUP_GUIDE_NOT_COMPLETED, "The startup guide is not completed for this company"),
    "inactive": (errors.COMPANY_NOT_ACTIVE, "The company is not active"),
    "module_missing": (errors.NO_ACCESS_TO_MODULE, "The company has no access to this module"),
}


def unauthorized(description: str | None) -> Response:
    resp = Response(status=401)
    resp.headers["WWW-Authenticate"] = (
        f'Bearer error="invalid_token", error_description="{description}"' if description else "Bearer"
    )
    return resp


def too_many(emulator: Emulator, seconds: int, retry_after: bool | None) -> Response:
    """The documented 429; ``Retry-After`` only when configured (E.3)."""
    limit = emulator.config.rate_limit_per_min
    resp = jsonify({"ErrorCode": errors.QUOTA_EXCEEDED, "ErrorId": str(uuid.uuid4()),
                    "DeveloperErrorMessage": f"API calls quota exceeded! maximum admitted {limit} per Minute. Try again in {seconds} seconds."})
    resp.status_code = 429
    resp.headers["Content-Type"] = "application/json;charset=UTF-8"
    if emulator.config.send_retry_after if retry_after is None else retry_after:
        resp.headers["Retry-After"] = str(seconds)
    return resp


def server_error(status: int) -> Response:
    if status == 503:
        return Response("<html><body><h1>503 Service Unavailable</h1></body></html>", 503, mimetype="text/html")
    return Response('{"Message":"An error has occurred."}', 500, mimetype="application/json")


def check_call() -> Response | None:
    """Run before every /v2/ view; a response ends the call there."""
    emulator = current()
    now = emulator.clock.now()
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    grant = emulator.tokens.bearer(token, now) if token else None
    g.grant = grant
    fault = emulator.faults.on_call(request.path, ("401", "429", "500", "503", "latency"))
    if fault and fault.kind == "latency":
        sleep_unlocked(emulator, float(fault.params.get("ms", 1000)) / 1000)
        fault = None
    if grant is None or (fault and fault.kind == "401"):
        expired = token and token in emulator.tokens.access
        return unauthorized(None if not token else "The access token expired" if expired else "The access token is invalid")
    if fault and fault.kind == "429":
        return too_many(emulator, int(fault.params.get("seconds", 55)), fault.params.get("retry_after"))
    rule = request.url_rule.rule if request.url_rule else request.path
    wait = emulator.limiter.check(grant.client_id, rule, now, emulator.config.rate_limit_per_min)
    if wait is not None:
        return too_many(emulator, wait, None)
    if fault:
        return server_error(int(fault.kind))
    check_scope(grant.scopes)
    check_company(emulator, grant.company_id)
    return None


def check_scope(granted: frozenset[str]) -> None:
    resource = request.path.split("/")[2] if request.path.count("/") >= 2 else ""
    accepted = (WRITE_SCOPES if request.method != "GET" else READ_SCOPES).get(resource, ())
    if accepted and not granted & set(accepted):
        raise ApiError(403, errors.NO_ACCESS_TO_SCOPES, f"No access to scopes. Requires one of: {', '.join(accepted)}")


def check_company(emulator: Emulator, company_id: str) -> None:
    books = emulator.company(company_id)
    if books.state in COMPANY_STATES:
        code, message = COMPANY_STATES[books.state]
        raise ApiError(400, code, message)
    g.books = books


def sleep_unlocked(emulator: Emulator, seconds: float) -> None:
    """Wait without holding the emulator's lock, so other calls go on."""
    emulator.lock.release()
    try:
        time.sleep(seconds)
    finally:
        emulator.lock.acquire()


def grant_subject() -> dict[str, Any]:
    grant = g.get("grant")
    return {"client_id": grant.client_id, "company_id": grant.company_id} if grant else {}

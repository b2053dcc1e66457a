"""The test-control API under ``/_emulator/`` (E.7).  Tests and people
drive the emulator here; the plugin never calls it.  Bodies are JSON
(numbers read as Decimal); answers are JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, jsonify, request

from . import mutate
from .errors import ApiError
from .fixture import dump_fixture, load_fixture
from .guard import COMPANY_STATES
from .state import Emulator, current
from .views import ViewContext, view
from .wire import parse_instant, render, timestamp

bp = Blueprint("control", __name__, url_prefix="/_emulator")


class ControlError(ValueError):
    pass


@bp.errorhandler(ValueError)
def refused(exc: ValueError) -> tuple[Response, int]:
    return jsonify({"error": str(exc)}), 400


def body() -> Any:
    text = request.get_data(as_text=True)
    try:
        return json.loads(text, parse_float=Decimal) if text.strip() else {}
    except ValueError:
        raise ControlError("the body is not JSON") from None


@bp.post("/reset")
def reset() -> Response:
    current().reset()
    return jsonify({"status": "reset"})


@bp.post("/seed")
def seed() -> Response:
    emulator = current()
    emulator.load(load_fixture(body()))
    return jsonify({"companies": [{"Id": b.id, "Name": b.settings.get("Name")} for b in emulator.companies.values()]})


@bp.get("/fixture")
def fixture() -> Response:
    emulator = current()
    return jsonify(dump_fixture(list(emulator.companies.values()), emulator.config.date_style))


@bp.get("/companies")
def companies() -> Response:
    return jsonify([{"Id": b.id, "Name": b.settings.get("Name"), "State": b.state,
                     "counts": {k: len(v) for k, v in b.tables.items()}} for b in current().companies.values()])


@bp.post("/mutate")
def mutate_books() -> Response:
    """``{"company": id?, "ops": [{"op": "add"|"modify"|"delete"|"void"|"pay", "kind", …}]}``
    (or one op alone); answers the records as the API shows them."""
    emulator, data = current(), body()
    ops = data.get("ops", [data]) if isinstance(data, dict) else data
    books = emulator.company(data.get("company") if isinstance(data, dict) else None)
    context = ViewContext(books, emulator.clock.today())
    results = []
    for op in ops:
        kind = op.get("kind", "vouchers")
        record = mutate.apply(books, op, emulator.clock.now())
        results.append(render(view(kind, record, context), emulator.config.date_style))
    return jsonify({"results": results})


@bp.route("/clock", methods=["GET", "POST"])
def clock() -> Response:
    """``{"advance_seconds": N}`` or ``{"set": "2026-12-24T12:00:00Z"}``."""
    emulator = current()
    if request.method == "POST":
        data = body()
        if "set" in data:
            instant = parse_instant(str(data["set"]))
            if not isinstance(instant, datetime):
                raise ControlError("set: an instant such as 2026-12-24T12:00:00Z")
            emulator.clock.set(instant)
        emulator.clock.advance(float(data.get("advance_seconds", 0)))
    return jsonify({"now": timestamp(emulator.clock.now())})


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    """POST one fault or a list (see docs/eekonomi-emulator.md); DELETE clears them."""
    emulator = current()
    if request.method == "DELETE":
        emulator.faults.clear()
    elif request.method == "POST":
        data = body()
        for spec in data if isinstance(data, list) else [data]:
            if not act_now(emulator, spec):
                emulator.faults.add(spec)
    return jsonify([f.as_json() for f in emulator.faults.pending])


def act_now(emulator: Emulator, spec: dict[str, Any]) -> bool:
    """Faults that change a setting at once; False for those that wait for calls."""
    name = spec.get("fault")
    if name == "company_state":
        if spec.get("state") not in (*COMPANY_STATES, "active"):
            raise ControlError(f"state: one of active, {', '.join(COMPANY_STATES)}")
        emulator.company(spec.get("company")).state = spec["state"]
    elif name == "drop_retry_after":
        emulator.config.send_retry_after = not spec.get("value", True)
    elif name == "revoke_refresh_token":
        emulator.tokens.revoke_refresh()
    elif name == "expire_access_tokens":
        emulator.tokens.expire_access(emulator.clock.now() - timedelta(seconds=1))
    else:
        return False
    return True


@bp.route("/requests", methods=["GET", "DELETE"])
def requests_log() -> Response:
    emulator = current()
    if request.method == "DELETE":
        emulator.requests.clear()
    return jsonify(emulator.requests)


@bp.route("/config", methods=["GET", "POST"])
def config() -> Response:
    emulator = current()
    if request.method == "POST":
        unknown = emulator.config.update(body())
        if unknown:
            raise ControlError(f"unknown settings: {', '.join(unknown)}")
    return jsonify(render(emulator.config.as_json()))


@bp.errorhandler(ApiError)
def api_refused(exc: ApiError) -> Response:
    return exc.response()

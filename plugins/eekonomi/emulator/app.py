"""The emulator as one Flask app: identity (``/connect``), API (``/v2``),
file host (``/_files``) and test control (``/_emulator``).  Each request
holds the emulator's lock; API paths are matched without regard to case."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request

from . import api, api_records, control, filehost, identity
from .config import EmulatorConfig
from .errors import ApiError
from .fixture import load_fixture
from .guard import grant_subject
from .seed import seed_books
from .state import Emulator
from .store import Books
from .wire import timestamp

assert api_records  # its routes join api.bp on import


def seed_from(source: str | Path | dict[str, Any] | None) -> Callable[[], list[Books]]:
    """What ``reset`` goes back to: the default seed, a fixture file, or fixture data."""
    if source is None:
        return lambda: [seed_books()]
    if isinstance(source, dict):
        data = source
        return lambda: load_fixture(data)
    path = Path(source)
    return lambda: load_fixture(json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal))


def create_app(seed: str | Path | dict[str, Any] | None = None, config: EmulatorConfig | None = None) -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # the API's field order
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    emulator = Emulator(seed_from(seed), config)
    app.extensions["eekonomi_emulator"] = emulator
    for blueprint in (identity.bp, api.bp, control.bp, filehost.bp):
        app.register_blueprint(blueprint)
    app.register_error_handler(ApiError, lambda exc: exc.response())
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, not_found)
    app.after_request(log_request)
    app.wsgi_app = serialised(app.wsgi_app, emulator)  # type: ignore[method-assign]
    return app


def not_found(exc: Exception) -> Response | tuple[str, int]:
    if request.path.startswith("/v2/"):
        return ApiError(404, 3000, "Resource not found").response()
    return "Not found", 404


def log_request(resp: Response) -> Response:
    """The request log the control API shows (the control API's own calls left out)."""
    if not request.path.startswith("/_emulator"):
        emulator: Emulator = current_app.extensions["eekonomi_emulator"]
        emulator.requests.append({
            "time": timestamp(emulator.clock.now()), "method": request.method, "path": request.path,
            "query": request.args.to_dict(), "status": resp.status_code, **grant_subject(),
        })
    return resp


def serialised(wsgi: Callable[..., Iterable[bytes]], emulator: Emulator) -> Callable[..., Iterable[bytes]]:
    """One request at a time, and ``/v2/`` paths lower-cased (the real API's
    routes and GUIDs are case-insensitive)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.lower().startswith("/v2/"):
            environ["PATH_INFO"] = path.lower()
        with emulator.lock:
            return list(wsgi(environ, start_response))

    return app


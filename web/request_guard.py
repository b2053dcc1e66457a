"""Refuse, before any view runs, what a request may carry but no view or
database should ever see: control characters (NUL among them) in a path
parameter, a query, a form field or a JSON string, and JSON nested deeper
than any request of the API needs.

PostgreSQL refuses NUL in text, so a NUL that reached a query failed as a
500; Python's JSON parser recurses, so an array nested thousands deep did
too.  Here both are a 400 with code ``bad_request``.  File names are checked
where the upload is taken (web/uploads.py), so that the refusal is logged."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, request

from .converters import install_converters
from .errors import Problem

# C0 controls and DEL, except tab, line feed and carriage return (text fields
# may hold them).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_JSON_DEPTH = 32  # the deepest request body of the API nests two levels


def has_control_chars(text: str) -> bool:
    return CONTROL_CHARS.search(text) is not None


def init_request_guard(app: Flask) -> None:
    """Ids in routes bounded to the database's integers, and every request
    checked before its view (the first ``before_request``)."""
    install_converters(app)
    app.before_request(check_request)


def check_request() -> None:
    """Runs before every view (and before authentication: a malformed
    request is refused whoever sends it)."""
    strings: list[Iterable[str]] = [_flat(request.view_args or {})]
    strings.append(_flat(request.args))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        strings.append(_flat(request.form))
    for group in strings:
        for text in group:
            if has_control_chars(text):
                raise _refused()
    if request.is_json:
        _check_json()


def _flat(mapping: Any) -> Iterator[str]:
    """Keys and string values of a dict or a MultiDict."""
    items = mapping.items(multi=True) if hasattr(mapping, "getlist") else mapping.items()
    for key, value in items:
        yield str(key)
        if isinstance(value, str):
            yield value


def _refused() -> Problem:
    return Problem(
        400,
        "Begäran innehåller otillåtna tecken (styrtecken som NUL).",
        english="The request contains control characters (such as NUL), which are not allowed.",
    )


def _check_json() -> None:
    """A body that is not JSON is left to the view, which says what it wants."""
    try:
        data = json.loads(request.get_data(cache=True))
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        return
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if has_control_chars(value):
                raise _refused()
        elif isinstance(value, (list, dict)):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            children = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, child in children:
                if key is not None and has_control_chars(key):
                    raise _refused()
                stack.append((child, depth + 1))


def _too_deep() -> Problem:
    return Problem(
        400,
        f"JSON-innehållet är för djupt nästlat (högst {MAX_JSON_DEPTH} nivåer).",
        english=f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels).",
    )

"""Integers from the URL, bounded to what the database holds.

Python's ints have no end, the database's do: the ids are INTEGER columns
(2^31 - 1 on PostgreSQL; SQLite's hold 2^63 - 1, as BIGINT does), and a
bigger id or page number reached the database and failed there with a 500.
The ``int`` route converter refuses an id no row can have (the route does
not match: 404) and ``query_int`` answers 400."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter, Map

from .errors import Problem

ID_MAX = 2**31 - 1  # PostgreSQL's INTEGER, the type of every id column (core/books/models.py)


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only ids the database can hold."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", ID_MAX)
        super().__init__(url_map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    """Before any blueprint is registered: their rules take the converter then."""
    app.url_map.converters["int"] = BoundedIntConverter


def query_int(name: str, default: int, low: int, high: int, label: str) -> int:
    """The query parameter ``name`` as an int in ``low..high``; 400 otherwise
    (``label`` names it for people, in Swedish)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else None
    if value is None or not low <= value <= high:
        raise Problem(
            400,
            f"{label} ska vara ett heltal från {low} till {high}.",
            english=f"{name} must be an integer from {low} to {high}.",
        )
    return value

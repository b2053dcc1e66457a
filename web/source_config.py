"""A source's configuration for one client, as the Byrå page and the API
handle it: saving through the core (core/books/config.py), the form's fields,
and refusals in Swedish for the page (the API answers in the core's English)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ekonomi.core.books import config
from ekonomi.core.books import models as m
from ekonomi.core.errors import ConfigError

from .errors import Problem
from .services import db, services

# marshmallow's own messages, in Swedish; anything else is "ogiltigt värde".
_SWEDISH = (
    (r"Missing data for required field\.|Field may not be null\.", "måste fyllas i"),
    (r"Not a valid integer\.", "ska vara ett heltal"),
    (r"Not a valid number\.", "ska vara ett tal"),
    (r"Not a valid boolean\.", "ska vara ja eller nej"),
    (r"Not a valid string\.", "ska vara text"),
    (r"Unknown field\.", "okänt fält"),
    (r"Not a valid email address\.", "ska vara en e-postadress"),
    (r"Not a valid URL\.", "ska vara en webbadress"),
    (r"Shorter than minimum length (\d+)\.", r"för kort (minst \1 tecken)"),
    (r"Longer than maximum length (\d+)\.", r"för lång (högst \1 tecken)"),
    (r"Length must be between (\d+) and (\d+)\.", r"ska vara \1–\2 tecken"),
    (r"Must be one of: (.*)\.", r"ska vara något av: \1"),
)


def configurable(company: m.Company) -> list[dict[str, Any]]:
    """The public view of every installed source that takes configuration."""
    pm = services().pm
    return [
        config.public_view(db(), pm, company, name)
        for name, source in sorted(pm.sources().items())
        if any(not f.internal for f in config.config_fields(source))
    ]


def field_labels(source: str) -> dict[str, str]:
    """The Swedish labels of a source's fields (none if it is uninstalled)."""
    from ekonomi.core.errors import NotFound

    try:
        return {f.name: f.label for f in config.config_fields(services().pm.source(source))}
    except NotFound:
        return {}


def save(company: m.Company, source: str, values: Mapping[str, Any], who: m.User) -> dict[str, Any]:
    """Validate and store; commits, emits the event, returns the public view."""
    pm = services().pm
    if source not in pm.sources():
        raise Problem(404, f"Ingen källa {source!r} är installerad.")
    try:
        view, event = config.configure(db(), pm, company, source, values, actor=f"user:{who.email}")
    except Exception:
        db().rollback()
        raise
    db().commit()
    pm.emit(event)
    return view


def form_values(form: Mapping[str, str], fields: list[dict[str, Any]]) -> dict[str, Any]:
    """The page's form (inputs named ``cfg_<field>``) as configuration values:
    an unticked box is False, an empty secret keeps the stored one."""
    values: dict[str, Any] = {}
    for f in fields:
        key = f"cfg_{f['name']}"
        if f["type"] == "boolean":
            values[f["name"]] = form.get(key) == "on"
        else:
            values[f["name"]] = form.get(key, "").strip()
    return values


def _swedish(message: str) -> str:
    for pattern, swedish in _SWEDISH:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, swedish, message)
    return "ogiltigt värde"


def refusal(exc: ConfigError, title: str, fields: list[dict[str, Any]]) -> str:
    """Why the page's form was not saved, each field named by its label."""
    if not exc.fields:  # the keys: a stored secret cannot be read
        return (
            f"Inställningarna för {title} sparades inte: sparade hemliga uppgifter kan inte läsas med serverns "
            "nycklar (EKONOMI_SECRET_KEYS). Ange dem igen, eller be den som driftar tjänsten lägga tillbaka den "
            "gamla nyckeln."
        )
    labels = {"_schema": "Inställningarna", **{f["name"]: f["label"] for f in fields}}
    parts = [f"{labels.get(name, name)}: {', '.join(_swedish(x) for x in msgs)}" for name, msgs in exc.fields.items()]
    return f"Inställningarna för {title} sparades inte. " + "; ".join(parts) + "."

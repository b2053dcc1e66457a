"""The emulator's knobs (docs/visma-research.md E.1).  Behaviours the real
API's documentation does not show are knobs, so a test can pick either."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

DEFAULT_CLIENTS = {"ekonomi-local": "ekonomi-local-secret"}


@dataclass
class EmulatorConfig:
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 30 * 24 * 3600  # assumed: not documented
    refresh_rotation: bool = True  # single-use refresh tokens
    refresh_grace_s: int = 0
    code_ttl: int = 300
    page_size_default: int = 50
    page_size_max: int = 1000
    rate_limit_per_min: int = 600
    send_retry_after: bool = True  # False mimics the documented 429
    date_style: str = "date"  # "date" → YYYY-MM-DD, "datetime" → YYYY-MM-DDT00:00:00
    timestamp_fraction_digits: int = 7
    temporary_url_ttl: int = 600
    redirect_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    clients: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CLIENTS))

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply ``changes`` (from the control API); returns the unknown keys."""
        known = {f.name: f for f in fields(self)}
        unknown = [k for k in changes if k not in known]
        for key, value in changes.items():
            if key in known:
                setattr(self, key, tuple(value) if key == "redirect_hosts" else value)
        return unknown

    def as_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

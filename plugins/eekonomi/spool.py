"""Where a sync keeps what it fetched until the import has stored it: the
vouchers as JSON lines (a first sync may bring many), attachments as
files, the rest in memory.  Fetching and storing are apart so that the
network work (and the token refreshes it may need, which must be kept at
once) happens before the import's database transaction."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ekonomi.core import Issue


@dataclass(frozen=True)
class Year:
    """A fiscal year as eEkonomi has it."""

    id: str
    start: date
    end: date


@dataclass
class Spool:
    """What one sync brought.  The folder goes when the spool does."""

    folder: tempfile.TemporaryDirectory[str] = field(default_factory=lambda: tempfile.TemporaryDirectory(prefix="ekonomi-eekonomi-"))
    company: dict[str, Any] = field(default_factory=dict)
    today: date = date.min  # the service's date, from its clock
    years: list[Year] = field(default_factory=list)
    whole: set[date] = field(default_factory=set)  # year starts brought whole
    accounts: dict[date, dict[str, str]] = field(default_factory=dict)  # year → number → name
    used: dict[date, set[str]] = field(default_factory=dict)  # year → accounts with rows or balances
    account_types: dict[str, int] = field(default_factory=dict)  # number → eEkonomi account type
    cost_centres: list[dict[str, Any]] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)
    openings: dict[date, dict[str, Decimal]] = field(default_factory=dict)
    invoices: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (kind, API record)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → CustomerApi
    attachments: list[tuple[dict[str, Any], Path]] = field(default_factory=list)
    attachment_vouchers: dict[str, str] = field(default_factory=dict)  # attachment id → voucher id
    state: dict[str, Any] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    vouchers: int = 0

    @property
    def path(self) -> Path:
        return Path(self.folder.name)

    def add_vouchers(self, section: str, items: list[dict[str, Any]]) -> None:
        """Vouchers of a whole year (section = its start) or changed ones ("changed")."""
        with (self.path / f"vouchers-{section}.jsonl").open("a", encoding="utf-8") as fh:
            for item in items:
                fh.write(json.dumps(item, default=str, ensure_ascii=False))
                fh.write("\n")
        self.vouchers += len(items)

    def read_vouchers(self, section: str) -> Iterator[dict[str, Any]]:
        path = self.path / f"vouchers-{section}.jsonl"
        if not path.exists():
            return
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line, parse_float=Decimal)

    def forget_vouchers(self, section: str) -> None:
        (self.path / f"vouchers-{section}.jsonl").unlink(missing_ok=True)

    def keep_file(self, attachment_id: str, data: bytes) -> Path:
        path = self.path / f"attachment-{attachment_id}"
        path.write_bytes(data)
        return path

    def year_of(self, day: date) -> Year | None:
        return next((y for y in self.years if y.start <= day <= y.end), None)

"""What the core hands a source for one import."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .records import FiscalYear

ProgressFn = Callable[[str, int, "int | None"], None]


def _no_progress(phase: str, done: int, total: int | None) -> None:
    pass


def _no_config(values: Mapping[str, Any], clear: Collection[str] = ()) -> None:
    raise ConfigError("This run has no stored configuration to keep values in.")


def _no_books(year_start: date, through: date, exclude_sources: Collection[str] = ()) -> dict[str, Decimal]:
    return {}


@dataclass(frozen=True)
class FileInput:
    """A file to import: where its bytes are and what the user called it."""

    path: Path
    filename: str

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass
class ImportContext:
    """Everything a source may know about the import it serves.

    ``company_orgnr`` is None when nothing is stored (``ekonomi sie check``).
    ``config`` is the company's configuration of the source (its
    ``config_schema``), validated and with secrets decrypted; ``{}`` for a
    source without one.  ``fiscal_years`` are the company's stored years (a
    4I file's vouchers go into them).  ``state`` is the integration's last saved cursor; a source
    yields ``StateUpdate`` to move it.  ``progress(phase, done, total)`` feeds
    the progress bar and the web's polling.  ``dry_run``: a preview, whose
    records are rolled back; a source keeps nothing of it either.

    Two services for integrations, both outside the import's transaction:
    ``save_config(values, clear=())`` stores configuration values at once
    (a rotated refresh token must outlive a failed import; validated and
    encrypted as a bureau's own configuring is); and
    ``stored_balances(year_start, through, exclude_sources)`` reads the
    stored balance per account (core.books.reports.account_balances), to
    reconcile with the service's own.
    """

    source: str
    company_orgnr: str | None = None
    company_name: str | None = None
    input: FileInput | None = None
    config: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    fiscal_years: tuple[FiscalYear, ...] = ()
    started_by: str = "cli"
    progress: ProgressFn = _no_progress
    dry_run: bool = False  # a preview: everything is rolled back at its end
    save_config: Callable[..., None] = _no_config
    stored_balances: Callable[..., dict[str, Decimal]] = _no_books

    @property
    def filename(self) -> str | None:
        return self.input.filename if self.input else None

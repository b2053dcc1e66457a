"""Underlag: finding a company's stored attachment and its bytes.

The bytes are content-addressed in the file store (``sha256[:2]/sha256``,
engine/store.py); the ``attachment`` row says whose they are, their name and
type, and what voucher or invoice they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection

from . import settings
from .dates import as_date


@dataclass(frozen=True)
class StoredAttachment:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    voucher_id: int | None
    invoice_id: int | None

    def path(self) -> Path:
        """Where the file store keeps the bytes (they may be missing)."""
        return settings.file_store() / self.sha256[:2] / self.sha256


def find_attachment(conn: Connection, company_id: int, attachment_id: int, until: date | None = None) -> StoredAttachment | None:
    """The company's attachment, or None: another company's is not found
    either.  ``until`` (locked months) hides an attachment of a voucher dated
    after it, and one that belongs to nothing shown (neither a voucher nor
    an invoice)."""
    row = conn.execute(
        text(
            "SELECT a.id, a.filename, a.content_type, a.size, a.sha256, a.voucher_id, a.invoice_id, v.date "
            "FROM attachment a LEFT JOIN voucher v ON v.id = a.voucher_id AND v.company_id = a.company_id "
            "WHERE a.id = :a AND a.company_id = :c"
        ),
        {"a": attachment_id, "c": company_id},
    ).first()
    if row is None:
        return None
    if until is not None:
        voucher_day = as_date(row[7]) if row[7] is not None else None
        if voucher_day is not None and voucher_day > until:
            return None
        if voucher_day is None and row[6] is None:
            return None
    return StoredAttachment(int(row[0]), row[1], row[2], int(row[3] or 0), row[4], row[5], row[6])

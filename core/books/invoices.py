"""Obetalda fakturor: the company's stored snapshot of unpaid customer and
supplier invoices, as Översikt and the API show it.

Each kind is a snapshot its source replaced whole at its latest import
(engine/store.py), so ``as_of`` is the snapshot's day, per kind.  Totals
are in SEK: an invoice in another currency counts with the SEK value its
source stated (``remaining_amount_sek``); one without it is counted apart
(``without_sek``), never converted here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy.engine import Connection

from . import models as m
from .dates import as_date
from .reports import kronor
from .sums import exact_sum, joined

KINDS = ("customer", "supplier")
HOME_CURRENCY = "SEK"

_invoice = m.Invoice.__table__  # type: ignore[attr-defined]
_attachment = m.Attachment.__table__  # type: ignore[attr-defined]
# The SEK value of what is left to pay, where it is known.
_SEK = "coalesce(remaining_amount_sek, CASE WHEN currency = 'SEK' THEN remaining_amount END)"


def unpaid_invoices(conn: Connection, company_id: int, today: date) -> dict[str, Any]:
    """The unpaid invoices, by due date (those without one last), with the
    ids of their attachments; totals per kind; the snapshot's day.  An
    invoice is overdue when its due date is before ``today``.  Amounts are
    kronor strings ("1250.00")."""
    rows = conn.execute(
        select(_invoice)
        .where(_invoice.c.company_id == company_id)
        .order_by(case((_invoice.c.due_date.is_(None), 1), else_=0), _invoice.c.due_date, _invoice.c.kind, _invoice.c.number, _invoice.c.id)
    ).mappings().all()
    attachments = _attachments_of(conn, company_id)
    items = [_item(row, today, attachments.get(row["id"], [])) for row in rows]
    return {"items": items, "totals": _totals(conn, company_id, today), "as_of": _as_of(conn, company_id)}


def _item(row: Any, today: date, attachment_ids: list[int]) -> dict[str, Any]:
    due = as_date(row["due_date"]) if row["due_date"] is not None else None
    sek = row["remaining_amount_sek"]
    if sek is None and row["currency"] == HOME_CURRENCY:
        sek = row["remaining_amount"]
    return {
        "id": row["id"],
        "kind": row["kind"],
        "number": row["number"],
        "counterparty_number": row["counterparty_number"],
        "counterparty_name": row["counterparty_name"],
        "invoice_date": as_date(row["invoice_date"]).isoformat() if row["invoice_date"] is not None else None,
        "due_date": due.isoformat() if due else None,
        "currency": row["currency"],
        "total_amount": kronor(int(row["total_amount"])),
        "remaining_amount": kronor(int(row["remaining_amount"])),
        "remaining_amount_sek": kronor(int(sek)) if sek is not None else None,
        "overdue": due is not None and due < today,
        "as_of": as_date(row["as_of"]).isoformat(),
        "attachments": attachment_ids,
    }


def _attachments_of(conn: Connection, company_id: int) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for att_id, invoice_id in conn.execute(
        select(_attachment.c.id, _attachment.c.invoice_id)
        .where(_attachment.c.company_id == company_id, _attachment.c.invoice_id.is_not(None))
        .order_by(_attachment.c.id)
    ):
        found.setdefault(int(invoice_id), []).append(int(att_id))
    return found


def _totals(conn: Connection, company_id: int, today: date) -> dict[str, dict[str, Any]]:
    """Per kind: how many, what is left in SEK (exact sums), the same for the
    overdue ones, and how many lack a SEK value."""
    late = "due_date IS NOT NULL AND due_date < :today"
    stmt = text(
        f"SELECT kind, count(*), count(CASE WHEN {late} THEN 1 END), count(CASE WHEN {_SEK} IS NULL THEN 1 END), "
        f"{exact_sum(_SEK)}, {exact_sum(f'CASE WHEN {late} THEN {_SEK} END')} "
        "FROM invoice WHERE company_id = :c GROUP BY kind"
    )
    empty = {"count": 0, "remaining_sek": kronor(0), "overdue_count": 0, "overdue_sek": kronor(0), "without_sek": 0}
    out = {kind: dict(empty) for kind in KINDS}
    for kind, count, overdue, unknown, *parts in conn.execute(stmt, {"c": company_id, "today": today.isoformat()}):
        ((remaining,),) = joined([parts[:2]])
        ((overdue_sum,),) = joined([parts[2:]])
        out[kind] = {
            "count": int(count),
            "remaining_sek": kronor(remaining),
            "overdue_count": int(overdue),
            "overdue_sek": kronor(overdue_sum),
            "without_sek": int(unknown),
        }
    return out


def _as_of(conn: Connection, company_id: int) -> str | None:
    """The snapshot's day: the newest ``as_of`` of the stored invoices."""
    day = conn.execute(select(func.max(_invoice.c.as_of)).where(_invoice.c.company_id == company_id)).scalar()
    return as_date(day).isoformat() if day is not None else None

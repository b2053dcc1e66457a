"""Stored books back as canonical records: the reverse of the store.

Exporters (``ekonomi sie export``) write these with their own writer.  One
fiscal year is exported whole (index 0) with the year before it (index -1)
for its balances, which is what a SIE 4E file holds.  Records stream from
the database in canonical order; vouchers are read in batches.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .. import records as r
from ..errors import EkonomiError
from .reports import pick_year
from .dates import as_date

BATCH = 2000


def _amount(ore: int) -> Decimal:
    return Decimal(ore).scaleb(-2)


def _qty(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _obj(dim: int | None, code: str | None) -> r.ObjectRef | None:
    return None if dim is None else (int(dim), code or "")


def stored_records(conn: Connection, company_id: int, year_start: date | None = None) -> Iterator[Any]:
    """Company → fiscal years → chart → balances → vouchers of one year."""
    year = pick_year(conn, company_id, year_start)
    name, orgnr = conn.execute(text("SELECT name, orgnr FROM company WHERE id = :c"), {"c": company_id}).one()
    yield r.Company(name=name, orgnr=orgnr)
    prev = conn.execute(
        text('SELECT id, start, "end" FROM fiscal_year WHERE company_id = :c AND start < :s ORDER BY start DESC LIMIT 1'),
        {"c": company_id, "s": year.start.isoformat()},
    ).first()
    years = [(year.id, 0)]
    yield r.FiscalYear(year.start, year.end, 0)
    if prev is not None:
        years.append((prev[0], -1))
        yield r.FiscalYear(as_date(prev[1]), as_date(prev[2]), -1)
    starts = {fid: s for fid, s in ((year.id, year.start), *([(prev[0], as_date(prev[1]))] if prev else []))}
    # A SIE file holds one chart: that of its year 0.
    for number, acc_name, typ, sru, unit in conn.execute(
        text("SELECT number, name, type, sru, unit FROM account WHERE fiscal_year_id = :f ORDER BY number"), {"f": year.id}
    ):
        yield r.Account(number, acc_name or "", typ, tuple(sru.split(",")) if sru else (), unit)
    for number, dim_name, parent in conn.execute(
        text("SELECT number, name, parent FROM dimension WHERE fiscal_year_id = :f ORDER BY number"), {"f": year.id}
    ):
        yield r.Dimension(int(number), dim_name or "", parent)
    for dim, code, obj_name in conn.execute(
        text("SELECT dimension, code, name FROM dimension_object WHERE fiscal_year_id = :f ORDER BY dimension, code"),
        {"f": year.id},
    ):
        yield r.DimensionObject(int(dim), code, obj_name or "")

    for fid, _ in years:
        for kind, account, odim, ocode, amount, qty, line in conn.execute(
            text(
                "SELECT kind, account, object_dim, object_code, amount, quantity, line FROM balance "
                "WHERE fiscal_year_id = :f ORDER BY id"
            ),
            {"f": fid},
        ):
            yield r.Balance(kind, starts[fid], account, _amount(amount), _qty(qty), _obj(odim, ocode))
    for table, budget in (("period_balance", False), ("period_budget", True)):
        for period, account, odim, ocode, amount, qty in conn.execute(
            text(
                f"SELECT period, account, object_dim, object_code, amount, quantity FROM {table} "
                "WHERE fiscal_year_id = :f ORDER BY id"
            ),
            {"f": year.id},
        ):
            yield r.PeriodBalance(year.start, as_date(period), account, _amount(amount), _qty(qty), _obj(odim, ocode), budget)
    yield from _vouchers(conn, year.id)


def _vouchers(conn: Connection, fiscal_year_id: int) -> Iterator[r.Voucher]:
    last_id = 0
    while True:
        heads = conn.execute(
            text(
                "SELECT id, series, number, date, text, registration_date, signature, source_id FROM voucher "
                "WHERE fiscal_year_id = :f AND id > :last ORDER BY id LIMIT :n"
            ),
            {"f": fiscal_year_id, "last": last_id, "n": BATCH},
        ).all()
        if not heads:
            return
        first, last_id = heads[0][0], heads[-1][0]
        rows: dict[int, list[r.VoucherRow]] = {}
        for vid, kind, account, amount, objects, day, txt, qty, sign in conn.execute(
            text(
                "SELECT voucher_id, kind, account, amount, objects, date, text, quantity, signature FROM voucher_row "
                "WHERE voucher_id IN (SELECT id FROM voucher WHERE fiscal_year_id = :f AND id BETWEEN :a AND :b) "
                "ORDER BY id"
            ),
            {"f": fiscal_year_id, "a": first, "b": last_id},
        ):
            objs = tuple((int(d), str(c)) for d, c in json.loads(objects)) if objects else ()
            rows.setdefault(vid, []).append(
                r.VoucherRow(
                    account,
                    _amount(amount),
                    objs,
                    as_date(day) if day else None,
                    txt,
                    _qty(qty),
                    r.RowKind(kind),
                    sign,
                )
            )
        for vid, series, number, day, txt, reg, sign, source_id in heads:
            yield r.Voucher(
                series or "",
                number or "",
                as_date(day),
                txt or "",
                tuple(rows.get(vid, ())),
                as_date(reg) if reg else None,
                sign,
                source_id,
            )


@contextlib.contextmanager
def stored_books(
    orgnr: str, year_start: date | None = None, database_url: str | None = None
) -> Iterator[Iterator[Any]]:
    """A company's stored books as canonical records (``stored_records``),
    for an exporter plugin: the database is ``database_url``, else the
    installation's (settings.database_url)."""
    from sqlmodel import Session

    from .db import make_engine, schema_is_current
    from .rules import get_company

    engine = make_engine(database_url)
    try:
        if not schema_is_current(engine):
            raise EkonomiError("The database has no ekonomi schema, or an older one: run `ekonomi init` first.")
        with Session(engine) as session:
            company_id = get_company(session, orgnr).id
        assert company_id is not None
        with engine.connect() as conn:
            yield stored_records(conn, company_id, year_start)
    finally:
        engine.dispose()

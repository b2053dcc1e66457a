"""Reports on stored books: the trial balance (råbalans)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..errors import NotFound
from .dates import as_date
from .sums import exact_sum, joined


def kronor(ore: int) -> str:
    """Integer öre → "-1250.00"."""
    return f"{Decimal(ore).scaleb(-2):.2f}"


def is_result_account(number: str, type_: str | None) -> bool:
    """Result (P&L) accounts: type K or I, else BAS classes 3-8."""
    if type_:
        return type_.upper() in ("K", "I")
    return number[:1] in ("3", "4", "5", "6", "7", "8")


@dataclass(frozen=True)
class YearRef:
    id: int
    start: date
    end: date


def fiscal_years(conn: Connection, company_id: int) -> list[YearRef]:
    rows = conn.execute(
        text('SELECT id, start, "end" FROM fiscal_year WHERE company_id = :c ORDER BY start'), {"c": company_id}
    ).all()
    return [YearRef(i, as_date(s), as_date(e)) for i, s, e in rows]


def pick_year(conn: Connection, company_id: int, start: date | None) -> YearRef:
    years = fiscal_years(conn, company_id)
    if not years:
        raise NotFound("The company has no fiscal years yet: import its bookkeeping first.")
    if start is None:
        return years[-1]
    for y in years:
        if y.start == start:
            return y
    known = ", ".join(y.start.isoformat() for y in years)
    raise NotFound(f"No fiscal year starts {start.isoformat()} (the company's years start {known}).")


def trial_balance(conn: Connection, company_id: int, start: date | None = None, until: date | None = None) -> dict[str, Any]:
    """Per account: opening, movement (posted voucher rows only), closing =
    opening + movement, and the closing the source stated (#UB, or #RES for
    result accounts), or None.  ``until`` limits the movement to vouchers
    dated up to that day (locked months)."""
    year = pick_year(conn, company_id, start)
    names, opening, stated, movement = _account_sums(conn, company_id, year.id, until)  # type: ignore[arg-type]
    accounts = set(opening) | set(movement) | {a for a, _ in stated}
    out = []
    for number in sorted(accounts, key=lambda n: (len(n), n) if n.isdigit() else (99, n)):
        name, type_ = names.get(number, ("", None))
        result = is_result_account(number, type_)
        op = 0 if result else int(opening.get(number, 0))
        mv = int(movement.get(number, 0))
        st = stated.get((number, "result" if result else "closing"))
        if op == 0 and mv == 0 and not st:
            continue
        out.append(
            {
                "account": number,
                "name": name or "",
                "opening": kronor(op),
                "movement": kronor(mv),
                "closing": kronor(op + mv),
                "stated_closing": None if st is None else kronor(int(st)),
            }
        )
    return {"fiscal_year": {"start": year.start.isoformat(), "end": year.end.isoformat()}, "accounts": out}


def _account_sums(conn: Connection, company_id: int, year_id: int, until: date | None) -> tuple[dict, dict, dict, dict]:
    """Per account of one year: (name, type), opening, the stated closing
    per kind, and the movement of posted rows (up to ``until``)."""
    p: dict[str, Any] = {"f": year_id, "c": company_id}
    # The names of the year shown: each fiscal year keeps its own chart.
    names = {n: (name, t) for n, name, t in conn.execute(text("SELECT number, name, type FROM account WHERE fiscal_year_id = :f"), p)}
    opening = dict(
        joined(
            conn.execute(
                text(
                    f"SELECT account, {exact_sum('amount')} FROM balance WHERE fiscal_year_id = :f AND kind = 'opening' "
                    "AND object_dim IS NULL GROUP BY account"
                ),
                p,
            )
        )
    )
    stated = {
        (a, k): v
        for a, k, v in joined(
            conn.execute(
                text(
                    f"SELECT account, kind, {exact_sum('amount')} FROM balance WHERE fiscal_year_id = :f "
                    "AND kind IN ('closing', 'result') AND object_dim IS NULL GROUP BY account, kind"
                ),
                p,
            )
        )
    }
    until_sql = ""
    if until is not None:
        until_sql = " AND voucher_id IN (SELECT id FROM voucher WHERE fiscal_year_id = :f AND date <= :u)"
        p["u"] = until.isoformat()
    movement = dict(
        joined(
            conn.execute(
                text(
                    f"SELECT account, {exact_sum('amount')} FROM voucher_row WHERE fiscal_year_id = :f AND kind = 'posted'"
                    f"{until_sql} GROUP BY account"
                ),
                p,
            )
        )
    )
    return names, opening, stated, movement


def monthly_result(conn: Connection, company_id: int, start: date | None = None, until: date | None = None) -> dict[str, Any]:
    """Per month of a fiscal year: revenue (class 3, sign turned so income is
    positive), costs (classes 4-8) and result = revenue - costs, from posted
    voucher rows; ``until`` as in trial_balance.  Amounts are kronor strings."""
    year = pick_year(conn, company_id, start)
    p: dict[str, Any] = {"f": year.id, "c": company_id}
    types = {n: t for n, t in conn.execute(text("SELECT number, type FROM account WHERE fiscal_year_id = :f"), p)}
    until_sql = ""
    if until is not None:
        until_sql = " AND v.date <= :u"
        p["u"] = until.isoformat()
    sums: dict[tuple[int, int, str], int] = {}
    for day, account, amount in joined(
        conn.execute(
            text(
                f"SELECT v.date, r.account, {exact_sum('r.amount')} FROM voucher_row r JOIN voucher v ON v.id = r.voucher_id "
                f"WHERE r.fiscal_year_id = :f AND r.kind = 'posted'{until_sql} GROUP BY v.date, r.account"
            ),
            p,
        )
    ):
        if not is_result_account(account, types.get(account)):
            continue
        d = as_date(day)
        kind = "revenue" if account[:1] == "3" or (types.get(account) or "").upper() == "I" else "costs"
        key = (d.year, d.month, kind)
        sums[key] = sums.get(key, 0) + int(amount)
    months = []
    y, mo = year.start.year, year.start.month
    while (y, mo) <= (year.end.year, year.end.month):
        revenue = -sums.get((y, mo, "revenue"), 0)
        costs = sums.get((y, mo, "costs"), 0)
        months.append(
            {"month": f"{y:04d}-{mo:02d}", "revenue": kronor(revenue), "costs": kronor(costs), "result": kronor(revenue - costs)}
        )
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    return {"fiscal_year": {"start": year.start.isoformat(), "end": year.end.isoformat()}, "months": months}


def vouchers(
    conn: Connection,
    company_id: int,
    start: date | None = None,
    until: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """One page of a fiscal year's vouchers (by date, series, number) with
    their rows and how many files of underlag each has; ``total`` counts
    them all.  ``until`` as in trial_balance."""
    year = pick_year(conn, company_id, start)
    p: dict[str, Any] = {"f": year.id, "lim": limit, "off": offset}
    until_sql = ""
    if until is not None:
        until_sql = " AND date <= :u"
        p["u"] = until.isoformat()
    total = conn.execute(text(f"SELECT count(*) FROM voucher WHERE fiscal_year_id = :f{until_sql}"), p).scalar() or 0
    heads = conn.execute(
        text(
            "SELECT id, series, number, date, text FROM voucher "
            f"WHERE fiscal_year_id = :f{until_sql} ORDER BY date, series, number, id LIMIT :lim OFFSET :off"
        ),
        p,
    ).all()
    rows_by: dict[int, list[dict[str, Any]]] = {h[0]: [] for h in heads}
    files: dict[int, int] = {}
    if heads:
        ids = ", ".join(str(int(h[0])) for h in heads)
        for vid, account, amount, kind, row_text in conn.execute(
            text(f"SELECT voucher_id, account, amount, kind, text FROM voucher_row WHERE voucher_id IN ({ids}) ORDER BY id")
        ):
            rows_by[vid].append({"account": account, "amount": kronor(int(amount)), "kind": kind, "text": row_text})
        files = dict(
            conn.execute(
                text(f"SELECT voucher_id, count(DISTINCT sha256) FROM attachment WHERE voucher_id IN ({ids}) GROUP BY voucher_id")
            ).all()
        )
    return {
        "fiscal_year": {"start": year.start.isoformat(), "end": year.end.isoformat()},
        "total": int(total),
        "items": [
            {
                "id": int(vid),
                "series": s,
                "number": n,
                "date": as_date(d).isoformat(),
                "text": t or "",
                "rows": rows_by[vid],
                "attachments": int(files.get(vid, 0)),
            }
            for vid, s, n, d, t in heads
        ],
    }


def account_balances(
    conn: Connection, company_id: int, year_start: date, through: date, exclude_sources: Collection[str] = ()
) -> dict[str, Decimal]:
    """Per account of the fiscal year that starts ``year_start``: its stored
    opening balance (none for result accounts) plus the posted rows of
    vouchers dated through ``through``, leaving out the vouchers whose
    ``source_id`` is in ``exclude_sources``.  An integration reconciles
    with it: what it is about to replace does not count."""
    year = pick_year(conn, company_id, year_start)
    p: dict[str, Any] = {"f": year.id, "t": through.isoformat()}
    names = {n: t for n, t in conn.execute(text("SELECT number, type FROM account WHERE fiscal_year_id = :f"), p)}
    opening = conn.execute(
        text(
            f"SELECT account, {exact_sum('amount')} FROM balance WHERE fiscal_year_id = :f AND kind = 'opening' "
            "AND object_dim IS NULL GROUP BY account"
        ),
        p,
    )
    out = {a: v for a, v in joined(opening) if not is_result_account(a, names.get(a))}
    rows = (
        f"SELECT r.account, {exact_sum('r.amount')} FROM voucher_row r JOIN voucher v ON v.id = r.voucher_id "
        "WHERE r.fiscal_year_id = :f AND r.kind = 'posted' AND v.date <= :t{extra} GROUP BY r.account"
    )
    for account, amount in joined(conn.execute(text(rows.format(extra="")), p)):
        out[account] = out.get(account, 0) + amount
    excluded = sorted(exclude_sources)
    for i in range(0, len(excluded), 500):
        params = {**p, **{f"s{j}": sid for j, sid in enumerate(excluded[i : i + 500])}}
        marks = ", ".join(f":s{j}" for j in range(len(params) - len(p)))
        for account, amount in joined(conn.execute(text(rows.format(extra=f" AND v.source_id IN ({marks})")), params)):
            out[account] = out.get(account, 0) - amount
    return {a: Decimal(v).scaleb(-2) for a, v in out.items() if v}


def voucher(conn: Connection, company_id: int, voucher_id: int, until: date | None = None) -> dict[str, Any] | None:
    """One voucher of the company with its rows (account names and objects
    from its fiscal year's chart) and its attachments' metadata; None when
    the company has no such voucher, or it is dated after ``until``
    (locked months)."""
    head = conn.execute(
        text("SELECT id, fiscal_year_id, series, number, date, text, registration_date FROM voucher WHERE id = :v AND company_id = :c"),
        {"v": voucher_id, "c": company_id},
    ).first()
    if head is None or (until is not None and as_date(head[4]) > until):
        return None
    p = {"v": voucher_id, "f": head[1]}
    names = dict(conn.execute(text("SELECT number, name FROM account WHERE fiscal_year_id = :f"), p).all())
    objects = {(int(d), c): n for d, c, n in conn.execute(text("SELECT dimension, code, name FROM dimension_object WHERE fiscal_year_id = :f"), p)}
    rows = []
    for account, amount, kind, row_text, raw_objects in conn.execute(
        text("SELECT account, amount, kind, text, objects FROM voucher_row WHERE voucher_id = :v ORDER BY id"), p
    ):
        pairs = json.loads(raw_objects) if raw_objects else []
        rows.append(
            {
                "account": account,
                "account_name": names.get(account, ""),
                "text": row_text,
                "amount": kronor(int(amount)),
                "kind": kind,
                "objects": [{"dimension": int(d), "code": str(c), "name": objects.get((int(d), str(c)), "")} for d, c in pairs],
            }
        )
    attachments = [
        {"id": int(i), "filename": f, "content_type": t, "size": int(s or 0)}
        for i, f, t, s in conn.execute(
            text("SELECT id, filename, content_type, size FROM attachment WHERE voucher_id = :v AND company_id = :c ORDER BY id"),
            {"v": voucher_id, "c": company_id},
        )
    ]
    return {
        "id": int(head[0]),
        "series": head[2],
        "number": head[3],
        "date": as_date(head[4]).isoformat(),
        "text": head[5] or "",
        "registration_date": as_date(head[6]).isoformat() if head[6] is not None else None,
        "rows": rows,
        "attachments": attachments,
    }

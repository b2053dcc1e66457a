"""Reports on stored books: the trial balance (råbalans)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .errors import NotFound
from .store import _date


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
    return [YearRef(i, _date(s), _date(e)) for i, s, e in rows]


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
    p = {"f": year.id, "c": company_id}
    names = {
        n: (name, t)
        for n, name, t in conn.execute(text("SELECT number, name, type FROM account WHERE company_id = :c"), p)
    }
    opening: dict[str, int] = dict(
        conn.execute(
            text(
                "SELECT account, sum(amount) FROM balance WHERE fiscal_year_id = :f AND kind = 'opening' "
                "AND object_dim IS NULL GROUP BY account"
            ),
            p,
        ).all()
    )
    stated: dict[tuple[str, str], int] = {
        (a, k): v
        for a, k, v in conn.execute(
            text(
                "SELECT account, kind, sum(amount) FROM balance WHERE fiscal_year_id = :f "
                "AND kind IN ('closing', 'result') AND object_dim IS NULL GROUP BY account, kind"
            ),
            p,
        )
    }
    until_sql = ""
    if until is not None:
        until_sql = " AND voucher_id IN (SELECT id FROM voucher WHERE fiscal_year_id = :f AND date <= :u)"
        p["u"] = until.isoformat()  # type: ignore[assignment]
    movement: dict[str, int] = dict(
        conn.execute(
            text(
                "SELECT account, sum(amount) FROM voucher_row WHERE fiscal_year_id = :f AND kind = 'posted'"
                f"{until_sql} GROUP BY account"
            ),
            p,
        ).all()
    )
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

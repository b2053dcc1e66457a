"""What an import does to each fiscal year it touches: its vouchers and its
result before and after, and which earlier imports wrote the data it
replaces (a preview shows them; confirmation.py judges them).

Every figure is a count or a sum per year that the database computes, never
a loop over vouchers here.  ``plan`` reads the stored figures just before the
commit (the import's own rows, already written on some targets, left out);
``measure`` reads inside the import's transaction, after the replace rules.
A year the company did not have before costs no query outside a preview, so
an import into an empty company pays nothing for this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text

from ..books.reports import is_result_account, kronor
from ..books.sums import exact_sum, joined
from .runlog import YearAction
from .store import Store

Query = Callable[[str, dict[str, Any]], list[Any]]  # SQL with :names → rows


@dataclass(frozen=True)
class Writer:
    """An import whose data a stored year holds."""

    import_id: int
    source: str
    program: str | None
    program_version: str | None
    file: str | None

    def as_json(self) -> dict[str, Any]:
        return {"import_id": self.import_id, "source": self.source, "program": self.program,
                "program_version": self.program_version, "file": self.file}  # fmt: skip


@dataclass
class YearImpact:
    """One fiscal year, before and after the import.  Results in öre, profit positive."""

    id: int
    start: date
    end: date
    stored: bool  # the company had the year before this import
    replaced: bool  # the replace rules remove its stored data
    vouchers_before: int = 0
    vouchers_after: int = 0
    writers: list[Writer] = field(default_factory=list)  # newest first
    result_before: int = 0
    result_after: int = 0

    @property
    def had_data(self) -> bool:
        return self.stored and bool(self.vouchers_before or self.writers)

    @property
    def action(self) -> YearAction:
        if not self.had_data:
            return "added"
        if self.replaced:
            return "replaced"
        return "added" if self.vouchers_after > self.vouchers_before else "unchanged"

    def as_json(self) -> dict[str, Any]:
        replaced = self.writers[0].as_json() if self.action == "replaced" and self.writers else None
        return {
            "start": self.start.isoformat(), "end": self.end.isoformat(), "action": self.action,
            "vouchers_before": self.vouchers_before, "vouchers_after": self.vouchers_after,
            "result_before": kronor(self.result_before), "result_after": kronor(self.result_after),
            "replaces_source": replaced,
        }  # fmt: skip


def plan(store: Store, stored_starts: set[date], full: bool) -> list[YearImpact]:
    """The years the import touches, with their stored figures.  ``full`` (a
    preview): every touched year, results included; else only the stored
    years the import replaces, which is all the reasons for confirmation need."""
    replaced = store.replaced_years()
    query: Query = lambda sql, params: store.target.read(sql, params).all()
    years = []
    for start, fid, end in store.touched_years():
        year = YearImpact(fid, start, end, stored=start in stored_starts, replaced=fid in replaced)
        if year.stored and (full or year.replaced):
            _read_before(query, year, store.import_id, full)
            years.append(year)
        elif full:
            years.append(year)
    return years


def measure(conn: Any, years: list[YearImpact], year_map: dict[int, int], full: bool) -> None:
    """The figures after the import, read in its transaction on ``conn``
    (``year_map``: the target's temporary year ids → the real ones)."""
    query: Query = lambda sql, params: conn.execute(text(sql), params).all()
    for year in years:
        year.id = year_map.get(year.id, year.id)
        if full or year.vouchers_before:
            year.vouchers_after = int(query("SELECT count(*) FROM voucher WHERE fiscal_year_id = :f", {"f": year.id})[0][0])
        if full:
            year.result_after = _result(query, year.id, None)


def _read_before(query: Query, year: YearImpact, import_id: int, full: bool) -> None:
    by_import = query("SELECT import_id, count(*) FROM voucher WHERE fiscal_year_id = :f GROUP BY import_id", {"f": year.id})
    counts = {imp: int(n) for imp, n in by_import if imp != import_id}
    year.vouchers_before = sum(counts.values())
    balances = query("SELECT DISTINCT import_id FROM balance WHERE fiscal_year_id = :f", {"f": year.id})
    ids = sorted((set(counts) | {imp for (imp,) in balances}) - {import_id, None}, reverse=True)
    if ids:
        params = {f"i{n}": imp for n, imp in enumerate(ids)}
        rows = query(
            f"SELECT id, source, program, program_version, filename FROM import_run WHERE id IN ({', '.join(':' + p for p in params)})",
            params,
        )
        found = {row[0]: Writer(*row) for row in rows}
        year.writers = [found[i] for i in ids if i in found]
    if full:
        year.result_before = _result(query, year.id, import_id)


def _result(query: Query, year_id: int, leave_out: int | None) -> int:
    """The year's result in öre (profit positive): from the posted rows of
    its result accounts, or the stated #RES where it has no vouchers.
    ``leave_out``: an import whose rows are not counted (this one, before)."""
    p: dict[str, Any] = {"f": year_id} if leave_out is None else {"f": year_id, "imp": leave_out}
    if leave_out is None:
        sums = query(f"SELECT account, {exact_sum('amount')} FROM voucher_row WHERE fiscal_year_id = :f AND kind = 'posted' GROUP BY account", p)
    else:
        sums = query(
            f"SELECT r.account, {exact_sum('r.amount')} FROM voucher_row r JOIN voucher v ON v.id = r.voucher_id "
            "WHERE r.fiscal_year_id = :f AND r.kind = 'posted' AND coalesce(v.import_id, 0) <> :imp GROUP BY r.account",
            p,
        )
    if not sums:
        mine = "" if leave_out is None else " AND coalesce(import_id, 0) <> :imp"
        sums = query(
            f"SELECT account, {exact_sum('amount')} FROM balance WHERE fiscal_year_id = :f AND kind = 'result' "
            f"AND object_dim IS NULL{mine} GROUP BY account",
            p,
        )
    types = dict(query("SELECT number, type FROM account WHERE fiscal_year_id = :f", {"f": year_id}))  # the year's own chart
    return -sum(total for account, total in joined(sums) if is_result_account(account, types.get(account)))

"""Writing one import's records inside one transaction.

Records arrive streamed and become rows of the bulk tables (columns.py) that
a target (target.py) writes in batches, never as one ORM object each.  Every
row is tagged with the import's id, so that at the end the replace rules of
docs/contracts.md ("What an import replaces") are a few set-based DELETEs of
the *other* imports' rows:

* ``replace``: the current fiscal year is replaced whole, an earlier year only
  where this import carries vouchers dated in it; in the other years the new
  balances are kept only where none were stored.
* ``append``: vouchers are added to the company's fiscal years; a voucher
  already stored (same content) is skipped, so importing twice adds nothing.
* ``upsert``: a voucher whose ``source_id`` is already stored replaces it,
  and a balance the stored one of the same key; the years the Scope names
  ``whole_years`` are replaced whole.

What the rules delete is first copied aside (shadow.py), so that the
company's latest import can be undone (undo.py).

The chart (accounts, dimensions, objects) belongs to fiscal years; it is
small and kept until ``committing`` (chart.py says which years it changes
and how), which applies it and the replace rules, then hands the
transaction to the caller for its own last writes (the import log).
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from .. import records as r
from ..books import settings
from ..books.dates import as_date
from ..errors import EkonomiError
from ._speedups import VoucherPacker
from .chart import ADD, REPLACE, UPSERT, ImportChart
from .shadow import Keeper
from .columns import HUNDRED, KIND_TEXT, POSTED, iso_or_none, ore, text_or_none
from .target import open_target

_COUNTED = ("vouchers", "rows", "accounts", "balances", "period_balances", "objects", "invoices", "attachments")


@dataclass
class StoreSummary:
    fiscal_years: list[dict[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    state: dict[str, Any] | None = None


class Store:
    """Writes the records of one import for one company."""

    def __init__(
        self,
        engine: Engine,
        company_id: int,
        import_id: int,
        mode: str = "replace",
        size_hint: int = 0,
        source: str | None = None,
    ) -> None:
        self.company_id = company_id
        self.source = source  # whose cursor a StateUpdate moves
        self.import_id = import_id
        self.mode = mode
        self.target = open_target(engine, import_id, size_hint)
        self.writer = self.target.writer
        self.conn: Any = None  # the final transaction's connection, in committing()
        self.counts = dict.fromkeys(_COUNTED, 0)
        self.chart = ImportChart()
        self.years: dict[date, tuple[int, date]] = {}  # start -> (id, end): every stored one, and this import's
        self.input_years: dict[date, int | None] = {}  # start -> SIE-style index
        self.voucher_years: set[int] = set()
        self.year_ends: list[tuple[int, date]] = []  # stored years whose end changed
        self.old_ends: dict[int, date] = {}  # their ends before
        self.used_accounts: dict[int, set[str]] = {}  # fiscal year id -> accounts its new rows use
        self.packers: dict[int, Any] = {}  # fiscal year id -> its VoucherPacker
        try:
            self._read_books()
        except BaseException:
            self.target.close()  # it may hold a transaction, on SQLite the write lock
            raise
        self.content_hashes: set[str] | None = None  # loaded on the first appended voucher
        self.seen_in_input: dict[str, int] = {}
        self.source_ids: list[str] = []
        self.invoice_kinds: set[str] = set()
        self.attachments: list[r.Attachment] = []
        self.state: dict[str, Any] | None = None
        self.whole_years: frozenset[date] = frozenset()  # upsert: years the input brings whole
        self.company: r.Company | None = None  # whom the input says it belongs to
        self.write_files = True  # False: a preview, which leaves the file store as it was
        self.duplicates = 0
        self.objects_json: dict[tuple[r.ObjectRef, ...], str] = {}  # few distinct object lists: encode each once
        self._handlers: dict[type, Callable[[Any], None]] = {
            r.Voucher: self._voucher,
            r.Balance: self._balance,
            r.PeriodBalance: self._period,
            r.Account: self._account,
            r.FiscalYear: self._fiscal_year,
            r.Dimension: self._dimension,
            r.DimensionObject: self._object,
            r.Invoice: self._invoice,
            r.Attachment: self._attachment,
            r.Scope: self._scope,
            r.StateUpdate: self._state,
            r.Company: self._company,
        }

    def _read_books(self) -> None:
        """What is stored already: the fiscal years (their charts are read
        at the commit, for the years the import changes)."""
        c = {"c": self.company_id}
        for fid, start, end in self.target.read('SELECT id, start, "end" FROM fiscal_year WHERE company_id = :c', c):
            self.years[as_date(start)] = (fid, as_date(end))
        self.stored_starts = frozenset(self.years)
        self._year_index()

    def close(self) -> None:
        """Undo whatever was not committed and clean up; safe to call twice."""
        self.target.close()

    # -- fiscal years ----------------------------------------------------------
    def _year_index(self) -> None:
        self._starts = sorted(self.years)

    def year_of(self, day: date) -> int | None:
        i = bisect.bisect_right(self._starts, day) - 1
        if i >= 0:
            fid, end = self.years[self._starts[i]]
            if day <= end:
                return fid
        return None

    def _fiscal_year(self, rec: r.FiscalYear) -> None:
        self._refuse_overlap(rec.start, rec.end)
        self.input_years[rec.start] = rec.index
        known = self.years.get(rec.start)
        if known is None:
            fid = self.target.new_year(self.company_id, rec.start, rec.end, self.import_id)
            self.years[rec.start] = (fid, rec.end)
        elif known[1] != rec.end:
            self.old_ends.setdefault(known[0], known[1])
            self.year_ends.append((known[0], rec.end))
            self.years[rec.start] = (known[0], rec.end)
        self._year_index()

    def _refuse_overlap(self, start: date, end: date) -> None:
        """A year may share its start with a known one (the same year, its end
        perhaps moved) but overlap no other: the years before and after it
        in start order are the only ones that can, as the known years do not
        overlap each other."""
        i = bisect.bisect_left(self._starts, start)
        j = i + 1 if i < len(self._starts) and self._starts[i] == start else i
        for other in self._starts[max(i - 1, 0) : i] + self._starts[j : j + 1]:
            other_end = self.years[other][1]
            if other <= end and start <= other_end:
                raise EkonomiError(
                    f"The fiscal year {start}–{end} overlaps the {'stored ' if other in self.stored_starts else ''}"
                    f"fiscal year {other}–{other_end} of the company; nothing was imported. "
                    "Fiscal years may not overlap: delete the stored year first, or correct the file's years.",
                    code="import.year_overlap",
                )

    def _year_id(self, start: date) -> int | None:
        known = self.years.get(start)
        return known[0] if known else None

    # -- dispatch --------------------------------------------------------------
    def add(self, rec: object) -> None:
        """Take one record.  Company (kept for the checks of confirmation.py)
        and UnknownRecord have nothing to store."""
        handler = self._handlers.get(type(rec))
        if handler is not None:
            try:
                handler(rec)
            except OverflowError as exc:  # an amount in öre beyond a BIGINT: the source's data, not a crash
                line = getattr(rec, "line", None)
                where = f" (line {line})" if line else ""
                raise EkonomiError(f"An amount{where} is too large to be stored: {exc}.", code="import.amount_too_large") from exc

    def _attachment(self, rec: r.Attachment) -> None:
        self.attachments.append(rec)
        self.counts["attachments"] += 1

    def _scope(self, rec: r.Scope) -> None:
        self.mode = rec.mode
        self.whole_years = frozenset(rec.whole_years)
        self.invoice_kinds.update(rec.invoices)

    def _state(self, rec: r.StateUpdate) -> None:
        self.state = rec.state

    def _company(self, rec: r.Company) -> None:
        self.company = rec

    # -- chart -----------------------------------------------------------------
    def _account(self, rec: r.Account) -> None:
        self.counts["accounts"] += 1
        values = (rec.name, rec.type, ",".join(rec.sru) or None, rec.unit)
        self.chart.add("account", rec.year_start, (rec.number,), values)

    def _dimension(self, rec: r.Dimension) -> None:
        self.chart.add("dimension", rec.year_start, (rec.number,), (rec.name, rec.parent))

    def _object(self, rec: r.DimensionObject) -> None:
        self.counts["objects"] += 1
        self.chart.add("dimension_object", rec.year_start, (rec.dimension, rec.code), (rec.name,))

    # -- balances --------------------------------------------------------------
    def _balance(self, rec: r.Balance) -> None:
        self._balance_row("balance", "balances", rec, rec.kind)

    def _period(self, rec: r.PeriodBalance) -> None:
        self._balance_row("period_budget" if rec.budget else "period_balance", "period_balances", rec, rec.period.isoformat())

    def _balance_row(self, table: str, counted: str, rec: r.Balance | r.PeriodBalance, key: str) -> None:
        fid = self._year_id(rec.year_start)
        if fid is None:
            return  # the source yielded a balance for a year it never declared; checks report it
        obj = rec.object or (None, None)
        self.counts[counted] += 1
        row = (self.company_id, fid, self.import_id, key, rec.account, *obj, ore(rec.amount), text_or_none(rec.quantity), rec.line)
        self.writer.add(table, row)

    # -- vouchers --------------------------------------------------------------
    def _voucher(self, v: r.Voucher) -> None:
        self.counts["vouchers"] += 1
        fid = self.year_of(v.date)
        if fid is None:
            # LedgerChecks fails such an import; never let a voucher vanish silently.
            raise EkonomiError(f"Voucher {v.series} {v.number} dated {v.date} belongs to no fiscal year.", code="bad_request")
        content_hash = None
        if self.mode == "append":
            content_hash = self._content_hash(v)
            if content_hash in self._stored_hashes():
                self.duplicates += 1
                self.counts["rows"] += sum(1 for row in v.rows if row.kind is POSTED)
                return
        elif self.mode == "upsert" and v.source_id:
            self.source_ids.append(v.source_id)
        self.voucher_years.add(fid)
        writer = self.writer
        vid = self.target.voucher_id()
        packer = self.packers.get(fid) or self._packer(fid)
        _, posted = packer.pack(v, vid, fid, self.import_id, content_hash, writer.batch("voucher"), writer.batch("voucher_row"))
        writer.added("voucher")
        writer.added("voucher_row")
        self.counts["rows"] += posted

    def _packer(self, fid: int) -> Any:
        """The year's packer.  It collects the accounts the year's rows use
        (its set of known accounts is that same set, so a row costs one
        lookup), for the chart at the commit."""
        used = self.used_accounts.setdefault(fid, set())
        packer = VoucherPacker(
            self.company_id, used, used, self.objects_json, json.dumps, KIND_TEXT, HUNDRED, POSTED, copy=self.writer.copy
        )  # fmt: skip
        self.packers[fid] = packer
        return packer

    def _stored_hashes(self) -> set[str]:
        if self.content_hashes is None:
            sql = "SELECT content_hash FROM voucher WHERE company_id = :c AND content_hash IS NOT NULL"
            self.content_hashes = set(self.target.read(sql, {"c": self.company_id}).scalars())
        return self.content_hashes

    def _content_hash(self, v: r.Voucher) -> str:
        """Same content ⇒ same voucher; the n-th identical voucher of one
        input gets its own hash, so true repeats within a file are kept."""
        h = hashlib.sha256()
        h.update(repr((v.series, v.number, v.date, v.text)).encode())
        for row in v.rows:
            h.update(repr((row.kind.value, row.account, str(row.amount), row.objects, row.date, row.text)).encode())
        digest = h.hexdigest()
        n = self.seen_in_input.get(digest, 0)
        self.seen_in_input[digest] = n + 1
        return digest if n == 0 else f"{digest}:{n}"

    # -- invoices --------------------------------------------------------------
    def _invoice(self, inv: r.Invoice) -> None:
        self.counts["invoices"] += 1
        self.invoice_kinds.add(inv.kind)
        sek = None if inv.remaining_amount_sek is None else ore(inv.remaining_amount_sek)
        self.writer.add("invoice", (
            self.company_id, self.import_id, inv.kind, inv.number, inv.counterparty_number, inv.counterparty_name,
            iso_or_none(inv.invoice_date), iso_or_none(inv.due_date), inv.currency, ore(inv.total_amount),
            ore(inv.remaining_amount), sek, inv.as_of.isoformat(), inv.source_id, inv.voucher_series, inv.voucher_number,
        ))  # fmt: skip

    # -- the end ---------------------------------------------------------------
    @contextlib.contextmanager
    def committing(self) -> Iterator[tuple[Any, StoreSummary]]:
        """The rows written, the chart and the replace rules applied, in one
        transaction; yields its connection and the summary for the caller's
        own last writes (the import log), and commits when the block ends.
        On any exception nothing of it stays."""
        with self.target.committing() as conn:
            self.conn = conn
            self._resolve_years(self.target.year_map)
            self.keeper = Keeper(conn, self.company_id, self.import_id)
            if self.state is not None and self.source is not None:
                self.keeper.keep_state(self.source)
            self._apply_chart()
            if self.mode == "replace":
                self._replace_years()
            elif self.mode == "upsert":
                for fid in sorted(self.replaced_years()):
                    delete_year_data(self.conn, fid, keep_import=self.import_id, keeper=self.keeper)
                self._replace_source_ids()
                self._replace_balances()
            if self.invoice_kinds:
                self._replace_invoices()
            store_attachments(conn, self.company_id, self.import_id, self.attachments, self.write_files)
            self.keeper.finish()
            yield conn, self._summary()

    def _execute(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return self.conn.execute(text(sql), {"c": self.company_id, "imp": self.import_id, **(params or {})})

    def _resolve_years(self, year_map: dict[int, int]) -> None:
        """Temporary fiscal-year ids (staged imports) become the real ones."""
        if year_map:
            self.years = {s: (year_map.get(fid, fid), end) for s, (fid, end) in self.years.items()}
            self.voucher_years = {year_map.get(fid, fid) for fid in self.voucher_years}
            self.used_accounts = {year_map.get(fid, fid): used for fid, used in self.used_accounts.items()}

    def _apply_chart(self) -> None:
        for fid, end in self.year_ends:
            self.keeper.keep_year_end(fid, self.old_ends[fid])
            self._execute('UPDATE fiscal_year SET "end" = :e WHERE id = :id', {"e": end.isoformat(), "id": fid})
        starts = {fid: start for start, (fid, _) in self.years.items()}
        general = {self.years[s][0] for s in self.input_years} or set(self.voucher_years)
        specific = {self.years[s][0] for s in self.chart.specific_years() if s in self.years}
        replaced = self.replaced_years()
        created: set[str] = set()
        for fid in sorted(general | specific | self.voucher_years):
            policy = REPLACE if fid in replaced else UPSERT if self.mode == "upsert" else ADD
            entries = {table: self.chart.for_year(table, starts[fid], fid in general) for table in self.chart.entries}
            used = self.used_accounts.get(fid, set())
            created |= self.chart.apply_year(self.conn, self.company_id, fid, entries, policy, used, self.keeper.keep_chart)
        self.counts["accounts"] += len(created)  # rows on undeclared accounts: the account is created

    def _summary(self) -> StoreSummary:
        if self.duplicates:
            self.counts["vouchers_duplicate"] = self.duplicates
        years = [{"start": s.isoformat(), "end": end.isoformat()} for s, _, end in self.touched_years()]
        return StoreSummary(fiscal_years=years, counts=dict(self.counts), state=self.state)

    def touched_years(self) -> list[tuple[date, int, date]]:
        """(start, id, end) of the fiscal years the input declares or has vouchers in."""
        touched = set(self.input_years) | {s for s, (fid, _) in self.years.items() if fid in self.voucher_years}
        return [(s, *self.years[s]) for s in sorted(touched) if s in self.years]

    def replaced_years(self) -> set[int]:
        """The fiscal years (ids) whose stored data the replace rules remove."""
        if self.mode == "upsert":
            return {self.years[s][0] for s in self.whole_years if s in self.years}
        return self._replaced_years() if self.mode == "replace" else set()

    def _current_year(self) -> int | None:
        if not self.input_years:
            return None
        indexed = [s for s, idx in self.input_years.items() if idx == 0]
        start = indexed[0] if indexed else max(self.input_years)
        return self.years[start][0]

    def _replaced_years(self) -> set[int]:
        """Replace mode: the current year and every year with vouchers here."""
        current = self._current_year()
        return set(self.voucher_years) | ({current} if current is not None else set())

    def _replace_years(self) -> None:
        replaced = self._replaced_years()
        for fid in sorted(replaced):
            delete_year_data(self.conn, fid, keep_import=self.import_id, keeper=self.keeper)
        for start in self.input_years:
            fid = self.years[start][0]
            if fid in replaced:
                continue
            # An earlier year without vouchers here: add its balances only
            # where none are stored, never overwrite the stored ones.
            for table, key in _BALANCE_TABLES:
                self._execute(f"DELETE FROM {table} WHERE fiscal_year_id = :f AND import_id = :imp AND {_same_key(table, key, '<>')}", {"f": fid})

    def _replace_balances(self) -> None:
        """Upsert: a balance this import brings replaces the stored one of
        the same year, account, kind (or month) and object."""
        for table, key in _BALANCE_TABLES:
            old = f"company_id = :c AND import_id <> :imp AND {_same_key(table, key, '=')}"
            self.keeper.keep(table, old, {"c": self.company_id, "imp": self.import_id})
            self._execute(f"DELETE FROM {table} WHERE {old}")

    def _replace_source_ids(self) -> None:
        """Upsert: stored vouchers with a source id this import brings again
        are replaced by the new ones."""
        updated = 0
        for i in range(0, len(self.source_ids), 500):
            params = {f"s{j}": sid for j, sid in enumerate(self.source_ids[i : i + 500])}
            old = f"SELECT id FROM voucher WHERE company_id = :c AND source_id IN ({_marks(params)}) AND import_id <> :imp"
            keep = {"c": self.company_id, "imp": self.import_id, **params}
            self.keeper.keep("voucher_row", f"voucher_id IN ({old})", keep)
            self.keeper.keep("voucher", f"id IN ({old})", keep)
            self._execute(f"UPDATE attachment SET voucher_id = NULL WHERE voucher_id IN ({old})", params)
            self._execute(f"DELETE FROM voucher_row WHERE voucher_id IN ({old})", params)
            updated += self._execute(f"DELETE FROM voucher WHERE id IN ({old})", params).rowcount
        self.counts["vouchers_updated"] = updated
        self.counts["vouchers_new"] = self.counts["vouchers"] - updated

    def _replace_invoices(self) -> None:
        """Invoices are a snapshot: the new one replaces the old."""
        params = {f"k{i}": k for i, k in enumerate(sorted(self.invoice_kinds))}
        old = f"SELECT id FROM invoice WHERE company_id = :c AND kind IN ({_marks(params)}) AND import_id <> :imp"
        self.keeper.keep("invoice", f"id IN ({old})", {"c": self.company_id, "imp": self.import_id, **params})
        self._execute(f"UPDATE attachment SET invoice_id = NULL WHERE invoice_id IN ({old})", params)
        self._execute(f"DELETE FROM invoice WHERE id IN ({old})", params)


def store_attachments(conn: Any, company_id: int, import_id: int, attachments: list[r.Attachment], write_files: bool) -> None:
    """The import's attachments: their bytes into the file store (unless
    ``write_files`` is False, a preview), a row each, then every link."""
    store = settings.file_store()
    for att in attachments:
        data = att.data if att.data is not None else Path(att.path or "").read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        path = store / digest[:2] / digest
        if write_files and not path.exists():  # content-addressed: the same bytes are kept once
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)
        values = {"c": company_id, "imp": import_id, "h": digest, "f": att.filename, "t": att.content_type,
                  "s": len(data), "src": att.source_id, "links": json.dumps([_link_json(link) for link in att.links])}  # fmt: skip
        if not _attachment_kept(conn, values):
            conn.execute(text(
                "INSERT INTO attachment (company_id, import_id, sha256, filename, content_type, size, source_id, links) "
                "VALUES (:c, :imp, :h, :f, :t, :s, :src, :links)"
            ), values)  # fmt: skip
    link_attachments(conn, company_id)


def _attachment_kept(conn: Any, values: dict[str, Any]) -> bool:
    """An attachment brought again is stored once: the row of the same
    ``source_id`` takes the new file and links (and is linked again), or
    without one, the same file with the same name and links is left."""
    if values["src"] is not None:
        return bool(conn.execute(text(
            "UPDATE attachment SET sha256 = :h, filename = :f, content_type = :t, size = :s, links = :links, "
            "import_id = :imp, voucher_id = NULL, invoice_id = NULL WHERE company_id = :c AND source_id = :src"
        ), values).rowcount)  # fmt: skip
    found = conn.execute(text(
        "SELECT 1 FROM attachment WHERE company_id = :c AND source_id IS NULL AND sha256 = :h AND filename = :f AND links = :links"
    ), values)  # fmt: skip
    return found.scalar() is not None


def link_attachments(conn: Any, company_id: int) -> None:
    """Link every unlinked attachment of the company to what it belongs
    to: new ones, and old ones whose voucher or invoice was just replaced."""

    def execute(sql: str, params: dict[str, Any] | None = None) -> Any:
        return conn.execute(text(sql), {"c": company_id, **(params or {})})

    unlinked = execute(
        "SELECT id, links FROM attachment WHERE company_id = :c AND links IS NOT NULL "
        "AND (voucher_id IS NULL OR invoice_id IS NULL)"
    ).all()
    for att_id, links in unlinked:
        voucher_id = invoice_id = None
        for link in json.loads(links):
            if link.get("source_id"):  # the source's own key: what it was attached to there
                table, kind = ("voucher", "") if link["kind"] == "voucher" else ("invoice", " AND kind = :k")
                found = execute(
                    f"SELECT id FROM {table} WHERE company_id = :c AND source_id = :sid{kind} ORDER BY id DESC LIMIT 1",
                    {"sid": link["source_id"], "k": link["kind"].removesuffix("_invoice")},
                ).scalar()
                if table == "voucher":
                    voucher_id = voucher_id or found
                else:
                    invoice_id = invoice_id or found
            elif link["kind"] == "voucher" and voucher_id is None:
                year = " AND f.start = :fy" if link.get("fiscal_year_start") else ""
                voucher_id = execute(
                    "SELECT v.id FROM voucher v JOIN fiscal_year f ON f.id = v.fiscal_year_id "
                    f"WHERE v.company_id = :c AND v.series = :s AND v.number = :n{year} ORDER BY v.id DESC LIMIT 1",
                    {"s": link.get("series") or "", "n": link.get("number") or "", "fy": link.get("fiscal_year_start")},
                ).scalar()
            elif link["kind"].endswith("_invoice") and invoice_id is None:
                invoice_id = execute(
                    "SELECT id FROM invoice WHERE company_id = :c AND kind = :k AND number = :n ORDER BY id DESC LIMIT 1",
                    {"k": link["kind"].removesuffix("_invoice"), "n": link.get("invoice_number") or ""},
                ).scalar()
        execute(
            "UPDATE attachment SET voucher_id = coalesce(voucher_id, :v), invoice_id = coalesce(invoice_id, :i) WHERE id = :id",
            {"v": voucher_id, "i": invoice_id, "id": att_id},
        )


def delete_year_data(
    conn: Any, fiscal_year_id: int, keep_import: int | None = None, keeper: Keeper | None = None
) -> dict[str, int]:
    """Delete a fiscal year's vouchers, rows and balances (all, or all but
    those of ``keep_import``), first copied aside by ``keeper`` if given.
    Returns the number of rows per table."""
    keep = "" if keep_import is None else " AND import_id <> :imp"
    params = {"f": fiscal_year_id, "imp": keep_import}
    if keep_import is None:
        old_vouchers = "SELECT id FROM voucher WHERE fiscal_year_id = :f"
    else:
        # "import_id <> :imp" as two ranges of ix_voucher_year: with <>
        # SQLite reads every voucher of the year, the new ones included
        # (a million after a big import), four times over.
        old_vouchers = (
            "SELECT id FROM voucher WHERE fiscal_year_id = :f AND import_id < :imp "
            "UNION ALL SELECT id FROM voucher WHERE fiscal_year_id = :f AND import_id > :imp"
        )
    if keeper is not None:
        keeper.keep("voucher_row", f"voucher_id IN ({old_vouchers})", params)
        keeper.keep("voucher", f"id IN ({old_vouchers})", params)
        for table in ("balance", "period_balance", "period_budget"):
            keeper.keep(table, f"fiscal_year_id = :f{keep}", params)
    conn.execute(text(f"UPDATE attachment SET voucher_id = NULL WHERE voucher_id IN ({old_vouchers})"), params)
    # By voucher id (indexed), so that a year with nothing old costs nothing.
    deleted = {"rows": conn.execute(text(f"DELETE FROM voucher_row WHERE voucher_id IN ({old_vouchers})"), params).rowcount}
    deleted["vouchers"] = conn.execute(text(f"DELETE FROM voucher WHERE id IN ({old_vouchers})"), params).rowcount
    for table, name in (("balance", "balances"), ("period_balance", "period_balances"), ("period_budget", "period_budgets")):
        deleted[name] = conn.execute(text(f"DELETE FROM {table} WHERE fiscal_year_id = :f{keep}"), params).rowcount
    return deleted


_BALANCE_TABLES = (("balance", "kind"), ("period_balance", "period"), ("period_budget", "period"))


def _same_key(table: str, key: str, other_import: str) -> str:
    """SQL: a row of ``table`` with the same year, account, key and object
    exists in an import that is (``=``) or is not (``<>``) this one."""
    return (
        f"EXISTS (SELECT 1 FROM {table} o WHERE o.fiscal_year_id = {table}.fiscal_year_id "
        f"AND o.import_id {other_import} :imp AND o.account = {table}.account AND o.{key} = {table}.{key} "
        f"AND coalesce(o.object_dim, -1) = coalesce({table}.object_dim, -1) "
        f"AND coalesce(o.object_code, '') = coalesce({table}.object_code, ''))"
    )


def _marks(params: dict[str, Any]) -> str:
    return ", ".join(f":{name}" for name in params)


def _link_json(link: r.AttachmentLink) -> dict[str, Any]:
    out = {k: v for k, v in link._asdict().items() if v is not None}
    if link.fiscal_year_start is not None:
        out["fiscal_year_start"] = link.fiscal_year_start.isoformat()
    return out

"""Writing one import's records inside the caller's transaction.

Records arrive streamed and are written in batches with the driver's bulk
path (``executemany`` on SQLite, ``COPY`` on PostgreSQL), never as one ORM
object each.  Every row is tagged with the import's id, so that at the end the
replace rules of docs/contracts.md ("What an import replaces") are a few
set-based DELETEs of the *other* imports' rows:

* ``replace``: the current fiscal year is replaced whole, an earlier year only
  where this import carries vouchers dated in it; in the other years the new
  balances are kept only where none were stored.
* ``append``: vouchers are added to the company's fiscal years; a voucher
  already stored (same content) is skipped, so importing twice adds nothing.
* ``upsert``: a voucher whose ``source_id`` is already stored replaces it.

Rows go to a target (target.py): straight into the tables on PostgreSQL, into
a staging file on SQLite.  Changes to the chart (accounts, dimensions,
objects) are small and kept until ``commit``, which applies them, the replace
rules and the caller's own last writes (the import log) in one transaction.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from .. import records as r
from ..books import settings
from .bulk import HUNDRED, BALANCE_COLS, INVOICE_COLS, PERIOD_COLS, ROW_COLS, VOUCHER_COLS, iso_or_none, ore, text_or_none
from ..errors import EkonomiError
from .target import open_target

try:  # the row loop in C (core/engine/_rows.c); optional, same results
    from . import _rows
except ImportError:  # not built: the Python loop (_store_rows)
    _rows = None  # type: ignore[assignment]

_POSTED = r.RowKind.POSTED
_KIND_TEXT = {kind: kind.value for kind in r.RowKind}  # plain str: cheaper to bind and to pickle

@dataclass
class StoreSummary:
    fiscal_years: list[dict[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    state: dict[str, Any] | None = None


class Store:
    """Writes the records of one import for one company."""

    def __init__(
        self, engine: Engine, company_id: int, import_id: int, mode: str = "replace", size_hint: int = 0
    ) -> None:
        self.company_id = company_id
        self.import_id = import_id
        self.mode = mode
        self.target = open_target(engine, import_id, size_hint)
        self.writer = self.target.writer
        self.conn: Connection | None = None  # the final transaction, in commit()
        self.chart_ops: list[tuple[str, dict[str, Any]]] = []
        self.counts = dict.fromkeys(
            (
                "vouchers",
                "rows",
                "accounts",
                "balances",
                "period_balances",
                "objects",
                "invoices",
                "attachments",
            ),
            0,
        )
        # Fiscal years: every stored one, plus those this import brings.
        self.years: dict[date, tuple[int, date]] = {}  # start -> (id, end)
        for fid, start, end in self.target.read(
            'SELECT id, start, "end" FROM fiscal_year WHERE company_id = :c', {"c": company_id}
        ):
            self.years[_date(start)] = (fid, _date(end))
        self._year_index()
        self.input_years: dict[date, int | None] = {}  # start -> SIE-style index
        self.voucher_years: set[int] = set()
        self.accounts: dict[str, tuple[Any, ...]] = {
            num: (name, typ, sru, unit)
            for num, name, typ, sru, unit in self.target.read(
                "SELECT number, name, type, sru, unit FROM account WHERE company_id = :c", {"c": company_id}
            )
        }
        self.declared: set[str] = set()
        self.used_unknown: set[str] = set()
        self.dimensions = {
            n: (name, parent)
            for n, name, parent in self.target.read(
                "SELECT number, name, parent FROM dimension WHERE company_id = :c", {"c": company_id}
            )
        }
        self.objects = {
            (d, c): name
            for d, c, name in self.target.read(
                "SELECT dimension, code, name FROM dimension_object WHERE company_id = :c", {"c": company_id}
            )
        }
        self.content_hashes: set[str] | None = None  # loaded on the first appended voucher
        self.seen_in_input: dict[str, int] = {}
        self.source_ids: list[str] = []
        self.invoice_kinds: set[str] = set()
        self.attachments: list[r.Attachment] = []
        self.state: dict[str, Any] | None = None
        self.duplicates = 0
        self.year_ends: list[tuple[int, date]] = []  # stored years whose end changed
        self.objects_json: dict[tuple[r.ObjectRef, ...], str] = {}  # few distinct object lists: encode each once
        self.packer = None  # vouchers packed in C when the writer takes packed batches (core/engine/_rows.c)
        if _rows is not None and self.writer.pack_format is not None:
            self.packer = _rows.VoucherPacker(
                company_id,
                self.accounts,
                self.used_unknown,
                self.objects_json,
                json.dumps,
                _KIND_TEXT,
                HUNDRED,
                _POSTED,
                copy=self.writer.pack_format == "copy",
            )
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
        }

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
        self.input_years[rec.start] = rec.index
        known = self.years.get(rec.start)
        if known is None:
            fid = self.target.new_year(self.company_id, rec.start, rec.end, self.import_id)
            self.years[rec.start] = (fid, rec.end)
        elif known[1] != rec.end:
            self.year_ends.append((known[0], rec.end))
            self.years[rec.start] = (known[0], rec.end)
        self._year_index()

    def _year_id(self, start: date) -> int | None:
        known = self.years.get(start)
        return known[0] if known else None

    # -- dispatch --------------------------------------------------------------
    def add(self, rec: object) -> None:
        """Take one record.  Company and UnknownRecord have nothing to store."""
        handler = self._handlers.get(type(rec))
        if handler is not None:
            handler(rec)

    def _attachment(self, rec: r.Attachment) -> None:
        self.attachments.append(rec)
        self.counts["attachments"] += 1

    def _scope(self, rec: r.Scope) -> None:
        self.mode = rec.mode

    def _state(self, rec: r.StateUpdate) -> None:
        self.state = rec.state

    # -- chart -----------------------------------------------------------------
    def _account(self, rec: r.Account) -> None:
        self.counts["accounts"] += 1
        self.declared.add(rec.number)
        new = (rec.name, rec.type, ",".join(rec.sru) or None, rec.unit)
        old = self.accounts.get(rec.number)
        if old == new:
            return
        sql = (
            "INSERT INTO account (company_id, number, name, type, sru, unit) VALUES (:c, :n, :name, :t, :s, :u)"
            if old is None
            else "UPDATE account SET name = :name, type = :t, sru = :s, unit = :u WHERE company_id = :c AND number = :n"
        )
        self.chart_ops.append(
            (sql, {"c": self.company_id, "n": rec.number, "name": new[0], "t": new[1], "s": new[2], "u": new[3]})
        )
        self.accounts[rec.number] = new

    def _dimension(self, rec: r.Dimension) -> None:
        new = (rec.name, rec.parent)
        old = self.dimensions.get(rec.number)
        if old == new:
            return
        sql = (
            "INSERT INTO dimension (company_id, number, name, parent) VALUES (:c, :n, :name, :p)"
            if old is None
            else "UPDATE dimension SET name = :name, parent = :p WHERE company_id = :c AND number = :n"
        )
        self.chart_ops.append((sql, {"c": self.company_id, "n": rec.number, "name": rec.name, "p": rec.parent}))
        self.dimensions[rec.number] = new

    def _object(self, rec: r.DimensionObject) -> None:
        self.counts["objects"] += 1
        key = (rec.dimension, rec.code)
        old = self.objects.get(key)
        if old == rec.name:
            return
        sql = (
            "INSERT INTO dimension_object (company_id, dimension, code, name) VALUES (:c, :d, :code, :name)"
            if old is None
            else "UPDATE dimension_object SET name = :name WHERE company_id = :c AND dimension = :d AND code = :code"
        )
        self.chart_ops.append((sql, {"c": self.company_id, "d": rec.dimension, "code": rec.code, "name": rec.name}))
        self.objects[key] = rec.name

    # -- balances --------------------------------------------------------------
    def _balance(self, rec: r.Balance) -> None:
        fid = self._year_id(rec.year_start)
        if fid is None:
            return  # the source yielded a balance for a year it never declared; checks report it
        obj = rec.object or (None, None)
        self.counts["balances"] += 1
        self.writer.add(
            "balance",
            BALANCE_COLS,
            (
                self.company_id,
                fid,
                self.import_id,
                rec.kind,
                rec.account,
                obj[0],
                obj[1],
                ore(rec.amount),
                text_or_none(rec.quantity),
                rec.line,
            ),
        )

    def _period(self, rec: r.PeriodBalance) -> None:
        fid = self._year_id(rec.year_start)
        if fid is None:
            return
        obj = rec.object or (None, None)
        self.counts["period_balances"] += 1
        self.writer.add(
            "period_budget" if rec.budget else "period_balance",
            PERIOD_COLS,
            (
                self.company_id,
                fid,
                self.import_id,
                rec.period.isoformat(),
                rec.account,
                obj[0],
                obj[1],
                ore(rec.amount),
                text_or_none(rec.quantity),
                rec.line,
            ),
        )

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
            if self.content_hashes is None:
                self.content_hashes = set(
                    self.target.read(
                        "SELECT content_hash FROM voucher WHERE company_id = :c AND content_hash IS NOT NULL",
                        {"c": self.company_id},
                    ).scalars()
                )
            if content_hash in self.content_hashes:
                self.duplicates += 1
                self.counts["rows"] += sum(1 for row in v.rows if row.kind is r.RowKind.POSTED)
                return
        elif self.mode == "upsert" and v.source_id:
            self.source_ids.append(v.source_id)
        self.voucher_years.add(fid)
        vid = self.target.voucher_id()
        writer = self.writer
        if self.packer is not None:  # C packs the voucher and its rows straight into the writer's batches
            _, posted = self.packer.pack(
                v, vid, fid, self.import_id, content_hash, writer.packed("voucher", VOUCHER_COLS), writer.packed("voucher_row", ROW_COLS)
            )
            writer.added("voucher")
            writer.added("voucher_row")
            self.counts["rows"] += posted
            return
        cid = self.company_id
        writer.add("voucher", VOUCHER_COLS, _voucher_tuple(v, vid, cid, fid, self.import_id, content_hash))
        if _rows is not None:  # the same loop in C (core/engine/_rows.c)
            rows, posted = _rows.store_rows(
                v.rows, vid, cid, fid, self.accounts, self.used_unknown, self.objects_json, json.dumps, _KIND_TEXT, HUNDRED, _POSTED
            )
        else:
            rows, posted = _store_rows(v.rows, vid, cid, fid, self.accounts, self.used_unknown, self.objects_json)
        writer.add_many("voucher_row", ROW_COLS, rows)
        self.counts["rows"] += posted

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

    # -- invoices and attachments ---------------------------------------------
    def _invoice(self, inv: r.Invoice) -> None:
        self.counts["invoices"] += 1
        self.invoice_kinds.add(inv.kind)
        self.writer.add(
            "invoice",
            INVOICE_COLS,
            (
                self.company_id,
                self.import_id,
                inv.kind,
                inv.number,
                inv.counterparty_number,
                inv.counterparty_name,
                iso_or_none(inv.invoice_date),
                iso_or_none(inv.due_date),
                inv.currency,
                ore(inv.total_amount),
                ore(inv.remaining_amount),
                None if inv.remaining_amount_sek is None else ore(inv.remaining_amount_sek),
                inv.as_of.isoformat(),
                inv.source_id,
                inv.voucher_series,
                inv.voucher_number,
            ),
        )

    def _store_attachments(self) -> None:
        store = settings.file_store()
        for att in self.attachments:
            data = att.data if att.data is not None else Path(att.path or "").read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            target = store / digest[:2] / digest
            if not target.exists():  # content-addressed: the same bytes are kept once
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_suffix(".part")
                tmp.write_bytes(data)
                tmp.replace(target)
            self.conn.execute(
                text(
                    "INSERT INTO attachment (company_id, import_id, sha256, filename, content_type, size, "
                    "source_id, links) VALUES (:c, :i, :h, :f, :t, :s, :src, :links)"
                ),
                {
                    "c": self.company_id,
                    "i": self.import_id,
                    "h": digest,
                    "f": att.filename,
                    "t": att.content_type,
                    "s": len(data),
                    "src": att.source_id,
                    "links": json.dumps([_link_json(link) for link in att.links]),
                },
            )
        self._link_attachments()

    def _link_attachments(self) -> None:
        """Link every unlinked attachment of the company to what it belongs
        to: new ones, and old ones whose voucher or invoice was just replaced."""
        unlinked = self.conn.execute(
            text(
                "SELECT id, links FROM attachment WHERE company_id = :c AND links IS NOT NULL "
                "AND (voucher_id IS NULL OR invoice_id IS NULL)"
            ),
            {"c": self.company_id},
        ).all()
        for att_id, links in unlinked:
            voucher_id = invoice_id = None
            for link in json.loads(links):
                if link["kind"] == "voucher" and voucher_id is None:
                    year = " AND f.start = :fy" if link.get("fiscal_year_start") else ""
                    voucher_id = self.conn.execute(
                        text(
                            "SELECT v.id FROM voucher v JOIN fiscal_year f ON f.id = v.fiscal_year_id "
                            f"WHERE v.company_id = :c AND v.series = :s AND v.number = :n{year} "
                            "ORDER BY v.id DESC LIMIT 1"
                        ),
                        {"c": self.company_id, "s": link.get("series") or "", "n": link.get("number") or "",
                         "fy": link.get("fiscal_year_start")},
                    ).scalar()
                elif link["kind"].endswith("_invoice") and invoice_id is None:
                    invoice_id = self.conn.execute(
                        text(
                            "SELECT id FROM invoice WHERE company_id = :c AND kind = :k AND number = :n "
                            "ORDER BY id DESC LIMIT 1"
                        ),
                        {"c": self.company_id, "k": link["kind"].removesuffix("_invoice"), "n": link.get("invoice_number") or ""},
                    ).scalar()
            self.conn.execute(
                text(
                    "UPDATE attachment SET voucher_id = coalesce(voucher_id, :v), invoice_id = coalesce(invoice_id, :i) "
                    "WHERE id = :id"
                ),
                {"v": voucher_id, "i": invoice_id, "id": att_id},
            )

    # -- the end ---------------------------------------------------------------
    def commit(self, final: Callable[[Connection, StoreSummary], None]) -> StoreSummary:
        """Apply everything in one transaction: the chart, the rows, the
        replace rules, then ``final(conn, summary)`` (the import log), and
        commit.  On any exception nothing of it stays."""
        with self.target.committing() as conn:
            self.conn = conn
            self._resolve_years(self.target.year_map)
            summary = self._apply()
            final(conn, summary)
        return summary

    def _resolve_years(self, year_map: dict[int, int]) -> None:
        """Temporary fiscal-year ids (staged imports) become the real ones."""
        if year_map:
            self.years = {s: (year_map.get(fid, fid), end) for s, (fid, end) in self.years.items()}
            self.voucher_years = {year_map.get(fid, fid) for fid in self.voucher_years}

    def _apply(self) -> StoreSummary:
        assert self.conn is not None
        for fid, end in self.year_ends:
            self.conn.execute(text('UPDATE fiscal_year SET "end" = :e WHERE id = :id'), {"e": end.isoformat(), "id": fid})
        for sql, params in self.chart_ops:
            self.conn.execute(text(sql), params)
        created = sorted(self.used_unknown - set(self.accounts))
        for number in created:  # rows on undeclared accounts: the account is created
            self.conn.execute(
                text("INSERT INTO account (company_id, number, name) VALUES (:c, :n, '')"),
                {"c": self.company_id, "n": number},
            )
        self.counts["accounts"] += len(created)
        if self.mode == "replace":
            self._replace_years()
        elif self.mode == "upsert":
            self._replace_source_ids()
        if self.invoice_kinds:  # invoices are a snapshot: the new one replaces the old
            kinds = sorted(self.invoice_kinds)
            params = {f"k{i}": k for i, k in enumerate(kinds)}
            marks = ", ".join(f":k{i}" for i in range(len(kinds)))
            self.conn.execute(
                text(
                    "UPDATE attachment SET invoice_id = NULL WHERE invoice_id IN (SELECT id FROM invoice "
                    f"WHERE company_id = :c AND kind IN ({marks}) AND import_id <> :imp)"
                ),
                {"c": self.company_id, "imp": self.import_id, **params},
            )
            self._delete_old("invoice", f"company_id = :c AND kind IN ({marks})", params)
        self._store_attachments()
        if self.duplicates:
            self.counts["vouchers_duplicate"] = self.duplicates
        touched = set(self.input_years) | {s for s, (fid, _) in self.years.items() if fid in self.voucher_years}
        summary = StoreSummary(
            fiscal_years=[
                {"start": s.isoformat(), "end": self.years[s][1].isoformat()} for s in sorted(touched) if s in self.years
            ],
            counts=dict(self.counts),
            state=self.state,
        )
        return summary

    def _delete_old(self, table: str, where: str, params: dict[str, Any]) -> int:
        sql = f"DELETE FROM {table} WHERE {where} AND import_id <> :imp"
        return self.conn.execute(text(sql), {"c": self.company_id, "imp": self.import_id, **params}).rowcount

    def _current_year(self) -> int | None:
        if not self.input_years:
            return None
        indexed = [s for s, idx in self.input_years.items() if idx == 0]
        start = indexed[0] if indexed else max(self.input_years)
        return self.years[start][0]

    def _replace_years(self) -> None:
        current = self._current_year()
        replaced = set(self.voucher_years)
        if current is not None:
            replaced.add(current)
        for fid in sorted(replaced):
            self.delete_year_data(self.conn, fid, keep_import=self.import_id)
        for start in self.input_years:
            fid = self.years[start][0]
            if fid in replaced:
                continue
            # An earlier year without vouchers here: add its balances only
            # where none are stored, never overwrite the stored ones.
            for table, key in (
                ("balance", "o.kind = t.kind"),
                ("period_balance", "o.period = t.period"),
                ("period_budget", "o.period = t.period"),
            ):
                self.conn.execute(
                    text(
                        f"DELETE FROM {table} WHERE fiscal_year_id = :f AND import_id = :imp AND EXISTS ("
                        f"SELECT 1 FROM {table} o WHERE o.fiscal_year_id = {table}.fiscal_year_id "
                        f"AND o.import_id <> :imp AND o.account = {table}.account "
                        f"AND {key.replace('t.', table + '.')} "
                        f"AND coalesce(o.object_dim, -1) = coalesce({table}.object_dim, -1) "
                        f"AND coalesce(o.object_code, '') = coalesce({table}.object_code, ''))"
                    ),
                    {"f": fid, "imp": self.import_id},
                )

    @staticmethod
    def delete_year_data(conn: Connection, fiscal_year_id: int, keep_import: int | None = None) -> dict[str, int]:
        """Delete a fiscal year's vouchers, rows and balances (all, or all but
        those of ``keep_import``).  Returns the number of rows per table."""
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
        deleted: dict[str, int] = {}
        conn.execute(text(f"UPDATE attachment SET voucher_id = NULL WHERE voucher_id IN ({old_vouchers})"), params)
        # By voucher id (indexed), so that a year with nothing old costs nothing.
        deleted["rows"] = conn.execute(
            text(f"DELETE FROM voucher_row WHERE voucher_id IN ({old_vouchers})"), params
        ).rowcount
        deleted["vouchers"] = conn.execute(text(f"DELETE FROM voucher WHERE id IN ({old_vouchers})"), params).rowcount
        for table, name in (
            ("balance", "balances"),
            ("period_balance", "period_balances"),
            ("period_budget", "period_budgets"),
        ):
            deleted[name] = conn.execute(text(f"DELETE FROM {table} WHERE fiscal_year_id = :f{keep}"), params).rowcount
        return deleted

    def _replace_source_ids(self) -> None:
        """Upsert: stored vouchers with a source id this import brings again
        are replaced by the new ones."""
        updated = 0
        for i in range(0, len(self.source_ids), 500):
            chunk = self.source_ids[i : i + 500]
            params = {f"s{j}": sid for j, sid in enumerate(chunk)}
            marks = ", ".join(f":s{j}" for j in range(len(chunk)))
            old = (
                f"SELECT id FROM voucher WHERE company_id = :c AND source_id IN ({marks}) "
                "AND import_id <> :imp"
            )
            args = {"c": self.company_id, "imp": self.import_id, **params}
            self.conn.execute(text(f"UPDATE attachment SET voucher_id = NULL WHERE voucher_id IN ({old})"), args)
            self.conn.execute(text(f"DELETE FROM voucher_row WHERE voucher_id IN ({old})"), args)
            updated += self.conn.execute(
                text(
                    f"DELETE FROM voucher WHERE company_id = :c AND source_id IN ({marks}) "
                    "AND import_id <> :imp"
                ),
                args,
            ).rowcount
        self.counts["vouchers_updated"] = updated
        self.counts["vouchers_new"] = self.counts["vouchers"] - updated


def _link_json(link: r.AttachmentLink) -> dict[str, Any]:
    out = {k: v for k, v in link._asdict().items() if v is not None}
    if link.fiscal_year_start is not None:
        out["fiscal_year_start"] = link.fiscal_year_start.isoformat()
    return out


def _date(value: Any) -> date:
    """SQLite hands dates back as text when read through text()."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def stored_fiscal_years(conn: Connection, company_id: int) -> list[r.FiscalYear]:
    rows = conn.execute(
        text('SELECT start, "end" FROM fiscal_year WHERE company_id = :c ORDER BY start'), {"c": company_id}
    ).all()
    return [r.FiscalYear(_date(s), _date(e)) for s, e in rows]


def _voucher_tuple(v: r.Voucher, vid: int, cid: int, fid: int, import_id: int, content_hash: str | None) -> tuple[Any, ...]:
    """A voucher as its voucher table tuple (VOUCHER_COLS); core/engine/_rows.c's
    VoucherPacker packs the same values."""
    return (
        vid,
        cid,
        fid,
        import_id,
        v.series,
        v.number,
        v.date.isoformat(),
        v.text,
        iso_or_none(v.registration_date),
        v.signature,
        v.source_id,
        content_hash,
        v.line,
    )


def _store_rows(
    rows: tuple[r.VoucherRow, ...],
    vid: int,
    cid: int,
    fid: int,
    accounts: dict[str, Any],
    unknown: set[str],
    objects_json: dict[tuple, str],
) -> tuple[list[tuple[Any, ...]], int]:
    """A voucher's rows as voucher_row tuples, and how many are posted; notes
    accounts not stored yet in ``unknown``.  core/engine/_rows.c is this loop in C."""
    posted = 0
    out = []
    for account, amount, objs, day, text_, qty, kind, signature, line in rows:  # VoucherRow fields, in order
        if kind is _POSTED:
            posted += 1
        if account not in accounts:
            unknown.add(account)
        if objs:
            objects = objects_json.get(objs)
            if objects is None:
                objects = json.dumps(objs)
                if len(objects_json) < 50_000:  # bounded: memory stays flat
                    objects_json[objs] = objects
        else:
            objects = None
        out.append(
            (
                vid,
                cid,
                fid,
                _KIND_TEXT[kind],
                account,
                ore(amount),
                objects,
                None if day is None else day.isoformat(),
                text_,
                None if qty is None else str(qty),
                signature,
                line,
            )
        )
    return out, posted

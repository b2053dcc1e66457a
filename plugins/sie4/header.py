"""The header records (identification, chart of accounts, balances), buffered
until the first ``#VER`` and then yielded in canonical order::

    Scope → Company → FiscalYear* → Account* → Dimension* → DimensionObject*
    → Balance* → PeriodBalance* → the issues found so far

A header record after the vouchers is kept and yielded at the end, with a
``sie.order.late`` warning (a ``#RAR`` at once, as vouchers may need it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

from ekonomi.core import Account, Balance, Company, Dimension, DimensionObject, FiscalYear, PeriodBalance, Record, Scope, Severity

from .checksum import Checksum
from .fields import OBJ_PAIR, FieldReader, ObjectList
from .issues import IssueLog
from .labels import BALANCE_KINDS, LABELS
from .lexer import Field
from .stats import Stats, Summary

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
_COMPANY = {b"#FNAMN": "name", b"#ORGNR": "orgnr", b"#FTYP": "type", b"#FNR": "id"}
# Reserved dimensions (spec §8.17): they exist whether or not a #DIM declares
# them; 2 is a sub-dimension of 1.
RESERVED_DIMENSIONS = {
    1: ("Kostnadsställe", None), 2: ("Kostnadsbärare", 1), 6: ("Projekt", None),
    7: ("Anställd", None), 8: ("Kund", None), 9: ("Leverantör", None), 10: ("Faktura", None),
}  # fmt: skip
Handler = Callable[[list[Field]], "list[Record] | None"]
# A plain #PSALDO/#PBUDGET line (a hundred thousand in a big file).
PERIOD_LINE = re.compile(
    rb'(#PSALDO|#PBUDGET)[ \t]+(-?[0-9]{1,9})[ \t]+([0-9]{6})[ \t]+([0-9]+)[ \t]+'
    rb'\{((?:[ \t]*[0-9]{1,9}[ \t]+"[^"\\\s{}\x00-\x1f\x7f]*")*)[ \t]*\}[ \t]+(-?[0-9]{1,13}(?:\.[0-9]{1,2})?)(?:[ \t]+(-?[0-9]+(?:\.[0-9]+)?))?'
)


class HeaderRecords:
    """The header of one file: its handlers (``handlers[label](fields)``) and buffers."""

    def __init__(
        self, fields: FieldReader, issues: IssueLog, stats: Stats, summary: Summary, checksum: Checksum, labels: tuple[dict[str, int], dict[str, int]]
    ) -> None:
        self.fields = fields
        self.issues = issues
        self.stats = stats
        self.summary = summary
        self.checksum = checksum
        self.first_seen, self.label_counts = labels  # label -> first line, count; the reader fills them
        self.company: dict[str, str | None] = {}
        self.company_line: int | None = None
        self.orgnr_line: int | None = None
        self.years: dict[int, FiscalYear] = {}
        self._accounts: dict[str, list] = {}  # account -> [name, type, SRU codes, unit, line]
        self.odd_declared: dict[str, int] = {}  # a non-numeric account declared -> its line; never yielded
        self._dims: list[Dimension] = []
        self._objekt: list[DimensionObject] = []
        self._declared: dict[tuple[int, str | None], int] = {}  # (dimension, object code or None) -> line
        self._dims_yielded: set[int] = set()
        self._balances: list[tuple] = []  # unresolved: (kind, year index, account, amount, qty, obj, line)
        self._periods: list[tuple] = []
        # Reconciliation inputs, account -> (amount, line), by (label, year index).
        self.closing: dict[tuple[str, int], dict[str, tuple[Decimal, int]]] = {k: {} for k in (("#IB", 0), ("#UB", 0), ("#RES", 0), ("#UB", -1))}
        self.flushed = False
        self.scope_variant: str | None = None
        self._months: dict[bytes, date] = {}
        self._period_objects: dict[bytes, ObjectList] = {}
        self.handlers: dict[str, Handler] = {name: getattr(self, "_on_" + name[1:].lower(), self._on_ignored) for name in LABELS}

    def _late(self, recs: list[Record] | None = None) -> list[Record] | None:
        """After the vouchers: warn; ``recs`` are yielded now, the buffers at the end."""
        if not self.flushed:
            return None
        self.issues.once("header", WARNING, "sie.order.late", "A declaration or balance comes after the vouchers; SIE files put them first.")
        return recs

    def variant(self) -> str:
        t = self.summary.sietyp or 1
        if t != 4:
            return str(t)
        return "4E" if any(k in self.first_seen for k in ("#IB", "#UB", "#RES")) else "4I"

    def flush(self) -> Iterator[Record]:
        """The header in canonical order (first time), then whatever was buffered since."""
        if not self.flushed:
            self.flushed = True
            self.scope_variant = self.variant()
            yield Scope("append" if self.scope_variant == "4I" else "replace")
            c = self.company
            program, version = self.summary.program
            yield Company(c.get("name"), c.get("orgnr") or None, c.get("type"), c.get("id"), self.orgnr_line or self.company_line, program or None, version or None)
            yield from self.fiscal_years()
        for acc, (name, typ, sru, unit, line) in self._accounts.items():
            if acc not in self.odd_declared:
                yield Account(acc, name, typ, tuple(sru), unit, line)
        self._accounts.clear()
        yield from self._dimensions()
        yield from self._objekt
        self._objekt.clear()
        for kind, idx, acc, amount, qty, obj, line in self._balances:
            if (fy := self.years.get(idx)) is not None:
                yield Balance(kind, fy.start, acc, amount, qty, obj, line)
            else:
                self._no_year(idx, line)
        self._balances.clear()
        yield from self._flush_periods()
        yield from self.issues.pending
        self.issues.pending.clear()

    def _dimensions(self) -> list[Dimension]:
        """The declared dimensions buffered, and the reserved ones used (by
        #OBJEKT or an object list) that no #DIM declared."""
        used = dict(self.fields.dimensions_used)  # -> the first line using it
        for number, line in [(o.dimension, o.line) for o in self._objekt] + [(d.parent, d.line) for d in self._dims if d.parent is not None]:
            used[number] = min(line, used.get(number, line))
        if 2 in used:
            used.setdefault(1, used[2])
        out = list(self._dims)
        for d in sorted(used.keys() & RESERVED_DIMENSIONS.keys() - self._dims_yielded - {d.number for d in out}):
            out.append(Dimension(d, *RESERVED_DIMENSIONS[d], used[d]))
        self._dims.clear()
        self._dims_yielded.update(d.number for d in out)
        return out

    def fiscal_years(self) -> list[FiscalYear]:
        return sorted(self.years.values(), key=lambda y: -(y.index or 0))

    def _no_year(self, idx: int, line: int) -> None:
        self.issues.once(str(idx), WARNING, "sie.balance.no_year", f"Balances for fiscal year {idx} have no #RAR {idx}; they are left out.", line)

    def _flush_periods(self) -> Iterator[PeriodBalance]:
        years = self.years
        for idx, period, acc, amount, qty, obj, budget, line in self._periods:
            if (fy := years.get(idx)) is None:
                self._no_year(idx, line)
                continue
            if not fy.start.replace(day=1) <= period <= fy.end:
                self.issues.tally("sie.period.outside_year", str(idx), f"Periods of fiscal year {idx} lie outside that year (first: {period:%Y%m})", line)
            if type(amount) is bytes:  # kept as bytes by plain_period
                amount = Decimal(amount.decode("ascii"))
            yield PeriodBalance(fy.start, period, acc, amount, qty, obj, budget, line)
        self._periods.clear()

    def plain_period(self, s: bytes, line: int) -> bool:
        """A plain #PSALDO/#PBUDGET line of the header (between vouchers,
        before the closing #KSUMMA), as the reader and ``_on_psaldo`` would
        take it; False (nothing done) if it is not plain."""
        m = PERIOD_LINE.fullmatch(s)
        if m is None:
            return False
        label_b, idx_b, period_b, acc_b, obj_b, amt_b, qty_b = m.groups()
        month = int(period_b[4:])
        if not 1 <= month <= 12 or period_b[:4] == b"0000":
            return False
        self.issues.line = line
        label = label_b.decode("ascii")
        self.first_seen.setdefault(label, line)
        self.label_counts[label] = self.label_counts.get(label, 0) + 1
        pairs = OBJ_PAIR.findall(obj_b)
        if self.checksum.summing:
            self.checksum.parts += (label_b, idx_b, period_b, acc_b, *[d + o for d, o in pairs], amt_b, qty_b or b"")
        # Values shared where they repeat, the amount kept as its bytes.
        period = self._months.get(period_b)
        if period is None:
            period = self._months[period_b] = date(int(period_b[:4]), month, 1)
        acc = self.fields.accounts.get(acc_b)
        if acc is None:
            acc = self.fields.accounts[acc_b] = acc_b.decode("ascii")
        shared = self._period_objects
        objs = shared.get(obj_b) if obj_b.isascii() else None  # non-ASCII ids go to the decoder each time
        if objs is None:
            objs = tuple([(int(d), self.fields.text(o)) for d, o in pairs])
            self.fields.used_in(objs, line)
            if obj_b.isascii() and len(shared) < 10000:
                shared[obj_b] = objs
        qty = Decimal(qty_b.decode("ascii")) if qty_b else None
        self._add_period(label, int(idx_b), period, acc, amt_b, qty, objs)
        return True

    def _add_period(self, label: str, idx: int, period: date, acc: str, amount: Decimal | bytes, qty: Decimal | None, objs: ObjectList) -> None:
        if len(objs) > 1:
            self.issues.tally("sie.objects.count", label, f"{label} should name at most one object (found {len(objs)}); the first is used")
        self.stats.period_balances += 1
        self._periods.append((idx, period, acc, amount, qty, objs[0] if objs else None, label == "#PBUDGET", self.issues.line))

    # -- the handlers ------------------------------------------------------------
    def _on_ignored(self, f: list[Field]) -> None:
        return None

    def _on_flagga(self, f: list[Field]) -> None:
        if len(f) > 1 and f[1] == b"1":
            self.issues.add(
                WARNING, "sie.flagga.imported", "#FLAGGA 1: the file says it has already been imported once; importing it again may double its vouchers."
            )

    def _on_program(self, f: list[Field]) -> None:
        self.summary.program = (self.fields.text(f[1]), self.fields.text(f[2]) if len(f) > 2 else None)

    def _on_gen(self, f: list[Field]) -> None:
        self.fields.date(f[1], "generation date (#GEN)")

    def _on_omfattn(self, f: list[Field]) -> None:
        self.fields.date(f[1], "date of #OMFATTN")

    def _on_sietyp(self, f: list[Field]) -> None:
        t = self.fields.int(f[1], "SIE type")
        if t is not None and not 1 <= t <= 4:
            self.issues.add(ERROR, "sie.sietyp.invalid", f"#SIETYP {t} is not a SIE 4 file type (1-4).")
            t = None
        self.summary.sietyp = t

    def _on_fnamn(self, f: list[Field]) -> None:
        """#FNAMN, #ORGNR (which may be empty), #FTYP, #FNR."""
        key = _COMPANY[f[0]]
        self.company[key] = self.fields.text(f[1]) if len(f) > 1 else ""
        if key == "name":
            self.company_line = self.company_line or self.issues.line
            if not self.company[key].strip():
                self.issues.add(WARNING, "sie.fnamn.empty", "#FNAMN is empty: SIE requires the company's name.")
        elif key == "orgnr":
            self.orgnr_line = self.issues.line

    _on_orgnr = _on_ftyp = _on_fnr = _on_fnamn

    def _on_rar(self, f: list[Field]) -> list[Record] | None:
        idx = self.fields.int(f[1], "fiscal-year index")
        start = self.fields.date(f[2], "start of the fiscal year")
        end = self.fields.date(f[3], "end of the fiscal year")
        if idx is None or start is None or end is None:
            return None
        if end < start:
            self.issues.add(ERROR, "sie.rar.reversed", f"Fiscal year {idx} ends ({end}) before it starts ({start}).")
            return None
        if idx in self.years:
            self.issues.add(WARNING, "sie.rar.duplicate", f"#RAR {idx} is given twice; the first one counts.")
            return None
        fy = self.years[idx] = FiscalYear(start, end, idx, self.issues.line)
        return self._late([fy])

    def _on_taxar(self, f: list[Field]) -> None:
        if not (type(f[1]) is bytes and len(f[1]) == 4 and f[1].isdigit()):
            self.issues.add(WARNING, "sie.taxar.invalid", f"#TAXAR {self.fields._shown(f[1])} is not a year (YYYY); it is ignored.")

    def _declare(self, acc: str) -> None:
        if acc.isascii() and acc.isdigit():
            self.stats.declared_accounts.add(acc)
        else:
            self.odd_declared.setdefault(acc, self.issues.line)

    def _on_konto(self, f: list[Field]) -> list[Record] | None:
        acc = self.fields.account(f[1], used=False)
        if acc is None:
            return None
        self._declare(acc)
        entry = self._accounts.get(acc)
        if entry is None:
            self._accounts[acc] = [self.fields.text(f[2]), None, [], None, self.issues.line]
        else:
            entry[0] = self.fields.text(f[2])
        return self._late()

    def _account_entry(self, f: list[Field]) -> list | None:
        acc = self.fields.account(f[1], used=False)
        if acc is None:
            return None
        entry = self._accounts.get(acc)
        if entry is None:
            what = self.fields.text(f[0])
            self.issues.add(WARNING, "sie.account.undeclared", f"{what} refers to account {acc}, which no #KONTO declares; it is created without a name.")
            entry = self._accounts[acc] = ["", None, [], None, self.issues.line]
            self._declare(acc)
        return entry

    def _on_ktyp(self, f: list[Field]) -> list[Record] | None:
        entry = self._account_entry(f)
        if entry is not None:
            t = self.fields.text(f[2]).upper()
            if t not in ("T", "S", "K", "I"):
                self.issues.add(WARNING, "sie.ktyp.invalid", f"Account type {t!r} is not T, S, K or I; it is ignored.")
            else:
                entry[1] = t
        return self._late()

    def _on_enhet(self, f: list[Field]) -> list[Record] | None:
        entry = self._account_entry(f)
        if entry is not None:
            entry[3] = self.fields.text(f[2])
        return self._late()

    def _on_sru(self, f: list[Field]) -> list[Record] | None:
        entry = self._account_entry(f)
        if entry is not None:
            if code := self.fields.text(f[2]).strip():
                entry[2].append(code)
            else:
                self.issues.add(INFO, "sie.sru.empty", "#SRU gives no code (an empty text); the account is stored without one.")
        return self._late()

    def _on_dim(self, f: list[Field]) -> list[Record] | None:
        """#DIM, and #UNDERDIM (its parent dimension last)."""
        sub = f[0] == b"#UNDERDIM"
        d = self.fields.int(f[1], "dimension number")
        parent = self.fields.int(f[3], "parent dimension number") if sub else None
        if d is None or (sub and parent is None) or self._again(self.fields.text(f[0]), d, None):
            return None
        if parent is None and d in RESERVED_DIMENSIONS:
            parent = RESERVED_DIMENSIONS[d][1]
        self._dims.append(Dimension(d, self.fields.text(f[2]), parent, self.issues.line))
        return self._late()

    def _again(self, label: str, d: int, code: str | None) -> bool:
        """A second declaration of one dimension or object: warned; the first counts."""
        first = self._declared.get((d, code))
        if first is None:
            self._declared[(d, code)] = self.issues.line
            return False
        what, kind = (f"dimension {d}", "dim") if code is None else (f"object {code!r} of dimension {d}", "objekt")
        self.issues.add(WARNING, f"sie.{kind}.duplicate", f"{label} declares {what} again (first on line {first}); the first one counts.")
        return True

    _on_underdim = _on_dim

    def _on_objekt(self, f: list[Field]) -> list[Record] | None:
        d = self.fields.int(f[1], "dimension number")
        code = self.fields.text(f[2])
        if d is None or self._again("#OBJEKT", d, code):
            return None
        self.stats.objects += 1
        self._objekt.append(DimensionObject(d, code, self.fields.text(f[3]), self.issues.line))
        return self._late()

    def _on_ib(self, f: list[Field]) -> list[Record] | None:
        """#IB/#UB/#RES, and #OIB/#OUB (one object before the amount)."""
        fields, name = self.fields, self.fields.text(f[0])
        idx = fields.int(f[1], "fiscal-year index")
        acc = fields.account(f[2])
        obj, rest = None, f[3:]
        if name in ("#OIB", "#OUB"):
            objs = fields.object_refs(f[3])
            if len(objs) != 1:
                self.issues.tally("sie.objects.count", name, f"{name} should name exactly one object (found {len(objs)}); the first is used")
            obj, rest = (objs[0] if objs else None), f[4:]
        amount = fields.amount(rest[0], "balance")
        qty = fields.quantity(rest[1]) if len(rest) > 1 else None
        if idx is None or acc is None or amount is None:
            return None
        self.stats.balances += 1
        target = self.closing.get((name, idx))
        if target is not None:
            if acc in target:
                self.issues.add(WARNING, "sie.balance.duplicate", f"{name} {idx} for account {acc} is given twice; both are kept.")
                target[acc] = (target[acc][0] + amount, target[acc][1])
            else:
                target[acc] = (amount, self.issues.line)
        self._balances.append((BALANCE_KINDS[name], idx, acc, amount, qty, obj, self.issues.line))
        return self._late()

    _on_ub = _on_res = _on_oib = _on_oub = _on_ib

    def _on_psaldo(self, f: list[Field]) -> list[Record] | None:
        fields = self.fields
        idx = fields.int(f[1], "fiscal-year index")
        period = None
        p = f[2]
        if type(p) is bytes and len(p) == 6 and p.isdigit() and 1 <= int(p[4:]) <= 12 and int(p[:4]) > 0:
            period = date(int(p[:4]), int(p[4:]), 1)
        else:
            self.issues.add(ERROR, "sie.period.invalid", f"The period {fields.text(p) if type(p) is bytes else '{…}'!r} is not a month (YYYYMM).")
        acc = fields.account(f[3])
        objs = fields.object_refs(f[4])
        amount = fields.amount(f[5], "period amount")
        qty = fields.quantity(f[6]) if len(f) > 6 else None
        if idx is None or period is None or acc is None or amount is None:
            return None
        self._add_period(fields.text(f[0]), idx, period, acc, amount, qty, objs)
        return self._late()

    _on_pbudget = _on_psaldo

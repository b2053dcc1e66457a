"""Writing canonical records as a SIE 4E file: CP437, quoted texts, #KSUMMA.

``write_sie(records, out)`` streams: each record is written as it arrives
(records in canonical order, as ``normalize`` yields them), and the checksum
is summed on the way (spec §10: label and field contents, nothing between).

Texts are always quoted, a ``"`` inside is written ``\\"``; characters CP437
lacks become ``?`` and control characters a space (the spec forbids them).
A text ending in a backslash cannot be written unambiguously (``\\"`` would
read as an escaped quote); it is written with a trailing space.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from ekonomi.core import Account, Balance, Company, Dimension, DimensionObject, FiscalYear, PeriodBalance, RowKind, Voucher

from .labels import LABELS

_CONTROL = {i: " " for i in list(range(32)) + [127]}
_ROW_LABEL = {RowKind.POSTED: "#TRANS", RowKind.ADDED: "#RTRANS", RowKind.REMOVED: "#BTRANS"}
_BALANCE_LABEL = {("opening", False): "#IB", ("closing", False): "#UB", ("result", False): "#RES",
                  ("opening", True): "#OIB", ("closing", True): "#OUB"}


class _Text(str):
    """A field written quoted."""


def _clean(s: str) -> _Text:
    s = s.translate(_CONTROL).encode("cp437", errors="replace").decode("cp437")
    if s.endswith("\\"):
        s += " "
    return _Text(s)


def _word(s: str) -> str:
    """Account numbers, series and the like: bare when that is unambiguous."""
    if s and all(c.isascii() and (c.isalnum() or c in "._-") for c in s):
        return s
    return _clean(s)


def _amount(d: Decimal) -> str:
    return f"{d:.2f}" if d == d.quantize(Decimal("0.01")) else format(d, "f")


def _qty(d: Decimal | None) -> str:
    return "" if d is None else format(d, "f")


def _date(d: date | None) -> str:
    return "" if d is None else d.strftime("%Y%m%d")


class SieWriter:
    """Writes one file; call ``write(record)`` for each record, then ``close()``."""

    def __init__(self, out: BinaryIO, program: str = "ekonomi", version: str = "1.0", generated: date | None = None) -> None:
        self.out = out
        self.crc = 0
        self.year_index: dict[date, int] = {}
        self._line("#FLAGGA", ["0"], summed=False)
        self._line("#KSUMMA", [], summed=False)
        self._line("#PROGRAM", [_Text(program), _Text(version)])
        self._line("#FORMAT", ["PC8"])
        self._line("#GEN", [_date(generated or date.today())])
        self._line("#SIETYP", ["4"])

    def _line(self, label: str, fields: list, summed: bool = True) -> None:
        parts = [label]
        content = [label]
        for f in fields:
            if isinstance(f, tuple):  # object list
                parts.append("{" + " ".join(f'{d} "{o}"' for d, o in ((d, o.replace('"', '\\"')) for d, o in f)) + "}")
                content.extend(f"{d}{o}" for d, o in f)
            elif isinstance(f, _Text):
                parts.append('"' + f.replace('"', '\\"') + '"')
                content.append(f)
            else:
                parts.append(f if f != "" else '""')
                content.append(f)
        keep = LABELS[label].required + 1
        while len(parts) > keep and parts[-1] == '""':
            # trailing empty fields may be left out (4C §12)
            parts.pop()
            content.pop()
        self.out.write((" ".join(parts) + "\r\n").encode("cp437"))
        if summed:
            self.crc = zlib.crc32("".join(content).encode("cp437"), self.crc)

    def write(self, rec: object) -> None:
        t = type(rec)
        if t is Company:
            if rec.source_company_id:
                self._line("#FNR", [_clean(rec.source_company_id)])
            if rec.company_type:
                self._line("#FTYP", [_clean(rec.company_type)])
            if rec.orgnr:
                self._line("#ORGNR", [_clean(rec.orgnr)])
            self._line("#FNAMN", [_clean(rec.name or "")])
        elif t is FiscalYear:
            idx = rec.index if rec.index is not None else -len(self.year_index)
            self.year_index[rec.start] = idx
            self._line("#RAR", [str(idx), _date(rec.start), _date(rec.end)])
        elif t is Account:
            self._line("#KONTO", [_word(rec.number), _clean(rec.name)])
            if rec.type:
                self._line("#KTYP", [_word(rec.number), rec.type])
            if rec.unit:
                self._line("#ENHET", [_word(rec.number), _clean(rec.unit)])
            for code in rec.sru:
                self._line("#SRU", [_word(rec.number), _clean(code)])
        elif t is Dimension:
            if rec.parent is None:
                self._line("#DIM", [str(rec.number), _clean(rec.name)])
            else:
                self._line("#UNDERDIM", [str(rec.number), _clean(rec.name), str(rec.parent)])
        elif t is DimensionObject:
            self._line("#OBJEKT", [str(rec.dimension), _clean(rec.code), _clean(rec.name)])
        elif t is Balance:
            label = _BALANCE_LABEL[(rec.kind, rec.object is not None)]
            fields: list = [str(self.year_index[rec.year_start]), _word(rec.account)]
            if rec.object is not None:
                fields.append(((rec.object[0], _clean(rec.object[1])),))
            fields += [_amount(rec.amount), _qty(rec.quantity)]
            self._line(label, fields)
        elif t is PeriodBalance:
            objs = ((rec.object[0], _clean(rec.object[1])),) if rec.object else ()
            self._line(
                "#PBUDGET" if rec.budget else "#PSALDO",
                [str(self.year_index[rec.year_start]), rec.period.strftime("%Y%m"), _word(rec.account), objs,
                 _amount(rec.amount), _qty(rec.quantity)],
            )
        elif t is Voucher:
            self._line("#VER", [_clean(rec.series), _clean(rec.number), _date(rec.date), _clean(rec.text),
                                _date(rec.registration_date), _clean(rec.signature or "")])
            self.out.write(b"{\r\n")
            for r in rec.rows:
                objs = tuple((d, _clean(o)) for d, o in r.objects)
                self._line(_ROW_LABEL[r.kind], [_word(r.account), objs, _amount(r.amount), _date(r.date),
                                                _clean(r.text or ""), _qty(r.quantity), _clean(r.signature or "")])
            self.out.write(b"}\r\n")
        # Scope, Issue, UnknownRecord and others have no SIE 4E form: skipped.

    def close(self) -> None:
        self.out.write(f"#KSUMMA {self.crc}\r\n".encode("cp437"))


def write_sie(records: Iterable[object], out: BinaryIO, **options: object) -> None:
    """Write ``records`` to the binary stream ``out`` as a SIE 4E file."""
    w = SieWriter(out, **options)  # type: ignore[arg-type]
    for rec in records:
        w.write(rec)
    w.close()

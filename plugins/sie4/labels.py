"""The SIE 4 labels (spec 4B/4C §11-§12) as one declarative table.

For each label: its fields in order, how many of them are mandatory, and in
which file variant the record is mandatory (``M``), optional (``O``) or
forbidden (``-``), in the order ``1 2 3 4I 4E`` (spec §6).  Swedish names are
the spec's own: *årsnr* is the fiscal-year index (0 current, -1 previous).
"""

from __future__ import annotations

from typing import NamedTuple

VARIANTS = ("1", "2", "3", "4I", "4E")


class Label(NamedTuple):
    name: str
    fields: tuple[str, ...]
    required: int  # the first ``required`` fields must be present
    rule: str  # M/O/- per variant, in VARIANTS order
    check_missing: bool = True  # report the record as missing where it is mandatory

    def allowed(self, variant: str) -> bool:
        return self.rule[VARIANTS.index(variant)] != "-"

    def mandatory(self, variant: str) -> bool:
        return self.rule[VARIANTS.index(variant)] == "M"


_ROW = ("account", "objects", "amount", "date", "text", "quantity", "signature")

LABELS: dict[str, Label] = {
    lab.name: lab
    for lab in (
        Label("#FLAGGA", ("flag",), 1, "MMMMM"),
        Label("#PROGRAM", ("name", "version"), 2, "MMMMM"),
        Label("#FORMAT", ("format",), 1, "MMMMM"),
        Label("#GEN", ("date", "signature"), 1, "MMMMM"),
        Label("#SIETYP", ("type",), 1, "OMMMM"),
        Label("#PROSA", ("text",), 1, "OOOOO"),
        Label("#FTYP", ("company_type",), 1, "OOOOO"),
        Label("#FNR", ("company_id",), 1, "OOOOO"),
        Label("#ORGNR", ("orgnr", "acquisition_no", "activity_no"), 1, "OOOOO"),
        Label("#BKOD", ("sni",), 1, "OOO-O"),
        Label("#ADRESS", ("contact", "street", "postal", "phone"), 4, "OOOOO"),
        Label("#FNAMN", ("name",), 1, "MMMMM"),
        Label("#RAR", ("year", "start", "end"), 3, "MMMOM"),
        Label("#TAXAR", ("year",), 1, "OOOOO"),
        Label("#OMFATTN", ("date",), 1, "-MM-O"),
        Label("#KPTYP", ("chart_type",), 1, "OOOOO"),
        Label("#VALUTA", ("currency",), 1, "OOOOO"),
        Label("#KONTO", ("account", "name"), 2, "MMMOM"),
        Label("#KTYP", ("account", "type"), 2, "OOOOO"),
        Label("#ENHET", ("account", "unit"), 2, "OOOOO"),
        Label("#SRU", ("account", "sru"), 2, "MMOOO"),
        Label("#DIM", ("dimension", "name"), 2, "--MOO", False),
        Label("#UNDERDIM", ("dimension", "name", "parent"), 3, "--MOO", False),
        Label("#OBJEKT", ("dimension", "object", "name"), 3, "--MOO", False),
        Label("#IB", ("year", "account", "amount", "quantity"), 3, "MMM-M", False),
        Label("#UB", ("year", "account", "amount", "quantity"), 3, "MMM-M", False),
        Label("#OIB", ("year", "account", "object", "amount", "quantity"), 4, "--M-O", False),
        Label("#OUB", ("year", "account", "object", "amount", "quantity"), 4, "--M-O", False),
        Label("#RES", ("year", "account", "amount", "quantity"), 3, "MMM-M", False),
        Label("#PSALDO", ("year", "period", "account", "objects", "amount", "quantity"), 5, "-MM-O", False),
        Label("#PBUDGET", ("year", "period", "account", "objects", "amount", "quantity"), 5, "-MM-O", False),
        Label("#VER", ("series", "number", "date", "text", "registration_date", "signature"), 3, "---OO", False),
        Label("#TRANS", _ROW, 3, "---OO", False),
        Label("#RTRANS", _ROW, 3, "---OO", False),
        Label("#BTRANS", _ROW, 3, "---OO", False),
        Label("#KSUMMA", ("checksum",), 0, "OOOOO", False),
    )
}

def missing_field(label: Label, given: list) -> str:
    """The mandatory field a record too short lacks, judged by shape: an
    object list where another field belongs (or the reverse) stands in
    for a missing field, so the name is that field's, not the last one's."""
    for i, what in enumerate(label.fields[: label.required]):
        if i >= len(given) or (type(given[i]) is bytes) == (what == "objects"):
            return what
    return label.fields[label.required - 1]


BALANCE_KINDS = {"#IB": "opening", "#UB": "closing", "#RES": "result", "#OIB": "opening", "#OUB": "closing"}

"""When an import is likely a mistake, it needs the user's explicit
confirmation (CLI ``--yes``, API ``confirm=true``, the web's checkbox);
without it the run ends failed with the code ``needs_confirmation`` and the
reasons as issues.  A preview lists the same reasons.

The reasons, each with a stable code:

* ``import.confirm.company``: the data names no organisation number, and the
  company it names is not this one (data that names neither cannot be
  judged; an orgnr that differs is an error of LedgerChecks, confirmed or not);
* ``import.confirm.other_writer``: it replaces a fiscal year whose stored
  data another source, or another program (SIE ``#PROGRAM``), wrote;
* ``import.confirm.vouchers_removed``: it leaves a fiscal year with fewer
  than half of the vouchers it had.

All come from the figures of impact.py and the company record of the input:
counts, never a pass over the vouchers.

A sync of the company's integration is not held to them: choosing that
source (rule 1, logged) is the decision that its data replaces the books,
and a sync has no one to ask (it runs at login and on "Uppdatera").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..orgnr import normalize_orgnr
from ..records import Company
from .impact import Writer, YearImpact

COMPANY = "import.confirm.company"
OTHER_WRITER = "import.confirm.other_writer"
VOUCHERS_REMOVED = "import.confirm.vouchers_removed"
# Words that do not tell two companies apart.
_FORM_WORDS = {"aktiebolag": "ab", "aktiebolaget": "ab", "publ": ""}


@dataclass(frozen=True)
class Reason:
    code: str
    message: str  # English; the web words it in Swedish from the code
    year: YearImpact | None = None

    def as_json(self) -> dict[str, Any]:
        year = None if self.year is None else {"start": self.year.start.isoformat(), "end": self.year.end.isoformat()}
        return {"code": self.code, "message": self.message, "fiscal_year": year}


def reasons(company_name: str, in_file: Company | None, source: str, kind: str, years: list[YearImpact]) -> list[Reason]:
    """Why this import (of a source of this ``kind``) needs a confirmation; empty when it does not."""
    found: list[Reason] = []
    if kind == "integration":
        return found
    if in_file is not None and in_file.name and normalize_orgnr(in_file.orgnr) is None and not same_name(in_file.name, company_name):
        found.append(Reason(COMPANY, f'The data names no organisation number, and its company "{in_file.name}" is not "{company_name}".'))
    program = in_file.program if in_file is not None else None
    for year in years:
        if not (year.replaced and year.had_data):
            continue
        span = f"{year.start.isoformat()} – {year.end.isoformat()}"
        others = [w for w in year.writers if _differs(w, source, program)]
        if others:
            found.append(
                Reason(OTHER_WRITER, f"It replaces fiscal year {span}, written by {describe(others[0])}, with data from {_what(source, program)}.", year)
            )
        if 2 * year.vouchers_after < year.vouchers_before:
            found.append(
                Reason(VOUCHERS_REMOVED, f"It leaves fiscal year {span} with {year.vouchers_after} of its {year.vouchers_before} vouchers.", year)
            )
    return found


def same_name(in_file: str, company: str) -> bool:
    """Company names alike but for case, punctuation, word order and the
    company form written out ("Exempel Aktiebolag" is "exempel ab")."""
    return _words(in_file) == _words(company)


def _words(name: str) -> list[str]:
    words = (_FORM_WORDS.get(w, w) for w in re.findall(r"\w+", name.casefold()))
    return sorted(w for w in words if w)


def _differs(writer: Writer, source: str, program: str | None) -> bool:
    """Another source, or another program where both name theirs (a run
    logged before programs were, or a source without one, is not held to it)."""
    if writer.source != source:
        return True
    return bool(writer.program and program) and writer.program.casefold() != program.casefold()  # type: ignore[union-attr]


def describe(writer: Writer) -> str:
    return f"{_what(writer.source, writer.program)} (import {writer.import_id})"


def _what(source: str, program: str | None) -> str:
    return f"{program} via {source}" if program else source

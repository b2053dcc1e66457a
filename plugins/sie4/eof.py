"""The end of the file: what only the whole file tells.

The summary, then the rules over the whole file: a checksum never closed,
the variant's mandatory and forbidden records, #ORGNR, the reconciliations
of balances and vouchers, and the encoding.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ekonomi.core import Issue, Severity, normalize_orgnr

from . import validate
from .encoding import CP437, UTF8, FieldDecoder

if TYPE_CHECKING:
    from .normalize import SieNormalizer

ERROR, WARNING = Severity.ERROR, Severity.WARNING
# Σ |#TRANS amounts| of a file: below it, any sum of its rows in integer öre fits in 64 bits.
TURNOVER_LIMIT = Decimal(10) ** 16


def end_rules(reader: SieNormalizer) -> None:
    """Complete ``reader.summary``; the file's issues go to ``reader.issues``."""
    ck, s, h, issues = reader.checksum, reader.summary, reader.header, reader.issues
    if ck.opened_line is not None and ck.closed_line is None:
        message = "The file opens a #KSUMMA checksum but never closes it: it was cut short."
        issues.add(ERROR, "sie.checksum.truncated", message, issues.line or 1)
    s.variant = h.variant()
    if h.scope_variant is not None and h.scope_variant != s.variant:
        issues.add(WARNING, "sie.order.late", "Balances come after the vouchers, so the file was first taken as 4I.")
    s.checksum = ck.outcome
    s.encoding = reader.decoder.name()
    s.company_name = h.company.get("name")
    raw_orgnr = h.company.get("orgnr")
    s.orgnr = normalize_orgnr(raw_orgnr) or (raw_orgnr or None)
    s.fiscal_years = h.fiscal_years()
    out = issues.pending
    out += issues.tallied()
    out += validate.variant_rules(s.variant, reader.first_seen, reader.label_counts)
    out += validate.orgnr_rules(raw_orgnr, h.orgnr_line)
    out += validate.account_rules(reader.fields.odd_accounts, h.odd_declared)
    if reader.stats.debit - reader.stats.credit >= TURNOVER_LIMIT:
        message = "The file's amounts add up to 10^16 kronor or more, beyond what books hold and what the database can sum exactly."
        out.append(Issue(ERROR, "sie.amount.sum_too_large", message, None, None, issues.filename))
    movements = reader.stats.movements if s.variant == "4E" and reader.stats.vouchers else None
    if s.checksum != "truncated" and not issues.truncated:  # a cut file would only repeat that it is cut
        out += validate.reconcile(*h.closing.values(), movements)
    out += encoding_issues(reader.decoder, reader.reader.bom)


def encoding_issues(d: FieldDecoder, bom: bool) -> list[Issue]:
    """The file's encoding against the spec's CP437, and the text damage seen."""
    first = dict(d.first_line)
    if bom:
        first.setdefault(UTF8, 1)
    used = [*d.counts, *([UTF8] if bom and UTF8 not in d.counts else [])]
    others = [e for e in used if e != CP437]
    out: list[Issue] = []
    if len(used) > 1:
        message = (
            f"The file mixes encodings ({' and '.join(sorted(used))}); each field was decoded on its own. "
            "SIE prescribes CP437 throughout."
        )
        out.append(Issue(WARNING, "sie.encoding.mixed", message, min(first[e] for e in others), 1))
    elif others:
        enc = others[0].upper()
        message = f"The file is written in {enc}, not in CP437 as SIE prescribes (#FORMAT PC8); it was read as {enc}."
        out.append(Issue(WARNING, "sie.encoding.not_cp437", message, first[others[0]], 1))
    if d.replacement_lines:
        message = (
            f"{d.replacement_lines} line(s) hold the replacement character U+FFFD: the text was damaged "
            "before it reached this file (letters like å, ä, ö are lost)."
        )
        out.append(Issue(WARNING, "sie.encoding.replacement_char", message, d.replacement_first, 1))
    if d.mojibake_lines:
        message = f"{d.mojibake_lines} line(s) look like CP437 text once read as CP1252 (like 'Ink\u201dp' for 'Inköp')."
        out.append(Issue(WARNING, "sie.encoding.mojibake", message, d.mojibake_first, 1))
    return out

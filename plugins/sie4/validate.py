"""SIE-specific rules, run on what the read collected (small summaries only).

The general ledger rules (vouchers balance, dates inside a fiscal year,
declared accounts, duplicate numbers, the company's orgnr) are the core's
``LedgerChecks``; nothing here repeats them.  Here: records forbidden or
missing for the file's variant, the #ORGNR's form, and the reconciliations
of spec §2.8 (warnings that name the known causes).
"""

from __future__ import annotations

from decimal import Decimal

from ekonomi.core import Issue, Severity, luhn_ok, normalize_orgnr

from .labels import LABELS

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
_ZERO = Decimal(0)

_FORBIDDEN_WHY = {
    "1": "a type 1 file holds year-end balances only",
    "2": "a type 2 file holds balances and period balances only",
    "3": "a type 3 file holds balances, period and object balances only",
    "4I": "a 4I file (vouchers for import) carries no balances",
    "4E": "",
}


def variant_rules(variant: str, first_seen: dict[str, int], counts: dict[str, int]) -> list[Issue]:
    """Records the variant forbids (one warning per label) and mandatory records missing."""
    issues: list[Issue] = []
    for label, line in sorted(first_seen.items(), key=lambda kv: kv[1]):
        spec = LABELS.get(label)
        if spec is not None and not spec.allowed(variant):
            n = counts.get(label, 1)
            issues.append(
                Issue(
                    WARNING,
                    "sie.record.forbidden",
                    f"{label} is not allowed in a SIE {variant} file ({_FORBIDDEN_WHY[variant]}); "
                    f"{n} such record{'s' if n != 1 else ''}, first here.",
                    line,
                    1,
                )
            )
    for label, spec in LABELS.items():
        if spec.check_missing and spec.mandatory(variant) and label not in first_seen:
            issues.append(
                Issue(WARNING, "sie.record.missing", f"The file has no {label} record, which a SIE {variant} file must have.", None, None)
            )
    return issues


def orgnr_rules(value: str | None, line: int | None) -> list[Issue]:
    """A missing, empty or malformed #ORGNR, or one whose check digit is wrong."""
    if value is None:
        return [Issue(WARNING, "sie.orgnr.missing", "The file has no #ORGNR: whose books these are cannot be checked.", None, None)]
    if not value.strip():
        return [Issue(WARNING, "sie.orgnr.empty", "#ORGNR has no value: whose books these are cannot be checked.", line, 1)]
    norm = normalize_orgnr(value)
    if norm is None:
        return [Issue(WARNING, "sie.orgnr.malformed", f"#ORGNR {value!r} is not an organisation number (NNNNNN-NNNN).", line, 1)]
    if not luhn_ok(norm):
        return [Issue(WARNING, "sie.orgnr.check_digit", f"#ORGNR {norm} has a wrong check digit.", line, 1)]
    if norm != value:
        return [Issue(INFO, "sie.orgnr.normalised", f"#ORGNR {value!r} is read as {norm}, the form NNNNNN-NNNN.", line, 1)]
    return []


def account_rules(used: dict[str, int], declared: dict[str, int]) -> list[Issue]:
    """Account numbers that are not numeric, as SIE requires: an error where a
    voucher or balance uses one; a declaration alone is left out, warned."""
    out = [Issue(ERROR, "sie.account.not_numeric", f"Account {acc!r} is not a number, as SIE requires; it is used here.", line, 1) for acc, line in used.items()]
    for acc, line in declared.items():
        if acc not in used:
            message = f"Account {acc!r} is not a number, as SIE requires; no voucher or balance uses it, so it is left out."
            out.append(Issue(WARNING, "sie.account.not_numeric", message, line, 1))
    return out


_CLOSING_CAUSES = (
    "Known causes: the file holds only part of the year's vouchers, or the program "
    "wrote the closing balance from other data than the vouchers."
)
_RESULT_CAUSES = "Known causes: the file holds only part of the year's vouchers."
_OPENING_CAUSES = (
    "Known causes: last year's result was not yet moved to equity, or last year was "
    "changed after this year was opened."
)


def reconcile(
    opening: dict[str, tuple[Decimal, int]],
    closing: dict[str, tuple[Decimal, int]],
    result: dict[str, tuple[Decimal, int]],
    previous_closing: dict[str, tuple[Decimal, int]],
    movements: dict[str, Decimal] | None,
) -> list[Issue]:
    """Year 0: opening + movements = closing, result = movements; and last year's
    closing = this year's opening.  Balances map account -> (amount, line).
    ``movements`` is None when the file has no vouchers (types 1-3)."""
    issues: list[Issue] = []
    if movements is not None:
        result_accounts = set(result)
        # Accounts the file states a balance for; an account with movements
        # only is left to the core's undeclared-account rule.
        for acc in sorted((set(opening) | set(closing)) - result_accounts):
            ib = opening.get(acc, (_ZERO, 0))[0]
            mov = movements.get(acc, _ZERO)
            ub, line = closing.get(acc, (_ZERO, opening.get(acc, (_ZERO, None))[1]))
            if ib + mov != ub:
                stated = f"the closing balance (#UB 0) is {ub:.2f}" if acc in closing else "the file states no closing balance (#UB 0) for it"
                issues.append(
                    Issue(
                        WARNING,
                        "sie.reconcile.closing",
                        f"Account {acc}: opening {ib:.2f} plus movements {mov:.2f} is {ib + mov:.2f}, but {stated}. {_CLOSING_CAUSES}",
                        line,
                        1 if line else None,
                    )
                )
        for acc in sorted(result):
            res, line = result.get(acc, (_ZERO, None))
            mov = movements.get(acc, _ZERO)
            if res != mov:
                issues.append(
                    Issue(
                        WARNING,
                        "sie.reconcile.result",
                        f"Account {acc}: the result (#RES 0) is {res:.2f}, but its movements sum to {mov:.2f}. {_RESULT_CAUSES}",
                        line,
                        1 if line else None,
                    )
                )
    if previous_closing:
        for acc in sorted(set(previous_closing) | set(opening)):
            prev, pline = previous_closing.get(acc, (_ZERO, None))
            ib, line = opening.get(acc, (_ZERO, pline))
            if prev != ib:
                was = f"last year's closing balance (#UB -1) is {prev:.2f}" if acc in previous_closing else "the file states no closing balance for last year (#UB -1)"
                now = f"this year's opening (#IB 0) is {ib:.2f}" if acc in opening else "it states no opening balance (#IB 0)"
                issues.append(
                    Issue(
                        WARNING,
                        "sie.reconcile.opening",
                        f"Account {acc}: {was}, but {now}. {_OPENING_CAUSES}",
                        line,
                        1 if line else None,
                    )
                )
    return issues

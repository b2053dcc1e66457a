"""The reader's issues: where it is reading, and what it found there.

Issues wait in ``pending`` until the reader yields them in the record stream;
``once`` and ``tally`` keep a repeated problem from flooding the report.
"""

from __future__ import annotations

from ekonomi.core import Issue, Severity

_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
MAX_PER_CODE = 1000  # a broken million-voucher file must not print a million lines


class IssueLog:
    """Issues of one file being read; ``line`` is the line being read."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.line = 0
        self.pending: list[Issue] = []
        self.once_keys: set[tuple[str, str]] = set()
        self.tallies: dict[tuple[str, str], list] = {}  # (code, key) -> [message, first line, count]
        self.truncated = False  # the file ends inside a voucher

    def add(self, severity: Severity, code: str, message: str, line: int | None = None, column: int | None = 1) -> None:
        self.pending.append(Issue(severity, code, message, line if line is not None else self.line, column, self.filename))

    def once(self, key: str, severity: Severity, code: str, message: str, line: int | None = None) -> None:
        if (code, key) not in self.once_keys:
            self.once_keys.add((code, key))
            self.add(severity, code, message, line)

    def tally(self, code: str, key: str, message: str, line: int | None = None) -> None:
        """A warning that repeats on many records: reported once, with its count, at the end."""
        entry = self.tallies.get((code, key))
        if entry is None:
            self.tallies[(code, key)] = [message, self.line if line is None else line, 1]
        else:
            entry[2] += 1

    def tallied(self) -> list[Issue]:
        out = []
        for (code, _), (message, line, n) in self.tallies.items():
            more = f"; {n} records like this, first here" if n > 1 else ""
            out.append(Issue(Severity.WARNING, code, f"{message}{more}.", line, 1, self.filename))
        return out


class CappedIssues:
    """The issues of a ``sie check`` report: at most MAX_PER_CODE per code kept,
    the rest counted."""

    def __init__(self, max_per_code: int = MAX_PER_CODE) -> None:
        self.issues: list[Issue] = []
        self.per_code: dict[str, int] = {}
        self.max = max_per_code

    def add(self, issue: Issue) -> None:
        n = self.per_code.get(issue.code, 0) + 1
        self.per_code[issue.code] = n
        if n <= self.max:
            self.issues.append(issue)

    def result(self) -> list[Issue]:
        out = list(self.issues)
        for code, n in self.per_code.items():
            if n > self.max:
                worst = next(i.severity for i in self.issues if i.code == code)
                out.append(Issue(worst, code, f"… and {n - self.max} more issues like this one.", None, None))
        out.sort(key=lambda i: (_RANK.get(i.severity, 3), i.line is None, i.line or 0))  # errors first, as at import
        return out

"""The reader's issues: where it is reading, and what it found there.

Issues wait in ``pending`` until the reader yields them in the record stream;
``once`` and ``tally`` keep a repeated problem from flooding the report.
"""

from __future__ import annotations

from ekonomi.core import Issue, Severity


class IssueLog:
    """Issues of one file being read; ``line`` is the line being read."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.line = 0
        self.pending: list[Issue] = []
        self.once_keys: set[tuple[str, str]] = set()
        self.tallies: dict[tuple[str, str], list] = {}  # (code, key) -> [message, first line, count]

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

"""The core's own rules, registered through the same hooks as any plugin."""

from __future__ import annotations

from ..checks import LedgerChecks, ProvidesCheck, RecordCheck
from ..context import ImportContext
from ..hookspecs import hookimpl
from ..source import Source


@hookimpl
def ekonomi_checks(source: Source, ctx: ImportContext) -> list[RecordCheck]:
    checks: list[RecordCheck] = [LedgerChecks(ctx)]
    if source.provides:  # a source that declares nothing is not held to it
        checks.append(ProvidesCheck(source))
    return checks

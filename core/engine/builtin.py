"""The core's own rules, registered through the same hooks as any plugin."""

from __future__ import annotations

from ..checks import LedgerChecks, RecordCheck
from ..context import ImportContext
from ..hookspecs import hookimpl
from ..source import Source


@hookimpl
def ekonomi_checks(source: Source, ctx: ImportContext) -> list[RecordCheck]:
    return [LedgerChecks(ctx)]

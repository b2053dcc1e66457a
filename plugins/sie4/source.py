"""The ``sie4`` source plugin: entry point ``ekonomi.sources: sie4``.

Registers the source (``ekonomi_sources``) and the ``ekonomi sie check``
command (``ekonomi_commands``).  Heavy modules are imported inside the
functions that need them, so loading the plugin stays cheap.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ekonomi.core import FileInput, ImportContext, Record, Source, hookimpl

from .sniff import is_sie4, what_is

if TYPE_CHECKING:
    import click

EKONOMI_HOOK_API = 1


class Sie4Source(Source):
    """SIE files of types 1, 2, 3, 4E and 4I (spec 4B/4C)."""

    name = "sie4"
    title = "SIE4-fil"
    version = "1.0"
    kind = "file"
    file_extensions = (".se", ".si", ".sie")
    provides = frozenset(
        {"company", "fiscal_years", "accounts", "dimensions", "objects", "balances", "period_balances", "period_budgets", "vouchers"}
    )
    mode = "replace"  # a 4I file says "append" with a Scope record

    def identify(self, head: bytes, filename: str) -> bool:
        return is_sie4(head)

    def describe_refused(self, head: bytes, filename: str) -> str | None:
        what = what_is(head)
        return f"{what}, not a SIE 4 file" if what else None

    def normalize(self, raw: FileInput, ctx: ImportContext) -> Iterator[Record]:
        from .normalize import SieNormalizer

        def progress(done: int, total: int) -> None:
            ctx.progress("read", done, total)

        return SieNormalizer(raw.path, raw.filename, progress).records()


@hookimpl
def ekonomi_sources() -> list[Source]:
    return [Sie4Source()]


def make_group() -> click.Group:
    """The ``sie`` command group (``ekonomi sie check FILE [--json]``)."""
    import click

    @click.group(name="sie", help="SIE 4 files: check them without a database.")
    def sie() -> None:
        pass

    @sie.command(name="check")
    @click.argument("file", metavar="FILE")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
    def check(file: str, as_json: bool) -> None:
        """Read and validate FILE: exit 0 if importable, 1 if not."""
        import json
        import os

        from .check import check_file, format_text, importable

        if not os.path.isfile(file) or not os.access(file, os.R_OK):
            why = "no such file" if not os.path.exists(file) else "not a readable file"
            click.echo(f"ekonomi sie check: {file}: {why}", err=True)
            sys.exit(2)
        from ekonomi.core import tune_gc_for_one_batch

        tune_gc_for_one_batch()
        try:
            report: dict[str, Any] = check_file(file)
        except OSError as exc:
            click.echo(f"ekonomi sie check: {file}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        if as_json:
            click.echo(json.dumps(report, ensure_ascii=False))
        else:
            click.echo(format_text(report, os.path.basename(file)))
        sys.exit(0 if importable(report) else 1)

    from .export import add_export_command

    add_export_command(sie)
    return sie


@hookimpl
def ekonomi_commands(cli: click.Group) -> None:
    cli.add_command(make_group())

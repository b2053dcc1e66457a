"""``ekonomi sie export``: stored books as a SIE 4E file (CP437, #KSUMMA)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click


def add_export_command(group: click.Group) -> None:
    @group.command(name="export")
    @click.option("--company", required=True, help="The company's organisation number.")
    @click.option("--year", default=None, type=click.DateTime(["%Y-%m-%d", "%Y%m%d"]),
                  help="The fiscal year that starts this day (default: the latest).")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
                  help="Write to this file (default: standard output).")
    @click.option("--database-url", default=None, help="SQLAlchemy URL of the database.")
    @click.pass_context
    def export(ctx: click.Context, company: str, year: datetime | None, output: Path | None, database_url: str | None) -> None:
        """Write a company's fiscal year as a SIE 4E file."""
        from ekonomi.core import EkonomiError, stored_books

        from .writer import write_sie

        url = database_url or ctx.find_root().params.get("database_url")
        try:
            with stored_books(company, year.date() if year else None, url) as records:
                target = output.open("wb") if output else sys.stdout.buffer
                try:
                    write_sie(records, target)
                finally:
                    if output:
                        target.close()
        except EkonomiError as exc:
            if output and output.exists():
                output.unlink()
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
        if output:
            click.echo(f"wrote {output}", err=True)

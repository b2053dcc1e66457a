"""``ekonomi sie export``: stored books as a SIE 4E file (CP437, #KSUMMA)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def add_export_command(group: click.Group) -> None:
    @group.command(name="export")
    @click.option("--company", required=True, help="The company's organisation number.")
    @click.option("--year", default=None, help="The fiscal year that starts this day (default: the latest).")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
                  help="Write to this file (default: standard output).")
    @click.option("--database-url", default=None, help="SQLAlchemy URL of the database.")
    @click.pass_context
    def export(ctx: click.Context, company: str, year: str | None, output: Path | None, database_url: str | None) -> None:
        """Write a company's fiscal year as a SIE 4E file."""
        from sqlmodel import Session

        from ekonomi.core.cli import State, parse_day
        from ekonomi.core.errors import EkonomiError
        from ekonomi.core.books.export import stored_records
        from ekonomi.core.books.rules import get_company

        from .writer import write_sie

        state = ctx.find_object(State) or State()
        if database_url:
            state.database_url = database_url
        start = parse_day(year) if year else None
        engine = state.engine()
        try:
            with Session(engine) as session:
                company_id = get_company(session, company).id
            target = output.open("wb") if output else sys.stdout.buffer
            try:
                with engine.connect() as conn:
                    write_sie(stored_records(conn, company_id, start), target)  # type: ignore[arg-type]
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

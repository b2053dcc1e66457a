"""The ``ekonomi`` command line: a contract other tools and tests call.

Exit status: 0 done, 1 refused or failed for a reason about the data or the
rules (with ``--json`` the JSON object is still printed), 2 usage error (one
line on stderr).  No command shows a traceback for bad input.  Heavy imports
(database, web) happen inside the commands that need them, so light commands
such as ``ekonomi sie check`` start fast.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .errors import EkonomiError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class State:
    def __init__(self, database_url: str | None = None) -> None:
        self.database_url = database_url
        self._engine: Engine | None = None

    def writer(self) -> Engine:
        """The engine for commands that write (see db.writer)."""
        from .books.db import writer

        return writer(self.engine())

    def engine(self, *, migrate: bool = False) -> Engine:
        """The database; refuses to work on a schema that ``ekonomi init``
        has not created or upgraded."""
        if self._engine is None:
            from .books.db import make_engine, schema_is_current

            self._engine = make_engine(self.database_url)
            if not migrate and not schema_is_current(self._engine):
                raise click.ClickException(
                    "The database has no ekonomi schema, or an older one: run `ekonomi init` first."
                )
        return self._engine


def _database_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--database-url`` on each command too, so it may stand anywhere."""

    def remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value:
            ctx.ensure_object(State).database_url = value

    return click.option(
        "--database-url",
        expose_value=False,
        callback=remember,
        help="SQLAlchemy URL of the database (default: EKONOMI_DATABASE_URL, else instance/ekonomi.db).",
    )(fn)


def parse_day(value: str) -> date:
    text = value.strip()
    try:
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def refuse(exc: EkonomiError, as_json: bool) -> None:
    """A refusal: the JSON object with its issue (``--json``), or one line; exit 1."""
    if as_json:
        emit_json({"status": "failed", "issues": [{"severity": "error", "code": exc.code, "message": exc.message}]})
        sys.exit(1)
    fail(exc.message)


def _pm() -> Any:
    from .engine.plugins import get_plugin_manager

    return get_plugin_manager()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", default=None, help="SQLAlchemy URL (default: EKONOMI_DATABASE_URL, else instance/ekonomi.db).")
@click.version_option(package_name="ekonomi", prog_name="ekonomi")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """ekonomi: Swedish bookkeeping into a financial overview."""
    state = ctx.ensure_object(State)
    if database_url:
        state.database_url = database_url


# ---------------------------------------------------------------------------
# init, companies, plugins
# ---------------------------------------------------------------------------


@cli.command()
@_database_option
@click.pass_obj
def init(state: State) -> None:
    """Create the database schema, or upgrade it to this version."""
    from .books.db import init_db

    engine = state.engine(migrate=True)
    revision = init_db(engine)
    click.echo(f"database ready at schema revision {revision}: {engine.url.render_as_string(hide_password=True)}")


@cli.group()
def companies() -> None:
    """Client companies."""


@companies.command("add")
@click.argument("orgnr")
@click.argument("name")
@click.option("--bureau", default=None, help="The bureau that keeps the company.")
@click.option("--json", "as_json", is_flag=True)
@_database_option
@click.pass_obj
def companies_add(state: State, orgnr: str, name: str, bureau: str | None, as_json: bool) -> None:
    """Add a company: ekonomi companies add 556677-8899 "Exempel AB"."""
    from sqlmodel import Session

    from .books.companies import add_company, company_json

    with Session(state.writer()) as session:
        try:
            company = add_company(session, orgnr, name, bureau)
            session.commit()
        except EkonomiError as exc:
            fail(exc.message)
        data = company_json(session, company)
    if as_json:
        emit_json(data)
    else:
        click.echo(f"added {data['orgnr']} {data['name']}")


@companies.command("list")
@click.option("--json", "as_json", is_flag=True)
@_database_option
@click.pass_obj
def companies_list(state: State, as_json: bool) -> None:
    """List the companies."""
    from sqlmodel import Session

    from .books.companies import company_json, latest_runs, list_companies

    with Session(state.engine()) as session:
        found = list_companies(session)
        last = latest_runs(session, found)
        rows = [company_json(session, c, last.get(c.id)) for c in found]  # type: ignore[arg-type]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        last = row["last_import"]
        status = f"last import {last['status']}" if last else "no imports"
        click.echo(f"{row['orgnr']}  {row['name']}  [{row['active_source']}]  {status}")


@companies.command("enable")
@click.argument("orgnr")
@click.argument("source")
@_database_option
@click.pass_obj
def companies_enable(state: State, orgnr: str, source: str) -> None:
    """Enable a source plugin for a company (third parties' start disabled)."""
    _set_enabled(state, orgnr, source, True)


@companies.command("disable")
@click.argument("orgnr")
@click.argument("source")
@_database_option
@click.pass_obj
def companies_disable(state: State, orgnr: str, source: str) -> None:
    """Disable a source plugin for a company."""
    _set_enabled(state, orgnr, source, False)


def _set_enabled(state: State, orgnr: str, source: str, enabled: bool) -> None:
    from sqlmodel import Session

    from .books.rules import get_company, set_source_enabled

    with Session(state.writer()) as session:
        try:
            _pm().source(source)
            company = get_company(session, orgnr)
        except EkonomiError as exc:
            fail(exc.message)
        set_source_enabled(session, company, source, enabled)
        session.commit()
        click.echo(f"{source} {'enabled' if enabled else 'disabled'} for {company.orgnr} {company.name}")


def _parse_sets(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in value:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not key=value")
        pairs[key.strip()] = val
    return pairs


@companies.command("configure")
@click.argument("orgnr")
@click.argument("source")
@click.option("--set", "values", multiple=True, callback=_parse_sets, metavar="KEY=VALUE",
              help="A configuration field (repeat for more); KEY= clears a field, and keeps a secret. Without --set: show.")
@click.option("--json", "as_json", is_flag=True)
@_database_option
@click.pass_obj
def companies_configure(state: State, orgnr: str, source: str, values: dict[str, str], as_json: bool) -> None:
    """Configure a source for a company; secret fields are stored encrypted and never shown."""
    from sqlmodel import Session

    from .books import config
    from .books.rules import get_company

    pm = _pm()
    with Session(state.writer()) as session:
        try:
            company = get_company(session, orgnr)
            if values:
                view, event = config.configure(session, pm, company, source, values, actor="cli")
                session.commit()
                pm.emit(event)
            else:
                view = config.public_view(session, pm, company, source)
        except EkonomiError as exc:
            refuse(exc, as_json)
        number, name = company.orgnr, company.name
    if as_json:
        emit_json({"status": "succeeded", "company": number, **view})
        return
    click.echo(f"{view['title']} ({source}) for {number} {name}:")
    for f in view["fields"]:
        if f["secret"]:
            shown = "••••" if view["secrets"][f["name"]]["set"] else "(not set)"
        else:
            shown = view["values"].get(f["name"], "(not set)")
        click.echo(f"  {f['name']}: {shown}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def plugins(as_json: bool) -> None:
    """The installed source plugins, and any that failed to load."""
    infos = [p.as_json() for p in _pm().infos()]
    if as_json:
        emit_json(infos)
        return
    for p in infos:
        if p["state"] == "loaded":
            click.echo(f"{p['name']:<14} {p['version']:<10} {p['kind']:<12} loaded   {p['title']}")
        else:
            click.echo(f"{p['name']:<14} {'-':<10} {'-':<12} FAILED   {p['error']}")


# ---------------------------------------------------------------------------
# import and the log
# ---------------------------------------------------------------------------


def _failed_result(company: str, source: str | None, exc: EkonomiError) -> dict[str, Any]:
    return {
        "import_id": None,
        "status": "failed",
        "source": source,
        "company": company,
        "fiscal_years": [],
        "counts": {},
        "duration_s": 0.0,
        "issues": [{"severity": "error", "code": exc.code, "message": exc.message, "line": None}],
    }


class _Bar:
    """A progress bar on stderr, only on a terminal."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.phase: str | None = None

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if not sys.stderr.isatty():
            return
        from tqdm import tqdm

        if phase != self.phase:
            self.close()
            self.phase = phase
            unit = "B" if phase == "read" else "it"
            width = shutil.get_terminal_size((80, 20)).columns  # a pty of size 0 (script, CI) gets 80
            self.bar = tqdm(
                total=total, desc=phase, unit=unit, unit_scale=True, file=sys.stderr, leave=False, ncols=min(width, 100)
            )
        if self.bar is not None:
            if total is not None and self.bar.total != total:
                self.bar.total = total
            self.bar.n = done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--company", required=True, help="The company's organisation number.")
@click.option("--source", default=None, help="The source plugin (default: the one that recognises the file).")
@click.option("--dry-run", is_flag=True, help="Show what the import would do, and change nothing.")
@click.option("--yes", is_flag=True, help="Import even where the import looks like a mistake (see --dry-run).")
@click.option("--json", "as_json", is_flag=True)
@_database_option
@click.pass_obj
def import_(state: State, file: Path, company: str, source: str | None, dry_run: bool, yes: bool, as_json: bool) -> None:
    """Import FILE into a company's books, all or nothing."""
    from .context import FileInput
    from .oneshot import tune_gc_for_one_batch
    from .engine.pipeline import ImportRequest

    tune_gc_for_one_batch()
    req = ImportRequest(
        company=company, file=FileInput(file.resolve(), file.name), source=source, dry_run=dry_run, confirmed=yes, trigger="cli"
    )
    _run_and_report(state, req, as_json)


@cli.command()
@click.option("--company", required=True, help="The company's organisation number.")
@click.option("--json", "as_json", is_flag=True)
@_database_option
@click.pass_obj
def sync(state: State, company: str, as_json: bool) -> None:
    """Bring a company's books up to date from its active integration."""
    from sqlmodel import Session

    from .books.rules import OTHER, describe_source, get_company
    from .engine.pipeline import ImportRequest

    try:
        with Session(state.engine()) as session:
            active = get_company(session, company).active_source or OTHER
        if active == OTHER:
            from .errors import SourceNotActive

            raise SourceNotActive(
                f"The company takes its bookkeeping from {describe_source(_pm(), OTHER)}: there is no integration to "
                "sync from. Choose one under Inställningar - Rapportinställningar."
            )
    except EkonomiError as exc:
        _report(_failed_result(company, None, exc), as_json)
    _run_and_report(state, ImportRequest(company=company, source=active, trigger="cli"), as_json)


def _run_and_report(state: State, req: Any, as_json: bool) -> None:
    """Run an import or sync in the foreground with a progress bar; print
    its result (JSON or lines) and exit 0 only if it went well."""
    from .engine.pipeline import run_import
    from .engine.recovery import settle_orphans

    bar = _Bar()
    try:
        engine = state.engine()
        settle_orphans(engine, rerun_queued=False)  # a killed import of this host is not left 'running'
        result = run_import(engine, _pm(), req, progress=bar)
    except EkonomiError as exc:
        result = _failed_result(req.company, req.source, exc)
    except Exception as exc:  # the database went away, say: the JSON is still printed
        stopped = EkonomiError(f"The import stopped: {type(exc).__name__}: {exc}", code="import.crashed")
        result = _failed_result(req.company, req.source, stopped)
    finally:
        bar.close()
    _report(result, as_json)


def _report(result: dict[str, Any], as_json: bool) -> NoReturn:
    if as_json:
        emit_json(result)
    else:
        _print_result(result)
    sys.exit(0 if _went_well(result) else 1)


def _went_well(result: dict[str, Any]) -> bool:
    """An import that succeeded, or a preview of an import that would."""
    if result["status"] == "previewed":
        return not any(i["severity"] == "error" for i in result.get("issues", []))
    return bool(result["status"] == "succeeded")


def _print_result(result: dict[str, Any]) -> None:
    years = ", ".join(f"{y['start']}–{y['end']}" for y in result.get("fiscal_years", []))
    counts = result.get("counts", {})
    click.echo(
        f"import {result.get('import_id')}: {result['status']}"
        + (f" in {result['duration_s']:.2f} s" if result.get("duration_s") else "")
    )
    if years:
        click.echo(f"  fiscal years: {years}")
    if any(counts.values()):
        click.echo("  " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    for issue in result.get("issues", []):
        where = f" line {issue['line']}" if issue.get("line") else ""
        click.echo(f"  {issue['severity']}{where}: {issue['message']} [{issue['code']}]")
    if result["status"] == "previewed":
        _print_preview(result)


def _print_preview(result: dict[str, Any]) -> None:
    named = result.get("company_in_file") or {}
    click.echo(f"  the data names: {named.get('name') or '-'} ({named.get('orgnr') or 'no orgnr'})")
    for y in result.get("years", []):
        was = y.get("replaces_source")
        by = f", replacing import {was['import_id']} ({was['program'] or was['source']})" if was else ""
        click.echo(
            f"  {y['start']}–{y['end']}: {y['action']}, vouchers {y['vouchers_before']} → {y['vouchers_after']}, "
            f"result {y['result_before']} → {y['result_after']}{by}"
        )
    reasons = result.get("needs_confirmation", [])
    for reason in reasons:
        click.echo(f"  needs confirmation: {reason['message']} [{reason['code']}]")
    if reasons:
        click.echo("  import with --yes to go ahead anyway")
    click.echo("  nothing was changed (dry run)")


@cli.command()
@click.option("--company", required=True)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True)
@_database_option
@click.pass_obj
def log(state: State, company: str, limit: int, as_json: bool) -> None:
    """The import log of a company, newest first."""
    from sqlmodel import Session

    from .books.rules import get_company
    from .engine import runlog

    engine = state.engine()
    with Session(engine) as session:
        try:
            comp = get_company(session, company)
        except EkonomiError as exc:
            refuse(exc, as_json)
        results = [r.as_json() for r in runlog.latest(session, comp.id, limit)]  # type: ignore[arg-type]
    if as_json:
        emit_json(results)
        return
    for r in results:
        years = ", ".join(y["start"] for y in r["fiscal_years"])
        click.echo(
            f"{r['import_id']:>6}  {r['queued_at']}  {r['status']:<9} {r['source']:<8} {r['file'] or '-'}  "
            f"{r['counts'].get('vouchers', 0)} vouchers  {years}  {r['started_by']}"
        )


# ---------------------------------------------------------------------------
# reports and deleting
# ---------------------------------------------------------------------------


@cli.group()
def report() -> None:
    """Reports on the stored books."""


@report.command("trial-balance")
@click.option("--company", required=True)
@click.option("--year", default=None, help="The fiscal year that starts this day (default: the latest).")
@click.option("--json", "as_json", is_flag=True)
@_database_option
@click.pass_obj
def trial_balance_cmd(state: State, company: str, year: str | None, as_json: bool) -> None:
    """Opening, movement and closing per account for one fiscal year."""
    from sqlmodel import Session

    from .books.reports import trial_balance
    from .books.rules import get_company

    start = parse_day(year) if year else None
    engine = state.engine()
    try:
        with Session(engine) as session:
            comp_id = get_company(session, company).id
        with engine.connect() as conn:
            data = trial_balance(conn, comp_id, start)  # type: ignore[arg-type]
    except EkonomiError as exc:
        refuse(exc, as_json)
    if as_json:
        emit_json(data)
        return
    fy = data["fiscal_year"]
    click.echo(f"Trial balance {fy['start']} – {fy['end']}")
    click.echo(f"{'account':<8} {'name':<34} {'opening':>16} {'movement':>16} {'closing':>16} {'stated':>16}")
    for a in data["accounts"]:
        click.echo(
            f"{a['account']:<8} {a['name'][:34]:<34} {a['opening']:>16} {a['movement']:>16} {a['closing']:>16} "
            f"{a['stated_closing'] or '':>16}"
        )


@cli.group("fiscal-years")
def fiscal_years_group() -> None:
    """Fiscal years of a company."""


@fiscal_years_group.command("delete-latest")
@click.option("--company", required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True)
@_database_option
@click.pass_obj
def delete_latest(state: State, company: str, yes: bool, as_json: bool) -> None:
    """Delete all data of the company's latest fiscal year."""
    from .books.companies import delete_latest_year, latest_year_summary

    def question(name: str, summary: dict[str, Any] | None) -> str:
        if summary is None:
            raise EkonomiError(f"{name} has no fiscal years to delete.", code="not_found")
        fy = summary["fiscal_year"]
        return (
            f"Delete the fiscal year {fy['start']} – {fy['end']} of {name}: {summary['vouchers']} vouchers, "
            f"{summary['rows']} rows, {summary['balances']} balances, {summary['period_balances']} period "
            "balances? This cannot be undone"
        )

    def said(data: dict[str, Any]) -> str:
        fy = data["fiscal_year"]
        return f"deleted the fiscal year {fy['start']} – {fy['end']}: {data['deleted']}"

    _confirmed(state, company, yes, as_json, latest_year_summary, question, delete_latest_year, said)


def _confirmed(
    state: State,
    company: str,
    yes: bool,
    as_json: bool,
    summarize: Callable[[Any, int], Any],
    question: Callable[[str, Any], str],
    act: Callable[..., dict[str, Any]],
    said: Callable[[dict[str, Any]], str],
) -> None:
    """A destructive command: the question built from what it would do,
    asked unless ``--yes``, then done; prints the result (``--json``) or
    ``said`` of it."""
    from sqlmodel import Session

    from .books.rules import get_company

    engine = state.engine()
    try:
        with Session(engine) as session:
            comp = get_company(session, company)
            comp_id, name = comp.id, comp.name
        ask = question(name, summarize(engine, comp_id))
        if not yes:
            click.confirm(ask, abort=True, err=True)
        data = act(engine, _pm(), comp_id, actor="cli")
    except EkonomiError as exc:
        refuse(exc, as_json)
    if as_json:
        emit_json({"status": "succeeded", **data})
    else:
        click.echo(said(data))


@cli.group("imports")
def imports_group() -> None:
    """A company's imports."""


@imports_group.command("undo")
@click.option("--company", required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True)
@_database_option
@click.pass_obj
def imports_undo(state: State, company: str, yes: bool, as_json: bool) -> None:
    """Undo the company's latest successful import: its books return to what
    they were before it.  Only the latest import, once."""
    from .engine.undo import undo_latest_import, undo_summary

    def question(name: str, summary: dict[str, Any]) -> str:
        years = "; ".join(_undo_line(y) for y in summary["fiscal_years"]) or "no fiscal year changes"
        return f"Undo import {summary['import_id']} ({summary['file'] or summary['source']}) of {name}: {years}?"

    def said(data: dict[str, Any]) -> str:
        return f"undid import {data['import_id']}: " + ("; ".join(_undo_line(y) for y in data["fiscal_years"]) or "-")

    _confirmed(state, company, yes, as_json, undo_summary, question, undo_latest_import, said)


def _undo_line(year: dict[str, Any]) -> str:
    if year["action"] == "removed":
        return f"{year['start']} – {year['end']} removed ({year['vouchers_now']} vouchers)"
    return f"{year['start']} – {year['end']} restored ({year['vouchers_now']} → {year['vouchers_after']} vouchers)"


# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------


def _add_plugin_commands() -> None:
    """Commands from every plugin's ``ekonomi_commands``, the web's included."""
    for name, _, exc in _pm().call_each("ekonomi_commands", cli=cli):
        if exc is not None:  # a broken plugin must not take the CLI down
            click.echo(f"warning: plugin {name} could not add its commands: {exc}", err=True)


def main(argv: list[str] | None = None) -> None:
    """The console script.  Errors are one line on stderr, never a traceback."""
    _add_plugin_commands()
    try:
        rv = cli.main(args=argv, prog_name="ekonomi", standalone_mode=False)
    except click.UsageError as exc:
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"error: {' '.join(exc.format_message().split())}{where}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except EkonomiError as exc:
        fail(exc.message)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()

"""The web app's commands: ``serve``, ``demo``, ``bureaus add``, ``users add``,
``users grant``/``revoke`` and ``tokens create``/``list``/``revoke``.
``ekonomi.core.cli`` calls ``register(cli)`` on every start, so this module
imports nothing heavy at module level (no Flask, no database): each command
imports what it needs when it runs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ekonomi.core.cli import State, _database_option, emit_json, fail, refuse
from ekonomi.core.errors import EkonomiError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(cli: click.Group) -> None:
    for command in (serve, demo, bureaus, users, tokens):
        cli.add_command(command)


# ---------------------------------------------------------------------------
# serve
# ---------------------------------------------------------------------------


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
@_database_option
@click.pass_obj
def serve(state: State, host: str, port: int, threads: int) -> None:
    """Run the web app with waitress (imports run on background threads)."""
    from waitress import serve as waitress_serve

    from ekonomi.web import create_app

    engine = state.engine()  # refuses a database without the schema: run `ekonomi init`
    app = create_app({"DATABASE_URL": engine.url.render_as_string(hide_password=False)})
    if host not in LOOPBACK:
        click.echo(
            "note: the session cookie is marked Secure, so browsers send it only over HTTPS "
            "(or to 127.0.0.1): put a TLS proxy in front of this address.",
            err=True,
        )
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"ekonomi serves http://{shown}:{port}/ (Ctrl+C stops)")
    # Above the app's own limit, so that Flask (not waitress) refuses a big upload: in JSON, logged.
    body_limit = app.config["MAX_CONTENT_LENGTH"] + (16 << 20)
    waitress_serve(app, host=host, port=port, threads=threads, ident="ekonomi", max_request_body_size=body_limit)


# ---------------------------------------------------------------------------
# bureaus, users, tokens
# ---------------------------------------------------------------------------


@click.group()
def bureaus() -> None:
    """Accounting bureaus."""


@bureaus.command("add")
@click.argument("name")
@_database_option
@click.pass_obj
def bureaus_add(state: State, name: str) -> None:
    """Add a bureau: ekonomi bureaus add "Byrån AB"."""
    from sqlmodel import Session

    from ekonomi.core.books.companies import add_bureau

    with Session(state.writer()) as session:
        try:
            add_bureau(session, name.strip())
            session.commit()
        except EkonomiError as exc:
            fail(exc.message)
    click.echo(f"added bureau {name.strip()}")


@click.group()
def users() -> None:
    """People who sign in to the web app."""


@users.command("add")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters, not a common one, not containing the e-mail address.")
@click.option("--role", required=True, type=click.Choice(["bureau-admin", "consultant", "client"]))
@click.option("--bureau", default=None, help="The bureau of bureau staff.")
@click.option("--company", default=None, help="The company (orgnr) a client user belongs to.")
@click.option("--can-import-files", "--can-import-sie4", "can_import_files", is_flag=True,
              help="A client user may import files (SIE4); --can-import-sie4 is the old name.")
@click.option("--can-open-settings", is_flag=True, help="A client user may open Inställningar.")
@click.option("--name", default=None)
@_database_option
@click.pass_obj
def users_add(
    state: State,
    email: str,
    password: str,
    role: str,
    bureau: str | None,
    company: str | None,
    can_import_files: bool,
    can_open_settings: bool,
    name: str | None,
) -> None:
    """Add a user: bureau staff with --bureau, a client user with --company."""
    from sqlmodel import Session

    from ekonomi.core.books.companies import get_bureau
    from ekonomi.core.books.rules import get_company
    from ekonomi.core.books.users import add_user

    with Session(state.writer()) as session:
        try:
            user = add_user(
                session,
                email,
                password,
                role,
                bureau=get_bureau(session, bureau) if bureau else None,
                company=get_company(session, company) if company else None,
                name=name,
                can_import_files=can_import_files,
                can_open_settings=can_open_settings,
            )
            session.commit()
        except EkonomiError as exc:
            fail(exc.message)
        click.echo(f"added {user.role} {user.email}")


RIGHT_CHOICE = click.Choice(["view_reports", "open_settings", "import_files"])


@users.command("grant")
@click.argument("email")
@click.option("--company", required=True, help="The company (orgnr).")
@click.option("--right", "names", multiple=True, type=RIGHT_CHOICE, help="A right to give (repeatable).")
@_database_option
@click.pass_obj
def users_grant(state: State, email: str, company: str, names: tuple[str, ...]) -> None:
    """Give EMAIL rights in a company (a client user gets access, with
    view_reports, and the --right ones)."""
    _change_rights(state, email, company, names, give=True)


@users.command("revoke")
@click.argument("email")
@click.option("--company", required=True, help="The company (orgnr).")
@click.option("--right", "names", multiple=True, type=RIGHT_CHOICE,
              help="A right to take (repeatable); none: every right, and a client user's access.")
@_database_option
@click.pass_obj
def users_revoke(state: State, email: str, company: str, names: tuple[str, ...]) -> None:
    """Take rights in a company from EMAIL (bureau admins keep theirs)."""
    _change_rights(state, email, company, names, give=False)


def _change_rights(state: State, email: str, orgnr: str, names: tuple[str, ...], give: bool) -> None:
    from sqlmodel import Session

    from ekonomi.core.books import rules
    from ekonomi.core.books.users import get_user, grant, revoke_access

    with Session(state.writer()) as session:
        try:
            user, company = get_user(session, email), rules.get_company(session, orgnr)
            if not give and not names and user.role == "client":
                revoke_access(session, user, company)
            else:
                held = rules.rights(session, user, company)
                if give and user.role == "client" and not rules.can_reach(session, user, company):
                    held = {**held, "view_reports": True}
                chosen = set(names) if names else ({"view_reports"} if give else set(held))
                wanted = {r: (held[r] or r in chosen) if give else (held[r] and r not in chosen) for r in held}
                grant(session, user, company, **{f"can_{r}": v for r, v in wanted.items()})
            session.commit()
            now = rules.rights(session, user, company)
        except EkonomiError as exc:
            fail(exc.message)
    shown = ", ".join(r for r, on in now.items() if on) or "none"
    click.echo(f"{user.email} in {company.name} ({company.orgnr}): {shown}")


@click.group()
def tokens() -> None:
    """Personal API tokens (Authorization: Bearer …)."""


@tokens.command("create")
@click.argument("email")
@click.option("--name", default="", help="A note on what the token is for.")
@_database_option
@click.pass_obj
def tokens_create(state: State, email: str, name: str) -> None:
    """Create a token for EMAIL and print it (only the token; it is not shown again)."""
    from sqlmodel import Session

    from ekonomi.core.books.users import create_token, get_user

    with Session(state.writer()) as session:
        try:
            token = create_token(session, get_user(session, email), name)
            session.commit()
        except EkonomiError as exc:
            fail(exc.message)
    click.echo(token)


@tokens.command("list")
@click.option("--email", default=None, help="Only this user's tokens.")
@click.option("--json", "as_json", is_flag=True)
@_database_option
@click.pass_obj
def tokens_list(state: State, email: str | None, as_json: bool) -> None:
    """The API tokens, newest first (never their text: it is not kept)."""
    from sqlmodel import Session

    from ekonomi.core.books.users import get_user, list_tokens, token_json

    with Session(state.engine()) as session:
        try:
            items = [token_json(t, u) for t, u in list_tokens(session, get_user(session, email) if email else None)]
        except EkonomiError as exc:
            refuse(exc, as_json)
    if as_json:
        emit_json({"items": items})
        return
    for item in items:
        used = item["last_used_at"] or "never used"
        click.echo(f"{item['id']:>5}  {item['email']}  {item['name'] or '-'}  created {item['created_at']}  last used {used}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@_database_option
@click.pass_obj
def tokens_revoke(state: State, token_id: int, as_json: bool) -> None:
    """Revoke the token with this id (from `ekonomi tokens list`); requests
    that send it are refused from now on."""
    from sqlmodel import Session

    from ekonomi.core.books.users import revoke_token

    with Session(state.writer()) as session:
        try:
            revoke_token(session, token_id)
            session.commit()
        except EkonomiError as exc:
            refuse(exc, as_json)
    if as_json:
        emit_json({"id": token_id, "revoked": True})
    else:
        click.echo(f"revoked token {token_id}")


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------


@click.command()
@_database_option
@click.pass_obj
def demo(state: State) -> None:
    """Prepare a demo: a bureau, its users, two clients with a year of books."""
    engine = state.engine()
    if _demo_exists(engine):
        click.echo("The demo already exists.")
        _print_logins()
        return
    try:
        _make_demo(engine)
    except EkonomiError as exc:
        fail(exc.message)
    _print_logins()


def _demo_exists(engine: Engine) -> bool:
    from sqlmodel import Session, select

    from ekonomi.core.books import models as m

    from .demo import BUREAU

    with Session(engine) as session:
        return session.exec(select(m.Bureau).where(m.Bureau.name == BUREAU)).first() is not None


def _make_demo(engine: Engine) -> None:
    import tempfile
    from pathlib import Path

    from sqlmodel import Session

    from ekonomi.core.books.companies import add_bureau, add_company
    from ekonomi.core.context import FileInput
    from ekonomi.core.books.db import writer
    from ekonomi.core.engine.pipeline import ImportRequest, run_import
    from ekonomi.core.engine.plugins import get_plugin_manager
    from ekonomi.core.books.users import add_user

    from . import demo as d

    pm = get_plugin_manager()
    pm.source("sie4")  # the demo's books come through the sie4 plugin
    with Session(writer(engine)) as session:
        bureau = add_bureau(session, d.BUREAU)
        companies = [add_company(session, c.orgnr, c.name, d.BUREAU) for c in d.COMPANIES]
        first = companies[0]
        add_user(session, "admin@demo.se", d.PASSWORD, "bureau-admin", bureau=bureau, name="Anna Admin")
        add_user(session, "konsult@demo.se", d.PASSWORD, "consultant", bureau=bureau, name="Kalle Konsult")
        add_user(session, "kund@demo.se", d.PASSWORD, "client", company=first, name="Karin Kund", can_import_files=True)
        add_user(session, "lasare@demo.se", d.PASSWORD, "client", company=first, name="Lars Läsare")
        session.commit()
    with tempfile.TemporaryDirectory() as tmp:
        for company in d.COMPANIES:
            path = d.write_sie(company, Path(tmp))
            result = run_import(
                engine,
                pm,
                ImportRequest(company=company.orgnr, file=FileInput(path, path.name), source="sie4", started_by="demo"),
            )
            if result["status"] != "succeeded":
                problems = "; ".join(i["message"] for i in result["issues"] if i["severity"] == "error")
                raise EkonomiError(f"the demo import for {company.name} failed: {problems}")
            click.echo(f"imported {result['counts']['vouchers']} vouchers for {company.name} ({company.orgnr})")


def _print_logins() -> None:
    from . import demo as d

    click.echo(
        "\nStart the web app with `ekonomi serve` and open http://127.0.0.1:5000/ . Sign in as\n"
        f"  admin@demo.se    bureau admin ({d.BUREAU})\n"
        "  konsult@demo.se  consultant\n"
        f"  kund@demo.se     client user of {d.COMPANIES[0].name}, may import SIE4 files\n"
        f"  lasare@demo.se   client user of {d.COMPANIES[0].name}, may only see reports\n"
        f"all with the password {d.PASSWORD}"
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: ekonomi serve | demo | bureaus | users | tokens")

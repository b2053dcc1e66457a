"""Adds ``ekonomi eekonomi-emulator`` to the CLI through the core's
``ekonomi_commands`` hook (entry point ``ekonomi.sources: eekonomi-emulator``).
The emulator is imported only when the command runs, so loading this
plugin costs nothing; the eEkonomi source itself never imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ekonomi.core import hookimpl

if TYPE_CHECKING:
    import click

EKONOMI_HOOK_API = 1


def make_command() -> click.Command:
    import click

    @click.command(name="eekonomi-emulator")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
    @click.option("--port", default=8765, show_default=True, type=int, help="Port to listen on.")
    @click.option("--seed", "seed", default=None, type=click.Path(exists=True, dir_okay=False),
                  help="A JSON seed fixture (default: the built-in demo company).")
    def emulator(host: str, port: int, seed: str | None) -> None:
        """Run a local emulator of the Visma eEkonomi API v2 and its identity
        server (client ekonomi-local / ekonomi-local-secret)."""
        from .emulator import create_app, serve

        app = create_app(seed)
        base = f"http://{host}:{port}"
        click.echo(f"eEkonomi emulator: API {base}/v2/, identity {base}, control {base}/_emulator/")
        click.echo(
            "To connect ekonomi to it, start the web app with\n"
            f"  EKONOMI_EEKONOMI_API_BASE={base}/v2/ EKONOMI_EEKONOMI_IDENTITY_BASE={base} \\\n"
            "  EKONOMI_EEKONOMI_CLIENT_ID=ekonomi-local EKONOMI_EEKONOMI_CLIENT_SECRET=ekonomi-local-secret \\\n"
            "  EKONOMI_EEKONOMI_REDIRECT_URI=http://127.0.0.1:5000/eekonomi/callback ekonomi serve\n"
            "add the company 559000-0001 \"Demo eEkonomi AB\", choose Visma eEkonomi as its data source and press\n"
            "\"Anslut till Visma eEkonomi\" under Inställningar - Rapportinställningar."
        )
        serve(app, host=host, port=port)

    return emulator


@hookimpl
def ekonomi_commands(cli: click.Group) -> None:
    cli.add_command(make_command())

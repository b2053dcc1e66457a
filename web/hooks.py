"""The web's own plugin: its commands reach the ``ekonomi`` CLI through the
core's ``ekonomi_commands`` hook, as any plugin's do, so the core never
imports the web.  Registered by the ``ekonomi.sources`` entry point ``web``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ekonomi.core import hookimpl

if TYPE_CHECKING:
    import click

EKONOMI_HOOK_API = 1


@hookimpl
def ekonomi_commands(cli: click.Group) -> None:
    from .commands import register

    register(cli)

"""The hooks of ekonomi, in the order of an import's life.

Shape chosen (docs/architecture.md offers two): **a discovery hook that
returns ``Source`` objects, plus hooks around each phase.**  Why: the work of a
source (fetch, normalise) lives in a typed class that the core calls inside its
own ``try``, so isolation, progress, timing and the log are written once, in
the core; no plugin has to answer "is this source mine?" in every phase hook,
and ``firstresult`` never picks a source silently.  The phase hooks are for
*other* plugins: to keep the raw input, add rules, or observe.

The core calls every hook through pluggy (``PluginManager.call_each`` where
one failing plugin must not stop the others), so pluggy's order holds:
the last registered runs first, ``tryfirst``/``trylast`` move a plugin, and
``pm.trace`` sees every call.

Every hook name starts with ``ekonomi_``.  Arguments are only ever added,
never renamed or removed; a plugin declares the hook API it was written for
with ``EKONOMI_HOOK_API = 1`` in its module (see source.HOOK_API_VERSION).

    discovery    ekonomi_sources, ekonomi_commands, ekonomi_blueprints,
                 ekonomi_settings_panels
    fetching     ekonomi_fetched
    normalising  ekonomi_checks
    logging      ekonomi_event
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from .checks import RecordCheck
    from .context import ImportContext
    from .events import Event
    from .source import SettingsPanel, Source
    from .webhost import WebHost

PROJECT = "ekonomi"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------------
# discovery
# ---------------------------------------------------------------------------


@hookspec
def ekonomi_sources() -> Sequence[Source]:
    """Return the sources this plugin offers, as ``Source`` instances.

    Called once per plugin, when it is registered.  Results are collected from
    every plugin; a name offered twice is refused for the second plugin, and
    an object that breaks the Source contract (source.contract_problems) is
    recorded as a failed plugin, never used.

    .. versionadded:: hook API 1
    """


@hookspec
def ekonomi_commands(cli: click.Group) -> None:
    """Add command-line commands (``ekonomi sie check`` comes from here).

    :param cli: the ``ekonomi`` click group; call ``cli.add_command``.
        Keep imports inside the command functions so ``ekonomi --help`` and
        light commands stay fast.

    .. versionadded:: hook API 1
    """


@hookspec
def ekonomi_blueprints(host: WebHost) -> Sequence[Blueprint]:
    """Return Flask blueprints with the plugin's own web routes (an
    integration's OAuth2 connect and callback, an ERP's upload endpoint).

    :param host: what the web offers the plugin's views (webhost.WebHost):
        the company of a request checked against the user's rights, and the
        company's configuration of the plugin's source.

    Collected; the web app registers each when it is made.  Pages that
    change something are CSRF-protected as the app's own are; a blueprint
    named like one already registered is skipped with a warning.

    .. versionadded:: hook API 1
    """


@hookspec
def ekonomi_settings_panels(orgnr: str, rights: dict[str, bool], host: WebHost) -> Sequence[SettingsPanel]:
    """Return panels for a company's settings page (Inställningar -
    Rapportinställningar), for the user who opens it.

    :param orgnr: the company's organisation number (``556677-8899``).
    :param rights: the user's rights for that company (``open_settings``,
        ``import_files``, ``view_reports``) and ``bureau_admin``.
    :param host: as for ``ekonomi_blueprints``.
    Collected; a panel's ``html`` is shown as it is, so the plugin escapes
    what it puts in it (Flask's ``render_template`` does).  A plugin that
    raises is left out of the page and logged.

    .. versionadded:: hook API 1
    """


# ---------------------------------------------------------------------------
# fetching
# ---------------------------------------------------------------------------


@hookspec
def ekonomi_fetched(source: Source, ctx: ImportContext, raw: Any) -> None:
    """Called after ``source.fetch(ctx)`` returned, before normalising.

    For observers: keep a copy of the raw input for replay or retention.
    Must not consume ``raw`` if it is an iterator.  Return value ignored;
    an exception here is logged as a warning and does not fail the import.
    Not called for a preview (``ctx.dry_run``): nothing of it is kept.

    .. versionadded:: hook API 1
    """


# ---------------------------------------------------------------------------
# normalising (and validating the normalised records)
# ---------------------------------------------------------------------------


@hookspec
def ekonomi_checks(source: Source, ctx: ImportContext) -> Sequence[RecordCheck]:
    """Return rule objects that every record of this import passes through.

    Collected from every plugin.  Each ``RecordCheck`` gets ``check(record)``
    for every canonical record in order and ``finish()`` at the end; both
    return Issues (values, not exceptions).  An error Issue fails the import.
    The core's own accounting rules (vouchers balance, dates inside a fiscal
    year, known accounts, the company's orgnr) are registered this way too.

    .. versionadded:: hook API 1
    """


# ---------------------------------------------------------------------------
# logging
# ---------------------------------------------------------------------------


@hookspec
def ekonomi_event(event: Event) -> None:
    """Observe what happens: ``import_started``, ``import_progress``,
    ``import_finished``, ``import_failed``, ``source_switched``,
    ``data_deleted``, ``import_undone`` (events.EVENT_KINDS).

    Collected; return value ignored.  An exception in an observer is caught
    and logged; it never changes the outcome of an import.  A preview (an
    import run with ``dry_run`` and rolled back) emits no events.

    .. versionadded:: hook API 1
    """

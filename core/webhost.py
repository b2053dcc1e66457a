"""What the web app offers a plugin's own pages (``ekonomi_blueprints``,
``ekonomi_settings_panels``): the company a request is about, checked
against the signed-in user's rights, and the company's configuration of
the plugin's source.  The web implements it; a plugin never imports the
web, so its routes work the same in any app that hosts them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, Protocol


class CompanyRef(NamedTuple):
    """A company as a plugin's page sees it."""

    orgnr: str
    name: str
    active_source: str


class WebHost(Protocol):
    def company(self, orgnr: str, right: str | None = None) -> CompanyRef:
        """The company ``orgnr``.  With ``right`` (``open_settings``,
        ``import_files``, ``view_reports``) the signed-in user, or the
        caller's Bearer token, must hold it: the web answers 401, 403 or 404
        as for its own pages.  ``right=None`` asks no user (a callback that
        its own ``state`` authorises)."""

    def config(self, orgnr: str, source: str) -> dict[str, Any]:
        """The company's configuration of ``source``, secrets decrypted."""

    def configure(
        self, orgnr: str, source: str, values: Mapping[str, Any], *, clear: Iterable[str] = (), actor: str | None = None
    ) -> None:
        """Validate and store configuration values (secrets encrypted), and
        remove the fields named in ``clear``; committed at once and logged
        as a company event by ``actor`` (default: the signed-in user)."""

    def public_config(self, orgnr: str, source: str) -> dict[str, Any]:
        """What may be shown: plain values, and ``{"set": bool}`` per secret."""

    def settings_url(self, orgnr: str) -> str:
        """The company's Inställningar - Rapportinställningar page."""

    def actor(self) -> str:
        """Who is asking, as the log names people (``user:<email>``)."""

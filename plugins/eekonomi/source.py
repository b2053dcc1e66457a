"""The Visma eEkonomi source: a company's books pulled from the eEkonomi
(eAccounting) API v2, first whole and then what changed (fetch.py), with
its unpaid invoices and voucher attachments.  Its tokens are secret fields
of the company's configuration, kept by the core, encrypted."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, fields

from ekonomi.core import Connection, ImportContext, Record, Source, hookimpl

from .wording import EXPLAINED, WHERE

if TYPE_CHECKING:
    from flask import Blueprint

    from ekonomi.core import SettingsPanel, WebHost

    from .oauth import Tokens
    from .spool import Spool

EKONOMI_HOOK_API = 1
NAME = "eekonomi"
TITLE = "Visma eEkonomi"
TOKEN_FIELDS = ("access_token", "refresh_token", "access_expires_at", "scope")
CONNECTION_FIELDS = (*TOKEN_FIELDS, "connected_at", "connected_by", "eekonomi_company")


def _kept(label: str, secret: bool = False) -> dict[str, Any]:
    return {"label": label, "internal": True, "secret": secret}


class EEkonomiConfig(Schema):
    """Everything here is kept by the plugin itself (connecting, token
    refreshes); nothing is typed into a form."""

    access_token = fields.String(metadata=_kept("Åtkomsttoken", secret=True))
    refresh_token = fields.String(metadata=_kept("Förnyelsetoken", secret=True))
    access_expires_at = fields.Float(metadata=_kept("Åtkomsttoken giltig till (Unix-tid)"))
    scope = fields.String(metadata=_kept("Behörigheter"))
    connected_at = fields.String(metadata=_kept("Ansluten"))
    connected_by = fields.String(metadata=_kept("Ansluten av"))
    eekonomi_company = fields.String(metadata=_kept("Företaget i eEkonomi"))
    oauth_state = fields.String(metadata=_kept("Pågående anslutning", secret=True))
    oauth_state_expires = fields.Float(metadata=_kept("Pågående anslutning giltig till"))
    connecting_by = fields.String(metadata=_kept("Ansluts av"))


class EEkonomiSource(Source):
    name = NAME
    title = TITLE
    version = "1.0"
    kind = "integration"
    mode = "upsert"
    config_schema = EEkonomiConfig
    provides = frozenset(
        {"company", "fiscal_years", "accounts", "dimensions", "objects", "balances", "vouchers", "invoices", "attachments"}
    )

    def fetch(self, ctx: ImportContext) -> Spool:
        from .client import Client, TokenKeeper
        from .errors import NotConnected
        from .fetch import Sync
        from .ratelimit import shared
        from .settings import Settings

        tokens = tokens_from(ctx.config)
        if tokens is None:
            raise NotConnected(
                f"{ctx.company_name or 'The company'} is not connected to Visma eEkonomi yet: connect it under "
                f"{WHERE} first."
            )
        settings = Settings.from_env()
        keeper = TokenKeeper(settings, tokens, save=lambda new: ctx.save_config(token_values(new)))
        return Sync(ctx, Client(settings, keeper, limiter=shared())).run()

    def normalize(self, raw: Spool, ctx: ImportContext) -> Iterator[Record]:
        from .mapping import records

        return records(raw)

    def connection(self, config: Mapping[str, Any]) -> Connection:
        values = config.get("values", {})
        if not config.get("secrets", {}).get("refresh_token", {}).get("set"):
            return Connection(False, f"Inte ansluten till {TITLE}. Anslut under {WHERE}.")
        who = f" ({values['eekonomi_company']})" if values.get("eekonomi_company") else ""
        since = f" sedan {values['connected_at'][:10]}" if values.get("connected_at") else ""
        by = f" av {values['connected_by'].removeprefix('user:')}" if values.get("connected_by") else ""
        return Connection(True, f"Ansluten till {TITLE}{who}{since}{by}.")

    def explain(self, code: str) -> str | None:
        return EXPLAINED.get(code)


def tokens_from(config: Mapping[str, Any]) -> Tokens | None:
    """The stored tokens, or None when the company is not connected."""
    from .oauth import Tokens

    if not config.get("refresh_token") and not config.get("access_token"):
        return None
    return Tokens(
        access_token=config.get("access_token") or "",
        refresh_token=config.get("refresh_token"),
        expires_at=float(config.get("access_expires_at") or 0),
        scope=config.get("scope") or "",
    )


def token_values(tokens: Tokens) -> dict[str, Any]:
    """Tokens as configuration values; a refresh that brought no new
    refresh token keeps the stored one (an empty secret is kept)."""
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token or "",
        "access_expires_at": tokens.expires_at,
        "scope": tokens.scope,
    }


@hookimpl
def ekonomi_sources() -> list[Source]:
    return [EEkonomiSource()]


@hookimpl
def ekonomi_blueprints(host: WebHost) -> list[Blueprint]:
    from .connect import blueprint

    return [blueprint(host)]


@hookimpl
def ekonomi_settings_panels(orgnr: str, rights: dict[str, bool], host: WebHost) -> list[SettingsPanel]:
    from .connect import panel

    return panel(orgnr, rights, host)

"""The Visma eEkonomi source: a company's books pulled from the eEkonomi
(eAccounting) API v2, first whole and then what changed (fetch.py), with
its unpaid invoices and voucher attachments.  Its tokens are secret fields
of the company's configuration, kept by the core, encrypted."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ekonomi.core import Connection, ImportContext, Record, Source, hookimpl

from .connection import NAME, TITLE, EEkonomiConfig, connection_of, token_values, tokens_from
from .wording import EXPLAINED, WHERE

if TYPE_CHECKING:
    from flask import Blueprint

    from ekonomi.core import SettingsPanel, WebHost

    from .spool import Spool

EKONOMI_HOOK_API = 1
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
        return connection_of(config)

    def explain(self, code: str) -> str | None:
        return EXPLAINED.get(code)


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

"""What connects a company to eEkonomi: the source's name, its
configuration (the tokens, kept by the plugin itself, encrypted by the
core), and what a person reads about the connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, fields

from ekonomi.core import Connection

from .wording import WHERE

if TYPE_CHECKING:
    from .oauth import Tokens

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


def connection_of(config: Mapping[str, Any]) -> Connection:
    """Whether a company is connected, from its configuration's public view."""
    values = config.get("values", {})
    if not config.get("secrets", {}).get("refresh_token", {}).get("set"):
        return Connection(False, f"Inte ansluten till {TITLE}. Anslut under {WHERE}.")
    who = f" ({values['eekonomi_company']})" if values.get("eekonomi_company") else ""
    since = f" sedan {values['connected_at'][:10]}" if values.get("connected_at") else ""
    by = f" av {values['connected_by'].removeprefix('user:')}" if values.get("connected_by") else ""
    return Connection(True, f"Ansluten till {TITLE}{who}{since}{by}.")


def tokens_from(config: Mapping[str, Any]) -> Tokens | None:
    """The stored tokens, or None when the company is not connected."""
    from .oauth import Tokens  # Authlib loads only when a sync or a connection needs it

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

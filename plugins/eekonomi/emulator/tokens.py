"""Authorization codes, access tokens and refresh tokens of the emulated
identity server.  Every token is bound to (client, user, company, scopes);
codes are single-use; refresh tokens rotate (single-use, with an optional
grace period) and are issued only when ``offline_access`` was granted."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .config import EmulatorConfig


@dataclass(frozen=True)
class Grant:
    client_id: str
    user: str
    company_id: str
    scopes: frozenset[str]


@dataclass
class Issued:
    grant: Grant
    expires: datetime
    redirect_uri: str | None = None  # codes only
    used_at: datetime | None = None  # codes and refresh tokens
    revoked: bool = False


class Tokens:
    def __init__(self) -> None:
        self.codes: dict[str, Issued] = {}
        self.access: dict[str, Issued] = {}
        self.refresh: dict[str, Issued] = {}

    def issue_code(self, grant: Grant, redirect_uri: str, now: datetime, ttl: int) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = Issued(grant, now + timedelta(seconds=ttl), redirect_uri=redirect_uri)
        return code

    def redeem_code(self, code: str, client_id: str, redirect_uri: str | None, now: datetime) -> Grant | None:
        """The code's grant, once; None if unknown, used, expired, or for another client or redirect URI."""
        issued = self.codes.get(code)
        if issued is None or issued.used_at or now >= issued.expires:
            return None
        if issued.grant.client_id != client_id or issued.redirect_uri != redirect_uri:
            return None
        issued.used_at = now
        return issued.grant

    def issue(self, grant: Grant, now: datetime, config: EmulatorConfig) -> dict[str, Any]:
        """The token endpoint's 200 body (RFC 6749 5.1)."""
        access = secrets.token_urlsafe(32)
        self.access[access] = Issued(grant, now + timedelta(seconds=config.access_token_ttl))
        body: dict[str, Any] = {"access_token": access, "expires_in": config.access_token_ttl, "token_type": "Bearer"}
        if "offline_access" in grant.scopes:
            refresh = secrets.token_urlsafe(32)
            self.refresh[refresh] = Issued(grant, now + timedelta(seconds=config.refresh_token_ttl))
            body["refresh_token"] = refresh
        body["scope"] = " ".join(sorted(grant.scopes))
        return body

    def use_refresh(self, value: str, client_id: str, now: datetime, config: EmulatorConfig) -> Grant | None:
        """The grant behind a refresh token, or None (``invalid_grant``)."""
        issued = self.refresh.get(value)
        if issued is None or issued.revoked or now >= issued.expires or issued.grant.client_id != client_id:
            return None
        if issued.used_at is not None and config.refresh_rotation:
            grace = config.refresh_grace_s
            if grace <= 0 or (now - issued.used_at).total_seconds() > grace:
                return None
        issued.used_at = issued.used_at or now
        return issued.grant

    def bearer(self, value: str, now: datetime) -> Grant | None:
        issued = self.access.get(value)
        if issued is None or issued.revoked or now >= issued.expires:
            return None
        return issued.grant

    def expire_access(self, now: datetime) -> None:
        for issued in self.access.values():
            issued.expires = min(issued.expires, now)

    def revoke_refresh(self) -> None:
        for issued in self.refresh.values():
            issued.revoked = True

"""The OAuth2 authorization-code flow against Visma's identity server
(research notes 1.2), through Authlib: the URL to send a person to, the code
exchange, and the refresh.  Client authentication is HTTP Basic."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from .errors import ApiError, ApiUnavailable, ReconnectNeeded
from .settings import SCOPES, Settings

# The eAccounting service id every known client sends, and the switch that
# makes the person pick a company: one login may reach many companies and a
# token is bound to the one chosen, so an accounting bureau must choose.
ACR_VALUES = "service:44643EB1-3F76-4C1C-A672-402AE8085934 forceselectcompany:true"
TIMEOUT = 30.0


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: float  # epoch seconds, from the answer's expires_in
    scope: str


def session(settings: Settings, scope: str = SCOPES) -> OAuth2Session:
    return OAuth2Session(settings.client_id, settings.client_secret, scope=scope,
                         redirect_uri=settings.redirect_uri, token_endpoint_auth_method="client_secret_basic")


def authorize_url(settings: Settings, state: str, *, prompt: str | None = None, scope: str = SCOPES) -> str:
    """Where to send a person to connect a company; ``scope`` is for tests
    and for asking less."""
    extra = {"acr_values": ACR_VALUES, **({"prompt": prompt} if prompt else {})}
    url, _ = session(settings, scope).create_authorization_url(settings.authorize_endpoint, state=state, **extra)
    return str(url)


def exchange_code(settings: Settings, code: str, *, clock: Callable[[], float] = time.time) -> Tokens:
    """The tokens for the code the identity server sent to the redirect URI."""
    with session(settings) as oauth:
        answer = _token_call(lambda: oauth.fetch_token(settings.token_endpoint, code=code,
                                                       grant_type="authorization_code", timeout=TIMEOUT))
    return _tokens(answer, clock(), None)


def refresh(settings: Settings, refresh_token: str, *, clock: Callable[[], float] = time.time) -> Tokens:
    """A new token set; the old refresh token is spent whatever happens next,
    so the caller must store the answer at once."""
    with session(settings) as oauth:
        answer = _token_call(lambda: oauth.refresh_token(settings.token_endpoint, refresh_token=refresh_token,
                                                         timeout=TIMEOUT))
    return _tokens(answer, clock(), refresh_token)


def _token_call(call: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    """One call to the token endpoint, never retried: a retried refresh could
    spend a refresh token whose answer was lost."""
    try:
        return call()
    except OAuthError as exc:
        if exc.error == "invalid_grant":
            raise ReconnectNeeded("eEkonomi refused the authorisation (invalid_grant)") from exc
        raise ApiError(f"the identity server refused the token request: {exc.error} {exc.description or ''}".strip()) from exc
    except (requests.ConnectionError, requests.Timeout, requests.HTTPError) as exc:
        raise ApiUnavailable(f"the identity server did not answer: {exc}") from exc
    except ValueError as exc:  # a body that is not JSON
        raise ApiUnavailable(f"the identity server answered something that is not a token: {exc}") from exc


def _tokens(answer: Mapping[str, Any], now: float, old_refresh: str | None) -> Tokens:
    if not answer.get("access_token"):
        raise ApiError("the identity server answered without an access token")
    return Tokens(
        access_token=str(answer["access_token"]),
        # without a new one the old stays valid (no rotation); Authlib keeps it
        refresh_token=answer.get("refresh_token") or old_refresh,
        expires_at=now + float(answer.get("expires_in") or 0),
        scope=str(answer.get("scope") or ""),
    )

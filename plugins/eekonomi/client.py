"""The transport to eEkonomi's API v2: bearer tokens that refresh themselves,
the installation's rate limit, bounded retries, errors mapped to the tree in
errors.py, money parsed as Decimal, paging and temporary file links
(research notes 1.3–1.6, 2.2 steps 1 and 8, 2.3)."""

from __future__ import annotations

import collections
import email.utils
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

import requests

from . import oauth
from .scopes import READ_SCOPES
from .errors import (ApiError, ApiUnavailable, CompanyUnavailable, LinkExpired, MissingScope, NotConnected,
                     RateLimited, ReconnectNeeded, COMPANY_STATES)
from .oauth import Tokens
from .ratelimit import RateLimit, shared
from .settings import Settings

REFRESH_MARGIN = 60.0  # refresh when fewer seconds than this are left (clients do the same)
MAX_PAGES = 10_000  # ten million records at 1000 a page: beyond that the server is looping
MAX_RETRY_WAIT = 120.0  # never trust a Retry-After of hours; the retries stay bounded anyway
TRY_AGAIN = re.compile(r"try again in (\d+) seconds?", re.IGNORECASE)
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")



class TokenKeeper:
    """Holds one company's tokens; refreshes proactively when < 60 s are left
    and on demand.  ``save(tokens)`` is called with every new token set
    BEFORE any further API call: the refresh token is single-use, so it must
    be stored at once."""

    def __init__(self, settings: Settings, tokens: Tokens | None, save: Callable[[Tokens], None],
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.tokens = tokens
        self.save = save
        self.clock = clock
        self.refreshes = 0
        # one refresh at a time: two threads must never spend the same refresh token
        self.lock = threading.Lock()

    def access_token(self) -> str:
        with self.lock:
            tokens = self._current()
            left = tokens.expires_at - self.clock()
            if left < REFRESH_MARGIN:
                try:
                    tokens = self._refresh()
                except ApiUnavailable:
                    if left <= 0:
                        raise
                    # the identity server is down but the token still works: use it meanwhile
            return tokens.access_token

    def refresh(self, stale: str | None = None) -> str:
        """One refresh.  With ``stale`` (the access token that was refused),
        a refresh another thread made meanwhile counts and none is made."""
        with self.lock:
            tokens = self._current()
            if stale is not None and tokens.access_token != stale:
                return tokens.access_token
            return self._refresh().access_token

    def _current(self) -> Tokens:
        if self.tokens is None:
            raise NotConnected()
        return self.tokens

    def _refresh(self) -> Tokens:
        old = self._current()
        if not old.refresh_token:
            raise ReconnectNeeded("there is no refresh token (was offline_access granted?)")
        new = oauth.refresh(self.settings, old.refresh_token, clock=self.clock)
        self.tokens = new  # kept even if save fails: the old refresh token is spent
        self.refreshes += 1
        self.save(new)
        return new


@dataclass
class Page:
    items: list[dict[str, Any]]
    meta: dict[str, Any]  # CurrentPage, PageSize, TotalNumberOfPages, TotalNumberOfResults, ServerTimeUtc


def endpoint_of(path: str) -> str:
    """The rate-limit key of a path: its segments with GUIDs, dates and
    numbers replaced by placeholders ("vouchers/{id}/{id}")."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    return "/".join("{id}" if GUID.match(p) else "{date}" if DATE.match(p) else "{number}" if p.isdigit()
                    else p.lower() for p in parts)


def decode(resp: requests.Response) -> Any:
    """The body as JSON with money as Decimal; None when empty or not JSON
    (a 503 from a proxy is HTML)."""
    if not resp.content:
        return None
    try:
        return json.loads(resp.content.decode(resp.encoding or "utf-8", errors="replace"), parse_float=Decimal)
    except ValueError:
        return None


def retry_wait(resp: requests.Response, clock: Callable[[], float]) -> float:
    """How long a 429 asks us to wait: Retry-After (seconds or an HTTP date),
    else the message's "Try again in N seconds", else to the next minute."""
    header = resp.headers.get("Retry-After", "").strip()
    wait: float | None = None
    if header.isdigit():
        wait = float(header)
    elif header:
        try:
            wait = email.utils.parsedate_to_datetime(header).timestamp() - clock()
        except (TypeError, ValueError):
            wait = None
    if wait is None:
        body = decode(resp)
        found = TRY_AGAIN.search(str(body.get("DeveloperErrorMessage", ""))) if isinstance(body, dict) else None
        wait = float(found.group(1)) if found else 60.0 - clock() % 60.0
    return min(max(wait, 0.0), MAX_RETRY_WAIT)


def refusal(resp: requests.Response, endpoint: str) -> Exception:
    """The error for a 4xx that is not 401 or 429."""
    body = decode(resp)
    fields = body if isinstance(body, dict) else {}
    code = fields.get("ErrorCode")
    if resp.status_code == 400 and code in COMPANY_STATES:
        return CompanyUnavailable(int(code), fields.get("DeveloperErrorMessage"))
    if (resp.status_code == 403 and code in (None, 4006)) or code == 4006:
        resource = endpoint.split("/", 1)[0].lower()
        return MissingScope(endpoint, READ_SCOPES.get(resource, ()), fields.get("DeveloperErrorMessage"))
    return ApiError(f"eEkonomi refused GET {endpoint}", status=resp.status_code, body=body)


class Client:
    """GETs against the API for one company (one TokenKeeper).  Calls wait
    for the installation's rate limit (``shared()`` unless one is given)."""

    def __init__(self, settings: Settings, keeper: TokenKeeper, *, limiter: RateLimit | None = None,
                 session: requests.Session | None = None, timeout: float = 30.0, max_retries: int = 4,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.keeper = keeper
        self.limiter = limiter if limiter is not None else shared()
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.max_retries = max_retries
        self.sleep = sleep
        self.clock = clock
        self.calls: collections.Counter[str] = collections.Counter()

    @property
    def refreshes(self) -> int:
        return self.keeper.refreshes

    def get(self, path: str, params: dict[str, Any] | None = None, *, endpoint: str | None = None) -> Any:
        """The body of ``GET api_base + path``: a bare object or a list envelope."""
        endpoint = endpoint or endpoint_of(path)
        resp = self._send(urljoin(self.settings.api_base, path.lstrip("/")), params, endpoint, authorised=True)
        body = decode(resp)
        if body is None and resp.content:
            raise ApiError(f"eEkonomi answered GET {endpoint} with something that is not JSON", status=resp.status_code)
        return body

    def pages(self, path: str, params: dict[str, Any] | None = None, *, endpoint: str | None = None,
              page_size: int = 1000) -> Iterator[Page]:
        """Every page of a list, from ``$page=1``.  An empty list gives one
        empty page (its Meta still carries ServerTimeUtc)."""
        endpoint = endpoint or endpoint_of(path)
        for number in range(1, MAX_PAGES + 1):
            body = self.get(path, {**(params or {}), "$page": number, "$pagesize": page_size}, endpoint=endpoint)
            if not isinstance(body, dict) or not isinstance(body.get("Data"), list):
                raise ApiError(f"eEkonomi answered GET {endpoint} without a list envelope")
            meta = body.get("Meta") if isinstance(body.get("Meta"), dict) else {}
            yield Page(body["Data"], meta)
            total, current = meta.get("TotalNumberOfPages"), meta.get("CurrentPage", number)
            if not body["Data"] or not isinstance(total, int) or not isinstance(current, int) or current >= total:
                return
        raise ApiError(f"eEkonomi's paging of {endpoint} did not end after {MAX_PAGES} pages")

    def download(self, url: str) -> bytes:
        """The file behind a temporary URL (absolute; it carries its own
        authorisation, so no bearer token is sent)."""
        resp = self._send(url, None, "files", authorised=False)
        return resp.content

    def _send(self, url: str, params: dict[str, Any] | None, endpoint: str, *, authorised: bool) -> requests.Response:
        """One GET with the retries of research 1.6: a 401 refreshes once, a 429
        waits as told, 5xx and network failures back off; all bounded."""
        refreshed, limited, failed = False, 0, 0
        while True:
            headers = {"Accept": "application/json"}
            if authorised:
                self.limiter.acquire(endpoint, client_id=self.settings.client_id or "")
                token = self.keeper.access_token()
                headers["Authorization"] = f"Bearer {token}"
            self.calls[endpoint] += 1
            try:
                resp = self.session.get(url, params=params, headers=headers, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                failed += 1
                self._back_off(failed, f"GET {endpoint} failed: {exc}")
                continue
            status = resp.status_code
            if status < 400:
                return resp
            if status == 401 and authorised:
                if refreshed:
                    raise ReconnectNeeded("eEkonomi refused a freshly refreshed access token")
                self.keeper.refresh(stale=token)
                refreshed = True
            elif status == 429:
                limited += 1
                if limited > self.max_retries:
                    raise RateLimited(f"eEkonomi still limits GET {endpoint} after {self.max_retries} waits")
                self.sleep(retry_wait(resp, self.clock))
            elif status >= 500:
                failed += 1
                self._back_off(failed, f"eEkonomi answered GET {endpoint} with HTTP {status}")
            elif not authorised and status in (403, 404, 410):
                raise LinkExpired("the temporary file link has expired: read the attachment again for a new one",
                                  status=status)
            else:
                raise refusal(resp, endpoint)

    def _back_off(self, failures: int, what: str) -> None:
        """Wait 0.5, 1, 2, 4 … s after each failure; give up after max_retries retries."""
        if failures > self.max_retries:
            raise ApiUnavailable(f"{what} ({failures} attempts)")
        self.sleep(0.5 * 2 ** (failures - 1))

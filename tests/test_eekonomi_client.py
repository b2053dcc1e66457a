"""The eEkonomi plugin's transport (settings, oauth, client, ratelimit) over
real HTTP against the emulator on a thread: the code flow, refresh rotation,
retries, error mapping, paging, Decimal money, file links and the rate limit."""

from __future__ import annotations

import os
import threading
import time
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ekonomi.plugins.eekonomi import oauth
from ekonomi.plugins.eekonomi.client import Client, Page, TokenKeeper, endpoint_of, retry_wait
from ekonomi.plugins.eekonomi.emulator import create_app, running
from ekonomi.plugins.eekonomi.errors import (ApiError, ApiUnavailable, CompanyUnavailable, LinkExpired, MissingScope,
                                             NotConnected, RateLimited, ReconnectNeeded)
from ekonomi.plugins.eekonomi.oauth import Tokens
from ekonomi.plugins.eekonomi.ratelimit import WINDOW_S, RateLimit
from ekonomi.plugins.eekonomi.settings import SCOPES, Settings

REDIRECT = "http://127.0.0.1:8080/eekonomi/callback"
NO_SALES = "ea:api offline_access ea:accounting_readonly ea:purchase_readonly"
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="module")
def server():
    with running(create_app()) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def fresh(server):
    assert requests.post(f"{server.base}/_emulator/reset", timeout=30).status_code == 200


@pytest.fixture
def settings(server) -> Settings:
    return Settings(api_base=server.api_base, identity_base=server.identity_base, client_id="ekonomi-local",
                    client_secret="ekonomi-local-secret", redirect_uri=REDIRECT)


def control(server, what: str, body: Any = None, method: str = "post") -> Any:
    resp = requests.request(method, f"{server.base}/_emulator/{what}", json=body, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def api_log(server) -> list[dict[str, Any]]:
    return [r for r in control(server, "requests", method="get") if r["path"].startswith(("/v2/", "/connect/token"))]


def connect(settings: Settings, scope: str = SCOPES, state: str = "csrf-1") -> Tokens:
    """The whole code flow as a browser would run it: the identity server
    redirects at once to the redirect URI with the code."""
    resp = requests.get(oauth.authorize_url(settings, state, scope=scope), allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return oauth.exchange_code(settings, query["code"][0])


class Harness:
    """A client for one connected company, recording saves and sleeps."""

    def __init__(self, settings: Settings, tokens: Tokens | None, *, clock=time.time, limiter: RateLimit | None = None,
                 max_retries: int = 4) -> None:
        self.events: list[tuple[str, Any]] = []
        self.saved: list[Tokens] = []
        self.sleeps: list[float] = []
        session = requests.Session()
        session.hooks["response"].append(lambda r, *a, **k: self.events.append(("call", r.status_code)))
        self.keeper = TokenKeeper(settings, tokens, self.save, clock=clock)
        self.client = Client(settings, self.keeper, limiter=limiter or RateLimit(), session=session,
                             max_retries=max_retries, sleep=self.sleeps.append)

    def save(self, tokens: Tokens) -> None:
        self.events.append(("save", tokens.refresh_token))
        self.saved.append(tokens)


@pytest.fixture
def harness(settings) -> Harness:
    return Harness(settings, connect(settings))


def floats_in(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [f for v in value.values() for f in floats_in(v)]
    if isinstance(value, list):
        return [f for v in value for f in floats_in(v)]
    return [value] if isinstance(value, float) else []


# -- settings and oauth ---------------------------------------------------------------------
def test_settings_from_env_default_to_the_real_service(monkeypatch):
    for name in ("API_BASE", "IDENTITY_BASE", "CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI"):
        monkeypatch.delenv(f"EKONOMI_EEKONOMI_{name}", raising=False)
    assert Settings.from_env() == Settings("https://eaccountingapi.vismaonline.com/v2/", "https://identity.vismaonline.com",
                                           None, None, None)
    monkeypatch.setenv("EKONOMI_EEKONOMI_API_BASE", "http://127.0.0.1:9/v2")
    monkeypatch.setenv("EKONOMI_EEKONOMI_CLIENT_ID", "me")
    assert Settings.from_env().api_base == "http://127.0.0.1:9/v2/" and Settings.from_env().client_id == "me"


def test_authorize_url_carries_every_parameter(settings):
    url = urlsplit(oauth.authorize_url(settings, "st4te", prompt="login"))
    assert f"{url.scheme}://{url.netloc}{url.path}" == settings.identity_base + "/connect/authorize"
    assert parse_qs(url.query) == {
        "client_id": ["ekonomi-local"], "redirect_uri": [REDIRECT], "scope": [SCOPES], "state": ["st4te"],
        "response_type": ["code"], "prompt": ["login"],
        "acr_values": ["service:44643EB1-3F76-4C1C-A672-402AE8085934 forceselectcompany:true"]}
    assert "prompt" not in parse_qs(urlsplit(oauth.authorize_url(settings, "s")).query)


def test_code_flow_gives_tokens(server, settings):
    before = time.time()
    tokens = connect(settings)
    assert tokens.access_token and tokens.refresh_token and set(tokens.scope.split()) == set(SCOPES.split())
    assert before + 3600 <= tokens.expires_at <= time.time() + 3600  # from expires_in
    token_calls = [r for r in api_log(server) if r["path"] == "/connect/token"]
    assert [r["status"] for r in token_calls] == [200]


def test_a_used_code_or_refresh_token_means_reconnect(server, settings):
    tokens = connect(settings)
    new = oauth.refresh(settings, tokens.refresh_token)
    assert new.refresh_token != tokens.refresh_token and new.access_token != tokens.access_token
    with pytest.raises(ReconnectNeeded) as refused:
        oauth.refresh(settings, tokens.refresh_token)  # single-use: already spent
    assert refused.value.code == "eekonomi.reconnect" and "connect the company to eEkonomi again" in refused.value.message
    control(server, "faults", {"fault": "revoke_refresh_token"})
    keeper = TokenKeeper(settings, new, lambda t: None)
    with pytest.raises(ReconnectNeeded):
        keeper.refresh()
    assert keeper.tokens == new and keeper.refreshes == 0


def test_no_tokens_means_not_connected(settings):
    harness = Harness(settings, None)
    with pytest.raises(NotConnected) as refused:
        harness.client.get("fiscalyears")
    assert refused.value.code == "eekonomi.not_connected" and harness.events == []


# -- tokens ---------------------------------------------------------------------------------
def test_401_refreshes_once_saves_the_new_tokens_before_the_next_call(server, harness):
    old = harness.keeper.tokens
    control(server, "faults", {"fault": "401_next_call"})
    assert harness.client.get("fiscalyears")["Data"]
    assert harness.client.refreshes == 1 and harness.saved == [harness.keeper.tokens]
    assert harness.saved[0].refresh_token != old.refresh_token
    assert harness.events == [("call", 401), ("save", harness.saved[0].refresh_token), ("call", 200)]


def test_a_second_401_after_the_refresh_means_reconnect(server, harness):
    control(server, "faults", {"fault": "401_next_call", "times": 2})
    with pytest.raises(ReconnectNeeded):
        harness.client.get("fiscalyears")
    assert harness.client.refreshes == 1 and harness.client.calls["fiscalyears"] == 2


def test_401_mid_paging_refreshes_once_and_paging_goes_on(server, harness):
    control(server, "faults", {"fault": "401_next_call", "after_n_calls": 1})
    pages = list(harness.client.pages("vouchers"))
    ids = [v["Id"] for page in pages for v in page.items]
    assert len(pages) == 3 and len(ids) == len(set(ids)) == pages[0].meta["TotalNumberOfResults"] == 2500
    assert harness.client.refreshes == 1 and harness.client.calls["vouchers"] == 4


def test_access_token_expiring_between_pages(server, harness):
    items = []
    for page in harness.client.pages("vouchers", endpoint="vouchers"):
        items += page.items
        if page.meta["CurrentPage"] == 1:
            control(server, "clock", {"advance_seconds": 3601})  # past access_token_ttl on the server
    assert len(items) == 2500 and harness.client.refreshes == 1


def test_proactive_refresh_when_under_a_minute_is_left(server, settings):
    offset = [0.0]
    harness = Harness(settings, connect(settings), clock=lambda: time.time() + offset[0])
    harness.client.get("fiscalyears")
    offset[0] = 3600 - 30
    harness.client.get("fiscalyears")
    assert harness.client.refreshes == 1
    assert harness.events == [("call", 200), ("save", harness.saved[0].refresh_token), ("call", 200)]
    assert [(r["path"], r["status"]) for r in api_log(server)] == [
        ("/connect/token", 200), ("/v2/fiscalyears", 200), ("/connect/token", 200), ("/v2/fiscalyears", 200)]


def test_two_threads_refreshing_spend_the_refresh_token_once(settings, harness):
    stale = harness.keeper.tokens.access_token
    threads = [threading.Thread(target=harness.keeper.refresh, kwargs={"stale": stale}) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert harness.keeper.refreshes == 1 and len(harness.saved) == 1


# -- retries and errors ---------------------------------------------------------------------
def test_429_waits_as_retry_after_says_then_as_the_message_says(server, harness):
    control(server, "faults", {"fault": "429_after_n_calls", "n": 0, "retry_after": True, "seconds": 7})
    assert harness.client.get("fiscalyears")["Data"]
    control(server, "faults", {"fault": "429_after_n_calls", "n": 0, "retry_after": False, "seconds": 9})
    assert harness.client.get("fiscalyears")["Data"]
    assert harness.sleeps == [7.0, 9.0] and harness.client.calls["fiscalyears"] == 4


def test_429_without_any_hint_waits_for_the_next_minute_and_http_dates_count():
    bare = requests.Response()
    bare.status_code, bare._content = 429, b""
    assert retry_wait(bare, lambda: 1_000_000_035.0) == 45.0  # a minute starts at ..._020
    dated = requests.Response()
    dated.status_code, dated._content = 429, b""
    dated.headers["Retry-After"] = "Sun, 09 Sep 2001 01:46:50 GMT"  # epoch 1_000_000_010
    assert retry_wait(dated, lambda: 1_000_000_000.0) == 10.0


def test_429_for_good_gives_rate_limited(server, settings):
    harness = Harness(settings, connect(settings), max_retries=2)
    control(server, "faults", {"fault": "429_after_n_calls", "n": 0, "times": 10, "seconds": 3})
    with pytest.raises(RateLimited) as refused:
        harness.client.get("fiscalyears")
    assert refused.value.code == "eekonomi.rate_limited"
    assert harness.sleeps == [3.0, 3.0] and harness.client.calls["fiscalyears"] == 3


@pytest.mark.parametrize("fault", ["500_once", "503_once"])
def test_a_server_error_once_is_retried(server, harness, fault):
    control(server, "faults", {"fault": fault})
    assert harness.client.get("fiscalyears")["Data"]
    assert harness.sleeps == [0.5] and harness.client.calls["fiscalyears"] == 2


def test_server_errors_for_good_give_api_unavailable_after_the_retries(server, harness):
    control(server, "faults", {"fault": "503_once", "times": 100})
    with pytest.raises(ApiUnavailable) as refused:
        harness.client.get("fiscalyears")
    assert refused.value.code == "eekonomi.unavailable"
    assert harness.sleeps == [0.5, 1, 2, 4] and harness.client.calls["fiscalyears"] == 5
    assert len([r for r in api_log(server) if r["path"] == "/v2/fiscalyears"]) == 5


def test_connection_refused_gives_api_unavailable(settings, harness):
    dead = Client(Settings("http://127.0.0.1:9/v2/", settings.identity_base, "x", "y"), harness.keeper,
                  limiter=RateLimit(), max_retries=1, sleep=harness.sleeps.append)
    with pytest.raises(ApiUnavailable):
        dead.get("fiscalyears")
    assert harness.sleeps == [0.5] and dead.calls["fiscalyears"] == 2


def test_company_state_is_not_retried(server, harness):
    control(server, "faults", {"fault": "company_state", "state": "startup_guide_not_completed"})
    with pytest.raises(CompanyUnavailable) as refused:
        harness.client.get("fiscalyears")
    assert refused.value.code == "eekonomi.company_state" and refused.value.error_code == 4003
    assert "startup guide" in refused.value.message
    assert harness.client.calls["fiscalyears"] == 1 and harness.sleeps == []


def test_missing_scope_names_the_endpoint_and_the_scopes(settings):
    harness = Harness(settings, connect(settings, scope=NO_SALES))
    with pytest.raises(MissingScope) as refused:
        harness.client.get("companysettings")
    assert refused.value.code == "eekonomi.scope" and "companysettings" in refused.value.message
    assert "ea:sales_readonly" in refused.value.scopes and "ea:sales_readonly" in refused.value.message
    assert harness.client.calls["companysettings"] == 1
    assert harness.client.get("vouchers", {"$pagesize": 1})["Data"]


def test_other_refusals_carry_the_body(harness):
    with pytest.raises(ApiError) as refused:
        harness.client.get(f"vouchers/{uuid.uuid4()}/{uuid.uuid4()}")
    assert refused.value.code == "eekonomi.api_error" and refused.value.status == 404
    assert refused.value.error_code in (3000, 3001) and refused.value.error_id
    with pytest.raises(ApiError) as bad:
        harness.client.get("vouchers", {"$filter": "NoSuchField eq 1"})
    assert bad.value.status == 400 and bad.value.error_code == 2000 and bad.value.developer_message


# -- paging and money -----------------------------------------------------------------------
def test_an_empty_list_gives_one_empty_page_and_ends(server, harness):
    pages = list(harness.client.pages("vouchers", {"$filter": "VoucherText eq 'no such voucher'"}))
    assert len(pages) == 1 and pages[0].items == [] and pages[0].meta["TotalNumberOfPages"] == 0
    assert pages[0].meta["ServerTimeUtc"]


def test_pages_of_1000_and_money_as_decimal(server, harness):
    pages = list(harness.client.pages("vouchers"))
    assert [len(p.items) for p in pages] == [1000, 1000, 500] and all(isinstance(p, Page) for p in pages)
    queries = [r["query"] for r in api_log(server) if r["path"] == "/v2/vouchers"]
    assert queries == [{"$page": str(n), "$pagesize": "1000"} for n in (1, 2, 3)]
    assert floats_in([p.items for p in pages]) == []
    rows = [row for p in pages for v in p.items for row in v["Rows"]]
    assert any(isinstance(row["DebitAmount"], Decimal) for row in rows)
    assert sum(Decimal(row["DebitAmount"]) - Decimal(row["CreditAmount"]) for row in rows) == 0
    assert floats_in(harness.client.get("companysettings")) == []


def test_endpoint_keys():
    guid = str(uuid.uuid4())
    assert endpoint_of(f"vouchers/{guid}") == "vouchers/{id}"
    assert endpoint_of(f"/vouchers/{guid}/{guid.upper()}") == "vouchers/{id}/{id}"
    assert endpoint_of("accountbalances/1930/2026-01-31") == "accountbalances/{number}/{date}"
    assert endpoint_of("accountTypes") == "accounttypes"


# -- files ----------------------------------------------------------------------------------
def test_download_a_temporary_url_until_it_expires(server, harness):
    attachment = harness.client.get("attachments", {"$pagesize": 1})["Data"][0]
    content = harness.client.download(attachment["TemporaryUrl"])
    assert content.startswith(b"%PDF")
    control(server, "clock", {"advance_seconds": 660})
    with pytest.raises(LinkExpired) as refused:
        harness.client.download(attachment["TemporaryUrl"])
    assert refused.value.code == "eekonomi.link_expired" and isinstance(refused.value, ApiError)
    assert harness.client.calls["files"] == 2 and harness.sleeps == []
    fresh = harness.client.get(f"attachments/{attachment['Id']}")["TemporaryUrl"]
    assert harness.client.download(fresh) == content


# -- rate limit -----------------------------------------------------------------------------
class FakeTime:
    def __init__(self) -> None:
        self.now, self.sleeps = 1_000_000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_sixth_call_in_a_minute_waits_for_the_window():
    fake = FakeTime()
    limit = RateLimit(per_minute=5, sleep=fake.sleep, clock=fake, client_id="a")
    for _ in range(5):
        limit.acquire("vouchers/{id}")
        fake.now += 2
    assert fake.sleeps == []
    limit.acquire("fiscalyears")  # another endpoint counts alone
    limit.acquire("vouchers/{id}", client_id="b")  # and so does another client id
    assert fake.sleeps == []
    limit.acquire("vouchers/{id}")
    assert fake.sleeps == [WINDOW_S - 10.0]  # the first call of the window is a whole window ago now


def test_the_client_waits_for_its_limiter(server, settings):
    fake = FakeTime()
    harness = Harness(settings, connect(settings), limiter=RateLimit(per_minute=2, sleep=fake.sleep, clock=fake))
    for _ in range(3):
        harness.client.get("fiscalyears")
    assert fake.sleeps == [float(WINDOW_S)] and harness.client.calls["fiscalyears"] == 3


def test_redis_storage_is_shared_between_limiters():
    try:
        import redis
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means no usable Redis here
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")

    class Stop(Exception):
        pass

    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        raise Stop

    client_id = f"test-{uuid.uuid4()}"  # a fresh count, whatever ran before
    web, worker = (RateLimit(per_minute=5, storage_url=REDIS_URL, sleep=sleep, client_id=client_id) for _ in range(2))
    for limiter in (web, worker, web, worker, web):
        limiter.acquire("vouchers")
    with pytest.raises(Stop):
        worker.acquire("vouchers")
    assert WINDOW_S - 5 < waits[0] <= WINDOW_S
    worker.acquire("fiscalyears")


def test_a_timeout_is_retried(server, settings):
    harness = Harness(settings, connect(settings))
    harness.client.timeout = 0.2
    control(server, "faults", {"fault": "latency_ms", "ms": 600})
    assert harness.client.get("fiscalyears")["Data"]
    assert harness.sleeps == [0.5] and harness.client.calls["fiscalyears"] == 2


def test_an_identity_outage_does_not_stop_a_token_that_still_works(settings):
    offset = [3600 - 30.0]
    tokens = connect(settings)
    down = Settings(settings.api_base, "http://127.0.0.1:9", settings.client_id, settings.client_secret, REDIRECT)
    harness = Harness(down, tokens, clock=lambda: time.time() + offset[0])
    assert harness.client.get("fiscalyears")["Data"] and harness.client.refreshes == 0
    offset[0] = 3601
    with pytest.raises(ApiUnavailable):
        harness.client.get("fiscalyears")

"""The eEkonomi API emulator, over real HTTP on 127.0.0.1: the OAuth2 code
flow, list semantics, auth and scope errors, injected faults, the seed's
invariants and temporary file URLs (docs/eekonomi-emulator.md)."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click
import pytest
import requests

from ekonomi.plugins.eekonomi import hooks
from ekonomi.plugins.eekonomi.emulator import create_app, running
from ekonomi.plugins.eekonomi.emulator.schemas import SCHEMAS

CLIENT = ("ekonomi-local", "ekonomi-local-secret")
REDIRECT = "http://127.0.0.1:8080/eekonomi/callback"
SCOPES = "ea:api offline_access ea:accounting_readonly ea:sales_readonly ea:purchase_readonly"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")


@pytest.fixture(scope="module")
def server():
    with running(create_app()) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def fresh(server):
    assert requests.post(f"{server.base}/_emulator/reset", timeout=30).status_code == 200


def decoded(resp: requests.Response) -> Any:
    """A body as the plugin should read it: money as Decimal."""
    return json.loads(resp.text, parse_float=Decimal)


def authorize(server, scope: str = SCOPES, state: str = "csrf-1") -> str:
    resp = requests.get(f"{server.base}/connect/authorize", allow_redirects=False, timeout=10, params={
        "client_id": CLIENT[0], "redirect_uri": REDIRECT, "scope": scope, "state": state, "response_type": "code",
        "prompt": "login", "acr_values": "service:44643EB1-3F76-4C1C-A672-402AE8085934 forceselectcompany:true"})
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return query["code"][0]


def token(server, **form: str) -> requests.Response:
    return requests.post(f"{server.base}/connect/token", data=form, auth=CLIENT, timeout=10)


def connect(server, scope: str = SCOPES) -> dict[str, Any]:
    resp = token(server, grant_type="authorization_code", code=authorize(server, scope), redirect_uri=REDIRECT)
    assert resp.status_code == 200
    return resp.json()


class Api:
    def __init__(self, server, access_token: str) -> None:
        self.base, self.headers = server.api_base, {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, params=params, timeout=30)

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list, page by page (pages of 1000)."""
        items, page = [], 1
        while True:
            body = decoded(self.get(path, **{"$page": page, "$pagesize": 1000, **params}))
            items += body["Data"]
            if page >= body["Meta"]["TotalNumberOfPages"] or not body["Data"]:
                return items
            page += 1


@pytest.fixture
def api(server) -> Api:
    return Api(server, connect(server)["access_token"])


def control(server, what: str, body: Any = None, method: str = "post") -> Any:
    resp = requests.request(method, f"{server.base}/_emulator/{what}", json=body, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


# -- identity ------------------------------------------------------------------------------
def test_code_flow_end_to_end_with_single_use_refresh_tokens(server):
    code = authorize(server)
    first = token(server, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    body = first.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["refresh_token"]
    assert set(body["scope"].split()) == set(SCOPES.split())
    assert Api(server, body["access_token"]).get("fiscalyears").status_code == 200
    assert token(server, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json() == {"error": "invalid_grant"}

    # client credentials as form fields this time, as some clients send them
    refreshed = requests.post(f"{server.base}/connect/token", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": CLIENT[0], "client_secret": CLIENT[1]})
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["refresh_token"] != body["refresh_token"] and new["access_token"] != body["access_token"]
    assert Api(server, new["access_token"]).get("vouchers", **{"$pagesize": 1}).status_code == 200

    reused = token(server, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert (reused.status_code, reused.json()) == (400, {"error": "invalid_grant"})
    assert token(server, grant_type="refresh_token", refresh_token=new["refresh_token"]).status_code == 200


def test_token_endpoint_refusals(server):
    wrong_secret = requests.post(f"{server.base}/connect/token", auth=(CLIENT[0], "nope"), timeout=10,
                                 data={"grant_type": "authorization_code", "code": authorize(server), "redirect_uri": REDIRECT})
    assert (wrong_secret.status_code, wrong_secret.json()) == (401, {"error": "invalid_client"})
    other_redirect = token(server, grant_type="authorization_code", code=authorize(server), redirect_uri=REDIRECT + "x")
    assert other_redirect.json() == {"error": "invalid_grant"}
    assert token(server, grant_type="password", username="x").json() == {"error": "unsupported_grant_type"}
    no_offline = connect(server, "ea:api ea:accounting_readonly")
    assert "refresh_token" not in no_offline


def test_authorize_errors_go_back_to_the_client_or_stop(server):
    params = {"client_id": CLIENT[0], "redirect_uri": REDIRECT, "response_type": "code", "state": "s"}
    no_api_scope = requests.get(f"{server.base}/connect/authorize", params={**params, "scope": "ea:accounting_readonly"},
                                allow_redirects=False, timeout=10)
    assert parse_qs(urlsplit(no_api_scope.headers["Location"]).query) == {"error": ["invalid_scope"], "state": ["s"]}
    foreign = requests.get(f"{server.base}/connect/authorize", allow_redirects=False, timeout=10,
                           params={**params, "scope": SCOPES, "redirect_uri": "https://evil.example/cb"})
    assert foreign.status_code == 400 and "Location" not in foreign.headers


# -- list semantics ----------------------------------------------------------------------------
def test_vouchers_in_pages_of_1000_each_once_in_order(api):
    seen: list[dict[str, Any]] = []
    for page in (1, 2, 3):
        body = decoded(api.get("vouchers", **{"$page": page, "$pagesize": 1000}))
        meta = body["Meta"]
        assert {k: meta[k] for k in ("CurrentPage", "PageSize", "TotalNumberOfPages", "TotalNumberOfResults")} == {
            "CurrentPage": page, "PageSize": 1000, "TotalNumberOfPages": 3, "TotalNumberOfResults": 2500}
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", meta["ServerTimeUtc"])
        assert len(body["Data"]) == (1000 if page < 3 else 500)
        seen += body["Data"]
    assert len({v["Id"] for v in seen}) == 2500
    order = [(v["CreatedUtc"], v["Id"]) for v in seen]
    assert order == sorted(order)  # stable default order across pages
    past = decoded(api.get("vouchers", **{"$page": 4, "$pagesize": 1000}))
    assert past["Data"] == [] and past["Meta"]["CurrentPage"] == 4
    assert decoded(api.get("vouchers", **{"$pagesize": 5000}))["Meta"]["PageSize"] == 1000
    assert decoded(api.get("vouchers"))["Meta"]["PageSize"] == 50
    bad = api.get("vouchers", **{"$pagesize": 0})
    assert bad.status_code == 400 and bad.json()["ErrorCode"] == 2000


def test_filter_on_modified_utc_returns_exactly_the_changed_vouchers(server, api):
    since = decoded(api.get("vouchers", **{"$pagesize": 1}))["Meta"]["ServerTimeUtc"]
    assert api.all("vouchers", **{"$filter": f"ModifiedUtc gt {since}"}) == []
    control(server, "clock", {"advance_seconds": 2})
    old = api.all("vouchers", **{"$filter": "VoucherDate ge 2026-11-01 and VoucherDate le 2026-11-30T23:59:59.00Z"})[0]
    rows = [{"AccountNumber": 6570, "DebitAmount": 125.5}, {"AccountNumber": 1930, "CreditAmount": 125.5}]
    ops = [{"op": "add", "record": {"VoucherDate": "2026-12-01", "VoucherText": f"Ny {i}", "Rows": rows}} for i in range(3)]
    ops.append({"op": "modify", "id": old["Id"], "set": {"VoucherText": "Rättad text"}})
    changed = {r["Id"] for r in control(server, "mutate", {"ops": ops})["results"]}
    found = api.all("vouchers", **{"$filter": f"ModifiedUtc gt {since}"})
    assert {v["Id"] for v in found} == changed and len(changed) == 4
    assert {v["VoucherText"] for v in found} == {"Ny 0", "Ny 1", "Ny 2", "Rättad text"}
    numbers = [v["NumberAndNumberSeries"] for v in found if v["Id"] != old["Id"]]
    assert len(set(numbers)) == 3 and all(n.startswith("A") for n in numbers)
    legacy = api.all("vouchers", **{"$filter": f"ModifiedUtc gt datetime'{since[:-1]}' and not (VoucherText eq 'Ny 0')"})
    assert len(legacy) == 3


def test_orderby_select_and_bad_queries(api):
    newest = decoded(api.get("vouchers", **{"$orderby": "VoucherDate desc", "$pagesize": 3, "$select": "Id,VoucherDate"}))
    assert all(set(v) == {"Id", "VoucherDate"} for v in newest["Data"])
    assert newest["Data"][0]["VoucherDate"] == "2026-11-30"
    for query in ({"$filter": "Nonsense eq 1"}, {"$filter": "VoucherDate gt"}, {"$orderby": "VoucherDate sideways"},
                  {"$select": "Id,Nope"}):
        resp = api.get("vouchers", **query)
        assert resp.status_code == 400 and resp.json()["ErrorCode"] == 2000, query
    strings = api.all("accounts", **{"$filter": "Name eq 'Företagskonto'"})
    assert [a["Number"] for a in strings] == ["1930", "1930"]


# -- auth, scopes, faults ----------------------------------------------------------------------
def test_401_without_token_and_with_an_expired_one(server):
    bare = requests.get(server.api_base + "vouchers", timeout=10)
    assert bare.status_code == 401 and bare.headers["WWW-Authenticate"] == "Bearer" and bare.text == ""
    tokens = connect(server)
    api = Api(server, tokens["access_token"])
    assert api.get("fiscalyears").status_code == 200
    control(server, "clock", {"advance_seconds": 3600})
    expired = api.get("fiscalyears")
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"] and "expired" in expired.headers["WWW-Authenticate"]
    again = token(server, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert Api(server, again["access_token"]).get("fiscalyears").status_code == 200


def test_403_when_a_scope_is_missing(server):
    api = Api(server, connect(server, "ea:api offline_access ea:accounting_readonly ea:purchase_readonly")["access_token"])
    refused = api.get("companysettings")
    assert refused.status_code == 403 and refused.json()["ErrorCode"] == 4006
    assert api.get("customerinvoices").status_code == 403
    assert api.get("vouchers").status_code == 200 and api.get("supplierinvoices").status_code == 200


def test_429_with_retry_after_then_service_resumes(server, api):
    control(server, "faults", {"fault": "429_after_n_calls", "n": 1, "retry_after": True, "seconds": 30})
    assert api.get("fiscalyears").status_code == 200
    limited = api.get("fiscalyears")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "30"
    assert limited.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert limited.json()["ErrorCode"] == 4010
    assert limited.json()["DeveloperErrorMessage"].endswith("Try again in 30 seconds.")
    assert api.get("fiscalyears").status_code == 200


def test_429_without_retry_after_names_the_wait_in_the_message(server, api):
    control(server, "faults", {"fault": "drop_retry_after"})
    control(server, "config", {"rate_limit_per_min": 3})
    assert [api.get("fiscalyears").status_code for _ in range(3)] == [200, 200, 200]
    assert api.get("accounts", **{"$pagesize": 1}).status_code == 200  # counted per endpoint
    limited = api.get("fiscalyears")
    assert limited.status_code == 429 and "Retry-After" not in limited.headers
    message = limited.json()["DeveloperErrorMessage"]
    assert message.startswith("API calls quota exceeded! maximum admitted 3 per Minute.")
    assert 1 <= int(re.search(r"Try again in (\d+) seconds\.$", message).group(1)) <= 60
    control(server, "clock", {"advance_seconds": 60})
    assert api.get("fiscalyears").status_code == 200


def test_server_errors_once(server, api):
    control(server, "faults", [{"fault": "500_once"}, {"fault": "503_once", "after_n_calls": 1}])
    assert [api.get("projects").status_code for _ in range(3)] == [500, 503, 200]
    assert control(server, "faults", method="get") == []


def test_401_next_call_and_latency_on_their_paths(server, api):
    control(server, "faults", [{"fault": "401_next_call", "path": "/v2/customers"},
                               {"fault": "latency_ms", "ms": 300, "path": "/v2/projects"}])
    assert api.get("fiscalyears").status_code == 200  # neither path
    slow = api.get("projects")
    assert slow.status_code == 200 and slow.elapsed.total_seconds() >= 0.3
    assert [api.get("customers").status_code for _ in range(2)] == [401, 200]
    assert api.get("projects").elapsed.total_seconds() < 0.3


def test_company_state_4003_until_it_is_active_again(server, api):
    control(server, "faults", {"fault": "company_state", "state": "startup_guide_not_completed"})
    refused = api.get("vouchers")
    assert refused.status_code == 400 and refused.json()["ErrorCode"] == 4003
    control(server, "faults", {"fault": "company_state", "state": "active"})
    assert api.get("vouchers").status_code == 200


def test_revoked_refresh_token_is_invalid_grant(server):
    tokens = connect(server)
    control(server, "faults", {"fault": "revoke_refresh_token"})
    assert token(server, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json() == {"error": "invalid_grant"}


def test_request_log(server, api):
    control(server, "requests", method="delete")
    api.get("vouchers", **{"$pagesize": 10})
    requests.get(server.api_base + "vouchers", timeout=10)
    log = control(server, "requests", method="get")
    assert [(e["path"], e["status"], e.get("client_id")) for e in log] == [
        ("/v2/vouchers", 200, CLIENT[0]), ("/v2/vouchers", 401, None)]
    assert log[0]["query"] == {"$pagesize": "10"}


# -- the seed and the wire format --------------------------------------------------------------
def test_every_voucher_balances_and_is_numbered_once(api):
    vouchers = api.all("vouchers")
    assert len(vouchers) == 2500
    numbers: Counter[tuple[str, str]] = Counter()
    for v in vouchers:
        debit = sum((r["DebitAmount"] for r in v["Rows"]), Decimal(0))
        assert debit == sum((r["CreditAmount"] for r in v["Rows"]), Decimal(0)) and debit > 0, v["Id"]
        assert v["NumberAndNumberSeries"].startswith(v["NumberSeries"])
        numbers[(v["VoucherDate"][:4], v["NumberAndNumberSeries"])] += 1
    assert max(numbers.values()) == 1


def test_account_balances_are_opening_balances_plus_voucher_rows(api):
    years = api.all("fiscalyears")
    assert [(y["StartDate"], y["EndDate"]) for y in years] == [("2025-01-01", "2025-12-31"), ("2026-01-01", "2026-12-31")]
    expected: dict[int, Decimal] = defaultdict(Decimal)
    for row in api.all("fiscalyears/openingbalances"):
        expected[row["Number"]] += row["Balance"]
    assert sum(expected.values()) == 0
    vouchers = api.all("vouchers")
    for v in vouchers:
        if v["VoucherDate"] <= "2025-12-31":
            for r in v["Rows"]:
                expected[r["AccountNumber"]] += r["DebitAmount"] - r["CreditAmount"]
    got = {b["AccountNumber"]: b["Balance"] for b in api.all("accountbalances/2025-12-31")}
    assert got == {n: b for n, b in expected.items()}
    # the next year opens with the balance sheet, the year's result in 2099
    result = sum((b for n, b in expected.items() if n >= 3000), Decimal(0))
    second: dict[int, Decimal] = defaultdict(Decimal, {n: b for n, b in expected.items() if n < 3000})
    second[2099] += result
    for v in vouchers:
        if "2026-01-01" <= v["VoucherDate"] <= "2026-06-30":
            for r in v["Rows"]:
                second[r["AccountNumber"]] += r["DebitAmount"] - r["CreditAmount"]
    assert {b["AccountNumber"]: b["Balance"] for b in api.all("accountbalances/2026-06-30")} == dict(second)
    one = decoded(api.get("accountbalances/1930/2026-06-30"))
    assert one["Balance"] == second[1930] and one["AccountName"] == "Företagskonto"


def test_invoices_in_every_payment_state_agree_with_the_ledger(api):
    customer = api.all("customerinvoices")
    assert {i["PaymentStatus"] for i in customer} == {0, 1, 2}
    assert any(0 < i["RemainingAmount"] < i["TotalAmount"] for i in customer)  # partly paid
    assert any(i["IsCreditInvoice"] and i["TotalAmount"] < 0 for i in customer)
    supplier = api.all("supplierinvoices")
    assert {i["PaymentStatus"] for i in supplier} == {3, 4, 5, 6, 7}
    assert all(r.keys() >= {"DebetAmount", "CreditAmount"} and "DebitAmount" not in r for i in supplier for r in i["Rows"])
    ledger_items = api.all("customerledgeritems")
    balances = {b["AccountNumber"]: b["Balance"] for b in api.all("accountbalances/2026-11-30")}
    receivable = sum((i["RemainingAmount"] for i in customer), Decimal(0)) + sum(
        (i["RemainingAmountInvoiceCurrency"] for i in ledger_items), Decimal(0))
    assert balances[1510] == receivable
    assert balances[2440] == -sum((i["RemainingAmount"] for i in supplier), Decimal(0))
    unpaid = decoded(api.get(f"customerinvoices/{next(i['Id'] for i in customer if i['PaymentStatus'] == 2)}"))
    assert unpaid["RemainingAmount"] > 0 and unpaid["PaymentDate"] is None


def test_wire_format_follows_the_spec(server, api):
    voucher = decoded(api.get("vouchers", **{"$pagesize": 1}))["Data"][0]
    assert list(voucher) == [f for f, _, _ in SCHEMAS["VoucherApi"]]
    assert list(voucher["Rows"][0]) == [f for f, _, _ in SCHEMAS["VoucherRowApi"]]
    assert TIMESTAMP.match(voucher["ModifiedUtc"]) and TIMESTAMP.match(voucher["CreatedUtc"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", voucher["VoucherDate"])
    assert isinstance(voucher["Rows"][0]["AccountNumber"], int)
    raw = api.get("vouchers", **{"$pagesize": 1}).json()["Data"][0]["Rows"][0]
    assert isinstance(raw["DebitAmount"], float) and isinstance(raw["CreditAmount"], float)
    account = decoded(api.get("accounts", **{"$pagesize": 1}))["Data"][0]
    assert isinstance(account["Number"], str)
    settings = decoded(api.get("companysettings"))
    assert (settings["Name"], settings["CorporateIdentityNumber"]) == ("Demo eEkonomi AB", "559000-0001")
    assert "Meta" not in settings
    control(server, "config", {"date_style": "datetime"})
    assert decoded(api.get("fiscalyears"))["Data"][0]["StartDate"] == "2025-01-01T00:00:00"
    assert api.get("ACCOUNTTYPES").status_code == 200  # routes ignore case, as the real API's do
    first_year, second_year = (y["Id"] for y in decoded(api.get("fiscalyears"))["Data"])
    assert voucher["VoucherDate"].startswith("2025")
    assert decoded(api.get(f"vouchers/{first_year.upper()}/{voucher['Id'].upper()}"))["Id"] == voucher["Id"]
    assert api.get(f"vouchers/{second_year}/{voucher['Id']}").status_code == 404  # not that year's
    missing = api.get(f"vouchers/{first_year}/00000000-0000-0000-0000-000000000001")
    assert missing.status_code == 404 and missing.json()["ErrorCode"] == 3000
    assert api.get("vouchers/00000000-0000-0000-0000-000000000001").json()["ErrorCode"] == 3001


def test_attachment_temporary_url_works_then_expires(server, api):
    voucher = next(v for v in api.all("vouchers", **{"$filter": "VoucherType eq 7"}) if v["Attachments"]["AttachmentIds"])
    assert voucher["Attachments"]["DocumentType"] == 3 and voucher["Attachments"]["DocumentId"] == voucher["Id"]
    attachment_id = voucher["Attachments"]["AttachmentIds"][0]
    attachment = decoded(api.get(f"attachments/{attachment_id}"))
    assert attachment["DocumentId"] == voucher["Id"] and attachment["AttachedDocumentType"] == 3
    url = attachment["TemporaryUrl"]
    download = requests.get(url, timeout=10)
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")
    assert download.headers["Content-Type"] == "application/pdf"
    control(server, "clock", {"advance_seconds": 601})
    assert requests.get(url, timeout=10).status_code == 403
    fresh = decoded(Api(server, connect(server)["access_token"]).get(f"attachments/{attachment_id}"))["TemporaryUrl"]
    assert fresh != url and requests.get(fresh, timeout=10).content == download.content
    without = decoded(api.get("attachments", includeTemporaryUrl="false", **{"$pagesize": 5}))
    assert all(a["TemporaryUrl"] is None for a in without["Data"])


def test_fixture_round_trip_and_empty_company(server, api):
    before = {b["AccountNumber"]: b["Balance"] for b in api.all("accountbalances/2026-11-30")}
    fixture = control(server, "fixture", method="get")
    control(server, "seed", {"generate": {"empty": True}})
    empty = decoded(api.get("vouchers"))
    assert empty["Data"] == [] and empty["Meta"]["TotalNumberOfPages"] == 0 and empty["Meta"]["TotalNumberOfResults"] == 0
    assert api.get("vouchers", **{"$filter": "Nope eq 1"}).status_code == 400  # names checked against the schema
    assert api.get("vouchers", **{"$filter": "modifiedutc gt 2026-01-01"}).status_code == 200
    control(server, "seed", fixture)
    assert {b["AccountNumber"]: b["Balance"] for b in api.all("accountbalances/2026-11-30")} == before


def test_the_command_comes_through_the_hook():
    cli = click.Group()
    hooks.ekonomi_commands(cli=cli)
    assert "eekonomi-emulator" in cli.commands
    params = {p.name for p in cli.commands["eekonomi-emulator"].params}
    assert {"port", "seed", "host"} <= params


def test_post_voucher_needs_the_write_scope_and_a_balanced_voucher(server, api):
    body = {"VoucherDate": "2026-12-01", "VoucherText": "Kaffe", "Rows": [
        {"AccountNumber": 5460, "DebitAmount": 100.0, "CreditAmount": 0}, {"AccountNumber": 1930, "DebitAmount": 0, "CreditAmount": 100.0}]}
    assert requests.post(api.base + "vouchers", json=body, headers=api.headers, timeout=10).status_code == 403
    writer = Api(server, connect(server, "ea:api ea:accounting")["access_token"])
    created = requests.post(writer.base + "vouchers", json=body, headers=writer.headers, timeout=10)
    assert created.status_code == 201
    voucher = decoded(created)
    numbers = [int(v["NumberAndNumberSeries"][1:]) for v in api.all("vouchers", **{"$filter": "VoucherDate ge 2026-01-01 and NumberSeries eq 'A'"})]
    assert voucher["NumberAndNumberSeries"] == f"A{max(numbers)}" and max(numbers) == len(numbers)
    assert voucher["Rows"][0]["AccountDescription"] == "Förbrukningsmaterial"
    unbalanced = {**body, "Rows": [{**body["Rows"][0], "DebitAmount": 100.01}, body["Rows"][1]]}
    refused = requests.post(writer.base + "vouchers", json=unbalanced, headers=writer.headers, timeout=10)
    assert refused.status_code == 400 and refused.json()["Errors"][0]["Field"] == "Rows"
    locked = requests.post(writer.base + "vouchers", json={**body, "VoucherDate": "2025-06-01"}, headers=writer.headers, timeout=10)
    assert locked.status_code == 400 and locked.json()["ErrorCode"] == 4026


def test_page_drift_adds_a_voucher_between_pages(server, api):
    control(server, "faults", {"fault": "page_drift"})
    first = decoded(api.get("vouchers", **{"$pagesize": 1000}))["Meta"]["TotalNumberOfResults"]
    second = decoded(api.get("vouchers", **{"$pagesize": 1000, "$page": 2}))["Meta"]["TotalNumberOfResults"]
    assert (first, second) == (2500, 2501)


def test_a_payment_changes_the_invoice_and_modified_since(server, api):
    open_invoice = next(i for i in api.all("customerinvoices") if i["PaymentStatus"] == 2)
    control(server, "clock", {"advance_seconds": 5})
    since = control(server, "clock", method="get")["now"]
    assert api.all("customerinvoices", modifiedSinceUtc=since) == []
    control(server, "mutate", {"op": "pay", "kind": "customerinvoices", "id": open_invoice["Id"],
                               "amount": float(open_invoice["RemainingAmount"])})
    changed = api.all("customerinvoices", modifiedSinceUtc=since)
    assert [i["Id"] for i in changed] == [open_invoice["Id"]]
    assert changed[0]["PaymentStatus"] == 0 and changed[0]["RemainingAmount"] == 0 and changed[0]["PaymentDate"] == "2026-12-01"
    last = decoded(api.get("vouchers", **{"$orderby": "CreatedUtc desc", "$pagesize": 1}))["Data"][0]
    voided = control(server, "mutate", {"op": "void", "id": last["Id"]})["results"][0]
    assert voided["VoucherText"] == f"Korrigering av {last['NumberAndNumberSeries']}"
    reversed_rows = [(Decimal(str(r["DebitAmount"])), Decimal(str(r["CreditAmount"]))) for r in voided["Rows"]]
    assert reversed_rows == [(r["CreditAmount"], r["DebitAmount"]) for r in last["Rows"]]


def test_the_company_is_chosen_at_consent_and_bound_to_the_token(server):
    fixture = control(server, "fixture", method="get")
    other = json.loads(json.dumps(fixture["companies"][0]))
    other["Id"], other["CompanySettings"]["Name"] = "0b5d3c1e-0000-4000-8000-000000000002", "Andra Bolaget AB"
    control(server, "seed", {"companies": [fixture["companies"][0], other]})
    chooser = requests.get(f"{server.base}/connect/authorize", timeout=10, params={
        "client_id": CLIENT[0], "redirect_uri": REDIRECT, "scope": SCOPES, "state": "s", "response_type": "code",
        "acr_values": "forceselectcompany:true"}, allow_redirects=False)
    assert chooser.status_code == 200 and "Andra Bolaget AB" in chooser.text
    link = re.search(r'href="([^"]*0b5d3c1e[^"]*)"', chooser.text).group(1).replace("&amp;", "&")
    chosen = requests.get(link, allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(chosen.headers["Location"]).query)["code"][0]
    access = token(server, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()["access_token"]
    assert decoded(Api(server, access).get("companysettings"))["Name"] == "Andra Bolaget AB"
    plain = requests.get(f"{server.base}/connect/authorize", allow_redirects=False, timeout=10, params={
        "client_id": CLIENT[0], "redirect_uri": REDIRECT, "scope": SCOPES, "response_type": "code"})
    code = parse_qs(urlsplit(plain.headers["Location"]).query)["code"][0]  # without the choice: the first company
    access = token(server, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()["access_token"]
    assert decoded(Api(server, access).get("companysettings"))["Name"] == "Demo eEkonomi AB"


def test_plugin_code_never_imports_the_emulator():
    from pathlib import Path

    root = Path(hooks.__file__).resolve().parent
    for path in root.rglob("*.py"):
        if "emulator" in path.relative_to(root).parts or path.name == "hooks.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "emulator" not in text, f"{path} mentions the emulator"


def test_sie4_export_is_a_valid_sie_file_of_the_same_books(api, tmp_path):
    from ekonomi.plugins.sie4.check import check_file, importable

    document = decoded(api.get("sie4export/2025-01-01/2025-12-31"))
    assert document["Name"] == "SIE4_20250101_20251231.se" and document["Size"] > 0
    path = tmp_path / document["Name"]
    path.write_bytes(requests.get(document["TemporaryUrl"], timeout=30).content)
    report = check_file(path)
    assert importable(report), report["issues"]
    assert report["counts"]["vouchers"] == len(api.all("vouchers", **{"$filter": "VoucherDate le 2025-12-31"}))
    text = path.read_bytes().decode("cp437")
    assert "#RAR 0 20250101 20251231" in text and "#IB 0 1930 290000.00" in text and "Företagskonto" in text
    part = requests.get(decoded(api.get("sie4export/2026-03-01/2026-03-31"))["TemporaryUrl"], timeout=30).content.decode("cp437")
    assert "#VER" in part and "#IB" not in part and "#RAR" not in part
    assert api.get("sie4export/2025-12-01/2026-01-31").status_code == 400


def test_a_seed_file_as_the_command_takes_it(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"generate": {"random_seed": 7, "vouchers": 1200}}), encoding="utf-8")
    with running(create_app(path)) as other:
        counts = requests.get(f"{other.base}/_emulator/companies", timeout=10).json()[0]["counts"]
        assert counts["vouchers"] == 1200
        too_few = requests.post(f"{other.base}/_emulator/seed", json={"generate": {"vouchers": 10}}, timeout=10)
        assert too_few.status_code == 400 and "at least" in too_few.json()["error"]

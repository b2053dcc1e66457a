"""The ``/v2/`` routes (E.5), read-only but for ``POST /vouchers``.  A list
goes: views of the records → ``$filter`` → order (``$orderby`` or the
stable default) → page → per-item extras (temporary URLs) → ``$select`` →
wire form.  Paths are matched without regard to case, as the real API does
(the app lower-cases them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from . import ledger, mutate, odata, paging
from .chart import ACCOUNT_TYPES, account_type
from .errors import FISCAL_YEAR_NOT_FOUND, bad_request, not_found
from .guard import check_call
from .state import current
from .store import Books, Record
from .schemas import SCHEMAS
from .views import SCHEMA_OF, ViewContext, shaped, view
from .wire import parse_instant, render

bp = Blueprint("api", __name__, url_prefix="/v2")
bp.before_request(check_call)
EPOCH = datetime(1900, 1, 1, tzinfo=timezone.utc)
WRITABLE_ROW_FIELDS = ("AccountNumber", "DebitAmount", "CreditAmount", "TransactionText", "CostCenterItemId1",
                       "CostCenterItemId2", "CostCenterItemId3", "ProjectId")
# the default, stable order of each list: CreatedUtc then Id where a record has them
ORDER: dict[str, Callable[[Record], Any]] = {
    "fiscalyears": lambda r: r["StartDate"],
    "accounts": lambda r: (books().table("fiscalyears")[r["FiscalYearId"]]["StartDate"], int(r["Number"])),
    "customers": lambda r: (len(r["CustomerNumber"] or ""), r["CustomerNumber"] or ""),
    "suppliers": lambda r: (len(r["SupplierNumber"] or ""), r["SupplierNumber"] or ""),
    "costcenters": lambda r: r["Number"],
    "projects": lambda r: r["Number"],
    "customerledgeritems": lambda r: r["InvoiceNumber"],
    "attachments": lambda r: (r["ImageDate"] or EPOCH, r["Id"]),
}


def books() -> Books:
    return g.books  # type: ignore[no-any-return]


def send(data: Any, status: int = 200) -> Response:
    config = current().config
    resp = jsonify(render(data, config.date_style, config.timestamp_fraction_digits))
    resp.status_code = status
    return resp


def views(kind: str, records: Iterable[Record] | None = None) -> list[Record]:
    context = ViewContext(books(), current().clock.today())
    items = [view(kind, r, context) for r in (books().table(kind).values() if records is None else records)]
    items.sort(key=ORDER.get(kind, lambda r: (r.get("CreatedUtc") or EPOCH, r.get("Id") or "")))
    return items


def listing(schema: str, items: list[Record], finish: Callable[[Record], Record] | None = None) -> Response:
    """One page of ``items`` (views of ``schema``, whose names ``$filter``,
    ``$orderby`` and ``$select`` may use)."""
    emulator, args = current(), request.args
    fields = odata.field_names(name for name, _, _ in SCHEMAS[schema])
    items = odata.apply_orderby(odata.apply_filter(items, args.get("$filter"), fields), args.get("$orderby"), fields)
    page, size = paging.page_args(args, emulator.config)
    chosen = items[(page - 1) * size : page * size]
    chosen = odata.apply_select([finish(r) for r in chosen] if finish else chosen, args.get("$select"), fields)
    return send(paging.envelope(chosen, page, size, len(items), emulator.clock.now()))


def list_of(kind: str, records: Iterable[Record] | None = None) -> Response:
    return listing(SCHEMA_OF[kind], views(kind, records))


@bp.before_request
def drift_voucher() -> None:
    """``page_drift``: a voucher booked between two page requests (runs
    after ``check_call``, before the list is read)."""
    page = request.args.get("$page", "1")
    if request.method != "GET" or not page.isdigit() or int(page) < 2:
        return
    if not current().faults.on_call(request.path, ("page_drift",)):
        return
    day = current().clock.today()
    mutate.apply(books(), {"op": "add", "record": {
        "VoucherDate": day.isoformat(), "VoucherText": "Bokförd under hämtningen", "Rows": [
            {"AccountNumber": 6570, "DebitAmount": Decimal("10.00")}, {"AccountNumber": 1930, "CreditAmount": Decimal("10.00")}]}},
        current().clock.now())


def path_date(text: str) -> date:
    value = parse_instant(text)
    if value is None or isinstance(value, datetime):
        raise bad_request(f"'{text}' is not a date (yyyy-MM-dd)", "date")
    return value


def fiscal_year(fiscal_year_id: str) -> Record:
    fy = books().table("fiscalyears").get(fiscal_year_id.lower())
    if fy is None:
        raise not_found("Fiscal year", FISCAL_YEAR_NOT_FOUND)
    return fy


# -- company, fiscal years, chart, balances -------------------------------------------
@bp.get("/companysettings")
def company_settings() -> Response:
    settings = dict(books().settings)
    settings["CompanyStatus"] = {"inactive": 0}.get(books().state, settings.get("CompanyStatus", 1))
    return send(shaped("CompanySettingsApi", settings))


@bp.get("/fiscalyears")
def fiscal_years() -> Response:
    return list_of("fiscalyears")


@bp.get("/fiscalyears/openingbalances")
def opening_balances() -> Response:
    years = books().fiscal_years()
    first = years[0]["Id"] if years else None
    items = [{"Name": (books().account(first, n) or {}).get("Name") if first else None, "Number": n, "Balance": b}
             for n, b in sorted(books().opening_balances.items())]
    return listing("OpeningBalancesApi", items)


@bp.get("/fiscalyears/<fiscal_year_id>")
def fiscal_year_one(fiscal_year_id: str) -> Response:
    return send(views("fiscalyears", [fiscal_year(fiscal_year_id)])[0])


@bp.get("/accounts")
def accounts() -> Response:
    return list_of("accounts")


@bp.get("/accounts/<fiscal_year_id>")
def accounts_of_year(fiscal_year_id: str) -> Response:
    fy = fiscal_year(fiscal_year_id)
    return list_of("accounts", [a for a in books().table("accounts").values() if a["FiscalYearId"] == fy["Id"]])


@bp.get("/accounts/<fiscal_year_id>/<int:number>")
def account_one(fiscal_year_id: str, number: int) -> Response:
    account = books().account(fiscal_year(fiscal_year_id)["Id"], number)
    if account is None:
        raise not_found("Account", 3002)
    return send(views("accounts", [account])[0])


@bp.get("/accounttypes")
def account_types() -> Response:
    return listing("AccountTypesApi", [{"Type": t, "TypeDescription": d} for t, d, _, _ in ACCOUNT_TYPES])


def balance_items(day: date) -> list[Record]:
    fy = books().fiscal_year_of(day)
    items = []
    for number, balance in ledger.balances(books(), day).items():
        account = books().account(fy["Id"], number) if fy else None
        kind, description = account_type(number)
        items.append({"AccountNumber": number, "AccountName": account["Name"] if account else None,
                      "Balance": balance, "AccountType": kind, "AccountTypeDescription": description})
    return items


@bp.get("/accountbalances/<day>")
def account_balances(day: str) -> Response:
    return listing("AccountBalanceApi", balance_items(path_date(day)))


@bp.get("/accountbalances/<int:number>/<day>")
def account_balance_one(number: int, day: str) -> Response:
    found = [b for b in balance_items(path_date(day)) if b["AccountNumber"] == number]
    if not found:
        kind, description = account_type(number)
        found = [{"AccountNumber": number, "AccountName": None, "Balance": Decimal(0), "AccountType": kind,
                  "AccountTypeDescription": description}]
    return send(found[0])


# -- vouchers -------------------------------------------------------------------------------
@bp.get("/vouchers")
def vouchers() -> Response:
    return list_of("vouchers")


@bp.get("/vouchers/<fiscal_year_id>")
def vouchers_of_year(fiscal_year_id: str) -> Response:
    fy = fiscal_year(fiscal_year_id)
    chosen = [v for v in books().table("vouchers").values() if fy["StartDate"] <= v["VoucherDate"] <= fy["EndDate"]]
    return list_of("vouchers", chosen)


@bp.get("/vouchers/<fiscal_year_id>/<voucher_id>")
def voucher_one(fiscal_year_id: str, voucher_id: str) -> Response:
    fy = fiscal_year(fiscal_year_id)
    voucher = books().get("vouchers", voucher_id)
    if not fy["StartDate"] <= voucher["VoucherDate"] <= fy["EndDate"]:
        raise not_found("Voucher")
    return send(views("vouchers", [voucher])[0])


@bp.post("/vouchers")
def voucher_create() -> Response:
    try:
        body = json.loads(request.get_data(as_text=True) or "null", parse_float=Decimal)
    except ValueError:
        raise bad_request("The body is not JSON") from None
    if not isinstance(body, dict) or not body.get("VoucherDate") or not isinstance(body.get("Rows"), list):
        raise bad_request("VoucherDate and Rows are required", "VoucherDate")
    record = {k: body[k] for k in ("VoucherDate", "VoucherText", "Rows", "VoucherType") if body.get(k) is not None}
    if request.args.get("useDefaultVoucherSeries", "true").lower() == "false" and body.get("NumberSeries"):
        record["NumberSeries"] = body["NumberSeries"]
    record["Rows"] = [{k: v for k, v in r.items() if k in WRITABLE_ROW_FIELDS} for r in record["Rows"] if isinstance(r, dict)]
    voucher = mutate.apply(books(), {"op": "add", "record": record}, current().clock.now())
    return send(views("vouchers", [voucher])[0], 201)

"""``/sie4export/{fromDate}/{toDate}``: the books as a SIE 4 file (CP437,
``#FORMAT PC8``), dates within one fiscal year.  A whole year carries #RAR
(this year and the one before), #IB, #UB and #RES; a part of one only
#KONTO and the vouchers, as the research notes describe the real export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from . import ledger
from .errors import bad_request
from .store import Books, Record

DIMENSIONS = {"CostCenterItemId1": 1, "ProjectId": 6}


def quoted(text: str | None) -> str:
    return '"' + (text or "").replace("\\", "/").replace('"', '\\"').replace("\n", " ") + '"'


def ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def export(books: Books, first: date, last: date, today: date) -> bytes:
    """The SIE 4 file for ``first``–``last``; a 400 if they are not in one fiscal year."""
    fy = books.fiscal_year_of(first)
    if fy is None or first > last or not fy["StartDate"] <= last <= fy["EndDate"]:
        raise bad_request("fromDate and toDate must lie within one fiscal year", "toDate")
    whole = (first, last) == (fy["StartDate"], fy["EndDate"])
    s = books.settings
    lines = ["#FLAGGA 0", "#FORMAT PC8", "#SIETYP 4", '#PROGRAM "Visma eEkonomi (emulator)" "1.0"', f"#GEN {ymd(today)}",
             f"#FNAMN {quoted(s.get('Name'))}", f"#ORGNR {s.get('CorporateIdentityNumber') or ''}", "#VALUTA SEK"]
    years = books.fiscal_years()
    before = next((y for y in reversed(years) if y["EndDate"] < fy["StartDate"]), None)
    if whole:
        lines += [f"#RAR {i} {ymd(y['StartDate'])} {ymd(y['EndDate'])}" for i, y in ((0, fy), (-1, before)) if y]
    for account in sorted((a for a in books.table("accounts").values() if a["FiscalYearId"] == fy["Id"]), key=lambda a: int(a["Number"])):
        lines.append(f"#KONTO {account['Number']} {quoted(account['Name'])}")
    lines += dimension_lines(books)
    if whole:
        for index, year in ((0, fy), (-1, before)):
            if year:
                lines += balance_lines(books, year, index)
    lines += voucher_lines(books, first, last)
    return ("\r\n".join(lines) + "\r\n").encode("cp437", errors="replace")


def dimension_lines(books: Books) -> list[str]:
    lines = ['#DIM 1 "Kostnadsställe"', '#DIM 6 "Projekt"']
    for centre in books.table("costcenters").values():
        lines += [f"#OBJEKT 1 {quoted(i['ShortName'])} {quoted(i['Name'])}" for i in centre.get("Items") or []]
    lines += [f"#OBJEKT 6 {quoted(p['Number'])} {quoted(p['Name'])}" for p in books.table("projects").values()]
    return lines


def balance_lines(books: Books, year: Record, index: int) -> list[str]:
    opening = ledger.opening(books, year)
    moved = ledger.movements(books, year)
    lines = [f"#IB {index} {n} {b:.2f}" for n, b in sorted(opening.items()) if ledger.is_balance_sheet(n)]
    for number in sorted(set(opening) | set(moved)):
        closing = opening.get(number, Decimal(0)) + moved.get(number, Decimal(0))
        label = "#UB" if ledger.is_balance_sheet(number) else "#RES"
        lines.append(f"{label} {index} {number} {closing:.2f}")
    return lines


def voucher_lines(books: Books, first: date, last: date) -> list[str]:
    codes = object_codes(books)
    lines: list[str] = []
    chosen = [v for v in books.table("vouchers").values() if first <= v["VoucherDate"] <= last]
    for v in sorted(chosen, key=lambda v: (v["NumberSeries"] or "", int(v["NumberAndNumberSeries"][len(v["NumberSeries"] or ""):] or 0))):
        number = v["NumberAndNumberSeries"][len(v["NumberSeries"] or ""):]
        lines += [f"#VER {quoted(v['NumberSeries'])} {quoted(number)} {ymd(v['VoucherDate'])} {quoted(v['VoucherText'])} {ymd(v['CreatedUtc'].date())}", "{"]
        for row in v["Rows"]:
            objects = " ".join(f"{dim} {quoted(codes[row[key]])}" for key, dim in DIMENSIONS.items() if row.get(key) in codes)
            amount = row["DebitAmount"] - row["CreditAmount"]
            lines.append(f"   #TRANS {row['AccountNumber']} {{{objects}}} {amount:.2f} {ymd(v['VoucherDate'])} {quoted(row.get('TransactionText'))}")
        lines.append("}")
    return lines


def object_codes(books: Books) -> dict[str, str]:
    """Cost centre items and projects by id → their SIE object codes."""
    codes = {p["Id"]: p["Number"] for p in books.table("projects").values()}
    for centre in books.table("costcenters").values():
        codes.update({i["Id"]: i["ShortName"] for i in centre.get("Items") or []})
    return codes

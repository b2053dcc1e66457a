"""The ``/v2/`` routes of the other records: cost centres, projects,
invoices, ledger items, customers, suppliers, attachments, documents."""

from __future__ import annotations

from datetime import datetime, time, timezone

from flask import Response, request

from .api import books, bp, list_of, listing, path_date, send, views
from .errors import bad_request, not_found
from .sie import export
from .state import current
from .store import Record, stable_id
from .wire import parse_instant


def one(kind: str, record_id: str) -> Response:
    return send(views(kind, [books().get(kind, record_id)])[0])


def with_link(item: Record) -> Record:
    """A fresh temporary URL for an attachment's or document's file."""
    emulator = current()
    if item["Id"] not in books().files:
        return {**item, "TemporaryUrl": None}
    url = emulator.files.issue(request.host_url, books().id, item, emulator.clock.now(), emulator.config.temporary_url_ttl)
    return {**item, "TemporaryUrl": url}


@bp.get("/costcenters")
def cost_centers() -> Response:
    return list_of("costcenters")


@bp.get("/costcenteritems/<item_id>")
def cost_center_item(item_id: str) -> Response:
    for centre in views("costcenters"):
        for item in centre["Items"] or []:
            if item["Id"] == item_id.lower():
                return send(item)
    raise not_found("Cost center item")


@bp.get("/projects")
def projects() -> Response:
    return list_of("projects")


@bp.get("/projects/<project_id>")
def project(project_id: str) -> Response:
    return one("projects", project_id)


@bp.get("/customerinvoices")
def customer_invoices() -> Response:
    items = views("customerinvoices")
    since = request.args.get("modifiedSinceUtc") or request.args.get("modifiedsinceutc")
    if since:  # the one explicit incremental parameter: ModifiedUtc ge since
        instant = parse_instant(since)
        if instant is None:
            raise bad_request(f"'{since}' is not a date", "modifiedSinceUtc")
        floor = instant if isinstance(instant, datetime) else datetime.combine(instant, time(0), tzinfo=timezone.utc)
        items = [i for i in items if i["ModifiedUtc"] and i["ModifiedUtc"] >= floor]
    return listing("CustomerInvoiceApi", items)


@bp.get("/customerinvoices/<invoice_id>")
def customer_invoice(invoice_id: str) -> Response:
    return one("customerinvoices", invoice_id)


@bp.get("/supplierinvoices")
def supplier_invoices() -> Response:
    return list_of("supplierinvoices")


@bp.get("/supplierinvoices/<invoice_id>")
def supplier_invoice(invoice_id: str) -> Response:
    return one("supplierinvoices", invoice_id)


@bp.get("/customerledgeritems")
def customer_ledger_items() -> Response:
    return list_of("customerledgeritems")


@bp.get("/customerledgeritems/<item_id>")
def customer_ledger_item(item_id: str) -> Response:
    return one("customerledgeritems", item_id)


@bp.get("/customers")
def customers() -> Response:
    return list_of("customers")


@bp.get("/customers/<customer_id>")
def customer(customer_id: str) -> Response:
    return one("customers", customer_id)


@bp.get("/suppliers")
def suppliers() -> Response:
    return list_of("suppliers")


@bp.get("/suppliers/<supplier_id>")
def supplier(supplier_id: str) -> Response:
    return one("suppliers", supplier_id)


def flag(name: str) -> bool:
    value = request.args.get(name) or request.args.get(name.lower())
    return value is None or value.lower() != "false"


@bp.get("/attachments")
def attachments() -> Response:
    items = views("attachments")
    if not flag("includeMatched"):
        items = [a for a in items if a["AttachmentStatus"] == 1]
    return listing("Attachment", items, with_link if flag("includeTemporaryUrl") else None)


@bp.get("/attachments/<attachment_id>")
def attachment(attachment_id: str) -> Response:
    item = views("attachments", [books().get("attachments", attachment_id)])[0]
    return send(with_link(item) if flag("includeTemporaryUrl") else item)


@bp.get("/documents/<document_id>")
def document(document_id: str) -> Response:
    return send(with_link(views("documents", [books().get("documents", document_id)])[0]))


@bp.get("/sie4export/<from_date>/<to_date>")
def sie4_export(from_date: str, to_date: str) -> Response:
    """A ``DocumentApi`` whose temporary URL serves the SIE 4 file."""
    first, last = path_date(from_date), path_date(to_date)
    emulator = current()
    content = export(books(), first, last, emulator.clock.today())
    did = stable_id(books().id, "sie4export", first, last)
    name = f"SIE4_{first:%Y%m%d}_{last:%Y%m%d}"
    books().files[did] = content
    document = books().put("documents", {"Id": did, "ContentType": "text/plain", "CreatedUtc": emulator.clock.now(),
                                         "Name": f"{name}.se", "NameWithoutExtension": name, "Size": len(content),
                                         "Type": 0, "Title": f"SIE4 {first} – {last}"})
    return send(with_link(views("documents", [document])[0]))

"""Voucher attachments (underlag): listed with their temporary download
links, each new one downloaded at once (a link expires and is never kept);
one whose link has expired meanwhile is asked for again."""

from __future__ import annotations

from typing import Any

from .client import Client
from .errors import LinkExpired
from .spool import Spool

VOUCHER, SUPPLIER_INVOICE = 3, 1  # AttachedDocumentType
UNMATCHED = 1  # AttachmentStatus: in the inbox, attached to nothing yet


def fetch_attachments(client: Client, spool: Spool, known: set[str], listed: bool) -> None:
    """Download the attachments not fetched before that belong to a voucher:
    all of them listed (``listed``: a year came whole), else those the
    changed vouchers name, one by one (the list has no time to filter on,
    and a sync of a few changes must not page through it)."""
    if listed:
        params = {"includeMatched": "true", "includeTemporaryUrl": "true"}
        items = (item for page in client.pages("attachments", params, endpoint="attachments", page_size=1000) for item in page.items)
    else:
        wanted = sorted(set(spool.attachment_vouchers) - known)
        items = (client.get(f"attachments/{i}", endpoint="attachments/{attachmentId}") for i in wanted)
    for item in items:
        attachment_id = str(item["Id"])
        if attachment_id in known or item.get("AttachmentStatus") == UNMATCHED or not voucher_of(item, spool):
            continue
        spool.attachments.append((item, spool.keep_file(attachment_id, _download(client, item))))


def voucher_of(item: dict[str, Any], spool: Spool) -> str | None:
    """The id of the voucher an attachment belongs to, where known."""
    if item.get("AttachedDocumentType") == VOUCHER and item.get("DocumentId"):
        return str(item["DocumentId"])
    return spool.attachment_vouchers.get(str(item["Id"]))


def _download(client: Client, item: dict[str, Any]) -> bytes:
    try:
        if item.get("TemporaryUrl"):
            return client.download(item["TemporaryUrl"])
    except LinkExpired:  # listed a while ago
        pass
    fresh = client.get(f"attachments/{item['Id']}", endpoint="attachments/{attachmentId}")  # a fresh link, once
    return client.download(fresh["TemporaryUrl"])

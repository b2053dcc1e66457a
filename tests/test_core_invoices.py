"""Invoices (an unpaid snapshot) and attachments (content-addressed, linked
to vouchers and invoices) through the store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from ekonomi.core import Attachment, AttachmentLink, FiscalYear, Invoice, Source, Voucher, VoucherRow, hookimpl
from ekonomi.core.engine.pipeline import ImportRequest, run_import


class Bundle(Source):
    """A push source whose 'raw' is the list of records to deliver."""

    name = "bundle"
    title = "Bundle"
    kind = "push"

    def fetch(self, ctx):
        return ctx.config["records"]

    def normalize(self, raw, ctx):
        yield from raw


@pytest.fixture
def bundle(pm, monkeypatch, tmp_path):
    monkeypatch.setenv("EKONOMI_FILE_STORE", str(tmp_path / "files"))
    src = Bundle()

    class Plugin:
        @hookimpl
        def ekonomi_sources(self):
            return [src]

    pm.register(Plugin(), name="bundle", builtin=True)
    return src


def invoice(number: str, remaining: str, kind: str = "customer") -> Invoice:
    return Invoice(kind, number, "6", "Sparlivs", date(2023, 3, 30), date(2023, 4, 29), "SEK",
                   Decimal("11250.00"), Decimal(remaining), Decimal(remaining), date(2023, 5, 31),
                   voucher_series="A", voucher_number="1")


def push(engine, pm, company, monkeypatch, records):
    # The bundle source reads its records from the context's config.
    import ekonomi.core.engine.pipeline as pipeline

    original = pipeline.ImportContext

    def with_records(*args, **kw):
        ctx = original(*args, **kw)
        ctx.config["records"] = records
        return ctx

    monkeypatch.setattr(pipeline, "ImportContext", with_records)
    try:
        return run_import(engine, pm, ImportRequest(company, source="bundle", started_by="erp-upload"))
    finally:
        monkeypatch.setattr(pipeline, "ImportContext", original)


def test_invoices_are_a_snapshot_and_attachments_link(engine, pm, company, bundle, monkeypatch, tmp_path):
    year = FiscalYear(date(2023, 1, 1), date(2023, 12, 31), 0)
    voucher = Voucher("A", "1", date(2023, 3, 30), "Faktura 1011", (VoucherRow("1510", Decimal("11250.00")), VoucherRow("3010", Decimal("-11250.00"))))
    pdf = b"%PDF-1.4 underlag"
    first = push(engine, pm, company, monkeypatch, [
        year, voucher, invoice("1011", "11250.00"), invoice("9", "100.00", "supplier"),
        Attachment("f1011.pdf", "application/pdf", data=pdf, links=(AttachmentLink("voucher", "A", "1", date(2023, 1, 1)),)),
        Attachment("copy.pdf", "application/pdf", data=pdf, links=(AttachmentLink("customer_invoice", invoice_number="1011"),)),
    ])
    assert first["status"] == "succeeded", first["issues"]
    assert first["counts"]["invoices"] == 2 and first["counts"]["attachments"] == 2
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT filename, sha256, size, voucher_id, invoice_id FROM attachment ORDER BY id")).all()
        vid = conn.execute(text("SELECT id FROM voucher")).scalar_one()
        inv = conn.execute(text("SELECT id, remaining_amount FROM invoice WHERE number = '1011'")).one()
    assert rows[0][3] == vid and rows[1][4] == inv[0]
    assert inv[1] == 1125000  # öre
    digest = rows[0][1]
    stored = list((tmp_path / "files").rglob(digest))
    assert len(stored) == 1 and stored[0].read_bytes() == pdf  # the same bytes are kept once

    # A new snapshot of customer invoices replaces the old one; supplier invoices stay.
    second = push(engine, pm, company, monkeypatch, [year, voucher, invoice("1012", "50.00")])
    assert second["status"] == "succeeded"
    with engine.connect() as conn:
        left = sorted(map(tuple, conn.execute(text("SELECT kind, number FROM invoice")).all()))
        links = conn.execute(text("SELECT voucher_id, invoice_id FROM attachment ORDER BY id")).all()
    assert left == [("customer", "1012"), ("supplier", "9")]
    with engine.connect() as conn:
        new_vid = conn.execute(text("SELECT id FROM voucher")).scalar_one()
    # The voucher was replaced by its new copy (same year, replace mode): the
    # attachment follows it.  The invoice is gone: that link is cleared, never dangling.
    assert new_vid != vid
    assert [tuple(x) for x in links] == [(new_vid, None), (None, None)]


def test_an_attachment_brought_again_is_stored_once(engine, pm, company, bundle, monkeypatch):
    """By its source_id (the newest file and name win, linked again), and
    without one when the same file, name and links come again."""
    year = FiscalYear(date(2023, 1, 1), date(2023, 12, 31), 0)
    voucher = Voucher("A", "1", date(2023, 3, 30), "Kvitto", (VoucherRow("6570", Decimal("10.00")), VoucherRow("1930", Decimal("-10.00"))))
    link = (AttachmentLink("voucher", "A", "1", date(2023, 1, 1)),)
    plain = Attachment("kvitto.pdf", "application/pdf", data=b"%PDF kvitto", links=link)
    keyed = Attachment("v1.pdf", "application/pdf", data=b"%PDF v1", links=link, source_id="att-1")
    assert push(engine, pm, company, monkeypatch, [year, voucher, plain, keyed])["status"] == "succeeded"
    again = keyed._replace(filename="v2.pdf", data=b"%PDF v2")
    assert push(engine, pm, company, monkeypatch, [year, voucher, plain, again])["status"] == "succeeded"
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT filename, source_id, voucher_id IS NOT NULL FROM attachment ORDER BY filename")).all()
    assert [tuple(r) for r in rows] == [("kvitto.pdf", None, True), ("v2.pdf", "att-1", True)]

"""Files behind temporary URLs (``/_files/{opaque}``): attachments and
documents are never returned inline; each read of the record hands out a
fresh URL that stops working ``temporary_url_ttl`` seconds later on the
emulator's clock (then ``403``, as an expired signed link does)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Link:
    company_id: str
    file_id: str
    content_type: str
    file_name: str
    expires: datetime


class TemporaryFiles:
    def __init__(self) -> None:
        self._links: dict[str, Link] = {}

    def issue(self, link_base: str, company_id: str, record: dict, now: datetime, ttl: int) -> str:
        """A new URL for ``record``'s file (``record`` an Attachment or a Document)."""
        token = secrets.token_urlsafe(24)
        name = record.get("FileName") or record.get("Name") or "file"
        self._links[token] = Link(company_id, record["Id"], record.get("ContentType") or "application/octet-stream",
                                  name, now + timedelta(seconds=ttl))
        return f"{link_base}_files/{token}"

    def resolve(self, token: str, now: datetime) -> Link | None:
        """The link behind ``token`` while it is valid, else None."""
        link = self._links.get(token)
        if link is None or now >= link.expires:
            return None
        return link

    def clear(self) -> None:
        self._links.clear()


def pdf_bytes(text: str) -> bytes:
    """A small, valid one-page PDF showing ``text``."""
    safe = text.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out.encode("latin-1")))
        out += f"{i} 0 obj\n{body}\nendobj\n"
    xref = len(out.encode("latin-1"))
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("latin-1")

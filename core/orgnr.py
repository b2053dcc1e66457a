"""Swedish organisation numbers: NNNNNN-NNNN."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"^(\d{6})-?(\d{4})$")
_LONG = re.compile(r"^(?:16|19|20)(\d{6})-?(\d{4})$")  # 12-digit form (personnummer, 16-prefix)


def normalize_orgnr(value: str | None) -> str | None:
    """``5566778899``, ``556677-8899`` or ``16556677-8899`` → ``556677-8899``;
    None for anything that is not an organisation number."""
    if not value:
        return None
    text = value.strip().replace(" ", "")
    m = _DIGITS.match(text) or _LONG.match(text)
    if not m:
        return None
    return f"{m.group(1)}-{m.group(2)}"


def luhn_ok(orgnr: str) -> bool:
    """The check digit of a normalised orgnr (or personnummer) is right."""
    digits = [int(c) for c in orgnr if c.isdigit()][-10:]
    total = 0
    for i, d in enumerate(digits):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    return total % 10 == 0

"""What one read of a SIE file reports besides its records (``sie check``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ekonomi.core import FiscalYear

_ZERO = Decimal(0)


@dataclass
class Stats:
    """What ``sie check`` counts (docs/contracts.md)."""

    vouchers: int = 0
    rows: int = 0
    added_rows: int = 0
    removed_rows: int = 0
    balances: int = 0
    period_balances: int = 0
    objects: int = 0
    debit: Decimal = _ZERO
    credit: Decimal = _ZERO
    declared_accounts: set[str] = field(default_factory=set)
    movements: dict[str, Decimal] = field(default_factory=dict)  # account -> Σ #TRANS

    @property
    def accounts(self) -> int:
        return len(self.declared_accounts | self.movements.keys())


@dataclass
class Summary:
    """The file's identity as read: type, program, company, years, encoding, checksum."""

    sietyp: int | None = None
    variant: str = "1"
    program: tuple[str | None, str | None] = (None, None)
    company_name: str | None = None
    orgnr: str | None = None
    fiscal_years: list[FiscalYear] = field(default_factory=list)
    encoding: str = "cp437"
    checksum: str = "absent"

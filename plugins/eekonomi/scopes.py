"""Which OAuth2 scopes each API resource accepts for reading (research
notes 1.2, from the operations' descriptions): the client names them when
one is missing; a test server enforces them."""

from __future__ import annotations

ACCOUNTING = ("ea:accounting", "ea:accounting_readonly")
SALES = ("ea:sales", "ea:sales_readonly")
PURCHASE = ("ea:purchase", "ea:purchase_readonly")

READ_SCOPES: dict[str, tuple[str, ...]] = {
    "companysettings": SALES, "fiscalyears": ACCOUNTING + SALES, "accounts": ACCOUNTING,
    "accountbalances": ACCOUNTING, "accounttypes": ACCOUNTING, "vouchers": ACCOUNTING, "vatcodes": ACCOUNTING,
    "sie4export": ACCOUNTING, "costcenters": ACCOUNTING + SALES + ("vls:api",),
    "costcenteritems": ACCOUNTING + SALES + ("vls:api",), "projects": ACCOUNTING + SALES + PURCHASE,
    "customerinvoices": SALES, "customers": SALES, "customerledgeritems": SALES, "supplierinvoices": PURCHASE,
    "suppliers": PURCHASE, "allocationperiods": PURCHASE, "attachments": ACCOUNTING + PURCHASE,
    "documents": SALES + PURCHASE,
}  # fmt: skip

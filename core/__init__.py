"""ekonomi.core: the public API for plugin authors.

``from ekonomi.core import hookimpl, Source`` and the canonical records.
Importing this package stays light: no database or web stack is loaded.
"""

from .checks import LedgerChecks, RecordCheck
from .context import FileInput, ImportContext
from .errors import (
    Ambiguous,
    ConfigError,
    EkonomiError,
    Forbidden,
    NotFound,
    NotRecognised,
    PluginError,
    Refused,
    SourceNotActive,
)
from .events import Event
from .hookspecs import hookimpl, hookspec
from .orgnr import luhn_ok, normalize_orgnr
from .records import (
    Account,
    Attachment,
    AttachmentLink,
    Balance,
    Company,
    Dimension,
    DimensionObject,
    FiscalYear,
    Invoice,
    Issue,
    PeriodBalance,
    Record,
    RowKind,
    Scope,
    Severity,
    StateUpdate,
    UnknownRecord,
    Voucher,
    VoucherRow,
)
from .source import HOOK_API_VERSION, Source

__all__ = [
    "HOOK_API_VERSION",
    "Account",
    "Ambiguous",
    "Attachment",
    "AttachmentLink",
    "Balance",
    "Company",
    "ConfigError",
    "Dimension",
    "DimensionObject",
    "EkonomiError",
    "Event",
    "FileInput",
    "FiscalYear",
    "Forbidden",
    "ImportContext",
    "Invoice",
    "Issue",
    "LedgerChecks",
    "NotFound",
    "NotRecognised",
    "PeriodBalance",
    "PluginError",
    "Record",
    "RecordCheck",
    "Refused",
    "RowKind",
    "Scope",
    "Severity",
    "Source",
    "SourceNotActive",
    "StateUpdate",
    "UnknownRecord",
    "Voucher",
    "VoucherRow",
    "hookimpl",
    "hookspec",
    "luhn_ok",
    "normalize_orgnr",
]

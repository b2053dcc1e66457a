"""ekonomi.core: the public API for plugin authors.

``from ekonomi.core import hookimpl, Source`` and the canonical records.  A
plugin imports only these names (tests/test_code_layout.py checks it).
Importing this package stays light: no database or web stack is loaded;
``stored_books`` (for exporters) loads the books when it is first asked for.
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
from .oneshot import tune_gc_for_one_batch
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
from .source import HOOK_API_VERSION, Connection, SettingsPanel, Source
from .webhost import CompanyRef, WebHost



def __getattr__(name: str) -> object:  # PEP 562: the books load on first use
    if name == "stored_books":
        from .books.export import stored_books

        return stored_books
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "HOOK_API_VERSION",
    "Account",
    "Ambiguous",
    "Attachment",
    "AttachmentLink",
    "Balance",
    "Company",
    "CompanyRef",
    "ConfigError",
    "Connection",
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
    "SettingsPanel",
    "Source",
    "SourceNotActive",
    "StateUpdate",
    "UnknownRecord",
    "Voucher",
    "VoucherRow",
    "WebHost",
    "hookimpl",
    "hookspec",
    "stored_books",
    "tune_gc_for_one_batch",
    "luhn_ok",
    "normalize_orgnr",
]

"""Exceptions, grouped by what the caller can do about them.

Bad *data* is never an exception: it is an ``Issue`` value (records.py).  These
are for refusals and bugs::

    EkonomiError                    base; ``code`` is the API/JSON error code
    ├── NotFound                    unknown company, import, user …   (not_found)
    ├── Refused                     a product rule says no             (subclasses)
    │   ├── SourceNotActive         the company uses another source    (source_not_active)
    │   ├── Forbidden               the user lacks the right           (forbidden)
    │   ├── NotRecognised           no source claims the file          (not_recognised;
    │   │                           the HTTP API says not_sie for one release)
    │   ├── Ambiguous               two sources claim the file         (conflict)
    │   └── NeedsConfirmation       the import is likely a mistake and  (needs_confirmation)
    │                               was not confirmed (engine/confirmation.py)
    ├── ConfigError                 settings, keys, or a company's      (bad_request)
    │                               configuration of a source; ``fields``
    │                               names the fields that failed
    └── PluginError                 a plugin raised or broke the hook contract;
                                    the import fails with the plugin named
"""

from __future__ import annotations


class EkonomiError(Exception):
    """Base of every error the core raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(EkonomiError):
    code = "not_found"


class Refused(EkonomiError):
    code = "bad_request"


class SourceNotActive(Refused):
    code = "source_not_active"


class Forbidden(Refused):
    code = "forbidden"


class NotRecognised(Refused):
    code = "not_recognised"


class Ambiguous(Refused):
    code = "conflict"


class NeedsConfirmation(Refused):
    code = "needs_confirmation"


class ConfigError(EkonomiError):
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message, code=code)
        self.fields = dict(fields or {})


class PluginError(EkonomiError):
    """A plugin raised, or returned something the hook contract forbids."""

    code = "plugin_error"

    def __init__(self, message: str, *, plugin: str) -> None:
        super().__init__(message)
        self.plugin = plugin

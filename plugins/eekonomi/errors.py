"""What can go wrong talking to eEkonomi, grouped by what the caller can do::

    EkonomiError (ekonomi.core)
    ├── NotConnected        no tokens stored: connect first          (eekonomi.not_connected)
    ├── ReconnectNeeded     refresh refused, or 401 after a refresh  (eekonomi.reconnect)
    ├── CompanyUnavailable  400 with 4002/4003/4004: fix the company (eekonomi.company_state)
    ├── MissingScope        403 / 4006: connect with more scopes     (eekonomi.scope)
    ├── ApiUnavailable      5xx, timeouts after retries: try later   (eekonomi.unavailable)
    ├── RateLimited         429 after retries: try later             (eekonomi.rate_limited)
    └── ApiError            any other refusal; a bug or bad request  (eekonomi.api_error)
        └── LinkExpired     a temporary file URL no longer answers   (eekonomi.link_expired)

Messages are plain English for logs and the API; ``Source.explain`` gives
people the Swedish.
"""

from __future__ import annotations

from typing import Any

from ekonomi.core import EkonomiError

# ErrorCode → meaning, for the company states that stop a sync (research 1.6)
COMPANY_STATES = {
    4002: "the company has no access to the module",
    4003: "the company has not completed the startup guide",
    4004: "the company is not active",
}


class NotConnected(EkonomiError):
    def __init__(self, message: str = "the company is not connected to eEkonomi: connect first") -> None:
        super().__init__(message, code="eekonomi.not_connected")


class ReconnectNeeded(EkonomiError):
    def __init__(self, reason: str = "eEkonomi refused the stored authorisation") -> None:
        super().__init__(f"{reason}: connect the company to eEkonomi again", code="eekonomi.reconnect")


class CompanyUnavailable(EkonomiError):
    def __init__(self, error_code: int, developer_message: str | None = None) -> None:
        meaning = COMPANY_STATES.get(error_code, "the company cannot be read")
        super().__init__(f"eEkonomi error {error_code}: {meaning}", code="eekonomi.company_state")
        self.error_code = error_code
        self.developer_message = developer_message


class MissingScope(EkonomiError):
    def __init__(self, endpoint: str, scopes: tuple[str, ...], developer_message: str | None = None) -> None:
        needs = " or ".join(scopes) if scopes else "a scope the connection lacks"
        super().__init__(f"the connection may not read {endpoint}: it needs {needs}; connect again",
                         code="eekonomi.scope")
        self.endpoint = endpoint
        self.scopes = scopes
        self.developer_message = developer_message


class ApiUnavailable(EkonomiError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="eekonomi.unavailable")


class RateLimited(EkonomiError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="eekonomi.rate_limited")


class ApiError(EkonomiError):
    """A refusal not covered above; the body's fields when it had them."""

    default_code = "eekonomi.api_error"

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        fields = body if isinstance(body, dict) else {}
        self.status = status
        self.error_code: int | None = fields.get("ErrorCode")
        self.developer_message: str | None = fields.get("DeveloperErrorMessage")
        self.error_id: str | None = fields.get("ErrorId")
        details = [f"HTTP {status}"] if status else []
        if self.error_code is not None:
            details.append(f"ErrorCode {self.error_code}")
        if self.developer_message:
            details.append(str(self.developer_message))
        if self.error_id:
            details.append(f"ErrorId {self.error_id}")
        super().__init__(f"{message} ({'; '.join(details)})" if details else message, code=self.default_code)


class LinkExpired(ApiError):
    default_code = "eekonomi.link_expired"

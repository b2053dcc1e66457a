"""The API's error bodies (research notes 1.6, E.3): one exception the
routes raise, rendered as the real API's JSON by the app's handler."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, jsonify

# The documented ErrorCodes the emulator produces.
VALIDATION = 2000
NOT_FOUND = 3000
FISCAL_YEAR_NOT_FOUND = 3001
NO_ACCESS_TO_MODULE = 4002
STARTUP_GUIDE_NOT_COMPLETED = 4003
COMPANY_NOT_ACTIVE = 4004
NO_ACCESS_TO_SCOPES = 4006
QUOTA_EXCEEDED = 4010
LOCKED_PERIOD = 4026


class ApiError(Exception):
    """A refusal the API answers with ``status`` and ``CommonExtendedBadRequest``."""

    def __init__(self, status: int, code: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def response(self) -> Response:
        body: dict[str, Any] = {"ErrorCode": self.code, "DeveloperErrorMessage": self.message, "ErrorId": str(uuid.uuid4())}
        if self.status == 400:
            body["Errors"] = [{"Field": self.field, "ErrorCode": str(self.code), "Message": self.message, "Key": None}]
        resp = jsonify(body)
        resp.status_code = self.status
        return resp


def bad_request(message: str, field: str | None = None) -> ApiError:
    return ApiError(400, VALIDATION, message, field)


def not_found(what: str, code: int = NOT_FOUND) -> ApiError:
    return ApiError(404, code, f"{what} not found")

"""Typed errors, each mapped once to an HTTP status and the API's error body.

Raise them from logic; `legwork_common.api.endpoint` turns them into
``{"error": {"code": ..., "message": ...}}`` with the right status.

    >>> raise NotFound(f"No task {task_id}")
"""
from __future__ import annotations


class ApiError(Exception):
    """An error the caller can act on. `status` is the HTTP status, `code` a stable name."""

    status: int = 400
    code: str = "BadRequest"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(ApiError):
    status, code = 400, "BadRequest"


class ValidationFailed(ApiError):
    status, code = 400, "ValidationError"


class Unauthorized(ApiError):
    status, code = 401, "Unauthorized"


class Forbidden(ApiError):
    status, code = 403, "Forbidden"


class NotFound(ApiError):
    status, code = 404, "NotFound"


class Conflict(ApiError):
    status, code = 409, "Conflict"


class Gone(ApiError):
    status, code = 410, "Gone"


class PayloadTooLarge(ApiError):
    status, code = 413, "PayloadTooLarge"


class TooManyRequests(ApiError):
    status, code = 429, "TooManyRequests"

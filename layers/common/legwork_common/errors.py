"""Typed errors, each mapped once to an HTTP status and the API's error body.

Raise them from logic and models; `legwork_common.api.endpoint` turns them into
``{"error": {"code": ..., "message": ...}}`` with the right status. One condition has
one class (or one constructor) here, so it reads the same in every resource:

    >>> raise NotFound("task", task_id)                  # "There is no task t-1."
    >>> raise ValidationFailed.required("bonus.amount", 'a decimal string such as "12.50"')
    >>> raise WrongState("task", task_id, "claimed", "complete it", ("in_progress",))

Every `code` a function can answer is a class attribute below (plus `INTERNAL_ERROR`);
`codes()` lists them, and the shared `Error` schema of swagger/openapi.yaml documents
exactly that list (tests/unit/common/test_error_codes.py holds them together). Add a
code by adding a class here, never by passing a string.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

# The code of the 500 that `endpoint` answers for a defect (never raised on purpose).
INTERNAL_ERROR = "InternalError"


def internal_error_body() -> dict:
    """The body of that 500: it never leaks what went wrong (the log has the traceback)."""
    return {"error": {"code": INTERNAL_ERROR, "message": "Something went wrong on our side; it has been logged."}}


class ApiError(Exception):
    """An error the caller can act on. `status` is the HTTP status, `code` a stable name."""

    status: int = 400
    code: str = "BadRequest"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


def _shown(value: Any) -> str:
    """A value as the caller sent it (JSON; numbers as written), short enough for a message."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        text = str(value)
    else:
        text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


class BadRequest(ApiError):
    status, code = 400, "BadRequest"


class ValidationFailed(ApiError):
    """A field breaks a rule; the message names the field (`'bonus.amount'`, `'points[3].lat'`)."""

    status, code = 400, "ValidationError"

    @classmethod
    def required(cls, field: str, what: str | None = None) -> "ValidationFailed":
        """`'title' is required: a non-empty string.`"""
        return cls(f"'{field}' is required" + (f": {what}." if what else "."))

    @classmethod
    def wrong_type(cls, field: str, expected: str, got: Any) -> "ValidationFailed":
        """`'lat' must be a number; got "north".`"""
        return cls(f"'{field}' must be {expected}; got {_shown(got)}.")

    @classmethod
    def out_of_range(cls, field: str, low: Any, high: Any, got: Any) -> "ValidationFailed":
        """`'lat' must be from -90 to 90; got 91.`"""
        return cls(f"'{field}' must be from {low} to {high}; got {_shown(got)}.")

    @classmethod
    def too_long(cls, field: str, maximum: int, length: int) -> "ValidationFailed":
        """`'title' must have at most 200 characters; it has 201.`"""
        return cls(f"'{field}' must have at most {maximum} characters; it has {length}.")

    @classmethod
    def one_of(cls, field: str, allowed: tuple[str, ...] | list[str], got: Any) -> "ValidationFailed":
        """`'status' must be one of open, claimed; got "done".`"""
        return cls(f"'{field}' must be one of {', '.join(allowed)}; got {_shown(got)}.")


class InvalidCursor(ValidationFailed):
    """A `cursor` that no page of this listing gave."""

    def __init__(self) -> None:
        super().__init__("'cursor' is not valid: pass the nextCursor of the previous page unchanged, "
                         "with the same filters, or leave it out to start at the first page.")


class Unauthorized(ApiError):
    status, code = 401, "Unauthorized"


class InvalidCredentials(Unauthorized):
    """A refused login: the same answer whatever the reason (unknown user, wrong password, locked)."""

    code = "InvalidCredentials"

    def __init__(self) -> None:
        super().__init__("Wrong username or password, or the account is locked for a while after repeated failures.")


class Forbidden(ApiError):
    status, code = 403, "Forbidden"


class NotAssignee(Forbidden):
    """The caller is not the courier who holds the task: `Only the courier who holds task t-1 may start it.`"""

    def __init__(self, task_id: str, action: str) -> None:
        super().__init__(f"Only the courier who holds task {task_id} may {action}.")


class NotFound(ApiError):
    """`There is no task t-1.`: `kind` is the resource's name in the singular; `hint` what to
    check (`There is no report r-1 (its id is the period, such as week-2026-11-23).`)."""

    status, code = 404, "NotFound"

    def __init__(self, kind: str, ident: str, hint: str | None = None) -> None:
        super().__init__(f"There is no {kind} {ident}" + (f" ({hint})." if hint else "."))


class LinkNotFound(NotFound):
    """A share link nobody issued: the token is not repeated (it may be a typo of a secret)."""

    code = "LinkNotFound"

    def __init__(self) -> None:
        ApiError.__init__(self, "There is no such link: check that it was copied whole.")


class Conflict(ApiError):
    status, code = 409, "Conflict"


class WrongState(Conflict):
    """`Task t-1 is claimed: you can complete it only while it is in_progress.` (+ what to do)."""

    def __init__(self, kind: str, ident: str, current: str, action: str, allowed: tuple[str, ...],
                 hint: str | None = None) -> None:
        super().__init__(f"{kind.capitalize()} {ident} is {current}: you can {action} only while it is "
                         f"{' or '.join(allowed)}" + (f" ({hint})." if hint else "."))


class TaskNotInProgress(WrongState):
    code = "TaskNotInProgress"


class AlreadyClaimed(Conflict):
    code = "AlreadyClaimed"


class ActiveTaskLimit(Conflict):
    code = "ActiveTaskLimit"


class UsernameTaken(Conflict):
    code = "UserExists"

    def __init__(self, username: str) -> None:
        super().__init__(f"The username {username!r} is taken; choose another.")


class Busy(Conflict):
    """Concurrent writes kept overtaking this one; nothing was changed."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind.capitalize()} {ident} was changing at the same moment; nothing was changed, try again.")


class Gone(ApiError):
    status, code = 410, "Gone"


class LinkRevoked(Gone):
    code = "LinkRevoked"


class LinkExpired(Gone):
    code = "LinkExpired"


class FileGone(Gone):
    code = "FileGone"


class PayloadTooLarge(ApiError):
    status, code = 413, "PayloadTooLarge"


class TooManyRequests(ApiError):
    status, code = 429, "TooManyRequests"


def codes() -> set[str]:
    """Every `code` a function can answer: each ApiError class's, and the defect's 500."""
    found = {INTERNAL_ERROR}
    pending: list[type[ApiError]] = [ApiError]
    while pending:
        cls = pending.pop()
        found.add(cls.code)
        pending.extend(cls.__subclasses__())
    return found

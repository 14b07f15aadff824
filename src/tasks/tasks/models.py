"""Tasks as the API sees them and as the table stores them; the domain rules of input.

Money never goes through a float: a bonus amount is a string in JSON ("12.50"), a
`Decimal` in code and a string in the table.

    >>> NewTask.parse({"routeId": "r1", "title": "Harbour run",
    ...                "bonus": {"amount": "12.50", "currency": "EUR"},
    ...                "window": {"start": "2026-11-23T09:00:00Z", "end": "2026-11-23T12:00:00Z"}}).bonus.amount
    Decimal('12.50')
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from legwork_common.clock import utc_ms as iso
from legwork_common.clock import utc_seconds as iso_seconds
from legwork_common.errors import InvalidCursor, ValidationFailed
from legwork_common.money import Money
from legwork_common.paging import CURSOR_PART, CURSOR_SEPARATOR, cursor_parts, keyset_cursor, parse_limit
from legwork_common.validation import BLANK, json_object

STATUSES = ("open", "claimed", "in_progress", "completed", "cancelled")
ACTIVE_STATUSES = ("claimed", "in_progress")
TITLE_MAX = 200
ID_MAX = 64
LIMIT_DEFAULT, LIMIT_MAX = 25, 100
# The patterns of swagger.yaml (TaskWindow; the bonus is Money, legwork_common.money), checked
# again here; a test holds them equal.
# ISO 8601 in UTC, years 2000 to 2099: a trailing Z or +00:00, seconds required, fractions allowed.
UTC_PATTERN = re.compile(r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                         r"(\.[0-9]{1,6})?(Z|\+00:00)$")
# A listing's cursor: the segment, alone or with the range key and task id where the page ended.
CURSOR_PATTERN = re.compile(rf"^[0-9]({CURSOR_SEPARATOR}{CURSOR_PART}{CURSOR_SEPARATOR}{CURSOR_PART})?$")
TASK_FIELDS = ("taskId", "routeId", "title", "bonus", "window", "status", "assigneeId", "assigneeName",
               "createdBy", "createdAt", "claimedAt", "startedAt", "completedAt", "cancelledAt", "cancelledBy", "updatedAt",
               "version")


@dataclass(frozen=True)
class Window:
    """When the task may be done: `start` < `end`, both UTC."""

    start: datetime
    end: datetime

    @classmethod
    def parse(cls, raw: Any) -> "Window":
        json_object(raw, ("start", "end"), field="window")
        start = parse_utc(raw.get("start"), "window.start")
        end = parse_utc(raw.get("end"), "window.end")
        if not start < end:
            raise ValidationFailed(
                f"'window.end' must be after 'window.start'; got start {iso_seconds(start)}, end {iso_seconds(end)}."
            )
        return cls(start=start, end=end)

    def as_item(self) -> dict:
        return {"start": iso_seconds(self.start), "end": iso_seconds(self.end)}


@dataclass(frozen=True)
class NewTask:
    """The body of POST /tasks."""

    route_id: str
    title: str
    bonus: Money
    window: Window

    @classmethod
    def parse(cls, body: Any) -> "NewTask":
        body = json_object(body, ("routeId", "title", "bonus", "window"))
        route_id = body.get("routeId")
        if route_id is None:
            raise ValidationFailed.required("routeId", "the id of an existing route")
        if not isinstance(route_id, str) or not route_id:
            raise ValidationFailed.wrong_type("routeId", "the id of an existing route", route_id)
        if len(route_id) > ID_MAX:
            raise ValidationFailed.too_long("routeId", ID_MAX, len(route_id))
        title = body.get("title")
        if title is None:
            raise ValidationFailed.required("title", "a non-empty string")
        if not isinstance(title, str) or not title.strip(BLANK):
            raise ValidationFailed.wrong_type("title", "a string with more than spaces", title)
        if len(title) > TITLE_MAX:
            raise ValidationFailed.too_long("title", TITLE_MAX, len(title))
        if body.get("bonus") is None:
            raise ValidationFailed.required("bonus", "{amount, currency}")
        if body.get("window") is None:
            raise ValidationFailed.required("window", "{start, end} in ISO 8601 UTC")
        return cls(route_id=route_id, title=title.strip(BLANK), bonus=Money.parse(body["bonus"], field="bonus"),
                   window=Window.parse(body["window"]))


def parse_utc(value: Any, field: str) -> datetime:
    """A UTC moment from ISO 8601 text ending in Z or +00:00 (years 2000-2099), or a 400 naming `field`."""
    if value is None:
        raise ValidationFailed.required(field, "an ISO 8601 UTC date-time such as 2026-11-23T09:00:00Z")
    if not isinstance(value, str) or not UTC_PATTERN.fullmatch(value):
        raise ValidationFailed.wrong_type(
            field, "an ISO 8601 UTC date-time from the years 2000 to 2099, such as 2026-11-23T09:00:00Z", value)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        raise ValidationFailed(f"'{field}' is not a real date and time: {value!r}.") from None


def new_task_item(task: NewTask, *, created_by: str, now: datetime) -> dict:
    """The TasksTable item of a task that was just published: open, version 1."""
    stamp = iso(now)
    return {
        "taskId": str(uuid.uuid4()),
        "routeId": task.route_id,
        "title": task.title,
        "bonus": task.bonus.as_item(),
        "window": task.window.as_item(),
        "status": "open",
        "createdBy": created_by,
        "createdAt": stamp,
        "updatedAt": stamp,
        "version": 1,
    }


def public_task(item: dict) -> dict:
    """What the API shows of a task."""
    return {key: item[key] for key in TASK_FIELDS if key in item}


# -- listing --------------------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    """One index query of a listing: `index` where `hash_name` = `hash_value` (and maybe status)."""

    index: str
    hash_name: str
    hash_value: str
    status: str | None = None  # for byAssignee: the status the range key must equal

    @property
    def range_name(self) -> str:
        return "createdAt" if self.index == "byStatus" else "status"


@dataclass(frozen=True)
class TaskQuery:
    """The query of GET /tasks: an optional `status`, `limit` (1-100) and a `cursor`."""

    status: str | None
    limit: int
    cursor: str | None

    @classmethod
    def parse(cls, query: dict[str, str]) -> "TaskQuery":
        status = query.get("status")
        if status is not None and status not in STATUSES:
            raise ValidationFailed.one_of("status", STATUSES, status)
        limit = parse_limit(query.get("limit"), default=LIMIT_DEFAULT, maximum=LIMIT_MAX)
        cursor = query.get("cursor")
        if cursor is not None:
            decode_cursor(cursor, [])  # its shape now; its meaning once the listing is known
        return cls(status=status, limit=limit, cursor=cursor)


def listing_segments(role: str, user_id: str, status: str | None) -> list[Segment]:
    """The index queries that together list what `role` may see, in order, without overlap.

    Admins and managers see every task: one `byStatus` query per status. Couriers see
    open tasks (`byStatus` open) and their own (`byAssignee`); an open task has no
    assignee, so the two never return the same task.
    """
    if role in ("admin", "manager"):
        return [Segment("byStatus", "status", s) for s in ([status] if status else STATUSES)]
    if status == "open":
        return [Segment("byStatus", "status", "open")]
    if status:
        return [Segment("byAssignee", "assigneeId", user_id, status=status)]
    return [Segment("byStatus", "status", "open"), Segment("byAssignee", "assigneeId", user_id)]


def encode_cursor(segments: list[Segment], position: int, last_key: dict | None) -> str:
    """`<segment>` (start of that segment) or `<segment>~<range key>~<taskId>` (after that task)."""
    if last_key is None:
        return keyset_cursor(str(position))
    segment = segments[position]
    return keyset_cursor(str(position), last_key[segment.range_name], last_key["taskId"])


def decode_cursor(cursor: str, segments: list[Segment]) -> tuple[int, dict | None]:
    """(segment position, ExclusiveStartKey) of a cursor; a 400 when it is not of that shape.

    Any cursor of the shape is a position: the key's partition is the segment's own (a
    cursor never reaches another courier's tasks), and a position past the last segment is
    the end of the listing.
    """
    if not CURSOR_PATTERN.fullmatch(cursor):
        raise InvalidCursor()
    position, *key = cursor_parts(cursor, 1 if CURSOR_SEPARATOR not in cursor else 3)
    index = int(position)
    if not key or index >= len(segments):
        return index, None
    segment = segments[index]
    range_value, task_id = key
    if segment.status is not None:
        range_value = segment.status  # the key condition pins the range key: the start key must match it
    return index, {"taskId": task_id, segment.hash_name: segment.hash_value, segment.range_name: range_value}

"""Tasks as the API sees them and as the table stores them; the domain rules of input.

Money never goes through a float: a bonus amount is a string in JSON ("12.50"), a
`Decimal` in code and a string in the table.

    >>> NewTask.parse({"routeId": "r1", "title": "Harbour run",
    ...                "bonus": {"amount": "12.50", "currency": "EUR"},
    ...                "window": {"start": "2026-11-23T09:00:00Z", "end": "2026-11-23T12:00:00Z"}}).bonus.amount
    Decimal('12.50')
"""
from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from legwork_common.clock import utc_ms as iso
from legwork_common.clock import utc_seconds as iso_seconds
from legwork_common.errors import ValidationFailed
from legwork_common.paging import pack, parse_limit, unpack
from legwork_common.validation import json_object
from tasks.currencies import MINOR_UNITS

STATUSES = ("open", "claimed", "in_progress", "completed", "cancelled")
ACTIVE_STATUSES = ("claimed", "in_progress")
TITLE_MAX = 200
ID_MAX = 64
LIMIT_DEFAULT, LIMIT_MAX = 25, 100
AMOUNT_PATTERN = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
# ISO 8601 in UTC only: a trailing Z or +00:00, seconds required, fractions allowed.
UTC_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:00)$")
TASK_FIELDS = ("taskId", "routeId", "title", "bonus", "window", "status", "assigneeId", "assigneeName",
               "createdBy", "createdAt", "claimedAt", "startedAt", "completedAt", "cancelledAt", "cancelledBy", "updatedAt",
               "version")


@dataclass(frozen=True)
class Bonus:
    """A positive amount in an active ISO 4217 currency, with no more decimals than it has."""

    amount: Decimal
    currency: str

    @classmethod
    def parse(cls, raw: Any) -> "Bonus":
        json_object(raw, ("amount", "currency"), field="bonus")
        amount_text = raw.get("amount")
        if amount_text is None:
            raise ValidationFailed("'bonus.amount' is required: a decimal string such as \"12.50\".")
        if not isinstance(amount_text, str):
            raise ValidationFailed(
                "'bonus.amount' must be a string such as \"12.50\" (money is never sent as a JSON number)."
            )
        if not AMOUNT_PATTERN.match(amount_text):
            raise ValidationFailed(
                f"'bonus.amount' must be a decimal with at most 10 digits before the point and 2 after, "
                f"without sign or leading zeros, such as \"12.50\"; got {amount_text!r}."
            )
        amount = Decimal(amount_text)
        if amount <= 0:
            raise ValidationFailed(f"'bonus.amount' must be more than zero; got {amount_text!r}.")
        currency = raw.get("currency")
        if not isinstance(currency, str) or not CURRENCY_PATTERN.match(currency):
            raise ValidationFailed(f"'bonus.currency' must be an ISO 4217 code of 3 capital letters; got {currency!r}.")
        if currency not in MINOR_UNITS:
            raise ValidationFailed(f"'bonus.currency' {currency!r} is not an active ISO 4217 currency.")
        digits = min(2, MINOR_UNITS[currency])
        if -amount.as_tuple().exponent > digits:
            raise ValidationFailed(
                f"'bonus.amount' has too many decimals for {currency}: at most {digits}; got {amount_text!r}."
            )
        return cls(amount=amount.quantize(Decimal(1).scaleb(-digits)), currency=currency)

    def as_item(self) -> dict:
        """As stored and shown: the amount as a string with the currency's decimals ("12.50")."""
        return {"amount": str(self.amount), "currency": self.currency}


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
    bonus: Bonus
    window: Window

    @classmethod
    def parse(cls, body: Any) -> "NewTask":
        body = json_object(body, ("routeId", "title", "bonus", "window"))
        route_id = body.get("routeId")
        if not isinstance(route_id, str) or not route_id or len(route_id) > ID_MAX:
            raise ValidationFailed(f"'routeId' is required: the id of an existing route (1 to {ID_MAX} characters).")
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ValidationFailed("'title' is required: a non-empty string.")
        if len(title) > TITLE_MAX:
            raise ValidationFailed(f"'title' must have at most {TITLE_MAX} characters; it has {len(title)}.")
        if body.get("bonus") is None:
            raise ValidationFailed("'bonus' is required: {amount, currency}.")
        if body.get("window") is None:
            raise ValidationFailed("'window' is required: {start, end} in ISO 8601 UTC.")
        return cls(route_id=route_id, title=title.strip(), bonus=Bonus.parse(body["bonus"]),
                   window=Window.parse(body["window"]))


def parse_utc(value: Any, field: str) -> datetime:
    """A UTC moment from ISO 8601 text ending in Z or +00:00, or a 400 naming `field`."""
    if not isinstance(value, str) or not UTC_PATTERN.match(value):
        raise ValidationFailed(
            f"'{field}' must be an ISO 8601 UTC date-time such as 2026-11-23T09:00:00Z; got {value!r}."
        )
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
    def key_names(self) -> set[str]:
        range_name = "createdAt" if self.index == "byStatus" else "status"
        return {"taskId", self.hash_name, range_name}


@dataclass(frozen=True)
class TaskQuery:
    """The query of GET /tasks: an optional `status`, `limit` (1-100) and an opaque `cursor`."""

    status: str | None
    limit: int
    cursor: str | None

    @classmethod
    def parse(cls, query: dict[str, str]) -> "TaskQuery":
        status = query.get("status")
        if status is not None and status not in STATUSES:
            raise ValidationFailed(f"'status' must be one of {', '.join(STATUSES)}; got {status!r}.")
        limit = parse_limit(query.get("limit"), default=LIMIT_DEFAULT, maximum=LIMIT_MAX)
        cursor = query.get("cursor")
        if cursor is not None and not cursor:
            raise ValidationFailed("'cursor' is empty: pass the nextCursor of the previous page, or no cursor.")
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


def _signature(segments: list[Segment]) -> str:
    # Ties a cursor to the listing it came from: another filter or caller cannot reuse it.
    text = "|".join(f"{s.index}:{s.hash_value}:{s.status or ''}" for s in segments)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(segments: list[Segment], position: int, last_key: dict | None) -> str:
    """An opaque cursor: which segment to continue in, and from which index key."""
    return pack({"q": _signature(segments), "s": position, "k": last_key})


def decode_cursor(cursor: str, segments: list[Segment]) -> tuple[int, dict | None]:
    """(segment position, ExclusiveStartKey) of a cursor, or a 400 when it is not one of ours."""
    refusal = ValidationFailed("'cursor' is not valid for this listing: pass the nextCursor of the previous "
                               "page unchanged, with the same status filter.")
    document = unpack(cursor)
    if not isinstance(document, dict) or set(document) != {"q", "s", "k"} or document["q"] != _signature(segments):
        raise refusal
    position, key = document["s"], document["k"]
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < len(segments):
        raise refusal
    if key is None:
        return position, None
    segment = segments[position]
    if not (
        isinstance(key, dict)
        and set(key) == segment.key_names
        and all(isinstance(v, str) and v for v in key.values())
        and key[segment.hash_name] == segment.hash_value
        and (segment.status is None or key.get("status") == segment.status)
    ):
        raise refusal
    return position, key



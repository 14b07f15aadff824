"""GPS points as the API receives them, as the queue carries them and as the table keys them.

The gateway validates bodies against swagger.yaml first; `parse_positions` checks the
same rules again, plus those a schema cannot say (not in the future, not before the task
started), and answers a 400 that names the first bad point and why.

    >>> points = parse_positions({"points": [{"lat": 52.52, "lng": 13.405, "ts": "2026-11-23T08:00:00Z"}]},
    ...                          now=datetime(2026, 11, 23, 8, 1, tzinfo=timezone.utc))
    >>> points[0].ts
    '2026-11-23T08:00:00.000Z'

Points are normalised once, at the API (timestamps to millisecond UTC, coordinates to
7 decimals, about 1 cm): the same point re-sent by a phone, or redelivered by SQS, gets the
same key (`Point.sort_key`).

Stored compactly, in two places (see tracking.dal for the keys):

- the task's **live item** holds its newest points (`encode_points`: one string) beside
  the latest position, as long as the item stays within one write unit (1 KB) and
  `CHUNK_SPAN`; a batch then costs one write, the one the live map needed anyway;
- when they no longer fit, the buffered points are written as one **chunk** item
  (`chunk_item`), keyed `PT#<first ts>#<digest of its points>`: writing the same points
  again overwrites the same item.

A chunk never spans more than `CHUNK_SPAN`, so a reader merges overlapping chunks and the
buffer into one time-ordered track (`points_from_item` reads a chunk or a buffer, and the
one-point items of the earlier design).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from legwork_common.clock import utc_ms as format_utc
from legwork_common.errors import InvalidCursor, ValidationFailed
from legwork_common.paging import cursor_parts, keyset_cursor, parse_limit
from legwork_common.validation import json_object, number_in_range

MAX_POINTS = 100
CHUNK_SPAN = timedelta(minutes=15)  # the most time one stored item covers (a reader looks this far back)
POINT_PREFIX = "PT#"
MESSAGE_VERSION = 1
POINT_FIELDS = ("lat", "lng", "ts", "accuracy", "speed")
TRACK_LIMIT_DEFAULT, TRACK_LIMIT_MAX = 200, 1000
# GET /live: 1,000 running tasks a page (about 330 KB of JSON, far from Lambda's 6 MB).
LIVE_LIMIT_DEFAULT = LIVE_LIMIT_MAX = 1000
LIVE_SHARD_PART = "0[0-9]|1[0-5]"  # the live index's 16 shards (dal.LIVE_SHARDS)

# The ranges of swagger.yaml's TrackingPointInput (a test holds them equal). A phone's
# horizontal accuracy is metres to a few kilometres (cell towers); 100 km is no fix at all.
# 300 m/s is an airliner's speed: no courier goes faster.
ACCURACY_MAX = 100_000
SPEED_MAX = 300
_COORD = Decimal("0.0000001")
_METRIC = Decimal("0.01")
# ISO 8601 date and time in UTC (Z or +00:00), years 2000 to 2099: swagger.yaml's `pattern` of `ts`.
TS_PATTERN = re.compile(r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                        r"(\.[0-9]{1,9})?(Z|[+-]00:00)$")


class PoisonMessage(Exception):
    """A queued message the consumer can never process (unparseable, or for no task)."""


@dataclass(frozen=True)
class Point:
    """One normalised GPS fix: coordinates in degrees, `ts` as `YYYY-MM-DDTHH:MM:SS.mmmZ`."""

    lat: Decimal
    lng: Decimal
    ts: str
    accuracy: Decimal | None = None
    speed: Decimal | None = None

    @property
    def digest(self) -> str:
        """A short hash of every field: two fixes differ in key unless they are the same fix."""
        canonical = "|".join(str(v) if v is not None else "" for v in (self.ts, self.lat, self.lng, self.accuracy, self.speed))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def sort_key(self) -> str:
        """`PT#<ts>#<digest>`: time order under the task's partition, one item per fix."""
        return f"PT#{self.ts}#{self.digest}"

    @property
    def at(self) -> datetime:
        return parse_utc(self.ts)

    def as_message(self) -> dict[str, str]:
        """The queue's form: numbers as strings, so they reach the consumer exactly as normalised."""
        out = {"lat": str(self.lat), "lng": str(self.lng), "ts": self.ts}
        if self.accuracy is not None:
            out["accuracy"] = str(self.accuracy)
        if self.speed is not None:
            out["speed"] = str(self.speed)
        return out

    def as_public(self) -> dict[str, Any]:
        out: dict[str, Any] = {"lat": self.lat, "lng": self.lng, "ts": self.ts}
        if self.accuracy is not None:
            out["accuracy"] = self.accuracy
        if self.speed is not None:
            out["speed"] = self.speed
        return out

    @classmethod
    def from_message(cls, raw: Any) -> "Point":
        """A point from the queue's form; `PoisonMessage` if it is not one."""
        if not isinstance(raw, dict) or not {"lat", "lng", "ts"} <= set(raw) or set(raw) - set(POINT_FIELDS):
            raise PoisonMessage(f"not a point: {raw!r:.200}")
        try:
            return cls(
                lat=_coordinate(Decimal(str(raw["lat"])), -90, 90),
                lng=_coordinate(Decimal(str(raw["lng"])), -180, 180),
                ts=format_utc(parse_utc(str(raw["ts"]))),
                accuracy=_optional_metric(raw.get("accuracy")),
                speed=_optional_metric(raw.get("speed")),
            )
        except (InvalidOperation, ValueError) as exc:
            raise PoisonMessage(f"not a point: {raw!r:.200} ({exc})") from None


@dataclass(frozen=True)
class QueuedBatch:
    """One accepted POST, as one SQS message: who sent which points for which task."""

    batch_id: str
    task_id: str
    courier_id: str
    accepted_at: str
    points: tuple[Point, ...]

    def to_message(self) -> str:
        return json.dumps({
            "v": MESSAGE_VERSION,
            "batchId": self.batch_id,
            "taskId": self.task_id,
            "courierId": self.courier_id,
            "acceptedAt": self.accepted_at,
            "points": [p.as_message() for p in self.points],
        }, separators=(",", ":"))

    @classmethod
    def from_message(cls, body: str) -> "QueuedBatch":
        """Parse an SQS message body; `PoisonMessage` says why it can never be processed."""
        try:
            doc = json.loads(body)
        except (TypeError, ValueError) as exc:
            raise PoisonMessage(f"the message is not JSON: {exc}") from None
        if not isinstance(doc, dict) or doc.get("v") != MESSAGE_VERSION:
            raise PoisonMessage(f"the message is not a version-{MESSAGE_VERSION} positions batch")
        for name in ("batchId", "taskId", "courierId", "acceptedAt"):
            if not isinstance(doc.get(name), str) or not doc[name]:
                raise PoisonMessage(f"the message has no '{name}'")
        points = doc.get("points")
        if not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS:
            raise PoisonMessage(f"the message must carry 1 to {MAX_POINTS} points")
        return cls(
            batch_id=doc["batchId"],
            task_id=doc["taskId"],
            courier_id=doc["courierId"],
            accepted_at=doc["acceptedAt"],
            points=tuple(Point.from_message(p) for p in points),
        )


# -- the API's input ---------------------------------------------------------------------
def parse_positions(
    body: Any,
    *,
    now: datetime | None,
    max_skew: timedelta = timedelta(minutes=2),
    not_before: datetime | None = None,
) -> list[Point]:
    """The points of a POST /tasks/{taskId}/positions body, or a 400 naming the first bad one.

    `now + max_skew` bounds timestamps from a phone whose clock runs ahead (`now=None`
    checks the shape only); `not_before` (the task's start) refuses points from before the
    courier started.
    """
    body = json_object(body, ("points",))
    raw_points = body.get("points")
    if raw_points is None:
        raise ValidationFailed.required("points", f"a list of 1 to {MAX_POINTS} points {{lat, lng, ts}}")
    if not isinstance(raw_points, list) or not 1 <= len(raw_points) <= MAX_POINTS:
        raise ValidationFailed.wrong_type(
            "points", f"a list of 1 to {MAX_POINTS} points (send longer recordings in several batches)",
            raw_points if not isinstance(raw_points, list) else f"{len(raw_points)} points")
    latest = None if now is None else now + max_skew
    return [_parse_point(raw, i, latest=latest, not_before=not_before) for i, raw in enumerate(raw_points)]


def _parse_point(raw: Any, index: int, *, latest: datetime | None, not_before: datetime | None) -> Point:
    try:
        return _point(raw, latest=latest, not_before=not_before)
    except ValidationFailed as refusal:
        raise ValidationFailed(f"Point {index} (points[{index}]) is refused: {refusal.message} "
                               "Nothing of this batch was accepted.") from None


def _point(raw: Any, *, latest: datetime | None, not_before: datetime | None) -> Point:
    raw = json_object(raw, POINT_FIELDS, field="point")
    lat = number_in_range(raw.get("lat"), "lat", -90, 90)
    lng = number_in_range(raw.get("lng"), "lng", -180, 180)
    accuracy = _optional(raw.get("accuracy"), "accuracy", ACCURACY_MAX)
    speed = _optional(raw.get("speed"), "speed", SPEED_MAX)
    ts = raw.get("ts")
    if ts is None:
        raise ValidationFailed.required("ts", "an ISO 8601 UTC date-time such as 2026-11-23T08:00:00Z")
    if not isinstance(ts, str):
        raise ValidationFailed.wrong_type("ts", "an ISO 8601 UTC date-time such as 2026-11-23T08:00:00Z", ts)
    try:
        at = parse_utc(ts)
    except ValueError as exc:
        raise ValidationFailed(f"{exc}.") from None
    if latest is not None and at > latest:
        raise ValidationFailed(f"'ts' {ts} is in the future (more than the allowed clock skew ahead); "
                               "check the phone's clock.")
    if not_before is not None and at < not_before:
        raise ValidationFailed(f"'ts' {ts} is before the task started ({format_utc(not_before)}).")
    return Point(lat=lat.quantize(_COORD), lng=lng.quantize(_COORD), ts=format_utc(at), accuracy=accuracy, speed=speed)


def _optional(value: Any, name: str, maximum: int) -> Decimal | None:
    return None if value is None else number_in_range(value, name, 0, maximum).quantize(_METRIC)


def _coordinate(value: Decimal, low: int, high: int) -> Decimal:
    if not value.is_finite() or not low <= value <= high:
        raise ValueError(f"coordinate {value} out of range")
    return value.quantize(_COORD)


def _optional_metric(value: Any) -> Decimal | None:
    if value is None:
        return None
    number = Decimal(str(value))
    if not number.is_finite() or number < 0:
        raise ValueError(f"{value} is not a non-negative number")
    return number.quantize(_METRIC)


# -- time ----------------------------------------------------------------------------------
def parse_utc(text: str) -> datetime:
    """An aware UTC datetime from ISO 8601 with Z or +00:00; ValueError says what is wrong."""
    match = TS_PATTERN.fullmatch(text)
    if not match:
        raise ValueError(f"'ts' must be ISO 8601 in UTC from the years 2000 to 2099, such as "
                         f"2026-11-23T08:00:00Z; got {text!r}")
    head, frac = text[:19], (match.group(4) or "")[1:]
    try:
        at = datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(f"'ts' is not a real date and time: {text!r}") from None
    if frac:
        at += timedelta(microseconds=int((frac + "000000")[:6]))
    return at


# -- compact storage ---------------------------------------------------------------------
def chunks(points: tuple[Point, ...] | list[Point]) -> list[tuple[Point, ...]]:
    """A batch's distinct points in key order, cut wherever a chunk would span more than `CHUNK_SPAN`."""
    ordered = sorted({p.sort_key: p for p in points}.values(), key=lambda p: p.sort_key)
    out: list[list[Point]] = []
    for point in ordered:
        if out and point.at - out[-1][0].at <= CHUNK_SPAN:
            out[-1].append(point)
        else:
            out.append([point])
    return [tuple(chunk) for chunk in out]


def encode_points(chunk: tuple[Point, ...] | list[Point]) -> dict[str, Any]:
    """`{firstTs, lastTs, count, pts}` of points in key order (a chunk, or a live item's buffer).

    `pts` is `ms,lat,lng,accuracy,speed;…`, each point relative to the one before it:
    milliseconds since it, and latitude and longitude in 1e-7 degrees (the stored
    precision) as differences; the first point's are absolute. A fix every 2 s is about
    24 bytes, so a 1 KB item holds a few minutes of a courier.
    """
    lines = []
    previous: tuple[datetime, int, int] | None = None
    for point in chunk:
        lat, lng = int(point.lat.scaleb(7)), int(point.lng.scaleb(7))
        if previous is None:
            head = [0, lat, lng]
        else:
            head = [round((point.at - previous[0]).total_seconds() * 1000), lat - previous[1], lng - previous[2]]
        previous = (point.at, lat, lng)
        extra = ["" if v is None else _short(v) for v in (point.accuracy, point.speed)]
        lines.append(",".join([*map(str, head), *extra]).rstrip(","))
    return {"firstTs": chunk[0].ts, "lastTs": chunk[-1].ts, "count": len(chunk), "pts": ";".join(lines)}


def _short(value: Decimal) -> str:
    """A number without trailing zeros (4.50 is 4.5): the same number, fewer bytes."""
    text = str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def chunk_item(chunk: tuple[Point, ...], *, partition: str, courier_id: str,
               expires_at: int | None) -> dict[str, Any]:
    """The item storing one chunk (`encode_points`), keyed `PT#<first ts>#<digest of its points>`."""
    digest = hashlib.sha256("\n".join(p.sort_key for p in chunk).encode()).hexdigest()[:16]
    item: dict[str, Any] = {"pk": partition, "sk": f"{POINT_PREFIX}{chunk[0].ts}#{digest}",
                            **encode_points(chunk), "courierId": courier_id}
    if expires_at is not None:
        item["expiresAt"] = expires_at
    return item


def buffered_points(live: dict[str, Any] | None) -> list[Point]:
    """The newest points a live item holds until they fill a chunk (none for an item without)."""
    return points_from_item(live) if live and "count" in live else []


def points_from_item(item: dict[str, Any]) -> list[Point]:
    """The points an item stores, in key order: a chunk or a buffer (`encode_points`), a chunk
    of the first compact form (`points`: offsets from the first point, absolute
    coordinates), or a one-point item of the earliest design."""
    if "pts" in item:
        out = []
        at, lat, lng = parse_utc(str(item["firstTs"])), 0, 0
        for i, line in enumerate(str(item["pts"]).split(";")):
            fields = line.split(",") + ["", ""]
            at += timedelta(milliseconds=int(fields[0]))
            lat, lng = (int(fields[1]), int(fields[2])) if i == 0 else (lat + int(fields[1]), lng + int(fields[2]))
            out.append(Point(lat=Decimal(lat).scaleb(-7).quantize(_COORD), lng=Decimal(lng).scaleb(-7).quantize(_COORD),
                             ts=format_utc(at), accuracy=_stored(fields[3]), speed=_stored(fields[4])))
        return out
    if "points" not in item:
        return [Point(lat=Decimal(str(item["lat"])), lng=Decimal(str(item["lng"])), ts=str(item["ts"]),
                      accuracy=_stored(item.get("accuracy")), speed=_stored(item.get("speed")))]
    first = parse_utc(str(item["firstTs"]))
    out = []
    for line in str(item["points"]).split(";"):
        fields = line.split(",") + ["", ""]
        out.append(Point(lat=Decimal(fields[1]).quantize(_COORD), lng=Decimal(fields[2]).quantize(_COORD),
                         ts=format_utc(first + timedelta(milliseconds=int(fields[0]))),
                         accuracy=_stored(fields[3]), speed=_stored(fields[4])))
    return out


def _stored(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value)).quantize(_METRIC)


# -- paging --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrackPage:
    """The query of GET /tasks/{taskId}/track: `limit` and a `cursor` (where the previous page ended)."""

    limit: int
    after: str | None  # the sort key of the last point of the previous page

    @classmethod
    def parse(cls, query: dict[str, str], task_id: str) -> "TrackPage":
        limit = parse_limit(query.get("limit"), default=TRACK_LIMIT_DEFAULT, maximum=TRACK_LIMIT_MAX)
        cursor = query.get("cursor")
        return cls(limit=limit, after=decode_cursor(cursor) if cursor is not None else None)


@dataclass(frozen=True)
class LivePage:
    """GET /live's query: `limit` (1..1000, 1000 by default) and `after`, where the page
    starts: (shard, last task id read in it, or None for the shard's start).

    Its cursor is `<shard 00-15>~<task id>` (`-` for a shard's start), the swagger pattern
    `LIVE_CURSOR_PATTERN`: any cursor of that shape is a position in the listing.
    """

    limit: int
    after: tuple[int, str | None] | None

    @classmethod
    def parse(cls, query: dict[str, str]) -> "LivePage":
        limit = parse_limit(query.get("limit"), default=LIVE_LIMIT_DEFAULT, maximum=LIVE_LIMIT_MAX)
        cursor = query.get("cursor")
        if cursor is None:
            return cls(limit=limit, after=None)
        shard, last = cursor_parts(cursor, 2)
        if not re.fullmatch(LIVE_SHARD_PART, shard):
            raise InvalidCursor()
        return cls(limit=limit, after=(int(shard), None if last == "-" else last))

    @staticmethod
    def cursor(after: tuple[int, str | None] | None) -> str | None:
        if after is None:
            return None
        shard, last = after
        return keyset_cursor(f"{shard:02d}", last if last is not None else "-")


def encode_cursor(sort_key: str | None) -> str | None:
    """`<ts>~<digest>` of the page's last point (None: no next page)."""
    if not sort_key:
        return None
    _, ts, digest = sort_key.split("#")
    return keyset_cursor(ts, digest)


def decode_cursor(cursor: str) -> str:
    """The sort key after which the page starts (any cursor of the shape: points after that
    time, in this task's partition); a 400 when it is not of that shape."""
    ts, digest = cursor_parts(cursor, 2)
    return f"PT#{ts}#{digest}"

"""Routes as the API sees them and as the table stores them; the domain rules of input.

The gateway validates bodies against swagger.yaml first; these checks run again in the
function (never trust only the gateway) and answer a 400 that names the field to fix.

    >>> NewRoute.parse({"name": "Harbour loop", "waypoints": [{"lat": 0, "lng": 0}, {"lat": 0, "lng": 1}]}).name
    'Harbour loop'
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from legwork_common.clock import utc_ms as iso
from legwork_common.errors import ValidationFailed
from legwork_common.geo import path_length_m
from legwork_common.paging import cursor_parts, keyset_cursor, parse_limit
from legwork_common.validation import BLANK, json_object, number_in_range

NAME_MAX = 200
WAYPOINTS_MIN, WAYPOINTS_MAX = 2, 1000
LIMIT_DEFAULT, LIMIT_MAX = 25, 100
# Every route item carries this constant: the partition of the `byCreatedAt` index.
LIST_KEY = "route"
SUMMARY_FIELDS = ("routeId", "name", "lengthM", "waypointCount", "createdBy", "createdAt")
ROUTE_FIELDS = ("routeId", "name", "waypoints", "lengthM", "waypointCount", "createdBy", "createdAt")


@dataclass(frozen=True)
class NewRoute:
    """The body of POST /routes: a name and 2 to 1,000 waypoints (Decimals, never floats)."""

    name: str
    waypoints: tuple[tuple[Decimal, Decimal], ...]

    @classmethod
    def parse(cls, body: Any) -> "NewRoute":
        body = json_object(body, ("name", "waypoints"))
        name = body.get("name")
        if name is None:
            raise ValidationFailed.required("name", "a non-empty string")
        if not isinstance(name, str) or not name.strip(BLANK):
            raise ValidationFailed.wrong_type("name", "a string with more than spaces", name)
        if len(name) > NAME_MAX:
            raise ValidationFailed.too_long("name", NAME_MAX, len(name))
        raw = body.get("waypoints")
        if raw is None:
            raise ValidationFailed.required("waypoints", "a list of {lat, lng} objects")
        if not isinstance(raw, list):
            raise ValidationFailed.wrong_type("waypoints", "a list of {lat, lng} objects", raw)
        if not WAYPOINTS_MIN <= len(raw) <= WAYPOINTS_MAX:
            raise ValidationFailed(
                f"'waypoints' must have {WAYPOINTS_MIN} to {WAYPOINTS_MAX} points; it has {len(raw)}."
            )
        points = tuple(_waypoint(point, index) for index, point in enumerate(raw))
        return cls(name=name.strip(BLANK), waypoints=points)

    def length_m(self) -> Decimal:
        """Great-circle length along the waypoints, in metres, to 0.1 m."""
        return Decimal(str(round(path_length_m(self.waypoints), 1)))


def _waypoint(point: Any, index: int) -> tuple[Decimal, Decimal]:
    where = f"waypoints[{index}]"
    json_object(point, ("lat", "lng"), field=where)
    lat = _coordinate(point.get("lat"), f"{where}.lat", 90)
    lng = _coordinate(point.get("lng"), f"{where}.lng", 180)
    return lat, lng


def _coordinate(value: Any, field: str, bound: int) -> Decimal:
    number = number_in_range(value, field, -bound, bound)
    # DynamoDB numbers hold 38 digits; a GPS coordinate needs no more than 10 decimals.
    return number.quantize(Decimal("1e-10")).normalize() if number.as_tuple().exponent < -10 else number


def new_route_item(route: NewRoute, *, created_by: str, now: datetime) -> dict:
    """The RoutesTable item of a route that was just designed."""
    return {
        "routeId": str(uuid.uuid4()),
        "listKey": LIST_KEY,
        "name": route.name,
        "waypoints": [{"lat": lat, "lng": lng} for lat, lng in route.waypoints],
        "waypointCount": len(route.waypoints),
        "lengthM": route.length_m(),
        "createdBy": created_by,
        "createdAt": iso(now),
    }


def public_route(item: dict) -> dict:
    """What the API shows of a route (never the index's bookkeeping)."""
    return {key: item[key] for key in ROUTE_FIELDS if key in item}


def route_summary(item: dict) -> dict:
    """A route in a list: no waypoints."""
    return {key: item[key] for key in SUMMARY_FIELDS if key in item}


@dataclass(frozen=True)
class Page:
    """The query of GET /routes: `limit` (1-100) and a `cursor` (where the previous page ended)."""

    limit: int
    start_key: dict | None

    @classmethod
    def parse(cls, query: dict[str, str]) -> "Page":
        limit = parse_limit(query.get("limit"), default=LIMIT_DEFAULT, maximum=LIMIT_MAX)
        cursor = query.get("cursor")
        return cls(limit=limit, start_key=decode_cursor(cursor) if cursor is not None else None)


def encode_cursor(last_key: dict | None) -> str | None:
    """`<createdAt>~<routeId>` of the page's last route (None when there is no next page)."""
    return keyset_cursor(last_key["createdAt"], last_key["routeId"]) if last_key else None


def decode_cursor(cursor: str) -> dict:
    """The `byCreatedAt` index key a cursor stands for (any cursor of that shape); else a 400."""
    created_at, route_id = cursor_parts(cursor, 2)
    return {"listKey": LIST_KEY, "createdAt": created_at, "routeId": route_id}

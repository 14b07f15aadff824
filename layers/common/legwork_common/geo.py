"""Geometry on the Earth's surface: our own, because Amazon Location is absent in AWS China.

Points are ``(lat, lng)`` pairs in degrees (floats or Decimals). Distances are metres on a
sphere of the mean Earth radius — good to about 0.5 %, plenty for delivery routes.

    >>> round(haversine_m((0, 0), (0, 1)))
    111195
    >>> locate_on_path([(0, 0), (0, 1), (1, 1)], (0.5, 1.0)).along_m  # past the corner
    166792.6...
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

EARTH_RADIUS_M = 6_371_008.8

Point = tuple[float, float]


def _pt(p) -> Point:
    if isinstance(p, dict):
        return float(p["lat"]), float(p["lng"])
    return float(p[0]), float(p[1])


def haversine_m(a, b) -> float:
    """Great-circle distance in metres between two points."""
    lat1, lng1 = map(math.radians, _pt(a))
    lat2, lng2 = map(math.radians, _pt(b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def path_length_m(points: Iterable) -> float:
    """Length in metres of the polyline through `points`, in order."""
    pts = [_pt(p) for p in points]
    return sum(haversine_m(a, b) for a, b in zip(pts, pts[1:]))


@dataclass(frozen=True)
class Location:
    """Where a point falls on a path: metres along it, and how far off it the point is."""

    along_m: float
    offset_m: float
    length_m: float

    @property
    def fraction(self) -> float:
        return 0.0 if self.length_m <= 0 else min(1.0, max(0.0, self.along_m / self.length_m))


def _project(a: Point, b: Point, p: Point) -> tuple[float, Point]:
    """Parameter t in [0, 1] of the point of segment a–b nearest to p, on a local plane.

    An equirectangular projection around the segment is exact enough for the segment
    lengths of a route (kilometres), and keeps the maths cheap on the ingestion path.
    """
    lat0 = math.radians((a[0] + b[0]) / 2)
    kx = math.cos(lat0)
    ax, ay = a[1] * kx, a[0]
    bx, by = b[1] * kx, b[0]
    px, py = p[1] * kx, p[0]
    dx, dy = bx - ax, by - ay
    seg2 = dx * dx + dy * dy
    t = 0.0 if seg2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / seg2))
    return t, (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))


def locate_on_path(points: Sequence, point) -> Location:
    """Project `point` onto the path: the nearest point of the path decides progress."""
    pts = [_pt(p) for p in points]
    p = _pt(point)
    if len(pts) == 1:
        return Location(0.0, haversine_m(pts[0], p), 0.0)
    best: tuple[float, float] | None = None  # (offset, along)
    walked = 0.0
    for a, b in zip(pts, pts[1:]):
        seg_len = haversine_m(a, b)
        t, nearest = _project(a, b, p)
        offset = haversine_m(nearest, p)
        if best is None or offset < best[0]:
            best = (offset, walked + t * seg_len)
        walked += seg_len
    assert best is not None
    return Location(along_m=best[1], offset_m=best[0], length_m=walked)

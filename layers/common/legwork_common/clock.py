"""Timestamps as the API and the tables write them: ISO 8601 in UTC with a Z.

    >>> utc_ms(datetime(2026, 11, 23, 7, 45, 0, 123456, tzinfo=timezone.utc))
    '2026-11-23T07:45:00.123Z'
    >>> utc_seconds(datetime(2026, 11, 23, 7, 45, 0, 123456, tzinfo=timezone.utc))
    '2026-11-23T07:45:00Z'
"""
from __future__ import annotations

from datetime import datetime, timezone


def utc_ms(moment: datetime) -> str:
    """Milliseconds, fixed width: string order is time order (sort keys, GSI ranges)."""
    moment = moment.astimezone(timezone.utc)
    return f"{_seconds(moment)}.{moment.microsecond // 1000:03d}Z"


def utc_seconds(moment: datetime) -> str:
    """To the second, for what people read (token expiry, task windows)."""
    return _seconds(moment.astimezone(timezone.utc)) + "Z"


def _seconds(m: datetime) -> str:
    # Not strftime: glibc's %Y writes the year 207 as "207", which is no ISO 8601 date.
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"

"""Schedule expressions (`rate(...)`, `cron(...)`, `at(...)`) and their next firing time, in UTC.

    >>> next_fire("rate(5 minutes)", datetime(2026, 1, 1, tzinfo=UTC))
    datetime.datetime(2026, 1, 1, 0, 5, tzinfo=datetime.timezone.utc)
    >>> next_fire("cron(0 3 * * ? *)", datetime(2026, 1, 1, 4, tzinfo=UTC))
    datetime.datetime(2026, 1, 2, 3, 0, tzinfo=datetime.timezone.utc)

Cron follows EventBridge's six fields (minutes hours day-of-month month day-of-week
year; day-of-week 1-7 is SUN-SAT; one of the day fields is `?`). `L`, `W` and `#` are
not evaluated locally: such a schedule can still be fired on demand.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split(), 1)}


class ScheduleError(ValueError):
    """The expression is not one this evaluator understands."""


def rate_seconds(expression: str) -> int | None:
    """The period of a `rate(...)` expression in seconds, or None for other kinds."""
    match = _RATE.match(expression.strip())
    if not match:
        return None
    return int(match.group(1)) * _UNITS[match.group(2).rstrip("s")]


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    if text in ("*", "?"):
        return set(range(low, high + 1))
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise ScheduleError(f"cron field {text!r}: values must be within {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    upper = text.upper()
    if names and upper in names:
        return names[upper]
    if not text.isdigit():
        raise ScheduleError(f"cron value {text!r} is not supported locally (L, W and # are not evaluated)")
    return int(text)


class Cron:
    """A parsed EventBridge cron expression."""

    def __init__(self, expression: str) -> None:
        inner = expression.strip()
        if inner.startswith("cron(") and inner.endswith(")"):
            inner = inner[5:-1]
        fields = inner.split()
        if len(fields) != 6:
            raise ScheduleError(f"cron({inner}): EventBridge cron has six fields: min hour day month weekday year")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ScheduleError(f"cron({inner}): exactly one of day-of-month and day-of-week must be '?'")
        self.minutes = _field(minute, 0, 59)
        self.hours = _field(hour, 0, 23)
        self.days = None if dom == "?" else _field(dom, 1, 31)
        self.months = _field(month, 1, 12, _MONTHS)
        self.weekdays = None if dow == "?" else _field(dow, 1, 7, _DAYS)
        self.years = _field(year, 1970, 2199)

    def _day_matches(self, day: datetime) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.days is not None:
            return day.day in self.days
        return (day.isoweekday() % 7) + 1 in self.weekdays  # ISO Monday=1 → EventBridge MON=2

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing time strictly after `moment`, or None within five years."""
        start = (moment.astimezone(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 5):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


def next_fire(expression: str, after: datetime) -> datetime | None:
    """When a schedule expression fires next after `after` (None: never again)."""
    expression = expression.strip()
    period = rate_seconds(expression)
    if period is not None:
        return after + timedelta(seconds=period)
    if expression.startswith("cron("):
        return Cron(expression).next_after(after)
    if expression.startswith("at(") and expression.endswith(")"):
        when = datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC)
        return when if when > after else None
    raise ScheduleError(f"{expression!r}: expected rate(...), cron(...) or at(...)")

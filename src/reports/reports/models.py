"""Report periods, requests and records, as the API sees them and the reports table stores them.

Periods are in UTC. A week is an ISO week (Monday 00:00:00 to the next Monday, exclusive);
a month runs from the 1st. A report is keyed by its period (`week-2026-11-23`), so the
same period asked twice is one report.

    >>> Period.parse("week", "2026-11-23").end
    datetime.date(2026, 11, 30)
    >>> Period.previous("month", datetime(2026, 12, 1, 0, 10, tzinfo=timezone.utc)).report_id
    'month-2026-11-01'
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from legwork_common.errors import ValidationFailed
from legwork_common.paging import NewestFirst
from legwork_common.validation import json_object

KINDS = ("week", "month")
YEARS = (2000, 2099)  # as the schema's pattern of `start`
LIST_KEY = "report"  # every report item carries it: the partition of the `byCreatedAt` index
LIMIT_DEFAULT, LIMIT_MAX = 25, 100
REPORT_FIELDS = ("reportId", "period", "start", "end", "status", "reason", "requestedBy", "createdAt",
                 "generatedAt", "totals")
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "html": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # exclusive

    @classmethod
    def parse(cls, kind: Any, start: Any) -> "Period":
        if kind not in KINDS:
            raise ValidationFailed(f"'period' must be \"week\" or \"month\"; got {kind!r}.")
        try:
            first = date.fromisoformat(start) if isinstance(start, str) and len(start) == 10 else None
        except ValueError:
            first = None
        if first is None:
            raise ValidationFailed(f"'start' must be a date as YYYY-MM-DD; got {start!r}.")
        if not YEARS[0] <= first.year <= YEARS[1]:
            raise ValidationFailed(f"'start' must be in the years {YEARS[0]} to {YEARS[1]}; got {start}.")
        if kind == "week" and first.weekday() != 0:
            raise ValidationFailed(f"A week starts on a Monday; {start} is a {first.strftime('%A')}.")
        if kind == "month" and first.day != 1:
            raise ValidationFailed(f"A month starts on the 1st; got {start}.")
        return cls(kind, first, _end(kind, first))

    @classmethod
    def previous(cls, kind: str, now: datetime) -> "Period":
        """The last whole period before `now` (the schedules' period)."""
        today = now.astimezone(timezone.utc).date()
        if kind == "week":
            this_monday = today - timedelta(days=today.weekday())
            return cls.parse("week", (this_monday - timedelta(days=7)).isoformat())
        last_month_end = today.replace(day=1) - timedelta(days=1)
        return cls.parse("month", last_month_end.replace(day=1).isoformat())

    @property
    def report_id(self) -> str:
        return f"{self.kind}-{self.start.isoformat()}"

    @property
    def first_instant(self) -> str:
        """The period's first millisecond, as the tables write times."""
        return _stamp(datetime.combine(self.start, time(), timezone.utc))

    @property
    def last_instant(self) -> str:
        """The period's last millisecond (a BETWEEN bound; the next period starts 1 ms later)."""
        return _stamp(datetime.combine(self.end, time(), timezone.utc) - timedelta(milliseconds=1))

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    def contains(self, stamp: str | None) -> bool:
        return bool(stamp) and self.first_instant <= stamp[:23] + "Z" <= self.last_instant

    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {year}-W{week:02d} ({self.start.isoformat()} to {(self.end - timedelta(days=1)).isoformat()})"
        return f"Month {self.start.strftime('%Y-%m')}"


def _end(kind: str, first: date) -> date:
    if kind == "week":
        return first + timedelta(days=7)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class ReportRequest:
    """The body of POST /reports: `{period, start, force?}`."""

    period: Period
    force: bool = False

    @classmethod
    def parse(cls, body: Any) -> "ReportRequest":
        body = json_object(body, ("period", "start", "force"))
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise ValidationFailed(f"'force' must be true or false; got {force!r}.")
        return cls(Period.parse(body.get("period"), body.get("start")), force)


def new_report_item(period: Period, *, requested_by: str, now: str) -> dict:
    return {"reportId": period.report_id, "listKey": LIST_KEY, "period": period.kind,
            "start": period.start.isoformat(), "end": period.end.isoformat(), "status": "pending",
            "requestedBy": requested_by, "createdAt": now, "requestedAt": now}


def public_report(item: dict) -> dict:
    return {k: item[k] for k in REPORT_FIELDS if k in item}


def report_file_id(report_id: str, fmt: str) -> str:
    """One file record per report and format: regenerating overwrites, never duplicates."""
    return f"report-{report_id}-{fmt}"


def report_key(period: Period, name: str) -> str:
    return f"reports/{period.kind}/{period.start.isoformat()}/{name}"


def page(query: dict) -> NewestFirst:
    """`limit` and `cursor` of GET /reports."""
    return NewestFirst.parse(query, default=LIMIT_DEFAULT, maximum=LIMIT_MAX)

"""The figures of a report: per courier, per route and in total, folded from a stream of tasks.

Money is Decimal and kept per currency; nothing is converted. Only the per-courier and
per-route rows and the per-day counts are held, never the tasks: a month of 100,000
completions streams through in constant memory.

    >>> figures = Figures(period, couriers={"u1": "ana"})
    >>> figures.add_completed(task, distance_m=Decimal("1520.5"), receipts=[...])
    >>> figures.courier_rows()[0].completed
    1
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reports.models import Period

CENT = Decimal("0.01")
METRE_TO_KM = Decimal(1000)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@dataclass
class CourierRow:
    courier_id: str
    name: str
    completed: int = 0
    on_time: int = 0
    distance_m: Decimal = Decimal(0)
    active_seconds: int = 0
    receipts: int = 0
    bonus: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    receipts_total: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    @property
    def distance_km(self) -> Decimal:
        return (Decimal(self.distance_m) / METRE_TO_KM).quantize(Decimal("0.001"))

    @property
    def active_hours(self) -> Decimal:
        return (Decimal(self.active_seconds) / 3600).quantize(CENT)


@dataclass
class RouteRow:
    route_id: str
    name: str = ""
    published: int = 0
    completed: int = 0
    cancelled: int = 0


def receipt_amount(receipt: dict) -> tuple[Decimal, str] | None:
    """What a receipt adds to the totals: the manager's correction if any, else a processed OCR amount."""
    correction = receipt.get("correction") or {}
    if correction.get("amount") is not None and correction.get("currency"):
        return Decimal(str(correction["amount"])), str(correction["currency"])
    if receipt.get("status") == "processed" and receipt.get("amount") is not None and receipt.get("currency"):
        return Decimal(str(receipt["amount"])), str(receipt["currency"])
    return None


class Figures:
    """Everything the three formats show, accumulated task by task."""

    def __init__(self, period: Period, couriers: dict[str, str] | None = None) -> None:
        self.period = period
        self.couriers: dict[str, CourierRow] = {cid: CourierRow(cid, name) for cid, name in (couriers or {}).items()}
        self.routes: dict[str, RouteRow] = {}
        self.per_day: dict[date, int] = {day: 0 for day in period.days()}

    def _courier(self, task: dict) -> CourierRow:
        cid = task.get("assigneeId") or "unassigned"
        row = self.couriers.get(cid)
        if row is None:
            row = self.couriers[cid] = CourierRow(cid, task.get("assigneeName") or cid)
        return row

    def _route(self, route_id: str) -> RouteRow:
        return self.routes.setdefault(route_id, RouteRow(route_id))

    def add_published(self, task: dict) -> None:
        self._route(task["routeId"]).published += 1

    def add_cancelled(self, task: dict) -> None:
        self._route(task["routeId"]).cancelled += 1

    def add_completed(self, task: dict, *, distance_m: Any = 0, receipts: list[dict] = ()) -> None:
        completed_at = task["completedAt"]
        row = self._courier(task)
        row.completed += 1
        window = task.get("window") or {}
        if window.get("start") and window.get("end") and (
                _parse(window["start"]) <= _parse(completed_at) <= _parse(window["end"])):
            row.on_time += 1
        bonus = task.get("bonus") or {}
        if bonus.get("amount") is not None:
            row.bonus[bonus["currency"]] += Decimal(str(bonus["amount"]))
        row.distance_m += Decimal(str(distance_m or 0))
        if task.get("startedAt"):
            row.active_seconds += max(0, round((_parse(completed_at) - _parse(task["startedAt"])).total_seconds()))
        for receipt in receipts:
            row.receipts += 1
            counted = receipt_amount(receipt)
            if counted:
                row.receipts_total[counted[1]] += counted[0]
        self._route(task["routeId"]).completed += 1
        day = _parse(completed_at).date()
        if day in self.per_day:
            self.per_day[day] += 1

    # -- results -----------------------------------------------------------------------
    def name_routes(self, names: dict[str, str]) -> None:
        for route_id, row in self.routes.items():
            row.name = names.get(route_id, "")

    def courier_rows(self) -> list[CourierRow]:
        return sorted(self.couriers.values(), key=lambda r: (r.name.lower(), r.courier_id))

    def route_rows(self) -> list[RouteRow]:
        return sorted(self.routes.values(), key=lambda r: (r.name.lower(), r.route_id))

    def currencies(self) -> tuple[list[str], list[str]]:
        """The currencies of bonuses and of receipts, each sorted: the money columns."""
        bonus = sorted({c for r in self.couriers.values() for c in r.bonus})
        receipts = sorted({c for r in self.couriers.values() for c in r.receipts_total})
        return bonus, receipts

    def totals(self) -> CourierRow:
        total = CourierRow("total", "Total")
        for row in self.couriers.values():
            total.completed += row.completed
            total.on_time += row.on_time
            total.distance_m += row.distance_m
            total.active_seconds += row.active_seconds
            total.receipts += row.receipts
            for currency, amount in row.bonus.items():
                total.bonus[currency] += amount
            for currency, amount in row.receipts_total.items():
                total.receipts_total[currency] += amount
        return total

    def totals_document(self) -> dict:
        """The totals as the report item stores them (strings for money)."""
        total = self.totals()
        return {
            "published": sum(r.published for r in self.routes.values()),
            "completed": total.completed,
            "onTime": total.on_time,
            "cancelled": sum(r.cancelled for r in self.routes.values()),
            "distanceKm": str(total.distance_km),
            "activeHours": str(total.active_hours),
            "receipts": total.receipts,
            "bonus": {c: str(money(a)) for c, a in sorted(total.bonus.items())},
            "receiptsTotal": {c: str(money(a)) for c, a in sorted(total.receipts_total.items())},
        }

"""The rules of designing and reading routes, free of any AWS event shape.

    >>> service = RoutesService(RoutesTable(table), TaskLinks(tasks))
    >>> service.create(NewRoute.parse(body), caller)["lengthM"]
    Decimal('111195.1')
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from legwork_common.api import Caller
from legwork_common.errors import Forbidden, NotFound
from routes.dal import RoutesTable, TaskLinks
from routes.models import NewRoute, Page, encode_cursor, new_route_item, public_route, route_summary

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class RoutesService:
    """Create, list and read routes; who may read which route."""

    def __init__(self, routes: RoutesTable, tasks: TaskLinks | None = None, *, clock: Clock = utc_now) -> None:
        self.routes = routes
        self.tasks = tasks
        self.clock = clock

    def create(self, route: NewRoute, caller: Caller) -> dict:
        """Store a new route with its computed length; the route as the API shows it."""
        item = new_route_item(route, created_by=caller.user_id, now=self.clock())
        self.routes.put_new(item)
        return public_route(item)

    def list(self, page: Page) -> dict:
        """One page of route summaries, newest first: `{items, nextCursor}`."""
        items, last_key = self.routes.page(limit=page.limit, start_key=page.start_key)
        return {"items": [route_summary(item) for item in items], "nextCursor": encode_cursor(last_key)}

    def get(self, route_id: str, caller: Caller) -> dict:
        """The route, if the caller may see it: admins and managers always; couriers when a
        task they may see (an open one, or one assigned to them) uses it."""
        item = self.routes.get(route_id)
        if item is None:
            raise NotFound("route", route_id)
        if caller.role == "courier":
            if self.tasks is None or not self.tasks.visible_to_courier(route_id, caller.user_id):
                raise Forbidden("Couriers may read a route only when an open task, or a task assigned to them, uses it.")
        elif caller.role not in ("admin", "manager"):
            raise Forbidden(f"Only admin, manager or courier may read routes; you are signed in as {caller.role}.")
        return public_route(item)

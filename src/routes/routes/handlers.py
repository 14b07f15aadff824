"""Lambda entry points of the routes resource: parse, call `logic`, shape the response.

One function per operation (see template.yaml).
"""
from __future__ import annotations

import functools
import os

from legwork_common.api import Request, Response, endpoint
from routes.dal import RoutesTable, TaskLinks
from routes.logic import RoutesService
from routes.models import NewRoute, Page


@functools.cache
def _service_for(routes_table: str, tasks_table: str | None) -> RoutesService:
    return RoutesService(RoutesTable(routes_table), TaskLinks(tasks_table) if tasks_table else None)


def _service() -> RoutesService:
    # Keyed by the table names so a warm worker follows a changed environment.
    return _service_for(os.environ["ROUTES_TABLE"], os.environ.get("TASKS_TABLE"))


@endpoint
def create_route(request: Request) -> Response:
    """POST /routes (admin): `{name, waypoints}` → 201 with the route and its `lengthM`."""
    caller = request.require_role("admin")
    return Response(201, _service().create(NewRoute.parse(request.body), caller))


@endpoint
def list_routes(request: Request) -> dict:
    """GET /routes (admin, manager): `{items, nextCursor}`; `?limit=&cursor=`."""
    request.require_role("admin", "manager")
    return _service().list(Page.parse(request.query))


@endpoint
def get_route(request: Request) -> dict:
    """GET /routes/{routeId}: the route with its waypoints, if the caller may see it."""
    caller = request.require_role("admin", "manager", "courier")
    return _service().get(request.path_params.get("routeId", ""), caller)

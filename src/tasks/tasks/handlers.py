"""Lambda entry points of the tasks resource: parse, call `logic`, shape the response.

One function per operation (see template.yaml).
"""
from __future__ import annotations

import functools
import os

from legwork_common.api import Request, Response, endpoint
from tasks.dal import RouteLookup, TasksTable
from tasks.logic import Settings, TasksService
from tasks.models import NewTask, TaskQuery


@functools.cache
def _service_for(tasks_table: str, loads_table: str | None, routes_table: str | None, max_active: int) -> TasksService:
    return TasksService(
        TasksTable(tasks_table, loads_table),
        RouteLookup(routes_table) if routes_table else None,
        settings=Settings(max_active=max_active),
    )


def _service() -> TasksService:
    # Keyed by the environment so a warm worker follows a changed one.
    env = os.environ
    return _service_for(env["TASKS_TABLE"], env.get("COURIER_LOAD_TABLE"), env.get("ROUTES_TABLE"),
                        Settings.from_env().max_active)


def _task_id(request: Request) -> str:
    return request.path_params.get("taskId", "")


@endpoint
def create_task(request: Request) -> Response:
    """POST /tasks (admin): `{routeId, title, bonus, window}` → 201 with the open task."""
    caller = request.require_role("admin")
    return Response(201, _service().create(NewTask.parse(request.body), caller))


@endpoint
def list_tasks(request: Request) -> dict:
    """GET /tasks: `{items, nextCursor}`; `?status=&limit=&cursor=` (couriers: open and their own)."""
    caller = request.require_role("admin", "manager", "courier")
    return _service().list(TaskQuery.parse(request.query), caller)


@endpoint
def get_task(request: Request) -> dict:
    """GET /tasks/{taskId}: the task, if the caller may see it."""
    caller = request.require_role("admin", "manager", "courier")
    return _service().get(_task_id(request), caller)


@endpoint
def claim_task(request: Request) -> dict:
    """POST /tasks/{taskId}/claim (courier): 200 for exactly one claimant, 409 for every other."""
    return _service().claim(_task_id(request), request.require_role("courier"))


@endpoint
def start_task(request: Request) -> dict:
    """POST /tasks/{taskId}/start (the assignee): claimed → in_progress."""
    return _service().start(_task_id(request), request.require_role("courier"))


@endpoint
def complete_task(request: Request) -> dict:
    """POST /tasks/{taskId}/complete (the assignee): in_progress → completed."""
    return _service().complete(_task_id(request), request.require_role("courier"))


@endpoint
def release_task(request: Request) -> dict:
    """POST /tasks/{taskId}/release (the assignee): claimed → open."""
    return _service().release(_task_id(request), request.require_role("courier"))


@endpoint
def cancel_task(request: Request) -> dict:
    """POST /tasks/{taskId}/cancel (admin): open or claimed → cancelled."""
    return _service().cancel(_task_id(request), request.require_role("admin"))

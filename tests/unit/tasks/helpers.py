"""Shared by the routes, tasks and notifications tests: callers, real handlers called with
API Gateway v1 proxy events, and fixtures that publish routes and tasks through the API.

Import the fixtures into a conftest: `from tests.unit.tasks.helpers import stack, route_id, publish, task_id`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # for `tests.support`
    sys.path.insert(0, str(ROOT))

from tests.support.events import api_event, lambda_context, response_json  # noqa: E402

ADMIN = {"userId": "u-admin", "username": "ada", "role": "admin"}
MANAGER = {"userId": "u-manager", "username": "max", "role": "manager"}
WINDOW = {"start": "2026-11-24T08:00:00Z", "end": "2026-11-24T12:00:00Z"}
SQUARE = [{"lat": 0, "lng": 0}, {"lat": 0, "lng": 1}, {"lat": 1, "lng": 1}]


def courier(n: int) -> dict:
    return {"userId": f"u-courier-{n}", "username": f"courier{n}", "role": "courier"}


def call(module: str, function: str, method: str, path: str, body=None, caller=None, path_params=None,
         query=None, raw_body=None) -> tuple[int, dict | None]:
    """Invoke the real handler `module.function` with an API Gateway v1 proxy event: (status, body)."""
    import importlib

    handler = getattr(importlib.import_module(module), function)
    event = api_event(method, path, body=body, caller=caller, path_params=path_params, query=query,
                      raw_body=raw_body)
    response = handler(event, lambda_context())
    return response["statusCode"], response_json(response)


def task_call(verb: str, task_id: str, caller: dict) -> tuple[int, dict | None]:
    """POST /tasks/{taskId}/<verb> through its handler."""
    return call("tasks.handlers", f"{verb}_task", "POST", f"/tasks/{task_id}/{verb}", caller=caller,
                path_params={"taskId": task_id})


@pytest.fixture
def stack(aws_stack):
    return aws_stack


@pytest.fixture
def route_id(stack) -> str:
    status, body = call("routes.handlers", "create_route", "POST", "/routes",
                        body={"name": "Square", "waypoints": SQUARE}, caller=ADMIN)
    assert status == 201, body
    return body["routeId"]


@pytest.fixture
def publish(route_id):
    """Publish a task through POST /tasks: `publish(title=..., bonus=...)` → the task."""

    def make(title: str = "Harbour run", bonus: dict | None = None, window: dict | None = None,
             route: str | None = None) -> dict:
        body = {"routeId": route or route_id, "title": title,
                "bonus": bonus or {"amount": "12.50", "currency": "EUR"}, "window": window or WINDOW}
        status, task = call("tasks.handlers", "create_task", "POST", "/tasks", body=body, caller=ADMIN)
        assert status == 201, task
        return task

    return make


@pytest.fixture
def task_id(publish) -> str:
    return publish()["taskId"]

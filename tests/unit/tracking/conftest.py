"""The tracking resource's stack in moto, made from the templates, and helpers to drive it.

Uses the suite-wide `aws_stack` (the whole merged template) when it can be built; when it
cannot (another resource's fragment is broken mid-edit), provisions src/tracking/template.yaml
with the TasksTable and RoutesTable of src/tasks and src/routes, so no table's schema is
restated here.
"""
from __future__ import annotations

import os
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tracking_support import COURIER, ADMIN, Queue, iso

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # for `tests.support`
    sys.path.insert(0, str(ROOT))

TRACKING_FUNCTIONS = ("PostPositionsFunction", "GetTrackFunction", "GetLiveFunction", "PositionsConsumerFunction",
                      "LiveIndexFunction")

# The tables this resource reads, and the fragments that define them.
READ_TABLES = {"TasksTable": "src/tasks/template.yaml", "RoutesTable": "src/routes/template.yaml"}


def tracking_template() -> dict:
    """src/tracking/template.yaml plus the tables it reads, as one provisionable template."""
    from legwork import yamlcfn

    template = yamlcfn.load(ROOT / "src" / "tracking" / "template.yaml")
    template["Parameters"] = {"Stage": {"Type": "String", "Default": "dev"}, **(template.get("Parameters") or {})}
    for logical_id, fragment in READ_TABLES.items():
        template["Resources"][logical_id] = yamlcfn.load(ROOT / fragment)["Resources"][logical_id]
    return template


@pytest.fixture
def tracking_stack(request, monkeypatch):
    """A provisioned stack (`.name(id)`, `.env(fn)`) with the tracking functions' environment set."""
    from tracking import logic

    logic.route_cache().clear()
    try:
        stack = request.getfixturevalue("aws_stack")
    except Exception:  # the merged template cannot be built right now: this resource's own
        stack = None
    if stack is not None and "TrackingTable" in stack.resources:
        yield _with_env(stack, monkeypatch)
        return
    from moto import mock_aws

    from legwork.local.provision import provision

    with mock_aws():
        stack = provision(tracking_template(), stage="dev")
        yield _with_env(stack, monkeypatch)


def _with_env(stack, monkeypatch):
    for function in TRACKING_FUNCTIONS:
        for key, value in stack.env(function).items():
            monkeypatch.setenv(key, value)
    return stack


@pytest.fixture
def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def put_route(tracking_stack):
    """`put_route([(lat, lng), …])` → routeId: a route item as src/routes writes it."""
    import boto3
    from legwork_common.geo import path_length_m
    from decimal import Decimal

    def put(waypoints: list[tuple[float, float]], route_id: str | None = None) -> str:
        route_id = route_id or str(uuid.uuid4())
        boto3.resource("dynamodb").Table(os.environ["ROUTES_TABLE"]).put_item(Item={
            "routeId": route_id,
            "name": "test route",
            "waypoints": [{"lat": Decimal(str(lat)), "lng": Decimal(str(lng))} for lat, lng in waypoints],
            "lengthM": Decimal(str(round(path_length_m(waypoints), 1))),
            "createdBy": ADMIN["userId"],
            "createdAt": "2026-11-23T07:00:00Z",
        })
        return route_id

    return put


@pytest.fixture
def put_task(tracking_stack, now):
    """`put_task(status="in_progress", courier=COURIER, route_id=None)` → taskId, as src/tasks writes it."""
    import boto3

    def put(status: str = "in_progress", courier: dict | None = COURIER, route_id: str | None = None,
            started_at: datetime | None = None, task_id: str | None = None) -> str:
        task_id = task_id or str(uuid.uuid4())
        item: dict[str, Any] = {
            "taskId": task_id,
            "routeId": route_id or "no-such-route",
            "title": "Deliver the parcels",
            "bonus": {"amount": "12.50", "currency": "EUR"},
            "window": {"start": iso(now - timedelta(hours=1)), "end": iso(now + timedelta(hours=3))},
            "status": status,
            "createdAt": iso(now - timedelta(hours=2)),
            "updatedAt": iso(now),
            "version": 1,
        }
        if courier is not None and status != "open":
            item.update(assigneeId=courier["userId"], assigneeName=courier["username"],
                        claimedAt=iso(now - timedelta(minutes=50)))
        if status in ("in_progress", "completed"):
            item["startedAt"] = iso(started_at or now - timedelta(minutes=45))
        boto3.resource("dynamodb").Table(os.environ["TASKS_TABLE"]).put_item(Item=item)
        return task_id

    return put


@pytest.fixture
def set_status(tracking_stack):
    import boto3

    def set_(task_id: str, status: str) -> None:
        boto3.resource("dynamodb").Table(os.environ["TASKS_TABLE"]).update_item(
            Key={"taskId": task_id}, UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": status})

    return set_


@pytest.fixture
def queue(tracking_stack) -> Queue:
    return Queue(tracking_stack)

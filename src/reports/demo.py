"""Demo data for `make dev` (local only): last week's finished work, so that the weekly report
(`make invoke FN=ScheduleReportsFunction`) has figures to show.

Each demo courier completed one to three tasks on the demo routes during the previous ISO
week (some inside their window, some late), each with the distance its track would have
recorded. Ids are fixed per week and items written only if absent, so a restart with
PERSIST=1 adds nothing; the routes and their ids are those of src/tasks/demo.py.
"""
from __future__ import annotations

import importlib.util
import sys
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

COURIERS = [f"courier{i}" for i in range(1, 6)]
BONUSES = ["7.50", "12.00", "9.90"]


def _tasks_demo():
    """src/tasks/demo.py (its routes and id scheme), loaded beside this file."""
    path = Path(__file__).resolve().parents[1] / "tasks" / "demo.py"
    spec = importlib.util.spec_from_file_location("legwork_tasks_demo", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed(stack) -> str:
    """Write last week's completed demo tasks and their track distances unless present."""
    tasks_dir = Path(__file__).resolve().parents[1] / "tasks"
    if str(tasks_dir) not in sys.path:  # the tasks' own models build the task items
        sys.path.append(str(tasks_dir))
    from tasks.models import NewTask, iso, new_task_item

    demo = _tasks_demo()
    ddb = stack.resource("dynamodb")
    tasks, tracking = ddb.Table(stack.name("TasksTable")), ddb.Table(stack.name("TrackingTable"))
    errors = tasks.meta.client.exceptions
    now = datetime.now(timezone.utc)
    monday = (now - timedelta(days=now.weekday() + 7)).replace(hour=0, minute=0, second=0, microsecond=0)
    route_names = list(demo.ROUTES)
    written = 0
    for i, courier in enumerate(COURIERS):
        courier_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"legwork-demo:{courier}"))
        for j in range(i % 3 + 1):
            start = monday + timedelta(days=(i + 2 * j) % 7, hours=8 + 3 * j)
            route = route_names[(i + j) % len(route_names)]
            task = NewTask.parse({"routeId": demo._demo_id("route", route), "title": f"{route} for {courier}",
                                  "bonus": {"amount": BONUSES[(i + j) % len(BONUSES)], "currency": "EUR"},
                                  "window": {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                             "end": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}})
            started = start + timedelta(minutes=10)
            completed = started + timedelta(minutes=35 + 20 * ((i + j) % 3))  # a third of them late
            item = new_task_item(task, created_by="demo", now=start - timedelta(days=1))
            item.update(taskId=demo._demo_id("task", f"{courier}:{monday.date()}:{j}"), status="completed",
                        assigneeId=courier_id, assigneeName=courier, claimedAt=iso(start - timedelta(hours=2)),
                        startedAt=iso(started), completedAt=iso(completed), closedAt=iso(completed),
                        updatedAt=iso(completed), version=4)
            try:
                tasks.put_item(Item=item, ConditionExpression="attribute_not_exists(taskId)")
            except errors.ConditionalCheckFailedException:
                continue
            written += 1
            metres = Decimal(1800 + 650 * ((i + 2 * j) % 5))
            tracking.put_item(Item={"pk": f"TASK#{item['taskId']}", "sk": "LIVE", "taskId": item["taskId"],
                                    "distanceM": metres, "lastTs": iso(completed)})
    return f"last week ({monday.date()}): {written} completed tasks written"

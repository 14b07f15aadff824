"""The demo data `make dev` seeds (src/tasks/demo.py) is valid through the real API, and idempotent."""
from __future__ import annotations

import importlib.util
import uuid

from tests.unit.tasks.helpers import ADMIN, ROOT, call, task_call


def run_demo(stack) -> str:
    from legwork.local.demo_runner import DemoStack
    from legwork.local.seed import snapshot

    spec = importlib.util.spec_from_file_location("tasks_demo", ROOT / "src" / "tasks" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.seed(DemoStack(snapshot(stack)))


def test_demo_data_is_seeded_once_and_works_through_the_api(stack):
    assert run_demo(stack) == "2 routes, 4 tasks (6 items written)"
    assert run_demo(stack) == "2 routes, 4 tasks (0 items written)"

    courier1 = {"userId": str(uuid.uuid5(uuid.NAMESPACE_URL, "legwork-demo:courier1")), "username": "courier1",
                "role": "courier"}
    status, page = call("tasks.handlers", "list_tasks", "GET", "/tasks", caller=courier1)
    assert status == 200
    by_status = sorted((t["status"], t["title"]) for t in page["items"])
    assert by_status == [("in_progress", "Office lunch drop"), ("open", "Bakery morning round"),
                         ("open", "Pharmacy restock"), ("open", "Riverside parcels")]
    running = next(t for t in page["items"] if t["status"] == "in_progress")
    assert task_call("complete", running["taskId"], courier1)[0] == 200

    status, routes = call("routes.handlers", "list_routes", "GET", "/routes", caller=ADMIN)
    assert sorted(r["name"] for r in routes["items"]) == ["Mitte loop", "Spree run"]
    assert all(r["lengthM"] > 1000 for r in routes["items"])

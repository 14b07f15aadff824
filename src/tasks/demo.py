"""Demo data for `make dev` (local only): two routes in Berlin and a few tasks on them.

The local runtime calls `seed(stack)` once on start, inside a tasks function's worker;
`stack.name(id)` is what `!Ref` gives. Items are built by the resources' own models (no
second copy of the schema) with fixed ids, and written only if absent, so a restart with
PERSIST=1 leaves them as they are. One task is in progress for the demo `courier1`, so
the live view has someone to show.
"""
from __future__ import annotations

import sys
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROUTES = {
    "Mitte loop": [(52.5200, 13.4050), (52.5163, 13.3777), (52.5096, 13.3760), (52.5075, 13.3903),
                   (52.5134, 13.4115), (52.5200, 13.4050)],
    "Spree run": [(52.5186, 13.4081), (52.5145, 13.4233), (52.5052, 13.4391), (52.4988, 13.4490)],
}
TASKS = [  # (title, route, amount, currency, hours from now to start, status)
    ("Pharmacy restock", "Mitte loop", "12.50", "EUR", 1, "open"),
    ("Bakery morning round", "Mitte loop", "8.00", "EUR", 20, "open"),
    ("Riverside parcels", "Spree run", "15.00", "EUR", 2, "open"),
    ("Office lunch drop", "Spree run", "9.90", "EUR", 0, "in_progress"),
]


def _demo_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"legwork-demo:{kind}:{name}"))


def seed(stack) -> str:
    """Write the demo routes and tasks unless present; a one-line summary."""
    routes_dir = Path(__file__).resolve().parents[1] / "routes"
    if str(routes_dir) not in sys.path:  # the routes' own models build the route items
        sys.path.append(str(routes_dir))
    from routes.models import NewRoute, new_route_item
    from tasks.models import NewTask, iso, new_task_item

    ddb = stack.resource("dynamodb")
    routes, tasks = ddb.Table(stack.name("RoutesTable")), ddb.Table(stack.name("TasksTable"))
    loads = ddb.Table(stack.name("CourierLoadTable"))
    client = routes.meta.client
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    written = 0

    def put_new(table, item, key: str) -> bool:
        try:
            table.put_item(Item=item, ConditionExpression=f"attribute_not_exists({key})")
            return True
        except client.exceptions.ConditionalCheckFailedException:
            return False

    route_ids = {}
    for name, points in ROUTES.items():
        # Decimals, as the API's JSON parsing gives them: never a float in the table.
        route = NewRoute.parse({"name": name, "waypoints": [{"lat": Decimal(str(lat)), "lng": Decimal(str(lng))}
                                                            for lat, lng in points]})
        item = {**new_route_item(route, created_by="demo", now=now), "routeId": _demo_id("route", name)}
        route_ids[name] = item["routeId"]
        written += put_new(routes, item, "routeId")

    courier_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "legwork-demo:courier1"))  # the demo user courier1
    for title, route_name, amount, currency, hours, status in TASKS:
        start = now + timedelta(hours=hours)
        task = NewTask.parse({"routeId": route_ids[route_name], "title": title,
                              "bonus": {"amount": amount, "currency": currency},
                              "window": {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                         "end": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")}})
        item = {**new_task_item(task, created_by="demo", now=now), "taskId": _demo_id("task", title)}
        if status == "in_progress":
            stamp = iso(now)
            item.update(status="in_progress", assigneeId=courier_id, assigneeName="courier1",
                        claimedAt=stamp, startedAt=stamp, version=3)
        if put_new(tasks, item, "taskId"):
            written += 1
            if status == "in_progress":
                loads.update_item(Key={"courierId": courier_id}, UpdateExpression="ADD activeTasks :one",
                                  ExpressionAttributeValues={":one": 1})
    return f"{len(ROUTES)} routes, {len(TASKS)} tasks ({written} items written)"

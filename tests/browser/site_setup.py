"""Helpers of the browser tests: set-up through the API, waiting, screenshots."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from legwork import ROOT

from legwork.bench.ingest import Api
from tests.support.waiting import eventually  # noqa: F401  (the browser tests import it from here)

SCREENSHOTS = ROOT / ".legwork" / "screenshots"  # git-ignored
PHONE = {"width": 375, "height": 740}
# A short route through Berlin-Mitte, as the demo's.
ROUTE = [(52.5200, 13.4050), (52.5163, 13.3777), (52.5096, 13.3760)]


def utc(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_route(api: Api, admin: str, points=ROUTE, name: str | None = None) -> dict:
    body = {"name": name or f"route {uuid.uuid4().hex[:6]}", "waypoints": [{"lat": a, "lng": b} for a, b in points]}
    return api.expect(201, "POST", "/routes", body, admin)


def make_task(api: Api, admin: str, route_id: str, title: str | None = None, amount: str = "7.50") -> dict:
    now = datetime.now(timezone.utc)
    body = {"routeId": route_id, "title": title or f"task {uuid.uuid4().hex[:6]}",
            "bonus": {"amount": amount, "currency": "EUR"},
            "window": {"start": utc(now - timedelta(hours=1)), "end": utc(now + timedelta(hours=3))}}
    return api.expect(201, "POST", "/tasks", body, admin)


def running_task(api: Api, admin: str, courier: str, points=ROUTE, title: str | None = None) -> tuple[dict, dict]:
    """A new route and a task on it, claimed and started by `courier` (a token)."""
    route = make_route(api, admin, points)
    task = make_task(api, admin, route["routeId"], title)
    api.expect(200, "POST", f"/tasks/{task['taskId']}/claim", token=courier)
    api.expect(200, "POST", f"/tasks/{task['taskId']}/start", token=courier)
    return route, task


def backdate_start(runtime, task_id: str, minutes: float) -> None:
    """Make a running task look started `minutes` ago (its points may then be that old)."""
    import boto3

    table = boto3.resource("dynamodb", endpoint_url=runtime.endpoint_url, region_name="us-east-1").Table(
        runtime.stack.name("TasksTable"))
    started = datetime.now(timezone.utc) - timedelta(minutes=minutes)
    table.update_item(Key={"taskId": task_id}, UpdateExpression="SET startedAt = :s",
                      ExpressionAttributeValues={":s": utc(started)})


def post_position(api: Api, courier: str, task_id: str, lat: float, lng: float, at: datetime | None = None) -> None:
    point = {"lat": lat, "lng": lng, "ts": utc(at or datetime.now(timezone.utc))}
    api.expect(202, "POST", f"/tasks/{task_id}/positions", {"points": [point]}, courier)


def live_item(api: Api, token: str, task_id: str) -> dict | None:
    """The task's item of GET /live once it has a position (None until then)."""
    items = api.expect(200, "GET", "/live", token=token)["items"]
    return next((i for i in items if i["taskId"] == task_id and i.get("position")), None)


def last_seen(item: dict | None) -> datetime | None:
    """A live item's `lastSeen` as a datetime (None when there is no item or no position yet)."""
    return datetime.fromisoformat(item["lastSeen"].replace("Z", "+00:00")) if item and item.get("lastSeen") else None


def screenshot(page, name: str) -> Path:
    """Save what the page shows now as .legwork/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target))
    return target

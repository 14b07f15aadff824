"""`make demo`: simulated couriers, beside a running `make dev`, so the live map moves.

Each demo courier (courier1 … courier5) claims an open task (the admin publishes more on
the demo routes when there are too few), starts it, and drives along its route posting
positions through the real API every `--interval` seconds, with GPS-like jitter (a few
metres, varying accuracy and speed). Past the middle of the route it photographs a
receipt (a sample image uploaded with the presigned POST the API gives), and at the end
it completes the task. Everything stops by itself after `--minutes`, or on Ctrl-C.

    python -m legwork demo --port 3000 --minutes 5
"""
from __future__ import annotations

import argparse
import json
import math
import random
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from legwork.bench.ingest import Api, ApiError, login

PASSWORD = "legwork-demo"
COURIERS = [f"courier{i}" for i in range(1, 6)]
RECEIPT = Path(__file__).with_name("demo_assets") / "receipt.jpg"
EARTH_M_PER_DEG = 111_320.0


def utc(at: datetime | None = None) -> str:
    return (at or datetime.now(timezone.utc)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Leg:
    """A route as cumulative distances, to find the point `d` metres along it."""

    points: list[tuple[float, float]]

    def __post_init__(self) -> None:
        self.cumulative = [0.0]
        for (a_lat, a_lng), (b_lat, b_lng) in zip(self.points, self.points[1:]):
            self.cumulative.append(self.cumulative[-1] + _metres(a_lat, a_lng, b_lat, b_lng))

    @property
    def length(self) -> float:
        return self.cumulative[-1]

    def at(self, distance: float) -> tuple[float, float]:
        distance = max(0.0, min(distance, self.length))
        for i in range(1, len(self.cumulative)):
            if distance <= self.cumulative[i] or i == len(self.cumulative) - 1:
                span = self.cumulative[i] - self.cumulative[i - 1] or 1.0
                f = (distance - self.cumulative[i - 1]) / span
                (a_lat, a_lng), (b_lat, b_lng) = self.points[i - 1], self.points[i]
                return a_lat + (b_lat - a_lat) * f, a_lng + (b_lng - a_lng) * f
        return self.points[-1]


def _metres(a_lat: float, a_lng: float, b_lat: float, b_lng: float) -> float:
    dy = (b_lat - a_lat) * EARTH_M_PER_DEG
    dx = (b_lng - a_lng) * EARTH_M_PER_DEG * math.cos(math.radians((a_lat + b_lat) / 2))
    return math.hypot(dx, dy)


def jitter(lat: float, lng: float, metres: float, rng: random.Random) -> tuple[float, float]:
    """A GPS-like error: normal, `metres` standard deviation."""
    dy, dx = rng.gauss(0, metres), rng.gauss(0, metres)
    return (round(lat + dy / EARTH_M_PER_DEG, 6),
            round(lng + dx / (EARTH_M_PER_DEG * math.cos(math.radians(lat))), 6))


class Courier(threading.Thread):
    """One simulated courier: claim, start, drive, receipt, complete."""

    def __init__(self, api: Api, name: str, token: str, tasks: "TaskPool", *, interval: float, speed: float,
                 stop: threading.Event, log) -> None:
        super().__init__(name=name, daemon=True)
        self.api, self.token, self.tasks = api, token, tasks
        self.interval, self.speed, self.stop_event, self.log = interval, speed, stop, log
        self.rng = random.Random(name)
        self.sent = 0
        self.done: list[str] = []

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                task = self.tasks.take(self)
                if task is None:
                    self.log(self.name, "no open task left; parked")
                    return
                self.drive(task)
        except Exception as exc:  # a demo courier that trips says why, and the others go on
            self.log(self.name, f"stopped: {exc}")

    def drive(self, task: dict) -> None:
        task_id = task["taskId"]
        if task["status"] == "claimed":
            self.api.expect(200, "POST", f"/tasks/{task_id}/start", token=self.token)
        route = self.api.expect(200, "GET", f"/routes/{task['routeId']}", token=self.token)
        leg = Leg([(float(p["lat"]), float(p["lng"])) for p in route["waypoints"]])
        self.log(self.name, f"driving “{task['title']}” ({leg.length / 1000:.1f} km)")
        travelled, receipt_sent = 0.0, False
        while not self.stop_event.is_set():
            travelled += self.speed * self.interval * self.rng.uniform(0.6, 1.3)
            lat, lng = jitter(*leg.at(travelled), metres=self.rng.uniform(3, 10), rng=self.rng)
            point = {"lat": lat, "lng": lng, "ts": utc(), "accuracy": round(self.rng.uniform(4, 15), 1),
                     "speed": round(min(self.speed, 40.0) * self.rng.uniform(0.6, 1.3), 2)}  # a fast demo still reports road speeds
            status, answer = self.api.request("POST", f"/tasks/{task_id}/positions", {"points": [point]}, self.token)
            if status == 202:
                self.sent += 1
            else:
                self.log(self.name, f"position refused ({status}): {_message(answer)}")
            if not receipt_sent and travelled > leg.length * 0.6:
                receipt_sent = True
                self.receipt(task_id)
            if travelled >= leg.length:
                self.api.expect(200, "POST", f"/tasks/{task_id}/complete", token=self.token)
                self.done.append(task_id)
                self.log(self.name, f"completed “{task['title']}”")
                return
            self.stop_event.wait(self.interval)

    def receipt(self, task_id: str) -> None:
        body = RECEIPT.read_bytes()
        status, answer = self.api.request("POST", f"/tasks/{task_id}/receipts",
                                          {"contentType": "image/jpeg", "size": len(body)}, self.token)
        if status != 201:
            self.log(self.name, f"receipt not created ({status}): {_message(answer)}")
            return
        upload = answer["upload"]
        try:
            _post_form(upload["url"], upload["fields"], body, "receipt.jpg", "image/jpeg")
            self.log(self.name, f"receipt {answer['receiptId']} uploaded")
        except (OSError, urllib.error.URLError) as exc:
            self.log(self.name, f"receipt upload failed: {exc}")


class TaskPool:
    """Open tasks handed out one per courier (a 409 means someone else was quicker)."""

    def __init__(self, api: Api, admin: str, log) -> None:
        self.api, self.admin, self.log = api, admin, log
        self.lock = threading.Lock()

    def take(self, courier: Courier) -> dict | None:
        with self.lock:
            mine = self.api.expect(200, "GET", "/tasks", token=courier.token, query={"status": "in_progress"})["items"]
            mine += self.api.expect(200, "GET", "/tasks", token=courier.token, query={"status": "claimed"})["items"]
            own = [t for t in mine if t.get("assigneeName") == courier.name and t["taskId"] not in courier.done]
            if own:
                return own[0]
            for _ in range(3):
                open_tasks = self.api.expect(200, "GET", "/tasks", token=courier.token, query={"status": "open"})["items"]
                if not open_tasks:
                    self.publish()
                    continue
                for task in open_tasks:
                    status, answer = self.api.request("POST", f"/tasks/{task['taskId']}/claim", token=courier.token)
                    if status == 200:
                        return answer
            return None

    def publish(self) -> None:
        routes = self.api.expect(200, "GET", "/routes", token=self.admin, query={"limit": 10})["items"]
        if not routes:
            raise ApiError("no routes to publish demo tasks on")
        now = datetime.now(timezone.utc)
        for route in routes[:2]:
            body = {"routeId": route["routeId"], "title": f"Demo run {uuid.uuid4().hex[:4]} on {route['name']}",
                    "bonus": {"amount": "6.50", "currency": "EUR"},
                    "window": {"start": utc(now.replace(microsecond=0)), "end": utc((now + timedelta(hours=2)).replace(microsecond=0))}}
            self.api.expect(201, "POST", "/tasks", body, self.admin)
        self.log("demo", "published two more tasks on the demo routes")


def _message(answer) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        return answer["error"].get("message", "")
    return json.dumps(answer)[:200]


def _post_form(url: str, fields: dict, body: bytes, filename: str, content_type: str) -> None:
    """A multipart/form-data POST (a presigned POST), the file last."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n".encode() + body + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    request = urllib.request.Request(url, data=b"".join(parts), method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def wait_for_api(api: Api, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if api.request("GET", "/health")[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"demo: no API answers on {api.host}:{api.port}; start `make dev` first (PORT= if not 3000)")
        time.sleep(0.5)


def run(base_url: str, *, minutes: float, interval: float, speed: float, couriers: int,
        stop: threading.Event | None = None, log=None) -> list[Courier]:
    """Drive `couriers` demo couriers for at most `minutes`; returns them (for their counts)."""
    log = log or (lambda who, text: print(f"{time.strftime('%H:%M:%S')} {who:<9} | {text}", flush=True))
    stop = stop or threading.Event()
    api = Api(base_url)
    wait_for_api(api)
    admin = login(api, "admin", PASSWORD)["token"]
    pool = TaskPool(api, admin, log)
    team = [Courier(api, name, login(api, name, PASSWORD)["token"], pool, interval=interval, speed=speed, stop=stop, log=log)
            for name in COURIERS[:couriers]]
    for courier in team:
        courier.start()
    deadline = time.monotonic() + minutes * 60
    while not stop.is_set() and time.monotonic() < deadline and any(c.is_alive() for c in team):
        stop.wait(0.5)
    stop.set()
    for courier in team:
        courier.join(timeout=10)
    return team


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m legwork demo", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--minutes", type=float, default=5.0, help="stop after this long (default 5)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between positions (phones: 10; 2 keeps the demo lively)")
    parser.add_argument("--speed", type=float, default=12.0, help="metres per second along the route")
    parser.add_argument("--couriers", type=int, default=len(COURIERS), choices=range(1, len(COURIERS) + 1))
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"demo: {args.couriers} couriers on http://{args.host}:{args.port} for at most {args.minutes:g} min; "
          f"open http://{args.host}:{args.port}/ as manager to watch. Ctrl-C stops.", flush=True)
    team = run(f"http://{args.host}:{args.port}", minutes=args.minutes, interval=args.interval, speed=args.speed,
               couriers=args.couriers, stop=stop)
    print(f"demo: stopped; {sum(c.sent for c in team)} positions sent, {sum(len(c.done) for c in team)} tasks completed",
          flush=True)
    return 0

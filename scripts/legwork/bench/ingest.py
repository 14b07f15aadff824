"""`python -m legwork bench ingest`: GPS ingestion through the local runtime, end to end.

Starts `python -m legwork dev` on a free port (its own process, so this client's threads
do not share its interpreter), then, on loopback only:

1. as the demo admin, creates one route and N couriers (default 200), and a task per
   courier, which the courier claims and starts, all through the API;
2. for a bounded time (and a bounded number of batches), every courier posts a batch of
   points every `--interval` seconds (phones post every 10 s: 1 s is 10x accelerated),
   open loop from a pool of client threads: a batch the client could not send on time is
   sent late, and how late is reported (the client or the API did not keep up);
3. reads the lag from the consumer itself: for every message it stores, the time from SQS
   accepting it to its points being stored and its task's live item written (`lag_ms` in
   its `ingestStats` log line, the `IngestLag` metric in AWS), in three stretches of the
   run, so a lag that keeps growing shows; nothing polls GET /live while couriers post;
4. once every accepted batch is stored, checks that GET /live shows each courier's newest
   point and pages every task's GET /tasks/{taskId}/track: the points stored must be
   exactly the points accepted, none twice;
5. sums what the consumer says it issued: DynamoDB write and read request units (from
   item sizes), its invocations and their duration; with the API side (one request, one
   function call, one consistent read and one SQS message per batch) these are the billed
   units per 1,000 points, priced by `legwork.bench.cost` per 1,000 courier-hours in
   us-east-1 and cn-north-1;
6. prints them beside the recorded figures of the design before issue 14
   (`ingest-baseline.json`, `--save-baseline` writes a new one).

Figures only; nothing is asserted, but the exit status is 1 when a figure is missing or the
count check fails. The pieces (`Api`, `prepare_couriers`, `post_batches`, `read_tracks`)
are what tests/integration/test_tracking_e2e.py drives too.

The fleet the issue asks about, 2,000 couriers at the phone rate (200 POST/s):

    python -m legwork bench ingest --couriers 2000 --interval 10 --seconds 120
"""
from __future__ import annotations

import argparse
import heapq
import http.client
import json
import os
import re
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

from legwork import ROOT
from legwork.bench import dev_server
from legwork.bench import cost

DEMO_ADMIN = ("admin", "legwork-demo")
COURIER_PASSWORD = "legwork-bench-courier"
# A 2 km L through Berlin-Mitte: east, then north.
ROUTE = [(52.5200, 13.4000), (52.5200, 13.4147), (52.5290, 13.4147)]


class ApiError(RuntimeError):
    """An answer the benchmark did not expect; the message has the status and body."""


class Api:
    """A small JSON client for the local API: one keep-alive connection per thread."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return conn

    def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                query: dict[str, Any] | None = None) -> tuple[int, Any]:
        """(status, decoded JSON body); one retry on a dropped keep-alive connection."""
        if query:
            path = f"{path}?{urlencode(query)}"
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        return response.status, (json.loads(payload) if payload else None)

    def expect(self, status: int, method: str, path: str, body: Any = None, token: str | None = None,
               query: dict[str, Any] | None = None) -> Any:
        got, answer = self.request(method, path, body, token, query)
        if got != status:
            raise ApiError(f"{method} {path}: expected {status}, got {got}: {json.dumps(answer)[:300]}")
        return answer


def login(api: Api, username: str, password: str, timeout_s: float = 60.0) -> dict:
    """POST /auth/login's answer, retried while demo users are still being written."""
    deadline = time.monotonic() + timeout_s
    while True:
        status, answer = api.request("POST", "/auth/login", {"username": username, "password": password})
        if status == 200:
            return answer
        if time.monotonic() > deadline:
            raise ApiError(f"login as {username} failed: {status} {answer}")
        time.sleep(0.2)


@dataclass
class Posted:
    """One accepted batch: when it was sent and when its newest point became visible."""

    task_id: str
    newest_ts: str
    points: int
    sent_at: float
    visible_at: float | None = None
    api_ms: float = 0.0  # the POST's round trip seen by the client (gateway + authorizer + function)
    slip_s: float = 0.0  # how late the client sent it after its due time (> 0: the client fell behind)


@dataclass
class Courier:
    """A courier with a token and the task they are running, and what they posted."""

    username: str
    user_id: str
    token: str
    task_id: str = ""
    sent: list[dict] = field(default_factory=list)  # every accepted point, as posted
    posted: list[Posted] = field(default_factory=list)
    refused: int = 0
    last_ts: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def iso_ms(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def prepare_couriers(api: Api, count: int, *, admin_token: str, threads: int = 8, prefix: str | None = None,
                     route: list[tuple[float, float]] = ROUTE) -> tuple[str, list[Courier]]:
    """One route, `count` new couriers, and a started task for each, all through the API."""
    prefix = prefix or f"bench{uuid.uuid4().hex[:6]}"
    route_id = api.expect(201, "POST", "/routes", {
        "name": f"{prefix} route", "waypoints": [{"lat": lat, "lng": lng} for lat, lng in route]},
        admin_token)["routeId"]
    now = datetime.now(timezone.utc)
    window = {"start": iso_ms(now - timedelta(hours=1)), "end": iso_ms(now + timedelta(hours=8))}

    def one(i: int) -> Courier:
        username = f"{prefix}-c{i:04d}"
        api.expect(201, "POST", "/users", {"username": username, "password": COURIER_PASSWORD, "role": "courier"},
                   admin_token)
        session = login(api, username, COURIER_PASSWORD)
        courier = Courier(username=username, user_id=session["user"]["userId"], token=session["token"])
        task = api.expect(201, "POST", "/tasks", {
            "routeId": route_id, "title": f"{prefix} task {i}",
            "bonus": {"amount": "5.00", "currency": "EUR"}, "window": window}, admin_token)
        courier.task_id = task["taskId"]
        api.expect(200, "POST", f"/tasks/{courier.task_id}/claim", {}, courier.token)
        api.expect(200, "POST", f"/tasks/{courier.task_id}/start", {}, courier.token)
        return courier

    with ThreadPoolExecutor(max_workers=threads) as pool:
        couriers = list(pool.map(one, range(count)))
    return route_id, couriers


def walk_point(step: int, total: int, route: list[tuple[float, float]] = ROUTE) -> tuple[float, float]:
    """Where a courier is after `step` of `total` steps along `route` (linear in each leg)."""
    legs = len(route) - 1
    f = min(1.0, step / max(1, total)) * legs
    leg = min(int(f), legs - 1)
    t = f - leg
    (a_lat, a_lng), (b_lat, b_lng) = route[leg], route[leg + 1]
    return round(a_lat + t * (b_lat - a_lat), 7), round(a_lng + t * (b_lng - a_lng), 7)


def post_batch(api: Api, courier: Courier, size: int, *, total_steps: int, due: float | None = None) -> Posted | None:
    """Post `size` new points (strictly later than the courier's previous ones); None if refused.

    `due` is when (`time.monotonic()`) the courier's phone meant to send it."""
    with courier.lock:
        now = datetime.now(timezone.utc)
        start = max(now, courier.last_ts + timedelta(milliseconds=1)) if courier.last_ts else now
        batch = []
        for k in range(size):
            at = start + timedelta(milliseconds=k)
            lat, lng = walk_point(len(courier.sent) + k, total_steps)
            batch.append({"lat": lat, "lng": lng, "ts": iso_ms(at), "accuracy": 5})
        courier.last_ts = start + timedelta(milliseconds=size - 1)
        sent_at = time.monotonic()
        status, answer = api.request("POST", f"/tasks/{courier.task_id}/positions", {"points": batch}, courier.token)
        if status != 202:
            courier.refused += 1
            return None
        courier.sent.extend(batch)
        posted = Posted(courier.task_id, batch[-1]["ts"], answer["accepted"], sent_at,
                        api_ms=(time.monotonic() - sent_at) * 1000,
                        slip_s=max(0.0, sent_at - due) if due is not None else 0.0)
        courier.posted.append(posted)
        return posted


def post_batches(api: Api, couriers: list[Courier], *, batches: int, size: int, threads: int,
                 interval: float = 0.0, seconds: float | None = None) -> float:
    """Each courier posts up to `batches` batches, `interval` s apart, for at most `seconds`; elapsed s.

    Open loop, as phones are: a batch is due `interval` after the courier's previous one
    was due, however long that one took. The couriers start spread over the first
    interval. When all `threads` are busy, due batches wait and are sent late (each
    `Posted.slip_s` says how late): a client or an API that cannot keep up shows as slip.
    Nothing is sent after `seconds`: what was still due then is dropped."""
    stop_at = time.monotonic() + seconds if seconds else None
    lock = threading.Lock()
    spread = interval / max(1, len(couriers))
    due = [(i * spread, i, 0) for i in range(len(couriers))]  # (due offset, courier index, batch number)
    heapq.heapify(due)
    started = time.monotonic()

    def next_job() -> tuple[float, int, int] | None:
        with lock:
            return heapq.heappop(due) if due else None

    def worker() -> None:
        while True:
            job = next_job()
            if job is None:
                return
            when, index, number = job
            if stop_at and max(started + when, time.monotonic()) >= stop_at:
                continue  # the time is up (or it is due after that): dropped, and its successors
            wait = started + when - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            post_batch(api, couriers[index], size, total_steps=batches * size, due=started + when)
            if number + 1 < batches:
                with lock:
                    heapq.heappush(due, (when + interval, index, number + 1))

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.monotonic() - started


def live_items(api: Api, token: str) -> list[dict] | None:
    """Every page of GET /live (None if a page is refused)."""
    items: list[dict] = []
    query: dict[str, Any] = {}
    while True:
        status, answer = api.request("GET", "/live", token=token, query=query)
        if status != 200:
            return None
        items.extend(answer["items"])
        if not answer.get("nextCursor"):
            return items
        query = {"cursor": answer["nextCursor"]}


class LiveWatcher:
    """Reads GET /live (every page) on `check()` and stamps each posted batch visible when
    its newest point is the task's latest position."""

    def __init__(self, api: Api, token: str, couriers: list[Courier]) -> None:
        self.api, self.token = api, token
        self.by_task = {c.task_id: c for c in couriers}
        self._next = {c.task_id: 0 for c in couriers}

    def check(self) -> None:
        items = live_items(self.api, self.token)
        seen_at = time.monotonic()
        for item in items or []:
            courier = self.by_task.get(item["taskId"])
            if courier is None or item["lastSeen"] is None:  # listed, no position yet
                continue
            with courier.lock:
                posted = list(courier.posted)
            i = self._next[item["taskId"]]
            while i < len(posted) and posted[i].newest_ts <= item["lastSeen"]:
                posted[i].visible_at = seen_at
                i += 1
            self._next[item["taskId"]] = i

    def all_visible(self) -> bool:
        return all(p.visible_at is not None for c in self.by_task.values() for p in c.posted)


def read_tracks(api: Api, token: str, couriers: list[Courier], *, limit: int = 1000,
                threads: int = 1) -> dict[str, list[dict]]:
    """Every task's whole track, page by page (`threads` tasks at a time)."""

    def one(courier: Courier) -> list[dict]:
        items: list[dict] = []
        cursor = None
        while True:
            query: dict[str, Any] = {"limit": limit}
            if cursor:
                query["cursor"] = cursor
            page = api.expect(200, "GET", f"/tasks/{courier.task_id}/track", token=token, query=query)
            items.extend(page["items"])
            cursor = page["nextCursor"]
            if not cursor:
                return items

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return dict(zip((c.task_id for c in couriers), pool.map(one, couriers)))


def account(couriers: list[Courier], tracks: dict[str, list[dict]]) -> dict[str, int]:
    """Points accepted vs stored: missing, duplicated and unexpected points, over all tasks."""
    accepted = stored = missing = duplicates = unexpected = 0
    for courier in couriers:
        sent = {p["ts"]: p for p in courier.sent}
        got = [p["ts"] for p in tracks.get(courier.task_id, [])]
        accepted += len(sent)
        stored += len(got)
        duplicates += len(got) - len(set(got))
        missing += len(set(sent) - set(got))
        unexpected += len(set(got) - set(sent))
    return {"accepted": accepted, "stored": stored, "missing": missing, "duplicates": duplicates,
            "unexpected": unexpected}


INGEST_LINE = re.compile(r"\|\s*(\{.*\"ingestStats\".*\})\s*$")


def ingest_stats(log_text: str) -> list[dict]:
    """The consumer's `ingestStats` log lines, in the order it wrote them."""
    found = []
    for line in log_text.splitlines():
        match = INGEST_LINE.search(line)
        if match:
            try:
                found.append(json.loads(match.group(1))["ingestStats"])
            except (ValueError, KeyError):
                continue
    return found


def ingest_totals(lines: list[dict]) -> dict[str, float]:
    """Sum the consumer's `ingestStats` lines (their numbers); `invocations` counts the lines."""
    totals: dict[str, float] = {"invocations": 0}
    for stats in lines:
        totals["invocations"] += 1
        for key, value in stats.items():
            if isinstance(value, (int, float)):
                totals[key] = totals.get(key, 0) + float(value)
    return totals


def lag_over_time(stats: list[dict], parts: int = 3) -> list[list[int]]:
    """The consumer's per-message lags (`lag_ms`) in `parts` consecutive stretches of the run."""
    lags = [lag for line in stats for lag in line.get("lag_ms", [])]
    size = -(-len(lags) // parts) if lags else 0
    return [sorted(lags[k * size:(k + 1) * size]) for k in range(parts)] if size else [[] for _ in range(parts)]


def lag_bounded(stretches: list[list[int]]) -> bool:
    """The lag did not grow over the run: the last stretch's p99 is within twice the first's,
    plus one second of slack for a short run's noise."""
    first, last = stretches[0], stretches[-1]
    if not first or not last:
        return False
    return percentile(last, 99) <= 2 * percentile(first, 99) + 1000


BASELINE = Path(__file__).with_name("ingest-baseline.json")
COMPARED = (  # (figure, label, format)
    ("points_per_s", "accepted points per second", "{:,.0f}"),
    ("lag_p50_ms", "lag p50 (ms) *", "{:,.0f}"),
    ("lag_p99_ms", "lag p99 (ms) *", "{:,.0f}"),
    ("count_check", "count check", "{}"),
    ("write_units_per_1000_points", "DynamoDB WRU per 1,000 points", "{:,.1f}"),
    ("read_units_per_1000_points", "DynamoDB RRU per 1,000 points", "{:,.1f}"),
    ("sqs_requests_per_1000_points", "SQS requests per 1,000 points", "{:,.1f}"),
    ("lambda_invocations_per_1000_points", "Lambda invocations per 1,000 points", "{:,.1f}"),
    ("lambda_gb_seconds_per_1000_points", "Lambda GB-s per 1,000 points", "{:,.2f}"),
    ("cost_1000_courier_hours_us-east-1", "1,000 courier-hours, us-east-1 (USD)", "${:,.2f}"),
    ("cost_1000_courier_hours_cn-north-1", "1,000 courier-hours, cn-north-1 (CNY)", "¥{:,.2f}"),
)


def function_memory(template: Path) -> dict[str, int]:
    """MemorySize of each function of the merged template (Globals applied)."""
    from legwork import yamlcfn

    data = yamlcfn.load(template)
    parameters = data.get("Parameters") or {}

    def megabytes(value: Any) -> int:
        if isinstance(value, dict) and set(value) == {"Ref"}:  # a parameter: its default, as `make dev` runs it
            value = (parameters.get(value["Ref"]) or {}).get("Default")
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
            raise ValueError(f"{template}: a MemorySize the benchmark cannot read: {value!r}")
        return int(value)

    default = megabytes(((data.get("Globals") or {}).get("Function") or {}).get("MemorySize", 128))
    return {lid: megabytes((r.get("Properties") or {}).get("MemorySize", default))
            for lid, r in data["Resources"].items() if r.get("Type") == "AWS::Serverless::Function"}


def compare(figures: dict[str, Any], baseline_path: Path | None) -> None:
    """Print this run beside the recorded baseline (the design before issue 14), if there is one."""
    if baseline_path is None or not baseline_path.is_file():
        return
    baseline = json.loads(baseline_path.read_text(encoding="utf-8"))
    settings = ", ".join(f"{k} {v}" for k, v in baseline.get("settings", {}).items())
    print(f"\n  before (recorded {baseline.get('measured')}, {settings}) and now:")
    print(f"    {'':<40}{'before':>14}{'now':>14}")
    show = lambda v, fmt: "—" if v is None else fmt.format(v)  # noqa: E731
    for key, label, fmt in COMPARED:
        before, now = baseline["figures"].get(key), figures.get(key)
        print(f"    {label:<40}{show(before, fmt):>14}{show(now, fmt):>14}")
    # DynamoDB's part of the bill depends on units only, not on this machine's speed.
    points_per_batch = float(baseline.get("settings", {}).get("batch_size", 5))
    for region, prices in cost.load_prices().items():
        def dynamodb(found: dict[str, Any]) -> float | None:
            if found.get("write_units_per_1000_points") is None:
                return None
            per_batch = cost.Units(write_units=found["write_units_per_1000_points"] * points_per_batch / 1000,
                                   read_units=found["read_units_per_1000_points"] * points_per_batch / 1000)
            return cost.price(cost.per_courier_hours(per_batch), prices)["total"]
        label = f"  of which DynamoDB, {region}"
        fmt = prices["symbol"] + "{:,.2f}"
        print(f"    {label:<40}{show(dynamodb(baseline['figures']), fmt):>14}{show(dynamodb(figures), fmt):>14}")
    print("    (throughput, lag and Lambda GB-s depend on the machine's load when each was measured;"
          " the unit counts do not)")
    print("    * before: POST sent → its point on GET /live, polled every 0.5 s; now: SQS accepted → stored"
          " (the consumer's IngestLag; the POST's round trip is printed above)")


REPORT_LINE = re.compile(r"^\S+ (\S+)\s*\| REPORT RequestId: \S+ Duration: ([\d.]+) ms")


def report_durations(log_text: str) -> dict[str, list[float]]:
    """Each function's invocation durations, from the runtime's REPORT lines (`dev --verbose`)."""
    found: dict[str, list[float]] = {}
    for line in log_text.splitlines():
        match = REPORT_LINE.match(line)
        if match:
            found.setdefault(match.group(1), []).append(float(match.group(2)))
    return found


def percentile(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100)[q - 1]


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m legwork bench ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--couriers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long couriers post (bounded)")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="seconds between a courier's batches (phones: 10; 1 = 10x accelerated)")
    parser.add_argument("--batch-size", type=int, default=5, help="points per batch (1-100)")
    parser.add_argument("--max-batches", type=int, default=1000, help="per courier, at most")
    parser.add_argument("--threads", type=int, default=64,
                        help="client threads posting (open loop: a batch due while all are busy is sent late)")
    parser.add_argument("--setup-threads", type=int, default=4,
                        help="client threads creating couriers and tasks (each courier costs two scrypt hashes)")
    parser.add_argument("--workers", type=int, default=12, help="warm workers per function in `dev` (its --workers)")
    parser.add_argument("--drain-timeout", type=float, default=120.0, help="seconds to wait for the queue to drain")
    parser.add_argument("--moto-process", action="store_true", help="pass --moto-process to `dev`")
    parser.add_argument("--baseline", type=Path, default=BASELINE,
                        help="figures to print beside this run's (default: the design before issue 14)")
    parser.add_argument("--save-baseline", type=Path, default=None, help="write this run's figures there")
    args = parser.parse_args(argv)
    if not args.template.is_file():
        print(f"{args.template} does not exist: run `make merge` first", file=sys.stderr)
        return 2
    if not 1 <= args.batch_size <= 100:
        parser.error("--batch-size must be 1 to 100")

    from legwork.bench.local import wait_for_first_answer

    options = ["--quiet", "--verbose", "--no-timers", "--poll-interval", "0.1", "--workers", str(args.workers),
               "--log-format", "json",  # the consumer's ingestStats lines, as written (INGEST_LINE)
               *(["--moto-process"] if args.moto_process else [])]
    with dev_server(args.template, *options, log_prefix="legwork-bench-ingest-") as dev:
        log_file = dev.log
        assert log_file is not None
        wait_for_first_answer(dev.port, dev.started)
        api = Api(dev.base_url)
        admin = login(api, *DEMO_ADMIN)["token"]
        t0 = time.monotonic()
        _, couriers = prepare_couriers(api, args.couriers, admin_token=admin, threads=args.setup_threads)
        setup_s = time.monotonic() - t0
        elapsed = post_batches(api, couriers, batches=args.max_batches, size=args.batch_size, threads=args.threads,
                               interval=args.interval, seconds=args.seconds)
        posted = [p for c in couriers for p in c.posted]

        def consumed() -> bool:  # every accepted batch stored, by the consumer's own count
            log_file.flush()
            with open(log_file.name, encoding="utf-8", errors="replace") as text:
                return sum(line.get("messages", 0) - line.get("failed", 0) for line in ingest_stats(text.read())) \
                    >= len(posted)

        drained = wait_until(consumed, args.drain_timeout, interval=1.0)
        drain_s = time.monotonic() - t0 - setup_s - elapsed
        # Then each task's latest position on GET /live is its courier's newest point (a
        # late batch never moved a courier back), and every point is stored once.
        watcher = LiveWatcher(api, admin, couriers)
        on_map = wait_until(lambda: watcher.check() or watcher.all_visible(), 30, interval=1.0)
        tracks = read_tracks(api, admin, couriers, threads=4)
        counts = account(couriers, tracks)
    log_file.seek(0)
    log_text = log_file.read()
    consumer_lines = ingest_stats(log_text)
    totals = ingest_totals(consumer_lines)
    stretches = lag_over_time(consumer_lines)
    durations = report_durations(log_text)
    log_file.close()

    lags = sorted(lag for part in stretches for lag in part)
    api_ms = sorted(p.api_ms for p in posted)
    slips = sorted(p.slip_s for p in posted)
    refused = sum(c.refused for c in couriers)
    points = counts["accepted"]
    offered = args.couriers / args.interval
    accepted_rate = len(posted) / elapsed if elapsed else 0.0
    kept_up = accepted_rate >= 0.95 * min(offered, args.max_batches * args.couriers / max(elapsed, 1e-9)) \
        and percentile(slips, 99) < args.interval
    bounded = drained and lag_bounded(stretches)
    print(f"legwork GPS ingestion through the local runtime — {args.couriers} couriers, a batch of "
          f"{args.batch_size} points every {args.interval:g} s each for {args.seconds:g} s "
          f"(offered {offered:,.0f} POST/s), {args.threads} client threads, {args.workers} workers a function, "
          f"loopback, {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f})")
    print(f"  set-up (users, route, tasks claimed and started through the API): {setup_s:.1f} s")
    print(f"  accepted: {len(posted)} batches, {points} points in {elapsed:.1f} s "
          f"= {points / elapsed if elapsed else 0:.0f} points/s ({accepted_rate:.1f} POST/s); {refused} batches refused")
    print(f"  the API: round trip p50 {percentile(api_ms, 50):.0f} ms, p99 {percentile(api_ms, 99):.0f} ms; "
          f"batches sent late by the client p50 {percentile(slips, 50):.1f} s, p99 {percentile(slips, 99):.1f} s "
          f"→ {'kept up with' if kept_up else 'did NOT keep up with'} the offered rate")
    print(f"  drained {'' if drained else 'NOT '}within {args.drain_timeout:g} s (every accepted batch stored "
          f"{drain_s:.1f} s after the last post); GET /live {'shows' if on_map else 'does NOT show'} "
          f"each courier's newest point")
    print(f"  lag, SQS accepted → stored and on the live map (the consumer's IngestLag, per message): "
          f"p50 {percentile(lags, 50):.0f} ms, p99 {percentile(lags, 99):.0f} ms over {len(lags)} messages")
    print("  lag over the run, p50/p99 ms by thirds: " + ", ".join(
        f"{percentile(part, 50):.0f}/{percentile(part, 99):.0f}" for part in stretches)
        + f" → {'bounded' if bounded else 'NOT bounded (growing)'}")
    ok = counts["accepted"] == counts["stored"] and not counts["missing"] + counts["duplicates"]
    print(f"  count check: accepted {counts['accepted']}, stored {counts['stored']}, missing {counts['missing']}, "
          f"duplicated {counts['duplicates']}, unexpected {counts['unexpected']} → {'OK' if ok else 'MISMATCH'}")
    figures: dict[str, Any] = {
        "points_per_s": points / elapsed if elapsed else 0.0, "lag_p50_ms": percentile(lags, 50),
        "lag_p99_ms": percentile(lags, 99), "count_check": "OK" if ok else "MISMATCH",
    }
    if totals["invocations"] and posted:
        memory = function_memory(args.template)
        per_batch = cost.units_per_batch(
            batches=len(posted), consumer_invocations=int(totals["invocations"]),
            consumer_ms=totals.get("duration_ms", 0.0), consumer_memory_mb=memory["PositionsConsumerFunction"],
            consumer_write_units=totals.get("write_units", 0.0), consumer_read_units=totals.get("read_units", 0.0),
            api_ms=statistics.median(durations.get("PostPositionsFunction") or [p.api_ms for p in posted]),
            api_memory_mb=memory["PostPositionsFunction"])
        print(f"  consumer: {totals['invocations']:.0f} invocations, {totals.get('messages', 0):.0f} messages, "
              f"{totals.get('points', 0):.0f} points, {totals.get('failed', 0):.0f} failed; "
              f"{totals.get('live_updated', 0):.0f} live updates ({totals.get('live_stale', 0):.0f} late batches "
              f"left them as they were); {totals.get('unprocessed_retries', 0):.0f} UnprocessedItems retries")
        print(f"  billed units (DynamoDB units from item sizes; Lambda durations as the local workers report them, "
              f"inflated by the machine's load; SQS {cost.SQS_REQUESTS_PER_MESSAGE:g} requests a message):")
        for line in cost.report(per_batch, points_per_batch=points / len(posted)):
            print(line)
        per_k = per_batch.scaled(1000.0 * len(posted) / points)
        fleet = cost.per_courier_hours(per_batch)
        figures.update({f"{k}_per_1000_points": v for k, v in per_k.as_dict().items()})
        figures.update({f"cost_1000_courier_hours_{region}": cost.price(fleet, prices)["total"]
                        for region, prices in cost.load_prices().items()})
    else:
        print(f"  no consumer statistics found in the runtime's log (kept: {log_file.name}): no unit counts, no cost")
    print("  API side, per batch: one GetItem (the task) and one SQS SendMessage; nothing written to DynamoDB")
    print("  local limits: the consumer runs as many batches at once as the template's MaximumConcurrency "
          "(at most 8 locally), on this machine's cores; moto answers a GSI query by scanning the table")
    compare(figures, args.baseline)
    if args.save_baseline:
        args.save_baseline.write_text(json.dumps({"measured": time.strftime("%Y-%m-%d"), "settings": {
            "couriers": args.couriers, "seconds": args.seconds, "interval": args.interval,
            "batch_size": args.batch_size}, "figures": figures}, indent=1) + "\n", encoding="utf-8")
    if not totals["invocations"] or not ok:
        return 1  # a figure is missing or the count check failed: not a benchmark result
    os.unlink(log_file.name)
    return 0

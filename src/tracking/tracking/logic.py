"""The rules of tracking: who may post positions, how a batch of them is stored, what the live map shows.

Two halves, free of any AWS event shape:

- `TrackingService`: the API. `accept_positions` checks the batch and the task and
  queues the batch (nothing is written to the table on the request path); `track` and
  `live` read.
- `Ingest`: the queue's consumer, one instance per SQS batch. Every message is
  `stage`d (parsed, its task looked up; a poisoned one raises), then `commit` makes one
  live update per task, the task's newest points riding in its live item until they fill
  a chunk (see tracking.models): usually one write unit per batch in all.

    >>> ingest = Ingest(tasks, routes, tracking)
    >>> ingest.prefetch([m.body for m in messages])
    >>> for m in messages: ingest.stage(m, m.body)
    >>> failures = ingest.commit()         # [(message, exception), …]: retry these

Liveness of the live map: a task enters the `live` index when it starts, before any
point (`TrackingService.follow_task`, fed by the tasks table's stream: it lists the task
with no position and takes it out when it stops running); the consumer keeps a task's
live item in the index only while the task is `in_progress`; and GET /live checks every
listed task's status at read time and takes the finished ones out of the index, so a
task completed while its stream record is still on the way leaves the map at the next
read. The cost of GET /live follows the running tasks, not the points ever recorded.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Hashable

from aws_lambda_powertools import Logger

from legwork_common.api import Caller
from legwork_common.errors import Forbidden, NotAssignee, NotFound, TaskNotInProgress
from legwork_common.geo import haversine_m, locate_on_path
from tracking.dal import (
    BATCH_GET_MAX, PositionsQueue, RoutesTable, TasksTable, TrackingTable, Usage, batch_get, task_partition,
    write_units,
)
from tracking.models import (
    CHUNK_SPAN, LivePage, Point, PoisonMessage, QueuedBatch, TrackPage, buffered_points, chunk_item, chunks, encode_cursor,
    encode_points, format_utc, parse_positions,
)

logger = Logger(child=True)

IN_PROGRESS = "in_progress"
LIVE_ATTEMPTS = 5
LIVE_WRITERS = 8  # live items written at once per batch
MAX_TASK_ID = 64
ROUTE_CACHE_SECONDS = 300.0
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Settings:
    """What the template sets in the environment (see src/tracking/template.yaml)."""

    max_skew: timedelta = timedelta(minutes=2)
    retention: timedelta | None = timedelta(days=180)  # points expire (TTL) this long after they were taken

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        days = int(env.get("POSITIONS_RETENTION_DAYS", 180))
        return cls(max_skew=timedelta(seconds=int(env.get("POSITIONS_MAX_SKEW_SECONDS", 120))),
                   retention=timedelta(days=days) if days > 0 else None)


class TrackingService:
    """POST positions, GET track, GET live."""

    def __init__(self, tasks: TasksTable, *, queue: PositionsQueue | None = None,
                 tracking: TrackingTable | None = None, settings: Settings | None = None,
                 clock: Clock = utc_now) -> None:
        self.tasks = tasks
        self.queue = queue
        self.tracking = tracking
        self.settings = settings or Settings()
        self.clock = clock

    def _task(self, task_id: str) -> dict:
        # An id no task can have (the API's schema allows 1-64 characters) is simply unknown.
        task = self.tasks.get(task_id) if 0 < len(task_id) <= MAX_TASK_ID else None
        if task is None:
            raise NotFound("task", task_id)
        return task

    def accept_positions(self, caller: Caller, task_id: str, body: Any) -> dict:
        """Queue a batch of points of the caller's running task: `{accepted, batchId}`.

        Refused before anything is queued: a bad point (400, naming it), an unknown task
        (404), a caller who is not the assignee (403), a task not in progress (409).
        """
        assert self.queue is not None, "accept_positions needs the positions queue"
        now = self.clock()
        # The shape first (no read needed), then the task, then the rules of time that need
        # the clock and the task: a well-formed batch for a task that is not the caller's to
        # post is a 404/403/409, whatever its timestamps.
        parse_positions(body, now=None)
        task = self._task(task_id)
        if task.get("assigneeId") != caller.user_id:
            raise NotAssignee(task_id, "post its positions")
        if task.get("status") != IN_PROGRESS:
            hint = f"POST /tasks/{task_id}/start first" if task.get("status") == "claimed" else None
            raise TaskNotInProgress("task", task_id, str(task.get("status")), "post positions for it", (IN_PROGRESS,),
                                    hint)
        started = task.get("startedAt")
        not_before = _parse_when(started) if isinstance(started, str) else None
        points = parse_positions(body, now=now, max_skew=self.settings.max_skew, not_before=not_before)
        batch = QueuedBatch(batch_id=str(uuid.uuid4()), task_id=task_id, courier_id=caller.user_id,
                            accepted_at=format_utc(now), points=tuple(points))
        self.queue.send(batch.to_message())
        logger.info("positions queued", extra={"taskId": task_id, "batchId": batch.batch_id, "points": len(points)})
        return {"accepted": len(points), "batchId": batch.batch_id}

    def track(self, caller: Caller, task_id: str, page: TrackPage) -> dict:
        """The task's points in time order, a page at a time: `{taskId, items, nextCursor}`."""
        assert self.tracking is not None, "track needs the tracking table"
        task = self._task(task_id)
        if caller.role not in ("admin", "manager") and task.get("assigneeId") != caller.user_id:
            raise Forbidden(f"Only admins, managers and the courier of task {task_id} may read its track.")
        items, last = self.tracking.track_page(task_id, limit=page.limit, after=page.after)
        return {
            "taskId": task_id,
            "items": [point.as_public() for point in items],
            "nextCursor": encode_cursor(last),
        }

    def follow_task(self, task_id: str, old: dict | None, new: dict | None) -> str:
        """Keep the live index in step with one change of a task (a tasks-table stream record).

        `old` and `new` are the task's images before and after (None for an insert or a
        removal). A task that starts running is listed, with no position until its first
        point ("listed"); one that stops running, or is deleted, leaves ("dropped"); any
        other change is "ignored". Replaying a record gives the same result.
        """
        assert self.tracking is not None, "follow_task needs the tracking table"
        was = (old or {}).get("status")
        status = (new or {}).get("status")
        if status == IN_PROGRESS and was != IN_PROGRESS:
            assert new is not None
            self.tracking.list_running(task_id, route_id=new.get("routeId"), courier_id=new.get("assigneeId"),
                                       courier_name=new.get("assigneeName"))
            logger.info("task listed on the live map", extra={"taskId": task_id})
            return "listed"
        if was == IN_PROGRESS and status != IN_PROGRESS:
            self.tracking.drop_from_live(task_id)
            logger.info("task taken off the live map", extra={"taskId": task_id, "status": status})
            return "dropped"
        return "ignored"

    def live(self, page: LivePage) -> dict:
        """The tasks in progress with their courier, latest position, progress and last
        seen, a page at a time (`nextCursor` null on the last page).

        A task that has not reported a position yet is listed with `position`, `lastSeen`
        and `progress` null and `distanceM` 0.
        """
        assert self.tracking is not None, "live needs the tracking table"
        listed, after = self.tracking.live_page(limit=page.limit, after=page.after)
        statuses = self.tasks.get_many(item["taskId"] for item in listed)
        running = []
        for item in listed:
            task = statuses.get(item["taskId"])
            if task is not None and task.get("status") == IN_PROGRESS:
                running.append(_public_live(item, task))
            else:
                # Finished since its last point: out of the index, so it costs nothing next time.
                self.tracking.drop_from_live(item["taskId"])
        running.sort(key=lambda entry: entry["taskId"])
        return {"items": running, "count": len(running), "asOf": format_utc(self.clock()),
                "nextCursor": LivePage.cursor(after)}


def _parse_when(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _public_live(item: dict, task: dict) -> dict:
    return {
        "taskId": item["taskId"],
        "routeId": item.get("routeId"),
        "courier": {"userId": item.get("courierId"), "username": item.get("courierName") or task.get("assigneeName")},
        "position": item.get("position"),  # None until the first point arrives
        "lastSeen": (item.get("position") or {}).get("ts") or item.get("lastSeen"),
        "progress": item.get("progress"),
        "distanceM": item.get("distanceM", 0),
        "offRouteM": item.get("offRouteM"),
    }


# -- the consumer ------------------------------------------------------------------------
class RouteCache:
    """Routes by id for a few minutes: a warm consumer reads each route once, not once per batch."""

    def __init__(self, ttl_seconds: float = ROUTE_CACHE_SECONDS, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl_seconds
        self.monotonic = monotonic
        self._items: dict[str, tuple[float, dict | None]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def get_many(self, routes: RoutesTable, route_ids: set[str], usage: Usage) -> dict[str, dict | None]:
        now = self.monotonic()
        with self._lock:
            fresh = {r: v for r, (t, v) in self._items.items() if r in route_ids and now - t < self.ttl}
        missing = route_ids - set(fresh)
        if missing:
            found = routes.get_many(missing, usage=usage)
            with self._lock:
                for route_id in missing:
                    self._items[route_id] = (now, found.get(route_id))
                    fresh[route_id] = found.get(route_id)
        return fresh


_ROUTES = RouteCache()


def route_cache() -> RouteCache:
    """The process-wide route cache (warm consumers share it across batches)."""
    return _ROUTES


@dataclass
class _Staged:
    key: Hashable
    batch: QueuedBatch


@dataclass
class IngestResult:
    """What one SQS batch did, for the log line that counts the write cost."""

    messages: int = 0
    poisoned: int = 0
    failed: int = 0
    points: int = 0
    unique_points: int = 0
    items: int = 0  # chunk items written (the live items' buffers hold the newest points)
    live_updated: int = 0
    live_stale: int = 0
    duration_ms: float = 0.0  # the handler's own time (billed duration is about this, rounded up)
    # Per stored message: ms from SQS accepting it (the API's send) to its points being
    # stored and its task's live item written, i.e. how far the live map trails the phone.
    lag_ms: list[int] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    def as_dict(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items() if k != "usage"}, **self.usage.as_dict()}


def queue_lags(records: list[dict], failed: set[str], now_ms: float) -> list[int]:
    """Each stored record's time in the queue and the consumer, in ms, from its `SentTimestamp`.

    Records that failed (they will be retried) or carry no usable timestamp are left out:

    >>> queue_lags([{"messageId": "a", "attributes": {"SentTimestamp": "1000"}},
    ...             {"messageId": "b", "attributes": {"SentTimestamp": "1500"}},
    ...             {"messageId": "c", "attributes": {}}], failed={"b"}, now_ms=1250.4)
    [250]
    """
    lags = []
    for record in records:
        sent = str((record.get("attributes") or {}).get("SentTimestamp", ""))
        if record.get("messageId") in failed or not sent.isdigit():
            continue
        lags.append(max(0, round(now_ms - int(sent))))
    return lags


class Ingest:
    """Store one SQS batch of queued positions: idempotent points, one live update per task."""

    def __init__(self, tasks: TasksTable, routes: RoutesTable, tracking: TrackingTable, *,
                 clock: Clock = utc_now, route_cache: RouteCache | None = None,
                 settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.tasks = tasks
        self.routes = routes
        self.tracking = tracking
        self.clock = clock
        self.route_cache = route_cache or _ROUTES
        self.result = IngestResult()
        self._task_items: dict[str, dict] = {}
        self._live_items: dict[str, dict] = {}
        self._missing: set[str] = set()  # looked up in `prefetch` and not found
        self._staged: list[_Staged] = []

    def prefetch(self, bodies: list[str]) -> None:
        """Read the tasks and live items of these messages in as few requests as possible.

        Best effort: a body that does not parse is skipped here and refused by `stage`.
        """
        task_ids: set[str] = set()
        for body in bodies:
            try:
                task_ids.add(QueuedBatch.from_message(body).task_id)
            except PoisonMessage:
                continue
        ids = sorted(task_ids)
        # Tasks and live items in one BatchGetItem: 2 keys per task, 100 keys per request.
        per_request = BATCH_GET_MAX // 2
        for start in range(0, len(ids), per_request):
            chunk = ids[start:start + per_request]
            found = batch_get({self.tasks.name: self.tasks.get_request(chunk),
                               self.tracking.name: self.tracking.live_request(chunk)},
                              usage=self.result.usage, resource=self.tracking.resource)
            self._task_items.update({item["taskId"]: item for item in found[self.tasks.name]})
            self._live_items.update({item["taskId"]: item for item in found[self.tracking.name] if "taskId" in item})
            self._missing.update(set(chunk) - set(self._task_items))

    def stage(self, key: Hashable, body: str) -> QueuedBatch:
        """Accept one message for `commit`; `PoisonMessage` if it can never be stored."""
        self.result.messages += 1
        try:
            batch = QueuedBatch.from_message(body)
            if batch.task_id not in self._task_items:
                task = None
                if batch.task_id not in self._missing:
                    task = self.tasks.get(batch.task_id)
                    self.result.usage.read_requests += 1
                    self.result.usage.read_units += 1  # one strongly consistent read of a task under 4 KB
                if task is None:
                    raise PoisonMessage(f"there is no task {batch.task_id}")
                self._task_items[batch.task_id] = task
        except PoisonMessage as poison:
            # Retried until maxReceiveCount, then in the DLQ: say why, once per delivery.
            logger.warning("message refused", extra={"messageId": str(key), "reason": str(poison)})
            self.result.poisoned += 1
            raise
        self._staged.append(_Staged(key, batch))
        return batch

    def commit(self) -> list[tuple[Hashable, Exception]]:
        """Store every staged message's points and move each task's live item; the messages that failed.

        One task at a time per thread (`_store_task`), several tasks at once: the calls are
        independent and I/O-bound, so the batch's duration (and Lambda's bill) is not their
        sum. A failed message is retried by SQS; its points then find themselves stored
        (in the live item's buffer or a chunk) and are not written twice.
        """
        failures: dict[Hashable, Exception] = {}
        by_task: dict[str, list[_Staged]] = {}
        for staged in self._staged:
            self.result.points += len(staged.batch.points)
            by_task.setdefault(staged.batch.task_id, []).append(staged)
        route_ids = {str(t["routeId"]) for t in (self._task_items.get(tid) for tid in by_task) if t and t.get("routeId")}
        routes = self.route_cache.get_many(self.routes, route_ids, self.result.usage) if route_ids else {}
        with ThreadPoolExecutor(max_workers=max(1, min(LIVE_WRITERS, len(by_task)))) as pool:
            futures = {task_id: pool.submit(self._store_task, task_id, batches, routes)
                       for task_id, batches in by_task.items()}
        for task_id, future in futures.items():
            try:
                stored = future.result()
            except Exception as exc:
                logger.error("storing points failed", extra={"taskId": task_id, "error": repr(exc)})
                for staged in by_task[task_id]:
                    failures.setdefault(staged.key, exc)
                continue
            self.result.usage.add(stored.usage)
            self.result.unique_points += stored.unique_points
            self.result.items += stored.items
            if stored.outcome == "updated":
                self.result.live_updated += 1
            else:
                self.result.live_stale += 1
        self.result.failed = len(failures) + self.result.poisoned
        return list(failures.items())

    def _store_task(self, task_id: str, batches: list[_Staged], routes: dict[str, dict | None]) -> "_Stored":
        """Store one task's new points and move its live item to the newest (in a worker thread).

        Points newer than the live item's go into its buffer; when the buffer would outgrow
        one write unit or `CHUNK_SPAN`, what it held is written as a chunk first. Older
        points (a late batch, a redelivery) are looked up where they would be stored and
        only those missing are written, as a chunk of their own: the courier never moves
        back, and nothing is stored twice. Touches no shared state but reads.
        """
        stored = _Stored(usage=Usage())
        task = self._task_items[task_id]
        points: dict[str, tuple[Point, QueuedBatch]] = {}
        for staged in batches:
            for point in staged.batch.points:
                points[point.sort_key] = (point, staged.batch)
        ordered = [points[k] for k in sorted(points)]  # sort keys start with the timestamp
        stored.unique_points = len(ordered)
        courier_id = ordered[-1][1].courier_id
        route = routes.get(str(task.get("routeId"))) if task.get("routeId") else None
        previous = self._live_items.get(task_id)
        late_checked: set[str] = set()
        for _ in range(LIVE_ATTEMPTS):
            previous_ts = previous.get("lastTs") if previous else None
            buffer = buffered_points(previous)
            in_buffer = {p.sort_key for p in buffer}
            late = [p for p, _ in ordered if previous_ts is not None and p.ts <= previous_ts
                    and p.sort_key not in in_buffer and p.sort_key not in late_checked]
            if late:
                stored.items += self._store_late(task_id, late, courier_id, stored.usage)
                late_checked.update(p.sort_key for p in late)
            fresh = [(p, b) for p, b in ordered if previous_ts is None or p.ts > previous_ts]
            if not fresh:
                stored.outcome = "stale"  # nothing newer than the live item: it stays
                return stored
            newest, newest_batch = fresh[-1]
            walked = 0.0
            # A task listed when it started has a live item with no position yet.
            position = (previous or {}).get("position")
            last = (position["lat"], position["lng"]) if position else None
            for point, _ in fresh:
                if last is not None:
                    walked += haversine_m(last, (point.lat, point.lng))
                last = (point.lat, point.lng)
            distance = Decimal(str(previous.get("distanceM", 0))) if previous else Decimal(0)
            fields = _live_fields(task_id, task, newest, newest_batch, route, distance + _dec(walked, 1))
            if self.settings.retention:
                fields["expiresAt"] = int((newest.at + self.settings.retention).timestamp())
            in_index = task.get("status") == IN_PROGRESS
            flush, keep = self._split_buffer(task_id, fields, buffer, [p for p, _ in fresh], newest.ts, in_index)
            if flush:
                stored.items += self._write_chunks(task_id, flush, courier_id, stored.usage)
            if keep:
                fields.update(encode_points(keep))  # its lastTs is the newest point's, as put_live writes
            if self.tracking.put_live(task_id, fields, previous_ts=previous_ts, new_ts=newest.ts,
                                      in_index=in_index, usage=stored.usage):
                stored.outcome = "updated"
                return stored
            previous = self.tracking.get_live(task_id, usage=stored.usage)  # someone else wrote: look again
        raise RuntimeError(f"the live item of task {task_id} kept changing under {LIVE_ATTEMPTS} attempts")

    def _split_buffer(self, task_id: str, fields: dict, buffer: list[Point], fresh: list[Point], new_ts: str,
                      in_index: bool) -> tuple[list[Point], list[Point]]:
        """(points to write as chunks now, points the live item keeps): the item stays one write unit."""
        def fits(points: list[Point]) -> bool:
            if points[-1].at - points[0].at > CHUNK_SPAN:
                return False
            item = self.tracking.live_item(task_id, {**fields, **encode_points(points)}, new_ts=new_ts,
                                           in_index=in_index)
            return write_units(item) == 1

        if fits(buffer + fresh):
            return [], buffer + fresh
        if fits(fresh):
            return buffer, fresh
        return buffer + fresh, []

    def _write_chunks(self, task_id: str, points: list[Point], courier_id: str, usage: Usage) -> int:
        """Write `points` as chunk items (content-keyed: writing them again changes nothing); how many."""
        items = []
        for chunk in chunks(points):
            expires = int((chunk[-1].at + self.settings.retention).timestamp()) if self.settings.retention else None
            items.append(chunk_item(chunk, partition=task_partition(task_id), courier_id=courier_id,
                                    expires_at=expires))
        if self.tracking.put_points(items, usage=usage):
            raise RuntimeError("points stayed unprocessed after retries (throttled)")
        return len(items)

    def _store_late(self, task_id: str, late: list[Point], courier_id: str, usage: Usage) -> int:
        """Write the points of `late` (older than the live item) that no chunk holds yet; how many items."""
        since = format_utc(late[0].at - CHUNK_SPAN)  # a chunk holding late[0] starts at most this early
        have = {p.sort_key for p in self.tracking.stored_points(task_id, since=since, until=late[-1].ts, usage=usage)}
        missing = [p for p in late if p.sort_key not in have]
        return self._write_chunks(task_id, missing, courier_id, usage) if missing else 0


@dataclass
class _Stored:
    """What `_store_task` did for one task."""

    usage: Usage
    outcome: str = "stale"
    unique_points: int = 0
    items: int = 0  # chunk items written


def _dec(value: float, places: int) -> Decimal:
    return Decimal(str(round(value, places)))


def _live_fields(task_id: str, task: dict, newest: Point, batch: QueuedBatch, route: dict | None,
                 distance: Decimal) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "taskId": task_id,
        "routeId": task.get("routeId"),
        "courierId": batch.courier_id,
        "courierName": task.get("assigneeName") if task.get("assigneeId") == batch.courier_id else None,
        "position": newest.as_public(),  # its ts is when the courier was last seen
        "distanceM": distance,
    }
    waypoints = (route or {}).get("waypoints") or []
    if len(waypoints) >= 2:
        where = locate_on_path(waypoints, (newest.lat, newest.lng))
        fields.update(progress=_dec(where.fraction, 4), offRouteM=_dec(where.offset_m, 1))
    else:
        fields.update(progress=None, offRouteM=None)
    return fields

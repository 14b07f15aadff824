"""The consumer's logic under what moto never does by itself: throttled batch writes and two
consumers racing on one task's live item."""
from __future__ import annotations

import os
from datetime import timedelta

import boto3
import pytest

from legwork_common.geo import haversine_m
from tracking.dal import RoutesTable, TasksTable, TrackingTable
from tracking.logic import Ingest, RouteCache
from tracking.models import QueuedBatch, parse_positions, points_from_item
from tracking_support import COURIER, points, storing_items


def message(task_id: str, at, coords, now, step_s: int = 10) -> str:
    pts = parse_positions({"points": points(at, coords, step_s)}, now=now)
    return QueuedBatch(batch_id="b", task_id=task_id, courier_id=COURIER["userId"], accepted_at="x",
                       points=tuple(pts)).to_message()


class Throttling:
    """DynamoDB under throttling: BatchWriteItem leaves the first `n` puts unprocessed, `times` times."""

    def __init__(self, resource, n: int, times: int) -> None:
        self._resource, self.n, self.times, self.calls = resource, n, times, 0

    def __getattr__(self, name):
        return getattr(self._resource, name)

    def batch_write_item(self, RequestItems):  # noqa: N803 - boto3's parameter name
        self.calls += 1
        [(table, requests)] = RequestItems.items()
        if self.times <= 0:
            return self._resource.batch_write_item(RequestItems=RequestItems)
        self.times -= 1
        held, passed = requests[:self.n], requests[self.n:]
        if passed:
            self._resource.batch_write_item(RequestItems={table: passed})
        return {"UnprocessedItems": {table: held} if held else {}}


def ingest_with(resource, *, sleep=lambda s: None) -> Ingest:
    env = os.environ
    return Ingest(TasksTable(env["TASKS_TABLE"], resource), RoutesTable(env["ROUTES_TABLE"], resource),
                  TrackingTable(env["TRACKING_TABLE"], resource, sleep=sleep), route_cache=RouteCache())


def stored(task_id: str) -> int:
    """How many points the table holds for the task."""
    return sum(len(points_from_item(item)) for item in storing_items(task_id))


def run(ingest: Ingest, bodies: dict[str, str]) -> dict:
    ingest.prefetch(list(bodies.values()))
    for key, body in bodies.items():
        ingest.stage(key, body)
    return dict(ingest.commit())


def test_unprocessed_items_are_retried_until_written(put_task, now):
    task_id = put_task()
    resource = Throttling(boto3.resource("dynamodb"), n=3, times=2)
    ingest = ingest_with(resource)

    # 19 minutes offline: more than one chunk spans, so the points go to two chunk items at once.
    failures = run(ingest, {"m1": message(task_id, now - timedelta(minutes=25),
                                          [(52.5, 13.4 + i / 1000) for i in range(20)], now, step_s=60)})

    assert failures == {}
    assert stored(task_id) == 20
    assert ingest.result.usage.unprocessed_retries == 2 and resource.calls == 3


def test_points_that_stay_unprocessed_fail_only_their_messages(put_task, now):
    throttled, fine = put_task(), put_task()
    # `throttled`'s points span 20 minutes, so they go to chunk items (BatchWriteItem), and
    # the first put of every request stays unprocessed; `fine`'s ride in its live item.
    bodies = {
        "m-throttled": message(throttled, now - timedelta(minutes=25), [(52.5, 13.4 + i / 1000) for i in range(5)], now,
                               step_s=300),
        "m-fine": message(fine, now - timedelta(minutes=5), [(48.8, 2.3 + i / 1000) for i in range(10)], now),
    }
    ingest = ingest_with(Throttling(boto3.resource("dynamodb"), n=1, times=100))

    failures = run(ingest, bodies)

    assert set(failures) == {"m-throttled"}
    assert stored(fine) == 10
    assert ingest.result.live_updated == 1  # the failed message's task waits for its retry


def test_two_consumers_racing_on_one_task_count_each_stretch_once(put_task, now):
    task_id = put_task()
    # A U: the stretches walked (≈357 m) are much longer than the way from first to last (≈135 m).
    coords = [(52.500, 13.400), (52.501, 13.400), (52.501, 13.402), (52.500, 13.402)]
    run(ingest_with(boto3.resource("dynamodb")), {"m0": message(task_id, now - timedelta(minutes=9), coords[:1], now)})
    slow = ingest_with(boto3.resource("dynamodb"))
    slow.prefetch([body := message(task_id, now - timedelta(minutes=5), coords[3:], now)])
    slow.stage("m-slow", body)
    # Meanwhile another consumer stores an earlier stretch and moves the live item on.
    run(ingest_with(boto3.resource("dynamodb")), {"m-fast": message(task_id, now - timedelta(minutes=7), coords[1:3], now)})

    assert dict(slow.commit()) == {}

    live = boto3.resource("dynamodb").Table(os.environ["TRACKING_TABLE"]).get_item(
        Key={"pk": f"TASK#{task_id}", "sk": "LIVE"})["Item"]
    walked = sum(haversine_m(a, b) for a, b in zip(coords, coords[1:]))
    assert float(live["distanceM"]) == pytest.approx(walked, abs=0.3)
    assert live["lastTs"] == points(now - timedelta(minutes=5), coords[3:])[0]["ts"]

"""Progress along the route, as the consumer writes it on the live item and GET /live shows it."""
from __future__ import annotations

import os
from datetime import timedelta

import boto3
import pytest

from tracking import handlers
from tracking_support import COURIER, MANAGER, call, consume, points

# An L: 0.01° east along the equator, then 0.01° north: two legs of equal length (≈1112 m).
L_ROUTE = [(0.0, 0.0), (0.0, 0.01), (0.01, 0.01)]


def live_progress(task_id: str) -> float:
    item = boto3.resource("dynamodb").Table(os.environ["TRACKING_TABLE"]).get_item(
        Key={"pk": f"TASK#{task_id}", "sk": "LIVE"})["Item"]
    return float(item["progress"])


def report(task_id: str, where: tuple[float, float], at, queue) -> None:
    status, _ = call(handlers.post_positions, "POST", f"/tasks/{task_id}/positions",
                     body={"points": points(at, [where])}, caller=COURIER,
                     path_params={"taskId": task_id})
    assert status == 202
    assert consume(queue.receive(), queue) == {"batchItemFailures": []}


@pytest.mark.parametrize("where, expected", [
    ((0.0, 0.0), 0.0),          # the start
    ((0.0, 0.005), 0.25),       # halfway along the first leg
    ((0.0, 0.01), 0.5),         # the corner
    ((-0.0001, 0.0101), 0.5),   # off the route outside the corner: the corner is nearest
    ((0.005, 0.01), 0.75),      # halfway up the second leg
    ((0.01, 0.01), 1.0),        # the end
    ((0.02, 0.01), 1.0),        # past the end: never more than the whole route
])
def test_progress_on_an_l_shaped_route(put_route, put_task, queue, now, where, expected):
    task_id = put_task(route_id=put_route(L_ROUTE))

    report(task_id, where, now - timedelta(minutes=1), queue)

    assert live_progress(task_id) == pytest.approx(expected, abs=0.002)


def test_progress_follows_the_latest_point_and_shows_on_the_live_map(put_route, put_task, queue, now):
    task_id = put_task(route_id=put_route(L_ROUTE))
    report(task_id, (0.0, 0.005), now - timedelta(minutes=2), queue)
    report(task_id, (0.0, 0.01), now - timedelta(minutes=1), queue)

    status, body = call(handlers.get_live, "GET", "/live", caller=MANAGER)

    assert status == 200
    [entry] = body["items"]
    assert entry["progress"] == pytest.approx(0.5, abs=0.002)
    assert entry["distanceM"] == pytest.approx(556, abs=2)  # from the first point to the corner
    assert entry["offRouteM"] == pytest.approx(0, abs=0.5)


def test_a_task_whose_route_is_missing_has_no_progress_but_a_position(put_task, queue, now):
    task_id = put_task(route_id="no-such-route")

    report(task_id, (52.5, 13.4), now - timedelta(minutes=1), queue)

    status, body = call(handlers.get_live, "GET", "/live", caller=MANAGER)
    [entry] = body["items"]
    assert entry["progress"] is None
    assert (entry["position"]["lat"], entry["position"]["lng"]) == (52.5, 13.4)

"""POST /tasks/{taskId}/positions through the real handler: checked, queued, answered 202.

Every refusal happens before anything is queued: the queue stays empty.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tracking import handlers
from tracking_support import ADMIN, COURIER, OTHER_COURIER, iso, points

ROUTE = [(52.5200, 13.4000), (52.5200, 13.4100)]


def post(task_id: str, body, caller=COURIER):
    from tracking_support import call

    return call(handlers.post_positions, "POST", f"/tasks/{task_id}/positions", body=body, caller=caller,
                path_params={"taskId": task_id})


def test_assignee_batch_is_queued_and_answered_202(put_task, queue, now):
    task_id = put_task()
    batch = points(now - timedelta(minutes=1), [(52.52, 13.40), (52.52, 13.401), (52.52, 13.402)])

    status, body = post(task_id, {"points": batch})

    assert status == 202
    assert body["accepted"] == 3 and body["batchId"]
    [message] = queue.receive()
    queued = json.loads(message["Body"])
    assert (queued["taskId"], queued["batchId"], queued["courierId"]) == (task_id, body["batchId"], COURIER["userId"])
    assert [p["ts"] for p in queued["points"]] == [p["ts"] for p in batch]
    assert queued["points"][1] == {"lat": "52.5200000", "lng": "13.4010000", "ts": batch[1]["ts"], "accuracy": "5.00"}


def test_timestamps_are_normalised_to_milliseconds_utc(put_task, queue, now):
    task_id = put_task()
    ts = (now - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S+00:00")

    status, _ = post(task_id, {"points": [{"lat": 1, "lng": 2, "ts": ts}]})

    assert status == 202
    assert json.loads(queue.receive()[0]["Body"])["points"][0]["ts"] == iso(now - timedelta(seconds=30))


@pytest.mark.parametrize("bad_point, why", [
    ({"lat": 91, "lng": 13.4}, "'lat' must be from -90 to 90; got"),
    ({"lat": 52.5, "lng": -180.5}, "'lng' must be from -180 to 180; got"),
    ({"lat": "52.5", "lng": 13.4}, "'lat' must be a number"),
    ({"lat": 52.5, "lng": 13.4, "ts": "2026-11-23 08:00:00"}, "ISO 8601 in UTC"),
    ({"lat": 52.5, "lng": 13.4, "ts": "2026-11-23T08:00:00+02:00"}, "ISO 8601 in UTC"),
    ({"lat": 52.5, "lng": 13.4, "ts": "2026-02-30T08:00:00Z"}, "not a real date"),
    ({"lat": 52.5, "lng": 13.4, "speed": -1}, "'speed' must be from 0 to 300; got -1"),
    ({"lat": 52.5, "lng": 13.4, "altitude": 30}, "unknown field(s) altitude"),
    ({"lng": 13.4}, "'lat' is required"),
    ({"lat": 52.5, "lng": 13.4, "speed": 7.06e307}, "'speed' must be from 0 to 300; got 7.06E+307"),
    ({"lat": 52.5, "lng": 13.4, "accuracy": 100000.01}, "'accuracy' must be from 0 to 100000"),
    ({"lat": 52.5, "lng": 13.4, "ts": "1999-12-31T23:59:59Z"}, "years 2000 to 2099"),
])
def test_a_bad_point_is_a_400_naming_it_and_nothing_is_queued(put_task, queue, now, bad_point, why):
    task_id = put_task()
    batch = points(now - timedelta(minutes=1), [(52.52, 13.40)] * 4)
    batch[2] = {"ts": batch[2]["ts"], **bad_point}

    status, body = post(task_id, {"points": batch})

    assert status == 400
    assert body["error"]["code"] == "ValidationError"
    assert "Point 2 (points[2])" in body["error"]["message"]
    assert why in body["error"]["message"]
    assert queue.count() == 0


def test_a_point_from_the_future_beyond_the_skew_is_refused(put_task, queue, now):
    task_id = put_task()
    batch = points(now, [(52.52, 13.40)])
    batch.append({"lat": 52.52, "lng": 13.40, "ts": iso(now + timedelta(minutes=5))})

    status, body = post(task_id, {"points": batch})

    assert status == 400
    assert "Point 1 (points[1])" in body["error"]["message"] and "in the future" in body["error"]["message"]
    assert queue.count() == 0


def test_a_point_within_the_allowed_skew_is_accepted(put_task, queue, now):
    task_id = put_task()

    status, _ = post(task_id, {"points": [{"lat": 1, "lng": 1, "ts": iso(now + timedelta(seconds=60))}]})

    assert status == 202 and queue.count() == 1


def test_a_point_from_before_the_task_started_is_refused(put_task, queue, now):
    task_id = put_task(started_at=now - timedelta(minutes=10))
    batch = points(now - timedelta(minutes=11), [(52.52, 13.40), (52.52, 13.41)], step_s=120)

    status, body = post(task_id, {"points": batch})

    assert status == 400
    assert "Point 0 (points[0])" in body["error"]["message"] and "before the task started" in body["error"]["message"]
    assert queue.count() == 0


@pytest.mark.parametrize("count", [0, 101])
def test_batches_hold_1_to_100_points(put_task, queue, now, count):
    task_id = put_task()

    status, body = post(task_id, {"points": points(now - timedelta(hours=1), [(1.0, 1.0)] * count, step_s=1)})

    assert status == 400 and "1 to 100 points" in body["error"]["message"]
    assert queue.count() == 0


def test_exactly_100_points_are_accepted(put_task, queue, now):
    task_id = put_task(started_at=now - timedelta(hours=1))

    status, body = post(task_id, {"points": points(now - timedelta(minutes=30), [(1.0, 1.0)] * 100, step_s=1)})

    assert (status, body["accepted"]) == (202, 100)


def test_a_courier_who_is_not_the_assignee_is_refused_with_403_before_queueing(put_task, queue, now):
    task_id = put_task(courier=COURIER)

    status, body = post(task_id, {"points": points(now, [(1.0, 1.0)])}, caller=OTHER_COURIER)

    assert status == 403 and "Only the courier who holds task" in body["error"]["message"]
    assert queue.count() == 0


def test_an_admin_is_not_the_assignee_either(put_task, queue, now):
    task_id = put_task()

    status, _ = post(task_id, {"points": points(now, [(1.0, 1.0)])}, caller=ADMIN)

    assert status == 403 and queue.count() == 0


@pytest.mark.parametrize("status_", ["claimed", "completed", "cancelled"])
def test_a_task_not_in_progress_is_refused_with_409_before_queueing(put_task, queue, now, status_):
    task_id = put_task(status=status_)

    status, body = post(task_id, {"points": points(now - timedelta(seconds=10), [(1.0, 1.0)])})

    assert status == 409 and body["error"]["code"] == "TaskNotInProgress"
    assert status_ in body["error"]["message"]
    assert queue.count() == 0


def test_an_unknown_task_is_a_404(tracking_stack, queue, now):
    status, body = post("no-such-task", {"points": points(now, [(1.0, 1.0)])})

    assert (status, body["error"]) == (404, {"code": "NotFound", "message": "There is no task no-such-task."})
    assert queue.count() == 0


def test_without_a_caller_it_is_a_401(put_task, queue, now):
    task_id = put_task()

    status, _ = post(task_id, {"points": points(now, [(1.0, 1.0)])}, caller=None)

    assert status == 401 and queue.count() == 0

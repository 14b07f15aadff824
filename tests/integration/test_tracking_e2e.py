"""GPS ingestion end to end through the local runtime and the merged application.

20 couriers, each with a task created, claimed and started through the API, post 50
batches of positions; the queue's consumer runs as the template wires it (batch size,
window, partial failures, redrive). Every accepted point must be in its task's track
exactly once, nothing may be left in the DLQ, and GET /live must show each courier's
last position.
"""
from __future__ import annotations

import boto3
import pytest

from legwork.bench.ingest import (
    LiveWatcher, account, post_batches, prepare_couriers, read_tracks, wait_until,
)

COURIERS = 20
BATCHES = 50
POINTS_PER_BATCH = 2


@pytest.fixture(scope="module")
def ingested(runtime, api, admin):
    """Couriers that have posted every batch, once the consumer has caught up with them."""
    _, couriers = prepare_couriers(api, COURIERS, admin_token=admin, threads=4, prefix="e2e")
    post_batches(api, couriers, batches=BATCHES, size=POINTS_PER_BATCH, threads=4)
    watcher = LiveWatcher(api, admin, couriers)

    def caught_up() -> bool:
        watcher.check()
        return watcher.all_visible()

    assert wait_until(caught_up, timeout=120, interval=0.2), "the consumer did not catch up within 120 s"
    return couriers


def test_every_batch_is_accepted(ingested):
    assert [c.refused for c in ingested] == [0] * COURIERS
    assert [len(c.posted) for c in ingested] == [BATCHES] * COURIERS
    assert all(p.points == POINTS_PER_BATCH for c in ingested for p in c.posted)


def test_every_point_is_in_its_track_exactly_once(ingested, api, admin):
    tracks = read_tracks(api, admin, ingested, limit=37)  # an odd page size: pages end mid-batch

    counts = account(ingested, tracks)

    assert counts == {"accepted": COURIERS * BATCHES * POINTS_PER_BATCH, "stored": COURIERS * BATCHES * POINTS_PER_BATCH,
                      "missing": 0, "duplicates": 0, "unexpected": 0}
    for courier in ingested:
        track = tracks[courier.task_id]
        assert [p["ts"] for p in track] == sorted(p["ts"] for p in track)  # time order
        assert [(p["lat"], p["lng"], p["ts"]) for p in track] == [(p["lat"], p["lng"], p["ts"]) for p in courier.sent]


def test_the_courier_reads_their_own_track(ingested, api):
    courier = ingested[0]
    page = api.expect(200, "GET", f"/tasks/{courier.task_id}/track", token=courier.token, query={"limit": 5})

    assert [p["ts"] for p in page["items"]] == [p["ts"] for p in courier.sent[:5]]


def test_live_shows_each_couriers_last_position(ingested, api, admin):
    answer = api.expect(200, "GET", "/live", token=admin)

    entries = {e["taskId"]: e for e in answer["items"]}
    for courier in ingested:
        entry = entries[courier.task_id]
        last = courier.sent[-1]
        assert entry["courier"] == {"userId": courier.user_id, "username": courier.username}
        assert (entry["position"]["lat"], entry["position"]["lng"], entry["position"]["ts"]) == (
            last["lat"], last["lng"], last["ts"])
        assert entry["lastSeen"] == last["ts"]
        assert 0 < entry["progress"] <= 1


def test_nothing_is_left_in_the_queue_or_the_dlq(ingested, runtime):
    sqs = boto3.client("sqs", endpoint_url=runtime.endpoint_url, region_name="us-east-1")

    for queue in ("PositionsQueue", "PositionsDLQ"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=runtime.stack.name(queue),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        assert int(attributes["ApproximateNumberOfMessages"]) == 0, queue
        assert int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 0, queue


def test_a_bad_point_is_refused_through_the_api_naming_it(ingested, api):
    courier = ingested[0]
    good = {"lat": 52.52, "lng": 13.4, "ts": courier.sent[-1]["ts"]}

    status, body = api.request("POST", f"/tasks/{courier.task_id}/positions",
                               {"points": [good, {**good, "lat": 91}]}, courier.token)

    assert status == 400, body
    assert "Point 1 (points[1])" in body["error"]["message"] and "'lat'" in body["error"]["message"]


def test_a_completed_task_leaves_the_live_map(ingested, api, admin):
    courier = ingested[-1]
    api.expect(200, "POST", f"/tasks/{courier.task_id}/complete", {}, courier.token)

    answer = api.expect(200, "GET", "/live", token=admin)

    assert courier.task_id not in {e["taskId"] for e in answer["items"]}
    status, body = api.request("POST", f"/tasks/{courier.task_id}/positions",
                               {"points": [{"lat": 52.52, "lng": 13.4, "ts": courier.sent[-1]["ts"]}]}, courier.token)
    assert status == 409, body


# -- every running task is on the live map, from its start -----------------------------------
def test_the_demo_task_in_progress_is_on_the_live_map_before_any_position(runtime, api, admin):
    running = api.expect(200, "GET", "/tasks?status=in_progress&limit=100", token=admin)["items"]
    [demo] = [t for t in running if t["title"] == "Office lunch drop"]

    def listed() -> dict | None:
        items = api.expect(200, "GET", "/live", token=admin)["items"]
        return next((e for e in items if e["taskId"] == demo["taskId"]), None)

    assert wait_until(lambda: listed() is not None, timeout=30, interval=0.2), "the demo task never reached /live"
    entry = listed()
    assert entry["courier"]["username"] == "courier1"
    assert (entry["position"], entry["lastSeen"], entry["progress"], entry["distanceM"]) == (None, None, None, 0)


def test_a_task_started_through_the_api_is_listed_until_it_is_completed(runtime, api, admin):
    _, [courier] = prepare_couriers(api, 1, admin_token=admin, threads=1, prefix="listed")

    def on_map() -> set[str]:
        return {e["taskId"] for e in api.expect(200, "GET", "/live", token=admin)["items"]}

    assert wait_until(lambda: courier.task_id in on_map(), timeout=30, interval=0.2)
    api.expect(200, "POST", f"/tasks/{courier.task_id}/complete", {}, courier.token)
    assert courier.task_id not in on_map()

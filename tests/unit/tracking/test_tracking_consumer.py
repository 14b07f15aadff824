"""The positions consumer through the real handler, with SQS events built from moto's queue.

At-least-once delivery made harmless: duplicates store nothing twice, a poisoned message
fails alone (and ends in the DLQ after maxReceiveCount), a late batch never moves the
courier back, and each task's live item is written once per SQS batch.
"""
from __future__ import annotations

import json
import os
from datetime import timedelta
from decimal import Decimal

import boto3
import pytest

from legwork_common.geo import haversine_m
from tracking import handlers
from tracking.dal import live_shard
from tracking.models import points_from_item
from tracking_support import COURIER, OTHER_COURIER, call, consume, failed_ids, iso, points, storing_items


def post(task_id: str, pts: list[dict], caller=COURIER) -> dict:
    status, body = call(handlers.post_positions, "POST", f"/tasks/{task_id}/positions", body={"points": pts},
                        caller=caller, path_params={"taskId": task_id})
    assert status == 202, body
    return body


def table():
    return boto3.resource("dynamodb").Table(os.environ["TRACKING_TABLE"])


def stored_points(task_id: str) -> list[dict]:
    """Every point the table holds for the task, in its chunks and its live item (duplicates kept)."""
    return [point.as_public() for item in storing_items(task_id) for point in points_from_item(item)]


def live_item(task_id: str) -> dict | None:
    return table().get_item(Key={"pk": f"TASK#{task_id}", "sk": "LIVE"}).get("Item")


def test_a_batch_is_stored_point_by_point_in_time_order(put_task, queue, now):
    task_id = put_task()
    batch = points(now - timedelta(minutes=2), [(52.52, 13.40), (52.52, 13.401), (52.52, 13.402)])
    post(task_id, list(reversed(batch)))  # a phone may send them in any order

    response = consume(queue.receive(), queue)

    assert response == {"batchItemFailures": []}
    assert [p["ts"] for p in stored_points(task_id)] == [p["ts"] for p in batch]


def test_the_same_message_delivered_twice_stores_each_point_once(put_task, queue, now):
    task_id = put_task()
    post(task_id, points(now - timedelta(minutes=2), [(52.52, 13.40), (52.52, 13.401), (52.52, 13.402)]))
    [message] = queue.receive(visibility=0)
    [again] = queue.receive()  # SQS redelivers: the same message, a new receipt handle
    assert again["MessageId"] == message["MessageId"]

    assert consume([message], queue) == {"batchItemFailures": []}
    first_live = live_item(task_id)
    assert consume([again], queue) == {"batchItemFailures": []}

    assert len(stored_points(task_id)) == 3
    assert live_item(task_id)["distanceM"] == first_live["distanceM"]  # no stretch counted twice


def test_a_batch_sent_again_by_the_phone_adds_no_point(put_task, queue, now):
    task_id = put_task()
    batch = points(now - timedelta(minutes=2), [(52.52, 13.40), (52.52, 13.401)])
    first = post(task_id, batch)
    second = post(task_id, batch)  # no answer reached the phone, so it sent again
    assert first["batchId"] != second["batchId"]

    # Both in one SQS batch (duplicate keys in one BatchWriteItem are refused by DynamoDB).
    assert consume(queue.receive(), queue) == {"batchItemFailures": []}

    assert len(stored_points(task_id)) == 2


def test_a_poisoned_message_fails_alone_and_the_good_ones_are_stored(put_task, queue, now):
    task_id = put_task()
    post(task_id, points(now - timedelta(minutes=3), [(52.52, 13.40), (52.52, 13.401)]))
    queue.send("this is not json")
    post(task_id, points(now - timedelta(minutes=2), [(52.52, 13.402)]))
    messages = queue.receive()
    assert len(messages) == 3
    bad = next(m for m in messages if m["Body"] == "this is not json")

    response = consume(messages, queue)

    assert failed_ids(response) == {bad["MessageId"]}
    assert len(stored_points(task_id)) == 3


def test_the_consumer_reports_how_long_each_stored_message_waited(put_task, queue, now, caplog, monkeypatch):
    """`lag_ms` (and the IngestLag metric): SQS's SentTimestamp to stored, per stored message."""
    task_id = put_task()
    post(task_id, points(now - timedelta(minutes=3), [(52.52, 13.40)]))
    queue.send("this is not json")
    post(task_id, points(now - timedelta(minutes=2), [(52.52, 13.402)]))
    messages = queue.receive()
    sent = {m["MessageId"]: int(m["Attributes"]["SentTimestamp"]) for m in messages}
    bad = next(m["MessageId"] for m in messages if m["Body"] == "this is not json")
    consumed_at_ms = max(sent.values()) + 4_000  # the consumer runs 4 s after the last send
    monkeypatch.setattr(handlers.time, "time", lambda: consumed_at_ms / 1000)
    caplog.clear()

    assert failed_ids(consume(messages, queue)) == {bad}

    [stats] = [r.ingestStats for r in caplog.records if hasattr(r, "ingestStats")]
    assert sorted(stats["lag_ms"]) == sorted(consumed_at_ms - t for m, t in sent.items() if m != bad)


def test_a_message_for_a_task_that_does_not_exist_is_poisoned(put_task, queue, now):
    task_id = put_task()
    post(task_id, points(now - timedelta(minutes=1), [(52.52, 13.40)]))
    [good] = queue.receive()
    ghost = json.loads(good["Body"]) | {"taskId": "deleted-task"}
    queue.send(json.dumps(ghost))
    [bad] = queue.receive()

    response = consume([good, bad], queue)

    assert failed_ids(response) == {bad["MessageId"]}
    assert len(stored_points(task_id)) == 1
    assert stored_points("deleted-task") == []


@pytest.mark.parametrize("body", [
    '{"v": 1, "taskId": "t"}',
    '{"v": 2, "batchId": "b", "taskId": "t", "courierId": "c", "acceptedAt": "x", "points": []}',
    '[1, 2, 3]',
])
def test_a_message_that_is_not_a_positions_batch_is_poisoned(tracking_stack, queue, body):
    queue.send(body)
    [message] = queue.receive()

    assert failed_ids(consume([message], queue)) == {message["MessageId"]}


def test_a_message_that_keeps_failing_lands_in_the_dlq_after_max_receive_count(tracking_stack, queue):
    # maxReceiveCount as the template sets it, read from the queue moto created from it.
    redrive = json.loads(queue.sqs.get_queue_attributes(
        QueueUrl=queue.url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])
    max_receives = int(redrive["maxReceiveCount"])
    queue.send("{broken")

    deliveries = 0
    while messages := queue.receive(visibility=0):  # as the event source mapping does, until SQS gives up
        deliveries += 1
        assert deliveries <= max_receives, "the message outlived the redrive policy"
        response = consume(messages, queue)
        assert failed_ids(response) == {messages[0]["MessageId"]}  # reported, so not deleted

    assert deliveries == max_receives
    [dead] = queue.receive(url=queue.dlq_url)
    assert dead["Body"] == "{broken"


def test_a_late_older_batch_does_not_move_the_courier_back(put_task, queue, now):
    task_id = put_task()
    post(task_id, points(now - timedelta(minutes=5), [(52.50, 13.40), (52.51, 13.40)]))
    [older] = queue.receive()
    post(task_id, points(now - timedelta(minutes=1), [(52.53, 13.40), (52.54, 13.40)]))
    [newer] = queue.receive()

    assert consume([newer], queue) == {"batchItemFailures": []}
    before = live_item(task_id)
    assert consume([older], queue) == {"batchItemFailures": []}  # a lost race is success, not failure

    after = live_item(task_id)
    assert after["position"] == before["position"] == {
        "lat": Decimal("52.5400000"), "lng": Decimal("13.4000000"), "ts": iso(now - timedelta(minutes=1) + timedelta(seconds=10)),
        "accuracy": Decimal("5.00")}
    assert after["distanceM"] == before["distanceM"]
    assert len(stored_points(task_id)) == 4  # the late points are still in the track


def test_distance_adds_up_from_the_previous_latest_position(put_task, queue, now):
    task_id = put_task()
    coords = [(52.50, 13.40), (52.501, 13.40), (52.502, 13.40), (52.503, 13.40)]
    post(task_id, points(now - timedelta(minutes=3), coords[:2]))
    consume(queue.receive(), queue)
    post(task_id, points(now - timedelta(minutes=2), coords[2:]))
    consume(queue.receive(), queue)

    expected = sum(haversine_m(a, b) for a, b in zip(coords, coords[1:]))
    assert float(live_item(task_id)["distanceM"]) == pytest.approx(expected, abs=0.2)


def test_one_live_update_per_task_per_sqs_batch(put_task, queue, now, caplog):
    tasks = [put_task(courier=COURIER), put_task(courier=OTHER_COURIER)]
    for minute in (6, 5, 4):
        post(tasks[0], points(now - timedelta(minutes=minute), [(52.50, 13.40), (52.501, 13.40)]))
        post(tasks[1], points(now - timedelta(minutes=minute), [(48.85, 2.35)]), caller=OTHER_COURIER)
    messages = queue.receive()
    assert len(messages) == 6
    caplog.clear()

    assert consume(messages, queue) == {"batchItemFailures": []}

    # The consumer's own count of what it issued (the log line the ingest benchmark reads).
    [stats] = [r.ingestStats for r in caplog.records if hasattr(r, "ingestStats")]
    assert stats["live_updated"] == 2           # one per task, not one per message or point
    assert stats["unique_points"] == 9
    assert stats["items"] == 0                  # no chunk: the points ride in the live items
    assert stats["items_written"] == 2          # the two live items
    assert stats["write_requests"] == 2         # one PutItem per task
    # Billed units: each live item stays under 1 KB with its buffered points; the keys-only
    # index is written only when a task enters or leaves it.
    assert stats["write_units"] == 2
    assert live_item(tasks[0])["position"]["ts"] == iso(now - timedelta(minutes=4) + timedelta(seconds=10))


def test_a_task_no_longer_in_progress_leaves_the_live_index_when_its_last_points_arrive(
        put_task, set_status, queue, now):
    task_id = put_task()
    post(task_id, points(now - timedelta(minutes=2), [(52.50, 13.40)]))
    consume(queue.receive(), queue)
    assert live_item(task_id)["livePk"] == live_shard(task_id)
    post(task_id, points(now - timedelta(minutes=1), [(52.51, 13.40)]))
    set_status(task_id, "completed")  # completed while the batch waited in the queue

    assert consume(queue.receive(), queue) == {"batchItemFailures": []}

    item = live_item(task_id)
    assert "livePk" not in item and "liveSk" not in item
    assert item["lastTs"] == iso(now - timedelta(minutes=1))
    assert len(stored_points(task_id)) == 2  # accepted points are never lost

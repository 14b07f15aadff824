"""Compact point storage: a batch's points ride in the task's live item (the write the live map
needs anyway) until they fill a chunk item; idempotent, expiring, and a track that still pages
in time order however the batches overlap."""
from __future__ import annotations

import os
import random
from datetime import timedelta

import boto3
import pytest

from legwork import ROOT, yamlcfn
from tracking import handlers
from tracking.dal import item_size
from tracking.models import CHUNK_SPAN, parse_utc, points_from_item
from tracking_support import COURIER, MANAGER, call, chunk_items, consume, iso, points, storing_items


def post(task_id: str, pts: list[dict]) -> None:
    status, body = call(handlers.post_positions, "POST", f"/tasks/{task_id}/positions", body={"points": pts},
                        caller=COURIER, path_params={"taskId": task_id})
    assert status == 202, body


def items(task_id: str) -> list[dict]:
    return chunk_items(task_id)


def live(task_id: str) -> dict:
    return boto3.resource("dynamodb").Table(os.environ["TRACKING_TABLE"]).get_item(
        Key={"pk": f"TASK#{task_id}", "sk": "LIVE"}, ConsistentRead=True)["Item"]


def stored_ts(task_id: str) -> list[str]:
    """The timestamps of every point stored for the task, in chunks and in the live item, duplicates kept."""
    return sorted(p.ts for item in storing_items(task_id) for p in points_from_item(item))


def whole_track(task_id: str, limit: int) -> list[str]:
    """Every page of GET /tasks/{id}/track, `limit` points a page: the timestamps, in the order given."""
    seen, cursor = [], None
    for _ in range(1000):
        query = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        status, body = call(handlers.get_track, "GET", f"/tasks/{task_id}/track", caller=MANAGER,
                            path_params={"taskId": task_id}, query=query)
        assert status == 200, body
        assert len(body["items"]) <= limit
        seen += [p["ts"] for p in body["items"]]
        cursor = body["nextCursor"]
        if not cursor:
            return seen
    raise AssertionError("the track never ended")


def test_a_batch_rides_in_the_live_item_within_one_write_unit(put_task, queue, now):
    task_id = put_task()
    post(task_id, points(now - timedelta(minutes=2), [(52.52 + i / 10000, 13.40) for i in range(5)]))
    consume(queue.receive(), queue)

    item = live(task_id)

    assert items(task_id) == []  # no chunk yet: the one write was the live item's
    assert item["count"] == 5 and len(points_from_item(item)) == 5
    assert item_size(item) <= 1024  # one write request unit for the position and five points


def test_a_phone_posting_every_10_s_costs_at_most_1_25_write_units_a_batch(put_task, queue, now, caplog):
    """The figure behind the cost model: 60 batches of 5 fixes (10 minutes of a courier), each
    its own SQS batch. The live item stays one write unit; every few batches its points go
    to one chunk item. Before: one chunk and one live write a batch (2 units)."""
    task_id = put_task(started_at=now - timedelta(hours=1))
    start = now - timedelta(minutes=30)
    fixes = [start + timedelta(seconds=2 * i) for i in range(300)]
    units = 0.0
    for b in range(60):
        batch = fixes[5 * b:5 * b + 5]
        post(task_id, [{"lat": 52.5 + i / 100000, "lng": 13.4 + i / 70000, "ts": iso(at), "accuracy": 4.5,
                        "speed": 8.25} for i, at in enumerate(batch, start=5 * b)])
        caplog.clear()
        assert consume(queue.receive(), queue) == {"batchItemFailures": []}
        [stats] = [r.ingestStats for r in caplog.records if hasattr(r, "ingestStats")]
        units += stats["write_units"]
        assert item_size(live(task_id)) <= 1024

    assert units / 60 <= 1.25, units  # 1.18 measured: 237 units per 1,000 fixes (1,396 before issue 14)
    assert 5 <= len(items(task_id)) <= 20
    assert stored_ts(task_id) == [iso(at) for at in fixes]  # each fix stored once, chunks and buffer together
    assert whole_track(task_id, limit=37) == [iso(at) for at in fixes]


def test_a_redelivered_batch_stored_compactly_still_adds_nothing(put_task, queue, now):
    task_id = put_task()
    post(task_id, points(now - timedelta(minutes=2), [(52.52, 13.40), (52.52, 13.401), (52.52, 13.402)]))
    [message] = queue.receive(visibility=0)
    [again] = queue.receive()
    assert again["MessageId"] == message["MessageId"]

    consume([message], queue)
    first = storing_items(task_id)
    consume([again], queue)

    assert storing_items(task_id) == first and len(first) == 1
    assert whole_track(task_id, limit=10) == stored_ts(task_id)


def test_a_batch_redelivered_after_its_points_went_to_a_chunk_adds_nothing(put_task, queue, now):
    task_id = put_task(started_at=now - timedelta(hours=1))
    start = now - timedelta(minutes=20)
    post(task_id, points(start, [(52.52, 13.40 + i / 10000) for i in range(5)], step_s=2))
    [first] = queue.receive()
    consume([first], queue)
    for b in range(1, 30):  # enough batches to move the first one's points from the buffer to a chunk
        post(task_id, points(start + timedelta(seconds=10 * b), [(52.52, 13.41 + i / 10000) for i in range(5)],
                             step_s=2))
        consume(queue.receive(), queue)
    assert items(task_id), "the buffer never filled a chunk"
    before = storing_items(task_id)

    assert consume([first], queue) == {"batchItemFailures": []}  # SQS delivers it once more

    assert storing_items(task_id) == before
    assert stored_ts(task_id) == sorted(set(stored_ts(task_id)))


def test_the_same_points_posted_twice_are_stored_once(put_task, queue, now):
    task_id = put_task()
    batch = points(now - timedelta(minutes=2), [(52.52, 13.40), (52.52, 13.401)])
    post(task_id, batch)
    post(task_id, batch)  # the phone got no answer and sent the batch again
    consume(queue.receive(), queue)
    post(task_id, batch)  # ... and once more, into another SQS batch
    consume(queue.receive(), queue)

    assert stored_ts(task_id) == [p["ts"] for p in batch]


def test_a_track_spanning_many_stored_items_pages_in_order_with_no_gaps(put_task, queue, now):
    task_id = put_task(started_at=now - timedelta(hours=3))
    start = now - timedelta(hours=2)
    every = [start + timedelta(seconds=7 * i) for i in range(400)]  # 46 minutes of fixes
    coords = {at: (52.5 + i / 100000, 13.4) for i, at in enumerate(every)}
    rng = random.Random(14)
    # Batches of 1-30 consecutive fixes, posted in shuffled order (late batches overlap the
    # ones stored before them), one offline batch of 90 fixes spanning 10 minutes, and a
    # batch that overlaps two others (a phone re-sending part of what it sent).
    batches, i = [], 0
    while i < len(every):
        size = 90 if i == 120 else rng.randint(1, 30)
        batches.append(every[i:i + size])
        i += size
    batches.append(every[100:140])
    rng.shuffle(batches)
    for batch in batches:
        post(task_id, [{"lat": coords[at][0], "lng": coords[at][1], "ts": iso(at), "accuracy": 5} for at in batch])
    while messages := queue.receive():
        assert consume(messages, queue) == {"batchItemFailures": []}
    assert stored_ts(task_id) == [iso(at) for at in every]  # late and overlapping batches stored nothing twice

    for limit in (1, 7, 50, 1000):
        assert whole_track(task_id, limit) == [iso(at) for at in every], limit


def test_a_batch_longer_than_a_chunk_is_cut_so_readers_can_look_back_a_bounded_time(put_task, queue, now):
    task_id = put_task(started_at=now - timedelta(hours=3))
    start = now - timedelta(hours=2)
    post(task_id, points(start, [(52.5, 13.4)] * 100, step_s=60))  # 100 minutes offline, one fix a minute
    consume(queue.receive(), queue)

    stored = items(task_id)

    assert len(stored) == 7  # 16 fixes (15 minutes) a chunk, the last one with 4
    for item in stored:
        assert parse_utc(item["lastTs"]) - parse_utc(item["firstTs"]) <= CHUNK_SPAN
    assert len(whole_track(task_id, limit=9)) == 100


def test_points_stored_one_per_item_by_the_earlier_design_are_still_read(put_task, queue, now):
    task_id = put_task()
    post(task_id, points(now - timedelta(minutes=3), [(52.52, 13.40), (52.52, 13.402)], step_s=60))
    consume(queue.receive(), queue)
    legacy = now - timedelta(minutes=2, seconds=30)
    boto3.resource("dynamodb").Table(os.environ["TRACKING_TABLE"]).put_item(Item={
        "pk": f"TASK#{task_id}", "sk": f"PT#{iso(legacy)}#0123456789abcdef", "lat": 52, "lng": 13,
        "ts": iso(legacy), "courierId": COURIER["userId"], "batchId": "b"})

    assert whole_track(task_id, limit=1) == [iso(now - timedelta(minutes=3)), iso(legacy),
                                             iso(now - timedelta(minutes=2))]


@pytest.mark.parametrize("days", ["7", "180"])
def test_the_ttl_attribute_is_set_from_the_parameter(put_task, queue, now, monkeypatch, days):
    monkeypatch.setenv("POSITIONS_RETENTION_DAYS", days)
    task_id = put_task(started_at=now - timedelta(hours=3))
    start = now - timedelta(hours=2)
    post(task_id, points(start, [(52.5, 13.4)] * 10, step_s=120))  # 18 minutes offline: two chunks
    consume(queue.receive(), queue)
    last = start + timedelta(minutes=30)
    post(task_id, points(last, [(52.5, 13.41)]))  # then one fix, buffered in the live item
    consume(queue.receive(), queue)

    chunks = items(task_id)

    assert len(chunks) == 2
    for chunk in chunks:
        assert chunk["expiresAt"] == int((parse_utc(chunk["lastTs"]) + timedelta(days=int(days))).timestamp())
    assert live(task_id)["count"] == 1
    assert live(task_id)["expiresAt"] == int((last + timedelta(days=int(days))).timestamp())


def test_the_template_wires_the_retention_parameter_to_the_table_ttl_and_the_consumer():
    template = yamlcfn.load(ROOT / "src" / "tracking" / "template.yaml")
    parameter = template["Parameters"]["PositionsRetentionDays"]
    table = template["Resources"]["TrackingTable"]["Properties"]
    env = template["Resources"]["PositionsConsumerFunction"]["Properties"]["Environment"]["Variables"]

    assert parameter["Default"] == 180 and parameter["MinValue"] >= 1
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert env["POSITIONS_RETENTION_DAYS"] == {"Ref": "PositionsRetentionDays"}

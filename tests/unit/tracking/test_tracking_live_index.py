"""GET /live lists every running task from the moment it starts, before its first position.

The tasks table's real stream (moto) is read through the template's filters and handed to
the real `LiveIndexFunction` handler, as Lambda's event source mapping would.
"""
from __future__ import annotations

import copy
import os
from datetime import timedelta

import boto3
import jsonschema
import pytest

from legwork import ROOT, yamlcfn
from legwork.local import patterns
from tests.support.events import lambda_context
from tests.support.streams import TableStream
from tracking import handlers
from tracking_support import COURIER, MANAGER, OTHER_COURIER, call, consume, listed_on_live_index, points

SWAGGER = yamlcfn.load(ROOT / "src" / "tracking" / "swagger.yaml")


@pytest.fixture
def stream(tracking_stack) -> TableStream:
    return TableStream(tracking_stack, "TasksTable", "LiveIndexFunction", "TaskRunningChanged")


def follow(stream: TableStream) -> dict:
    """Deliver what the stream holds now (after the filters) to the function, as one batch."""
    records = stream.read()
    if not records:
        return {"batchItemFailures": []}
    return handlers.follow_task_changes({"Records": records}, lambda_context("legwork-dev-LiveIndexFunction"))


def live(**query: str) -> dict:
    status, body = call(handlers.get_live, "GET", "/live", caller=MANAGER, query=query or None)
    assert status == 200, body
    jsonschema.validate(body, response_schema("TrackingLive"))
    return body


def in_index() -> list[str]:
    return listed_on_live_index()


def post(task_id: str, pts: list[dict], caller=COURIER) -> None:
    status, body = call(handlers.post_positions, "POST", f"/tasks/{task_id}/positions", body={"points": pts},
                        caller=caller, path_params={"taskId": task_id})
    assert status == 202, body


def response_schema(name: str) -> dict:
    """An OpenAPI 3.0 component as JSON Schema: `$ref`s resolved, `nullable: true` as "or null"."""
    def convert(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return convert(copy.deepcopy(SWAGGER["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]))
            out = {k: convert(v) for k, v in node.items() if k != "nullable"}
            return {"anyOf": [out, {"type": "null"}]} if node.get("nullable") else out
        if isinstance(node, list):
            return [convert(v) for v in node]
        return node

    return convert({"$ref": f"#/components/schemas/{name}"})


def test_a_task_that_starts_is_on_the_live_map_with_no_position_yet(put_task, set_status, stream, put_route):
    route_id = put_route([(52.50, 13.40), (52.51, 13.40)])
    task_id = put_task(status="claimed", route_id=route_id)
    assert follow(stream) == {"batchItemFailures": []}
    assert live()["items"] == []

    set_status(task_id, "in_progress")
    assert follow(stream) == {"batchItemFailures": []}

    body = live()
    assert body["count"] == 1
    assert body["items"] == [{
        "taskId": task_id, "routeId": route_id,
        "courier": {"userId": COURIER["userId"], "username": COURIER["username"]},
        "position": None, "lastSeen": None, "progress": None, "distanceM": 0, "offRouteM": None,
    }]
    jsonschema.validate(body, response_schema("TrackingLive"))


def test_a_task_inserted_already_running_is_listed(put_task, stream):
    task_id = put_task(status="in_progress")  # as the demo data writes "Office lunch drop"
    follow(stream)

    assert [e["taskId"] for e in live()["items"]] == [task_id]


def test_the_first_position_fills_in_the_listed_task(put_task, set_status, stream, queue, now, put_route):
    route_id = put_route([(52.50, 13.40), (52.52, 13.40)])
    task_id = put_task(status="claimed", route_id=route_id)
    set_status(task_id, "in_progress")
    follow(stream)

    post(task_id, points(now - timedelta(minutes=1), [(52.50, 13.40), (52.51, 13.40)]))
    assert consume(queue.receive(), queue) == {"batchItemFailures": []}

    [entry] = live()["items"]
    assert entry["position"]["lat"] == 52.51 and entry["lastSeen"] == entry["position"]["ts"]
    assert 0.4 < entry["progress"] < 0.6
    assert 1100 < entry["distanceM"] < 1120  # one hop of about 1.11 km, counted once
    assert in_index() == [task_id]


def test_a_late_start_record_never_hides_a_position_already_recorded(put_task, stream, queue, now):
    task_id = put_task(status="in_progress")
    post(task_id, points(now - timedelta(minutes=1), [(52.5, 13.4)]))
    consume(queue.receive(), queue)

    follow(stream)  # the start arrives after the first batch was stored

    [entry] = live()["items"]
    assert entry["position"]["lat"] == 52.5 and entry["lastSeen"] is not None


@pytest.mark.parametrize("end", ["completed", "cancelled", "deleted"])
def test_a_task_that_stops_running_leaves_the_live_map(put_task, set_status, stream, end):
    stays = put_task(status="in_progress", courier=OTHER_COURIER)
    leaves = put_task(status="in_progress")
    follow(stream)
    assert in_index() == sorted([stays, leaves])

    if end == "deleted":
        boto3.resource("dynamodb").Table(os.environ["TASKS_TABLE"]).delete_item(Key={"taskId": leaves})
    else:
        set_status(leaves, end)
    assert follow(stream) == {"batchItemFailures": []}

    assert in_index() == [stays]  # out of the index at once, not only at the next read
    assert [e["taskId"] for e in live()["items"]] == [stays]


@pytest.mark.parametrize("end", ["open", "cancelled"])
def test_a_claimed_task_released_or_cancelled_never_reaches_the_live_map(put_task, set_status, stream, end):
    task_id = put_task(status="claimed")
    set_status(task_id, end)

    assert stream.read() == []  # the filters let none of these records through
    assert live()["items"] == [] and in_index() == []


def test_only_changes_into_or_out_of_in_progress_pass_the_filters(put_task, stream):
    task_id = put_task(status="in_progress")
    boto3.resource("dynamodb").Table(os.environ["TASKS_TABLE"]).update_item(
        Key={"taskId": task_id}, UpdateExpression="SET title = :t", ExpressionAttributeValues={":t": "renamed"})

    records = stream.read(filtered=False)
    passed = [r for r in records if any(patterns.matches(p, r) for p in stream.filters)]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert [r["eventName"] for r in passed] == ["INSERT"]


def test_replaying_the_stream_changes_nothing(put_task, set_status, stream):
    task_id = put_task(status="claimed")
    set_status(task_id, "in_progress")
    records = stream.read()
    event = {"Records": records}
    context = lambda_context("legwork-dev-LiveIndexFunction")

    handlers.follow_task_changes(event, context)
    first = live()["items"]
    handlers.follow_task_changes(event, context)

    assert live()["items"] == first and len(first) == 1


def test_a_stream_record_that_fails_is_reported_for_retry(put_task, stream, monkeypatch):
    put_task(status="in_progress")
    records = stream.read()

    def broken(*args, **kwargs):
        raise RuntimeError("throttled")

    monkeypatch.setattr(handlers._service().tracking, "list_running", broken)
    response = handlers.follow_task_changes({"Records": records}, lambda_context("legwork-dev-LiveIndexFunction"))

    assert response == {"batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]}


def started_then_some_stopped(put_task, set_status, stream, queue, now, *, count: int, stopped: int,
                              reporting: int) -> tuple[list[str], list[str]]:
    """`count` tasks started (listed on the live map), `reporting` of them with a position,
    then the first `stopped` completed: (all started, those stopped)."""
    running = [put_task(status="in_progress") for _ in range(count)]
    for task_id in running[stopped:stopped + reporting]:  # some have reported a position, the rest not yet
        post(task_id, points(now - timedelta(minutes=1), [(52.5, 13.4)]))
    while messages := queue.receive():
        consume(messages, queue)
    follow(stream)
    for task_id in running[:stopped]:
        set_status(task_id, "completed")
    follow(stream)
    return running, running[:stopped]


def test_live_across_shards_returns_every_running_task_exactly_once(put_task, set_status, stream, queue, now):
    from tracking.dal import LIVE_SHARDS, live_shard

    running, stopped = started_then_some_stopped(put_task, set_status, stream, queue, now,
                                                 count=40, stopped=5, reporting=10)

    ids = [entry["taskId"] for entry in live()["items"]]

    assert sorted(ids) == sorted(set(running) - set(stopped)) and len(ids) == len(set(ids))
    assert len({live_shard(t) for t in running}) >= LIVE_SHARDS // 2  # spread, not one hot key


def test_live_pages_through_the_shards_and_returns_every_running_task_exactly_once(
        put_task, set_status, stream, queue, now):
    running, stopped = started_then_some_stopped(put_task, set_status, stream, queue, now,
                                                 count=23, stopped=3, reporting=5)

    pages, cursor = [], None
    while True:
        page = live(limit="4", **({"cursor": cursor} if cursor else {}))
        pages.append([entry["taskId"] for entry in page["items"]])
        assert page["count"] == len(page["items"]) <= 4
        cursor = page["nextCursor"]
        if cursor is None:
            break
        assert len(pages) <= 30, "the cursor never ends"

    ids = [task_id for page in pages for task_id in page]
    assert sorted(ids) == sorted(set(running) - set(stopped)) and len(ids) == len(set(ids))
    assert len(pages) >= 5  # 20 tasks, 4 a page (a finished task read late makes a page short)


def test_one_page_holds_up_to_a_thousand_tasks_and_says_it_is_the_last(put_task, stream):
    running = [put_task(status="in_progress") for _ in range(3)]
    follow(stream)

    page = live()

    assert sorted(e["taskId"] for e in page["items"]) == sorted(running) and page["nextCursor"] is None


@pytest.mark.parametrize("query", [
    {"cursor": "16~abc"}, {"cursor": "3~abc"}, {"cursor": "00"}, {"cursor": "00~a~b"}, {"cursor": "00~a b"},
    {"limit": "0"}, {"limit": "1001"}, {"limit": "many"},
])
def test_a_live_page_with_a_bad_cursor_or_limit_is_a_400(tracking_stack, query):
    status, body = call(handlers.get_live, "GET", "/live", caller=MANAGER, query=query)

    assert status == 400, body


def test_any_cursor_of_the_documented_shape_is_a_position(put_task, stream):
    """`<shard>~<task id>` need not name a listed task: the listing continues after it."""
    running = [put_task(status="in_progress") for _ in range(5)]
    follow(stream)

    seen = []
    for shard in range(16):
        seen += [e["taskId"] for e in live(cursor=f"{shard:02d}~-", limit="1000")["items"]
                 if e["taskId"] not in seen]
    later = live(cursor="15~zzzz")

    assert sorted(seen) == sorted(running)
    assert later["items"] == [] and later["nextCursor"] is None

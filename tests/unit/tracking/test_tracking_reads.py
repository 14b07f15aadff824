"""GET /tasks/{taskId}/track and GET /live through the real handlers."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from tracking import handlers
from tracking_support import ADMIN, COURIER, MANAGER, OTHER_COURIER, call, consume, iso, listed_on_live_index, points


def post(task_id: str, pts: list[dict], caller=COURIER) -> None:
    status, body = call(handlers.post_positions, "POST", f"/tasks/{task_id}/positions", body={"points": pts},
                        caller=caller, path_params={"taskId": task_id})
    assert status == 202, body


def track(task_id: str, caller=MANAGER, **query):
    return call(handlers.get_track, "GET", f"/tasks/{task_id}/track", caller=caller, path_params={"taskId": task_id},
                query={k: str(v) for k, v in query.items()} or None)


def live(caller=MANAGER):
    return call(handlers.get_live, "GET", "/live", caller=caller)


@pytest.fixture
def recorded(put_task, queue, now):
    """A running task with 25 points recorded over two batches (posted newest first)."""
    task_id = put_task()
    pts = points(now - timedelta(minutes=10), [(52.5 + i * 0.0001, 13.4) for i in range(25)])
    post(task_id, pts[12:])
    post(task_id, pts[:12])
    assert consume(queue.receive(), queue) == {"batchItemFailures": []}
    return task_id, pts


# -- GET /tasks/{taskId}/track -----------------------------------------------------------
def test_track_pages_through_every_point_in_time_order(recorded):
    task_id, pts = recorded
    seen, cursor, pages = [], None, 0
    while True:
        status, body = track(task_id, limit=10, **({"cursor": cursor} if cursor else {}))
        assert status == 200
        seen.extend(body["items"])
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break

    assert pages == 3
    assert [p["ts"] for p in seen] == [p["ts"] for p in pts]
    assert seen[0] == {"lat": 52.5, "lng": 13.4, "ts": pts[0]["ts"], "accuracy": 5}


def test_a_full_last_page_says_there_is_no_next_one(recorded):
    task_id, _ = recorded
    status, body = track(task_id, limit=25)

    assert status == 200 and len(body["items"]) == 25 and body["nextCursor"] is None


@pytest.mark.parametrize("cursor", ["garbage!", base64.urlsafe_b64encode(b'{"t": "x"}').decode(), "", "a~b~c"])
def test_a_cursor_not_of_the_documented_shape_is_a_400(recorded, cursor):
    task_id, _ = recorded
    status, body = track(task_id, cursor=cursor)

    assert status == 400 and body["error"]["message"].startswith("'cursor' is not valid")


def test_any_cursor_of_the_documented_shape_is_a_position_in_this_track(recorded, put_task):
    task_id, _ = recorded
    _, first = track(task_id, limit=5)
    other = put_task()

    assert track(other, cursor=first["nextCursor"]) == (200, {"taskId": other, "items": [], "nextCursor": None})
    status, rest = track(task_id, cursor="2000-01-01T00:00:00.000Z~0")  # before every point: all of them
    assert status == 200 and rest["items"][:5] == first["items"]


@pytest.mark.parametrize("cursor,expected", [("0~0", 25), ("2000-00-00T99:00:00Z~x", 25), ("zzz~0", 0)])
def test_a_cursor_of_the_documented_shape_that_is_not_a_time_is_still_a_position(recorded, cursor, expected):
    """The fuzzer's `?cursor=0~0` was a 500: a position by key order, never a crash."""
    task_id, _ = recorded
    status, body = track(task_id, cursor=cursor, limit=100)

    assert status == 200 and len(body["items"]) == expected and body["nextCursor"] is None


@pytest.mark.parametrize("limit", ["0", "1001", "ten", "-1"])
def test_a_bad_limit_is_a_400(recorded, limit):
    task_id, _ = recorded
    status, body = track(task_id, limit=limit)

    assert status == 400 and "'limit'" in body["error"]["message"]


@pytest.mark.parametrize("caller", [ADMIN, MANAGER, COURIER])
def test_admin_manager_and_the_assignee_read_the_track(recorded, caller):
    task_id, _ = recorded
    status, body = track(task_id, caller=caller, limit=1)

    assert status == 200 and len(body["items"]) == 1


def test_another_courier_may_not_read_the_track(recorded):
    task_id, _ = recorded
    status, body = track(task_id, caller=OTHER_COURIER)

    assert status == 403 and body["error"]["code"] == "Forbidden"


def test_the_track_of_an_unknown_task_is_a_404(tracking_stack):
    assert track("no-such-task")[0] == 404


def test_a_task_without_points_has_an_empty_track(put_task):
    status, body = track(put_task())

    assert (status, body["items"], body["nextCursor"]) == (200, [], None)


# -- GET /live -------------------------------------------------------------------------------
def test_live_shows_every_running_task_with_its_courier_and_latest_position(put_task, queue, now):
    first = put_task(courier=COURIER)
    second = put_task(courier=OTHER_COURIER)
    post(first, points(now - timedelta(minutes=2), [(52.50, 13.40), (52.51, 13.40)]))
    post(second, points(now - timedelta(minutes=1), [(48.85, 2.35)]), caller=OTHER_COURIER)
    assert consume(queue.receive(), queue) == {"batchItemFailures": []}

    status, body = live()

    assert status == 200 and body["count"] == 2
    entries = {e["taskId"]: e for e in body["items"]}
    assert entries[first]["courier"] == {"userId": COURIER["userId"], "username": COURIER["username"]}
    assert entries[first]["position"]["lat"] == 52.51
    assert entries[first]["lastSeen"] == iso(now - timedelta(minutes=2) + timedelta(seconds=10))
    assert entries[second]["courier"]["username"] == OTHER_COURIER["username"]
    assert entries[second]["lastSeen"] == iso(now - timedelta(minutes=1))


def test_a_task_completed_after_its_last_point_leaves_the_live_map(put_task, set_status, queue, now):
    running = put_task(courier=COURIER)
    done = put_task(courier=OTHER_COURIER)
    post(running, points(now - timedelta(minutes=1), [(52.5, 13.4)]))
    post(done, points(now - timedelta(minutes=1), [(48.85, 2.35)]), caller=OTHER_COURIER)
    consume(queue.receive(), queue)
    set_status(done, "completed")

    status, body = live()

    assert status == 200 and [e["taskId"] for e in body["items"]] == [running]
    # ... and out of the index, so the next read does not pay for it.
    assert listed_on_live_index() == [running]


def test_live_reads_only_the_live_index_not_the_points(put_task, queue, now):
    task_id = put_task()
    post(task_id, points(now - timedelta(minutes=20), [(52.5, 13.4)] * 100, step_s=1))
    consume(queue.receive(), queue)

    assert listed_on_live_index() == [task_id]  # 100 points recorded, one item in the index
    assert live()[1]["count"] == 1


@pytest.mark.parametrize("caller, status", [(COURIER, 403), (None, 401), (ADMIN, 200)])
def test_live_is_for_admins_and_managers(tracking_stack, caller, status):
    assert live(caller)[0] == status

"""GET /tasks through its real handler: pages with a keyset cursor, index queries only."""
from __future__ import annotations

import base64
import json
import os
import re
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from tasks.models import CURSOR_PATTERN
from tests.unit.tasks.helpers import ADMIN, MANAGER, WINDOW, call, courier, task_call

ANA, BEN = courier(1), courier(2)


def list_page(caller, **query):
    return call("tasks.handlers", "list_tasks", "GET", "/tasks", caller=caller,
                query={k: str(v) for k, v in query.items()} or None)


def list_all(caller, limit: int, status: str | None = None) -> tuple[list[str], int]:
    """Every task id the caller can list, following cursors; and the number of pages."""
    ids: list[str] = []
    query = {"limit": limit, **({"status": status} if status else {})}
    pages = 0
    while True:
        status_code, body = list_page(caller, **query)
        assert status_code == 200, body
        pages += 1
        assert len(body["items"]) <= limit
        ids.extend(item["taskId"] for item in body["items"])
        if body["nextCursor"] is None:
            return ids, pages
        query["cursor"] = body["nextCursor"]


def seed(route_id: str, count: int, status_of=lambda i: "open", assignee_of=lambda i: None) -> list[str]:
    """Write `count` tasks as the create path writes them (one clock tick for many: ties)."""
    from legwork_common.money import Money
    from tasks.models import NewTask, Window, new_task_item

    table = boto3.resource("dynamodb").Table(os.environ["TASKS_TABLE"])
    spec = NewTask(route_id=route_id, title="bulk", bonus=Money.parse({"amount": "5", "currency": "EUR"}, field="bonus"),
                   window=Window.parse(WINDOW))
    start = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    ids = []
    with table.batch_writer() as batch:
        for i in range(count):
            item = new_task_item(spec, created_by=ADMIN["userId"], now=start + timedelta(milliseconds=i // 7))
            item["status"] = status_of(i)
            if assignee_of(i):
                item["assigneeId"] = assignee_of(i)
            batch.put_item(Item=item)
            ids.append(item["taskId"])
    return ids


def test_listing_1000_tasks_pages_without_duplicates_or_gaps(route_id, no_scans):
    ids = seed(route_id, 1000)
    for limit in (100, 37):
        listed, pages = list_all(ADMIN, limit, status="open")
        assert len(listed) == len(set(listed)) == 1000
        assert set(listed) == set(ids)
        assert pages == -(-1000 // limit) or pages == -(-1000 // limit) + 1


def test_an_unfiltered_admin_listing_crosses_every_status_once(route_id, no_scans):
    statuses = ("open", "claimed", "in_progress", "completed", "cancelled")
    ids = seed(route_id, 1000, status_of=lambda i: statuses[i % 5],
               assignee_of=lambda i: None if i % 5 in (0, 4) else f"u-courier-{i % 3}")
    listed, _ = list_all(MANAGER, 100)
    assert len(listed) == len(set(listed)) == 1000
    assert set(listed) == set(ids)


def test_pages_are_newest_first_within_a_status(publish, no_scans):
    first, second = publish(title="first"), publish(title="second")
    status, body = list_page(ADMIN, status="open")
    assert [t["taskId"] for t in body["items"]] == [second["taskId"], first["taskId"]]


def test_couriers_see_open_tasks_and_their_own_only(publish, no_scans):
    tasks = [publish(title=f"t{i}")["taskId"] for i in range(5)]
    task_call("claim", tasks[0], ANA)
    task_call("claim", tasks[1], BEN)
    task_call("claim", tasks[2], ANA)
    task_call("start", tasks[2], ANA)
    listed, _ = list_all(ANA, 2)
    assert sorted(listed) == sorted([tasks[0], tasks[2], tasks[3], tasks[4]])
    listed, _ = list_all(BEN, 10)
    assert sorted(listed) == sorted([tasks[1], tasks[3], tasks[4]])
    assert list_all(ANA, 10, status="in_progress")[0] == [tasks[2]]
    assert list_all(ANA, 10, status="claimed")[0] == [tasks[0]]
    assert sorted(list_all(ANA, 10, status="open")[0]) == sorted(tasks[3:])
    assert sorted(list_all(ADMIN, 10, status="claimed")[0]) == sorted([tasks[0], tasks[1]])


def test_a_courier_reads_open_and_own_tasks_but_not_anothers(publish):
    mine, theirs, open_one = (publish(title=t)["taskId"] for t in ("mine", "theirs", "open"))
    task_call("claim", mine, ANA)
    task_call("claim", theirs, BEN)
    get = lambda tid, who: call("tasks.handlers", "get_task", "GET", f"/tasks/{tid}", caller=who,
                                path_params={"taskId": tid})
    assert get(mine, ANA)[0] == 200
    assert get(open_one, ANA)[0] == 200
    status, body = get(theirs, ANA)
    assert status == 403 and "open tasks and their own" in body["error"]["message"]
    assert get(theirs, MANAGER)[0] == 200
    assert get("no-such-task", ADMIN)[0] == 404


def _cursor(document) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "garbage!!", "bm90IGpzb24", _cursor([1, 2]), "0~a", "10", "0~a~b~c", "",
])
def test_a_cursor_not_of_the_documented_shape_is_a_400(stack, cursor):
    status, body = list_page(ADMIN, status="open", cursor=cursor)
    assert status == 400
    assert body["error"]["message"].startswith("'cursor' is not valid: pass the nextCursor")


def test_any_cursor_of_the_documented_shape_is_a_position_in_the_listing(route_id):
    seed(route_id, 5)
    _, first = list_page(ADMIN, status="open", limit=2)
    cursor = first["nextCursor"]
    assert re.fullmatch(CURSOR_PATTERN, cursor)
    status, second = list_page(ADMIN, status="open", cursor=cursor, limit=10)
    assert status == 200 and len(second["items"]) == 3
    assert {t["taskId"] for t in second["items"]}.isdisjoint(t["taskId"] for t in first["items"])
    # Another listing's cursor, or a made-up one, is a position in this listing: never a 400.
    assert list_page(ADMIN, status="claimed", cursor=cursor)[0] == 200
    assert list_page(ADMIN, status="open", cursor="0~2000-01-01T00:00:00.000Z~zzz")[0] == 200
    assert list_page(ADMIN, status="open", cursor="9") == (200, {"items": [], "nextCursor": None})


def test_a_courier_cannot_forge_a_cursor_into_another_couriers_tasks(publish):
    tasks = [publish(title=f"t{i}")["taskId"] for i in range(3)]
    for t in tasks:
        task_call("claim", t, BEN)
    _, body = list_page(ANA, status="claimed", limit=1)  # Ana has none: no cursor
    assert body == {"items": [], "nextCursor": None}
    from tasks.models import encode_cursor, listing_segments

    segments = listing_segments("courier", ANA["userId"], "claimed")
    forged = encode_cursor(segments, 0, {"taskId": tasks[0], "assigneeId": BEN["userId"], "status": "claimed"})
    status, body = list_page(ANA, status="claimed", cursor=forged)
    assert (status, body) == (200, {"items": [], "nextCursor": None})  # still only Ana's tasks
    for made_up in ("0", "1", f"1~claimed~{tasks[0]}", f"0~2000-01-01T00:00:00.000Z~{tasks[0]}"):
        status, body = list_page(ANA, cursor=made_up)
        assert status == 200
        assert all(t["status"] == "open" or t.get("assigneeId") == ANA["userId"] for t in body["items"])
        assert not {t["taskId"] for t in body["items"]} & set(tasks)  # Ben's claimed tasks never show


@pytest.mark.parametrize("query, fragment", [
    ({"status": "lost"}, "'status' must be one of"),
    ({"limit": "0"}, "'limit'"),
    ({"limit": "101"}, "'limit'"),
    ({"limit": "ten"}, "'limit'"),
])
def test_bad_query_parameters_are_a_400_naming_them(stack, query, fragment):
    status, body = list_page(ADMIN, **query)
    assert status == 400 and fragment in body["error"]["message"]

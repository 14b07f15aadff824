"""The life of a task through its real handlers: every transition and every refusal."""
from __future__ import annotations

import os

import boto3
import pytest

from tests.unit.tasks.helpers import ADMIN, MANAGER, call, courier, task_call

ANA, BEN = courier(1), courier(2)


def status_of(task_id: str) -> str:
    status, body = call("tasks.handlers", "get_task", "GET", f"/tasks/{task_id}", caller=ADMIN,
                        path_params={"taskId": task_id})
    assert status == 200, body
    return body["status"]


def active_count(courier_id: str) -> int:
    table = boto3.resource("dynamodb").Table(os.environ["COURIER_LOAD_TABLE"])
    return int((table.get_item(Key={"courierId": courier_id}).get("Item") or {}).get("activeTasks", 0))


def test_a_published_task_is_open_at_version_1(publish):
    task = publish()
    assert task["status"] == "open"
    assert task["version"] == 1
    assert "assigneeId" not in task


def test_claim_start_complete_walks_the_whole_life(task_id):
    status, task = task_call("claim", task_id, ANA)
    assert status == 200, task
    assert (task["status"], task["assigneeId"], task["assigneeName"]) == ("claimed", ANA["userId"], "courier1")
    assert task["claimedAt"] and task["version"] == 2
    assert active_count(ANA["userId"]) == 1

    status, task = task_call("start", task_id, ANA)
    assert status == 200, task
    assert task["status"] == "in_progress" and task["startedAt"] and task["version"] == 3
    assert active_count(ANA["userId"]) == 1

    status, task = task_call("complete", task_id, ANA)
    assert status == 200, task
    assert task["status"] == "completed" and task["completedAt"] and task["version"] == 4
    assert active_count(ANA["userId"]) == 0


def test_second_claim_is_refused_with_409_and_does_not_name_the_winner(task_id):
    assert task_call("claim", task_id, ANA)[0] == 200
    status, body = task_call("claim", task_id, BEN)
    assert status == 409
    assert body["error"]["code"] == "AlreadyClaimed"
    message = body["error"]["message"]
    assert ANA["username"] not in message and ANA["userId"] not in message
    assert active_count(BEN["userId"]) == 0


def test_repeated_claim_by_the_assignee_is_a_409(task_id):
    assert task_call("claim", task_id, ANA)[0] == 200
    status, body = task_call("claim", task_id, ANA)
    assert status == 409
    assert "already hold" in body["error"]["message"]
    assert active_count(ANA["userId"]) == 1


def test_release_gives_a_claimed_task_back_for_anyone_to_claim(task_id):
    task_call("claim", task_id, ANA)
    status, task = task_call("release", task_id, ANA)
    assert status == 200, task
    assert task["status"] == "open"
    assert "assigneeId" not in task and "assigneeName" not in task and "claimedAt" not in task
    assert active_count(ANA["userId"]) == 0
    status, task = task_call("claim", task_id, BEN)
    assert status == 200 and task["assigneeId"] == BEN["userId"]


@pytest.mark.parametrize("verb", ["start", "release", "complete"])
def test_only_the_assignee_may_move_a_task_403(task_id, verb):
    task_call("claim", task_id, ANA)
    if verb == "complete":
        task_call("start", task_id, ANA)
    status, body = task_call(verb, task_id, BEN)
    assert status == 403
    assert body["error"]["message"] == f"Only the courier who holds task {task_id} may {verb} it."


@pytest.mark.parametrize("verb", ["start", "release", "complete"])
def test_an_open_task_cannot_be_started_released_or_completed(task_id, verb):
    status, body = task_call(verb, task_id, ANA)
    assert status == 409
    assert "claim it" in body["error"]["message"]
    assert status_of(task_id) == "open"


def test_stale_and_repeated_transitions_are_409_never_a_corrupted_task(task_id):
    task_call("claim", task_id, ANA)
    assert task_call("start", task_id, ANA)[0] == 200
    for verb in ("start", "release"):  # no longer claimed
        status, body = task_call(verb, task_id, ANA)
        assert status == 409, (verb, body)
    assert task_call("complete", task_id, ANA)[0] == 200
    status, body = task_call("complete", task_id, ANA)
    assert status == 409 and "completed" in body["error"]["message"]
    assert status_of(task_id) == "completed"
    assert active_count(ANA["userId"]) == 0  # one decrement, not two


def test_a_completed_task_cannot_be_claimed(task_id):
    task_call("claim", task_id, ANA)
    task_call("start", task_id, ANA)
    task_call("complete", task_id, ANA)
    status, body = task_call("claim", task_id, BEN)
    assert status == 409


@pytest.mark.parametrize("caller", [ADMIN, MANAGER], ids=["admin", "manager"])
@pytest.mark.parametrize("verb", ["claim", "start", "complete", "release"])
def test_only_couriers_claim_and_work_tasks(task_id, caller, verb):
    status, body = task_call(verb, task_id, caller)
    assert status == 403
    assert "Only courier" in body["error"]["message"]


@pytest.mark.parametrize("verb", ["claim", "start", "complete", "release"])
def test_unknown_task_is_404(stack, verb):
    status, body = task_call(verb, "no-such-task", ANA)
    assert (status, body["error"]) == (404, {"code": "NotFound", "message": "There is no task no-such-task."})


def test_unknown_task_cancel_is_404(stack):
    assert task_call("cancel", "no-such-task", ADMIN)[0] == 404


def test_a_courier_holds_at_most_the_limit_of_active_tasks(publish, monkeypatch):
    monkeypatch.setenv("MAX_ACTIVE_TASKS_PER_COURIER", "2")
    tasks = [publish(title=f"t{i}")["taskId"] for i in range(3)]
    assert task_call("claim", tasks[0], ANA)[0] == 200
    assert task_call("claim", tasks[1], ANA)[0] == 200
    status, body = task_call("claim", tasks[2], ANA)
    assert status == 409 and body["error"]["code"] == "ActiveTaskLimit"
    assert "2 active tasks" in body["error"]["message"]
    assert status_of(tasks[2]) == "open"  # the refused transaction wrote nothing
    # Completing or releasing one frees a slot.
    task_call("release", tasks[0], ANA)
    assert task_call("claim", tasks[2], ANA)[0] == 200
    assert active_count(ANA["userId"]) == 2


def test_the_default_limit_is_the_template_parameter(stack, publish):
    assert os.environ["MAX_ACTIVE_TASKS_PER_COURIER"] == "3"
    tasks = [publish(title=f"t{i}")["taskId"] for i in range(4)]
    assert [task_call("claim", t, ANA)[0] for t in tasks] == [200, 200, 200, 409]


def test_admin_cancels_an_open_task(task_id):
    status, task = task_call("cancel", task_id, ADMIN)
    assert status == 200, task
    assert task["status"] == "cancelled" and task["cancelledBy"] == ADMIN["userId"]
    assert task_call("claim", task_id, ANA)[0] == 409


def test_cancelling_a_claimed_task_frees_the_couriers_slot(task_id):
    task_call("claim", task_id, ANA)
    assert active_count(ANA["userId"]) == 1
    status, task = task_call("cancel", task_id, ADMIN)
    assert status == 200 and task["status"] == "cancelled"
    assert active_count(ANA["userId"]) == 0
    assert task_call("start", task_id, ANA)[0] == 409


@pytest.mark.parametrize("state", ["in_progress", "completed", "cancelled"])
def test_only_open_or_claimed_tasks_can_be_cancelled(task_id, state):
    if state == "cancelled":
        task_call("cancel", task_id, ADMIN)
    else:
        task_call("claim", task_id, ANA)
        task_call("start", task_id, ANA)
        if state == "completed":
            task_call("complete", task_id, ANA)
    status, body = task_call("cancel", task_id, ADMIN)
    assert status == 409
    assert state in body["error"]["message"]
    assert status_of(task_id) == state


@pytest.mark.parametrize("caller", [MANAGER, ANA], ids=["manager", "courier"])
def test_only_admins_cancel(task_id, caller):
    status, body = task_call("cancel", task_id, caller)
    assert status == 403
    assert status_of(task_id) == "open"

"""DynamoDB cancels a transaction that meets another on the same item (`TransactionConflict`):
such a cancellation decided nothing, so the claim tries again. moto never produces it; the
answer is injected at botocore's `before-call` hook, in front of the real moto table."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.unit.tasks.helpers import call, courier, task_call

ANA = courier(1)


@pytest.fixture
def conflicts(stack):
    """`conflicts(n)`: the next n TransactWriteItems are cancelled with TransactionConflict."""
    from legwork_common.aws import dynamodb

    remaining = {"n": 0, "seen": 0}

    def cancel(**_):
        remaining["seen"] += 1
        if remaining["n"] <= 0:
            return None  # let the call through to moto
        remaining["n"] -= 1
        parsed = {
            "Error": {"Code": "TransactionCanceledException",
                      "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
                                 "[TransactionConflict, None]"},
            "CancellationReasons": [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
                                    {"Code": "None"}],
        }
        return SimpleNamespace(status_code=400, headers={}, content=b""), parsed

    events = dynamodb().meta.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", cancel, unique_id="conflicts")

    def arm(n: int) -> dict:
        remaining["n"] = n
        return remaining

    yield arm
    events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="conflicts")


def test_a_claim_cancelled_by_a_conflict_is_tried_again_and_wins(task_id, conflicts):
    counter = conflicts(2)
    status, task = task_call("claim", task_id, ANA)
    assert status == 200, task
    assert task["assigneeId"] == ANA["userId"]
    assert counter["seen"] == 3  # two cancelled, the third went through


def test_endless_conflicts_end_in_a_409_and_write_nothing(task_id, conflicts):
    conflicts(100)
    status, body = task_call("claim", task_id, ANA)
    assert status == 409
    assert "try again" in body["error"]["message"]
    status, task = call("tasks.handlers", "get_task", "GET", f"/tasks/{task_id}", caller=ANA,
                        path_params={"taskId": task_id})
    assert task["status"] == "open" and task["version"] == 1

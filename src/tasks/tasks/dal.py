"""The tasks table and the couriers' load counters behind a small interface.

    >>> tasks = TasksTable(os.environ["TASKS_TABLE"], os.environ["COURIER_LOAD_TABLE"])
    >>> tasks.transition(task_id, Transition(expect=("open",), to="claimed", ...))

Every state change is one conditional write on the task's current state (and assignee);
a change that moves a courier's count of active tasks is one `TransactWriteItems` with
the counter, so the task and the count never disagree and the limit holds under any
concurrency. DynamoDB's shapes stay in here: callers get plain items or typed refusals.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from legwork_common.aws import dynamodb
from tasks.models import Segment

_deserializer = TypeDeserializer()
# A transaction that meets another one on the same item is cancelled with
# `TransactionConflict`; it has decided nothing, so it is tried again a few times.
CONFLICT_RETRIES = 6


class StateRefused(Exception):
    """The task is not in the expected state (or not the caller's); `current` is what it is, None if absent."""

    def __init__(self, current: dict | None) -> None:
        super().__init__("task condition failed")
        self.current = current


class LoadLimitReached(Exception):
    """The courier already holds the maximum number of active tasks."""


class StillConflicting(Exception):
    """Concurrent transactions kept cancelling this one; nothing was written."""


@dataclass(frozen=True)
class Transition:
    """One state change of a task.

    `expect`: the statuses it may be in; `assignee`: who must hold it (None: anyone);
    `version`: the version it must have (None: any); `to`: the new status; `set`: other
    attributes to set; `remove`: attributes to drop; `load`: (courierId, +1 or -1) to
    move a courier's count of active tasks in the same transaction, with `limit` for +1.
    """

    expect: tuple[str, ...]
    to: str
    now: str
    assignee: str | None = None
    version: int | None = None
    set: dict[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    load: tuple[str, int] | None = None
    limit: int | None = None


class TasksTable:
    """TasksTable (one item per task; indexes byStatus, byAssignee, byRoute) and CourierLoadTable."""

    def __init__(self, tasks_table: str, loads_table: str | None = None, resource: Any = None) -> None:
        resource = resource or dynamodb()
        self.table = resource.Table(tasks_table)
        self.loads = resource.Table(loads_table) if loads_table else None
        self.client = self.table.meta.client

    # -- reads ----------------------------------------------------------------------------
    def get(self, task_id: str) -> dict | None:
        """The task (strongly consistent: decisions are made on it), or None."""
        return self.table.get_item(Key={"taskId": task_id}, ConsistentRead=True).get("Item")

    def active_count(self, courier_id: str) -> int:
        """How many active tasks the counter says `courier_id` holds."""
        if self.loads is None:
            return 0
        item = self.loads.get_item(Key={"courierId": courier_id}, ConsistentRead=True).get("Item") or {}
        return int(item.get("activeTasks", 0))

    def query(self, segment: Segment, *, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
        """Up to `limit` tasks of one listing segment (an index query, never a scan)."""
        names = {"#h": segment.hash_name}
        values: dict[str, Any] = {":h": segment.hash_value}
        condition = "#h = :h"
        if segment.status is not None:
            names["#s"] = "status"
            values[":s"] = segment.status
            condition += " AND #s = :s"
        args: dict[str, Any] = {
            "IndexName": segment.index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "Limit": limit,
            # Newest first by creation inside a status.
            "ScanIndexForward": segment.index != "byStatus",
        }
        if start_key:
            args["ExclusiveStartKey"] = start_key
        response = self.table.query(**args)
        return response.get("Items", []), response.get("LastEvaluatedKey")

    # -- writes ---------------------------------------------------------------------------
    def put_new(self, item: dict) -> None:
        """Store a new task (a fresh uuid: the condition only guards against a collision)."""
        self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(taskId)")

    def transition(self, task_id: str, change: Transition) -> dict:
        """Apply `change` atomically; the task as it is afterwards.

        Raises `StateRefused` (with the current item) when the task is absent or not as
        expected, `LoadLimitReached` when the courier's counter is at the limit, and
        `StillConflicting` when concurrent transactions kept cancelling this one.
        """
        update = self._task_update(task_id, change)
        if change.load is None:
            try:
                return self.table.update_item(**update, ReturnValues="ALL_NEW")["Attributes"]
            except self.client.exceptions.ConditionalCheckFailedException as err:
                raise StateRefused(_item(err.response.get("Item"))) from None
        items = [{"Update": {"TableName": self.table.name, **update}}, {"Update": self._load_update(change)}]
        for attempt in range(CONFLICT_RETRIES):
            try:
                self.client.transact_write_items(TransactItems=items)
                break
            except self.client.exceptions.TransactionCanceledException as err:
                reasons = err.response.get("CancellationReasons") or [{}, {}]
                task_reason, load_reason = (reasons + [{}, {}])[:2]
                if task_reason.get("Code") == "ConditionalCheckFailed":
                    raise StateRefused(_item(task_reason.get("Item"))) from None
                if load_reason.get("Code") == "ConditionalCheckFailed":
                    raise LoadLimitReached() from None
                if not any(r.get("Code") == "TransactionConflict" for r in reasons):
                    raise
                time.sleep(random.uniform(0.005, 0.03) * (attempt + 1))
        else:
            raise StillConflicting()
        item = self.get(task_id)
        assert item is not None  # written a moment ago, never deleted
        return item

    def _task_update(self, task_id: str, change: Transition) -> dict:
        names = {"#s": "status", "#v": "version", "#u": "updatedAt"}
        values: dict[str, Any] = {":to": change.to, ":one": 1, ":now": change.now}
        sets = ["#s = :to", "#v = #v + :one", "#u = :now"]
        for i, (name, value) in enumerate(sorted(change.set.items())):
            names[f"#a{i}"] = name
            values[f":a{i}"] = value
            sets.append(f"#a{i} = :a{i}")
        expression = "SET " + ", ".join(sets)
        if change.remove:
            for i, name in enumerate(change.remove):
                names[f"#r{i}"] = name
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(change.remove)))
        expected = []
        for i, status in enumerate(change.expect):
            values[f":e{i}"] = status
            expected.append(f":e{i}")
        condition = f"attribute_exists(taskId) AND #s IN ({', '.join(expected)})"
        if change.assignee is not None:
            names["#who"] = "assigneeId"
            values[":who"] = change.assignee
            condition += " AND #who = :who"
        if change.version is not None:
            values[":ver"] = change.version
            condition += " AND #v = :ver"
        return {
            "Key": {"taskId": task_id},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def _load_update(self, change: Transition) -> dict:
        if self.loads is None:
            raise RuntimeError("This function has no COURIER_LOAD_TABLE; a change of a courier's load needs it.")
        courier_id, delta = change.load  # type: ignore[misc]
        update: dict[str, Any] = {
            "TableName": self.loads.name,
            "Key": {"courierId": courier_id},
            "ExpressionAttributeNames": {"#n": "activeTasks", "#u": "updatedAt"},
        }
        if delta > 0:
            update["UpdateExpression"] = "SET #n = if_not_exists(#n, :zero) + :d, #u = :now"
            update["ConditionExpression"] = "attribute_not_exists(#n) OR #n < :limit"
            update["ExpressionAttributeValues"] = {":zero": 0, ":d": delta, ":now": change.now,
                                                   ":limit": change.limit}
        else:
            # Never conditional: giving a task back must not fail on the counter.
            update["UpdateExpression"] = "SET #u = :now ADD #n :d"
            update["ExpressionAttributeValues"] = {":d": delta, ":now": change.now}
        return update


class RouteLookup:
    """Whether a route exists: a GetItem on the routes table (the tasks resource never writes it)."""

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)

    def exists(self, route_id: str) -> bool:
        return "Item" in self.table.get_item(Key={"routeId": route_id}, ProjectionExpression="routeId")


def _item(raw: dict | None) -> dict | None:
    """A low-level DynamoDB item (from a cancellation reason) as plain Python values."""
    if not raw:
        return None
    return {key: _deserializer.deserialize(value) for key, value in raw.items()}

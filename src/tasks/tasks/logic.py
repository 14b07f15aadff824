"""The rules of publishing tasks and of their life, free of any AWS event shape.

    open ──claim──▶ claimed ──start──▶ in_progress ──complete──▶ completed
      ▲               │
      └───release─────┘          open, claimed ──cancel (admin)──▶ cancelled

A claim is decided by DynamoDB, not here: the task's conditional write and the courier's
counter move in one transaction, so of any number of concurrent claims exactly one wins
and every other gets a 409 that does not name the winner. Every other transition is a
conditional write on the current state (and assignee), so a stale or repeated request is
a 409, never a corrupted task.

    >>> service = TasksService(TasksTable(tasks, loads), RoutesLookup(routes), max_active=3)
    >>> service.claim(task_id, courier)["status"]
    'claimed'
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from aws_lambda_powertools import Logger

from legwork_common.api import Caller
from legwork_common.errors import (
    ActiveTaskLimit, AlreadyClaimed, Busy, Conflict, Forbidden, NotAssignee, NotFound, WrongState,
)
from tasks.dal import LoadLimitReached, RouteLookup, StateRefused, StillConflicting, TasksTable, Transition
from tasks.models import NewTask, TaskQuery, decode_cursor, encode_cursor, iso, listing_segments, new_task_item, public_task

logger = Logger(child=True)
Clock = Callable[[], datetime]
DEFAULT_MAX_ACTIVE = 3


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Settings:
    """What the template sets in the environment (see src/tasks/template.yaml)."""

    max_active: int = DEFAULT_MAX_ACTIVE

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        return cls(max_active=int(env.get("MAX_ACTIVE_TASKS_PER_COURIER", DEFAULT_MAX_ACTIVE)))


class TasksService:
    """Publish, list and read tasks; claim, start, complete, release and cancel them."""

    def __init__(self, tasks: TasksTable, routes: RouteLookup | None = None, *,
                 settings: Settings | None = None, clock: Clock = utc_now) -> None:
        self.tasks = tasks
        self.routes = routes
        self.settings = settings or Settings()
        self.clock = clock

    # -- publishing and reading -------------------------------------------------------------
    def create(self, task: NewTask, caller: Caller) -> dict:
        """Publish an open task on an existing route."""
        if self.routes is None or not self.routes.exists(task.route_id):
            raise NotFound("route", task.route_id)
        item = new_task_item(task, created_by=caller.user_id, now=self.clock())
        self.tasks.put_new(item)
        logger.info("task published", extra={"taskId": item["taskId"], "routeId": task.route_id})
        return public_task(item)

    def get(self, task_id: str, caller: Caller) -> dict:
        """The task, if the caller may see it (couriers: open tasks and their own)."""
        item = self._existing(task_id)
        if caller.role == "courier" and item["status"] != "open" and item.get("assigneeId") != caller.user_id:
            raise Forbidden(f"Couriers see open tasks and their own; task {task_id} is neither.")
        return public_task(item)

    def list(self, query: TaskQuery, caller: Caller) -> dict:
        """One page of what the caller may see: `{items, nextCursor}`, through index queries only."""
        segments = listing_segments(caller.role, caller.user_id, query.status)
        position, start_key = (0, None) if query.cursor is None else decode_cursor(query.cursor, segments)
        if position >= len(segments):
            return {"items": [], "nextCursor": None}
        items: list[dict] = []
        while True:
            remaining = query.limit - len(items)
            found, last_key = self.tasks.query(segments[position], limit=remaining, start_key=start_key)
            items.extend(public_task(item) for item in found)
            if last_key is None:
                position, start_key = position + 1, None
                if position == len(segments):
                    return {"items": items, "nextCursor": None}
            else:
                start_key = last_key
            if len(items) >= query.limit:
                return {"items": items, "nextCursor": encode_cursor(segments, position, start_key)}

    # -- the life of a task ----------------------------------------------------------------
    def claim(self, task_id: str, courier: Caller) -> dict:
        """Make `courier` the assignee of an open task: exactly one concurrent claim wins."""
        now = iso(self.clock())
        change = Transition(
            expect=("open",), to="claimed", now=now,
            set={"assigneeId": courier.user_id, "assigneeName": courier.username, "claimedAt": now},
            load=(courier.user_id, +1), limit=self.settings.max_active,
        )
        try:
            item = self.tasks.transition(task_id, change)
        except StateRefused as refused:
            current = self._present(task_id, refused.current)
            if current.get("assigneeId") == courier.user_id and current["status"] in ("claimed", "in_progress"):
                raise Conflict(f"You already hold task {task_id} (it is {current['status']}).") from None
            if current["status"] in ("claimed", "in_progress", "completed"):
                # Never who: the winner's identity is nobody else's business.
                raise AlreadyClaimed(f"Task {task_id} has already been claimed by another courier.") from None
            raise WrongState("task", task_id, current["status"], "claim it", ("open",)) from None
        except LoadLimitReached:
            raise ActiveTaskLimit(
                f"You already hold {self.settings.max_active} active tasks, the most a courier may; "
                "complete or release one first.") from None
        except StillConflicting:
            raise Busy("task", task_id) from None
        logger.info("task claimed", extra={"taskId": task_id, "courierId": courier.user_id})
        return public_task(item)

    def start(self, task_id: str, courier: Caller) -> dict:
        """The assignee starts a claimed task."""
        now = iso(self.clock())
        change = Transition(expect=("claimed",), to="in_progress", now=now, assignee=courier.user_id,
                            set={"startedAt": now})
        return self._assignee_transition(task_id, courier, change, "start")

    def complete(self, task_id: str, courier: Caller) -> dict:
        """The assignee completes a task in progress; their active count goes down."""
        now = iso(self.clock())
        change = Transition(expect=("in_progress",), to="completed", now=now, assignee=courier.user_id,
                            set={"completedAt": now, "closedAt": now}, load=(courier.user_id, -1))
        return self._assignee_transition(task_id, courier, change, "complete")

    def release(self, task_id: str, courier: Caller) -> dict:
        """The assignee gives a claimed task back: open again, for anyone to claim."""
        now = iso(self.clock())
        change = Transition(expect=("claimed",), to="open", now=now, assignee=courier.user_id,
                            remove=("assigneeId", "assigneeName", "claimedAt"), load=(courier.user_id, -1))
        return self._assignee_transition(task_id, courier, change, "release")

    def cancel(self, task_id: str, admin: Caller) -> dict:
        """An admin cancels an open or claimed task (a claimed one frees its courier's slot)."""
        for _ in range(3):
            current = self._existing(task_id)
            if current["status"] not in ("open", "claimed"):
                raise WrongState("task", task_id, current["status"], "cancel it", ("open", "claimed"))
            now = iso(self.clock())
            assignee = current.get("assigneeId") if current["status"] == "claimed" else None
            change = Transition(
                expect=(current["status"],), to="cancelled", now=now, version=int(current["version"]),
                set={"cancelledAt": now, "cancelledBy": admin.user_id, "closedAt": now},
                load=(assignee, -1) if assignee else None,
            )
            try:
                item = self.tasks.transition(task_id, change)
            except (StateRefused, StillConflicting):
                continue  # it changed under us (claimed, released …): look again
            logger.info("task cancelled", extra={"taskId": task_id, "was": current["status"]})
            return public_task(item)
        raise Busy("task", task_id)

    # -- helpers ------------------------------------------------------------------------------
    def _assignee_transition(self, task_id: str, courier: Caller, change: Transition, verb: str) -> dict:
        try:
            item = self.tasks.transition(task_id, change)
        except StateRefused as refused:
            current = self._present(task_id, refused.current)
            assignee = current.get("assigneeId")
            if assignee and assignee != courier.user_id:
                raise NotAssignee(task_id, f"{verb} it") from None
            hint = f"claim it before you {verb} it" if current["status"] == "open" else None
            raise WrongState("task", task_id, current["status"], f"{verb} it", change.expect, hint) from None
        except StillConflicting:
            raise Busy("task", task_id) from None
        logger.info(f"task {verb}", extra={"taskId": task_id, "courierId": courier.user_id, "status": item["status"]})
        return public_task(item)

    def _existing(self, task_id: str) -> dict:
        item = self.tasks.get(task_id)
        if item is None:
            raise NotFound("task", task_id)
        return item

    @staticmethod
    def _present(task_id: str, current: dict | None) -> dict:
        if current is None:
            raise NotFound("task", task_id)
        return current

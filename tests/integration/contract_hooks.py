"""Schemathesis hooks of the contract fuzz run (tests/integration/test_contract_fuzz.py).

Loaded by `st run` through SCHEMATHESIS_HOOKS. Two things, nothing else:

- **Who calls.** Each operation is called with the token of the role it is made for
  (admins publish, couriers claim and post positions), reads rotate through admin,
  manager and courier, so a stateful run can publish a task, claim it, start it and post
  its positions. An auth provider, not a header: schemathesis's `ignored_auth` check
  still sends requests without it and must get a 401.
- **The rules a schema cannot say**, written in the operations' descriptions: a task's
  window ends after it starts, a GPS point is not in the future nor before its task
  started, and a report's period starts on a Monday (a week) or the 1st (a month). A *positive* case (schema-valid by construction) is made to keep them just
  before it is sent; schemathesis re-checks that the case is still schema-valid, so this
  never turns an invalid request into a "valid" one. Negative cases go out untouched.
"""
from __future__ import annotations

import itertools
import json
import os
from datetime import date, datetime, timedelta, timezone

import schemathesis

TOKENS: dict[str, str] = json.loads(os.environ.get("LEGWORK_FUZZ_TOKENS", "{}"))
ROLE_OF = {
    "POST /routes": "admin",
    "POST /tasks": "admin",
    "POST /tasks/{taskId}/cancel": "admin",
    "POST /users": "admin",
    "POST /reports": "manager",
    "POST /tasks/{taskId}/claim": "courier",
    "POST /tasks/{taskId}/start": "courier",
    "POST /tasks/{taskId}/complete": "courier",
    "POST /tasks/{taskId}/release": "courier",
    "POST /tasks/{taskId}/positions": "courier",
}
READERS = ("admin", "manager", "courier")
_turn = itertools.count()


@schemathesis.auth(refresh_interval=None)
class RoleTokens:
    """The token of the role an operation is for; reads take turns between the three roles."""

    def get(self, case, ctx):
        role = ROLE_OF.get(case.operation.label) or READERS[next(_turn) % len(READERS)]
        return TOKENS[role]

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _positive(case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


@schemathesis.hook
def before_call(context, case, kwargs):
    if not _positive(case) or not isinstance(case.body, dict):
        return
    if case.operation.label == "POST /tasks" and isinstance(case.body.get("window"), dict):
        window = case.body["window"]
        start, end = _when(window.get("start")), _when(window.get("end"))
        if start and end and not start < end:
            later = start + timedelta(hours=1)
            window["start"], window["end"] = (window["end"], window["start"]) if end < start else (
                window["start"], later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if case.operation.label == "POST /tasks/{taskId}/positions" and isinstance(case.body.get("points"), list):
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        for point in case.body["points"]:
            if isinstance(point, dict) and "ts" in point:
                point["ts"] = now
    if case.operation.label == "POST /reports" and isinstance(case.body.get("start"), str):
        try:
            day = date.fromisoformat(case.body["start"])
        except ValueError:
            return
        first = day.replace(day=1) if case.body.get("period") == "month" else day - timedelta(days=day.weekday())
        case.body["start"] = first.isoformat()

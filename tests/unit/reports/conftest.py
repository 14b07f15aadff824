"""The reports resource's tests: a fixed week of work in moto, reports generated through the real handlers.

Receipts are written into src/receipts' own table, the one the report worker's
environment names (`RECEIPTS_TABLE`): status, amount as a decimal string, currency, and a
`correction` map whose amount overrides the OCR amount.
"""
from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.events import api_event, lambda_context, response_json  # noqa: E402

ADMIN = {"userId": "u-admin", "username": "ada", "role": "admin"}
MANAGER = {"userId": "u-manager", "username": "max", "role": "manager"}
COURIER = {"userId": "u-ana", "username": "ana", "role": "courier"}


def call(function: str, method: str, path: str, body=None, caller=MANAGER, path_params=None, query=None):
    import reports.handlers as handlers

    event = api_event(method, path, body=body, caller=caller, path_params=path_params, query=query)
    response = getattr(handlers, function)(event, lambda_context())
    return response["statusCode"], response_json(response)


def drain(stack) -> list[dict]:
    """Deliver every queued report message to the worker, as the SQS event source would."""
    import reports.handlers as handlers

    sqs = stack.client("sqs")
    url = stack.name("ReportsQueue")
    results = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return results
        for m in messages:
            record = {"messageId": m["MessageId"], "body": m["Body"], "attributes": m["Attributes"],
                      "eventSource": "aws:sqs"}
            results.append(handlers.worker({"Records": [record]}, lambda_context()))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def task(task_id: str, route: str, *, status: str, created: str, courier: tuple[str, str] | None = None,
         bonus: tuple[str, str] = ("10.00", "EUR"), window: tuple[str, str] = ("2026-11-23T00:00:00Z", "2026-11-23T01:00:00Z"),
         started: str | None = None, completed: str | None = None, cancelled: str | None = None) -> dict:
    """A task item as src/tasks writes it."""
    item = {"taskId": task_id, "routeId": route, "title": task_id, "status": status, "createdAt": created,
            "updatedAt": created, "createdBy": "u-admin", "version": 1,
            "bonus": {"amount": bonus[0], "currency": bonus[1]}, "window": {"start": window[0], "end": window[1]}}
    if courier:
        item.update(assigneeId=courier[0], assigneeName=courier[1])
    if started:
        item["startedAt"] = started
    if completed:
        item.update(completedAt=completed, closedAt=completed)
    if cancelled:
        item.update(cancelledAt=cancelled, closedAt=cancelled, cancelledBy="u-admin")
    return item


ANA, WANG = ("u-ana", "ana"), ("u-wang", "王伟")

TASKS = [
    task("t1", "r-1", status="completed", created="2026-11-23T07:00:00.000Z", courier=ANA, bonus=("12.50", "EUR"),
         window=("2026-11-24T08:00:00Z", "2026-11-24T12:00:00Z"), started="2026-11-24T09:00:00.000Z",
         completed="2026-11-24T10:30:00.000Z"),
    # Completed at the last second of Sunday: this week, and late.
    task("t2", "r-1", status="completed", created="2026-11-28T09:00:00.000Z", courier=ANA, bonus=("8", "EUR"),
         window=("2026-11-29T18:00:00Z", "2026-11-29T22:00:00Z"), started="2026-11-29T22:00:00.000Z",
         completed="2026-11-29T23:59:59.000Z"),
    task("t3", "r-2", status="completed", created="2026-11-24T08:00:00.000Z", courier=WANG, bonus=("100", "CNY"),
         window=("2026-11-25T10:00:00Z", "2026-11-25T14:00:00Z"), started="2026-11-25T10:00:00.000Z",
         completed="2026-11-25T11:00:00.000Z"),
    # Completed at Monday 00:00:00: next week (but published this week).
    task("t4", "r-2", status="completed", created="2026-11-29T08:00:00.000Z", courier=WANG, bonus=("20", "CNY"),
         window=("2026-11-29T20:00:00Z", "2026-11-30T02:00:00Z"), started="2026-11-29T21:00:00.000Z",
         completed="2026-11-30T00:00:00.000Z"),
    task("t5", "r-1", status="cancelled", created="2026-11-20T08:00:00.000Z", cancelled="2026-11-26T12:00:00.000Z"),
    task("t6", "r-2", status="open", created="2026-11-27T08:00:00.000Z"),
    # The previous week's last millisecond.
    task("t7", "r-1", status="completed", created="2026-11-21T08:00:00.000Z", courier=ANA,
         started="2026-11-22T22:00:00.000Z", completed="2026-11-22T23:59:59.999Z"),
]
DISTANCES = {"t1": Decimal("1520.5"), "t2": Decimal("2500.25"), "t3": Decimal("800"), "t4": Decimal("999"),
             "t7": Decimal("5000")}
RECEIPTS = [
    {"receiptId": "rc1", "taskId": "t1", "createdAt": "2026-11-24T10:00:00.000Z", "status": "processed",
     "amount": "23.40", "currency": "EUR"},
    {"receiptId": "rc2", "taskId": "t1", "createdAt": "2026-11-24T10:01:00.000Z", "status": "failed"},
    {"receiptId": "rc3", "taskId": "t1", "createdAt": "2026-11-24T10:02:00.000Z", "status": "pending"},
    {"receiptId": "rc4", "taskId": "t2", "createdAt": "2026-11-29T23:00:00.000Z", "status": "processed",
     "amount": "10.00", "currency": "EUR",
     "correction": {"amount": "12.00", "currency": "EUR", "reason": "OCR misread", "by": "u-manager",
                    "at": "2026-11-30T09:00:00.000Z"}},
    {"receiptId": "rc5", "taskId": "t3", "createdAt": "2026-11-25T10:30:00.000Z", "status": "processed",
     "amount": "56.78", "currency": "CNY"},
]


@pytest.fixture
def stack(aws_stack):
    return aws_stack


@pytest.fixture
def no_aws(monkeypatch):
    """For requests refused before any AWS call: names in the environment, nothing provisioned.

    Still inside moto: the Common layer caches its boto3 clients, and one first made outside
    moto would stay outside it for every later test of this process.
    """
    from moto import mock_aws

    for name in ("REPORTS_TABLE", "REPORTS_QUEUE_URL"):
        monkeypatch.setenv(name, f"unused-{name.lower()}")
    with mock_aws():
        yield


@pytest.fixture
def week(stack):
    """The fixed data set: three couriers (one idle), two routes, tasks across both week boundaries."""
    ddb = boto3.resource("dynamodb")
    users = ddb.Table(stack.name("UsersTable"))
    for user_id, name, role in (("u-ana", "ana", "courier"), ("u-wang", "王伟", "courier"),
                                ("u-carl", "carl", "courier"), ("u-manager", "max", "manager")):
        users.put_item(Item={"username": name, "userId": user_id, "role": role, "passwordHash": "x",
                             "createdAt": "2026-11-01T00:00:00.000Z"})
    routes = ddb.Table(stack.name("RoutesTable"))
    for route_id, name in (("r-1", "Mitte loop"), ("r-2", "Spree run")):
        routes.put_item(Item={"routeId": route_id, "name": name, "listKey": "route",
                              "createdAt": "2026-11-01T00:00:00.000Z"})
    tasks = ddb.Table(stack.name("TasksTable"))
    for item in TASKS:
        tasks.put_item(Item=item)
    tracking = ddb.Table(stack.name("TrackingTable"))
    for task_id, metres in DISTANCES.items():
        tracking.put_item(Item={"pk": f"TASK#{task_id}", "sk": "LIVE", "distanceM": metres, "lastTs": "x"})
    # The table the worker reads, as its template names it (a worker without it counts no receipts).
    receipts = ddb.Table(stack.env("ReportsWorkerFunction")["RECEIPTS_TABLE"])
    for receipt in RECEIPTS:
        receipts.put_item(Item=receipt)
    return stack


def generate(stack, period: str, start: str) -> dict:
    """POST /reports, the worker, GET /reports/{id}: the ready report with its files."""
    status, report = call("create_report", "POST", "/reports", body={"period": period, "start": start})
    assert status == 202, report
    assert drain(stack) == [{"batchItemFailures": []}]
    status, report = call("get_report", "GET", f"/reports/{report['reportId']}",
                          path_params={"reportId": report["reportId"]})
    assert status == 200 and report["status"] == "ready", report
    return report


def download(report: dict, fmt: str) -> bytes:
    import requests

    (file,) = [f for f in report["files"] if f["format"] == fmt]
    response = requests.get(file["downloadUrl"], timeout=5)
    assert response.status_code == 200
    return response.content

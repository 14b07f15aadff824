"""Asking for reports: one per period, asynchronous, failures recorded with their reason."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest

from tests.support.events import lambda_context
from tests.unit.reports.conftest import COURIER, call, drain


def queued(stack) -> int:
    attributes = stack.client("sqs").get_queue_attributes(QueueUrl=stack.name("ReportsQueue"),
                                                          AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


@pytest.mark.parametrize("body, says", [
    ({"period": "week", "start": "2026-11-24"}, "A week starts on a Monday; 2026-11-24 is a Tuesday."),
    ({"period": "month", "start": "2026-11-02"}, "A month starts on the 1st"),
    ({"period": "year", "start": "2026-01-01"}, "'period'"),
    ({"period": "week", "start": "2026-02-30"}, "'start'"),
    ({"period": "month", "start": "1999-12-01"}, "'start' must be in the years 2000 to 2099"),
    ({"period": "week", "start": "2026-11-23", "force": "yes"}, "'force'"),
])
def test_a_bad_period_is_a_400_that_says_why(no_aws, body, says):
    status, error = call("create_report", "POST", "/reports", body=body)
    assert status == 400 and says in error["error"]["message"]


def test_couriers_may_not_ask_for_reports(no_aws):
    assert call("create_report", "POST", "/reports", body={"period": "week", "start": "2026-11-23"},
                caller=COURIER)[0] == 403
    assert call("list_reports", "GET", "/reports", caller=COURIER)[0] == 403


def test_the_same_period_twice_is_one_report(stack):
    body = {"period": "week", "start": "2026-11-23"}
    status, first = call("create_report", "POST", "/reports", body=body)
    assert status == 202 and first == {**first, "reportId": "week-2026-11-23", "status": "pending"}
    status, second = call("create_report", "POST", "/reports", body=body)
    assert status == 200 and second["reportId"] == first["reportId"]
    assert queued(stack) == 1
    drain(stack)
    status, page = call("list_reports", "GET", "/reports")
    assert [r["reportId"] for r in page["items"]] == ["week-2026-11-23"]
    assert page["items"][0]["status"] == "ready"


def test_force_runs_a_finished_report_again_but_not_a_running_one(stack):
    body = {"period": "month", "start": "2026-11-01"}
    call("create_report", "POST", "/reports", body=body)
    status, error = call("create_report", "POST", "/reports", body={**body, "force": True})
    assert status == 409 and "being generated" in error["error"]["message"]
    drain(stack)
    status, again = call("create_report", "POST", "/reports", body={**body, "force": True})
    assert status == 202 and again["status"] == "pending"
    drain(stack)
    assert call("get_report", "GET", "/reports/month-2026-11-01",
                path_params={"reportId": "month-2026-11-01"})[1]["status"] == "ready"


def test_the_schedule_asks_for_the_previous_period_once(stack, monkeypatch):
    import reports.handlers as handlers
    import reports.logic

    monkeypatch.setattr(reports.logic, "utc_now", lambda: datetime(2026, 12, 7, 0, 5, tzinfo=timezone.utc))
    first = handlers.scheduled({"period": "week"}, lambda_context())
    assert first == {"reportId": "week-2026-11-30", "queued": True, "status": "pending"}
    assert handlers.scheduled({"period": "week"}, lambda_context())["queued"] is False
    monkeypatch.setattr(reports.logic, "utc_now", lambda: datetime(2026, 12, 1, 0, 10, tzinfo=timezone.utc))
    assert handlers.scheduled({"period": "month"}, lambda_context())["reportId"] == "month-2026-11-01"
    assert queued(stack) == 2


def test_a_generation_that_keeps_failing_is_marked_failed_with_its_reason(stack, monkeypatch):
    import reports.handlers as handlers
    import reports.logic

    call("create_report", "POST", "/reports", body={"period": "week", "start": "2026-11-23"})

    def broken(self, period):
        raise RuntimeError("the tasks table is unreachable")

    monkeypatch.setattr(reports.logic.ReportsService, "figures", broken)
    record = {"messageId": "m1", "body": json.dumps({"reportId": "week-2026-11-23"})}
    for attempt, status in ((1, "pending"), (3, "failed")):
        record["attributes"] = {"ApproximateReceiveCount": str(attempt)}
        assert handlers.worker({"Records": [record]}, lambda_context()) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
        report = call("get_report", "GET", "/reports/week-2026-11-23", path_params={"reportId": "week-2026-11-23"})[1]
        assert report["status"] == status
    assert "the tasks table is unreachable" in report["reason"] and "files" not in report


def test_an_unknown_report_is_a_404(stack):
    status, error = call("get_report", "GET", "/reports/week-2020-01-06", path_params={"reportId": "week-2020-01-06"})
    assert status == 404


def test_report_files_are_file_records_that_can_be_shared(week):
    from tests.unit.reports.conftest import generate

    report = generate(week, "week", "2026-11-23")
    files = boto3.resource("dynamodb").Table(week.name("FilesTable"))
    for f in report["files"]:
        record = files.get_item(Key={"fileId": f["fileId"]})["Item"]
        assert record["kind"] == "report" and record["status"] == "ready" and record["size"] == f["size"]
        assert record["key"].startswith("reports/week/2026-11-23/")

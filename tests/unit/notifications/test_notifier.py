"""The notifier on real stream records from moto: status changes reach a local webhook;
a webhook that fails makes its record fail (partial batch response), never lost silently."""
from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from tests.support.events import lambda_context
from tests.support.streams import TableStream
from tests.unit.tasks.helpers import ADMIN, courier, task_call

ANA = courier(1)


class Receiver:
    """A webhook on 127.0.0.1: records each JSON body; answers `status` (500 for bodies containing `fail_on`)."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        self.fail_on: str | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                failing = receiver.status >= 400 or (receiver.fail_on and receiver.fail_on in body.get("text", ""))
                if not failing:
                    receiver.bodies.append(body)
                self.send_response(500 if failing else receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/legwork"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def texts(self) -> list[str]:
        return [body["text"] for body in self.bodies]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(stack):
    receiver = Receiver()
    set_webhook(receiver.url)
    yield receiver
    receiver.close()


def set_webhook(value: str) -> None:
    from aws_lambda_powertools.utilities import parameters

    boto3.client("ssm").put_parameter(Name=os.environ["WEBHOOK_URL_PARAMETER"], Value=value, Type="String",
                                      Overwrite=True)
    parameters.clear_caches()


@pytest.fixture
def stream(stack):
    """Read the tasks table's stream as Lambda delivers it, after the template's filters."""
    return TableStream(stack, "TasksTable", "NotifyTaskChangeFunction", "TaskStatusChanged")


def notify(records: list[dict]) -> dict:
    from notifications.handlers import notify_task_changes

    return notify_task_changes({"Records": records}, lambda_context("legwork-dev-NotifyTaskChangeFunction"))


def test_a_status_change_reaches_the_webhook(webhook, stream, task_id):
    task_call("claim", task_id, ANA)
    records = stream.read()
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert notify(records) == {"batchItemFailures": []}
    assert webhook.texts == [
        f"Task “Harbour run” published (bonus 12.50 EUR). [{task_id}]",
        f"Task “Harbour run” claimed by courier1. [{task_id}]",
    ]


def test_every_transition_is_announced_once(webhook, stream, publish):
    task_id = publish(title="Walk")["taskId"]
    for verb in ("claim", "release", "claim", "start", "complete"):
        assert task_call(verb, task_id, ANA)[0] == 200
    cancelled = publish(title="Gone")["taskId"]
    task_call("claim", cancelled, ANA)
    task_call("cancel", cancelled, ADMIN)
    assert notify(stream.read()) == {"batchItemFailures": []}
    assert [text.split(" [")[0] for text in webhook.texts] == [
        "Task “Walk” published (bonus 12.50 EUR).",
        "Task “Walk” claimed by courier1.",
        "Task “Walk” released by courier1.",
        "Task “Walk” claimed by courier1.",
        "Task “Walk” started by courier1.",
        "Task “Walk” completed by courier1.",
        "Task “Gone” published (bonus 12.50 EUR).",
        "Task “Gone” claimed by courier1.",
        "Task “Gone” cancelled.",
    ]


def test_the_filters_let_through_only_status_changes(stream, task_id):
    stream.read()
    # Something else writes to the task without changing its status: no record passes.
    table = boto3.resource("dynamodb").Table(os.environ["TASKS_TABLE"])
    table.update_item(Key={"taskId": task_id}, UpdateExpression="SET title = :t",
                      ExpressionAttributeValues={":t": "Renamed"})
    assert [r["eventName"] for r in stream.read(filtered=False)] == ["MODIFY"]
    assert stream.read() == []


def test_a_same_status_record_that_slips_through_sends_nothing(webhook, stream, task_id):
    stream.read()
    table = boto3.resource("dynamodb").Table(os.environ["TASKS_TABLE"])
    table.update_item(Key={"taskId": task_id}, UpdateExpression="SET title = :t",
                      ExpressionAttributeValues={":t": "Renamed"})
    assert notify(stream.read(filtered=False)) == {"batchItemFailures": []}
    assert webhook.texts == []


def test_a_failing_webhook_fails_the_record_so_lambda_retries_it(webhook, stream, task_id):
    webhook.status = 500
    records = stream.read()
    response = notify(records)
    assert response == {"batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]}


def test_one_bad_record_does_not_fail_the_others(webhook, stream, publish):
    publish(title="fine")
    bad = publish(title="boom")
    publish(title="also fine")
    webhook.fail_on = "boom"
    records = stream.read()
    response = notify(records)
    failed = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    bad_record = next(r for r in records if r["dynamodb"]["NewImage"]["taskId"]["S"] == bad["taskId"])
    assert failed == [bad_record["dynamodb"]["SequenceNumber"]]
    assert [t.split(" (")[0] for t in webhook.texts] == ["Task “fine” published", "Task “also fine” published"]


def test_an_unreachable_webhook_fails_the_record(stack, stream, task_id):
    receiver = Receiver()
    url = receiver.url
    receiver.close()  # nothing listens there any more
    set_webhook(url)
    response = notify(stream.read())
    assert len(response["batchItemFailures"]) == 1


def test_a_parameter_that_is_not_a_url_fails_the_record(stack, stream, task_id):
    set_webhook("hooks.slack.example/legwork")
    assert len(notify(stream.read())["batchItemFailures"]) == 1


def test_without_a_webhook_it_logs_and_succeeds(stack, stream, task_id, caplog):
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    assert boto3.client("ssm").get_parameter(Name=os.environ["WEBHOOK_URL_PARAMETER"])["Parameter"]["Value"] == "none"
    assert notify(stream.read()) == {"batchItemFailures": []}
    assert "no webhook configured; change not sent" in caplog.messages

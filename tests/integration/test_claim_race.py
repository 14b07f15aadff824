"""The claim race through the local runtime (`make dev`'s API, authorizer, Lambda workers, moto
server and stream pump), on the application's own merged template:

- 30 couriers claim one task at the same moment: exactly one 200, 29 × 409 that do not
  name the winner, and the task names the winner;
- the claim reaches the notifier through the tasks table's stream (filtered by the
  template's FilterCriteria) and is posted to a webhook on 127.0.0.1;
- when the webhook keeps failing, the batch lands in NotificationsFailureQueue (the
  event's DestinationConfig.OnFailure) after the retries: never lost silently.

Tokens are minted with the stack's signing secret and checked by the real authorizer.
"""
from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from legwork.local.runtime import LocalRuntime, Options, free_port  # noqa: E402
from tests.integration.local.localrt import Client, eventually  # noqa: E402

COURIERS = 30
WINDOW = {"start": "2026-11-24T08:00:00Z", "end": "2026-11-24T12:00:00Z"}
JSON = {"Content-Type": "application/json"}


class Webhook:
    """A Slack-compatible receiver on 127.0.0.1; `failing = True` makes it answer 500."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.failing = False
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not hook.failing:
                    hook.texts.append(body["text"])
                self.send_response(500 if hook.failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory, webhook):
    """The merged application in the local runtime, its webhook parameter pointing at `webhook`."""
    from legwork.merge import merge

    template = tmp_path_factory.mktemp("app") / "template.yaml"
    template.write_text(merge(ROOT).template_text())
    runtime = LocalRuntime(Options(template=template, root=ROOT, port=free_port(), timers=False,
                                   access_log=False, poll_interval=0.1, seed=False, pool_size=6))
    runtime.start()
    try:
        # Before any task exists: the notifier caches the parameter once it has read it.
        aws(runtime, "ssm").put_parameter(Name=runtime.stack.name("NotificationsWebhookUrl"), Value=webhook.url,
                                          Type="String", Overwrite=True)
        yield runtime
    finally:
        runtime.stop()


def aws(runtime: LocalRuntime, service: str):
    return boto3.client(service, endpoint_url=runtime.endpoint_url, region_name="us-east-1")


def bearer(runtime: LocalRuntime, user_id: str, username: str, role: str) -> dict:
    """`Authorization: Bearer <JWT>` signed with the stack's own secret (no scrypt per courier)."""
    from auth import tokens

    env = runtime.stack.env("AuthorizerFunction")
    key = aws(runtime, "secretsmanager").get_secret_value(SecretId=env["TOKEN_SECRET_ARN"])["SecretString"]
    token, _ = tokens.issue({"userId": user_id, "username": username, "role": role}, key=key,
                            issuer=env["TOKEN_ISSUER"], audience=env["TOKEN_AUDIENCE"],
                            lifetime=timedelta(hours=1), now=datetime.now(timezone.utc))
    return {"Authorization": f"Bearer {token}", **JSON}


@pytest.fixture(scope="module")
def api(app) -> Client:
    return Client(app.url)


@pytest.fixture(scope="module")
def admin(app) -> dict:
    return bearer(app, "u-admin", "ada", "admin")


def publish(api: Client, admin: dict, title: str) -> str:
    status, _, route = api.request("POST", "/routes", {"name": f"{title} route", "waypoints": [
        {"lat": 52.52, "lng": 13.405}, {"lat": 52.51, "lng": 13.39}]}, admin)
    assert status == 201, route
    status, _, task = api.request("POST", "/tasks", {"routeId": route["routeId"], "title": title,
                                                     "bonus": {"amount": "8.00", "currency": "EUR"},
                                                     "window": WINDOW}, admin)
    assert status == 201, task
    return task["taskId"]


def test_thirty_concurrent_claims_exactly_one_wins(app, api, admin, webhook):
    task_id = publish(api, admin, "Race")
    couriers = [(f"u-racer-{i:02d}", f"racer{i:02d}") for i in range(COURIERS)]
    headers = [bearer(app, uid, name, "courier") for uid, name in couriers]
    results: list[tuple[int, dict] | None] = [None] * COURIERS
    start = threading.Barrier(COURIERS)

    def claim(i: int) -> None:
        start.wait()
        status, _, body = Client(app.url).request("POST", f"/tasks/{task_id}/claim", headers=headers[i])
        results[i] = (status, body)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(COURIERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = [r[0] for r in results]
    assert sorted(statuses) == [200] + [409] * (COURIERS - 1), statuses
    winner = statuses.index(200)
    winner_id, winner_name = couriers[winner]
    assert results[winner][1]["assigneeId"] == winner_id
    for status, body in results:
        if status == 409:
            message = body["error"]["message"]
            assert winner_id not in message and winner_name not in message, message

    status, _, task = api.request("GET", f"/tasks/{task_id}", headers=admin)
    assert status == 200
    assert (task["status"], task["assigneeId"], task["assigneeName"], task["version"]) == (
        "claimed", winner_id, winner_name, 2)
    # Only the winner's count of active tasks moved.
    loads = aws(app, "dynamodb").scan(TableName=app.stack.name("CourierLoadTable"))["Items"]
    assert {item["courierId"]["S"]: item["activeTasks"]["N"] for item in loads} == {winner_id: "1"}

    # The claim went through the stream, its filters and the notifier to the webhook.
    eventually(lambda: any(text.startswith(f"Task “Race” claimed by {winner_name}.") for text in webhook.texts),
               timeout=20)


def test_a_failing_webhook_sends_the_batch_to_the_failure_queue(app, api, admin, webhook):
    sqs = aws(app, "sqs")
    queue = app.stack.name("NotificationsFailureQueue")
    webhook.failing = True
    try:
        task_id = publish(api, admin, "Doomed")

        def failure():
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            return messages[0] if messages else None

        message = eventually(failure, timeout=40, interval=0.3)
    finally:
        webhook.failing = False
    document = json.loads(message["Body"])
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["DDBStreamBatchInfo"]["streamArn"] == app.stack.attr("TasksTable", "StreamArn")
    assert document["DDBStreamBatchInfo"]["batchSize"] >= 1
    assert not any("Doomed" in text for text in webhook.texts)
    assert task_id  # published; its announcement is what failed

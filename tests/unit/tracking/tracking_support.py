"""Callers, points and the positions queue for the tracking tests (fixtures are in conftest.py)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

ADMIN = {"userId": "00000000-0000-4000-8000-00000000000a", "username": "root", "role": "admin"}
MANAGER = {"userId": "00000000-0000-4000-8000-00000000000b", "username": "boss", "role": "manager"}
COURIER = {"userId": "00000000-0000-4000-8000-00000000000c", "username": "bike", "role": "courier"}
OTHER_COURIER = {"userId": "00000000-0000-4000-8000-00000000000d", "username": "van", "role": "courier"}


def iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def points(start: datetime, coords: list[tuple[float, float]], step_s: int = 10) -> list[dict]:
    """GPS points at `coords`, one every `step_s` seconds from `start`."""
    return [{"lat": lat, "lng": lng, "ts": iso(start + timedelta(seconds=i * step_s)), "accuracy": 5}
            for i, (lat, lng) in enumerate(coords)]


# -- the queue --------------------------------------------------------------------------------
class Queue:
    """The positions queue in moto, and the SQS events Lambda would build from its messages."""

    def __init__(self, stack) -> None:
        import boto3

        self.sqs = boto3.client("sqs")
        self.url = stack.name("PositionsQueue")
        self.arn = stack.attr("PositionsQueue", "Arn")
        self.dlq_url = stack.name("PositionsDLQ")

    def receive(self, *, max_messages: int = 10, visibility: int | None = None, url: str | None = None) -> list[dict]:
        args: dict[str, Any] = {"QueueUrl": url or self.url, "MaxNumberOfMessages": max_messages,
                                "AttributeNames": ["All"]}
        if visibility is not None:
            args["VisibilityTimeout"] = visibility
        return self.sqs.receive_message(**args).get("Messages", [])

    def count(self, url: str | None = None) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def send(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.url, MessageBody=body)

    def event(self, messages: list[dict]) -> dict:
        """The SQS event Lambda's event source mapping delivers for `messages`."""
        return {"Records": [sqs_record(m, self.arn) for m in messages]}


def sqs_record(message: dict, arn: str) -> dict:
    attributes = message.get("Attributes") or {}
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", "1795334400000"),
            "SenderId": attributes.get("SenderId", "AIDAEXAMPLE"),
            "ApproximateFirstReceiveTimestamp": attributes.get("ApproximateFirstReceiveTimestamp", "1795334400000"),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


def failed_ids(response: dict) -> set[str]:
    return {f["itemIdentifier"] for f in response["batchItemFailures"]}


def call(handler, method: str, path: str, **kwargs) -> tuple[int, Any]:
    """Invoke an API handler with a REST proxy event: (status, decoded body)."""
    from tests.support.events import api_event, lambda_context, response_json

    response = handler(api_event(method, path, **kwargs), lambda_context())
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], response_json(response)


def consume(messages: list[dict], queue: "Queue") -> dict:
    """Deliver `messages` to the real consumer as one SQS event; its batch response."""
    from tests.support.events import lambda_context
    from tracking import handlers

    return handlers.consume_positions(queue.event(messages), lambda_context("legwork-dev-PositionsConsumerFunction"))


def listed_on_live_index() -> list[str]:
    """The task ids in the `live` index, across every shard, sorted (as a test reads the index)."""
    import os

    import boto3

    from tracking.dal import LIVE_INDEX, LIVE_SHARDS

    table = boto3.resource("dynamodb").Table(os.environ["TRACKING_TABLE"])
    found = []
    for shard in range(LIVE_SHARDS):
        found += [item["liveSk"] for item in table.query(
            IndexName=LIVE_INDEX, KeyConditionExpression="livePk = :l",
            ExpressionAttributeValues={":l": f"LIVE#{shard:02d}"})["Items"]]
    return sorted(found)


def chunk_items(task_id: str) -> list[dict]:
    """The task's chunk items (sort key `PT#…`), in key order."""
    import os

    import boto3

    return boto3.resource("dynamodb").Table(os.environ["TRACKING_TABLE"]).query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :pt)", ConsistentRead=True,
        ExpressionAttributeValues={":pk": f"TASK#{task_id}", ":pt": "PT#"})["Items"]


def storing_items(task_id: str) -> list[dict]:
    """Every item that stores the task's points: its chunks, then its live item if that
    buffers points (the newest, not yet in a chunk)."""
    import os

    import boto3

    live = boto3.resource("dynamodb").Table(os.environ["TRACKING_TABLE"]).get_item(
        Key={"pk": f"TASK#{task_id}", "sk": "LIVE"}, ConsistentRead=True).get("Item")
    return chunk_items(task_id) + ([live] if live and "count" in live else [])

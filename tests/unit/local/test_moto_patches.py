"""The emulator's patches of moto (`legwork.local.moto_patches`), which `make dev` runs on.

- SQS receive: moto checked each message it handed out against the queue's retention
  period by building every queue attribute, two of which walk the whole queue; the patch
  reads the retention period, and retention still holds.
- DynamoDB transactions: moto backed up every table a transaction named, stream records
  included, by deep-copying it; the patch notes the named items and the stream's length,
  and a refused transaction still changes nothing and leaves no stream record.
"""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Queue

from legwork.local import moto_patches


@pytest.fixture
def sqs():
    moto_patches.apply()
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def dynamodb(monkeypatch):
    """A patched moto with a table keyed pk/sk and a stream; deep-copying a table fails."""
    from moto.dynamodb.models.table import Table

    moto_patches.apply()

    def copied(self, memo):  # type: ignore[no-untyped-def]
        raise AssertionError("a whole table was deep-copied")

    monkeypatch.setattr(Table, "__deepcopy__", copied, raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        arn = client.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]["LatestStreamArn"]
        yield client, arn


def stream_events(arn: str) -> list[str]:
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return [r["eventName"] for r in streams.get_records(ShardIterator=iterator)["Records"]]


def item(client, sk: str) -> dict | None:  # noqa: ANN001
    return client.get_item(TableName="t", Key={"pk": {"S": "task"}, "sk": {"S": sk}}).get("Item")


def test_a_refused_transaction_changes_nothing_and_leaves_no_stream_record(dynamodb):
    client, arn = dynamodb
    client.put_item(TableName="t", Item={"pk": {"S": "task"}, "sk": {"S": "A"}, "n": {"N": "1"}})
    client.put_item(TableName="t", Item={"pk": {"S": "task"}, "sk": {"S": "LOCK"}, "owner": {"S": "x"}})
    before = stream_events(arn)

    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": "t", "Key": {"pk": {"S": "task"}, "sk": {"S": "A"}},
                        "UpdateExpression": "SET n = n + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "task"}, "sk": {"S": "NEW"}}}},
            {"Delete": {"TableName": "t", "Key": {"pk": {"S": "task"}, "sk": {"S": "LOCK"}}}},
            {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "other"}, "sk": {"S": "B"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])

    assert item(client, "A") == {"pk": {"S": "task"}, "sk": {"S": "A"}, "n": {"N": "1"}}
    assert item(client, "NEW") is None
    assert item(client, "LOCK") == {"pk": {"S": "task"}, "sk": {"S": "LOCK"}, "owner": {"S": "x"}}
    assert stream_events(arn) == before == ["INSERT", "INSERT"]


def test_a_transaction_that_holds_is_written_whole_and_streamed(dynamodb):
    client, arn = dynamodb
    client.put_item(TableName="t", Item={"pk": {"S": "task"}, "sk": {"S": "A"}, "n": {"N": "1"}})

    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": "t", "Key": {"pk": {"S": "task"}, "sk": {"S": "A"}},
                    "UpdateExpression": "SET n = n + :one", "ExpressionAttributeValues": {":one": {"N": "1"}},
                    "ConditionExpression": "n = :one"}},
        {"Put": {"TableName": "t", "Item": {"pk": {"S": "task"}, "sk": {"S": "NEW"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
    ])

    assert item(client, "A")["n"] == {"N": "2"}
    assert item(client, "NEW") is not None
    assert stream_events(arn) == ["INSERT", "MODIFY", "INSERT"]


def test_receiving_does_not_build_the_queue_attributes(sqs, monkeypatch):
    url = sqs.create_queue(QueueName="backlog")["QueueUrl"]
    for start in range(0, 50, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"}
                                                      for i in range(start, start + 10)])

    def walked(self):  # type: ignore[no-untyped-def]
        raise AssertionError("receive_message built every queue attribute (it walks the backlog)")

    monkeypatch.setattr(Queue, "attributes", property(walked))
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]

    assert len(got) == 10


def test_a_message_past_the_retention_period_is_not_delivered(sqs, monkeypatch):
    url = sqs.create_queue(QueueName="short", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="old")
    assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages")  # within 60 s: delivered

    from moto.sqs import models
    real = models.unix_time
    monkeypatch.setattr(models, "unix_time", lambda *a: real(*a) + 61)  # 61 s later

    assert sqs.receive_message(QueueUrl=url).get("Messages") is None

"""The emulator's SQS receive: linear in the backlog, and still honouring retention.

moto's `receive_message` checked each message it handed out against the queue's
retention period by building every queue attribute, two of which walk the whole queue.
`legwork.local.moto_patches` reads the retention period instead.
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

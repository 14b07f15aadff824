"""The local SQS event source runs as many batches at once as the mapping's MaximumConcurrency."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from legwork.local.events import LOCAL_SQS_CONCURRENCY, EventSources
from legwork.local.provision import provision
from legwork.local.workers import Invocation


class SlowFunction:
    """A stand-in for the local Lambda: each invocation takes `seconds`; counts how many overlap."""

    def __init__(self, events: dict, seconds: float = 1.0) -> None:
        self.specs = {"Consumer": SimpleNamespace(timeout=30, events=events)}
        self.seconds = seconds
        self.reserved = 0
        self.running = self.most = self.records = 0
        self._lock = threading.Lock()

    def reserve(self, logical_id: str, workers: int) -> int:
        self.reserved = max(self.reserved, workers)
        return self.reserved

    def invoke(self, logical_id: str, event: dict, **_) -> Invocation:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
            self.records += len(event["Records"])
        return Invocation("ok", result={"batchItemFailures": []})


def run(concurrency: int | None, messages: int = 24) -> SlowFunction:
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}}}}
    with mock_aws():
        stack = provision(template)
        props = {"Queue": stack.attr("Queue", "Arn"), "BatchSize": 2}
        if concurrency is not None:
            props["ScalingConfig"] = {"MaximumConcurrency": concurrency}
        function = SlowFunction({"Drain": {"Type": "SQS", "Properties": props}})
        sqs = boto3.client("sqs", region_name="us-east-1")
        for i in range(messages):
            sqs.send_message(QueueUrl=stack.name("Queue"), MessageBody=str(i))
        sources = EventSources(stack, function, poll_interval=0.05, timers=False)
        sources.start()
        deadline = time.monotonic() + 30
        while function.records < messages and time.monotonic() < deadline:
            time.sleep(0.05)
        sources.stop()
    return function


@pytest.mark.parametrize("concurrency", [3, 5])
def test_batches_run_concurrently_up_to_maximum_concurrency(concurrency):
    function = run(concurrency)

    assert function.records == 24
    assert function.most == concurrency and function.reserved == concurrency


def test_without_a_scaling_config_one_batch_runs_at_a_time():
    assert run(None, messages=6).most == 1


def test_a_large_maximum_concurrency_is_capped_locally():
    function = run(1000, messages=4)

    assert function.reserved == LOCAL_SQS_CONCURRENCY and function.records == 4

"""Receipts test helpers: a task in progress for courier 1, uploads put straight into the
bucket, and the S3 event the bucket would send for them."""
from __future__ import annotations

import os
import uuid
from urllib.parse import quote_plus

import pytest

from tests.unit.tasks.helpers import ADMIN, MANAGER, call, courier, task_call  # noqa: F401 - re-exported

COURIER = courier(1)
OTHER_COURIER = courier(2)


@pytest.fixture
def running_task(task_id: str) -> str:
    """A task claimed and started by courier 1."""
    for verb in ("claim", "start"):
        status, body = task_call(verb, task_id, COURIER)
        assert status == 200, body
    return task_id


def create_receipt(task: str, caller: dict = COURIER, body: dict | None = None) -> tuple[int, dict]:
    return call("receipts.handlers", "create_receipt", "POST", f"/tasks/{task}/receipts",
                body=body if body is not None else {"contentType": "image/jpeg", "size": 50_000},
                caller=caller, path_params={"taskId": task})


def get_receipt(receipt_id: str, caller: dict) -> tuple[int, dict]:
    return call("receipts.handlers", "get_receipt", "GET", f"/receipts/{receipt_id}", caller=caller,
                path_params={"receiptId": receipt_id})


def s3_event(bucket: str, key: str, size: int, version_id: str | None, etag: str = "0f3c") -> dict:
    """The ObjectCreated event S3 sends a Lambda (the key URL-encoded, as S3 sends it)."""
    obj = {"key": quote_plus(key), "size": size, "eTag": etag, "sequencer": "0065A1B2C3D4E5F6"}
    if version_id:
        obj["versionId"] = version_id
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T08:00:00.000Z", "eventName": "ObjectCreated:Post",
        "userIdentity": {"principalId": "AWS:AROAEXAMPLE"}, "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16], "x-amz-id-2": "example"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "OcrFunctionUploaded",
               "bucket": {"name": bucket, "ownerIdentity": {"principalId": "EXAMPLE"},
                          "arn": f"arn:aws:s3:::{bucket}"},
               "object": obj},
    }]}


def upload(stack, key: str, data: bytes, content_type: str = "image/jpeg") -> dict:
    """Put `data` at `key` in the uploads bucket (as the presigned POST would): its S3 event."""
    bucket = os.environ["UPLOADS_BUCKET"]
    put = stack.client("s3").put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
    return s3_event(bucket, key, len(data), put.get("VersionId"), put["ETag"].strip('"'))


def read(event: dict) -> dict:
    from receipts.handlers import read_receipt
    from tests.support.events import lambda_context

    return read_receipt(event, lambda_context("legwork-dev-OcrFunction"))

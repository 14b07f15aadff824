"""The files resource's tests: the whole stack in moto, handlers called with API and S3 events."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # for `tests.support`
    sys.path.insert(0, str(ROOT))

from tests.support.events import api_event, lambda_context, response_json  # noqa: E402

ADMIN = {"userId": "u-admin", "username": "ada", "role": "admin"}
MANAGER = {"userId": "u-manager", "username": "max", "role": "manager"}
ANA = {"userId": "u-courier-1", "username": "ana", "role": "courier"}
BEN = {"userId": "u-courier-2", "username": "ben", "role": "courier"}

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def call(function: str, method: str, path: str, body=None, caller=None, path_params=None, query=None):
    """The real `files.handlers.<function>` with an API Gateway v1 event: (status, headers, body)."""
    import files.handlers as handlers

    event = api_event(method, path, body=body, caller=caller, path_params=path_params, query=query)
    response = getattr(handlers, function)(event, lambda_context())
    return response["statusCode"], response["headers"], response_json(response)


def s3_created(bucket: str, key: str, size: int, version_id: str | None = None) -> dict:
    """The S3 notification Lambda receives (keys URL-encoded, as S3 sends them)."""
    from urllib.parse import quote_plus

    obj = {"key": quote_plus(key, safe="/"), "size": size, "eTag": "x", "sequencer": "0A"}
    if version_id:
        obj["versionId"] = version_id
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                         "eventTime": "2026-11-23T08:00:00.000Z", "eventName": "ObjectCreated:Post",
                         "s3": {"s3SchemaVersion": "1.0", "configurationId": "files",
                                "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}, "object": obj}}]}


class Clock:
    """A clock the test moves: `clock.now = ...`."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now


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

    for name in ("FILES_TABLE", "LINKS_TABLE", "UPLOADS_BUCKET"):
        monkeypatch.setenv(name, f"unused-{name.lower()}")
    with mock_aws():
        yield


@pytest.fixture
def clock(monkeypatch) -> Clock:
    import files.logic

    fake = Clock()
    monkeypatch.setattr(files.logic, "utc_now", fake)
    return fake


@pytest.fixture
def upload(stack):
    """POST /files, then the bytes into the bucket and the ObjectCreated event: the record after it."""
    import files.handlers as handlers

    def make(content: bytes, *, caller=ANA, content_type="application/pdf", name="note.pdf", size=None) -> dict:
        body = {"name": name, "contentType": content_type, **({"size": size} if size else {})}
        status, _, created = call("create_file", "POST", "/files", body=body, caller=caller)
        assert status == 201, created
        bucket = stack.name("UploadsBucket")
        key = created["upload"]["fields"]["key"]
        put = stack.client("s3").put_object(Bucket=bucket, Key=key, Body=content, ContentType=content_type)
        handlers.uploaded(s3_created(bucket, key, len(content), put.get("VersionId")), lambda_context())
        return boto3.resource("dynamodb").Table(stack.name("FilesTable")).get_item(
            Key={"fileId": created["fileId"]})["Item"]

    return make

"""PERSIST=1: keep the local stack's data across restarts, in plain files.

On stop, every provisioned table's items, every bucket's objects and every secret's
value are written under `<dir>/`; on the next start they are put back before any event
source starts (so restoring triggers no function). Queue messages, SNS subscriptions and
stream history are not kept: a restart begins with empty queues.
"""
from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from legwork.local.provision import Stack


def _provisioned(stack: Stack, rtype: str) -> list[str]:
    return [lid for lid, res in stack.resources.items() if res.get("Type") == rtype and stack.is_active(lid)]


def save(stack: Stack, directory: Path) -> int:
    """Write tables, objects and secrets to `directory` (replacing what was there)."""
    tmp = directory.with_name(directory.name + ".saving")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "tables").mkdir(parents=True)
    count = 0
    ddb = stack.client("dynamodb")
    for lid in _provisioned(stack, "AWS::DynamoDB::Table"):
        items: list[dict] = []
        for page in ddb.get_paginator("scan").paginate(TableName=stack.name(lid)):
            items.extend(_encode(item) for item in page.get("Items", []))
        (tmp / "tables" / f"{lid}.json").write_text(json.dumps(items))
        count += len(items)
    s3 = stack.client("s3")
    for lid in _provisioned(stack, "AWS::S3::Bucket"):
        folder = tmp / "buckets" / lid
        folder.mkdir(parents=True)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.name(lid)):
            for entry in page.get("Contents", []):
                obj = s3.get_object(Bucket=stack.name(lid), Key=entry["Key"])
                name = quote(entry["Key"], safe="")
                (folder / name).write_bytes(obj["Body"].read())
                (folder / (name + ".meta")).write_text(json.dumps({"ContentType": obj.get("ContentType", ""),
                                                                   "Metadata": obj.get("Metadata", {})}))
                count += 1
    secrets = {}
    for lid in _provisioned(stack, "AWS::SecretsManager::Secret"):
        secrets[lid] = stack.client("secretsmanager").get_secret_value(SecretId=stack.name(lid))["SecretString"]
    (tmp / "secrets.json").write_text(json.dumps(secrets))
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)
    return count


def restore(stack: Stack, directory: Path) -> int:
    """Put back what `save` wrote (nothing when `directory` does not exist)."""
    if not directory.is_dir():
        return 0
    count = 0
    ddb = stack.client("dynamodb")
    for lid in _provisioned(stack, "AWS::DynamoDB::Table"):
        path = directory / "tables" / f"{lid}.json"
        if not path.is_file():
            continue
        items = [_decode(item) for item in json.loads(path.read_text())]
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
            ddb.batch_write_item(RequestItems={stack.name(lid): requests})
        count += len(items)
    s3 = stack.client("s3")
    for lid in _provisioned(stack, "AWS::S3::Bucket"):
        folder = directory / "buckets" / lid
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.name.endswith(".meta"):
                continue
            meta_path = path.with_name(path.name + ".meta")
            meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
            extra = {"ContentType": meta["ContentType"]} if meta.get("ContentType") else {}
            s3.put_object(Bucket=stack.name(lid), Key=unquote(path.name), Body=path.read_bytes(),
                          Metadata=meta.get("Metadata", {}), **extra)
            count += 1
    secrets_path = directory / "secrets.json"
    if secrets_path.is_file():
        for lid, value in json.loads(secrets_path.read_text()).items():
            if lid in stack.resources and stack.is_active(lid):
                stack.client("secretsmanager").put_secret_value(SecretId=stack.name(lid), SecretString=value)
    return count


def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"__b64__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value

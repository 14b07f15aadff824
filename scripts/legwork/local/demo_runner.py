"""Demo-data seeders, run inside a function's worker (its code, layers and environment).

Imports nothing from `legwork`: it is loaded by `worker_main.py` with the function's
`sys.path`, so `import auth.passwords` or `legwork_common` work as in the function, and
boto3 talks to the local moto through `AWS_ENDPOINT_URL`.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import uuid
from datetime import UTC, datetime
from typing import Any


class DemoStack:
    """What a resource's `demo.py` `seed(stack)` gets: names as `!Ref` gives them, and clients."""

    def __init__(self, snapshot: dict) -> None:
        self.stage = snapshot["stage"]
        self.region = snapshot["region"]
        self.names: dict[str, Any] = snapshot["names"]
        self.attrs: dict[str, dict] = snapshot.get("attrs", {})
        self.env: dict[str, str] = dict(os.environ)

    def name(self, logical_id: str) -> Any:
        """`!Ref logical_id` (a table name, queue URL, topic ARN …)."""
        return self.names[logical_id]

    def attr(self, logical_id: str, attribute: str) -> Any:
        return self.attrs[logical_id][attribute]

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self.region)

    def resource(self, service: str) -> Any:
        import boto3

        return boto3.resource(service, region_name=self.region)


def run_seed(demo_path: str, snapshot: dict) -> Any:
    """Load `demo.py` from a resource folder and call its `seed(stack)`."""
    name = "legwork_demo_" + uuid.uuid5(uuid.NAMESPACE_URL, demo_path).hex[:8]
    spec = importlib.util.spec_from_file_location(name, demo_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.seed(DemoStack(snapshot))


def seed_users(table: str, users: list[list[str]], password: str, hasher: str) -> list[str]:
    """Write each (username, role) into `table` unless present; `hasher` is `module:function`.

    Returns the usernames created (existing users are left as they are).
    """
    import boto3

    module_name, function_name = hasher.split(":")
    hash_password = getattr(importlib.import_module(module_name), function_name)
    ddb = boto3.client("dynamodb", region_name=os.environ.get("AWS_REGION"))
    created = []
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for username, role in users:
        item = {
            "username": {"S": username},
            "userId": {"S": str(uuid.uuid5(uuid.NAMESPACE_URL, f"legwork-demo:{username}"))},
            "role": {"S": role},
            "passwordHash": {"S": hash_password(password)},
            "createdAt": {"S": now},
            "failedAttempts": {"N": "0"},
        }
        try:
            ddb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(username)")
            created.append(username)
        except ddb.exceptions.ConditionalCheckFailedException:
            pass
    return created

"""boto3 clients and resources, created once per process and only when first used.

Importing boto3 costs about 230 ms of cold start; a handler that never touches AWS (GET
/health, a refused request) never pays it.

    >>> table = dynamodb().Table(os.environ["TASKS_TABLE"])
    >>> client("sqs").send_message(QueueUrl=url, MessageBody=body)
"""
from __future__ import annotations

import functools
from typing import Any, Iterator


@functools.cache
def dynamodb() -> Any:
    """The DynamoDB service resource."""
    import boto3

    return boto3.resource("dynamodb")


@functools.cache
def client(service: str) -> Any:
    """A low-level client for `service` ("sqs", "s3" …)."""
    import boto3

    return boto3.client(service)


@functools.cache
def s3() -> Any:
    """The S3 client for presigned URLs and POSTs: Signature V4 (the only one AWS China and
    newer regions accept; botocore may otherwise sign presigned GETs with V2)."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4"))


def query_all(table: Any, **args: Any) -> Iterator[dict]:
    """Every item of a DynamoDB Query, page after page (`args` as for `Table.query`).

        >>> for item in query_all(table, IndexName="byStatus", KeyConditionExpression=Key("status").eq("open")): ...
    """
    while True:
        response = table.query(**args)
        yield from response.get("Items", [])
        if "LastEvaluatedKey" not in response:
            return
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

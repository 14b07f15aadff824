"""What a report reads (tasks, routes, users, tracking, receipts) and writes (reports, files, S3, SQS).

Every read queries an index or gets by key, page by page: a period costs what is in it.

    >>> tasks = TasksReader(os.environ["TASKS_TABLE"])
    >>> for task in tasks.closed("completed", period.first_instant, period.last_instant): ...
"""
from __future__ import annotations

import time
from typing import Any, Iterable, Iterator

from boto3.dynamodb.conditions import Key

from legwork_common.aws import client as aws_client, dynamodb, query_all, s3 as s3_client

BATCH_GET_MAX = 100


def _batch_get(table: Any, keys: list[dict], *, consistent: bool = False) -> list[dict]:
    """BatchGetItem, 100 keys a request, retrying unprocessed keys with a short backoff."""
    resource = table.meta.client
    out: list[dict] = []
    for start in range(0, len(keys), BATCH_GET_MAX):
        pending: dict = {table.name: {"Keys": keys[start:start + BATCH_GET_MAX], "ConsistentRead": consistent}}
        for attempt in range(8):
            response = resource.batch_get_item(RequestItems=pending)
            out.extend(response.get("Responses", {}).get(table.name, []))
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                break
            time.sleep(min(0.05 * 2 ** attempt, 1.0))
        else:
            raise RuntimeError(f"BatchGetItem kept returning unprocessed keys on {table.name}")
    return out


class TasksReader:
    """The tasks table (src/tasks) through its indexes."""

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)

    def closed(self, status: str, first: str, last: str) -> Iterator[dict]:
        """Tasks that became `status` (completed, cancelled) between `first` and `last`, inclusive."""
        return query_all(self.table, IndexName="byClosedAt",
                      KeyConditionExpression=Key("status").eq(status) & Key("closedAt").between(first, last))

    def published(self, status: str, first: str, last: str) -> Iterator[dict]:
        """Tasks now in `status` that were published between `first` and `last` (the `byStatus` index)."""
        return query_all(self.table, IndexName="byStatus",
                      KeyConditionExpression=Key("status").eq(status) & Key("createdAt").between(first, last))


class RoutesReader:
    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)

    def names(self, route_ids: Iterable[str]) -> dict[str, str]:
        keys = [{"routeId": r} for r in sorted(set(route_ids))]
        return {item["routeId"]: item.get("name", "") for item in _batch_get(self.table, keys)}


class CouriersReader:
    """The users table (src/auth) through its `byRole` index."""

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)

    def couriers(self) -> dict[str, str]:
        """{userId: username} of every courier."""
        return {item["userId"]: item["username"]
                for item in query_all(self.table, IndexName="byRole", KeyConditionExpression=Key("role").eq("courier"))}


class TrackingReader:
    """The tracking table (src/tracking): each task's live item keeps the distance along its recorded track."""

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)

    def distances(self, task_ids: list[str]) -> dict[str, Any]:
        """{taskId: distanceM} for the tasks that recorded a track (pk TASK#<id>, sk LIVE)."""
        keys = [{"pk": f"TASK#{t}", "sk": "LIVE"} for t in task_ids]
        return {item["pk"][5:]: item.get("distanceM", 0) for item in _batch_get(self.table, keys)}


class ReceiptsReader:
    """The receipts table (src/receipts) through its `byTask` index."""

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)

    def of_task(self, task_id: str) -> list[dict]:
        """The task's receipts. Called from several threads: through the (thread-safe) client, which
        the resource has taught its Python types (boto3 resources themselves are not thread-safe)."""
        client = self.table.meta.client
        args: dict[str, Any] = {"TableName": self.table.name, "IndexName": "byTask",
                                "KeyConditionExpression": Key("taskId").eq(task_id)}
        items: list[dict] = []
        while True:
            response = client.query(**args)
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return items
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class ReportsTable:
    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)
        self._errors = self.table.meta.client.exceptions

    def get(self, report_id: str) -> dict | None:
        return self.table.get_item(Key={"reportId": report_id}, ConsistentRead=True).get("Item")

    def put_new(self, item: dict) -> bool:
        """False when the period already has a report."""
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(reportId)")
            return True
        except self._errors.ConditionalCheckFailedException:
            return False

    def restart(self, report_id: str, *, requested_by: str, now: str) -> bool:
        """Back to pending for a forced run; False while a run is still pending."""
        try:
            self.table.update_item(
                Key={"reportId": report_id},
                UpdateExpression="SET #s = :pending, requestedBy = :by, requestedAt = :now REMOVE reason",
                ConditionExpression="#s <> :pending", ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":pending": "pending", ":by": requested_by, ":now": now})
            return True
        except self._errors.ConditionalCheckFailedException:
            return False

    def finish(self, report_id: str, *, files: list[dict], totals: dict, now: str) -> None:
        self.table.update_item(
            Key={"reportId": report_id},
            UpdateExpression="SET #s = :ready, files = :files, totals = :totals, generatedAt = :now REMOVE reason",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":ready": "ready", ":files": files, ":totals": totals, ":now": now})

    def fail(self, report_id: str, *, reason: str, now: str) -> None:
        self.table.update_item(
            Key={"reportId": report_id},
            UpdateExpression="SET #s = :failed, reason = :reason, generatedAt = :now",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":failed": "failed", ":reason": reason, ":now": now})

    def page(self, *, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
        args: dict[str, Any] = {"IndexName": "byCreatedAt", "KeyConditionExpression": Key("listKey").eq("report"),
                                "ScanIndexForward": False, "Limit": limit}
        if start_key:
            args["ExclusiveStartKey"] = start_key
        response = self.table.query(**args)
        return response.get("Items", []), response.get("LastEvaluatedKey")


class FilesTable:
    """The shared files table: one record per report file (kind `report`)."""

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)

    def put(self, item: dict) -> None:
        self.table.put_item(Item=item)


class Storage:
    def __init__(self, bucket: str, s3: Any = None) -> None:
        self.bucket = bucket
        self.s3 = s3 or s3_client()

    def upload(self, path: str, key: str, content_type: str) -> None:
        self.s3.upload_file(path, self.bucket, key, ExtraArgs={"ContentType": content_type})

    def download_url(self, key: str, *, name: str, expires_in: int) -> str:
        return self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key,
                                  "ResponseContentDisposition": f'attachment; filename="{name}"'},
            ExpiresIn=expires_in)


class ReportsQueue:
    def __init__(self, url: str, sqs: Any = None) -> None:
        self.url = url
        self.sqs = sqs or aws_client("sqs")

    def send(self, report_id: str) -> None:
        import json

        self.sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps({"reportId": report_id}))

"""The files table (shared, templates/resources.yaml), the links table and the uploads bucket.

    >>> files = FilesTable(os.environ["FILES_TABLE"])
    >>> links = LinksTable(os.environ["LINKS_TABLE"])
    >>> storage = Storage(os.environ["UPLOADS_BUCKET"])

Every listing is a Query on an index; nothing here scans.
"""
from __future__ import annotations

from typing import Any, Iterator

from boto3.dynamodb.conditions import Key

from legwork_common.aws import dynamodb, query_all, s3 as s3_client

OWNER_INDEX = "byOwner"
STATUS_INDEX = "byStatus"
FILE_INDEX = "byFile"
SWEEP_INDEX = "bySweepDay"


class FilesTable:
    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)
        self._errors = self.table.meta.client.exceptions

    def get(self, file_id: str) -> dict | None:
        return self.table.get_item(Key={"fileId": file_id}, ConsistentRead=True).get("Item")

    def put_new(self, item: dict) -> None:
        self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(fileId)")

    def settle(self, file_id: str, *, status: str, size: int, reason: str | None = None) -> bool:
        """Move a pending record to `ready` or `rejected`; False when it is not pending (a redelivery)."""
        expression = "SET #s = :s, #z = :z" + (", #r = :r" if reason else "")
        values: dict[str, Any] = {":s": status, ":z": size, ":pending": "pending"}
        names = {"#s": "status", "#z": "size"}
        if reason:
            values[":r"], names["#r"] = reason, "reason"
        try:
            self.table.update_item(Key={"fileId": file_id}, UpdateExpression=expression,
                                   ConditionExpression="#s = :pending", ExpressionAttributeNames=names,
                                   ExpressionAttributeValues=values)
            return True
        except self._errors.ConditionalCheckFailedException:
            return False

    def page_by_owner(self, owner_id: str, *, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
        args: dict[str, Any] = {"IndexName": OWNER_INDEX, "KeyConditionExpression": Key("ownerId").eq(owner_id),
                                "ScanIndexForward": False, "Limit": limit}
        if start_key:
            args["ExclusiveStartKey"] = start_key
        response = self.table.query(**args)
        return response.get("Items", []), response.get("LastEvaluatedKey")

    def pending_before(self, created_before: str) -> Iterator[dict]:
        """Keys of records still `pending` that were created before `created_before`."""
        return query_all(self.table, IndexName=STATUS_INDEX,
                         KeyConditionExpression=Key("status").eq("pending") & Key("createdAt").lt(created_before))

    def delete_if_pending(self, file_id: str) -> bool:
        try:
            self.table.delete_item(Key={"fileId": file_id}, ConditionExpression="#s = :pending",
                                   ExpressionAttributeNames={"#s": "status"},
                                   ExpressionAttributeValues={":pending": "pending"})
            return True
        except self._errors.ConditionalCheckFailedException:
            return False


class LinksTable:
    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)
        self._errors = self.table.meta.client.exceptions

    def put_new(self, item: dict) -> None:
        self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(tokenHash)")

    def get(self, hashed: str) -> dict | None:
        return self.table.get_item(Key={"tokenHash": hashed}, ConsistentRead=True).get("Item")

    def revoke(self, hashed: str, *, at: str, by: str, ttl: int, sweep_day: str) -> None:
        """Mark revoked (idempotent: a second revocation keeps the first time)."""
        self.table.update_item(
            Key={"tokenHash": hashed},
            UpdateExpression="SET revokedAt = if_not_exists(revokedAt, :at), revokedBy = if_not_exists(revokedBy, :by), "
                             "#t = :ttl, sweepDay = :day",
            ConditionExpression="attribute_exists(tokenHash)",
            ExpressionAttributeNames={"#t": "ttl"},
            ExpressionAttributeValues={":at": at, ":by": by, ":ttl": ttl, ":day": sweep_day},
        )

    def page_by_file(self, file_id: str, *, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
        args: dict[str, Any] = {"IndexName": FILE_INDEX, "KeyConditionExpression": Key("fileId").eq(file_id),
                                "ScanIndexForward": False, "Limit": limit}
        if start_key:
            args["ExclusiveStartKey"] = start_key
        response = self.table.query(**args)
        return response.get("Items", []), response.get("LastEvaluatedKey")

    def due(self, day: str, now_epoch: int) -> Iterator[dict]:
        """Keys of links whose `ttl` fell on `day` and has passed."""
        return query_all(self.table, IndexName=SWEEP_INDEX,
                         KeyConditionExpression=Key("sweepDay").eq(day) & Key("ttl").lte(now_epoch))

    def delete_if_due(self, hashed: str, now_epoch: int) -> bool:
        try:
            self.table.delete_item(Key={"tokenHash": hashed}, ConditionExpression="#t <= :now",
                                   ExpressionAttributeNames={"#t": "ttl"}, ExpressionAttributeValues={":now": now_epoch})
            return True
        except self._errors.ConditionalCheckFailedException:
            return False


class Storage:
    """The uploads bucket: presigned POSTs and GETs, and the checks of what arrived."""

    def __init__(self, bucket: str, s3: Any = None) -> None:
        self.bucket = bucket
        self.s3 = s3 or s3_client()

    def presigned_post(self, key: str, *, content_type: str, max_bytes: int, expires_in: int) -> dict:
        # The policy pins the key and the type and caps the size: S3 refuses anything else.
        return self.s3.generate_presigned_post(
            Bucket=self.bucket, Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )

    def presigned_get(self, key: str, *, disposition: str, content_type: str, expires_in: int) -> str:
        return self.s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentDisposition": disposition,
                    "ResponseContentType": content_type},
            ExpiresIn=expires_in,
        )

    def head(self, key: str) -> dict | None:
        try:
            return self.s3.head_object(Bucket=self.bucket, Key=key)
        except self.s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def first_bytes(self, key: str, count: int) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{count - 1}")["Body"].read()

    def delete(self, key: str, version_id: str | None = None) -> None:
        """Delete the object; with `version_id`, that version for good (no noncurrent copy kept)."""
        args = {"Bucket": self.bucket, "Key": key}
        if version_id:
            args["VersionId"] = version_id
        self.s3.delete_object(**args)

"""The receipts table, the tasks it belongs to, the file records and the photos, behind a small interface.

    >>> receipts = ReceiptsTable(os.environ["RECEIPTS_TABLE"], os.environ.get("FILES_TABLE"))
    >>> receipts.put_new(item, file_item)          # both, or neither
    >>> receipts.record_read(receipt_id, source, attributes)   # False: that photo was read already

DynamoDB's and S3's shapes stay in here: callers get plain items, typed refusals, bytes.
"""
from __future__ import annotations

from typing import Any

from legwork_common.aws import dynamodb, query_all, s3


class AlreadyRead(Exception):
    """This version of the photo was read before (a redelivered event)."""


class NotCorrectable(Exception):
    """The receipt is absent, or still waiting for its photo."""

    def __init__(self, current: dict | None) -> None:
        super().__init__("receipt condition failed")
        self.current = current


class ReceiptsTable:
    """ReceiptsTable (PK receiptId; indexes byTask and the sparse `pending`), and FilesTable records."""

    def __init__(self, table_name: str, files_table: str | None = None, resource: Any = None) -> None:
        resource = resource or dynamodb()
        self.table = resource.Table(table_name)
        self.files = resource.Table(files_table) if files_table else None
        self.client = self.table.meta.client

    # -- reads ----------------------------------------------------------------------------
    def get(self, receipt_id: str) -> dict | None:
        return self.table.get_item(Key={"receiptId": receipt_id}, ConsistentRead=True).get("Item")

    def for_task(self, task_id: str, *, most: int = 500) -> list[dict]:
        """The task's receipts, oldest first (a task has a handful; `most` bounds a strange one)."""
        items = query_all(self.table, IndexName="byTask", KeyConditionExpression="taskId = :t",
                          ExpressionAttributeValues={":t": task_id})
        return [item for _, item in zip(range(most), items)]

    def pending_since_before(self, cutoff: str) -> list[str]:
        """Ids of receipts still waiting for their photo, issued before `cutoff` (ISO)."""
        return [item["receiptId"] for item in query_all(
            self.table, IndexName="pending", KeyConditionExpression="pendingPk = :p AND pendingSince < :c",
            ExpressionAttributeValues={":p": "pending", ":c": cutoff})]

    # -- writes ---------------------------------------------------------------------------
    def put_new(self, item: dict, file_item: dict | None) -> None:
        """The pending receipt and its file record, in one transaction: both or neither.

        (The resource's client serialises the items: plain Python values go in.)
        """
        puts = [{"Put": {"TableName": self.table.name, "Item": item,
                         "ConditionExpression": "attribute_not_exists(receiptId)"}}]
        if file_item is not None and self.files is not None:
            puts.append({"Put": {"TableName": self.files.name, "Item": file_item,
                                 "ConditionExpression": "attribute_not_exists(fileId)"}})
        self.client.transact_write_items(TransactItems=puts)

    def record_read(self, receipt_id: str, source: str, attributes: dict) -> dict:
        """Store what was read from the photo version `source`; the receipt afterwards.

        Raises `AlreadyRead` when that version was stored before (a redelivered event, or
        two deliveries at once): nothing changes then.
        """
        names = {"#src": "source", "#pk": "pendingPk", "#ps": "pendingSince"}
        values: dict[str, Any] = {":src": source}
        sets = ["#src = :src"]
        for i, (name, value) in enumerate(sorted(attributes.items())):
            names[f"#a{i}"] = name
            values[f":a{i}"] = value
            sets.append(f"#a{i} = :a{i}")
        removes = ["#pk", "#ps"] + (["#r"] if "reason" not in attributes else [])
        if "reason" not in attributes:
            names["#r"] = "reason"
        try:
            return self.table.update_item(
                Key={"receiptId": receipt_id},
                UpdateExpression="SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes),
                ConditionExpression="attribute_exists(receiptId) AND (attribute_not_exists(#src) OR #src <> :src)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except self.client.exceptions.ConditionalCheckFailedException:
            raise AlreadyRead() from None

    def correct(self, receipt_id: str, correction: dict, now: str) -> dict:
        """Set `correction` on a receipt that was read (processed or failed); the receipt afterwards."""
        try:
            return self.table.update_item(
                Key={"receiptId": receipt_id},
                UpdateExpression="SET #c = :c, #u = :now",
                ConditionExpression="attribute_exists(receiptId) AND #s IN (:processed, :failed)",
                ExpressionAttributeNames={"#c": "correction", "#u": "updatedAt", "#s": "status"},
                ExpressionAttributeValues={":c": correction, ":now": now, ":processed": "processed",
                                           ":failed": "failed"},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )["Attributes"]
        except self.client.exceptions.ConditionalCheckFailedException as err:
            raw = err.response.get("Item")
            raise NotCorrectable(self.get(receipt_id) if raw else None) from None

    def give_up(self, receipt_id: str, reason: str, now: str) -> bool:
        """A receipt still pending becomes failed with `reason`; False when it was not pending any more."""
        try:
            self.table.update_item(
                Key={"receiptId": receipt_id},
                UpdateExpression="SET #s = :failed, #r = :reason, #u = :now REMOVE #pk, #ps",
                ConditionExpression="#s = :pending",
                ExpressionAttributeNames={"#s": "status", "#r": "reason", "#u": "updatedAt", "#pk": "pendingPk",
                                          "#ps": "pendingSince"},
                ExpressionAttributeValues={":failed": "failed", ":reason": reason, ":now": now, ":pending": "pending"},
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False

    def mark_file(self, file_id: str, status: str, size: int | None) -> None:
        """The photo's file record: `ready` (with its size) or `rejected`; a record already swept is left gone."""
        if self.files is None:
            return
        names = {"#s": "status"}
        values: dict[str, Any] = {":s": status}
        expression = "SET #s = :s"
        if size is not None:
            names["#z"] = "size"
            values[":z"] = size
            expression += ", #z = :z"
        try:
            self.files.update_item(Key={"fileId": file_id}, UpdateExpression=expression,
                                   ConditionExpression="attribute_exists(fileId)",
                                   ExpressionAttributeNames=names, ExpressionAttributeValues=values)
        except self.client.exceptions.ConditionalCheckFailedException:
            pass


class TaskLookup:
    """Reads of the tasks table (the receipts resource never writes it)."""

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)

    def get(self, task_id: str) -> dict | None:
        return self.table.get_item(Key={"taskId": task_id}).get("Item")


class Photos:
    """The photos in the uploads bucket: presigned POSTs and GETs, and reading one back."""

    def __init__(self, s3: Any = None) -> None:
        self._s3 = s3

    @property
    def s3(self) -> Any:
        # SigV4 everywhere (AWS China accepts nothing else): the Common layer's presigning client.
        return self._s3 if self._s3 is not None else s3()

    def upload_form(self, bucket: str, key: str, *, content_type: str, min_bytes: int, max_bytes: int,
                    seconds: int) -> dict:
        """A presigned POST pinned to `key`, `content_type` and a size range: {url, fields}."""
        return self.s3.generate_presigned_post(
            Bucket=bucket, Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", min_bytes, max_bytes]],
            ExpiresIn=seconds,
        )

    def link(self, bucket: str, key: str, *, version: str | None, seconds: int) -> str:
        params = {"Bucket": bucket, "Key": key}
        if version:
            params["VersionId"] = version
        return self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)

    def read(self, bucket: str, key: str, *, version: str | None, max_bytes: int) -> tuple[bytes, int]:
        """(the first `max_bytes` + 1 bytes, the object's size): a huge object is never read whole."""
        params = {"Bucket": bucket, "Key": key}
        if version:
            params["VersionId"] = version
        response = self.s3.get_object(**params)
        size = int(response.get("ContentLength", 0))
        body = response["Body"]
        try:
            return body.read(max_bytes + 1), size
        finally:
            body.close()


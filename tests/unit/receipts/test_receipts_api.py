"""POST, GET and PATCH receipts through the real handlers, against the stack in moto."""
from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from tests.unit.receipts.helpers import (
    ADMIN, COURIER, MANAGER, OTHER_COURIER, call, create_receipt, get_receipt, read, upload,
)


def table(stack, logical_id: str):
    import boto3

    return boto3.resource("dynamodb", region_name="us-east-1").Table(stack.name(logical_id))


def scan(stack, logical_id: str) -> list[dict]:
    return table(stack, logical_id).scan()["Items"]


def test_the_presigned_post_pins_the_key_the_type_and_the_size(stack, running_task: str) -> None:
    status, body = create_receipt(running_task, body={"contentType": "image/png", "size": 200_000})
    assert status == 201, body
    receipt_id, fields = body["receiptId"], body["upload"]["fields"]
    key = f"receipts/{running_task}/{receipt_id}"
    assert fields["key"] == key and fields["Content-Type"] == "image/png"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": key} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1024, 10 * 1024 * 1024] in conditions
    assert {"bucket": os.environ["UPLOADS_BUCKET"]} in conditions
    expiry = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert timedelta(minutes=9) < expiry - datetime.now(timezone.utc) <= timedelta(minutes=10)
    assert body["upload"]["url"].rstrip("/").endswith(os.environ["UPLOADS_BUCKET"]) or \
        os.environ["UPLOADS_BUCKET"] in body["upload"]["url"]
    # The receipt is pending, and its photo has a file record (so it can be shared by link).
    (receipt,) = scan(stack, "ReceiptsTable")
    assert receipt["status"] == "pending" and receipt["courierId"] == COURIER["userId"]
    (record,) = scan(stack, "FilesTable")
    assert record["fileId"] == receipt_id and record["kind"] == "receipt" and record["key"] == key
    assert record["status"] == "pending" and record["ownerId"] == COURIER["userId"]


@pytest.mark.parametrize("body, says", [
    ({"contentType": "image/gif", "size": 50_000}, "image/jpeg, image/png, image/webp"),
    ({"contentType": "application/pdf", "size": 50_000}, "image/jpeg, image/png, image/webp"),
    ({"contentType": "image/jpeg", "size": 11 * 1024 * 1024}, "1 KB to 10 MB"),
    ({"contentType": "image/jpeg", "size": 200}, "1 KB to 10 MB"),
    ({"contentType": "image/jpeg", "size": "big"}, "'size'"),
    ({"contentType": "image/jpeg"}, "'size'"),
    ({"contentType": "image/jpeg", "size": 5000, "name": "x"}, "Unknown field"),
])
def test_a_wrong_type_or_size_is_refused_before_anything_is_written(stack, running_task: str, body: dict,
                                                                    says: str) -> None:
    status, answer = create_receipt(running_task, body=body)
    assert status == 400 and says in answer["error"]["message"]
    assert scan(stack, "ReceiptsTable") == [] and scan(stack, "FilesTable") == []


def test_a_task_in_the_wrong_state_or_someone_elses_is_refused_before_anything_is_written(
        stack, publish, running_task: str) -> None:
    open_task = publish(title="Not claimed")["taskId"]
    assert create_receipt(open_task)[0] == 403  # nobody holds it: not the caller's
    assert create_receipt(running_task, caller=OTHER_COURIER)[0] == 403
    assert create_receipt(running_task, caller=MANAGER)[0] == 403
    assert create_receipt("no-such-task")[0] == 404
    tasks = table(stack, "TasksTable")
    long_ago = (datetime.now(timezone.utc) - timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    tasks.update_item(Key={"taskId": running_task}, UpdateExpression="SET #s = :s, completedAt = :c",
                      ExpressionAttributeNames={"#s": "status"},
                      ExpressionAttributeValues={":s": "completed", ":c": long_ago})
    status, body = create_receipt(running_task)
    assert status == 409 and "more than 7 days ago" in body["error"]["message"]
    assert scan(stack, "ReceiptsTable") == [] and scan(stack, "FilesTable") == []
    recently = (datetime.now(timezone.utc) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    tasks.update_item(Key={"taskId": running_task}, UpdateExpression="SET completedAt = :c",
                      ExpressionAttributeValues={":c": recently})
    assert create_receipt(running_task)[0] == 201  # completed 2 days ago: still accepted


def test_a_courier_cannot_read_another_couriers_receipt(stack, running_task: str) -> None:
    _, body = create_receipt(running_task)
    receipt_id = body["receiptId"]
    assert get_receipt(receipt_id, OTHER_COURIER)[0] == 403
    status, mine = get_receipt(receipt_id, COURIER)
    assert status == 200 and mine["status"] == "pending" and mine["image"] is None
    for reader in (ADMIN, MANAGER):
        assert get_receipt(receipt_id, reader)[0] == 200
    listing = call("receipts.handlers", "list_task_receipts", "GET", f"/tasks/{running_task}/receipts",
                   caller=OTHER_COURIER, path_params={"taskId": running_task})
    assert listing[0] == 403
    status, listed = call("receipts.handlers", "list_task_receipts", "GET", f"/tasks/{running_task}/receipts",
                          caller=MANAGER, path_params={"taskId": running_task})
    assert status == 200 and [r["receiptId"] for r in listed["items"]] == [receipt_id]
    assert get_receipt("no-such-receipt", ADMIN)[0] == 404


def correct(receipt_id: str, body: dict, caller: dict = MANAGER) -> tuple[int, dict]:
    return call("receipts.handlers", "correct_receipt", "PATCH", f"/receipts/{receipt_id}", body=body,
                caller=caller, path_params={"receiptId": receipt_id})


def test_a_correction_keeps_the_original_ocr_result(stack, running_task: str) -> None:
    _, body = create_receipt(running_task)
    receipt_id = body["receiptId"]
    fix = {"amount": "23.90", "currency": "EUR", "reason": "the total was folded over"}
    status, answer = correct(receipt_id, fix)
    assert status == 409 and "waiting for its photo" in answer["error"]["message"]  # nothing read yet
    receipts = table(stack, "ReceiptsTable")
    receipts.update_item(Key={"receiptId": receipt_id},  # as the OCR function leaves a receipt it read
                      UpdateExpression="SET #s = :s, amount = :a, currency = :c, confidence = :f",
                      ExpressionAttributeNames={"#s": "status"},
                      ExpressionAttributeValues={":s": "processed", ":a": "28.90", ":c": "EUR", ":f": 1})
    assert correct(receipt_id, fix, caller=COURIER)[0] == 403
    assert correct(receipt_id, {**fix, "amount": 23.9})[0] == 400  # money is never a JSON number
    assert correct(receipt_id, {**fix, "reason": ""})[0] == 400
    status, corrected = correct(receipt_id, fix)
    assert status == 200
    assert corrected["amount"] == "28.90" and corrected["currency"] == "EUR"  # what OCR read, kept
    assert corrected["correction"]["amount"] == "23.90" and corrected["correction"]["by"] == MANAGER["userId"]
    assert corrected["correction"]["reason"] == fix["reason"] and corrected["correction"]["at"]
    assert corrected["payable"] == {"amount": "23.90", "currency": "EUR"}
    assert correct("no-such-receipt", fix)[0] == 404


def test_the_sweep_fails_receipts_whose_photo_never_came(stack, running_task: str) -> None:
    from receipts.handlers import sweep_receipts
    from tests.support.events import lambda_context

    stale = create_receipt(running_task)[1]["receiptId"]
    fresh = create_receipt(running_task)[1]["receiptId"]
    receipts = table(stack, "ReceiptsTable")
    day_ago = (datetime.now(timezone.utc) - timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    receipts.update_item(Key={"receiptId": stale}, UpdateExpression="SET pendingSince = :t, createdAt = :t",
                      ExpressionAttributeValues={":t": day_ago})
    assert sweep_receipts({"source": "aws.events"}, lambda_context()) == {"failed": 1}
    assert get_receipt(stale, ADMIN)[1]["status"] == "failed"
    assert get_receipt(stale, ADMIN)[1]["reason"].startswith("never uploaded")
    assert get_receipt(fresh, ADMIN)[1]["status"] == "pending"
    assert sweep_receipts({}, lambda_context()) == {"failed": 0}  # the index holds pending receipts only


@pytest.mark.parametrize("data, reason", [
    (b"Dear diary, today I bought fuel. " * 100, "not an image"),
    (b"%PDF-1.7\n" + b"0" * 4000, "not an image we accept: the file is a PDF"),
])
def test_an_upload_that_is_no_photo_ends_failed_with_a_reason(stack, running_task: str, data: bytes,
                                                              reason: str) -> None:
    receipt_id = create_receipt(running_task)[1]["receiptId"]
    event = upload(stack, f"receipts/{running_task}/{receipt_id}", data)
    assert read(event) == {"failed": 1}
    _, receipt = get_receipt(receipt_id, COURIER)
    assert receipt["status"] == "failed" and receipt["reason"].startswith(reason)
    assert receipt["image"]["url"]  # the photo can still be looked at
    (record,) = scan(stack, "FilesTable")
    assert record["status"] == "rejected"


def test_an_upload_for_no_receipt_is_ignored(stack, running_task: str) -> None:
    assert read(upload(stack, f"receipts/{running_task}/not-issued", b"x" * 2000)) == {"ignored": 1}
    assert read(upload(stack, "receipts/odd-key", b"x" * 2000)) == {"ignored": 1}

"""Documents: a presigned POST for PDF or image, the bytes checked on arrival, the owner's listing."""
from __future__ import annotations

import base64
import json

import boto3
import pytest

from tests.unit.files.conftest import ADMIN, ANA, BEN, MANAGER, PDF, PNG, call


def test_a_document_upload_is_a_presigned_post_pinned_to_its_key_type_and_20_mb(stack):
    status, _, body = call("create_file", "POST", "/files", body={"name": "Lieferschein März.pdf",
                                                                   "contentType": "application/pdf"}, caller=ANA)
    assert status == 201
    assert body["status"] == "pending" and body["kind"] == "document" and body["ownerId"] == ANA["userId"]
    fields = body["upload"]["fields"]
    assert fields["key"] == f"files/{ANA['userId']}/{body['fileId']}"
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert ["content-length-range", 1, 20 * 1024 * 1024] in policy["conditions"]
    assert {"key": fields["key"]} in policy["conditions"]


@pytest.mark.parametrize("body, field", [
    ({"name": "x.exe", "contentType": "application/x-msdownload"}, "contentType"),
    ({"name": "", "contentType": "application/pdf"}, "name"),
    ({"name": "../etc/passwd", "contentType": "application/pdf"}, "name"),
    ({"name": "big.pdf", "contentType": "application/pdf", "size": 20 * 1024 * 1024 + 1}, "size"),
    ({"name": "a.pdf", "contentType": "application/pdf", "size": 1.0}, "size"),  # not an integer, as the schema says
    ({"name": "a.pdf", "contentType": "application/pdf", "colour": "red"}, "colour"),
])
def test_a_bad_upload_request_is_a_400_that_names_the_field(no_aws, body, field):
    status, _, error = call("create_file", "POST", "/files", body=body, caller=ANA)
    assert status == 400
    assert field in error["error"]["message"]


def test_a_pdf_that_is_a_pdf_becomes_ready_with_its_size(upload):
    record = upload(PDF)
    assert record["status"] == "ready"
    assert record["size"] == len(PDF)


def test_an_image_that_is_an_image_becomes_ready(upload):
    assert upload(PNG, content_type="image/png", name="photo.png")["status"] == "ready"


def test_bytes_that_are_not_the_declared_type_are_rejected_and_deleted(upload, stack):
    record = upload(b"MZ\x90\x00 this is a windows program, not a pdf", content_type="application/pdf")
    assert record["status"] == "rejected"
    assert "not application/pdf" in record["reason"]
    listed = stack.client("s3").list_object_versions(Bucket=stack.name("UploadsBucket"), Prefix=record["key"])
    assert not listed.get("Versions") and not listed.get("DeleteMarkers")  # gone for good, not just hidden


def test_a_png_declared_as_pdf_is_rejected(upload):
    record = upload(PNG, content_type="application/pdf")
    assert record["status"] == "rejected"
    assert "image/png" in record["reason"]


def test_an_upload_larger_than_declared_is_rejected(upload):
    record = upload(PDF, size=10)
    assert record["status"] == "rejected"
    assert "at most 10" in record["reason"]


def test_an_object_nobody_asked_for_is_deleted(stack):
    import files.handlers as handlers
    from tests.support.events import lambda_context
    from tests.unit.files.conftest import s3_created

    bucket = stack.name("UploadsBucket")
    s3 = stack.client("s3")
    s3.put_object(Bucket=bucket, Key="files/u-x/not-issued", Body=PDF)
    handlers.uploaded(s3_created(bucket, "files/u-x/not-issued", len(PDF)), lambda_context())
    assert s3.list_objects_v2(Bucket=bucket, Prefix="files/").get("KeyCount") == 0


def test_a_redelivered_event_changes_nothing(upload, stack):
    import files.handlers as handlers
    from tests.support.events import lambda_context
    from tests.unit.files.conftest import s3_created

    record = upload(PDF)
    result = handlers.uploaded(s3_created(stack.name("UploadsBucket"), record["key"], len(PDF)), lambda_context())
    assert result["results"][0]["outcome"] == "ready"


def test_each_caller_lists_their_own_files_and_staff_may_list_anyones(upload):
    mine = upload(PDF, caller=ANA)
    upload(PDF, caller=BEN)
    status, _, body = call("list_files", "GET", "/files", caller=ANA)
    assert status == 200 and [f["fileId"] for f in body["items"]] == [mine["fileId"]]
    assert "key" not in body["items"][0]
    status, _, body = call("list_files", "GET", "/files", caller=MANAGER, query={"ownerId": ANA["userId"]})
    assert [f["fileId"] for f in body["items"]] == [mine["fileId"]]
    status, _, body = call("list_files", "GET", "/files", caller=BEN, query={"ownerId": ANA["userId"]})
    assert status == 403


@pytest.mark.parametrize("owner", ["", "x" * 65])
def test_an_owner_id_the_schema_refuses_is_a_400(no_aws, owner):
    status, _, body = call("list_files", "GET", "/files", caller=MANAGER, query={"ownerId": owner})
    assert status == 400 and "'ownerId' must be a user id of 1 to 64 characters" in body["error"]["message"]


def test_the_listing_pages_newest_first(upload):
    ids = [upload(PDF, caller=ADMIN)["fileId"] for _ in range(3)]
    seen, query = [], {"limit": "2"}
    while True:
        status, _, body = call("list_files", "GET", "/files", caller=ADMIN, query=query)
        assert status == 200
        seen += [f["fileId"] for f in body["items"]]
        if not body["nextCursor"]:
            break
        query["cursor"] = body["nextCursor"]
    assert seen == ids[::-1]


def test_the_files_table_is_shared_by_contract(stack):
    """The receipts resource writes records of kind receipt into the same table."""
    table = boto3.resource("dynamodb").Table(stack.name("FilesTable"))
    table.put_item(Item={"fileId": "r-1", "ownerId": ANA["userId"], "key": "receipts/t-1/r-1", "kind": "receipt",
                         "name": "receipt.jpg", "contentType": "image/jpeg", "status": "pending",
                         "createdAt": "2026-11-23T08:00:00.000Z"})
    status, _, body = call("list_files", "GET", "/files", caller=ANA)
    assert [(f["fileId"], f["kind"]) for f in body["items"]] == [("r-1", "receipt")]

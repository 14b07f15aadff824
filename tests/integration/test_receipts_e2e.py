"""Receipts end to end through the local runtime and the merged application.

A courier starts a receipt through the API, uploads the photo with the presigned POST
(multipart/form-data, straight to the emulated bucket, never through the API), and the
bucket's notification runs the OCR function in its worker: the receipt becomes
`processed` with the amount on the photo. The demo receipts are read the same way.
"""
from __future__ import annotations

import uuid

import pytest
import requests

from legwork import ROOT
from legwork.bench.ingest import Api, prepare_couriers, wait_until
from legwork.samples import render_receipt


def settled(api: Api, token: str, receipt_id: str, timeout: float = 90) -> dict:
    answer: dict = {}

    def read() -> bool:
        nonlocal answer
        status, answer = api.request("GET", f"/receipts/{receipt_id}", token=token)
        return status == 200 and answer["status"] != "pending"

    assert wait_until(read, timeout=timeout, interval=0.5), f"still pending after {timeout} s: {answer}"
    return answer


def test_a_photo_uploaded_with_the_presigned_post_is_read_into_the_receipt(runtime, api: Api, admin: str) -> None:
    _, (courier,) = prepare_couriers(api, 1, admin_token=admin, threads=1, prefix=f"rcpt{uuid.uuid4().hex[:4]}")
    photo = render_receipt(["NOODLE BAR", "Ramen  12.90", "Green tea  3.50", "SUBTOTAL  16.40",
                            "TAX 6%  0.98", "TOTAL  RM 17.38", "CASH  RM 20.00", "CHANGE  RM 2.62"])
    status, issued = api.request("POST", f"/tasks/{courier.task_id}/receipts",
                                 {"contentType": "image/jpeg", "size": len(photo)}, token=courier.token)
    assert status == 201, issued
    upload = issued["upload"]
    # What a phone does: the form's fields first, the file last, straight to object storage.
    response = requests.post(upload["url"], data=upload["fields"],
                             files={"file": ("receipt.jpg", photo, "image/jpeg")}, timeout=30)
    assert response.status_code in (200, 201, 204), response.text
    receipt = settled(api, courier.token, issued["receiptId"])
    assert receipt["status"] == "processed", receipt
    assert (receipt["amount"], receipt["currency"]) == ("17.38", "MYR"), receipt["lines"]
    image = requests.get(receipt["image"]["url"], timeout=30)
    assert image.status_code == 200 and image.content == photo
    status, listed = api.request("GET", f"/tasks/{courier.task_id}/receipts", token=admin)
    assert status == 200 and [r["receiptId"] for r in listed["items"]] == [issued["receiptId"]]


def test_the_demo_receipts_are_read_too(runtime, api: Api, admin: str) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("receipts_demo", ROOT / "src" / "receipts" / "demo.py")
    demo = importlib.util.module_from_spec(spec)  # src/receipts/demo.py: its receipts and their totals
    spec.loader.exec_module(demo)

    status, tasks = api.request("GET", "/tasks", token=admin, query={"status": "in_progress"})
    demo_task = next(t for t in tasks["items"] if t["assigneeName"] == "courier1")
    status, listed = api.request("GET", f"/tasks/{demo_task['taskId']}/receipts", token=admin)
    assert status == 200 and len(listed["items"]) == len(demo.RECEIPTS)
    read = [settled(api, admin, r["receiptId"]) for r in listed["items"]]
    assert sorted(r["amount"] for r in read) == ["64.92", "7.50"] and {r["currency"] for r in read} == {"EUR"}

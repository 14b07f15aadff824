"""The OCR function on real photos made here, with the real engine (RapidOCR) and moto.

Each recognition costs 1-4 s of CPU, so the set is small: one photo per difficulty. The
accuracy over many receipts is measured by `make bench-ocr`, not here.
"""
from __future__ import annotations

import io

import pytest
from PIL import Image

from legwork.samples import render_receipt
from tests.unit.receipts.helpers import ADMIN, COURIER, create_receipt, get_receipt, read, upload

ENGLISH = ["FRESHMART SUPERMARKET", "Milk 2L  3.49", "Bread  2.10", "Coffee beans  12.99", "SUBTOTAL  18.58",
           "GST 10%  1.86", "TOTAL  20.44", "CASH  50.00", "CHANGE  29.56"]
CHINESE = ["北京便利店", "矿泉水  3.50", "面包  8.00", "小计  11.50", "合计  11.50", "实付  11.50", "找零  0.00"]

CASES = {
    "english": (dict(lines=ENGLISH), "20.44", "EUR"),  # no currency printed: the task's bonus currency
    "chinese": (dict(lines=CHINESE + ["人民币 RMB"]), "11.50", "CNY"),
    "rotated": (dict(lines=["CORNER CAFE", "Latte  4.20", "Muffin  3.10", "TOTAL  RM 7.30"], exif_orientation=6),
                "7.30", "MYR"),
    "low contrast": (dict(lines=["CITY PARKING", "2h parking  6.00", "TOTAL  $6.00"], contrast=0.3), "6.00", "USD"),
    "large": (dict(lines=["HARDWARE CO", "Screws  4.99", "Tape  2.49", "TOTAL  €7.48"], scale=5.0, fmt="PNG"),
              "7.48", "EUR"),
}


def send(stack, task: str, data: bytes, content_type: str = "image/jpeg") -> tuple[str, dict]:
    receipt_id = create_receipt(task, body={"contentType": content_type, "size": max(len(data), 1024)})[1]["receiptId"]
    return receipt_id, upload(stack, f"receipts/{task}/{receipt_id}", data, content_type)


@pytest.mark.parametrize("case", list(CASES))
def test_a_rendered_receipt_is_processed_with_its_total(stack, running_task: str, case: str) -> None:
    options, amount, currency = CASES[case]
    data = render_receipt(**options)
    receipt_id, event = send(stack, running_task, data, "image/png" if options.get("fmt") == "PNG" else "image/jpeg")
    assert read(event) == {"processed": 1}
    status, receipt = get_receipt(receipt_id, COURIER)
    assert status == 200 and receipt["status"] == "processed", receipt
    assert (receipt["amount"], receipt["currency"]) == (amount, currency), receipt["lines"]
    assert 0.5 < receipt["confidence"] <= 1 and receipt["lines"] and receipt["image"]["url"]
    assert receipt["payable"] == {"amount": amount, "currency": currency}
    if case == "english":
        # The same event again (S3 delivers at least once): nothing changes.
        before = get_receipt(receipt_id, ADMIN)[1]
        assert read(event) == {"duplicate": 1}
        after = get_receipt(receipt_id, ADMIN)[1]
        assert {k: v for k, v in after.items() if k != "image"} == {k: v for k, v in before.items() if k != "image"}


def test_a_truncated_jpeg_ends_failed_with_a_reason(stack, running_task: str) -> None:
    data = render_receipt(ENGLISH, scale=2)
    receipt_id, event = send(stack, running_task, data[: len(data) // 2])
    assert read(event) == {"failed": 1}
    receipt = get_receipt(receipt_id, COURIER)[1]
    assert receipt["status"] == "failed" and "truncated" in receipt["reason"]


def test_a_decompression_bomb_ends_failed_with_a_reason(stack, running_task: str) -> None:
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 MP in a few KB
    receipt_id, event = send(stack, running_task, out.getvalue(), "image/png")
    assert read(event) == {"failed": 1}
    reason = get_receipt(receipt_id, COURIER)[1]["reason"]
    assert "over the 50 MP limit" in reason and "decompression bomb" in reason


def test_a_photo_without_a_total_fails_and_keeps_its_lines(stack, running_task: str) -> None:
    receipt_id, event = send(stack, running_task, render_receipt(["THANK YOU", "Please come again"]))
    assert read(event) == {"failed": 1}
    receipt = get_receipt(receipt_id, COURIER)[1]
    assert receipt["reason"].startswith("no total found") and "THANK YOU" in receipt["lines"]

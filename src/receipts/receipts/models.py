"""Receipts as the API sees them and as the table stores them; the domain rules of input.

The table's contract (reports are built on it): PK `receiptId`, index `byTask` (taskId,
createdAt); `taskId`, `courierId`, `status` (pending | processed | failed), `amount` (a
decimal string, as OCR read it), `currency`, `confidence`, `lines`, `reason`, and
`correction` {amount, currency, reason, by, at}, whose amount overrides the OCR amount.

    >>> NewReceipt.parse({"contentType": "image/jpeg", "size": 240_000})
    NewReceipt(content_type='image/jpeg', size=240000)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from legwork_common.clock import utc_ms as iso
from legwork_common.errors import ValidationFailed
from legwork_common.money import Money
from legwork_common.validation import BLANK, json_object

STATUSES = ("pending", "processed", "failed")
CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MIN_BYTES = 1024
MAX_BYTES = 10 * 1024 * 1024
UPLOAD_SECONDS = 600  # how long the presigned POST is valid
IMAGE_LINK_SECONDS = 300  # how long a photo link is valid
PENDING_PK = "pending"  # the sparse `pending` index's one key: receipts waiting for their photo
KEY_PREFIX = "receipts/"
ID_MAX = 64
REASON_MIN, REASON_MAX = 3, 500
MAX_LINES, MAX_LINE_CHARS = 300, 300
_KEY = re.compile(r"^receipts/([^/]{1,64})/([^/]{1,64})$")


@dataclass(frozen=True)
class NewReceipt:
    """POST /tasks/{taskId}/receipts: the photo the phone is about to upload."""

    content_type: str
    size: int

    @classmethod
    def parse(cls, raw: Any) -> "NewReceipt":
        body = json_object(raw, ("contentType", "size"))
        accepted = ", ".join(CONTENT_TYPES)
        content_type = body.get("contentType")
        if not isinstance(content_type, str) or content_type not in CONTENT_TYPES:  # exactly as the enum says
            raise ValidationFailed(f"'contentType' must be one of {accepted} (a photo of the receipt); "
                                   f"got {content_type!r}.")
        size = body.get("size")
        if not isinstance(size, int) or isinstance(size, bool):
            raise ValidationFailed(f"'size' must be the photo's size in bytes, a whole number; got {size!r}.")
        if not MIN_BYTES <= size <= MAX_BYTES:
            raise ValidationFailed(f"'size' must be from 1 KB to 10 MB ({MIN_BYTES} to {MAX_BYTES} bytes); got {size}. "
                                   + ("Send a smaller photo (lower resolution or JPEG quality)." if size > MAX_BYTES
                                      else "That is too small to be a photo."))
        return cls(content_type=content_type, size=size)


@dataclass(frozen=True)
class Correction:
    """PATCH /receipts/{receiptId}: the amount to reimburse, with why."""

    money: Money
    reason: str

    @classmethod
    def parse(cls, raw: Any) -> "Correction":
        money = Money.parse(raw, field=None, extra=("reason",))
        reason = raw.get("reason")
        what = f'{REASON_MIN} to {REASON_MAX} characters saying why the amount is corrected ("the photo cut off the total")'
        if reason is None:
            raise ValidationFailed.required("reason", what)
        if not isinstance(reason, str) or not reason.strip(BLANK):
            raise ValidationFailed.wrong_type("reason", what, reason)
        if len(reason) < REASON_MIN:
            raise ValidationFailed.wrong_type("reason", what, reason)
        if len(reason) > REASON_MAX:
            raise ValidationFailed.too_long("reason", REASON_MAX, len(reason))
        return cls(money=money, reason=reason.strip(BLANK))


def upload_key(task_id: str, receipt_id: str) -> str:
    return f"{KEY_PREFIX}{task_id}/{receipt_id}"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    """(taskId, receiptId) of an object key `receipts/<taskId>/<receiptId>`, or None."""
    match = _KEY.match(key)
    return (match.group(1), match.group(2)) if match else None


def new_receipt_item(receipt_id: str, task_id: str, courier_id: str, new: NewReceipt, now: datetime) -> dict:
    created = iso(now)
    return {
        "receiptId": receipt_id,
        "taskId": task_id,
        "courierId": courier_id,
        "status": "pending",
        "key": upload_key(task_id, receipt_id),
        "contentType": new.content_type,
        "declaredSize": new.size,
        "createdAt": created,
        "updatedAt": created,
        # In the sparse `pending` index until the photo is read (or the sweep gives up on it).
        "pendingPk": PENDING_PK,
        "pendingSince": created,
    }


def new_file_item(receipt_item: dict) -> dict:
    """The FilesTable record of the receipt's photo (so it can be shared by link)."""
    extension = CONTENT_TYPES[receipt_item["contentType"]]
    return {
        "fileId": receipt_item["receiptId"],
        "ownerId": receipt_item["courierId"],
        "key": receipt_item["key"],
        "kind": "receipt",
        "name": f"receipt-{receipt_item['receiptId'][:8]}.{extension}",
        "contentType": receipt_item["contentType"],
        "size": receipt_item["declaredSize"],
        "status": "pending",
        "createdAt": receipt_item["createdAt"],
    }


def read_attributes(*, amount: Decimal, currency: str, confidence: float, lines: list[str], rule: str,
                    content_type: str, size: int, now: datetime) -> dict:
    """What a successful read sets on the receipt."""
    return {
        "status": "processed",
        "amount": str(amount),
        "currency": currency,
        "confidence": Decimal(str(round(confidence, 3))),
        "lines": clip_lines(lines),
        "rule": rule,
        "contentType": content_type,
        "size": size,
        "processedAt": iso(now),
        "updatedAt": iso(now),
    }


def failed_attributes(reason: str, *, lines: list[str] | None = None, now: datetime, size: int | None = None) -> dict:
    attributes: dict[str, Any] = {"status": "failed", "reason": reason, "processedAt": iso(now), "updatedAt": iso(now)}
    if lines is not None:
        attributes["lines"] = clip_lines(lines)
    if size is not None:
        attributes["size"] = size
    return attributes


def clip_lines(lines: list[str]) -> list[str]:
    """Lines as stored: a bounded item whatever the photo holds."""
    return [line[:MAX_LINE_CHARS] for line in lines[:MAX_LINES]]


def payable(item: dict) -> dict | None:
    """What to reimburse: the correction if there is one, else the OCR total, else nothing."""
    correction = item.get("correction")
    if correction:
        return {"amount": correction["amount"], "currency": correction["currency"]}
    if item.get("status") == "processed" and item.get("amount"):
        return {"amount": item["amount"], "currency": item["currency"]}
    return None


def public_receipt(item: dict, image: dict | None = None) -> dict:
    """The receipt as the API shows it."""
    confidence = item.get("confidence")
    return {
        "receiptId": item["receiptId"],
        "taskId": item["taskId"],
        "courierId": item["courierId"],
        "status": item["status"],
        "amount": item.get("amount"),
        "currency": item.get("currency"),
        "confidence": float(confidence) if confidence is not None else None,
        "lines": list(item.get("lines") or []),
        "reason": item.get("reason"),
        "correction": dict(item["correction"]) if item.get("correction") else None,
        "payable": payable(item),
        "contentType": item.get("contentType"),
        "createdAt": item["createdAt"],
        "processedAt": item.get("processedAt"),
        "image": image,
    }


def expires(now: datetime, seconds: int) -> str:
    return iso(now + timedelta(seconds=seconds))

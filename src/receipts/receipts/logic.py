"""The rules of receipts, free of any AWS event shape.

    POST (the assignee) ──▶ pending ──photo arrives, total read──▶ processed
                               │                 └─unreadable───▶ failed (reason)
                               └──no photo in 24 hours (sweep)──▶ failed (never uploaded)
    processed | failed ──PATCH (admin, manager)──▶ + correction (the OCR result is kept)

- `ReceiptsService`: the API. Every refusal (a bad body, a task in the wrong state, not
  the assignee) happens before anything is written; then the pending receipt and its file
  record are written together, and a presigned POST pins the key, type and size.
- `ReceiptReader`: one uploaded object. Trusts nothing about it: size and real type
  from the bytes, decompression bombs, orientation, then the engine and the total rules.
  A redelivered event for a version already read changes nothing.
- `sweep`: receipts whose photo never came.

    >>> service.create(task_id, NewReceipt.parse(body), courier)["upload"]["url"]
    'https://legwork-uploads-….s3.amazonaws.com/'
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from aws_lambda_powertools import Logger

from legwork_common.api import Caller
from legwork_common.clock import utc_ms as iso
from legwork_common.errors import Conflict, Forbidden, NotFound
from receipts.dal import AlreadyRead, NotCorrectable, Photos, ReceiptsTable, TaskLookup
from receipts.models import (
    ID_MAX, IMAGE_LINK_SECONDS, MAX_BYTES, MIN_BYTES, UPLOAD_SECONDS, Correction, NewReceipt,
    expires, failed_attributes, new_file_item, new_receipt_item, parse_upload_key, public_receipt,
    read_attributes,
)

logger = Logger(child=True)
Clock = Callable[[], datetime]
RECEIPT_WINDOW_AFTER_COMPLETION = timedelta(days=7)
NEVER_UPLOADED_AFTER = timedelta(hours=24)
NEVER_UPLOADED = "never uploaded: no photo arrived within 24 hours of the upload link; start a new receipt"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ReceiptsService:
    """POST a receipt, list a task's, read one, correct one."""

    def __init__(self, receipts: ReceiptsTable, *, tasks: TaskLookup | None = None, photos: Photos | None = None,
                 bucket: str | None = None, clock: Clock = utc_now) -> None:
        self.receipts = receipts
        self.tasks = tasks
        self.photos = photos or Photos()
        self.bucket = bucket
        self.clock = clock

    def create(self, task_id: str, new: NewReceipt, caller: Caller) -> dict:
        """A pending receipt of the caller's task and its upload: `{receiptId, upload}`."""
        assert self.tasks is not None and self.bucket, "create needs the tasks table and the bucket"
        task = self._task(task_id)
        if caller.role != "courier" or task.get("assigneeId") != caller.user_id:
            raise Forbidden(f"Only the courier who holds task {task_id} may send its receipts.")
        now = self.clock()
        self._check_open_for_receipts(task, now)
        item = new_receipt_item(str(uuid.uuid4()), task_id, caller.user_id, new, now)
        self.receipts.put_new(item, new_file_item(item))
        form = self.photos.upload_form(self.bucket, item["key"], content_type=new.content_type, min_bytes=MIN_BYTES,
                                       max_bytes=MAX_BYTES, seconds=UPLOAD_SECONDS)
        logger.info("receipt issued", extra={"receiptId": item["receiptId"], "taskId": task_id})
        return {"receiptId": item["receiptId"],
                "upload": {"url": form["url"], "fields": form["fields"], "expiresAt": expires(now, UPLOAD_SECONDS)}}

    def list_for_task(self, task_id: str, caller: Caller) -> dict:
        """`{items}`: the task's receipts, oldest first (a courier: the ones they sent)."""
        assert self.tasks is not None, "list_for_task needs the tasks table"
        task = self._task(task_id)
        if caller.role == "courier" and task.get("assigneeId") != caller.user_id:
            raise Forbidden(f"Couriers see the receipts of the tasks they hold; task {task_id} is not yours.")
        items = self.receipts.for_task(task_id)
        if caller.role == "courier":
            items = [item for item in items if item.get("courierId") == caller.user_id]
        return {"items": [self._public(item) for item in items]}

    def get(self, receipt_id: str, caller: Caller) -> dict:
        item = self._receipt(receipt_id)
        if caller.role == "courier" and item.get("courierId") != caller.user_id:
            raise Forbidden("Couriers see only the receipts they sent; this one is another courier's.")
        return self._public(item)

    def correct(self, receipt_id: str, correction: Correction, caller: Caller) -> dict:
        """Set the amount to reimburse; `amount` keeps what OCR read."""
        now = iso(self.clock())
        record = {**correction.money.as_item(), "reason": correction.reason, "by": caller.user_id, "at": now}
        if len(receipt_id) > ID_MAX:
            raise NotFound("receipt", receipt_id)
        try:
            item = self.receipts.correct(receipt_id, record, now)
        except NotCorrectable as refused:
            if refused.current is None:
                raise NotFound("receipt", receipt_id) from None
            raise Conflict("This receipt is still waiting for its photo; it can be corrected once the photo "
                           "has been read (or has failed).") from None
        logger.info("receipt corrected", extra={"receiptId": receipt_id, "by": caller.user_id})
        return self._public(item)

    # -- helpers ------------------------------------------------------------------------------
    def _task(self, task_id: str) -> dict:
        task = self.tasks.get(task_id) if self.tasks is not None and 0 < len(task_id) <= ID_MAX else None
        if task is None:
            raise NotFound("task", task_id)
        return task

    def _receipt(self, receipt_id: str) -> dict:
        item = self.receipts.get(receipt_id) if 0 < len(receipt_id) <= ID_MAX else None
        if item is None:
            raise NotFound("receipt", receipt_id)
        return item

    @staticmethod
    def _check_open_for_receipts(task: dict, now: datetime) -> None:
        status = task.get("status")
        if status in ("claimed", "in_progress"):
            return
        if status == "completed":
            completed = _parse(task.get("completedAt"))
            if completed is not None and now - completed <= RECEIPT_WINDOW_AFTER_COMPLETION:
                return
            raise Conflict("This task was completed more than 7 days ago; receipts are no longer accepted for it.")
        raise Conflict(f"This task is {status}; receipts are accepted while it is claimed or in progress, "
                       "and up to 7 days after it is completed.")

    def _public(self, item: dict) -> dict:
        image = None
        if item.get("status") != "pending" and self.bucket and item.get("source"):
            image = {"url": self.photos.link(self.bucket, item["key"], version=item.get("versionId"),
                                             seconds=IMAGE_LINK_SECONDS),
                     "expiresAt": expires(self.clock(), IMAGE_LINK_SECONDS)}
        return public_receipt(item, image)


@dataclass(frozen=True)
class Upload:
    """One `ObjectCreated` record, as S3 describes the object (trusted for nothing but its name)."""

    bucket: str
    key: str  # URL-decoded
    size: int
    version_id: str | None
    etag: str
    sequencer: str

    @property
    def source(self) -> str:
        """This version of the object: the same in every delivery of its event."""
        return self.version_id or f"{self.etag}:{self.sequencer}"


class ReceiptReader:
    """Reads the total off uploaded photos (the OCR function)."""

    def __init__(self, receipts: ReceiptsTable, tasks: TaskLookup, *, photos: Photos | None = None,
                 clock: Clock = utc_now) -> None:
        self.receipts = receipts
        self.tasks = tasks
        self.photos = photos or Photos()
        self.clock = clock

    def read(self, upload: Upload) -> str:
        """Process one upload; what happened: processed, failed, duplicate or ignored.

        Errors of the photo end the receipt `failed` with a reason a person can act on;
        errors of the platform (S3, DynamoDB) raise, so Lambda retries the event and then
        hands it to the on-failure destination.
        """
        ids = parse_upload_key(upload.key)
        if ids is None:
            logger.warning("not a receipt key: ignored", extra={"key": upload.key})
            return "ignored"
        task_id, receipt_id = ids
        receipt = self.receipts.get(receipt_id)
        if receipt is None or receipt.get("taskId") != task_id:
            logger.warning("no receipt for this upload: ignored", extra={"key": upload.key})
            return "ignored"
        if receipt.get("source") == upload.source:
            logger.info("photo already read: nothing to do", extra={"receiptId": receipt_id})
            return "duplicate"
        attributes = self._examine(upload, receipt)
        attributes["versionId"] = upload.version_id or ""
        try:
            stored = self.receipts.record_read(receipt_id, upload.source, attributes)
        except AlreadyRead:
            logger.info("photo read by a concurrent delivery: nothing to do", extra={"receiptId": receipt_id})
            return "duplicate"
        ok = stored["status"] == "processed"
        self.receipts.mark_file(receipt_id, "ready" if ok else "rejected", attributes.get("size"))
        logger.info("receipt read", extra={"receiptId": receipt_id, "status": stored["status"],
                                           "amount": stored.get("amount"), "reason": stored.get("reason")})
        return stored["status"]

    def _examine(self, upload: Upload, receipt: dict) -> dict:
        """The attributes the receipt gets from this photo (processed or failed)."""
        from receipts import images  # Pillow: only the OCR function has it (OcrLayer)

        now = self.clock()
        try:
            images.check_size(upload.size)
            data, size = self.photos.read(upload.bucket, upload.key, version=upload.version_id, max_bytes=MAX_BYTES)
            images.check_size(max(size, len(data)))
            photo = images.prepare(data)
        except images.ImageRefused as refused:
            return failed_attributes(refused.reason, now=now, size=upload.size)
        try:
            from receipts.ocr import recognise

            lines = recognise(photo.image)
        except Exception:  # the engine's own failure on one photo: retrying the same bytes cannot help
            logger.exception("the OCR engine failed on this photo")
            return failed_attributes("the photo could not be read by the OCR engine; take it again, flat and "
                                     "in good light", now=now, size=size)
        from receipts.totals import extract_total

        total = extract_total(lines, default_currency=self._default_currency(receipt))
        texts = [line.text for line in lines]
        if total is None:
            reason = ("no text found: the photo may be blank, blurred or too dark; take it again" if not lines else
                      "no total found: no line reads like a total (TOTAL, 合计, 实付 ...); a manager can set the amount")
            return failed_attributes(reason, lines=texts, now=self.clock(), size=size)
        return read_attributes(amount=total.amount, currency=total.currency, confidence=total.confidence,
                               lines=texts, rule=total.rule, content_type=photo.content_type, size=size,
                               now=self.clock())

    def _default_currency(self, receipt: dict) -> str | None:
        task = self.tasks.get(receipt["taskId"]) or {}
        bonus = task.get("bonus") or {}
        return bonus.get("currency") if isinstance(bonus, dict) else None


def sweep(receipts: ReceiptsTable, *, clock: Clock = utc_now) -> dict:
    """Receipts still pending 24 hours after they were issued become failed (never uploaded)."""
    now = clock()
    cutoff = iso(now - NEVER_UPLOADED_AFTER)
    candidates = receipts.pending_since_before(cutoff)
    failed = sum(receipts.give_up(receipt_id, NEVER_UPLOADED, iso(now)) for receipt_id in candidates)
    logger.info("receipts swept", extra={"candidates": len(candidates), "failed": failed})
    return {"failed": failed}


def _parse(stamp: Any) -> datetime | None:
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


"""Lambda entry points of the receipts resource: parse, call `logic`, shape the response.

One function per operation (see template.yaml), plus `read_receipt` (S3 ObjectCreated on
receipts/, the OCR function) and `sweep_receipts` (hourly). The OCR engine is imported
only by `read_receipt`, on its first photo: the API functions share this package but
not its layer.
"""
from __future__ import annotations

import functools
import os
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event

from legwork_common.api import Request, Response, endpoint
from receipts.dal import Photos, ReceiptsTable, TaskLookup
from receipts.logic import ReceiptReader, ReceiptsService, Upload, sweep
from receipts.models import Correction, NewReceipt

logger = Logger()
metrics = Metrics()


@functools.cache
def _service_for(receipts_table: str, files_table: str | None, tasks_table: str | None,
                 bucket: str | None) -> ReceiptsService:
    return ReceiptsService(ReceiptsTable(receipts_table, files_table),
                           tasks=TaskLookup(tasks_table) if tasks_table else None, photos=Photos(), bucket=bucket)


def _service() -> ReceiptsService:
    # Keyed by the environment so a warm worker follows a changed one (tests, hot reload).
    env = os.environ
    return _service_for(env["RECEIPTS_TABLE"], env.get("FILES_TABLE"), env.get("TASKS_TABLE"),
                        env.get("UPLOADS_BUCKET"))


@functools.cache
def _reader_for(receipts_table: str, files_table: str | None, tasks_table: str) -> ReceiptReader:
    return ReceiptReader(ReceiptsTable(receipts_table, files_table), TaskLookup(tasks_table), photos=Photos())


@endpoint
def create_receipt(request: Request) -> Response:
    """POST /tasks/{taskId}/receipts (the assignee): `{contentType, size}` → 201 `{receiptId, upload}`."""
    caller = request.require_role("courier")
    new = NewReceipt.parse(request.body)  # a bad body is refused before anything is read or written
    return Response(201, _service().create(request.path_params.get("taskId", ""), new, caller))


@endpoint
def list_task_receipts(request: Request) -> dict:
    """GET /tasks/{taskId}/receipts (admin, manager, the assignee): `{items}`."""
    caller = request.require_role("admin", "manager", "courier")
    return _service().list_for_task(request.path_params.get("taskId", ""), caller)


@endpoint
def get_receipt(request: Request) -> dict:
    """GET /receipts/{receiptId} (admin, manager, the courier who sent it)."""
    caller = request.require_role("admin", "manager", "courier")
    return _service().get(request.path_params.get("receiptId", ""), caller)


@endpoint
def correct_receipt(request: Request) -> dict:
    """PATCH /receipts/{receiptId} (admin, manager): `{amount, currency, reason}`."""
    caller = request.require_role("admin", "manager")
    correction = Correction.parse(request.body)
    return _service().correct(request.path_params.get("receiptId", ""), correction, caller)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def read_receipt(event: dict, context: Any) -> dict:
    """S3 ObjectCreated on receipts/: read each photo's total. Raises only for platform
    errors (S3, DynamoDB), which Lambda retries and then sends to the on-failure destination."""
    reader = _reader_for(os.environ["RECEIPTS_TABLE"], os.environ.get("FILES_TABLE"), os.environ["TASKS_TABLE"])
    outcomes: dict[str, int] = {}
    for record in S3Event(event).records:
        obj = record.s3.get_object
        upload = Upload(bucket=record.s3.bucket.name, key=unquote_plus(obj.key), size=int(obj.size or 0),
                        version_id=obj.version_id or None, etag=obj.etag or "", sequencer=obj.sequencer or "")
        outcome = reader.read(upload)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        metrics.add_metric(name=f"Receipts{outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    return outcomes


@logger.inject_lambda_context(clear_state=True)
def sweep_receipts(event: dict, context: Any) -> dict:
    """Hourly: receipts pending for 24 hours fail with `never uploaded`."""
    return sweep(ReceiptsTable(os.environ["RECEIPTS_TABLE"]))

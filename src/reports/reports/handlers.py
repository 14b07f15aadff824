"""Lambda entry points of the reports resource: the API, the schedules and the queue's worker."""
from __future__ import annotations

import functools
import json
import os
from typing import Any

from aws_lambda_powertools import Logger

from legwork_common.api import Request, Response, endpoint
from reports.dal import (CouriersReader, FilesTable, ReceiptsReader, ReportsQueue, ReportsTable, RoutesReader,
                         Storage, TasksReader, TrackingReader)
from reports.logic import ReportsService, Sources
from reports.models import KINDS, ReportRequest

logger = Logger()


@functools.cache
def _service_for(env: tuple[tuple[str, str], ...]) -> ReportsService:
    e = dict(env)
    sources = None
    if e.get("TASKS_TABLE"):
        sources = Sources(TasksReader(e["TASKS_TABLE"]), RoutesReader(e["ROUTES_TABLE"]),
                          CouriersReader(e["USERS_TABLE"]), TrackingReader(e["TRACKING_TABLE"]),
                          ReceiptsReader(e["RECEIPTS_TABLE"]) if e.get("RECEIPTS_TABLE") else None)
    return ReportsService(
        ReportsTable(e["REPORTS_TABLE"]),
        queue=ReportsQueue(e["REPORTS_QUEUE_URL"]) if e.get("REPORTS_QUEUE_URL") else None,
        sources=sources,
        files=FilesTable(e["FILES_TABLE"]) if e.get("FILES_TABLE") else None,
        storage=Storage(e["UPLOADS_BUCKET"]) if e.get("UPLOADS_BUCKET") else None,
    )


def _service() -> ReportsService:
    names = ("REPORTS_TABLE", "REPORTS_QUEUE_URL", "TASKS_TABLE", "ROUTES_TABLE", "USERS_TABLE", "TRACKING_TABLE",
             "RECEIPTS_TABLE", "FILES_TABLE", "UPLOADS_BUCKET")
    # Keyed by the environment so a warm worker follows a changed one.
    return _service_for(tuple((n, os.environ.get(n, "")) for n in names))


@endpoint
def create_report(request: Request) -> Response:
    """POST /reports (admin, manager): `{period, start, force?}` → 202 pending (200 when it exists and no force)."""
    caller = request.require_role("admin", "manager")
    report, queued = _service().request(ReportRequest.parse(request.body), caller.user_id)
    return Response(202 if queued else 200, report)


@endpoint
def list_reports(request: Request) -> dict:
    """GET /reports (admin, manager): newest first, paged."""
    request.require_role("admin", "manager")
    return _service().list(request.query)


@endpoint
def get_report(request: Request) -> dict:
    """GET /reports/{reportId} (admin, manager): status and, when ready, its files with 5-minute download URLs."""
    request.require_role("admin", "manager")
    return _service().get(request.path_params.get("reportId", ""))


@logger.inject_lambda_context(clear_state=True)
def scheduled(event: dict, context: Any) -> dict:
    """The weekly and monthly schedules (`Input: {"period": "week"|"month"}`): the previous period's report."""
    kind = (event or {}).get("period")
    if kind not in KINDS:
        raise ValueError(f"The schedule's Input must be {{\"period\": \"week\"|\"month\"}}; got {event!r}.")
    return _service().scheduled(kind)


@logger.inject_lambda_context(clear_state=True)
def worker(event: dict, context: Any) -> dict:
    """SQS: one message per report to generate. A failure is retried; the last attempt marks it failed (then DLQ)."""
    max_attempts = int(os.environ.get("REPORT_MAX_ATTEMPTS", "3"))
    failures = []
    for record in event.get("Records", []):
        attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            report_id = json.loads(record["body"])["reportId"]
            outcome = _service().generate(report_id, attempt=attempt, max_attempts=max_attempts)
            logger.info("report generated", extra={"reportId": report_id, "outcome": outcome})
        except Exception:
            logger.exception("report generation failed", extra={"messageId": record.get("messageId")})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}

"""Reports: asked for (API or schedule) once per period, generated asynchronously, stored as files.

    >>> service.request(ReportRequest.parse({"period": "week", "start": "2026-11-23"}), caller)
    ({'reportId': 'week-2026-11-23', 'status': 'pending', ...}, True)
    >>> service.generate("week-2026-11-23")      # the queue's worker

A period has one report (its id is the period). Asking again returns it as it is unless
`force`, which runs it again into the same files. Generation reads only the period: the
tasks that closed in it (the tasks table's `byClosedAt` index), those published in it
(`byStatus`), their tracks' live items and their receipts, a page at a time.
"""
from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from aws_lambda_powertools import Logger

from legwork_common.api import Caller
from legwork_common.clock import utc_ms
from legwork_common.errors import Conflict, NotFound
from reports import models, render
from reports.aggregate import Figures
from reports.dal import (CouriersReader, FilesTable, ReceiptsReader, ReportsQueue, ReportsTable, RoutesReader,
                         Storage, TasksReader, TrackingReader)
from reports.models import Period, ReportRequest

logger = Logger(child=True)
Clock = Callable[[], datetime]
STATUSES = ("open", "claimed", "in_progress", "completed", "cancelled")
CHUNK = 100  # tasks enriched together: one BatchGetItem of live items, parallel receipt queries
RECEIPT_THREADS = 8
DOWNLOAD_URL_SECONDS = 300
SYSTEM = "schedule"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Sources:
    """Where a report's figures come from (receipts are optional until that resource exists)."""

    tasks: TasksReader
    routes: RoutesReader
    couriers: CouriersReader
    tracking: TrackingReader
    receipts: ReceiptsReader | None = None


class ReportsService:
    def __init__(self, reports: ReportsTable, *, queue: ReportsQueue | None = None, sources: Sources | None = None,
                 files: FilesTable | None = None, storage: Storage | None = None, clock: Clock | None = None) -> None:
        self.reports = reports
        self.queue = queue
        self.sources = sources
        self.files = files
        self.storage = storage
        self._clock = clock

    def clock(self) -> datetime:
        return (self._clock or utc_now)()

    # -- asking ------------------------------------------------------------------------
    def request(self, request: ReportRequest, requested_by: str) -> tuple[dict, bool]:
        """(the report, whether a run was queued): a new period's report, a forced re-run, or the existing one."""
        period = request.period
        now = utc_ms(self.clock())
        item = models.new_report_item(period, requested_by=requested_by, now=now)
        if self.reports.put_new(item):
            self.queue.send(period.report_id)
            return models.public_report(item), True
        existing = self.reports.get(period.report_id)
        if not request.force:
            return models.public_report(existing), False
        if not self.reports.restart(period.report_id, requested_by=requested_by, now=now):
            raise Conflict(f"Report {period.report_id} is being generated; ask again with force once it is done.")
        self.queue.send(period.report_id)
        return models.public_report(self.reports.get(period.report_id)), True

    def scheduled(self, kind: str) -> dict:
        """The schedule's run: the previous whole period's report, unless it exists."""
        period = Period.previous(kind, self.clock())
        report, queued = self.request(ReportRequest(period), SYSTEM)
        logger.info("scheduled report", extra={"reportId": period.report_id, "queued": queued})
        return {"reportId": period.report_id, "queued": queued, "status": report["status"]}

    # -- reading -----------------------------------------------------------------------
    def list(self, query: dict) -> dict:
        page = models.page(query)
        items, last = self.reports.page(limit=page.limit, start_key=page.start_key("reportId", {"listKey": "report"}))
        return {"items": [models.public_report(i) for i in items], "nextCursor": page.cursor(last, "reportId")}

    def get(self, report_id: str) -> dict:
        item = self.reports.get(report_id)
        if item is None:
            raise NotFound("report", report_id, "its id is the period, such as week-2026-11-23")
        out = models.public_report(item)
        if item["status"] == "ready":
            out["files"] = [{**f, "downloadUrl": self.storage.download_url(f["key"], name=f["name"],
                                                                         expires_in=DOWNLOAD_URL_SECONDS)}
                            for f in item.get("files", [])]
            for f in out["files"]:
                f.pop("key", None)
        return out

    # -- generating --------------------------------------------------------------------
    def generate(self, report_id: str, *, attempt: int = 1, max_attempts: int = 1) -> str:
        """Build the report's three files and mark it ready; on the last failed attempt, failed with the reason."""
        item = self.reports.get(report_id)
        if item is None:
            logger.warning("no such report; message dropped", extra={"reportId": report_id})
            return "missing"
        if item["status"] != "pending":
            return item["status"]  # a redelivered message: already decided
        period = Period.parse(item["period"], item["start"])
        try:
            figures = self.figures(period)
            files = self._write(period, figures, owner=item.get("requestedBy", SYSTEM))
        except Exception as exc:
            if attempt >= max_attempts:
                self.reports.fail(report_id, reason=f"Generation failed {attempt} times: {exc}",
                                  now=utc_ms(self.clock()))
            raise
        self.reports.finish(report_id, files=files, totals=figures.totals_document(), now=utc_ms(self.clock()))
        return "ready"

    def figures(self, period: Period) -> Figures:
        src = self.sources
        figures = Figures(period, src.couriers.couriers())
        first, last = period.first_instant, period.last_instant
        for status in STATUSES:
            for task in src.tasks.published(status, first, last):
                figures.add_published(task)
        for task in src.tasks.closed("cancelled", first, last):
            figures.add_cancelled(task)
        with ThreadPoolExecutor(RECEIPT_THREADS) as pool:
            for chunk in _chunks(src.tasks.closed("completed", first, last), CHUNK):
                ids = [t["taskId"] for t in chunk]
                distances = src.tracking.distances(ids)
                receipts = list(pool.map(src.receipts.of_task, ids)) if src.receipts else [[] for _ in ids]
                for task, task_receipts in zip(chunk, receipts):
                    figures.add_completed(task, distance_m=distances.get(task["taskId"], 0), receipts=task_receipts)
        figures.name_routes(src.routes.names(figures.routes))
        return figures

    def _write(self, period: Period, figures: Figures, *, owner: str) -> list[dict]:
        now = self.clock()
        stem = f"legwork-{period.report_id}"
        files = []
        with tempfile.TemporaryDirectory() as tmp:
            for fmt, writer in (("csv", render.write_csv), ("xlsx", render.write_xlsx), ("html", render.write_html)):
                name = f"{stem}.{fmt}"
                path = Path(tmp) / name
                if fmt == "html":
                    writer(figures, path, utc_ms(now))
                else:
                    writer(figures, path)
                key = models.report_key(period, name)
                self.storage.upload(str(path), key, models.FORMATS[fmt])
                files.append({"fileId": models.report_file_id(period.report_id, fmt), "name": name, "format": fmt,
                              "size": path.stat().st_size, "key": key})
        # The records only once all three objects are stored: a failed run leaves no record behind.
        for f in files:
            self.files.put({"fileId": f["fileId"], "ownerId": owner, "key": f["key"], "kind": "report",
                            "name": f["name"], "contentType": models.FORMATS[f["format"]], "size": f["size"],
                            "status": "ready", "createdAt": utc_ms(now)})
        return files


def _chunks(items: Iterator[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

"""Lambda entry points of the tracking resource: parse, call `logic`, shape the response.

One function per operation (see template.yaml), plus `consume_positions`, the consumer of
the positions queue, and `follow_task_changes`, which lists running tasks on the live map
from the tasks table's stream.
"""
from __future__ import annotations

import functools
import os
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from legwork_common.api import Request, Response, endpoint
from tracking.dal import PositionsQueue, RoutesTable, TasksTable, TrackingTable
from tracking.logic import Ingest, Settings, TrackingService, queue_lags
from tracking.models import LivePage, TrackPage

logger = Logger()
metrics = Metrics()
# Reports each failed message (poisoned, or its points not written) as a batch item
# failure: SQS retries only those, and moves a message that keeps failing to the DLQ.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# A stream record that fails is retried from there (ReportBatchItemFailures), in order.
stream_processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@functools.cache
def _service_for(tasks_table: str, queue_url: str | None, tracking_table: str | None, skew: str) -> TrackingService:
    return TrackingService(
        TasksTable(tasks_table),
        queue=PositionsQueue(queue_url) if queue_url else None,
        tracking=TrackingTable(tracking_table) if tracking_table else None,
        settings=Settings.from_env({"POSITIONS_MAX_SKEW_SECONDS": skew}),
    )


def _service() -> TrackingService:
    # Keyed by the environment so a warm worker follows a changed one (tests, hot reload).
    env = os.environ
    return _service_for(env["TASKS_TABLE"], env.get("POSITIONS_QUEUE_URL"), env.get("TRACKING_TABLE"),
                        env.get("POSITIONS_MAX_SKEW_SECONDS", "120"))


@functools.cache
def _tables_for(tasks_table: str, routes_table: str, tracking_table: str) -> tuple[TasksTable, RoutesTable, TrackingTable]:
    return TasksTable(tasks_table), RoutesTable(routes_table), TrackingTable(tracking_table)


@endpoint
def post_positions(request: Request) -> Response:
    """POST /tasks/{taskId}/positions (the assignee): `{points: [...]}` → 202 `{accepted, batchId}`."""
    caller = request.require_caller()
    result = _service().accept_positions(caller, request.path_params["taskId"], request.body)
    return Response(202, result)


@endpoint
def get_track(request: Request) -> dict:
    """GET /tasks/{taskId}/track (admin, manager, the assignee): points in time order; `?limit=&cursor=`."""
    caller = request.require_caller()
    task_id = request.path_params["taskId"]
    return _service().track(caller, task_id, TrackPage.parse(request.query, task_id))


@endpoint
def get_live(request: Request) -> dict:
    """GET /live (admin, manager): running tasks' courier, position, progress, last seen; `?limit=&cursor=`."""
    request.require_role("admin", "manager")
    return _service().live(LivePage.parse(request.query))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def consume_positions(event: dict, context: Any) -> dict:
    """SQS consumer: store each message's points once, update each task's live item once.

    Answers `{"batchItemFailures": [...]}` with the messages to retry.
    """
    started = time.perf_counter()
    tasks, routes, tracking = _tables_for(os.environ["TASKS_TABLE"], os.environ["ROUTES_TABLE"],
                                          os.environ["TRACKING_TABLE"])
    ingest = Ingest(tasks, routes, tracking, settings=Settings.from_env())
    records = event.get("Records") or []
    ingest.prefetch([str(r.get("body", "")) for r in records])

    staged: dict[str, SQSRecord] = {}

    def stage(record: SQSRecord) -> None:
        ingest.stage(record.message_id, record.body)
        staged[record.message_id] = record

    with processor(records=records, handler=stage, lambda_context=context):
        processor.process()
        # Staged messages whose points or live item could not be written fail late.
        for message_id, exc in ingest.commit():
            processor.failure_handler(staged[message_id], (type(exc), exc, exc.__traceback__))
    result = ingest.result
    result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    failed = {f["itemIdentifier"] for f in processor.response()["batchItemFailures"]}
    result.lag_ms = queue_lags(records, failed, now_ms=time.time() * 1000)
    # The write cost of this batch, counted as issued (`python -m legwork bench ingest` reads it).
    logger.info("positions ingested", extra={"ingestStats": result.as_dict()})
    metrics.add_metric(name="PointsReceived", unit=MetricUnit.Count, value=result.points)
    metrics.add_metric(name="PointsWritten", unit=MetricUnit.Count, value=result.unique_points)
    metrics.add_metric(name="MessagesFailed", unit=MetricUnit.Count, value=result.failed)
    metrics.add_metric(name="DynamoDBWriteRequests", unit=MetricUnit.Count, value=result.usage.write_requests)
    metrics.add_metric(name="LiveUpdates", unit=MetricUnit.Count, value=result.live_updated)
    for lag in result.lag_ms:  # one value a message: CloudWatch gives its percentiles
        metrics.add_metric(name="IngestLag", unit=MetricUnit.Milliseconds, value=lag)
    return processor.response()


@logger.inject_lambda_context(clear_state=True)
def follow_task_changes(event: dict, context: Any) -> dict:
    """Tasks table stream: a task that starts is listed on the live map, one that stops leaves it.

    Answers `{"batchItemFailures": [...]}` with the first record to retry from.
    """
    service = _service()

    def follow(record: DynamoDBRecord) -> None:
        change = record.dynamodb
        task_id = str((change.keys or {}).get("taskId", ""))
        outcome = service.follow_task(task_id, change.old_image or None, change.new_image or None)
        logger.debug("task change followed", extra={"taskId": task_id, "outcome": outcome})

    return process_partial_response(event=event, record_handler=follow, processor=stream_processor,
                                    context=context)

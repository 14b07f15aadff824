"""Lambda entry point of the notifications resource: the tasks table's stream, in batches.

Powertools' BatchProcessor reports each failed record (`batchItemFailures`), so Lambda
retries from the first failure instead of the whole batch; after MaximumRetryAttempts
the batch goes to the OnFailure queue (see template.yaml). Never lost silently.
"""
from __future__ import annotations

import functools
import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from notifications.dal import Webhook
from notifications.logic import Notifier
from notifications.models import StatusChange

logger = Logger()
# A batch whose every record failed is answered like any other: each record named in
# `batchItemFailures` (not an exception), so Lambda's view is the same whatever the mix.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@functools.cache
def _notifier_for(parameter: str, timeout: float, cache_seconds: int) -> Notifier:
    return Notifier(Webhook(parameter, timeout=timeout, cache_seconds=cache_seconds))


def _notifier() -> Notifier:
    env = os.environ
    return _notifier_for(env["WEBHOOK_URL_PARAMETER"], float(env.get("WEBHOOK_TIMEOUT_SECONDS", 5)),
                         int(env.get("WEBHOOK_CACHE_SECONDS", 300)))


def _record_handler(record: DynamoDBRecord) -> None:
    data = record.dynamodb
    change = StatusChange.from_images(
        str(record.event_name.name if record.event_name else ""),
        data.old_image if data else None,
        data.new_image if data else None,
    )
    _notifier().notify(change)


@logger.inject_lambda_context(clear_state=True)
def notify_task_changes(event: dict, context: Any) -> dict:
    """DynamoDB stream batch → one webhook message per status change; `{"batchItemFailures": [...]}`."""
    return process_partial_response(event=event, record_handler=_record_handler, processor=processor, context=context)

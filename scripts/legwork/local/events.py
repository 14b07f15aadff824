"""Event sources, locally: S3 notifications, SQS and DynamoDB stream mappings, schedules.

Everything comes from the functions' `Events` (and buckets' `LambdaConfigurations`) in
the template; each source is pumped by one thread:

- **S3**: the bucket notifies an internal SQS queue in moto (one configuration per
  subscribed function, with its event names and key filter); the pump hands each record
  to the function (async: two retries on error). Keys stay URL-encoded, as S3 sends them.
- **SQS**: receive up to `BatchSize` within `MaximumBatchingWindowInSeconds`, and run up
  to `ScalingConfig.MaximumConcurrency` such batches at once (at most 8 locally; one
  without it; one poller either way), deleting a batch on success; with `ReportBatchItemFailures` delete all but the
  reported failures; on error delete nothing — messages come back after the visibility
  timeout and moto's redrive moves them to the DLQ after `maxReceiveCount`.
  `FilterCriteria` drops (deletes) non-matching messages, as Lambda does.
- **DynamoDB streams**: per shard from `StartingPosition`, `BatchSize` records,
  `FilterCriteria` evaluated per record, retries up to `MaximumRetryAttempts`, then the
  batch's description goes to `DestinationConfig.OnFailure` (SQS or SNS).
- **SNS**: the topic delivers to an internal queue in moto (with the event's
  `FilterPolicy`); each notification reaches the function as an SNS event (async).
- **Schedules** (`Schedule`, `ScheduleV2`): `rate`/`cron`/`at` fired on a timer when
  enabled, and on demand with `fire(function)`.
"""
from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Callable

from legwork.local import patterns
from legwork.local.logs import log
from legwork.local.provision import Stack
from legwork.local.schedules import ScheduleError, next_fire
from legwork.local.workers import Invocation, Lambda

S3_QUEUE = "legwork-local-s3-notifications"
LOCAL_SQS_CONCURRENCY = 8  # at most this many concurrent batches of one SQS mapping locally (2 cores)


@dataclass
class Schedule:
    function: str
    name: str
    expression: str
    input: Any
    enabled: bool
    kind: str  # Schedule (EventBridge rule) or ScheduleV2 (EventBridge Scheduler)


class EventSources:
    """Pumps every event source of the template into `Lambda` until `stop()`."""

    def __init__(self, stack: Stack, lam: Lambda, *, poll_interval: float = 0.5, timers: bool = True) -> None:
        self.stack = stack
        self.lam = lam
        self.poll = poll_interval
        self.timers = timers
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.schedules: list[Schedule] = []
        self._s3_routes: dict[str, str] = {}

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Set up notifications and start one pump per source."""
        s3_subscriptions: dict[str, list[dict]] = {}
        for lid, spec in self.lam.specs.items():
            for name, event in spec.events.items():
                kind = event.get("Type")
                props = self.stack.resolve(event.get("Properties") or {})
                if kind == "SQS":
                    self._thread(f"sqs:{lid}:{name}", self._pump_sqs, lid, props,
                                 self._sqs_concurrency(lid, name, props))
                elif kind == "DynamoDB":
                    self._thread(f"ddb:{lid}:{name}", self._pump_stream, lid, props)
                elif kind == "S3":
                    s3_subscriptions.setdefault(str(props["Bucket"]), []).append(
                        {"function": lid, "id": f"{lid}.{name}", "events": props.get("Events"), "filter": props.get("Filter")}
                    )
                elif kind == "SNS":
                    self._subscribe_sns(lid, name, props)
                elif kind in ("Schedule", "ScheduleV2"):
                    self.schedules.append(self._schedule(lid, name, kind, props))
                elif kind != "Api":
                    log("events", f"{lid}.{name}: {kind} events are not emulated locally; "
                                  f"invoke it with POST /__legwork/invoke/{lid}")
        for lid, resource in self.stack.resources.items():
            if resource.get("Type") != "AWS::S3::Bucket" or not self.stack.is_active(lid):
                continue
            notifications = self.stack.resolve((resource.get("Properties") or {}).get("NotificationConfiguration") or {})
            for i, config in enumerate(notifications.get("LambdaConfigurations") or []):
                function = self.lam.logical_id(str(config.get("Function", "")))
                if function:
                    s3_subscriptions.setdefault(str(self.stack.name(lid)), []).append(
                        {"function": function, "id": f"{function}.{lid}{i}", "events": config.get("Event"),
                         "filter": config.get("Filter")}
                    )
        if s3_subscriptions:
            self._subscribe_s3(s3_subscriptions)
            self._thread("s3", self._pump_s3)
            log("events", "note: the local buckets (moto) do not enforce presigned POST policies (content type, "
                          "content-length-range, expiry); the functions that read uploads check them again")
        if self.timers and self.schedules:
            self._thread("schedules", self._pump_schedules)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _thread(self, name: str, target: Callable, *args: Any) -> None:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    target(*args)
                    return
                except Exception as exc:  # keep pumping: one bad poll must not stop the source
                    if self._stop.is_set():
                        return
                    log("events", f"{name}: {exc!r}; retrying")
                    self._stop.wait(max(self.poll, 1.0))

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # -- S3 -----------------------------------------------------------------------------
    def _subscribe_s3(self, subscriptions: dict[str, list[dict]]) -> None:
        sqs, s3 = self.stack.client("sqs"), self.stack.client("s3")
        self._s3_queue = sqs.create_queue(QueueName=S3_QUEUE)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self._s3_queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for bucket, subs in subscriptions.items():
            configs = []
            for sub in subs:
                events = sub["events"] if isinstance(sub["events"], list) else [sub["events"]]
                config: dict[str, Any] = {"Id": sub["id"], "QueueArn": queue_arn, "Events": events}
                rules = ((sub["filter"] or {}).get("S3Key") or {}).get("Rules") or []
                if rules:
                    config["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
                configs.append(config)
                self._s3_routes[sub["id"]] = sub["function"]
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"QueueConfigurations": configs}
            )

    def _pump_s3(self) -> None:
        sqs = self.stack.client("sqs")
        while not self._stop.is_set():
            messages = sqs.receive_message(QueueUrl=self._s3_queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                self._stop.wait(self.poll)
                continue
            for message in messages:
                body = json.loads(message["Body"])
                for record in body.get("Records", []):  # the first message is an s3:TestEvent: no Records
                    function = self._s3_routes.get(record.get("s3", {}).get("configurationId", ""))
                    if function:
                        self._invoke_async(function, {"Records": [_complete_s3_record(record)]})
                sqs.delete_message(QueueUrl=self._s3_queue, ReceiptHandle=message["ReceiptHandle"])

    def _invoke_async(self, function: str, event: dict) -> None:
        # Asynchronous invocation: Lambda retries a failed event twice.
        for attempt in range(3):
            if self.lam.invoke(function, event).ok or self._stop.is_set():
                return
            if attempt < 2:
                self._stop.wait(self.poll)
        log("events", f"{function}: event dropped after 3 attempts (asynchronous invocation)")

    # -- SNS ----------------------------------------------------------------------------
    def _subscribe_sns(self, function: str, name: str, props: dict) -> None:
        """The topic delivers to an internal queue (moto applies the filter policy); a pump
        hands each notification to the function as an SNS event."""
        sqs, sns = self.stack.client("sqs"), self.stack.client("sns")
        url = sqs.create_queue(QueueName=f"legwork-local-sns-{function}-{name}"[:80])["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes = {}
        if props.get("FilterPolicy"):
            policy = props["FilterPolicy"]
            attributes["FilterPolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
        if props.get("FilterPolicyScope"):
            attributes["FilterPolicyScope"] = props["FilterPolicyScope"]
        subscription = sns.subscribe(TopicArn=str(props["Topic"]), Protocol="sqs", Endpoint=queue_arn,
                                     Attributes=attributes, ReturnSubscriptionArn=True)["SubscriptionArn"]
        self._thread(f"sns:{function}:{name}", self._pump_sns, function, url, subscription)

    def _pump_sns(self, function: str, url: str, subscription: str) -> None:
        sqs = self.stack.client("sqs")
        while not self._stop.is_set():
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                self._stop.wait(self.poll)
                continue
            for message in messages:
                self._invoke_async(function, {"Records": [_sns_record(json.loads(message["Body"]), subscription)]})
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    # -- SQS ----------------------------------------------------------------------------
    def _sqs_concurrency(self, function: str, name: str, props: dict) -> int:
        """How many batches of this queue run at once: `ScalingConfig.MaximumConcurrency`
        (capped at `LOCAL_SQS_CONCURRENCY` on a laptop), else one."""
        declared = (props.get("ScalingConfig") or {}).get("MaximumConcurrency")
        if declared is None:
            return 1
        wanted = int(declared)
        pollers = min(wanted, LOCAL_SQS_CONCURRENCY)
        self.lam.reserve(function, pollers)
        if pollers < wanted:
            log("events", f"{function}.{name}: MaximumConcurrency {wanted}, {pollers} at once locally")
        return pollers

    def _pump_sqs(self, function: str, props: dict, concurrency: int = 1) -> None:
        """One poller receives batches and runs up to `concurrency` of them at once (an idle
        queue costs one poller, whatever the concurrency)."""
        sqs = self.stack.client("sqs")
        arn = str(props["Queue"])
        url = sqs.get_queue_url(QueueName=arn.split(":")[-1])["QueueUrl"]
        batch_size = int(props.get("BatchSize", 10))
        window = float(props.get("MaximumBatchingWindowInSeconds", 0))
        partial = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
        filters = [patterns.parse(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters") or []]
        if props.get("Enabled") is False:
            return
        visibility = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
                         ["Attributes"]["VisibilityTimeout"])
        if visibility < self.lam.specs[function].timeout:
            log("events", f"{function}: queue visibility timeout {visibility} s is less than the function's "
                          f"timeout; AWS refuses this mapping (messages would be delivered twice)")
        slots = threading.BoundedSemaphore(concurrency)

        def process(messages: list[dict]) -> None:
            try:
                # A message received again within the window (visibility timeout shorter than
                # the window) is one record, with its latest receipt handle.
                unique = {m["MessageId"]: m for m in messages}
                records = [_sqs_record(m, arn, self.stack.region) for m in unique.values()]
                if filters:
                    kept = [r for r in records if any(patterns.matches(p, _sqs_filter_view(r)) for p in filters)]
                    self._delete(sqs, url, [r for r in records if r not in kept])
                    records = kept
                    if not records:
                        return
                invocation = self.lam.invoke(function, {"Records": records})
                if not invocation.ok:
                    return  # nothing deleted: every message comes back after the visibility timeout
                failed = _batch_failures(invocation.result) if partial else set()
                if failed is None:
                    log("events", f"{function}: invalid batchItemFailures; the whole batch is retried")
                    return
                self._delete(sqs, url, [r for r in records if r["messageId"] not in failed])
            finally:
                slots.release()

        while not self._stop.is_set():
            # A free slot first: messages are not received (and hidden) before they can run.
            while not slots.acquire(timeout=self.poll):
                if self._stop.is_set():
                    return
            messages: list[dict] = []
            started = time.monotonic()
            while len(messages) < batch_size and not self._stop.is_set():
                got = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(10, batch_size - len(messages)),
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                if got and not messages:
                    started = time.monotonic()  # the window opens with the first message
                messages.extend(got)
                waited = time.monotonic() - started
                if not messages or window <= 0 or waited >= window:
                    break
                if not got:
                    self._stop.wait(min(self.poll, window - waited))
            if not messages:
                slots.release()
                self._stop.wait(self.poll)
                continue
            if concurrency == 1:
                process(messages)
            else:
                threading.Thread(target=process, args=(messages,), name=f"sqs:{function}:batch", daemon=True).start()

    @staticmethod
    def _delete(sqs: Any, url: str, records: list[dict]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start:start + 10]
            if chunk:
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
                )

    # -- DynamoDB streams ---------------------------------------------------------------
    def _pump_stream(self, function: str, props: dict) -> None:
        streams = self.stack.client("dynamodbstreams")
        arn = str(props["Stream"])
        batch_size = int(props.get("BatchSize", 100))
        position = str(props.get("StartingPosition", "LATEST"))
        retries = int(props.get("MaximumRetryAttempts", -1))
        partial = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
        filters = [patterns.parse(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters") or []]
        on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if props.get("Enabled") is False:
            return
        iterators: dict[str, str | None] = {}
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterators[shard["ShardId"]] = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=position
            )["ShardIterator"]
        while not self._stop.is_set():
            busy = False
            for shard_id, iterator in list(iterators.items()):
                if iterator is None:
                    continue
                response = streams.get_records(ShardIterator=iterator, Limit=batch_size)
                iterators[shard_id] = response.get("NextShardIterator")
                records = [_stream_record(r, arn) for r in response.get("Records", [])]
                if not records:
                    continue
                busy = True
                if filters:
                    records = [r for r in records if any(patterns.matches(p, r) for p in filters)]
                if records:
                    self._deliver_stream_batch(function, records, arn, shard_id, retries, partial, on_failure)
            if not busy:
                self._stop.wait(self.poll)

    def _deliver_stream_batch(self, function: str, records: list[dict], arn: str, shard_id: str,
                              retries: int, partial: bool, on_failure: str | None) -> None:
        attempts = 0
        pending = records
        while not self._stop.is_set():
            invocation = self.lam.invoke(function, {"Records": pending})
            attempts += 1
            if invocation.ok:
                failed = _batch_failures(invocation.result) if partial else set()
                if failed == set():
                    return
                if failed:
                    # Retry from the first reported failure, as Lambda does for streams.
                    first = next((i for i, r in enumerate(pending) if r["dynamodb"]["SequenceNumber"] in failed), 0)
                    pending = pending[first:]
            if retries >= 0 and attempts > retries:
                log("events", f"{function}: stream batch failed {attempts} times; sent to OnFailure")
                if on_failure:
                    self._send_failure(on_failure, function, pending, arn, shard_id, attempts, invocation)
                return
            self._stop.wait(min(self.poll * attempts, 5.0))

    def _send_failure(self, destination: str, function: str, records: list[dict], arn: str, shard_id: str,
                      attempts: int, invocation: Invocation) -> None:
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        created = [r["dynamodb"].get("ApproximateCreationDateTime", 0) for r in records]
        document = {
            "requestContext": {
                "requestId": invocation.request_id,
                "functionArn": self.lam.specs[function].arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled" if invocation.kind != "ok" else "",
            },
            "version": "1.0",
            "timestamp": now,
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(min(created)),
                "approximateArrivalOfLastRecord": _iso(max(created)),
                "batchSize": len(records),
                "streamArn": arn,
            },
        }
        if ":sqs:" in destination:
            sqs = self.stack.client("sqs")
            url = sqs.get_queue_url(QueueName=destination.split(":")[-1])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(document))
        elif ":sns:" in destination:
            self.stack.client("sns").publish(TopicArn=destination, Message=json.dumps(document))
        else:
            log("events", f"{function}: OnFailure destination {destination} is not SQS or SNS; not sent")

    # -- schedules ----------------------------------------------------------------------
    def _schedule(self, function: str, name: str, kind: str, props: dict) -> Schedule:
        expression = str(props.get("Schedule") or props.get("ScheduleExpression") or "")
        enabled = props.get("Enabled", True) is not False and props.get("State", "ENABLED") != "DISABLED"
        raw_input = props.get("Input")
        return Schedule(function, name, expression, json.loads(raw_input) if isinstance(raw_input, str) else raw_input,
                        enabled, kind)

    def scheduled_event(self, schedule: Schedule) -> Any:
        """The event a schedule delivers: its `Input`, else EventBridge's scheduled event."""
        if schedule.input is not None:
            return schedule.input
        rule = f"{self.stack.stack_name}-{schedule.function}{schedule.name}"
        source, resource = (
            ("aws.scheduler", f"arn:{self.stack.partition}:scheduler:{self.stack.region}:{self.stack.account_id}:schedule/default/{rule}")
            if schedule.kind == "ScheduleV2"
            else ("aws.events", f"arn:{self.stack.partition}:events:{self.stack.region}:{self.stack.account_id}:rule/{rule}")
        )
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": source,
            "account": self.stack.account_id,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.stack.region,
            "resources": [resource],
            "detail": {},
        }

    def default_event(self, function: str) -> Any:
        """What `invoke FN` sends without an event: the function's first schedule's event, else {}."""
        schedule = next((s for s in self.schedules if s.function == function), None)
        return self.scheduled_event(schedule) if schedule else {}

    def fire(self, function: str, name: str | None = None) -> Invocation:
        """Fire a function's schedule now (the first one, or the one called `name`)."""
        schedule = next((s for s in self.schedules if s.function == function and (name is None or s.name == name)), None)
        if schedule is None:
            raise KeyError(f"{function} has no schedule{' ' + name if name else ''}")
        return self.lam.invoke(function, self.scheduled_event(schedule))

    def _pump_schedules(self) -> None:
        upcoming: dict[int, datetime | None] = {}
        now = datetime.now(UTC)
        for index, schedule in enumerate(self.schedules):
            if not schedule.enabled:
                continue
            try:
                upcoming[index] = next_fire(schedule.expression, now)
            except ScheduleError as exc:
                log("events", f"{schedule.function}.{schedule.name}: {exc}; fire it on demand")
        while not self._stop.is_set():
            now = datetime.now(UTC)
            for index, when in list(upcoming.items()):
                if when is not None and when <= now:
                    schedule = self.schedules[index]
                    log("events", f"{schedule.function}: {schedule.expression} fired")
                    threading.Thread(target=self.lam.invoke, args=(schedule.function, self.scheduled_event(schedule)),
                                     daemon=True).start()
                    upcoming[index] = next_fire(schedule.expression, when)
            self._stop.wait(min(1.0, self.poll * 2))


# -- event shapes -------------------------------------------------------------------------
def _complete_s3_record(record: dict) -> dict:
    """moto's S3 record with the fields S3 also sends (identity, request ids, sequencer)."""
    record = json.loads(json.dumps(record))
    record.setdefault("userIdentity", {"principalId": "AWS:LOCAL"})
    record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
    record.setdefault("responseElements", {"x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                                           "x-amz-id-2": uuid.uuid4().hex})
    s3 = record.setdefault("s3", {})
    s3.setdefault("bucket", {}).setdefault("ownerIdentity", {"principalId": "LOCAL"})
    s3.setdefault("object", {}).setdefault("sequencer", f"{time.time_ns():X}")
    return record


def _sns_record(envelope: dict, subscription: str) -> dict:
    """An SNS notification (as delivered to SQS) in the shape Lambda receives it."""
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": envelope.get("SignatureVersion", "1"),
            "Timestamp": envelope.get("Timestamp"),
            "Signature": envelope.get("Signature", "LOCAL"),
            "SigningCertUrl": envelope.get("SigningCertURL", ""),
            "MessageId": envelope.get("MessageId"),
            "Message": envelope.get("Message"),
            "MessageAttributes": envelope.get("MessageAttributes", {}),
            "Type": envelope.get("Type", "Notification"),
            "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
            "TopicArn": envelope.get("TopicArn"),
            "Subject": envelope.get("Subject"),
        },
    }


def _sqs_record(message: dict, arn: str, region: str) -> dict:
    attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        attributes[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(value["BinaryValue"]).decode() if value.get("BinaryValue") else None,
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value.get("DataType"),
        }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": region,
    }


def _sqs_filter_view(record: dict) -> dict:
    # Lambda matches `body` as JSON when it parses as JSON, as a plain string otherwise.
    try:
        body = json.loads(record["body"])
    except ValueError:
        body = record["body"]
    return {**record, "body": body}


def _stream_record(record: dict, arn: str) -> dict:
    data = dict(record.get("dynamodb") or {})
    created = data.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        data["ApproximateCreationDateTime"] = int(created.timestamp())
    return _jsonable({**record, "dynamodb": data, "eventSourceARN": arn})


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _batch_failures(result: Any) -> set[str] | None:
    """Identifiers from `batchItemFailures`; None when the response is malformed (retry all)."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    failures = result["batchItemFailures"]
    if not isinstance(failures, list):
        return None
    ids = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier:
            return None
        ids.add(str(identifier))
    return ids

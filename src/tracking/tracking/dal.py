"""The tracking table, the positions queue and the reads of tasks and routes; AWS shapes stay here.

    >>> tracking = TrackingTable(os.environ["TRACKING_TABLE"])
    >>> tracking.put_points(point_items)          # BatchWriteItem, 25 a request
    []                                            # nothing left unwritten
    >>> items, last = tracking.track_page("t1", limit=100, after=None)

The TrackingTable holds, under the partition `TASK#<taskId>`:

- chunk items, sort key `PT#<first ts>#<digest of its points>`: the points of up to
  `CHUNK_SPAN`, in one string (time order; writing the same points again overwrites the
  same item, so a redelivery adds nothing; one-point items of an earlier design are
  still read);
- one live item, sort key `LIVE`: the latest position, distance and progress, and the
  newest points not yet in a chunk (`tracking.models.encode_points`). While the
  task runs it also carries `livePk = "LIVE#<shard>"` (`live_shard`: a hash of the task
  into `LIVE_SHARDS` values, so no index partition takes every running task) and
  `liveSk = <taskId>`, the keys of the sparse, keys-only GSI `liveShards`; only live items
  of running tasks are in that index, so reading the live map costs in proportion to the
  running tasks, never to the points recorded. A
  task enters the index when it starts (`list_running`, from the tasks table's stream),
  with no position until its first point arrives, and leaves it when it stops running.

`Usage` counts the requests this process made, so the consumer can log what a batch cost.
"""
from __future__ import annotations

import hashlib
import heapq
import random
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable

from legwork_common.aws import client as aws_client, dynamodb
from tracking.models import CHUNK_SPAN, POINT_PREFIX, Point, buffered_points, format_utc, parse_utc, points_from_item

LIVE_INDEX = "liveShards"
# The live index is spread over this many partition key values (a hash of the task), so no
# single key takes every running task; GET /live reads them in turn, a page at a time. Changing it
# strands listed tasks under shards no longer read: re-list them (LiveIndexFunction) first.
LIVE_SHARDS = 16
LIVE_SORT_KEY = "LIVE"
BATCH_WRITE_MAX = 25
BATCH_GET_MAX = 100
WRITE_ATTEMPTS = 8


def task_partition(task_id: str) -> str:
    return f"TASK#{task_id}"


def live_shard(task_id: str) -> str:
    """The `live` index partition of a task: `LIVE#00` … `LIVE#15`, by a hash of its id."""
    return f"LIVE#{int(hashlib.sha256(task_id.encode()).hexdigest()[:8], 16) % LIVE_SHARDS:02d}"


@dataclass
class Usage:
    """DynamoDB requests as issued, what they wrote, and the request units they are billed.

    Units are counted from item sizes by DynamoDB's rules (`item_size`): one write unit
    per KB of each item written, again for each index it is written to; one read unit per
    4 KB of each item read strongly consistently, half that eventually consistently. A
    conditional write that fails still costs its write unit.
    """

    read_requests: int = 0
    write_requests: int = 0
    items_written: int = 0
    unprocessed_retries: int = 0
    write_units: float = 0.0
    read_units: float = 0.0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def add(self, other: "Usage") -> None:
        """Count `other`'s requests in these (a worker thread's counts, once it is done)."""
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


def item_size(value: Any, name: str = "") -> int:
    """The size DynamoDB bills for an attribute (or, with no name, a whole item), in bytes.

    Names and strings count their UTF-8 bytes; a number about one byte per two significant
    digits plus one; booleans and nulls one byte; a list or map 3 bytes plus one per
    element plus its elements (see "Item sizes" in the DynamoDB developer guide).
    """
    size = len(name.encode("utf-8"))
    if isinstance(value, dict):
        if not name:  # the item itself: its attributes, nothing more
            return sum(item_size(v, str(k)) for k, v in value.items())
        return size + 3 + sum(item_size(v, str(k)) + 1 for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return size + 3 + sum(item_size(v) + 1 for v in value)
    if isinstance(value, bool) or value is None:
        return size + 1
    if isinstance(value, (int, float, Decimal)):
        digits = len(Decimal(str(value)).normalize().as_tuple().digits) if value else 1
        return size + min(21, (digits + 1) // 2 + 1)
    if isinstance(value, (bytes, bytearray)):
        return size + len(value)
    return size + len(str(value).encode("utf-8"))


def write_units(item: dict) -> int:
    """Write request units of writing `item` once (1 per KB, rounded up)."""
    return max(1, -(-item_size(item) // 1024))


def read_units(item: dict | None, *, consistent: bool) -> float:
    """Read request units of reading `item` (1 per 4 KB strongly consistent, half eventually)."""
    units = max(1, -(-item_size(item or {}) // 4096))
    return units if consistent else units / 2


def _backoff(attempt: int, sleep: Callable[[float], None]) -> None:
    # Full jitter, capped: UnprocessedItems means the table is throttling this partition.
    sleep(random.uniform(0, min(1.0, 0.05 * 2 ** attempt)))


def batch_get(requests: dict[str, dict], *, usage: Usage | None = None, resource: Any = None,
              sleep: Callable[[float], None] = time.sleep) -> dict[str, list[dict]]:
    """BatchGetItem over several tables at once, retrying UnprocessedKeys.

    `requests` maps a table name to `{"Keys": [...], "ProjectionExpression": ..., ...}`
    (at most 100 keys in all); the answer maps each table name to the items found.
    """
    resource = resource or dynamodb()
    found: dict[str, list[dict]] = {name: [] for name in requests}
    pending = {name: spec for name, spec in requests.items() if spec.get("Keys")}
    attempt = 0
    while pending:
        if usage:
            usage.read_requests += 1
        response = resource.batch_get_item(RequestItems=pending)
        for name, items in response.get("Responses", {}).items():
            found[name].extend(items)
            if usage:
                consistent = bool(requests[name].get("ConsistentRead"))
                usage.read_units += sum(read_units(item, consistent=consistent) for item in items)
        pending = response.get("UnprocessedKeys") or {}
        if pending:
            attempt += 1
            if attempt >= WRITE_ATTEMPTS:
                raise RuntimeError(f"BatchGetItem kept returning unprocessed keys for {sorted(pending)}")
            _backoff(attempt, sleep)
    return found


class TasksTable:
    """Reads of the TasksTable (owned by src/tasks; PK `taskId`)."""

    FIELDS = {"#i": "taskId", "#s": "status", "#a": "assigneeId", "#n": "assigneeName", "#r": "routeId",
              "#b": "startedAt"}

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.resource = resource or dynamodb()
        self.table = self.resource.Table(table_name)

    @property
    def name(self) -> str:
        return self.table.name

    def get(self, task_id: str) -> dict | None:
        """The task's tracking-relevant fields (strongly consistent: `start` may have just happened)."""
        response = self.table.get_item(
            Key={"taskId": task_id},
            ConsistentRead=True,
            ProjectionExpression=", ".join(self.FIELDS),
            ExpressionAttributeNames=self.FIELDS,
        )
        return response.get("Item")

    def get_request(self, task_ids: Iterable[str]) -> dict:
        """The BatchGetItem request for these tasks (to combine with other tables in one call)."""
        return {
            "Keys": [{"taskId": t} for t in task_ids],
            "ProjectionExpression": ", ".join(self.FIELDS),
            "ExpressionAttributeNames": self.FIELDS,
        }

    def get_many(self, task_ids: Iterable[str], *, usage: Usage | None = None) -> dict[str, dict]:
        """Tasks by id, 100 per request; unknown ids are simply absent."""
        ids = sorted(set(task_ids))
        found: dict[str, dict] = {}
        for start in range(0, len(ids), BATCH_GET_MAX):
            chunk = ids[start:start + BATCH_GET_MAX]
            items = batch_get({self.name: self.get_request(chunk)}, usage=usage, resource=self.resource)[self.name]
            found.update({item["taskId"]: item for item in items})
        return found


class RoutesTable:
    """Reads of the RoutesTable (owned by src/routes; PK `routeId`)."""

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.resource = resource or dynamodb()
        self.table = self.resource.Table(table_name)

    @property
    def name(self) -> str:
        return self.table.name

    def get_many(self, route_ids: Iterable[str], *, usage: Usage | None = None) -> dict[str, dict]:
        """Routes (`routeId`, `waypoints`, `lengthM`) by id; unknown ids are absent."""
        ids = sorted(set(route_ids))
        found: dict[str, dict] = {}
        names = {"#i": "routeId", "#w": "waypoints", "#l": "lengthM"}
        for start in range(0, len(ids), BATCH_GET_MAX):
            request = {"Keys": [{"routeId": r} for r in ids[start:start + BATCH_GET_MAX]],
                       "ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
            for item in batch_get({self.name: request}, usage=usage, resource=self.resource)[self.name]:
                found[item["routeId"]] = item
        return found


class TrackingTable:
    """The TrackingTable: points and live items (see the module's docstring for the keys)."""

    def __init__(self, table_name: str, resource: Any = None, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.resource = resource or dynamodb()
        self.table = self.resource.Table(table_name)
        self.sleep = sleep

    @property
    def name(self) -> str:
        return self.table.name

    @staticmethod
    def live_key(task_id: str) -> dict[str, str]:
        return {"pk": task_partition(task_id), "sk": LIVE_SORT_KEY}

    def live_request(self, task_ids: Iterable[str]) -> dict:
        """The BatchGetItem request for these tasks' live items (consistent: the consumer decides on them)."""
        return {"Keys": [self.live_key(t) for t in task_ids], "ConsistentRead": True}

    # -- writes of the consumer --------------------------------------------------------
    def put_points(self, items: list[dict], *, usage: Usage | None = None) -> list[dict]:
        """Write point items with BatchWriteItem, 25 a request, retrying UnprocessedItems.

        Keys must be unique in `items`. Returns the items still unwritten after
        `WRITE_ATTEMPTS` tries of their request (empty when all were written).
        """
        failed: list[dict] = []
        for start in range(0, len(items), BATCH_WRITE_MAX):
            pending = [{"PutRequest": {"Item": item}} for item in items[start:start + BATCH_WRITE_MAX]]
            attempt = 0
            while pending:
                if usage:
                    usage.write_requests += 1
                    if attempt:
                        usage.unprocessed_retries += 1
                response = self.resource.batch_write_item(RequestItems={self.name: pending})
                unprocessed = (response.get("UnprocessedItems") or {}).get(self.name) or []
                if usage:
                    usage.items_written += len(pending) - len(unprocessed)
                    left = {id(request["PutRequest"]["Item"]) for request in unprocessed}
                    usage.write_units += sum(write_units(request["PutRequest"]["Item"]) for request in pending
                                             if id(request["PutRequest"]["Item"]) not in left)
                pending = unprocessed
                if pending:
                    attempt += 1
                    if attempt >= WRITE_ATTEMPTS:
                        failed.extend(request["PutRequest"]["Item"] for request in pending)
                        break
                    _backoff(attempt, self.sleep)
        return failed

    def get_live(self, task_id: str, *, usage: Usage | None = None) -> dict | None:
        """The task's live item, strongly consistent (safe to call from several threads)."""
        if usage:
            usage.read_requests += 1
        response = self.table.meta.client.get_item(TableName=self.name, Key=self.live_key(task_id),
                                                   ConsistentRead=True)
        if usage:
            usage.read_units += read_units(response.get("Item"), consistent=True)
        return response.get("Item")

    def live_item(self, task_id: str, fields: dict[str, Any], *, new_ts: str, in_index: bool) -> dict[str, Any]:
        """The live item `put_live` writes (to weigh it before writing: `write_units`)."""
        item = {k: v for k, v in fields.items() if v is not None}
        item.update(self.live_key(task_id), lastTs=new_ts)
        if in_index:
            item.update(livePk=live_shard(task_id), liveSk=task_id)
        return item

    def stored_points(self, task_id: str, *, since: str, until: str, usage: Usage | None = None) -> list[Point]:
        """The points of the chunk items starting from `since` to `until` (timestamps), read
        strongly consistently: what a late batch may already have stored."""
        args: dict[str, Any] = {
            "TableName": self.name, "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :to",
            "ExpressionAttributeValues": {":pk": task_partition(task_id), ":from": f"{POINT_PREFIX}{since}",
                                          ":to": f"{POINT_PREFIX}{until}$"},  # "$" follows "#"
        }
        client = self.table.meta.client  # thread-safe, unlike the Table resource
        found: list[Point] = []
        while True:
            response = client.query(**args)
            if usage:
                usage.read_requests += 1
                usage.read_units += max(1, -(-sum(item_size(i) for i in response.get("Items", [])) // 4096))
            for item in response.get("Items", []):
                found.extend(points_from_item(item))
            if "LastEvaluatedKey" not in response:
                return found
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def put_live(self, task_id: str, fields: dict[str, Any], *, previous_ts: str | None, new_ts: str,
                 in_index: bool, usage: Usage | None = None) -> bool:
        """Replace the live item with `fields` unless another writer got there first; False if so.

        Safe to call from several threads.

        The condition holds only if the item is still as read (`lastTs` equals
        `previous_ts`, or no item) and is older than `new_ts`: a late, older batch never
        moves the courier back, and two consumers of the same task never add the same
        stretch of distance twice. A whole-item put (one condition, no update expression)
        costs the same write unit as an update; leaving out `livePk`/`liveSk` takes the
        item out of the `live` index.
        """
        item = self.live_item(task_id, fields, new_ts=new_ts, in_index=in_index)
        names = {"#lt": "lastTs"}
        values: dict[str, Any] = {":new": new_ts}
        if previous_ts is None:
            condition = "attribute_not_exists(#lt)"
            values = {}
        else:
            condition = "#lt = :prev AND #lt < :new"
            values[":prev"] = previous_ts
        # The Table's client, not the Table: clients are thread-safe, resources are not, and
        # the consumer writes the live items of a batch's tasks concurrently. (The resource
        # registered its type (de)serialisation on this client, so values stay Python.)
        client = self.table.meta.client
        args: dict[str, Any] = {"TableName": self.name, "Item": item, "ConditionExpression": condition,
                                "ExpressionAttributeNames": names}
        if values:
            args["ExpressionAttributeValues"] = values
        if usage:
            usage.write_requests += 1
            # The index projects keys only: a listed item whose keys stay the same costs the
            # index nothing; only entering or leaving it does.
            usage.write_units += write_units(item)
        try:
            client.put_item(**args)
        except client.exceptions.ConditionalCheckFailedException:
            return False
        if usage:
            usage.items_written += 1
        return True

    # -- reads of the API --------------------------------------------------------------
    def track_page(self, task_id: str, *, limit: int, after: str | None) -> tuple[list[Point], str | None]:
        """Up to `limit` points in time order after point key `after`, and the last key if more follow.

        Stored items (chunks) are read in key order, which is the order of their first
        points; chunks may overlap in time (a late batch), so their points are merged: a
        point is final once a chunk starting after it has been read, or when no chunk is
        left. A chunk never spans more than `CHUNK_SPAN`, so the page after `after` starts
        reading that far before it. The same point stored twice is given once.

        The live item's buffer (the newest points, not yet in a chunk) is read first and
        merged as one more chunk: points the consumer moves from the buffer to a chunk
        meanwhile are then found in one or the other, or both, never in neither.
        """
        live = self.table.get_item(Key=self.live_key(task_id), ConsistentRead=True).get("Item")
        buffer = buffered_points(live)
        start = POINT_PREFIX
        if after:
            try:
                after_ts = parse_utc(after[len(POINT_PREFIX):].split("#", 1)[0])
            except ValueError:
                pass  # a cursor of the documented shape but not a time we wrote: still a position, read from the start
            else:
                start = f"{POINT_PREFIX}{format_utc(after_ts - CHUNK_SPAN)}"
        args: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :to",
            "ExpressionAttributeValues": {":pk": task_partition(task_id), ":from": start,
                                          ":to": POINT_PREFIX[:-1] + "$"},  # "$" follows "#"
        }
        pending: list[tuple[str, Point]] = []  # a heap of (key, point) not yet given
        page: list[Point] = []
        last_key = after
        exhausted = False

        def give(upto: str | None) -> None:
            """Move points with keys below `upto` (all, if None) from the heap to the page."""
            nonlocal last_key
            while pending and len(page) <= limit and (upto is None or pending[0][0] < upto):
                key, point = heapq.heappop(pending)
                if last_key is not None and key <= last_key:
                    continue  # before the cursor, or the same point stored twice
                page.append(point)
                last_key = key

        def take(first_key: str, points: list[Point]) -> None:
            # Every chunk still unread starts at or after this one: what sorts before its
            # first timestamp is final.
            give(first_key)
            for point in points:
                heapq.heappush(pending, (point.sort_key, point))

        while len(page) <= limit and not exhausted:
            response = self.table.query(**args)
            for item in response.get("Items", []):
                first_key = f"{POINT_PREFIX}{item.get('firstTs', item.get('ts'))}"
                if buffer and buffer[0].sort_key <= first_key:
                    take(buffer[0].sort_key, buffer)
                    buffer = []
                take(first_key, points_from_item(item))
            if "LastEvaluatedKey" in response:
                args["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            else:
                exhausted = True
        if exhausted:
            if buffer:
                take(buffer[0].sort_key, buffer)
            give(None)
        more = len(page) > limit
        page = page[:limit]
        return page, (page[-1].sort_key if more and page else None)

    def live_page(self, *, limit: int, after: tuple[int, str | None] | None = None,
                  ) -> tuple[list[dict], tuple[int, str | None] | None]:
        """One page of the live items listed in the `live` index (the tasks running when
        last written), and where the next page starts: (shard, last task id of that shard
        read, None for the shard's start), or None after the last shard.

        The index holds keys only (a live item rewritten with every batch costs the index
        nothing). Its shards are read in turn, each from where the previous page stopped,
        until `limit` keys are found; then the items are read 100 a request.
        """
        shard, last = after or (0, None)
        keys: list[dict] = []
        while shard < LIVE_SHARDS and len(keys) < limit:
            args: dict[str, Any] = {
                "TableName": self.name, "IndexName": LIVE_INDEX, "KeyConditionExpression": "livePk = :live",
                "ExpressionAttributeValues": {":live": f"LIVE#{shard:02d}"}, "Limit": limit - len(keys),
            }
            if last is not None:
                args["ExclusiveStartKey"] = {"livePk": f"LIVE#{shard:02d}", "liveSk": last,
                                             "pk": task_partition(last), "sk": LIVE_SORT_KEY}
            response = self.table.meta.client.query(**args)
            keys.extend({"pk": item["pk"], "sk": item["sk"]} for item in response.get("Items", []))
            if "LastEvaluatedKey" in response:
                last = response["LastEvaluatedKey"]["liveSk"]
            else:
                shard, last = shard + 1, None
        items: list[dict] = []
        for start in range(0, len(keys), BATCH_GET_MAX):
            items += batch_get({self.name: {"Keys": keys[start:start + BATCH_GET_MAX]}},
                               resource=self.resource)[self.name]
        # Between the two reads a task may have left the index: only items still listed count.
        return [item for item in items if item.get("livePk")], ((shard, last) if shard < LIVE_SHARDS else None)

    def list_running(self, task_id: str, *, route_id: str | None, courier_id: str | None,
                     courier_name: str | None) -> None:
        """Put a task that has just started into the `live` index, before its first point.

        Creates the live item with no position (`lastTs` absent, so the consumer's first
        write replaces it whole), or, if one exists, only adds the index keys: a position
        already recorded is never touched, whichever of the two writers comes first.
        """
        names = {"#t": "taskId", "#lp": "livePk", "#ls": "liveSk", "#st": "taskStatus", "#r": "routeId",
                 "#c": "courierId", "#n": "courierName", "#d": "distanceM"}
        values: dict[str, Any] = {":id": task_id, ":live": live_shard(task_id), ":running": "in_progress",
                                  ":zero": 0}
        sets = ["#t = :id", "#lp = :live", "#ls = :id", "#st = :running", "#d = if_not_exists(#d, :zero)"]
        for placeholder, name, value in ((":r", "#r", route_id), (":c", "#c", courier_id), (":n", "#n", courier_name)):
            if value is not None:
                sets.append(f"{name} = if_not_exists({name}, {placeholder})")
                values[placeholder] = value
            else:
                del names[name]
        self.table.update_item(Key=self.live_key(task_id), UpdateExpression="SET " + ", ".join(sets),
                               ExpressionAttributeNames=names, ExpressionAttributeValues=values)

    def drop_from_live(self, task_id: str) -> None:
        """Take a task's live item out of the `live` index (the task no longer runs)."""
        client = self.table.meta.client
        try:
            self.table.update_item(Key=self.live_key(task_id), UpdateExpression="REMOVE livePk, liveSk",
                                   ConditionExpression="attribute_exists(livePk)")
        except client.exceptions.ConditionalCheckFailedException:
            pass  # already out


class PositionsQueue:
    """The SQS queue that buffers accepted batches in front of the consumer."""

    def __init__(self, queue_url: str, client: Any = None) -> None:
        self.url = queue_url
        self.client = client or aws_client("sqs")

    def send(self, body: str) -> str:
        """Queue one message; its MessageId."""
        return self.client.send_message(QueueUrl=self.url, MessageBody=body)["MessageId"]

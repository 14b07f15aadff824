"""Make moto's DynamoDB as atomic as DynamoDB, for the emulator `make dev` runs on.

moto (5.2) applies a `TransactWriteItems` by deep-copying the tables it touches and, when
a condition fails, putting the copies back in place of the tables:

- with no lock: under concurrent requests a refused transaction restores a copy taken
  before another request's write, and erases that write (a claim race lost the winner's
  counter item in most runs). So moto's DynamoDB dispatch is serialised — DynamoDB
  itself serialises conflicting writes on an item, so nothing observable is lost;
- the copy carries a new stream shard, while every open shard iterator (the runtime's
  stream pump) holds the old one: after the first refused transaction the pump would see
  no more records;
- the copy is of whole tables, stream records included, on every transaction: a claim
  took 0.2 s with 100 tasks and 0.6 s with 700, and `bench ingest`'s set-up of 2,000
  couriers slowed down as it went. So a transaction now notes the items it names and the
  length of each stream shard, and a refused one puts those items back and drops the
  records it added; the tables stay the same objects, and moto's own copy is skipped.

And one of its SQS receive paths is quadratic: `receive_message` checks each message it
hands out against the queue's retention period by building every queue attribute, two of
which walk all the queue's messages. With a backlog of a few thousand messages (the
positions queue while `bench ingest` drives 2,000 couriers) every receive walked the
backlog about thirty times. The check now reads the retention period itself.

`apply()` patches this process (the threaded moto server); `serve(port)` runs a patched
moto server as its own process.
"""
from __future__ import annotations

import copy
import threading
from typing import Any, Callable

_applied = False
_lock = threading.RLock()


def apply() -> None:
    """Patch moto's DynamoDB in this process; calling it again does nothing."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.dynamodb import models as dynamodb_models
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.responses import DynamoHandler

        dispatch_lock = threading.RLock()
        original_call = DynamoHandler.call_action
        original_transact = DynamoDBBackend.transact_write_items

        def call_action(self):  # type: ignore[no-untyped-def]
            with dispatch_lock:
                return original_call(self)

        def transact_write_items(self, transact_items):  # type: ignore[no-untyped-def]
            undo = _undo_log(self, transact_items)
            try:
                return original_transact(self, transact_items)
            except BaseException:
                undo()
                raise

        DynamoHandler.call_action = call_action
        DynamoDBBackend.transact_write_items = transact_write_items
        dynamodb_models.copy = _TablesKeptInPlace()
        _patch_sqs_retention()
        _applied = True


class _TablesKeptInPlace:
    """The `copy` module as `moto.dynamodb.models` sees it: a table is "copied" as itself
    (its transactions' backup; `_undo_log` does the undoing), anything else deep-copied."""

    @staticmethod
    def deepcopy(value: Any, memo: dict | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _undo_log(backend: Any, transact_items: list[dict]) -> Callable[[], None]:
    """What a `TransactWriteItems` may change, noted before it runs; calling the result
    puts it back: each named item as it was (or absent), each stream shard's records as
    they were. Runs under the dispatch lock, so nothing else writes in between."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    items: list[tuple[Any, Any, Any, Any]] = []  # (table, hash, range, the item as it was or None)
    shards: dict[int, tuple[Any, int]] = {}
    for entry in transact_items:
        try:
            _, op = next(iter(entry.items()))
            table = backend.tables[op["TableName"]]
            key = op["Key"] if "Key" in op else op["Item"]
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        except (AttributeError, KeyError, StopIteration, TypeError):
            continue  # moto refuses it before writing anything
        if range_value is not None:
            was = (table.items.get(hash_value) or {}).get(range_value)
        else:
            was = table.items.get(hash_value)
        items.append((table, hash_value, range_value, copy.deepcopy(was)))
        if table.stream_shard is not None:
            shards.setdefault(id(table.stream_shard), (table.stream_shard, len(table.stream_shard.items)))

    def undo() -> None:
        for table, hash_value, range_value, was in reversed(items):
            if range_value is None:
                if was is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = was
            elif was is None:
                table.items.get(hash_value, {}).pop(range_value, None)
                if hash_value in table.items and not table.items[hash_value]:
                    del table.items[hash_value]
            else:
                table.items[hash_value][range_value] = was
        for shard, length in shards.values():
            del shard.items[length:]

    return undo


def _patch_sqs_retention() -> None:
    from moto.sqs import models

    def is_message_valid_based_on_retention_period(self, queue_name, message):  # type: ignore[no-untyped-def]
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return retention_period + message.sent_timestamp / 1000 > models.unix_time()

    models.SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Run a patched moto server in this process until it is terminated."""
    apply()
    from moto.server import main

    main(["-H", host, "-p", str(port)])

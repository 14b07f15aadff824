"""Make moto's DynamoDB as atomic as DynamoDB, for the emulator `make dev` runs on.

moto (5.2) applies a `TransactWriteItems` by deep-copying the tables it touches and, when
a condition fails, putting the copies back in place of the tables:

- with no lock: under concurrent requests a refused transaction restores a copy taken
  before another request's write, and erases that write (a claim race lost the winner's
  counter item in most runs). So moto's DynamoDB dispatch is serialised — DynamoDB
  itself serialises conflicting writes on an item, so nothing observable is lost;
- the copy carries a new stream shard, while every open shard iterator (the runtime's
  stream pump) holds the old one: after the first refused transaction the pump would see
  no more records. So the old shard object is kept, with the restored records.

And one of its SQS receive paths is quadratic: `receive_message` checks each message it
hands out against the queue's retention period by building every queue attribute, two of
which walk all the queue's messages. With a backlog of a few thousand messages (the
positions queue while `bench ingest` drives 2,000 couriers) every receive walked the
backlog about thirty times. The check now reads the retention period itself.

`apply()` patches this process (the threaded moto server); `serve(port)` runs a patched
moto server as its own process.
"""
from __future__ import annotations

import threading

_applied = False
_lock = threading.RLock()


def apply() -> None:
    """Patch moto's DynamoDB in this process; calling it again does nothing."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.responses import DynamoHandler

        dispatch_lock = threading.RLock()
        original_call = DynamoHandler.call_action
        original_transact = DynamoDBBackend.transact_write_items

        def call_action(self):  # type: ignore[no-untyped-def]
            with dispatch_lock:
                return original_call(self)

        def transact_write_items(self, transact_items):  # type: ignore[no-untyped-def]
            shards = {
                name: table.stream_shard
                for name, table in self.tables.items()
                if getattr(table, "stream_shard", None) is not None
            }
            try:
                return original_transact(self, transact_items)
            finally:
                for name, shard in shards.items():
                    table = self.tables.get(name)
                    if table is not None and table.stream_shard is not shard:  # rolled back: a copy
                        shard.items[:] = table.stream_shard.items
                        shard.table = table
                        table.stream_shard = shard

        DynamoHandler.call_action = call_action
        DynamoDBBackend.transact_write_items = transact_write_items
        _patch_sqs_retention()
        _applied = True


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

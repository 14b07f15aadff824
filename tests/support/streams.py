"""A DynamoDB table's stream in moto, read as Lambda delivers it to a function (filters applied)."""
from __future__ import annotations

from datetime import datetime

import boto3

from legwork.local import patterns


class TableStream:
    """The records of `table`'s stream, from its start, as `function`'s `event` would receive them.

        >>> stream = TableStream(stack, "TasksTable", "NotifyTaskChangeFunction", "TaskStatusChanged")
        >>> records = stream.read()          # written since the last read, through the filters
    """

    def __init__(self, stack, table: str, function: str, event: str) -> None:
        self.arn = stack.attr(table, "StreamArn")
        self.client = boto3.client("dynamodbstreams")
        props = stack.function(function)["Events"][event]["Properties"]
        self.filters = [patterns.parse(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", [])]
        shards = self.client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        self.iterators = {
            s["ShardId"]: self.client.get_shard_iterator(StreamArn=self.arn, ShardId=s["ShardId"],
                                                         ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            for s in shards
        }

    def read(self, *, filtered: bool = True) -> list[dict]:
        """The records written since the last read (matching a filter, unless `filtered=False`)."""
        records = []
        for shard, iterator in self.iterators.items():
            response = self.client.get_records(ShardIterator=iterator)
            self.iterators[shard] = response["NextShardIterator"]
            records += [lambda_record(r, self.arn) for r in response["Records"]]
        if filtered and self.filters:
            records = [r for r in records if any(patterns.matches(p, r) for p in self.filters)]
        return records


def lambda_record(record: dict, arn: str) -> dict:
    data = dict(record["dynamodb"])
    if isinstance(data.get("ApproximateCreationDateTime"), datetime):
        data["ApproximateCreationDateTime"] = int(data["ApproximateCreationDateTime"].timestamp())
    return {**record, "dynamodb": data, "eventSourceARN": arn}

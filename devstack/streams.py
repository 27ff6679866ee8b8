"""DynamoDB streams in the local stack and the tests, delivered as Lambda's
event source mapping delivers them on AWS.

moto keeps a table's stream (DescribeStream, GetShardIterator, GetRecords):
``StreamReader`` follows its shards from where it was opened (LATEST: what is
written after set-up; TRIM_HORIZON: everything, for tests) and ``stream_pump``
hands each batch to an ``on_dynamodb_record`` handler of the app as a Lambda
event. A batch answered with ``batchItemFailures`` is retried from the first
failed record (ReportBatchItemFailures), up to ``MAX_RETRIES`` times, then
given up on as Lambda's on-failure destination would take it (infra sets the
same number): the watcher's outbox sweep starts what is left.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

MAX_RETRIES = 3  # infra/functions.py STREAM_MAX_RETRIES
REDISCOVER_S = 5.0  # how often the reader looks for new shards (DescribeStream)


def stream_lambda_event(records: list[dict[str, Any]], stream_arn: str, region: str) -> dict[str, Any]:
    """Lambda's DynamoDB stream event for GetRecords' records (its times are epoch seconds)."""
    out = []
    for record in records:
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            change["ApproximateCreationDateTime"] = int(created.timestamp())
        out.append({**record, "dynamodb": change, "awsRegion": region, "eventSourceARN": stream_arn})
    return {"Records": out}


class StreamReader:
    """Reads one table's stream in order, shard by shard, from LATEST or TRIM_HORIZON."""

    def __init__(self, dynamodb: Any, streams: Any, table: str, *, start: str = "LATEST"):
        self.streams = streams
        self.arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self._start = start
        self._iterators: dict[str, str | None] = {}  # shard -> its next iterator (None: closed, read)
        self._after: dict[str, str] = {}  # shard -> last sequence number handed out
        self._discovered = 0.0
        self._discover()

    def _discover(self) -> None:
        self._discovered = time.monotonic()
        shards = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.arn, ShardId=shard_id, ShardIteratorType=self._start)["ShardIterator"]
        self._start = "TRIM_HORIZON"  # shards found later are read whole

    def read(self, limit: int = 100) -> list[dict[str, Any]]:
        """The next records (possibly none). New shards are looked for every ``REDISCOVER_S``."""
        if time.monotonic() - self._discovered > REDISCOVER_S:
            self._discover()
        for shard_id, iterator in self._iterators.items():
            if iterator is None:
                continue
            answer = self.streams.get_records(ShardIterator=iterator, Limit=limit)
            self._iterators[shard_id] = answer.get("NextShardIterator")
            if answer["Records"]:
                self._after[shard_id] = answer["Records"][-1]["dynamodb"]["SequenceNumber"]
                return answer["Records"]
        return []


def matches(value: Any, pattern: Any) -> bool:
    """Lambda's event filtering, the part the app uses: a pattern is a dict of
    keys to sub-patterns, ending in a list of the values allowed."""
    if isinstance(pattern, list):
        return value in pattern
    return isinstance(value, dict) and all(matches(value.get(k), p) for k, p in pattern.items())


def deliver(handle: Callable[[dict[str, Any], Any], Any], records: list[dict[str, Any]], stream_arn: str,
            region: str, context: Any, *, max_retries: int = MAX_RETRIES,
            pattern: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Hand ``records`` to ``handle`` as Lambda does with ReportBatchItemFailures: only
    those matching the mapping's filter ``pattern``; a batch that fails (raises, or
    names failed records) is retried from its first failed record, ``max_retries``
    times. Returns the records given up on (what the on-failure queue would describe)."""
    batch = [r for r in records if pattern is None or matches(r, pattern)]
    if not batch:
        return []
    for _attempt in range(max_retries + 1):
        try:
            answer = handle(stream_lambda_event(batch, stream_arn, region), context) or {}
            failed = [f["itemIdentifier"] for f in answer.get("batchItemFailures", [])]
        except Exception:  # noqa: BLE001 - Lambda retries a batch whose function raised, whole
            failed = [batch[0]["dynamodb"]["SequenceNumber"]]
        if not failed:
            return []
        first = min(int(seq) for seq in failed)
        batch = [r for r in batch if int(r["dynamodb"]["SequenceNumber"]) >= first]
    return batch


def stream_pump(table: str, handler_name: str, out: TextIO, *, client: Callable[[str], Any],
                handler: Callable[[str], Callable[[dict[str, Any], Any], Any]],
                context: Callable[[str], Any], region: str, pattern: dict[str, Any] | None = None,
                idle: float = 0.5):
    """A worker feeding the table's stream, from what is written after it starts, to an
    ``on_dynamodb_record`` handler of the app."""
    def loop(stopping: threading.Event) -> None:
        handle = handler(handler_name)
        reader = StreamReader(client("dynamodb"), client("dynamodbstreams"), table)
        while not stopping.is_set():
            records = reader.read()
            if not records:
                stopping.wait(idle)
                continue
            lost = deliver(handle, records, reader.arn, region, context(handler_name), pattern=pattern)
            if lost:
                out.write(f"engine | {handler_name} gave up on {len(lost)} stream record(s); "
                          "the outbox sweep retries them\n")
                out.flush()
    return loop

"""Starting case watchers from the meta table's stream.

A change that needs a watcher (a new case, a deadline moved earlier, a renewal)
writes an outbox record in its own transaction and is done: the request path
makes no Step Functions call and deletes nothing. The table's stream hands the
record to this consumer (the ``watch_stream`` Lambda), which starts the
execution and clears the record. Execution names are the case's and
generation's (adapters/stepfunctions.py ``execution_name``), so a replayed
batch, a retry after a partial failure and the outbox sweeper racing this
consumer all start one execution.

Failures are reported per record (Lambda's ``ReportBatchItemFailures``, through
Powertools' ``BatchProcessor``): Lambda retries from the first failed record,
bisects a failing batch, and after its retries parks the batch's description in
the on-failure queue (infra/functions.py). The outbox record stays throughout,
so the minute sweeper (case_watch.WatchService.sweep_outbox) starts it anyway.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from chalicelib.observability import logger
from chalicelib.services.ports import WatchStart

# What a stream record asks to start (adapters/watch_stream.py outbox_start): None for none.
Parse = Callable[[dict[str, Any]], WatchStart | None]


class WatchStream:
    def __init__(self, cases: Any, parse: Parse):
        self.cases = cases
        self._parse = parse

    def start(self, record: dict[str, Any]) -> bool:
        """Start the watcher one stream record asks for; False when it asks for
        none. Raises when the start failed: the record is reported as failed."""
        start = self._parse(record)
        if start is None:
            return False
        self.cases.start_outbox(start, raise_errors=True)
        return True

    def _record(self, record: Any) -> bool:  # Powertools passes ``record=`` (a DynamoDBRecord)
        return self.start(record.raw_event)

    def handle(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        """A Lambda DynamoDB stream event; returns ``{"batchItemFailures": [...]}``."""
        processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
        answer = process_partial_response(event=event, record_handler=self._record, processor=processor,
                                          context=context)
        if answer.get("batchItemFailures"):
            logger.warning("watcher starts failed; Lambda retries them, then the outbox sweep",
                           extra={"failed": len(answer["batchItemFailures"])})
        return dict(answer)

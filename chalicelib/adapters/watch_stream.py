"""The meta table's DynamoDB stream as the watcher's starter reads it: which
stream records are watcher outbox records (their key format is dynamodb.py's),
and the event source mapping's filter that lets only those reach the consumer.

Stream view NEW_IMAGE (models.MetaModel.Meta.stream_view_type): the record's
new image carries the outbox record's data (case, generation, first wake time).
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters.dynamodb import WATCH_OUTBOX
from chalicelib.services.ports import WatchStart

# Only a written (new or rewritten) outbox record asks for a start; its deletion
# (the start done) and every other meta row are not the consumer's business.
STARTING_EVENTS = ("INSERT", "MODIFY")


def stream_filter() -> dict[str, Any]:
    """The event source mapping's filter pattern (Lambda filters before invoking,
    so the table's other writes cost no invocation): infra/functions.py."""
    return {"eventName": list(STARTING_EVENTS), "dynamodb": {"Keys": {"pk": {"S": [WATCH_OUTBOX]}}}}


def outbox_start(record: dict[str, Any]) -> WatchStart | None:
    """The start a stream record asks for, or None when it asks for none."""
    if record.get("eventName") not in STARTING_EVENTS:
        return None
    change = record.get("dynamodb") or {}
    if (change.get("Keys") or {}).get("pk", {}).get("S") != WATCH_OUTBOX:
        return None
    data = (change.get("NewImage") or {}).get("data", {}).get("S")
    if not data:
        raise ValueError("an outbox record without its data: is the stream's view NEW_IMAGE?")
    return WatchStart.from_dict(json.loads(data))

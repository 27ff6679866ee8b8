"""The watcher starter: a Chalice blueprint with one event handler,
``watch_stream``, on the meta table's DynamoDB stream
(``app.register_blueprint(watch_stream_routes)``).

A submit (or any change that needs a new watcher generation) writes an outbox
record in its transaction; this handler starts the execution and clears the
record (chalicelib/services/watch_stream.py). It answers with the records that
failed (``batchItemFailures``), so Lambda retries only those.

The stream's ARN has a label DynamoDB picks when the stream is enabled, so no
name can say it at import: the decorator names the meta table, and infra
(infra/functions.py) sets the real ARN on the event source mapping, with what
Chalice's decorator cannot say (ReportBatchItemFailures, bisect on error,
retries, the on-failure queue, a filter on outbox records).
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import resources, runtime

watch_stream_routes = Blueprint(__name__)

NAMES = resources.names_at_import()
# Replaced by the table's StreamArn in infra; the local stack reads moto's stream itself.
STREAM_PLACEHOLDER = f"arn:aws:dynamodb:local:000000000000:table/{NAMES.meta_table}/stream/latest"
BATCH_SIZE = 25


@watch_stream_routes.on_dynamodb_record(stream_arn=STREAM_PLACEHOLDER, batch_size=BATCH_SIZE,
                                        starting_position="TRIM_HORIZON", name="watch_stream")
def watch_stream(event):
    """Start the watchers the stream's outbox records ask for; report failed records."""
    return runtime.watch_stream().handle(event.to_dict(), event.context)

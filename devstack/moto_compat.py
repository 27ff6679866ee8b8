"""One workaround for moto 5.2.1 (pinned in requirements-dev.txt), used by the
local stack and the tests.

moto deep-copies a state machine, with its running executions, on every
StartExecution. An execution waiting on a task token holds a lock that cannot
be copied, so starting a case's second watcher generation fails while the
first one waits (AWS has no such limit). A shallow copy is enough for what
moto uses the clone for.
"""
from __future__ import annotations

import copy
import types


def allow_concurrent_executions(setattr_=setattr) -> None:
    import moto.stepfunctions.parser.models as moto_sfn
    setattr_(moto_sfn, "copy", types.SimpleNamespace(deepcopy=copy.copy))


def serialize_dynamodb_writes() -> None:
    """moto's DynamoDB backs up every table a TransactWriteItems touches and
    restores the backup when any condition fails. Concurrent writers (the API
    threads of the local stack) then lose each other's writes: a case answered
    201 can vanish. One lock around every write keeps the local stack correct
    under concurrent requests (DynamoDB itself needs nothing of the kind)."""
    import functools
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_tenantdesk_serialized", False):
        return
    lock = threading.RLock()

    def locked(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            with lock:
                return method(*args, **kwargs)
        return wrapper

    for name in ("transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item"):
        if hasattr(DynamoDBBackend, name):
            setattr(DynamoDBBackend, name, locked(getattr(DynamoDBBackend, name)))
    DynamoDBBackend._tenantdesk_serialized = True

"""Workarounds for moto 5.2.1 (pinned in requirements-dev.txt), used by the
local stack and the tests. Each patches the emulator, never the product: the
product's code runs unchanged against AWS.

- Step Functions: moto deep-copies a state machine, with its running
  executions, on every StartExecution. An execution waiting on a task token
  holds a lock that cannot be copied, so starting a case's second watcher
  generation fails while the first one waits (AWS has no such limit). A
  shallow copy is enough for what moto uses the clone for.
- DynamoDB transactions: moto deep-copies every table a TransactWriteItems
  touches, to restore it if a condition fails. The cost grows with the table
  (a submit into a table of 1,000 cases copied all 1,000), and restoring the
  copy under concurrent writers throws their writes away. The replacement
  below keeps an undo record of the items the transaction itself touches.
- DynamoDB writes, and the reads that walk a table (Query, Scan), are
  serialised by one lock: a transaction's conditions and its writes see no
  other writer in between (the atomicity DynamoDB gives), and no read iterates
  a table while a write changes it (moto's "dictionary changed size during
  iteration"). moto is not thread-safe; DynamoDB is. The local stack's API and
  the tests' concurrent threads need it to be.
- Server hot paths: moto's server lists its own package directory (a stat per
  service, ~200) under one global lock on every request; every execution
  parses its state machine's ASL again with ANTLR (~25 ms of CPU, taken from
  the request that started it); its Step Functions tasks build a new boto3
  client (~10 ms) for every call. All three are cached. The parsed program is
  safe to share: its components keep an execution's state in the execution's
  own Environment, never on themselves (no eval method assigns to self).
"""
from __future__ import annotations

import copy
import functools
import sys
import threading
import types
from typing import Any


def allow_concurrent_executions(setattr_=setattr) -> None:
    import moto.stepfunctions.parser.models as moto_sfn
    setattr_(moto_sfn, "copy", types.SimpleNamespace(deepcopy=copy.copy))


def speed_up_server() -> None:
    """Cache what moto's server recomputes per request (see the module notes)."""
    import moto.backends
    from moto.stepfunctions.parser.asl.utils import boto_client as sfn_clients

    if getattr(moto.backends, "_tenantdesk_cached", False):
        return
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules
    moto.backends._tenantdesk_cached = True

    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    AmazonStateLanguageParser.parse = staticmethod(functools.lru_cache(maxsize=16)(AmazonStateLanguageParser.parse))

    make_client = sfn_clients.boto_client_for
    clients: dict[tuple, Any] = {}
    clients_lock = threading.Lock()

    @functools.wraps(make_client)
    def cached_client(region: str, service: str, state_credentials: Any = None):
        # The original ignores state_credentials too; a botocore client is thread-safe.
        key = (region, service, sfn_clients.botocore_stubber.enabled, sfn_clients.moto_server_port())
        with clients_lock:
            if key not in clients:
                clients[key] = make_client(region, service, state_credentials)
            return clients[key]

    sfn_clients.boto_client_for = cached_client  # for modules imported from now on
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions") and getattr(module, "boto_client_for", None) is make_client:
            module.boto_client_for = cached_client


def transact_write_items(self, transact_items: list[dict[str, Any]]) -> None:
    """moto's ``DynamoDBBackend.transact_write_items`` with its semantics and
    errors (cancellation reasons in request order, validation errors raised as
    such), rolling back by item instead of by table copy."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo: list[tuple[Any, Any, Any, Any]] = []  # (table, hash, range, item before) in the order applied
    targets: set[tuple[str, str]] = set()
    errors: list[tuple[Any, Any, Any]] = []

    def rollback() -> None:
        for table, hash_value, range_value, before in reversed(undo):
            if range_value is not None:
                if before is None:
                    table.items[hash_value].pop(range_value, None)
                else:
                    table.items[hash_value][range_value] = before
            elif before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before

    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException
        original_item = None
        try:
            op_type, op = next(iter(entry.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            condition = op.get("ConditionExpression")
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            table = self.get_table(table_name)
            if op_type == "Put":
                attrs = op["Item"]
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            target = (str(table_name), str(dict(sorted(key.items()))))
            if target in targets:
                raise MultipleTransactionsException()
            targets.add(target)

            hash_value, range_value = self.get_keys_value(table, key)
            current = table.get_item(hash_value, range_value)
            if condition is not None and not get_filter_expression(condition, names, values).expr(current):
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    original_item = current.to_json()["Attributes"]
                raise ConditionalCheckFailed(item=original_item)
            if op_type != "ConditionCheck":
                # Put and Delete replace the stored Item object; Update changes it in place.
                undo.append((table, hash_value, range_value,
                             copy.deepcopy(current) if op_type == "Update" else current))
            if op_type == "Put":
                self.put_item(table_name, op["Item"], condition_expression=condition,
                              expression_attribute_names=names, expression_attribute_values=values)
            elif op_type == "Delete":
                self.delete_item(table_name, key, condition_expression=condition,
                                 expression_attribute_names=names, expression_attribute_values=values)
            elif op_type == "Update":
                self.update_item(table_name, key, update_expression=op["UpdateExpression"],
                                 condition_expression=condition, expression_attribute_names=names,
                                 expression_attribute_values=values)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            rollback()
            raise
        except ConditionalCheckFailed as error:
            errors.append(("ConditionalCheckFailed", str(error.message), original_item))
        except Exception as error:  # noqa: BLE001 - moto reports any other failure as a cancellation reason
            errors.append((type(error).__name__, str(error), original_item))
    if any(code is not None for code, _, _ in errors):
        rollback()
        raise TransactionCanceledException(errors)


def make_dynamodb_thread_safe() -> None:
    """Item-level transactions, and one lock around every DynamoDB write and
    table-walking read of the in-process moto (see the module notes)."""
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

    # moto's own methods, kept for the differential test (tests/store/test_moto_compat.py).
    DynamoDBBackend._tenantdesk_moto_methods = {name: getattr(DynamoDBBackend, name) for name in (
        "transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item", "query", "scan")}
    DynamoDBBackend.transact_write_items = transact_write_items
    for name in ("transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item", "query",
                 "scan"):
        setattr(DynamoDBBackend, name, locked(getattr(DynamoDBBackend, name)))
    DynamoDBBackend._tenantdesk_serialized = True

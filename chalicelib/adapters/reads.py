"""GetItem, BatchGetItem and Query for pynamodb models, sent on the transactions' botocore client.

pynamodb's own paths (``Model.batch_get``, ``Index.query``) go through each model's
connection: its client sends botocore's full User-Agent, rebuilt twice per request,
and every request passes pynamodb's generic operation machinery. The submit path's
two reads (the counter and idempotency record; the duplicate candidates) and a
case action's read of the case come here instead (bench/submit_path.py): the request is built from the model's
attributes and pynamodb expressions, the answer becomes model instances through
``Model.from_raw_data``, exactly as pynamodb makes them, and a failure raises
pynamodb's ``GetError``/``QueryError`` as before.
"""
from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import GetError, QueryError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from chalicelib.adapters.transact import key_names

M = TypeVar("M", bound=Model)

# BatchGetItem may answer with some keys unprocessed (throttling): asked again, with
# a growing, jittered pause, up to this many times in all.
BATCH_ATTEMPTS = 6
BATCH_PAUSE_S = 0.02


def _typed(model_cls: type[Model], name: str, value: Any) -> dict[str, Any]:
    attribute = model_cls.get_attributes()[name]
    return {attribute.attr_type: attribute.serialize(value)}


def get(client: Any, model_cls: type[M], hash_value: Any, range_value: Any = None, *,
        consistent_read: bool = False) -> M:
    """One item by its key (GetItem), as ``Model.get``: ``DoesNotExist`` when absent."""
    hash_name, range_name = key_names(model_cls)
    key = {hash_name: _typed(model_cls, hash_name, hash_value)}
    if range_name is not None:
        key[range_name] = _typed(model_cls, range_name, range_value)
    try:
        answer = client.get_item(TableName=model_cls.Meta.table_name, Key=key, ConsistentRead=consistent_read)
    except (ClientError, BotoCoreError) as exc:
        raise GetError("Failed to get item", exc) from exc
    if "Item" not in answer:
        raise model_cls.DoesNotExist()
    return model_cls.from_raw_data(answer["Item"])


BATCH_KEYS = 100  # BatchGetItem's limit per request


def batch_get(client: Any, model_cls: type[M], keys: Sequence[tuple[Any, Any]]) -> list[M]:
    """The items with these (hash, range) keys that exist, in no particular order:
    one BatchGetItem per 100 keys, unprocessed keys asked again."""
    hash_name, range_name = key_names(model_cls)
    wanted = []
    for hash_value, range_value in dict.fromkeys(keys):  # BatchGetItem refuses duplicate keys
        key = {hash_name: _typed(model_cls, hash_name, hash_value)}
        if range_name is not None:
            key[range_name] = _typed(model_cls, range_name, range_value)
        wanted.append(key)
    found: list[M] = []
    for start in range(0, len(wanted), BATCH_KEYS):
        found += _batch_get_page(client, model_cls, wanted[start:start + BATCH_KEYS])
    return found


def _batch_get_page(client: Any, model_cls: type[M], wanted: list[dict[str, Any]]) -> list[M]:
    table = model_cls.Meta.table_name
    pending: dict[str, Any] = {table: {"Keys": wanted}}
    found: list[M] = []
    for attempt in range(BATCH_ATTEMPTS):
        try:
            answer = client.batch_get_item(RequestItems=pending)
        except (ClientError, BotoCoreError) as exc:
            raise GetError("Failed to batch get items", exc) from exc
        found += [model_cls.from_raw_data(raw) for raw in answer.get("Responses", {}).get(table, [])]
        pending = answer.get("UnprocessedKeys") or {}
        if not pending:
            return found
        time.sleep(BATCH_PAUSE_S * (2 ** attempt) * random.uniform(0.5, 1.0))
    raise GetError("Failed to batch get items: keys still unprocessed after retries")


def query(client: Any, model_cls: type[M], *, key_condition: Condition, index: str | None = None,
          newest_first: bool = False, limit: int) -> list[M]:
    """Up to ``limit`` items matching ``key_condition`` (a pynamodb condition on the
    table's or ``index``'s keys), in key order (reversed with ``newest_first``):
    one Query, more pages only while a page ended before ``limit`` (1 MB)."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    request: dict[str, Any] = {"TableName": model_cls.Meta.table_name,
                               "KeyConditionExpression": key_condition.serialize(names, values),
                               "ScanIndexForward": not newest_first}
    if index is not None:
        request["IndexName"] = index
    request["ExpressionAttributeNames"] = {placeholder: name for name, placeholder in names.items()}
    request["ExpressionAttributeValues"] = values
    found: list[M] = []
    while len(found) < limit:
        request["Limit"] = limit - len(found)
        try:
            answer = client.query(**request)
        except (ClientError, BotoCoreError) as exc:
            raise QueryError("Failed to query items", exc) from exc
        found += [model_cls.from_raw_data(raw) for raw in answer.get("Items", [])]
        if not answer.get("LastEvaluatedKey"):
            break
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    return found

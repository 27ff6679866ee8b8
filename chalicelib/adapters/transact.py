"""TransactWriteItems built from pynamodb model instances, with less machinery per item.

pynamodb's ``TransactWrite`` turns each item into request arguments through the
model's connection's generic operation path (identifier maps, table metadata,
signals, a consumed-capacity request), about a third of a submit's CPU
(bench/submit_path.py). ``Transaction`` builds the same request itself:

- an item is the model's own ``serialize()`` (the models stay the schema: names,
  types, defaults), its version attribute stepped and conditioned exactly as
  pynamodb does (``version = n`` and n + 1 written; or "does not exist" and 1);
- conditions and update actions are pynamodb expressions, serialised by pynamodb;
- it is sent on the connection's own botocore client (its retries, timeouts,
  no client-side parameter validation, the fixed User-Agent of dynamodb.py);
- a cancelled transaction raises pynamodb's ``TransactWriteError`` with the
  cancellation reasons, so callers handle failures exactly as before.

Items go in the order they are added (pynamodb groups them: checks, deletes, puts,
updates); callers that zip the reasons with their own list of operations add
them in that list's order. tests/store/test_transact.py proves the request
equals pynamodb's for the same items.
"""
from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action, Update
from pynamodb.models import Model

_KEYS: dict[type, tuple[str, str | None]] = {}


def key_names(model_cls: type[Model]) -> tuple[str, str | None]:
    """The model's hash and range key attribute names (range: None when it has none)."""
    names = _KEYS.get(model_cls)
    if names is None:
        hash_attr = model_cls._hash_key_attribute()
        range_attr = model_cls._range_key_attribute()
        names = _KEYS[model_cls] = (hash_attr.attr_name, range_attr.attr_name if range_attr else None)
    return names


def _expressions(target: dict[str, Any], condition: Condition | None,
                 actions: list[Action] | None = None) -> dict[str, Any]:
    """Add the condition and update expressions (with their placeholders) to ``target``."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    if condition is not None:
        target["ConditionExpression"] = condition.serialize(names, values)
    if actions:
        target["UpdateExpression"] = Update(*actions).serialize(names, values)
    if names:
        target["ExpressionAttributeNames"] = {placeholder: name for name, placeholder in names.items()}
    if values:
        target["ExpressionAttributeValues"] = values
    return target


def _and(condition: Condition | None, other: Condition | None) -> Condition | None:
    if other is None:
        return condition
    return other if condition is None else condition & other


class Transaction:
    """One TransactWriteItems: ``save``/``update`` as pynamodb's ``TransactWrite`` has
    them (what the case writes use; the rarer transactions elsewhere keep pynamodb's),
    then ``commit()`` (or use it as a context manager, committing on a clean exit)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.items: list[dict[str, Any]] = []
        self._stepped: list[Model] = []

    def save(self, model: Model, condition: Condition | None = None) -> None:
        item = model.serialize(null_check=True)
        condition = _and(condition, model._handle_version_attribute(attributes=item))
        self.items.append({"Put": _expressions({"TableName": model.Meta.table_name, "Item": item}, condition)})
        self._stepped.append(model)

    def update(self, model: Model, actions: list[Action], condition: Condition | None = None, *,
               add_version_condition: bool = True) -> None:
        actions = list(actions)
        version = model._handle_version_attribute(actions=actions)
        if add_version_condition:
            condition = _and(condition, version)
        self.items.append({"Update": _expressions({"TableName": model.Meta.table_name, "Key": self._key(model)},
                                                  condition, actions)})
        self._stepped.append(model)

    @staticmethod
    def _key(model: Model) -> dict[str, Any]:
        hash_name, range_name = key_names(type(model))
        attrs = model.serialize(null_check=False)
        key = {hash_name: attrs[hash_name]}
        if range_name is not None:
            key[range_name] = attrs[range_name]
        return key

    def commit(self) -> None:
        if not self.items:
            return
        try:
            self._client.transact_write_items(TransactItems=self.items)
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            request_id = exc.response.get("ResponseMetadata", {}).get("RequestId", "")
            tables = ",".join(sorted({next(iter(i.values()))["TableName"] for i in self.items}))
            raise TransactWriteError("Failed to write transaction items", VerboseClientError(
                {"Error": exc.response.get("Error", {})}, "TransactWriteItems",
                {"request_id": request_id, "table_name": tables},
                cancellation_reasons=[
                    CancellationReason(code=r["Code"], message=r.get("Message")) if r.get("Code") != "None" else None
                    for r in reasons])) from exc
        except BotoCoreError as exc:
            raise TransactWriteError("Failed to write transaction items", exc) from exc
        for model in self._stepped:
            model.update_local_version_attribute()

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commit()

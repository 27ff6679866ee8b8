"""The key register's storage (``ports.KeyStore``) on DynamoDB through
pynamodb (the ``records`` table); its in-memory twin for service tests is
``adapters/key_memory.py`` (no AWS library), and the contract suite in
tests/contract runs against both.

Layout in the ``records`` table, one partition per property (the only place
these key formats are spelled):

- a key: pk ``KEYS#<property>``, sk ``KEY#<key id>``, its state in ``data``,
  ``version`` checked on every write; while lent it is in the sparse ``lookup``
  index as ``KEYS_OUT#<property>`` / ``<due>#<key id>``, so the keys out (and the
  overdue ones) are one Query, never a Scan;
- its history: pk ``KEYS#<property>``, sk ``KEYLOG#<key id>#<seq>``, written in the
  same TransactWriteItems as the key, so no change is ever without its entry.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.models import Models, RecordModel
from chalicelib.domain.cases import iso
from chalicelib.domain.errors import Conflict, NotFound, VersionConflict
from chalicelib.domain.keys import Entry, Key, KeyChange

SEQ_DIGITS = 8


def keys_pk(property_id: str) -> str:
    return f"KEYS#{property_id}"


def key_sk(key_id: str) -> str:
    return f"KEY#{key_id}"


def log_sk(key_id: str, seq: int) -> str:
    return f"KEYLOG#{key_id}#{seq:0{SEQ_DIGITS}d}"


def out_pk(property_id: str) -> str:
    return f"KEYS_OUT#{property_id}"


def out_sk(key: Key) -> str | None:
    return f"{key.loan['due']}#{key.key_id}" if key.state == "lent" and key.loan else None


def _unknown(key_id: str) -> NotFound:
    return NotFound("no such key in this property's register", code="unknown_key", details={"key_id": key_id})


def _exists(key_id: str) -> Conflict:
    return Conflict("a key with this id is already in the register", code="key_exists", details={"key_id": key_id})


@lru_cache(maxsize=4)
def _connection(region: str) -> Connection:
    return Connection(region=region)


class DynamoKeyStore:
    """``ports.KeyStore`` on the ``records`` table."""

    def __init__(self, models: Models) -> None:
        self.m = models
        self._connection = _connection(models.Record.Meta.region)

    def _key_item(self, key: Key) -> RecordModel:
        sk = out_sk(key)
        return self.m.Record(keys_pk(key.property_id), key_sk(key.key_id), data=key.to_dict(),
                             lookup_pk=out_pk(key.property_id) if sk else None, lookup_sk=sk)

    def _entry_item(self, key: Key, entry: Entry) -> RecordModel:
        return self.m.Record(keys_pk(key.property_id), log_sk(key.key_id, entry.seq), data=entry.to_dict())

    @staticmethod
    def _key(item: RecordModel) -> Key:
        return Key.from_dict(item.data or {}, int(item.version or 0))

    def get_key(self, property_id: str, key_id: str) -> Key:
        try:
            return self._key(self.m.Record.get(keys_pk(property_id), key_sk(key_id), consistent_read=True))
        except DoesNotExist:
            raise _unknown(key_id) from None

    def keys_of(self, property_id: str) -> list[Key]:
        items = self.m.Record.query(keys_pk(property_id), self.m.Record.sk.startswith(key_sk("")),
                                    consistent_read=True)
        return [self._key(i) for i in items]

    def history(self, property_id: str, key_id: str) -> list[Entry]:
        items = self.m.Record.query(keys_pk(property_id), self.m.Record.sk.startswith(f"KEYLOG#{key_id}#"),
                                    consistent_read=True)
        return [Entry.from_dict(i.data or {}) for i in items]

    def _write(self, change: KeyChange, expected_version: int | None) -> None:
        item = self._key_item(change.key)
        if expected_version is not None:  # unset: must not exist; else pynamodb conditions on it and writes +1
            item.version = expected_version
        with TransactWrite(connection=self._connection) as tx:
            tx.save(item)
            tx.save(self._entry_item(change.key, change.entry))  # version None: the entry must not exist

    def create_key(self, change: KeyChange) -> None:
        try:
            self._write(change, None)
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in [r.code if r else None for r in exc.cancellation_reasons or []]:
                raise _exists(change.key.key_id) from exc
            raise

    def save_key(self, change: KeyChange, *, expected_version: int) -> None:
        try:
            self._write(change, expected_version)
        except TransactWriteError as exc:
            reasons = [r.code if r else None for r in exc.cancellation_reasons or []]
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                current = self.get_key(change.key.property_id, change.key.key_id)
                raise VersionConflict("the key was changed by someone else; reload and try again",
                                      details={"current_version": current.version,
                                               "your_version": expected_version}) from exc
            raise

    def keys_out(self, property_id: str, *, due_before: datetime | None = None) -> list[Key]:
        condition = self.m.Record.lookup_sk < iso(due_before) if due_before is not None else None
        return [self._key(i) for i in self.m.Record.lookup.query(out_pk(property_id), condition)]

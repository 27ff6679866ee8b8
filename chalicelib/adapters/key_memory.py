"""The in-memory twin of ``adapters.key_store.DynamoKeyStore`` (``ports.KeyStore``):
plain dicts behind a lock, for service tests that run without any AWS library.
tests/contract holds both to the same contract."""
from __future__ import annotations

import copy
import threading
from datetime import datetime

from chalicelib.domain.cases import iso
from chalicelib.domain.errors import Conflict, NotFound, VersionConflict
from chalicelib.domain.keys import Entry, Key, KeyChange


def _unknown(key_id: str) -> NotFound:
    return NotFound("no such key in this property's register", code="unknown_key", details={"key_id": key_id})


def _exists(key_id: str) -> Conflict:
    return Conflict("a key with this id is already in the register", code="key_exists", details={"key_id": key_id})


class MemoryKeyStore:
    """The in-memory twin of ``DynamoKeyStore`` (same contract suite)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[tuple[str, str], Key] = {}
        self._history: dict[tuple[str, str], list[Entry]] = {}

    def get_key(self, property_id: str, key_id: str) -> Key:
        with self._lock:
            key = self._keys.get((property_id, key_id))
            if key is None:
                raise _unknown(key_id)
            return copy.deepcopy(key)

    def keys_of(self, property_id: str) -> list[Key]:
        with self._lock:
            return [copy.deepcopy(k) for (pid, _), k in sorted(self._keys.items()) if pid == property_id]

    def history(self, property_id: str, key_id: str) -> list[Entry]:
        with self._lock:
            return copy.deepcopy(self._history.get((property_id, key_id), []))

    def create_key(self, change: KeyChange) -> None:
        at = (change.key.property_id, change.key.key_id)
        with self._lock:
            if at in self._keys:
                raise _exists(change.key.key_id)
            self._keys[at] = copy.deepcopy(change.key)
            self._history[at] = [copy.deepcopy(change.entry)]

    def save_key(self, change: KeyChange, *, expected_version: int) -> None:
        at = (change.key.property_id, change.key.key_id)
        with self._lock:
            current = self._keys.get(at)
            if current is None:
                raise _unknown(change.key.key_id)
            if current.version != expected_version:
                raise VersionConflict("the key was changed by someone else; reload and try again",
                                      details={"current_version": current.version,
                                               "your_version": expected_version})
            stored = copy.deepcopy(change.key)
            stored.version = expected_version + 1
            self._keys[at] = stored
            self._history.setdefault(at, []).append(copy.deepcopy(change.entry))

    def keys_out(self, property_id: str, *, due_before: datetime | None = None) -> list[Key]:
        with self._lock:
            out = [((k.loan["due"], k.key_id), k) for (pid, _), k in self._keys.items()
                   if pid == property_id and k.state == "lent" and k.loan]
        limit = iso(due_before) if due_before is not None else None
        return [copy.deepcopy(k) for (due, _), k in sorted(out, key=lambda o: o[0]) if limit is None or due < limit]

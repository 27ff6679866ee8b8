"""The in-memory twin of ``adapters.library_store.DynamoLibraryStore``
(``ports.LibraryStore``): plain dicts behind a lock, for service tests that run
without any AWS library. tests/contract holds both to the same contract."""
from __future__ import annotations

import copy
import threading

from chalicelib.domain.errors import Conflict, NotFound, VersionConflict
from chalicelib.domain.library import EntryChange, LibraryEntry, Version


def _unknown(entry_id: str) -> NotFound:
    return NotFound("no such entry in this property's library", code="unknown_entry",
                    details={"entry_id": entry_id})


class MemoryLibraryStore:
    """The in-memory twin of ``DynamoLibraryStore`` (same contract suite)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], LibraryEntry] = {}
        self._uses: dict[tuple[str, str], int] = {}
        self._versions: dict[tuple[str, str], list[Version]] = {}

    def _copy(self, at: tuple[str, str]) -> LibraryEntry:
        entry = copy.deepcopy(self._entries[at])
        entry.uses = self._uses.get(at, 0)
        return entry

    def get_entry(self, property_id: str, entry_id: str) -> LibraryEntry:
        with self._lock:
            if (property_id, entry_id) not in self._entries:
                raise _unknown(entry_id)
            return self._copy((property_id, entry_id))

    def entries_of(self, property_id: str) -> list[LibraryEntry]:
        with self._lock:
            return [self._copy(at) for at in sorted(self._entries) if at[0] == property_id]

    def versions(self, property_id: str, entry_id: str) -> list[Version]:
        with self._lock:
            return copy.deepcopy(self._versions.get((property_id, entry_id), []))

    def create_entry(self, change: EntryChange) -> None:
        at = (change.entry.property_id, change.entry.entry_id)
        with self._lock:
            if at in self._entries:
                raise Conflict("an entry with this id exists", code="entry_exists",
                               details={"entry_id": change.entry.entry_id})
            stored = copy.deepcopy(change.entry)
            stored.version = 1
            self._entries[at] = stored
            self._uses[at] = 0
            self._versions[at] = [copy.deepcopy(change.new_version)] if change.new_version else []

    def save_entry(self, change: EntryChange, *, expected_version: int) -> None:
        at = (change.entry.property_id, change.entry.entry_id)
        with self._lock:
            current = self._entries.get(at)
            if current is None:
                raise _unknown(change.entry.entry_id)
            if current.version != expected_version:
                raise VersionConflict("the entry was changed by someone else; reload and try again",
                                      details={"current_version": current.version,
                                               "your_version": expected_version})
            stored = copy.deepcopy(change.entry)
            stored.version = expected_version + 1
            self._entries[at] = stored
            if change.new_version is not None:
                self._versions.setdefault(at, []).append(copy.deepcopy(change.new_version))

    def approved_in(self, property_id: str, category: str) -> list[LibraryEntry]:
        with self._lock:
            found = [self._copy(at) for at, e in self._entries.items()
                     if at[0] == property_id and e.visible and e.category == category]
        return sorted(found, key=lambda e: (e.approved_at.isoformat() if e.approved_at else "", e.entry_id))

    def count_use(self, property_id: str, entry_id: str) -> int:
        at = (property_id, entry_id)
        with self._lock:
            entry = self._entries.get(at)
            if entry is None:
                raise _unknown(entry_id)
            if not entry.visible:
                raise Conflict("only an approved entry is used", code="entry_not_approved",
                               details={"entry_id": entry_id})
            self._uses[at] = self._uses.get(at, 0) + 1
            return self._uses[at]

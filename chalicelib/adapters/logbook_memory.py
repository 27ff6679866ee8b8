"""The in-memory twin of the logbook store (``ports.LogbookStore``): plain dicts,
the same conditions as DynamoDB (tests/contract/test_logbook_store_contract.py)."""
from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from chalicelib.domain.errors import VersionConflict


class MemoryLogbookStore:
    def __init__(self) -> None:
        self.books: dict[tuple[str, str], dict[str, Any]] = {}
        self.entries: dict[tuple[str, str, str], dict[str, Any]] = {}

    @staticmethod
    def _put(table: dict[Any, dict[str, Any]], key: Any, data: dict[str, Any], expected: int, code: str) -> int:
        current = table.get(key)
        if (current["version"] if current else 0) != expected:
            raise VersionConflict("the record changed since it was read", code=code,
                                  details={"version": current["version"] if current else None})
        version = expected + 1
        table[key] = {**copy.deepcopy(data), "version": version}
        return version

    def logbook(self, property_id: str, shift_end: str) -> dict[str, Any] | None:
        found = self.books.get((property_id, shift_end))
        return copy.deepcopy(found) if found else None

    def logbooks(self, property_id: str, shift_ends: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {end: copy.deepcopy(self.books[(property_id, end)]) for end in shift_ends
                if (property_id, end) in self.books}

    def save_logbook(self, property_id: str, shift_end: str, data: dict[str, Any], *, expected_version: int) -> int:
        return self._put(self.books, (property_id, shift_end), data, expected_version, "logbook_version_conflict")

    def diary(self, property_id: str, shift_end: str) -> list[dict[str, Any]]:
        found = [copy.deepcopy(e) for (p, end, _), e in self.entries.items() if p == property_id and end == shift_end]
        return sorted(found, key=lambda e: (e["at"], e["entry_id"]))

    def diary_entry(self, property_id: str, shift_end: str, entry_id: str) -> dict[str, Any] | None:
        found = self.entries.get((property_id, shift_end, entry_id))
        return copy.deepcopy(found) if found else None

    def save_diary_entry(self, property_id: str, shift_end: str, entry: dict[str, Any], *,
                         expected_version: int) -> int:
        return self._put(self.entries, (property_id, shift_end, entry["entry_id"]), entry, expected_version,
                         "diary_version_conflict")

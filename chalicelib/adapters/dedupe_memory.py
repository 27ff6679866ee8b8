"""``ports.DuplicateStore`` in memory (service tests): the twin of dedupe_store.py's
DynamoDB Query (same partition rule, window and order), mixed into MemoryStore."""
from __future__ import annotations

import copy
import threading
from datetime import datetime
from typing import Any

from chalicelib.domain import duplicates
from chalicelib.domain.cases import Case, Change
from chalicelib.domain.errors import VersionConflict

MAX_CANDIDATES = 500  # as the DynamoDB adapter's page


class MemoryDuplicates:
    """``ports.DuplicateStore`` in memory (mixed into MemoryStore)."""

    _lock: threading.RLock
    _cases: dict[tuple[str, str], Case]

    def save_pair(self, first: Change, second: Change) -> None:
        store: Any = self  # MemoryStore: events and notifications
        with self._lock:
            for change in (first, second):
                current = self._cases.get((change.case.property_id, change.case.case_id))
                if current is None or current.version != change.case.version - 1:
                    raise VersionConflict("one of the cases was changed by someone else; reload and try again")
            for change in (first, second):
                self._cases[(change.case.property_id, change.case.case_id)] = copy.deepcopy(change.case)
                store._events.setdefault(change.case.key, []).append(copy.deepcopy(change.event))
                store._add_notifications(change)

    def duplicate_candidates(self, property_id: str, category: str, since: datetime) -> list[duplicates.Candidate]:
        with self._lock:
            found = [copy.deepcopy(c) for c in self._cases.values()
                     if c.property_id == property_id and c.category == category and not c.merged_into
                     and c.created_at >= since]
        found.sort(key=lambda c: (c.created_at, c.case_id), reverse=True)
        return [duplicates.candidate_of(c) for c in found[:MAX_CANDIDATES]]

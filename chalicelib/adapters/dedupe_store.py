"""Duplicate candidates of a new case: one Query on the cases table's ``dedupe`` index.

Key format (owned here): ``dedupe_key`` = ``<property>#<category>``, set on a case item
while the case has a category and was not merged into another; the index sorts by
``created_key`` (``<created_at ISO>#<property>#<case>``), so "created since" is a key
condition, and projects only ``status`` and ``dedupe`` (``dedupe_attributes``): the
Query reads small items, never whole cases, and nothing scans.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.adapters import reads
from chalicelib.adapters.transact import Transaction
from chalicelib.domain import duplicates
from chalicelib.domain.cases import Case, Change, iso, parse_iso
from chalicelib.domain.errors import VersionConflict

if TYPE_CHECKING:
    from chalicelib.adapters.models import CaseModel, Models

# The in-memory twin (service tests) is chalicelib/adapters/dedupe_memory.py.
# One Query page is at most 1 MB; at ~0.5 KB an item that is ~2000 candidates. A busier
# property+category partition would need more pages: we stop at this many items (README).
MAX_CANDIDATES = 500


def dedupe_key(case: Case) -> str | None:
    """The index partition of a case, or None (not on the index)."""
    if not case.category or case.merged_into:
        return None
    return f"{case.property_id}#{case.category}"


def dedupe_attributes(case: Case) -> dict[str, Any] | None:
    """What the index projects besides the keys and ``status``."""
    if dedupe_key(case) is None:
        return None
    c = duplicates.candidate_of(case)
    return {**c.to_dict(), "category": c.category, "closed_at": iso(c.closed_at) if c.closed_at else None}


def _candidate(item: CaseModel) -> duplicates.Candidate:
    data = item.dedupe or {}
    return duplicates.Candidate(
        case_id=item.case_id, category=data.get("category", ""), place=data.get("place", ""), status=item.status,
        created_at=parse_iso(item.created_key.split("#", 1)[0]),
        closed_at=parse_iso(data["closed_at"]) if data.get("closed_at") else None,
        reporter=data.get("reporter", ""), text=data.get("text", ""))


class DynamoDuplicates:
    """``ports.DuplicateStore`` on DynamoDB (mixed into DynamoStore)."""

    m: Models
    _connection: Any

    def save_pair(self, first: Change, second: Change) -> None:
        """Two case changes (link, merge) and their events in one transaction, each
        only if its case is still at the version it was changed from."""
        store: Any = self  # DynamoStore: the item builders and the notifications
        try:
            with Transaction(self._connection.client) as tx:
                for change in (first, second):
                    item = store._case_item(change.case)
                    item.version = change.case.version - 1
                    tx.save(item)
                    tx.save(store._event_item(change.case, change.event),
                            condition=self.m.Event.seq.does_not_exist())
                for change in (first, second):
                    store._write_notifications(tx, change)
        except TransactWriteError as exc:
            raise VersionConflict("one of the cases was changed by someone else; reload and try again") from exc

    def duplicate_candidates(self, property_id: str, category: str, since: datetime) -> list[duplicates.Candidate]:
        """The property's cases of ``category`` created at or after ``since``, newest
        first: one Query (eventually consistent: a case created the same second may be
        missed, as the README says)."""
        m = self.m.Case
        in_window = (m.dedupe_key == f"{property_id}#{category}") & (m.created_key >= iso(since))
        found = reads.query(self._connection.client, m, index=m.dedupe_index.Meta.index_name, newest_first=True,
                            limit=MAX_CANDIDATES, key_condition=in_window)
        return [_candidate(item) for item in found]

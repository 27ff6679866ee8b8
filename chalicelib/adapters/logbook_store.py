"""The shift-handover logbook in DynamoDB (``ports.LogbookStore``), on the
``records`` table. Every key format of the logbook lives here:

- a handover's logbook: pk ``LOGBOOK#<property>``, sk its shift end
  (``2026-11-23T10:00:00Z``): one partition per property, by time;
- a diary entry: pk ``LOGDIARY#<property>``, sk ``<shift end>#<entry id>``: a
  shift's diary is one Query (``begins_with``); each entry is its own item, so
  two people writing at once never contend for one item.

Writes are conditional on the ``version`` attribute (pynamodb's VersionAttribute:
absent for a new item, equal to the version read for a change).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.adapters.models import Models, RecordModel
from chalicelib.domain.errors import VersionConflict

MAX_DIARY = 500


def logbook_pk(property_id: str) -> str:
    return f"LOGBOOK#{property_id}"


def diary_pk(property_id: str) -> str:
    return f"LOGDIARY#{property_id}"


class DynamoLogbookStore:
    def __init__(self, models: Models):
        self.m = models

    @staticmethod
    def _data(item: RecordModel) -> dict[str, Any]:
        return {**(item.data or {}), "version": int(item.version or 0)}

    def _save(self, pk: str, sk: str, data: dict[str, Any], expected: int, code: str) -> int:
        body = {k: v for k, v in data.items() if k != "version"}
        item = self.m.Record(pk, sk, data=body)
        if expected:
            item.version = expected
        try:
            item.save()
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            current = self._get(pk, sk)
            raise VersionConflict("the record changed since it was read", code=code,
                                  details={"version": current["version"] if current else None}) from None
        return int(item.version or 0)

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            return self._data(self.m.Record.get(pk, sk, consistent_read=True))
        except self.m.Record.DoesNotExist:
            return None

    def logbook(self, property_id: str, shift_end: str) -> dict[str, Any] | None:
        return self._get(logbook_pk(property_id), shift_end)

    def logbooks(self, property_id: str, shift_ends: Sequence[str]) -> dict[str, dict[str, Any]]:
        keys = [(logbook_pk(property_id), end) for end in dict.fromkeys(shift_ends)]
        return {i.sk: self._data(i) for i in self.m.Record.batch_get(keys)} if keys else {}

    def save_logbook(self, property_id: str, shift_end: str, data: dict[str, Any], *, expected_version: int) -> int:
        return self._save(logbook_pk(property_id), shift_end, data, expected_version, "logbook_version_conflict")

    def diary(self, property_id: str, shift_end: str) -> list[dict[str, Any]]:
        items = self.m.Record.query(diary_pk(property_id), self.m.Record.sk.startswith(f"{shift_end}#"),
                                    consistent_read=True, limit=MAX_DIARY)
        return sorted((self._data(i) for i in items), key=lambda e: (e["at"], e["entry_id"]))

    def diary_entry(self, property_id: str, shift_end: str, entry_id: str) -> dict[str, Any] | None:
        return self._get(diary_pk(property_id), f"{shift_end}#{entry_id}")

    def save_diary_entry(self, property_id: str, shift_end: str, entry: dict[str, Any], *,
                         expected_version: int) -> int:
        return self._save(diary_pk(property_id), f"{shift_end}#{entry['entry_id']}", entry, expected_version,
                          "diary_version_conflict")

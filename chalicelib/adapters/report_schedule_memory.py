"""The in-memory twin of the report schedule store (``ports.ReportScheduleStore``):
the same conditions as DynamoDB (tests/contract/test_report_schedule_contract.py)."""
from __future__ import annotations

import copy
from typing import Any

from chalicelib.adapters.logbook_memory import MemoryLogbookStore


class MemoryReportScheduleStore:
    def __init__(self) -> None:
        self.configs: dict[str, dict[str, Any]] = {}
        self.sent: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.syncs: dict[str, dict[str, Any]] = {}

    def report_schedules(self, property_id: str) -> dict[str, Any] | None:
        found = self.configs.get(property_id)
        return copy.deepcopy(found) if found else None

    def save_report_schedules(self, property_id: str, data: dict[str, Any], *, expected_version: int) -> int:
        return MemoryLogbookStore._put(self.configs, property_id, data, expected_version,
                                       "report_schedules_version_conflict")

    def claim_report_sent(self, property_id: str, schedule_id: str, period: str, data: dict[str, Any]) -> bool:
        key = (property_id, schedule_id, period)
        if key in self.sent:
            return False
        self.sent[key] = copy.deepcopy(data)
        return True

    def release_report_sent(self, property_id: str, schedule_id: str, period: str) -> None:
        self.sent.pop((property_id, schedule_id, period), None)

    def mark_report_sync(self, property_id: str, retired: list[str], *, at: str) -> dict[str, Any]:
        current = self.syncs.get(property_id)
        merged = sorted(set(current["retired"] if current else ()) | set(retired))
        marker = {"property_id": property_id, "retired": merged, "at": at,
                  "version": (current["version"] if current else 0) + 1}
        self.syncs[property_id] = marker
        return copy.deepcopy(marker)

    def pending_report_syncs(self, *, limit: int) -> list[dict[str, Any]]:
        return [copy.deepcopy(self.syncs[p]) for p in sorted(self.syncs)[:limit]]

    def clear_report_sync(self, property_id: str, version: int) -> bool:
        current = self.syncs.get(property_id)
        if current is None or current["version"] != version:
            return False
        del self.syncs[property_id]
        return True

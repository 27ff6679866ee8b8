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

"""Report schedules in DynamoDB (``ports.ReportScheduleStore``), on the ``records``
table. Every key format of report schedules lives here:

- a property's schedules: pk ``REPORTSCHED#<property>``, sk ``CONFIG`` (one
  versioned item: a manager's change needs the version they read);
- a sent mark: pk ``REPORTSENT#<property>``, sk ``<schedule id>#<period>``
  (``weekly:2026-11-16``), written only if absent, kept 400 days (TTL);
- a pending Scheduler sync: pk ``REPORTSYNC``, sk ``<property>`` (one versioned item per
  property whose EventBridge schedules may not match its stored ones yet, with the ids of
  schedules removed since; the minute sweep reads the partition, one Query).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.adapters.logbook_store import DynamoLogbookStore
from chalicelib.adapters.models import Models
from chalicelib.domain.errors import VersionConflict

SENT_TTL = timedelta(days=400)


def schedules_pk(property_id: str) -> str:
    return f"REPORTSCHED#{property_id}"


def sent_pk(property_id: str) -> str:
    return f"REPORTSENT#{property_id}"


SYNC_PK = "REPORTSYNC"
MARK_ATTEMPTS = 5


class DynamoReportScheduleStore:
    def __init__(self, models: Models):
        self.m = models
        self._records = DynamoLogbookStore(models)  # its versioned save/get on the records table

    def report_schedules(self, property_id: str) -> dict[str, Any] | None:
        return self._records._get(schedules_pk(property_id), "CONFIG")

    def save_report_schedules(self, property_id: str, data: dict[str, Any], *, expected_version: int) -> int:
        return self._records._save(schedules_pk(property_id), "CONFIG", data, expected_version,
                                   "report_schedules_version_conflict")

    def claim_report_sent(self, property_id: str, schedule_id: str, period: str, data: dict[str, Any]) -> bool:
        item = self.m.Record(sent_pk(property_id), f"{schedule_id}#{period}", data=dict(data),
                             expires_at=datetime.now(timezone.utc) + SENT_TTL)
        try:
            item.save()  # VersionAttribute: a new item's put is conditional on its absence
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def release_report_sent(self, property_id: str, schedule_id: str, period: str) -> None:
        try:
            self.m.Record(sent_pk(property_id), f"{schedule_id}#{period}").delete(add_version_condition=False)
        except DeleteError:
            pass

    # --- pending Scheduler syncs --------------------------------------------------------

    def mark_report_sync(self, property_id: str, retired: list[str], *, at: str) -> dict[str, Any]:
        for _ in range(MARK_ATTEMPTS):
            current = self._records._get(SYNC_PK, property_id)
            merged = sorted(set(current["retired"] if current else ()) | set(retired))
            try:
                version = self._records._save(SYNC_PK, property_id, {"retired": merged, "at": at},
                                              current["version"] if current else 0, "report_sync_busy")
            except VersionConflict:
                continue  # another change marked it meanwhile: merge with theirs
            return {"property_id": property_id, "retired": merged, "at": at, "version": version}
        raise VersionConflict("the report schedules are being changed; try again", code="report_sync_busy")

    def pending_report_syncs(self, *, limit: int) -> list[dict[str, Any]]:
        items = self.m.Record.query(SYNC_PK, consistent_read=True, limit=limit)
        return [{"property_id": i.sk, "retired": list((i.data or {}).get("retired", [])),
                 "at": (i.data or {}).get("at", ""), "version": int(i.version)} for i in items]

    def clear_report_sync(self, property_id: str, version: int) -> bool:
        item = self.m.Record(SYNC_PK, property_id)
        item.version = version
        try:
            item.delete()  # conditional on the version: a newer mark stays
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

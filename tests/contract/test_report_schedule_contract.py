"""The report schedule store's contract (ports.ReportScheduleStore) on both
implementations: a property's schedules versioned, a period's "sent" mark written
once (a retried fire cannot mail twice), released after a failed mail."""
from __future__ import annotations

import pytest

from chalicelib.domain.errors import VersionConflict

WEEKLY = {"schedule_id": "weekly-quality", "report": "weekly", "recipients": ["经理@riverside.example"],
          "time": "08:30", "weekday": "MON", "lang": "zh-Hant", "enabled": True}


@pytest.fixture(params=["memory", "dynamo"])
def schedules(request):
    if request.param == "memory":
        from chalicelib.adapters.report_schedule_memory import MemoryReportScheduleStore
        return MemoryReportScheduleStore()
    request.getfixturevalue("store")  # moto with the tables created
    from chalicelib.adapters.models import bind
    from chalicelib.adapters.report_schedule_store import DynamoReportScheduleStore
    return DynamoReportScheduleStore(bind())


def test_schedules_are_versioned_per_property(schedules):
    assert schedules.report_schedules("P1") is None
    assert schedules.save_report_schedules("P1", {"schedules": [WEEKLY]}, expected_version=0) == 1
    assert schedules.report_schedules("P1") == {"schedules": [WEEKLY], "version": 1}
    with pytest.raises(VersionConflict) as err:
        schedules.save_report_schedules("P1", {"schedules": []}, expected_version=0)
    assert err.value.code == "report_schedules_version_conflict"
    assert schedules.save_report_schedules("P1", {"schedules": [], "version": 1}, expected_version=1) == 2
    with pytest.raises(VersionConflict):
        schedules.save_report_schedules("P1", {"schedules": [WEEKLY]}, expected_version=1)
    assert schedules.report_schedules("P1") == {"schedules": [], "version": 2}
    assert schedules.report_schedules("P2") is None


def test_a_period_is_marked_sent_once_and_may_be_released(schedules):
    assert schedules.claim_report_sent("P1", "weekly-quality", "weekly:2026-11-16", {"at": "x"}) is True
    assert schedules.claim_report_sent("P1", "weekly-quality", "weekly:2026-11-16", {"at": "y"}) is False
    assert schedules.claim_report_sent("P1", "weekly-quality", "weekly:2026-11-23", {"at": "z"}) is True
    assert schedules.claim_report_sent("P2", "weekly-quality", "weekly:2026-11-16", {"at": "x"}) is True
    schedules.release_report_sent("P1", "weekly-quality", "weekly:2026-11-16")
    schedules.release_report_sent("P1", "nope", "weekly:2026-11-16")  # nothing to release: no error
    assert schedules.claim_report_sent("P1", "weekly-quality", "weekly:2026-11-16", {"at": "again"}) is True


def test_a_pending_scheduler_sync_merges_its_retired_ids_and_clears_only_at_its_version(schedules):
    assert schedules.pending_report_syncs(limit=10) == []
    first = schedules.mark_report_sync("P1", ["weekly-quality"], at="2026-12-06T01:00:00Z")
    assert first["retired"] == ["weekly-quality"]
    second = schedules.mark_report_sync("P1", ["月报"], at="2026-12-06T01:05:00Z")  # both ids stay to be deleted
    assert second["retired"] == sorted(["weekly-quality", "月报"]) and second["version"] > first["version"]
    schedules.mark_report_sync("P2", [], at="2026-12-06T01:06:00Z")
    pending = {m["property_id"]: m for m in schedules.pending_report_syncs(limit=10)}
    assert set(pending) == {"P1", "P2"} and pending["P1"]["version"] == second["version"]
    assert pending["P1"]["at"] == "2026-12-06T01:05:00Z"  # the latest note's time
    assert len(schedules.pending_report_syncs(limit=1)) == 1
    assert schedules.clear_report_sync("P1", first["version"]) is False  # a newer mark is not cleared
    assert schedules.clear_report_sync("P1", second["version"]) is True
    assert schedules.clear_report_sync("P1", second["version"]) is False
    assert [m["property_id"] for m in schedules.pending_report_syncs(limit=10)] == ["P2"]

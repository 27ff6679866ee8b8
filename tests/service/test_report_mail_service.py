"""Report schedules per property and their mail, on the in-memory stores: a manager
sets them (Scheduler follows), a fire mails the period's report once, a retried
fire sends nothing, a failed mail is sent by the retry; refusals."""
from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.adapters.report_schedule_memory import MemoryReportScheduleStore
from chalicelib.domain.auth import Principal
from chalicelib.domain.cases import iso
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed, VersionConflict
from chalicelib.mail.outgoing import SendFailed, build
from chalicelib.services.report_mail_service import ReportMailService
from chalicelib.services.report_service import ReportService

MANAGER = Principal("mgr-1", "manager", frozenset({"P1", "P2"}))
DESK = Principal("desk-1", "front_desk", frozenset({"P1"}))
OTHER_MANAGER = Principal("mgr-9", "manager", frozenset({"P9"}))
TENANT = Principal("tenant-1", "tenant", frozenset({"P1"}))
WEEKLY = {"schedule_id": "weekly-quality", "report": "weekly", "recipients": ["manager@riverside.example",
                                                                            "quality@riverside.example"],
          "weekday": "MON", "time": "08:30", "lang": "zh-Hans"}
MONTHLY = {"schedule_id": "monthly-25", "report": "monthly", "recipients": ["director@harbour.example"],
           "day": 25, "time": "09:00", "lang": "zh-Hant"}


class Scheduler:
    def __init__(self):
        self.schedules: dict[tuple[str, str], tuple[str, str, bool]] = {}
        self.down = False  # EventBridge Scheduler throttling or unreachable

    def put(self, property_id, schedule_id, expression, zone, enabled):
        if self.down:
            raise ConnectionError("Scheduler unreachable")
        self.schedules[(property_id, schedule_id)] = (expression, zone, enabled)

    def delete(self, property_id, schedule_id):
        if self.down:
            raise ConnectionError("Scheduler unreachable")
        self.schedules.pop((property_id, schedule_id), None)


class Mailer:
    def __init__(self):
        self.sent = []
        self.fail = False

    def send(self, mail):
        if self.fail:
            raise SendFailed("SES throttled")
        self.sent.append(email.message_from_bytes(build(mail), policy=email.policy.default))
        return "id"


@pytest.fixture
def parts(svc, clock):
    mailer, scheduler = Mailer(), Scheduler()
    reports = ReportService(svc, svc.store, clock=clock)
    service = ReportMailService(reports, MemoryReportScheduleStore(), clock=clock, mailer=lambda: mailer,
                                scheduler=scheduler)
    return service, mailer, scheduler


def test_a_manager_sets_schedules_and_scheduler_follows_in_the_property_zone(parts):
    service, _, scheduler = parts
    view = service.put(MANAGER, "P1", [WEEKLY], 0)
    assert view["version"] == 1 and view["schedules"][0]["expression"] == "cron(30 8 ? * MON *)"
    assert view["scheduler"] == "synced" and service.store.pending_report_syncs(limit=10) == []
    assert scheduler.schedules == {("P1", "weekly-quality"): ("cron(30 8 ? * MON *)", "Asia/Shanghai", True)}
    service.put(MANAGER, "P2", [MONTHLY], 0)
    assert scheduler.schedules[("P2", "monthly-25")] == ("cron(0 9 25 * ? *)", "Asia/Hong_Kong", True)
    # replaced without the weekly one: its Scheduler schedule goes
    service.put(MANAGER, "P1", [{**WEEKLY, "schedule_id": "daily", "report": "daily"}], 1)
    assert ("P1", "weekly-quality") not in scheduler.schedules and ("P1", "daily") in scheduler.schedules
    assert service.get(MANAGER, "P1")["schedules"][0]["schedule_id"] == "daily"


def test_refusals(parts):
    service, _, _ = parts
    for who, refusal in ((DESK, Forbidden), (TENANT, Forbidden), (OTHER_MANAGER, NotFound)):
        with pytest.raises(refusal):
            service.put(who, "P1", [WEEKLY], 0)
        with pytest.raises(refusal):  # another property's schedules do not exist for them
            service.get(who, "P1")
    service.put(MANAGER, "P1", [WEEKLY], 0)
    with pytest.raises(VersionConflict) as err:
        service.put(MANAGER, "P1", [], 0)  # someone else's change since it was read
    assert err.value.code == "report_schedules_version_conflict"
    with pytest.raises(ValidationFailed):
        service.put(MANAGER, "P1", [{**WEEKLY, "weekday": "MONDAY"}], 1)
    with pytest.raises(NotFound):
        service.fire("P1", "no-such-schedule")


def _week_of_cases(svc, clock):
    """Monday 2026-11-23 (T0, 10:00 Shanghai): an air-conditioning complaint resolved, called back, rated."""
    case, _ = svc.submit(TENANT, "P1", {"channel": "app", "unit": "3栋1201", "category": "air_conditioning",
                                        "content": "客厅空调不制冷"}, None)
    for action, params in [("classify", {"kind": "complaint", "department": "engineering"}),
                           ("assign", {"assignee": "eng-1"}), ("respond", {"message": "马上到"}),
                           ("resolve", {"resolution": "已修好"}),
                           ("callback", {"reached": True, "satisfied": True})]:
        clock.advance(minutes=3)
        svc.act(DESK, "P1", case.case_id, action, params)
    clock.advance(minutes=3)
    svc.act(TENANT, "P1", case.case_id, "rate", {"score": 5})


def test_a_fire_mails_the_weeks_report_once_to_each_recipient(parts, svc, clock):
    service, mailer, _ = parts
    service.put(MANAGER, "P1", [WEEKLY], 0)
    _week_of_cases(svc, clock)
    fired = datetime(2026, 11, 30, 0, 30, tzinfo=timezone.utc)  # Monday 08:30 Shanghai
    clock.now = fired + timedelta(seconds=5)
    result = service.fire("P1", "weekly-quality", fired)
    assert result["period"] == "weekly:2026-11-23" and result["sent"] == WEEKLY["recipients"]
    assert [m["To"] for m in mailer.sent] == WEEKLY["recipients"]
    msg = mailer.sent[0]
    assert msg["Subject"] == "[滨江花园 Riverside Garden] 周报 2026-11-23 – 2026-11-29"
    html = msg.get_body(("html",)).get_content()
    assert "<td>受理总数</td><td>1</td>" in html and "<td>满意率</td><td>100.0%</td>" in html
    assert "<td>空调</td><td>1</td><td>100.0%</td>" in html
    names = [p.get_filename() for p in msg.iter_attachments()]
    assert names == ["P1-weekly-2026-11-23.csv", "P1-weekly-2026-11-23.xlsx"]
    # Scheduler retried the delivery (same scheduled time), and a second fire that week: nothing more
    assert service.fire("P1", "weekly-quality", fired) == {"skipped": "already_sent", "period": "weekly:2026-11-23"}
    assert service.fire("P1", "weekly-quality", fired + timedelta(hours=2))["skipped"] == "already_sent"
    assert len(mailer.sent) == 2


def test_a_failed_mail_is_sent_by_the_retry(parts, clock):
    service, mailer, _ = parts
    service.put(MANAGER, "P2", [MONTHLY], 0)
    fired = datetime(2026, 12, 25, 1, 0, tzinfo=timezone.utc)  # 09:00 Hong Kong
    clock.now = fired
    mailer.fail = True
    with pytest.raises(SendFailed):
        service.fire("P2", "monthly-25", fired)
    mailer.fail = False
    result = service.fire("P2", "monthly-25", fired)
    assert result["period"] == "monthly:2026-11"
    assert [m["Subject"] for m in mailer.sent] == ["[港灣廣場 Harbour Plaza] 月報 2026-11"]


def test_a_disabled_schedule_sends_nothing_and_scheduler_holds_it_disabled(parts, clock):
    service, mailer, scheduler = parts
    service.put(MANAGER, "P1", [{**WEEKLY, "enabled": False}], 0)
    assert scheduler.schedules[("P1", "weekly-quality")][2] is False
    assert service.fire("P1", "weekly-quality", clock()) == {"skipped": "disabled"}
    assert mailer.sent == []


def test_a_manager_sends_now_for_the_current_period(parts, clock):
    service, mailer, _ = parts
    service.put(MANAGER, "P1", [{**WEEKLY, "report": "daily"}], 0)
    assert service.send_now(MANAGER, "P1", "weekly-quality")["period"] == "daily:2026-11-22"
    with pytest.raises(Forbidden):
        service.send_now(DESK, "P1", "weekly-quality")
    assert len(mailer.sent) == 2


def test_a_retry_after_a_partial_failure_mails_only_the_recipient_not_reached(parts, clock):
    service, mailer, _ = parts
    service.put(MANAGER, "P1", [WEEKLY], 0)
    fired = datetime(2026, 11, 30, 0, 30, tzinfo=timezone.utc)
    clock.now = fired
    real_send = mailer.send

    def quality_inbox_down(mail):
        if mail.to == "quality@riverside.example":
            raise SendFailed("mailbox unavailable")
        return real_send(mail)

    mailer.send = quality_inbox_down
    with pytest.raises(SendFailed):
        service.fire("P1", "weekly-quality", fired)
    assert [m["To"] for m in mailer.sent] == ["manager@riverside.example"]
    mailer.send = real_send
    assert service.fire("P1", "weekly-quality", fired)["sent"] == ["quality@riverside.example"]
    assert [m["To"] for m in mailer.sent] == ["manager@riverside.example", "quality@riverside.example"]


def test_schedules_a_scheduler_failure_left_unsynced_are_synced_by_the_minute_sweep(parts, clock):
    """Stored but not on the Scheduler would be a report that silently never goes out: the
    change notes the sync before it saves, and the watch_outbox sweep finishes it."""
    service, _, scheduler = parts
    service.put(MANAGER, "P1", [WEEKLY, MONTHLY], 0)
    scheduler.down = True
    view = service.put(MANAGER, "P1", [{**WEEKLY, "time": "07:00"}], 1)  # monthly removed, weekly moved
    assert view["scheduler"] == "pending" and view["version"] == 2  # stored all the same
    assert scheduler.schedules[("P1", "weekly-quality")][0] == "cron(30 8 ? * MON *)"  # the Scheduler lags
    assert ("P1", "monthly-25") in scheduler.schedules
    scheduler.down = False
    assert service.sweep_syncs() == 0  # the note is the change's own for two minutes
    scheduler.down = True
    clock.advance(minutes=3)
    assert service.sweep_syncs() == 0  # still down: the marker stays
    assert [m["retired"] for m in service.store.pending_report_syncs(limit=10)] == [["monthly-25"]]
    scheduler.down = False
    assert service.sweep_syncs() == 1
    assert scheduler.schedules == {("P1", "weekly-quality"): ("cron(0 7 ? * MON *)", "Asia/Shanghai", True)}
    assert service.store.pending_report_syncs(limit=10) == [] and service.sweep_syncs() == 0


def test_a_crash_between_the_save_and_the_scheduler_is_repaired_by_the_sweep(parts, monkeypatch, clock):
    service, _, scheduler = parts
    service.put(MANAGER, "P1", [WEEKLY], 0)

    def crash(marker):  # the Lambda timed out right after the save
        raise TimeoutError("Task timed out")

    monkeypatch.setattr(service, "_sync", crash)
    with pytest.raises(TimeoutError):
        service.put(MANAGER, "P1", [MONTHLY], 1)
    monkeypatch.undo()
    assert ("P1", "weekly-quality") in scheduler.schedules and ("P1", "monthly-25") not in scheduler.schedules
    clock.advance(minutes=3)
    assert service.sweep_syncs() == 1
    assert set(scheduler.schedules) == {("P1", "monthly-25")}


def test_a_sync_that_ran_late_does_not_clear_a_newer_changes_mark(parts):
    service, _, scheduler = parts
    service.put(MANAGER, "P1", [WEEKLY, MONTHLY], 0)
    stale = service.store.mark_report_sync("P1", [], at="2026-11-23T01:00:00Z")  # a sweep read this marker...
    service.store.mark_report_sync("P1", ["monthly-25"], at="2026-11-23T02:00:00Z")  # ...then a change marked it
    assert service._sync(stale) is True  # in sync with what is stored now, but
    assert [m["retired"] for m in service.store.pending_report_syncs(limit=10)] == [["monthly-25"]]  # kept


def test_the_sweep_leaves_a_change_its_own_fresh_note(parts, clock):
    """Between a PUT's note and its save, the sweep must not sync the old state and clear the
    note: should the PUT's own sync then fail, nothing would be left to repair it."""
    service, _, scheduler = parts
    service.put(MANAGER, "P1", [WEEKLY], 0)
    service.store.mark_report_sync("P1", ["weekly-quality"], at=iso(clock()))  # a PUT in flight
    assert service.sweep_syncs() == 0 and len(service.store.pending_report_syncs(limit=10)) == 1
    clock.advance(minutes=2)
    assert service.sweep_syncs() == 1 and service.store.pending_report_syncs(limit=10) == []

"""Handover summaries and statistics against moto: cases made through the
service at controlled times, summaries produced and stored, and the
hourly scheduler for properties in different time zones. (The ``aws``
fixture fails any test that issues a Scan.)"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import BadRequest, Forbidden, ValidationFailed
from chalicelib.services.report_service import ReportService
from tests.conftest import T0, contacts_of

TENANT = Principal("tenant-1", "tenant", frozenset({"P1", "P2"}), name="李女士")
DESK = Principal("desk-1", "front_desk", frozenset({"P1", "P2"}), name="前台小王")
STAFF = Principal("eng-1", "dept_staff", frozenset({"P1"}), name="工程部张师傅", department="engineering")
DESK_P2 = Principal("desk-p2", "front_desk", frozenset({"P2"}))

MON_18 = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)  # Monday 18:00 in Shanghai and Hong Kong
TUE_08 = datetime(2026, 11, 24, 0, tzinfo=timezone.utc)


@pytest.fixture
def reports(svc, store):
    return ReportService(svc, store)


def submit(svc, pid="P1", **params):
    body = {"channel": "app", "unit": "3栋1201", "content": "客厅空调不制冷，室内30度"}
    body.update(params)
    return svc.submit(TENANT, pid, body, None)[0]


def log_call(svc, pid="P1", **params):
    body = {"channel": "phone", "unit": "5栋302", "content": "电梯困人，请马上处理", "reporter": {
        "name": "陈先生", "phone": "13900000000"}}
    body.update(params)
    return svc.log(DESK, pid, body, None)[0]


def ids(section):
    return [item["case_id"] for item in section["items"]]


@pytest.fixture
def monday(svc, clock):
    """Cases around Monday's day shift in P1 (Shanghai)."""
    clock.now = T0 - timedelta(hours=4)                      # Monday 06:00: the night shift before
    early = submit(svc, title="楼道灯坏了", content="三楼楼道灯不亮")
    clock.now = T0                                           # Monday 10:00
    aircon = submit(svc, title="客厅空调不制冷")
    clock.advance(hours=2)                                   # 12:00
    lift = log_call(svc)
    svc.act(DESK, "P1", lift.case_id, "classify", {"kind": "complaint", "cause": "business_affected",
                                                   "department": "engineering"})
    clock.advance(hours=1)                                   # 13:00
    svc.act(STAFF, "P1", lift.case_id, "escalate", {"reason": "困人超过半小时"})
    svc.act(DESK, "P1", early.case_id, "classify", {"kind": "request", "department": "engineering"})
    svc.act(DESK, "P1", early.case_id, "assign", {"assignee": "eng-1"})
    svc.act(STAFF, "P1", early.case_id, "start", {})
    svc.act(STAFF, "P1", early.case_id, "resolve", {"resolution": "已更换灯管"})  # callback due 16:00
    clock.now = MON_18 + timedelta(minutes=5)
    return {"early": early.case_id, "aircon": aircon.case_id, "lift": lift.case_id}


def test_day_shift_summary_lists_what_happened_and_what_is_open(reports, monday):
    doc, created = reports.produce_handover("P1", MON_18 + timedelta(minutes=5))
    assert created
    assert (doc["shift_start"], doc["shift_end"]) == ("2026-11-23T00:00:00Z", "2026-11-23T10:00:00Z")
    assert ids(doc["opened"]) == [monday["aircon"], monday["lift"]]  # not the 06:00 case
    assert doc["open_now"]["count"] == 3
    assert doc["open_now"]["by_status"] == {"received": 2, "resolved": 1}
    assert ids(doc["escalated"]) == [monday["lift"]]
    assert doc["escalated"]["items"][0]["escalations"][0]["to"] == "manager"
    assert doc["escalated"]["items"][0]["tier"] == "manager"
    # the 06:00 case's callback was due 16:00 and nobody called: overdue and still due
    assert ids(doc["callbacks_due"]) == [monday["early"]]
    assert set(ids(doc["overdue"])) == {monday["early"], monday["aircon"], monday["lift"]}
    assert doc["after_hours"]["count"] == 0  # everything in the shift came in working time
    titles = {i["case_id"]: i["title"] for i in doc["open_now"]["items"]}
    assert titles[monday["aircon"]] == "客厅空调不制冷" and titles[monday["lift"]] == "电梯困人，请马上处理"


def test_a_months_old_case_escalated_and_closed_in_the_shift_is_in_its_handover(svc, reports, clock):
    """What a shift did to a case counts however old the case is, even when it
    is closed by the time the summary is made."""
    clock.now = T0 - timedelta(days=40)
    old = submit(svc, content="去年的噪音投诉，一直没解决")
    clock.now = T0 + timedelta(hours=3)                       # Monday 13:00, the day shift
    svc.act(DESK, "P1", old.case_id, "escalate", {"reason": "住户再次来电"})
    svc.act(DESK, "P1", old.case_id, "classify", {"kind": "consultation"})
    svc.act(DESK, "P1", old.case_id, "answer", {"message": "已与楼上住户协调"})  # closed
    clock.now = MON_18 + timedelta(minutes=5)
    doc, _ = reports.produce_handover("P1", clock.now)
    assert ids(doc["escalated"]) == [old.case_id]
    assert old.case_id not in ids(doc["open_now"]) and old.case_id not in ids(doc["opened"])


def test_night_shift_logs_after_hours_complaints_and_requests(svc, reports, clock, monday):
    clock.now = datetime(2026, 11, 23, 13, 30, tzinfo=timezone.utc)   # Monday 21:30
    leak = submit(svc, content="楼上漏水，天花板在滴水", kind="complaint")
    clock.now = datetime(2026, 11, 23, 19, tzinfo=timezone.utc)       # Tuesday 03:00
    car = log_call(svc, content="车库有人撬车")
    clock.now = datetime(2026, 11, 23, 14, tzinfo=timezone.utc)       # Monday 22:00
    question = submit(svc, content="停车费怎么交？", kind="consultation")
    clock.now = TUE_08 + timedelta(minutes=5)
    doc, _ = reports.produce_handover("P1", clock.now)
    assert doc["shift_start"] == "2026-11-23T10:00:00Z" and doc["shift_end"] == "2026-11-24T00:00:00Z"
    assert ids(doc["opened"]) == [leak.case_id, question.case_id, car.case_id]
    assert ids(doc["after_hours"]) == [leak.case_id, car.case_id]


def test_producing_twice_returns_the_stored_summary_unless_refreshed(svc, store, reports, clock, monday):
    first, created = reports.produce_handover("P1", clock.now)
    clock.advance(minutes=10)
    late = submit(svc, content="刚才忘了说，门禁卡也坏了")
    again, created_again = reports.produce_handover("P1", clock.now)
    assert created and not created_again and again == first
    assert late.case_id not in ids(again["open_now"])
    fresh, created_fresh = reports.produce_handover("P1", clock.now, refresh=True)
    assert created_fresh and late.case_id in ids(fresh["open_now"])
    assert store.handover("P1", "2026-11-23T10:00:00Z")["produced_at"] == fresh["produced_at"]


def test_a_shift_that_has_not_ended_cannot_be_produced(reports, clock):
    with pytest.raises(ValidationFailed):
        reports.produce_handover("P1", clock.now + timedelta(days=1))
    with pytest.raises(ValidationFailed):
        reports.request_handover(DESK, "P1", clock.now + timedelta(hours=1))


def test_handovers_list_newest_first_with_a_cursor(reports, clock, monday):
    for hours in (0, 14, 24):
        clock.now = MON_18 + timedelta(hours=hours, minutes=5)
        reports.produce_handover("P1", clock.now)
    page, cursor = reports.list_handovers(STAFF, "P1", limit=2)
    assert [i["shift_end"] for i in page] == ["2026-11-24T10:00:00Z", "2026-11-24T00:00:00Z"]
    assert set(page[0]["counts"]) == {"opened", "open_now", "overdue", "escalated", "callbacks_due", "after_hours"}
    rest, end = reports.list_handovers(STAFF, "P1", limit=2, cursor=cursor)
    assert [i["shift_end"] for i in rest] == ["2026-11-23T10:00:00Z"] and end is None
    with pytest.raises(BadRequest):
        reports.list_handovers(DESK, "P2", limit=2, cursor=cursor)  # a cursor of another listing
    with pytest.raises(Forbidden):
        reports.list_handovers(TENANT, "P1", limit=2)


def test_cases_changed_since_reads_one_property_by_last_change(svc, store, clock):
    clock.now = T0 - timedelta(days=90)
    old = submit(svc)
    untouched = submit(svc)
    clock.now = T0
    fresh = submit(svc)
    submit(svc, pid="P2")
    clock.advance(minutes=5)
    svc.act(DESK, "P1", old.case_id, "classify", {"kind": "request"})
    found = store.cases_changed_since("P1", T0)
    assert sorted(c.case_id for c in found) == sorted([old.case_id, fresh.case_id])
    assert untouched.case_id not in [c.case_id for c in store.cases_changed_since("P1", T0 - timedelta(days=1))]
    assert [c.case_id for c in store.cases_changed_since("P1", T0 + timedelta(minutes=1))] == [old.case_id]


# --- daily and monthly figures ---------------------------------------------------------

def test_daily_figures_of_a_finished_day_are_computed_and_stored_once(svc, store, reports, clock, monday):
    svc.act(DESK, "P1", monday["early"], "callback", {"reached": True, "satisfied": True})
    clock.now = datetime(2026, 11, 23, 16, 5, tzinfo=timezone.utc)  # Tuesday 00:05 local
    figures = reports.produce_daily("P1", date(2026, 11, 23))
    assert figures["final"] is True and figures["received"] == 3
    assert figures["by_kind"]["complaint"] == 1 and figures["by_kind"]["request"] == 1
    assert figures["by_channel"]["app"] == 2 and figures["by_channel"]["phone"] == 1
    assert figures["escalations"] == {"total": 1, "by_tier": {"manager": 1}}
    assert figures["callbacks"] == {"attempts": 1, "reached": 1, "resolved": 1, "rate": 1.0}
    assert figures["on_time"]["callback"]["met_late"] == 1 and figures["on_time"]["callback"]["rate"] == 0.0
    assert figures["on_time"]["handoff"]["missed"] == 2  # the air-con and lift cases were never handed off
    stored = store.get_meta([("DAILY#P1", "2026-11-23")])[("DAILY#P1", "2026-11-23")].data
    assert stored == figures
    clock.advance(hours=1)
    svc.act(DESK, "P1", monday["lift"], "escalate", {"reason": "再次升级"})
    assert reports.produce_daily("P1", date(2026, 11, 23)) == figures  # stored figures are kept
    assert reports.get_daily(STAFF, "P1", date(2026, 11, 23)) == figures


def test_today_is_computed_live_and_not_stored(store, reports, clock, monday):
    today = reports.get_daily(DESK, "P1", date(2026, 11, 23))
    assert today["final"] is False and today["received"] == 3
    assert not store.get_meta([("DAILY#P1", "2026-11-23")])
    with pytest.raises(BadRequest):
        reports.produce_daily("P1", date(2026, 11, 23))
    with pytest.raises(BadRequest):
        reports.get_daily(DESK, "P1", date(2026, 11, 25))


def test_monthly_rollup_computes_missing_days_once(store, reports, clock, monday):
    clock.now = datetime(2026, 11, 24, 16, 5, tzinfo=timezone.utc)  # Wednesday 00:05 local
    reports.produce_daily("P1", date(2026, 11, 23))
    month = reports.get_monthly(DESK, "P1", 2026, 11)
    assert month["complete"] is False
    assert month["days"] == [f"2026-11-{d:02d}" for d in range(1, 25)]
    assert "2026-11-23" not in month["computed_days"] and len(month["computed_days"]) == 23
    assert month["received"] == 3  # Monday's three, the 06:00 one among them
    assert store.get_meta([("DAILY#P1", "2026-11-01")])
    assert reports.get_monthly(DESK, "P1", 2026, 11)["computed_days"] == []
    with pytest.raises(BadRequest):
        reports.get_monthly(DESK, "P1", 2026, 12)


# --- the hourly scheduler -----------------------------------------------------------------

def _hourly(reports, start, hours, property_ids=None):
    made = []
    for h in range(hours):
        now = start + timedelta(hours=h)
        result = reports.run_due(now, property_ids)
        made += [(pid, end) for pid, r in result.items() for end in r.get("handovers", [])]
    return made


def test_run_due_produces_each_handover_once_per_property(svc, reports, monkeypatch):
    monkeypatch.setenv("TD_PROPERTIES", "P1,P2")
    made = _hourly(reports, datetime(2026, 11, 23, 2, 5, tzinfo=timezone.utc), 24)  # Mon 10:05 -> Tue 09:05
    expected = [(pid, end) for end in ("2026-11-23T00:00:00Z", "2026-11-23T10:00:00Z", "2026-11-24T00:00:00Z")
                for pid in ("P1", "P2")]
    assert sorted(made, key=lambda m: (m[1], m[0])) == expected
    assert [i["shift_end"] for i in reports.list_handovers(DESK_P2, "P2", limit=10)[0]] == [
        "2026-11-24T00:00:00Z", "2026-11-23T10:00:00Z", "2026-11-23T00:00:00Z"]


def test_run_due_follows_each_property_own_time_zone_and_makes_yesterdays_figures(svc, store, reports):
    admin = Principal("admin-9", "admin", frozenset({"P3"}))
    svc.put_property(admin, "P3", {"name": "Thames Court", "contacts": contacts_of("thames.example"),
                                   "policy": {"timezone": "Europe/London"}})
    start = datetime(2026, 11, 23, 2, 5, tzinfo=timezone.utc)
    made = _hourly(reports, start, 22, property_ids=["P1", "P3"])   # up to Monday 23:05 UTC
    london = [end for pid, end in made if pid == "P3"]
    # London is UTC+0 in November: 18:00 Sunday first, then 08:00 and 18:00 Monday
    assert london == ["2026-11-22T18:00:00Z", "2026-11-23T08:00:00Z", "2026-11-23T18:00:00Z"]
    assert [end for pid, end in made if pid == "P1"] == ["2026-11-23T00:00:00Z", "2026-11-23T10:00:00Z"]
    days = store.get_meta([("DAILY#P1", "2026-11-22"), ("DAILY#P1", "2026-11-23"), ("DAILY#P3", "2026-11-22"),
                           ("DAILY#P3", "2026-11-23")])
    # Shanghai's Monday ended at 16:00 UTC; London's has not ended yet
    assert set(days) == {("DAILY#P1", "2026-11-22"), ("DAILY#P1", "2026-11-23"), ("DAILY#P3", "2026-11-22")}
    assert set(reports.properties()) >= {"P1", "P3"}  # registered as they were served


def test_run_due_catches_up_on_handovers_it_missed(reports):
    reports.run_due(datetime(2026, 11, 23, 2, 5, tzinfo=timezone.utc), ["P1"])
    result = reports.run_due(datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc), ["P1"])  # a day of outage
    assert result["P1"]["handovers"] == ["2026-11-23T10:00:00Z", "2026-11-24T00:00:00Z", "2026-11-24T10:00:00Z"]


def test_run_due_skips_unknown_properties_and_serves_the_rest(reports):
    result = reports.run_due(datetime(2026, 11, 23, 2, 5, tzinfo=timezone.utc), ["P9", "P1"])
    assert result["P9"] == {"skipped": "property_not_found"}
    assert result["P1"]["handovers"] == ["2026-11-23T00:00:00Z"]

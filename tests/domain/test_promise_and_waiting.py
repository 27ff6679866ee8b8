"""The promised time (seed 001 "需上报确定大致时间告知业主", 003 4.7.1 "告知预计解决时间"),
waiting on the tenant, and closing a callback that could not end the case."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import cases, deadlines, escalation
from chalicelib.domain.cases import Actor
from chalicelib.domain.errors import Forbidden, IllegalTransition, ValidationFailed

POLICY = deadlines.Policy()  # Asia/Shanghai, 08:00-18:00
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 Shanghai
TENANT = Actor("tenant-1", "tenant", "李女士")
DESK = Actor("desk-1", "front_desk", "前台小王")
STAFF = Actor("eng-1", "dept_staff", "张师傅")
MANAGER = Actor("mgr-1", "manager", "王经理")


def act(case, action, params, at, actor=STAFF, policy=POLICY):
    return cases.ACTIONS[action](case, actor, params, at, policy).case


def in_progress(kind="complaint", category="air_conditioning"):
    case = cases.new_case(property_id="P1", case_id="TD-20261123-0001", actor=TENANT,
                          params={"unit": "3栋1201", "content": "空调不制冷", "category": category}, now=T0,
                          policy=POLICY).case
    case = act(case, "classify", {"kind": kind, "cause": "equipment_facility", "department": "engineering"}, T0,
               DESK)
    case = act(case, "assign", {"assignee": "eng-1"}, T0 + timedelta(minutes=2), DESK)
    return act(case, "start", {}, T0 + timedelta(minutes=3))


def test_a_complaint_response_that_does_not_resolve_promises_a_time_that_goes_overdue():
    promised = "2026-11-23T16:00:00+08:00"
    case = act(in_progress(), "respond", {"message": "下午四点前修好", "promised_by": promised}, T0 + timedelta(minutes=5))
    due = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    assert case.deadlines["promise"].due == due and case.next_due() == due
    decision = escalation.decide(case, gen=case.watch_gen, now=due + timedelta(seconds=1), policy=POLICY)
    assert decision == escalation.Decision("escalate", key="promise")
    assert act(case, "resolve", {"resolution": "ok"}, due - timedelta(minutes=1)).deadlines["promise"].met_at


def test_without_a_promised_time_the_category_limit_is_promised():
    policy = deadlines.Policy.from_dict({"promise_by_category": {"air_conditioning": {"amount": 4, "unit": "hours"}}})
    case = act(in_progress(), "respond", {"message": "尽快处理"}, T0, policy=policy)
    assert case.deadlines["promise"].due == T0 + timedelta(hours=4)


def test_a_promise_beyond_the_category_limit_is_refused_and_changes_nothing():
    case = in_progress()
    with pytest.raises(ValidationFailed) as error:
        act(case, "respond", {"message": "下周吧", "promised_by": "2026-12-31T10:00:00+08:00"}, T0)
    assert error.value.code == "promise_too_late" and case.promise is None and case.status == "in_progress"


@pytest.mark.parametrize("value", ["2026-11-23T09:00:00+08:00", "2026-11-23T16:00:00", "tomorrow",
                                   "9999-12-31T23:59:59+00:00"])
def test_a_promise_in_the_past_or_without_offset_is_a_validation_error(value):
    with pytest.raises(ValidationFailed) as error:
        act(in_progress(), "respond", {"message": "x", "promised_by": value}, T0 + timedelta(hours=1))
    assert error.value.details == {"field": "promised_by"}
    case = act(in_progress(), "respond", {"message": "x"}, T0)
    with pytest.raises(ValidationFailed) as error:
        cases.move_promise(case, STAFF, {"promised_by": value, "reason": "r"}, T0 + timedelta(hours=1), POLICY)
    assert error.value.details == {"field": "promised_by"} and case.promise["moves"] == 0


def test_a_consultation_response_promises_nothing():
    case = act(in_progress(kind="consultation"), "respond", {"message": "x"}, T0)
    assert case.promise is None and "promise" not in case.deadlines


def test_the_owner_is_reminded_before_the_promised_time_once():
    case = act(in_progress(), "respond", {"message": "x", "promised_by": "2026-11-23T16:00:00+08:00"}, T0)
    due = case.deadlines["promise"].due
    assert escalation.decide(case, gen=1, now=T0, policy=POLICY).until == due - timedelta(hours=2)
    at = due - timedelta(hours=1)
    assert escalation.decide(case, gen=1, now=at, policy=POLICY) == escalation.Decision("remind", key="promise")
    change = escalation.remind_promise(case, at, POLICY)
    assert change.case.tier == case.tier and change.case.escalations["promise_reminder"]["notified"] is False
    reminded = escalation.mark_notified(change.case, "promise_reminder", ["desk@x"], at, POLICY).case
    assert escalation.decide(reminded, gen=1, now=at, policy=POLICY).until == due


def test_a_promise_beyond_today_is_reported_to_the_supervisor_the_same_day():
    today = act(in_progress(), "respond", {"message": "x", "promised_by": "2026-11-23T17:00:00+08:00"}, T0)
    assert "same_day_report" not in today.escalations
    later = act(in_progress(), "respond", {"message": "x", "promised_by": "2026-11-24T12:00:00+08:00"}, T0)
    report = later.escalations["same_day_report"]
    assert report["tier"] == "manager" and report["notified"] is False
    assert escalation.decide(later, gen=1, now=T0, policy=POLICY) == escalation.Decision("notify",
                                                                                          key="same_day_report")


def test_moving_a_promise_needs_a_reason_the_tenant_sees():
    case = act(in_progress(), "respond", {"message": "x", "promised_by": "2026-11-23T16:00:00+08:00"}, T0)
    change = cases.move_promise(case, STAFF, {"promised_by": "2026-11-24T16:00:00+08:00", "reason": "配件明天到"},
                                T0 + timedelta(hours=1), POLICY)
    assert change.case.deadlines["promise"].due == datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
    assert change.event.data["reason"] == "配件明天到" and change.case.promise["moves"] == 1
    with pytest.raises(ValidationFailed):
        act(case, "respond", {"message": "y", "promised_by": "2026-11-23T17:00:00+08:00"}, T0)


def test_waiting_on_the_tenant_pauses_the_promise_and_the_answer_resumes_it_later_by_the_wait():
    case = act(in_progress(), "respond", {"message": "x", "promised_by": "2026-11-23T16:00:00+08:00"}, T0)
    due = case.deadlines["promise"].due
    waiting = act(case, "await_tenant", {"reason": "access", "message": "请问明天几点方便入户？"}, T0 + timedelta(hours=1))
    assert waiting.status == "awaiting_tenant"
    assert waiting.next_due() == waiting.deadlines["waiting"].due  # only the wait itself is due
    decision = escalation.decide(waiting, gen=1, now=due + timedelta(hours=1), policy=POLICY)
    assert decision.action == "wait"  # the promise does not fire while waiting
    answered = act(waiting, "message", {"text": "明天上午十点"}, T0 + timedelta(hours=4), TENANT)
    assert answered.status == "responded" and answered.pause is None
    # Three working hours waited: the 16:00 promise moves past 18:00 into the next working morning.
    assert answered.deadlines["promise"].due == deadlines.add_working_time(due, timedelta(hours=3), POLICY)
    assert answered.deadlines["promise"].due == datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)  # 09:00 local
    assert answered.escalations["tenant_answered"]["notified"] is False  # a new item for the owner


def test_waiting_before_the_response_moves_the_response_window_by_the_wait():
    case = in_progress()
    due = case.deadlines["response"].due
    waiting = act(case, "await_tenant", {"reason": "question"}, T0 + timedelta(hours=1))
    resumed = act(waiting, "resume", {}, T0 + timedelta(hours=2))
    assert resumed.status == "in_progress" and resumed.deadlines["response"].due == due + timedelta(hours=1)


def test_a_wait_longer_than_the_property_limit_comes_back_to_the_front_desk():
    policy = deadlines.Policy.from_dict({"windows": {"awaiting_tenant": {"amount": 1, "unit": "hours"}}})
    waiting = act(in_progress(), "await_tenant", {"reason": "unreachable"}, T0, policy=policy)
    later = T0 + timedelta(hours=1, seconds=1)
    assert escalation.decide(waiting, gen=1, now=later, policy=policy) == escalation.Decision("return_to_desk",
                                                                                              key="waiting")
    back = escalation.return_to_desk(waiting, later, policy).case
    assert back.status == "in_progress" and back.escalations["waiting"]["tier"] == "front_desk"


def resolved_unreached(times):
    case = act(in_progress(), "resolve", {"resolution": "ok"}, T0 + timedelta(hours=1))
    for n in range(times):
        case = act(case, "callback", {"reached": False}, T0 + timedelta(hours=2 + n), DESK)
    return case


def test_a_manager_closes_as_unreachable_only_after_the_policy_attempts():
    with pytest.raises(IllegalTransition) as error:
        act(resolved_unreached(2), "close_unreachable", {}, T0 + timedelta(days=1), MANAGER)
    assert error.value.code == "callback_attempts_remaining"
    closed = act(resolved_unreached(3), "close_unreachable", {}, T0 + timedelta(days=1), MANAGER)
    assert closed.status == "closed" and closed.next_due() is None


def test_an_unsatisfied_callback_closes_only_by_a_manager_with_a_reason():
    case = act(resolved_unreached(0), "callback", {"reached": True, "satisfied": False}, T0 + timedelta(hours=2),
               DESK)
    with pytest.raises(Forbidden):
        act(case, "close", {}, T0 + timedelta(hours=3), DESK)
    with pytest.raises(ValidationFailed):
        act(case, "close", {}, T0 + timedelta(hours=3), MANAGER)
    assert act(case, "close", {"reason": "已按合同处理"}, T0 + timedelta(hours=3), MANAGER).status == "closed"


def test_the_new_policy_settings_round_trip_and_bad_ones_are_a_clear_4xx():
    policy = deadlines.Policy.from_dict({"promise_by_category": {"security": {"amount": 1, "unit": "hours"}},
                                         "promise_reminder": {"amount": 30, "unit": "minutes"},
                                         "callback_attempts": 5})
    assert deadlines.Policy.from_dict(policy.to_dict()) == policy
    assert policy.promise_limit("security") == deadlines.Window(1, "hours") and policy.callback_attempts == 5
    for bad, field in (({"callback_attempts": 0}, "callback_attempts"),
                       ({"promise_reminder": {"amount": 1, "unit": "working_days"}}, "promise_reminder.unit"),
                       ({"promise_by_category": []}, "promise_by_category")):
        with pytest.raises(ValidationFailed) as error:
            deadlines.Policy.from_dict(bad)
        assert error.value.code == "invalid_policy" and error.value.details == {"field": field}


def test_a_wait_over_the_weekend_moves_the_windows_by_the_working_time_waited():
    """Paused Friday 17:00, answered Monday 09:30 (09:00-18:00 working hours):
    the owner's windows move by 1 h 30 min of working time, not by 64 hours."""
    policy = deadlines.Policy.from_dict({"timezone": "Asia/Shanghai", "work_start": "09:00", "work_end": "18:00"})
    friday_1700 = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
    monday_0930 = datetime(2026, 11, 30, 1, 30, tzinfo=timezone.utc)
    assert deadlines.working_time_between(friday_1700, monday_0930, policy).total_seconds() == 1.5 * 3600
    assert deadlines.working_time_between(monday_0930, friday_1700, policy).total_seconds() == 0
    friday_1500 = datetime(2026, 11, 27, 7, 0, tzinfo=timezone.utc)
    # a promise due Friday 17:30 moves by the 1 h 30 min: Monday 10:00
    assert deadlines.add_working_time(friday_1500 + timedelta(hours=2, minutes=30),
                                      deadlines.working_time_between(friday_1700, monday_0930, policy),
                                      policy) == datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)


def test_a_reminder_is_not_mailed_as_an_escalation():
    from chalicelib.mail.templates import escalation_mail
    common = {"tier": "manager", "case_id": "TD-20261123-0001", "unit": "3栋1201", "content": "漏水", "due": "-"}
    assert escalation_mail("zh-Hans", key="promise_reminder", **common)[0] == \
        "[TD-20261123-0001] 提醒：告知业主的解决时间将到"
    assert escalation_mail("en", key="same_day_report", **common)[0].startswith("[TD-20261123-0001] Reminder:")
    assert "升级提醒" in escalation_mail("zh-Hans", key="promise", **common)[0]  # a missed promise escalates

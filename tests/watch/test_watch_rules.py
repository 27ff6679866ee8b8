"""The watcher's decisions, as pure rules (chalicelib/domain/escalation.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import cases, escalation
from chalicelib.domain.cases import Actor
from chalicelib.domain.deadlines import Policy
from chalicelib.domain.errors import IllegalTransition

POLICY = Policy()
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 Shanghai
TENANT = Actor("tenant-1", "tenant")
DESK = Actor("desk-1", "front_desk")
CONTACTS = {"manager": "mgr@p1.example", "director": "dir@p1.example", "on_duty": "control@p1.example"}


def new(**params):
    body = {"channel": "app", "unit": "3-1201", "content": "空调不制冷", **params}
    return cases.new_case(property_id="P1", case_id="TD-20261123-0001", actor=TENANT, params=body, now=T0,
                          policy=POLICY).case


def apply(case, action, params, at):
    return cases.ACTIONS[action](case, DESK, params, at, POLICY).case


def test_a_new_case_waits_for_its_handoff_deadline():
    assert escalation.decide(new(), gen=1, now=T0, policy=POLICY) == \
        escalation.Decision("wait", T0 + timedelta(minutes=10))


def test_missed_handoff_escalates_once_then_notifies_then_waits_for_the_next_tier():
    case = new()
    at = T0 + timedelta(minutes=10)
    assert escalation.decide(case, gen=1, now=at, policy=POLICY) == escalation.Decision("escalate", key="handoff")
    case = escalation.escalate_missed(case, "handoff", at, POLICY).case
    assert case.tier == "manager"
    assert escalation.decide(case, gen=1, now=at, policy=POLICY) == escalation.Decision("notify", key="handoff")
    case = escalation.mark_notified(case, "handoff", ["mgr@p1.example"], at, POLICY).case
    decision = escalation.decide(case, gen=1, now=at, policy=POLICY)
    assert decision == escalation.Decision("wait", at + timedelta(hours=2))  # the manager's turn
    case = escalation.escalate_missed(case, "handoff", at + timedelta(hours=2), POLICY).case
    assert case.tier == "director" and case.escalations["handoff"]["count"] == 2


def test_at_the_director_a_missed_deadline_is_not_escalated_again():
    case = new()
    for hours in (0, 2):
        at = T0 + timedelta(minutes=10, hours=hours)
        case = escalation.escalate_missed(case, "handoff", at, POLICY).case
        case = escalation.mark_notified(case, "handoff", ["x"], at, POLICY).case
    later = T0 + timedelta(hours=5)
    decision = escalation.decide(case, gen=1, now=later, policy=POLICY)
    assert decision.action == "wait" and decision.until == case.deadlines["response"].due


def test_handoff_met_in_time_means_waiting_for_the_reply_window():
    case = apply(new(), "classify", {"kind": "complaint", "department": "engineering"}, T0 + timedelta(minutes=2))
    case = apply(case, "assign", {"assignee": "eng-1"}, T0 + timedelta(minutes=3))
    decision = escalation.decide(case, gen=1, now=T0 + timedelta(minutes=3), policy=POLICY)
    assert decision == escalation.Decision("wait", case.deadlines["response"].due)


def test_a_deadline_moved_later_is_honoured_and_never_escalated_at_the_old_time():
    # A property that promises feedback within a week, so only the cause-based reply window is in play
    # (the default 1-working-day feedback stays in force beside it: deadlines.tracked_windows).
    policy = Policy.from_dict({"windows": {"feedback": {"amount": 5, "unit": "working_days"}}})
    case = cases.classify(new(), DESK, {"kind": "complaint", "department": "engineering",
                                        "cause": "outside_control"}, T0, policy).case
    case = cases.assign(case, DESK, {"assignee": "eng-1"}, T0, policy).case
    old_due = case.deadlines["response"].due  # 2 working days
    case = cases.classify(case, DESK, {"cause": "equipment_facility"}, T0 + timedelta(hours=1), policy).case
    decision = escalation.decide(case, gen=1, now=old_due, policy=policy)
    assert decision.action == "wait"  # no escalation at the old time
    assert decision.until == min(case.deadlines["response"].due, old_due + escalation.HEARTBEAT)
    assert case.deadlines["response"].due > old_due


def test_an_escalation_for_a_deadline_that_moved_does_not_block_the_new_one():
    case = apply(new(), "classify", {"kind": "complaint", "department": "engineering"}, T0)
    case = apply(case, "assign", {"assignee": "eng-1"}, T0)
    missed = case.deadlines["response"].due
    case = escalation.escalate_missed(case, "response", missed, POLICY).case
    case = escalation.mark_notified(case, "response", ["x"], missed, POLICY).case
    case = apply(case, "respond", {"message": "已联系", "promised_by": "2026-11-24T17:00:00+08:00"},
                 missed + timedelta(minutes=5))
    case = apply(case, "reopen", {"reason": "没修好"}, missed + timedelta(days=1)) if case.status == "resolved" else case
    assert escalation.decide(case, gen=1, now=missed + timedelta(minutes=6), policy=POLICY).action == "wait"


def test_closed_cases_and_superseded_watchers_are_done():
    case = apply(new(), "classify", {"kind": "consultation"}, T0)
    assert escalation.decide(case, gen=2, now=T0, policy=POLICY).action == "done"
    case = apply(case, "answer", {"message": "可以"}, T0)
    assert escalation.decide(case, gen=1, now=T0, policy=POLICY).action == "done"


def test_major_complaint_asks_for_the_manager_notice_at_once_and_leaves_the_director_to_the_manager():
    case = apply(new(), "classify", {"kind": "complaint", "severity": "major"}, T0)
    assert case.tier == "manager"
    assert escalation.decide(case, gen=1, now=T0, policy=POLICY) == escalation.Decision("notify", key="major")
    assert escalation.recipients(case, "major", CONTACTS, POLICY, T0) == ["mgr@p1.example"]


def test_after_hours_escalations_go_to_the_on_duty_desk_not_to_people_off_duty():
    night = datetime(2026, 11, 22, 18, 0, tzinfo=timezone.utc)  # Monday 02:00 Shanghai
    case = new()
    case = escalation.escalate_missed(case, "handoff", night, POLICY).case
    assert escalation.recipients(case, "handoff", CONTACTS, POLICY, night) == ["control@p1.example"]
    assert escalation.recipients(case, "handoff", CONTACTS, POLICY, T0) == ["mgr@p1.example"]


def test_an_open_case_without_deadlines_is_still_looked_at_daily():
    # Not yet classified as a complaint or request: the response promises no time.
    case = apply(new(), "classify", {"department": "engineering"}, T0)
    case = apply(case, "assign", {"assignee": "eng-1"}, T0)
    case = apply(case, "respond", {"message": "处理中"}, T0)
    assert escalation.decide(case, gen=1, now=T0, policy=POLICY) == \
        escalation.Decision("wait", T0 + escalation.HEARTBEAT)


def test_a_new_watcher_is_needed_only_when_a_look_is_needed_sooner():
    case = apply(new(), "classify", {"kind": "complaint", "department": "engineering"}, T0)
    case = apply(case, "assign", {"assignee": "eng-1"}, T0)
    noted = apply(case, "note", {"note": "x"}, T0)
    assert not escalation.needs_new_watcher(case, noted, POLICY, T0)
    urgent = apply(case, "classify", {"cause": "business_affected"}, T0)
    assert escalation.needs_new_watcher(case, urgent, POLICY, T0)
    major = apply(case, "classify", {"severity": "major"}, T0)
    assert escalation.needs_new_watcher(case, major, POLICY, T0)
    responded = apply(case, "respond", {"message": "x", "promised_by": "2026-11-23T17:00:00+08:00"}, T0)
    resolved = apply(apply(responded, "note", {"note": "x"}, T0), "resolve", {"resolution": "ok"}, T0)
    assert escalation.needs_new_watcher(responded, resolved, POLICY, T0)  # the callback window starts
    closed = apply(apply(resolved, "callback", {"reached": True, "satisfied": True}, T0), "close", {}, T0)
    assert not escalation.needs_new_watcher(resolved, closed, POLICY, T0)


def test_a_watcher_near_the_one_year_limit_is_renewed_and_the_old_one_ends():
    assert not escalation.needs_renewal(None, T0)
    assert not escalation.needs_renewal(T0 - timedelta(days=329, hours=23), T0)
    assert escalation.needs_renewal(T0 - timedelta(days=330), T0)
    change = escalation.renew(new(), T0, POLICY)
    assert change.case.watch_gen == 2 and change.event.action == "watch_renewed"
    assert change.event.data == {"gen": 2, "reason": "execution_age"} and change.case.version == 2
    assert escalation.decide(change.case, gen=1, now=T0, policy=POLICY).action == "done"
    assert escalation.decide(change.case, gen=2, now=T0, policy=POLICY).action == "wait"
    closed = apply(apply(new(), "classify", {"kind": "consultation"}, T0), "answer", {"message": "可以"}, T0)
    with pytest.raises(IllegalTransition):
        escalation.renew(closed, T0, POLICY)


@pytest.mark.parametrize("value,expected", [
    ("2026-11-23T02:00:00.123Z", datetime(2026, 11, 23, 2, 0, 0, 123000, tzinfo=timezone.utc)),
    ("2026-11-23T10:00:00+08:00", T0), (None, None), ("", None), ("yesterday", None)])
def test_the_execution_start_time_is_read_as_step_functions_writes_it(value, expected):
    from chalicelib.services.case_watch import _started_at
    assert _started_at(value) == expected

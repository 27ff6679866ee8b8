"""The property's policy and the windows a case is held to: the commercial
plan's optional steps (seed 002), the 1-working-day feedback beside a
cause-based window (seed 003, 3.4 and 4.6), and what a policy change does to
open cases. Pure rules, time injected."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import cases, escalation
from chalicelib.domain.cases import Actor
from chalicelib.domain.deadlines import Policy, Window, tracked_windows
from chalicelib.domain.errors import ValidationFailed

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 Asia/Shanghai
STANDARD = Policy()
COMMERCIAL = Policy.from_dict({"preset": "commercial"})
TENANT = Actor("tenant-1", "tenant", "李女士")
DESK = Actor("desk-1", "front_desk", "前台小王")
MANAGER = Actor("mgr-1", "manager", "王经理")


def submitted(policy: Policy = STANDARD, **params) -> cases.Case:
    base = {"channel": "app", "unit": "3栋1201", "content": "空调不制冷"}
    base.update(params)
    return cases.new_case(property_id="P1", case_id="TD-20261123-0001", actor=TENANT, params=base, now=T0,
                          policy=policy).case


def act(case, action, params=None, *, minutes=5, policy: Policy = STANDARD):
    return cases.ACTIONS[action](case, DESK, params or {}, T0 + timedelta(minutes=minutes), policy).case


# --- the commercial preset --------------------------------------------------------

def test_commercial_preset_promises_acknowledge_in_30_minutes_diagnosis_in_2_hours_plan_in_4_hours():
    assert (COMMERCIAL.acknowledge, COMMERCIAL.diagnosis, COMMERCIAL.plan) == (
        Window(30, "minutes"), Window(2, "hours"), Window(4, "hours"))
    case = submitted(COMMERCIAL)
    assert case.deadlines["acknowledge"].due == T0 + timedelta(minutes=30)
    assert case.deadlines["diagnosis"].due == T0 + timedelta(hours=2)
    assert case.deadlines["plan"].due == T0 + timedelta(hours=4)


def test_standard_policy_holds_a_case_to_none_of_the_commercial_steps():
    assert set(submitted().deadlines) == {"handoff", "response"}


def test_commercial_preset_keeps_the_mall_procedure_windows():
    assert COMMERCIAL.handoff == STANDARD.handoff and COMMERCIAL.feedback == STANDARD.feedback
    assert {"handoff", "response"} <= set(submitted(COMMERCIAL).deadlines)


def test_a_property_window_overrides_its_preset_and_survives_the_round_trip():
    policy = Policy.from_dict({"preset": "commercial", "windows": {"plan": {"amount": 6, "unit": "hours"}}})
    assert policy.plan == Window(6, "hours") and policy.acknowledge == Window(30, "minutes")
    assert Policy.from_dict(policy.to_dict()) == policy
    assert Policy.from_dict(COMMERCIAL.to_dict()) == COMMERCIAL


def test_one_commercial_step_can_be_turned_on_without_the_preset():
    policy = Policy.from_dict({"windows": {"acknowledge": {"amount": 15, "unit": "minutes"}}})
    assert set(submitted(policy).deadlines) == {"handoff", "response", "acknowledge"}


def test_an_unknown_preset_is_an_invalid_policy_naming_the_field():
    with pytest.raises(ValidationFailed) as err:
        Policy.from_dict({"preset": "office"})
    assert err.value.code == "invalid_policy" and err.value.details == {"field": "preset"}


def test_a_consultation_is_held_only_to_its_own_window_under_the_commercial_preset():
    assert set(tracked_windows(COMMERCIAL, "consultation", "outside_control")) == {"response"}


# --- what meets each commercial step ---------------------------------------------

def test_handing_the_case_over_meets_acknowledge():
    case = act(submitted(COMMERCIAL), "classify", {"kind": "complaint", "department": "engineering"},
               policy=COMMERCIAL)
    case = act(case, "assign", {"assignee": "eng-1"}, minutes=20, policy=COMMERCIAL)
    assert case.deadlines["acknowledge"].met_at == T0 + timedelta(minutes=20)
    assert case.deadlines["diagnosis"].met_at is None


def test_classifying_with_a_cause_meets_diagnosis_but_without_one_does_not():
    without = act(submitted(COMMERCIAL), "classify", {"kind": "complaint"}, policy=COMMERCIAL)
    assert without.deadlines["diagnosis"].met_at is None
    with_cause = act(without, "classify", {"cause": "equipment_facility"}, minutes=90, policy=COMMERCIAL)
    assert with_cause.deadlines["diagnosis"].met_at == T0 + timedelta(minutes=90)


def test_starting_work_meets_diagnosis():
    case = act(submitted(COMMERCIAL), "classify", {"kind": "complaint", "department": "engineering"},
               policy=COMMERCIAL)
    case = act(case, "assign", {"assignee": "eng-1"}, policy=COMMERCIAL)
    case = act(case, "start", minutes=60, policy=COMMERCIAL)
    assert case.deadlines["diagnosis"].met_at == T0 + timedelta(minutes=60)


def test_telling_the_tenant_the_plan_meets_plan_and_a_later_edit_keeps_it():
    case = act(submitted(COMMERCIAL), "classify", {"kind": "complaint", "department": "engineering"},
               policy=COMMERCIAL)
    case = act(case, "assign", {"assignee": "eng-1"}, policy=COMMERCIAL)
    case = act(case, "respond", {"message": "师傅下午两点上门", "via": "phone"}, minutes=200, policy=COMMERCIAL)
    case = act(case, "note", {"note": "已联系"}, minutes=300, policy=COMMERCIAL)
    assert case.deadlines["plan"].met_at == T0 + timedelta(minutes=200)
    assert case.deadlines["plan"].to_dict()["met_on_time"] is True


def test_the_watcher_escalates_a_case_not_acknowledged_in_30_minutes():
    case = submitted(COMMERCIAL)
    decision = escalation.decide(case, gen=case.watch_gen, now=T0 + timedelta(minutes=31), policy=COMMERCIAL)
    assert (decision.action, decision.key) == ("escalate", "acknowledge")
    assert escalation.escalate_missed(case, "acknowledge", T0 + timedelta(minutes=31), COMMERCIAL).case.tier == (
        "manager")


# --- the 1-working-day feedback beside a cause-based window ----------------------

def test_a_three_working_day_cause_still_owes_feedback_within_one_working_day():
    case = act(submitted(), "classify", {"kind": "complaint", "cause": "equipment_facility"})
    # Monday 10:00 Shanghai: feedback by Tuesday 10:00, the reply by Thursday 10:00.
    assert case.deadlines["feedback"].due == T0 + timedelta(days=1)
    assert case.deadlines["response"].due == T0 + timedelta(days=3)
    assert case.next_due() == min(case.deadlines["handoff"].due, case.deadlines["feedback"].due)


def test_a_case_without_a_cause_has_the_feedback_window_once_as_its_response():
    case = act(submitted(), "classify", {"kind": "complaint"})
    assert "feedback" not in case.deadlines
    assert case.deadlines["response"].due == T0 + timedelta(days=1)


def test_a_reply_on_day_two_misses_the_feedback_but_meets_the_three_day_reply():
    case = act(submitted(), "classify", {"kind": "complaint", "cause": "outside_control",
                                          "department": "engineering"})
    case = act(case, "assign", {"assignee": "eng-1"})
    case = act(case, "respond", {"message": "已联系供电局"}, minutes=60 * 30)
    assert case.deadlines["feedback"].to_dict()["met_on_time"] is False
    assert case.deadlines["response"].to_dict()["met_on_time"] is True


def test_the_watcher_escalates_a_missed_feedback_while_the_reply_window_runs():
    case = act(submitted(), "classify", {"kind": "complaint", "cause": "equipment_facility",
                                          "department": "engineering"})
    case = act(case, "assign", {"assignee": "eng-1"})
    decision = escalation.decide(case, gen=case.watch_gen, now=T0 + timedelta(days=1, minutes=1), policy=STANDARD)
    assert (decision.action, decision.key) == ("escalate", "feedback")


# --- a policy change recomputes open cases ------------------------------------------

SHORTER = Policy.from_dict({"windows": {"reply_equipment_facility": {"amount": 1, "unit": "working_days"}}})


def equipment_case() -> cases.Case:
    return act(submitted(), "classify", {"kind": "complaint", "cause": "equipment_facility"})


def test_shortening_a_window_moves_the_open_case_deadline_at_once_with_an_internal_event():
    case = equipment_case()
    change = cases.policy_changed(case, MANAGER, T0 + timedelta(hours=1), SHORTER)
    assert change is not None
    assert change.case.deadlines["response"].due == T0 + timedelta(days=1)
    assert change.case.version == case.version + 1
    assert change.event.action == "policy_changed" and change.event.actor == MANAGER
    assert change.event.changes["deadlines"]["from"]["response"]["due"] != (
        change.event.changes["deadlines"]["to"]["response"]["due"])


def test_a_policy_change_that_moves_no_deadline_writes_nothing():
    same = Policy.from_dict({"handover_times": ["10:00", "22:00"]})
    assert cases.policy_changed(equipment_case(), MANAGER, T0 + timedelta(hours=1), same) is None


def test_a_policy_change_keeps_the_times_deadlines_were_met():
    case = act(equipment_case(), "classify", {"department": "engineering"})
    case = act(case, "assign", {"assignee": "eng-1"}, minutes=8)
    change = cases.policy_changed(case, MANAGER, T0 + timedelta(hours=1), SHORTER)
    assert change is not None and change.case.deadlines["handoff"].met_at == T0 + timedelta(minutes=8)


def test_a_closed_case_is_not_recomputed():
    case = act(submitted(), "classify", {"kind": "consultation"})
    case = act(case, "answer", {"message": "物业费在前台交"})
    assert cases.policy_changed(case, MANAGER, T0 + timedelta(hours=1), SHORTER) is None


def test_a_deadline_moved_earlier_by_a_policy_change_needs_a_new_watcher_and_a_later_one_does_not():
    case = equipment_case()
    case = act(case, "classify", {"department": "engineering"})
    case = act(case, "assign", {"assignee": "eng-1"})
    case = act(case, "respond", {"message": "已安排"}, minutes=10)
    now = T0 + timedelta(hours=1)
    # responded: the reply window is met, so shortening it moves nothing the watcher waits for
    shorter = cases.policy_changed(case, MANAGER, now, SHORTER)
    assert shorter is not None and escalation.needs_new_watcher(case, shorter.case, SHORTER, now) is False
    waiting, now = submitted(), T0 + timedelta(minutes=1)  # not handed over yet: the watcher sleeps till 10 min
    shorter = cases.policy_changed(waiting, MANAGER, now, Policy.from_dict(
        {"windows": {"handoff": {"amount": 5, "unit": "minutes"}}}))
    assert shorter is not None and escalation.needs_new_watcher(waiting, shorter.case, SHORTER, now) is True
    longer = cases.policy_changed(waiting, MANAGER, now, Policy.from_dict(
        {"windows": {"handoff": {"amount": 30, "unit": "minutes"}}}))
    assert longer is not None and escalation.needs_new_watcher(waiting, longer.case, SHORTER, now) is False

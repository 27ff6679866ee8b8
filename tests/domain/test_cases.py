"""The case lifecycle as pure rules: no AWS, no HTTP."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import cases
from chalicelib.domain.cases import Actor
from chalicelib.domain.deadlines import Policy
from chalicelib.domain.errors import Conflict, IllegalTransition, ValidationFailed

POLICY = Policy()
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 Asia/Shanghai
TENANT = Actor("tenant-1", "tenant", "李女士")
DESK = Actor("desk-1", "front_desk", "前台小王")
STAFF = Actor("eng-1", "dept_staff", "张师傅")


def submitted(**params) -> cases.Case:
    base = {"channel": "app", "unit": "3栋1201", "content": "空调不制冷"}
    base.update(params)
    return cases.new_case(property_id="P1", case_id="TD-20261123-0001", actor=TENANT, params=base, now=T0,
                          policy=POLICY).case


def act(case, action, params=None, actor=DESK, at=T0 + timedelta(minutes=5)):
    return cases.ACTIONS[action](case, actor, params or {}, at, POLICY)


def routed(**classify):
    case = act(submitted(), "classify", {"kind": "complaint", "department": "engineering", **classify}).case
    return act(case, "assign", {"assignee": "eng-1"}).case


def through(case, *steps):
    for action, params in steps:
        case = act(case, action, params).case
    return case


RESOLVED = [("start", {}), ("respond", {"message": "已安排"}), ("resolve", {"resolution": "已修好"})]


def test_new_tenant_case_is_received_at_front_desk_with_handoff_and_feedback_deadlines():
    case = submitted()
    assert case.status == "received" and case.tier == "front_desk" and case.version == 1
    assert case.reporter["tenant_id"] == "tenant-1" and case.recorder is None
    assert case.deadlines["handoff"].due == T0 + timedelta(minutes=10)
    assert case.deadlines["response"].due == T0 + timedelta(days=1)  # 1 working day, Monday -> Tuesday
    assert case.next_due() == T0 + timedelta(minutes=10)


def test_staff_logged_walk_in_records_recorder_and_needs_caller_phone():
    params = {"channel": "walk_in", "unit": "B1停车场", "content": "车被刮", "reporter": {"name": "陈先生"}}
    with pytest.raises(ValidationFailed) as err:
        cases.new_case(property_id="P1", case_id="TD-1", actor=DESK, params=params, now=T0, policy=POLICY)
    assert err.value.details["field"] == "reporter.phone"
    params["reporter"]["phone"] = "13800000000"
    case = cases.new_case(property_id="P1", case_id="TD-1", actor=DESK, params=params, now=T0, policy=POLICY).case
    assert case.recorder == "desk-1" and case.contact == "13800000000" and case.tenant_id is None


def test_letter_and_email_cases_are_marked_written():
    params = {"channel": "letter", "unit": "商铺L1-05", "content": "書面投訴", "reporter": {"name": "黃小姐"}}
    case = cases.new_case(property_id="P1", case_id="TD-1", actor=DESK, params=params, now=T0, policy=POLICY).case
    assert case.written is True
    assert submitted().written is False


def test_tenant_cannot_use_a_staff_channel():
    with pytest.raises(ValidationFailed):
        submitted(channel="phone")


def test_whitespace_only_content_is_refused():
    with pytest.raises(ValidationFailed):
        submitted(content="   \n ")


def test_full_lifecycle_reaches_closed_and_every_step_is_an_event():
    case = routed(cause="equipment_facility")
    assert case.status == "routed" and case.version == 3
    steps = RESOLVED + [("callback", {"reached": True, "satisfied": True}), ("close", {})]
    statuses = []
    for action, params in steps:
        change = act(case, action, params)
        assert change.event.seq == change.case.version == case.version + 1
        assert change.event.action == action
        case = change.case
        statuses.append(case.status)
    assert statuses == ["in_progress", "responded", "resolved", "callback_done", "closed"]
    assert case.next_due() is None and not case.is_open


def test_assign_meets_the_handoff_and_records_it_in_the_event():
    case = act(submitted(), "classify", {"kind": "request", "department": "engineering"}).case
    change = act(case, "assign", {"assignee": "eng-1"}, at=T0 + timedelta(minutes=8))
    assert change.case.deadlines["handoff"].met_at == T0 + timedelta(minutes=8)
    assert change.event.changes["status"] == {"from": "received", "to": "routed"}
    assert change.event.changes["assignee"] == {"from": None, "to": "eng-1"}


def test_assign_without_department_is_refused():
    with pytest.raises(ValidationFailed):
        act(submitted(), "assign", {"assignee": "eng-1"})


@pytest.mark.parametrize("action,params,status", [
    ("start", {}, "received"),
    ("callback", {"reached": True, "satisfied": True}, "received"),
    ("close", {}, "received"),
    ("reopen", {"reason": "x"}, "received"),
    ("rate", {"score": 5}, "received"),
])
def test_illegal_transitions_from_received_are_409(action, params, status):
    case = submitted()
    with pytest.raises(IllegalTransition) as err:
        act(case, action, params)
    assert err.value.status == 409 and err.value.details["status"] == status


def test_resolved_case_cannot_close_before_the_callback():
    case = through(routed(), *RESOLVED)
    with pytest.raises(IllegalTransition):
        act(case, "close", {})


def test_closed_case_refuses_every_change_but_notes_rating_and_reopen():
    # reopen within the property's reopen period: tests/domain/test_reopen_repeat.py
    case = through(routed(), *RESOLVED, ("callback", {"reached": True, "satisfied": True}), ("close", {}))
    for action in ("classify", "assign", "start", "respond", "resolve", "callback", "escalate", "message"):
        with pytest.raises(IllegalTransition):
            act(case, action, {"kind": "complaint", "assignee": "x", "message": "x", "resolution": "x",
                               "reached": True, "satisfied": True, "reason": "x", "text": "x"})
    assert act(case, "note", {"note": "归档"}).case.status == "closed"
    assert act(case, "rate", {"score": 4}, actor=TENANT).case.rating["score"] == 4


def test_callback_not_reached_keeps_case_resolved_and_counts_attempts():
    case = through(routed(), *RESOLVED)
    case = act(case, "callback", {"reached": False, "comment": "无人接听"}).case
    assert case.status == "resolved" and case.callback["attempts"] == 1
    assert case.deadlines["callback"].met_at is None
    case = act(case, "callback", {"reached": True, "satisfied": False, "comment": "仍有异响"}).case
    assert case.status == "callback_done" and case.callback["attempts"] == 2 and case.callback["satisfied"] is False


def test_callback_reaching_tenant_must_say_whether_satisfied():
    case = through(routed(), *RESOLVED)
    with pytest.raises(ValidationFailed):
        act(case, "callback", {"reached": True})


def test_resolution_starts_a_three_working_hour_callback_window():
    case = through(routed(), *RESOLVED)  # resolved Monday 10:05 Shanghai
    assert case.deadlines["callback"].due == T0 + timedelta(minutes=5, hours=3)
    assert case.next_due() == case.deadlines["callback"].due


def test_reopen_from_resolved_restarts_response_window_and_drops_callback():
    case = through(routed(), *RESOLVED)
    later = T0 + timedelta(days=1)
    change = cases.reopen(case, TENANT, {"reason": "还是不制冷"}, later, POLICY)
    case = change.case
    assert case.status == "in_progress"
    assert "callback" not in case.deadlines
    assert case.deadlines["response"].met_at is None
    assert case.deadlines["response"].due == later + timedelta(days=1)


def test_reopen_from_callback_done_is_allowed():
    case = through(routed(), *RESOLVED, ("callback", {"reached": True, "satisfied": False}))
    assert act(case, "reopen", {"reason": "没修好"}).case.status == "in_progress"


def test_consultation_is_answered_and_closed_at_once():
    case = act(submitted(), "classify", {"kind": "consultation"}).case
    assert case.deadlines["response"].due == T0 + timedelta(minutes=10)
    change = act(case, "answer", {"message": "物业费可在APP缴纳"})
    assert change.case.status == "closed"
    assert change.case.deadlines["response"].met_at == T0 + timedelta(minutes=5)
    assert change.case.deadlines["handoff"].met_at is not None


def test_only_consultations_are_answered():
    with pytest.raises(IllegalTransition):
        act(routed(), "answer", {"message": "x"})


MANAGER = Actor("mgr-1", "manager", "王经理")


def proposed_invalid() -> cases.Case:
    return act(submitted(), "classify", {"kind": "complaint", "validity": "invalid"}).case


def test_front_desk_invalid_is_only_a_proposal_and_cannot_be_explained_yet():
    case = proposed_invalid()
    assert case.validity == "invalid" and case.validity_confirmed is False
    assert cases.invalid_proposed(case) and not cases.lifecycle_allows(case, "explain")
    with pytest.raises(IllegalTransition) as err:
        act(case, "explain", {"message": "该设施属于市政管理范围"})
    assert err.value.code == "invalid_not_confirmed" and err.value.details["validity_confirmed"] is False
    assert case.status == "received" and case.closed_at is None


def test_invalid_complaint_confirmed_by_the_manager_is_explained_and_closed():
    confirmed = act(proposed_invalid(), "confirm_invalid", {"reason": "属市政设施"}, actor=MANAGER)
    assert confirmed.case.validity_confirmed is True and confirmed.event.action == "confirm_invalid"
    assert confirmed.event.changes["validity_confirmed"] == {"from": False, "to": True}
    assert cases.lifecycle_allows(confirmed.case, "explain")
    change = act(confirmed.case, "explain", {"message": "该设施属于市政管理范围"})
    assert change.case.status == "closed" and change.case.responded_at is not None


def test_manager_rejecting_the_proposal_makes_it_a_valid_complaint_that_is_never_explained_away():
    change = act(proposed_invalid(), "reject_invalid", {"reason": "属于我们的保洁范围"}, actor=MANAGER)
    assert change.case.validity == "valid" and change.case.validity_confirmed is False
    assert change.event.data == {"reason": "属于我们的保洁范围"}
    for action in ("explain", "confirm_invalid", "reject_invalid"):
        assert not cases.lifecycle_allows(change.case, action)
    with pytest.raises(IllegalTransition) as err:
        act(change.case, "explain", {"message": "x"})
    assert err.value.code == "illegal_transition"


@pytest.mark.parametrize("classification", [
    None, {"kind": "complaint", "validity": "valid"}, {"kind": "complaint"}, {"kind": "consultation"}])
def test_only_a_proposed_invalid_complaint_is_confirmed_or_rejected(classification):
    case = act(submitted(), "classify", classification).case if classification else submitted()
    for action, params in (("confirm_invalid", {}), ("reject_invalid", {"reason": "x"})):
        with pytest.raises(IllegalTransition) as err:
            act(case, action, params, actor=MANAGER)
        assert err.value.code == "illegal_transition"


def test_a_confirmed_invalid_complaint_cannot_be_confirmed_twice():
    confirmed = act(proposed_invalid(), "confirm_invalid", {}, actor=MANAGER).case
    with pytest.raises(IllegalTransition):
        act(confirmed, "confirm_invalid", {}, actor=MANAGER)


def test_reclassifying_a_confirmed_invalid_complaint_makes_invalid_a_proposal_again():
    confirmed = act(proposed_invalid(), "confirm_invalid", {}, actor=MANAGER).case
    same = act(confirmed, "classify", {"category": "cleaning"}).case
    assert same.validity_confirmed is True  # nothing about validity changed
    revalued = through(confirmed, ("classify", {"validity": "valid"}), ("classify", {"validity": "invalid"}))
    assert revalued.validity == "invalid" and revalued.validity_confirmed is False
    assert not cases.lifecycle_allows(revalued, "explain")


def test_a_closed_invalid_complaint_can_no_longer_be_confirmed():
    confirmed = act(proposed_invalid(), "confirm_invalid", {}, actor=MANAGER).case
    closed = act(confirmed, "explain", {"message": "不属于物业服务范围"}).case
    with pytest.raises(IllegalTransition):
        act(closed, "reject_invalid", {"reason": "x"}, actor=MANAGER)


def test_front_desk_answers_a_call_before_hand_off_and_the_handoff_window_is_met():
    at = T0 + timedelta(minutes=3)
    case = act(submitted(), "respond", {"message": "物业费可以在App缴纳", "via": "phone"}, at=at).case
    assert case.status == "responded" and case.routed_at is None
    assert case.deadlines["handoff"].met_at == at and case.deadlines["response"].met_at == at
    assert case.next_due() is None  # nothing left for the watcher to escalate


def test_front_desk_resolves_on_the_spot_from_received():
    at = T0 + timedelta(minutes=4)
    case = act(submitted(), "resolve", {"resolution": "已当场为业主重置门禁卡"}, at=at).case
    assert case.status == "resolved" and case.resolved_at == at
    assert case.deadlines["handoff"].met_at == at and case.deadlines["response"].met_at == at
    assert "callback" in case.deadlines and case.deadlines["callback"].met_at is None  # the callback still follows


def test_a_phone_call_to_a_received_letter_meets_neither_handoff_nor_response():
    params = {"channel": "letter", "unit": "商铺L1-05", "content": "書面投訴", "reporter": {"name": "黃小姐"}}
    letter = cases.new_case(property_id="P1", case_id="TD-1", actor=DESK, params=params, now=T0, policy=POLICY).case
    case = act(letter, "respond", {"message": "已致電", "via": "phone"}).case
    assert case.status == "responded"
    assert case.deadlines["handoff"].met_at is None and case.deadlines["response"].met_at is None
    with pytest.raises(IllegalTransition) as err:
        act(letter, "resolve", {"resolution": "x"})
    assert err.value.code == "written_reply_required"


def test_validity_only_applies_to_complaints():
    with pytest.raises(ValidationFailed):
        act(submitted(), "classify", {"kind": "request", "validity": "invalid"})


def test_classify_with_nothing_is_refused():
    with pytest.raises(ValidationFailed):
        act(submitted(), "classify", {})


def test_major_complaint_skips_front_desk():
    case = act(submitted(), "classify", {"kind": "complaint", "severity": "major"}).case
    assert case.tier == "manager"


def test_staff_logged_major_complaint_starts_with_the_manager():
    params = {"channel": "phone", "unit": "商场3F", "content": "电梯困人", "reporter": {"name": "访客", "phone": "110"},
              "kind": "complaint", "severity": "major"}
    case = cases.new_case(property_id="P1", case_id="TD-1", actor=DESK, params=params, now=T0, policy=POLICY).case
    assert case.tier == "manager"


def test_escalation_climbs_one_tier_at_a_time_and_stops_at_director():
    case = submitted()
    case = act(case, "escalate", {"reason": "超时"}).case
    assert case.tier == "manager"
    case = act(case, "escalate", {"reason": "仍未处理"}).case
    assert case.tier == "director"
    with pytest.raises(IllegalTransition):
        act(case, "escalate", {"reason": "again"})


def test_business_affected_cause_moves_the_response_deadline_to_one_hour():
    case = routed()
    assert case.deadlines["response"].due == T0 + timedelta(days=1)
    case = act(case, "classify", {"cause": "business_affected"}).case
    assert case.deadlines["response"].due == T0 + timedelta(hours=1)
    case = act(case, "classify", {"cause": "outside_control"}).case
    assert case.deadlines["response"].due == T0 + timedelta(days=2)
    case = act(case, "classify", {"cause": "equipment_facility"}).case
    assert case.deadlines["response"].due == T0 + timedelta(days=3)


def test_response_through_a_logged_phone_call_meets_the_window():
    case = act(routed(cause="business_affected"), "respond", {"message": "电话告知", "via": "phone"},
               at=T0 + timedelta(minutes=40)).case
    assert case.deadlines["response"].met_at == T0 + timedelta(minutes=40)
    assert case.deadlines["response"].to_dict()["met_on_time"] is True


def test_late_response_is_recorded_as_not_on_time():
    case = act(routed(cause="business_affected"), "respond", {"message": "迟到的回复"},
               at=T0 + timedelta(hours=2)).case
    assert case.deadlines["response"].to_dict()["met_on_time"] is False


def test_overdue_is_judged_against_the_injected_time():
    case = submitted()
    assert not case.deadlines["handoff"].overdue(T0 + timedelta(minutes=10))
    assert case.deadlines["handoff"].overdue(T0 + timedelta(minutes=11))


def test_tenant_message_needs_text_or_attachment():
    with pytest.raises(ValidationFailed):
        act(submitted(), "message", {"text": "  "}, actor=TENANT)
    change = act(submitted(), "message", {"attachments": [{"ref": "photos/1.jpg"}]}, actor=TENANT)
    assert change.event.data["attachments"] == [{"ref": "photos/1.jpg"}]


def test_rating_is_given_once():
    case = through(routed(), *RESOLVED)
    case = act(case, "rate", {"score": 5, "comment": "很满意"}, actor=TENANT).case
    with pytest.raises(Conflict) as err:
        act(case, "rate", {"score": 1}, actor=TENANT)
    assert err.value.code == "already_rated"


def test_change_does_not_mutate_the_original_case():
    case = submitted()
    act(case, "classify", {"kind": "complaint", "severity": "major"})
    assert case.kind is None and case.tier == "front_desk" and case.version == 1


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        cases.classify(submitted(), DESK, {"kind": "request"}, datetime(2026, 1, 1), POLICY)


def test_every_action_has_a_transition_rule():
    # The watcher's own actions (chalicelib/domain/escalation.py) and the policy-change
    # recompute (cases.policy_changed) are not among the API's.
    watcher_actions = {"escalation_notified", "escalation_unrouted", "watch_renewed", "policy_changed",
                       "watch_notice", "staff_read"}  # staff_read: opening a case the tenant wrote on
    assert set(cases.ACTIONS) | watcher_actions == set(cases.ALLOWED_FROM)


# --- written cases: only an approved written reply that went out is their response --------

def letter_case():
    params = {"channel": "letter", "unit": "北门", "content": "垃圾清运不及时，请书面答复。",
              "reporter": {"name": "业主委员会 刘主任"}, "kind": "complaint", "validity": "valid",
              "cause": "other", "department": "cleaning"}
    case = cases.new_case(property_id="P1", case_id="TD-20261123-0002", actor=DESK, params=params, now=T0,
                          policy=POLICY).case
    return act(case, "assign", {"assignee": "clean-1"}).case


def test_a_phone_call_on_a_letter_case_is_recorded_but_does_not_meet_the_reply_window():
    change = act(letter_case(), "respond", {"message": "电话告知已加派清运车", "via": "phone"}, actor=STAFF)
    assert change.event.action == "respond" and change.event.data["via"] == "phone"
    assert change.case.deadlines["response"].met_at is None
    assert change.case.next_due() == change.case.deadlines["response"].due


def test_a_letter_case_answered_by_phone_cannot_be_resolved_before_its_written_reply():
    case = act(letter_case(), "respond", {"message": "电话告知", "via": "phone"}, actor=STAFF).case
    with pytest.raises(IllegalTransition) as err:
        act(case, "resolve", {"resolution": "已整改"}, actor=STAFF)
    assert err.value.code == "written_reply_required" and err.value.status == 409


@pytest.mark.parametrize("via", ["email", "letter"])
def test_responding_by_email_or_letter_to_a_written_case_is_refused_unsent(via):
    with pytest.raises(ValidationFailed) as err:
        act(letter_case(), "respond", {"message": "已回复", "via": via}, actor=STAFF)
    assert err.value.code == "written_reply_required" and err.value.details["field"] == "via"


def test_the_written_reply_that_went_out_meets_the_window_and_lets_the_case_close():
    case = letter_case()
    sent_at = T0 + timedelta(hours=2)
    case = cases.written_reply(case, Actor("desk-1", "front_desk"), {"reply_id": "R1", "medium": "letter"},
                               sent_at, POLICY).case
    assert case.deadlines["response"].met_at == sent_at and case.status == "responded"
    case = through(case, ("resolve", {"resolution": "已整改"}), ("callback", {"reached": True, "satisfied": True}),
                   ("close", {}))
    assert case.status == "closed"


def test_a_reopened_written_case_needs_a_fresh_written_reply_before_it_resolves_again():
    case = cases.written_reply(letter_case(), DESK, {"reply_id": "R1", "medium": "letter"}, T0, POLICY).case
    case = through(case, ("resolve", {"resolution": "已整改"}), ("reopen", {"reason": "还是没人清运"}))
    with pytest.raises(IllegalTransition) as err:
        act(case, "resolve", {"resolution": "再次整改"}, actor=STAFF)
    assert err.value.code == "written_reply_required"


def test_a_written_consultation_is_answered_only_after_its_written_reply():
    case = act(letter_case(), "classify", {"kind": "consultation"}).case
    with pytest.raises(IllegalTransition):
        act(case, "answer", {"message": "见书面答复", "via": "phone"})
    case = cases.written_reply(case, DESK, {"reply_id": "R1", "medium": "letter"}, T0, POLICY).case
    assert act(case, "answer", {"message": "见书面答复", "via": "phone"}).case.status == "closed"

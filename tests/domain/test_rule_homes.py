"""Each rule of the escalation procedure has one home in the pure domain layer,
so changing the equipment window, the tier-2 recipient rule or a property's
handover times is one place. These tests prove each rule where it lives:

* tier order, "one tier up", "a major complaint goes to the manager": chalicelib/domain/cases.py
* who is told at each tier, by day and by night: chalicelib/domain/escalation.py
* the escalation step and the handover times: the property's policy (chalicelib/domain/deadlines.py),
  used by chalicelib/domain/escalation.py and chalicelib/domain/handover.py
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from chalicelib.domain import cases, escalation, handover
from chalicelib.domain.cases import Actor
from chalicelib.domain.deadlines import Policy, Window
from chalicelib.domain.errors import ValidationFailed

POLICY = Policy()
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 Shanghai
NIGHT = datetime(2026, 11, 22, 18, 0, tzinfo=timezone.utc)  # Monday 02:00 Shanghai
TENANT = Actor("tenant-1", "tenant")
DESK = Actor("desk-1", "front_desk")
CONTACTS = {"front_desk": "desk@p1.example", "manager": "mgr@p1.example", "director": "dir@p1.example",
            "on_duty": "control@p1.example"}
# Harbour Plaza: a mall staffed 10:00-22:00 that hands over when its shifts change.
MALL = Policy.from_dict({"timezone": "Asia/Hong_Kong", "work_start": "10:00", "work_end": "22:00",
                         "handover_times": ["22:00", "10:00"]})


def new(actor=TENANT, policy=POLICY, **params):
    body = {"channel": "app" if actor.role == "tenant" else "phone", "unit": "3-1201", "content": "空调不制冷",
            **params}
    return cases.new_case(property_id="P1", case_id="TD-20261123-0001", actor=actor, params=body, now=T0,
                          policy=policy).case


# --- the ladder (chalicelib/domain/cases.py) -------------------------------------------------------

def test_one_tier_up_climbs_front_desk_manager_director_and_stops():
    assert cases.TIERS == ("front_desk", "manager", "director")
    assert [cases.tier_above(t) for t in cases.TIERS] == ["manager", "director", None]


def test_staff_escalation_and_the_watcher_climb_the_same_ladder():
    by_staff = cases.escalate(new(), DESK, {"reason": "业主投诉多次"}, T0, POLICY).case
    by_watcher = escalation.escalate_missed(new(), "handoff", T0 + timedelta(minutes=10), POLICY).case
    assert by_staff.tier == by_watcher.tier == cases.tier_above("front_desk")


def test_major_complaint_skips_front_desk():
    classified = cases.classify(new(), DESK, {"kind": "complaint", "severity": "major"}, T0, POLICY).case
    logged = new(actor=DESK, reporter={"name": "陳先生", "phone": "138"}, kind="complaint", severity="major")
    for case in (classified, logged):
        assert case.tier == cases.MAJOR_TIER == "manager"
        assert case.escalations["major"]["tier"] == "manager" and case.escalations["major"]["notified"] is False


def test_a_major_complaint_never_lowers_a_case_already_with_the_director():
    case = new()
    case.tier = "director"
    cases.take_major(case, T0)
    assert case.tier == "director" and "major" in case.escalations


# --- who is told (chalicelib/domain/escalation.py) --------------------------------------------------------

def test_in_working_time_the_tier_now_holding_the_case_is_told():
    case = escalation.escalate_missed(new(), "handoff", T0, POLICY).case
    assert escalation.recipients(case, "handoff", CONTACTS, POLICY, T0) == ["mgr@p1.example"]


def test_after_hours_escalation_goes_to_the_on_duty_desk():
    case = escalation.escalate_missed(new(), "handoff", NIGHT, POLICY).case
    assert escalation.recipients(case, "handoff", CONTACTS, POLICY, NIGHT) == ["control@p1.example"]


def test_after_hours_depends_on_the_propertys_own_working_time():
    at = datetime(2026, 11, 23, 12, 30, tzinfo=timezone.utc)  # Monday 20:30 in Hong Kong: the mall is open
    case = escalation.escalate_missed(new(policy=MALL), "handoff", at, MALL).case
    assert escalation.recipients(case, "handoff", CONTACTS, MALL, at) == ["mgr@p1.example"]
    assert escalation.recipients(case, "handoff", CONTACTS, POLICY, at) == ["control@p1.example"]


def test_a_major_complaint_reaches_the_manager_day_and_night_and_the_director_is_the_managers_call():
    case = cases.classify(new(), DESK, {"kind": "complaint", "severity": "major"}, T0, POLICY).case
    assert escalation.recipients(case, "major", CONTACTS, POLICY, T0) == ["mgr@p1.example"]
    assert escalation.recipients(case, "major", CONTACTS, POLICY, NIGHT) == ["control@p1.example", "mgr@p1.example"]


def test_a_due_callback_is_the_front_desks_and_a_handover_goes_to_both_sides():
    assert escalation.callback_reminder_recipient(CONTACTS) == "desk@p1.example"
    assert escalation.callback_reminder_recipient({"on_duty": "control@p1.example"}) == "control@p1.example"
    assert escalation.callback_reminder_recipient({}) is None
    assert escalation.handover_recipients(CONTACTS) == ["desk@p1.example", "control@p1.example"]
    assert escalation.handover_recipients({"front_desk": "same@x", "on_duty": "same@x"}) == ["same@x"]


# --- the property's policy: escalation step and handover times --------------------------------

def test_the_escalation_step_is_two_hours_unless_the_property_says_otherwise():
    assert POLICY.escalation_step == Window(2, "hours")
    fast = Policy.from_dict({"escalation_step": {"amount": 30, "unit": "minutes"}})
    at = T0 + timedelta(minutes=10)
    for policy, step in ((POLICY, timedelta(hours=2)), (fast, timedelta(minutes=30))):
        case = escalation.escalate_missed(new(policy=policy), "handoff", at, policy).case
        case = escalation.mark_notified(case, "handoff", ["mgr@p1.example"], at, policy).case
        assert escalation.decide(case, gen=1, now=at, policy=policy) == escalation.Decision("wait", at + step)


def test_a_mall_hands_over_at_its_own_shift_times():
    day = date(2026, 11, 23)
    hk = MALL.tz
    assert MALL.handover_times == (time(10, 0), time(22, 0))
    assert [i.astimezone(hk).time() for i in handover.handover_instants(day, day, MALL)] == [time(10), time(22)]
    at = datetime(2026, 11, 23, 15, 0, tzinfo=hk)
    start, end = handover.shift_window(at, MALL)
    assert (start.astimezone(hk), end.astimezone(hk)) == (datetime(2026, 11, 22, 22, 0, tzinfo=hk),
                                                          datetime(2026, 11, 23, 10, 0, tzinfo=hk))
    assert handover.next_handover(at, MALL).astimezone(hk) == datetime(2026, 11, 23, 22, 0, tzinfo=hk)
    # The default stays 08:00 and 18:00.
    assert [i.astimezone(POLICY.tz).time() for i in handover.handover_instants(day, day, POLICY)] == [time(8),
                                                                                                      time(18)]


def test_the_hourly_scheduler_owes_a_mall_its_own_handovers():
    hk = MALL.tz
    owed = handover.handovers_between(datetime(2026, 11, 23, 7, 5, tzinfo=hk), datetime(2026, 11, 23, 23, 5, tzinfo=hk),
                                      MALL)
    assert [i.astimezone(hk).hour for i in owed] == [10, 22]


def test_escalation_step_and_handover_times_round_trip_as_json():
    data = MALL.to_dict()
    assert data["handover_times"] == ["10:00", "22:00"]
    assert data["escalation_step"] == {"amount": 2, "unit": "hours"}
    assert Policy.from_dict(data) == MALL


@pytest.mark.parametrize("data, field", [
    ({"escalation_step": {"amount": 0, "unit": "hours"}}, "escalation_step.amount"),
    ({"escalation_step": {"amount": 2, "unit": "fortnights"}}, "escalation_step.unit"),
    ({"escalation_step": "2h"}, "escalation_step"),
    ({"handover_times": []}, "handover_times"),
    ({"handover_times": "08:00"}, "handover_times"),
    ({"handover_times": ["25:00"]}, "handover_times"),
    ({"handover_times": ["8am"]}, "handover_times"),
    ({"handover_times": ["08:00", "08:00"]}, "handover_times"),
    ({"handover_times": [f"0{h}:00" for h in range(7)]}, "handover_times"),
])
def test_a_bad_escalation_step_or_handover_time_is_refused(data, field):
    with pytest.raises(ValidationFailed) as caught:
        Policy.from_dict(data)
    assert caught.value.code == "invalid_policy" and caught.value.details == {"field": field}

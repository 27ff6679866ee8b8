"""Nights, weekends and department managers (issue 13, items 4 and 6), as pure rules:

* an escalation step counts working time: nobody is raised over at night or at the weekend;
* after hours only the on-duty desk is mailed, and the tier owner gets a morning digest;
* a major complaint reaches its department manager at once, day or night (through the
  on-duty desk at night), and the manager judges whether the director hears of it; without
  a judgement within the escalation step the watcher raises it;
* tier 2 is the manager of the case's department (``department_contacts``).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import cases, deadlines, escalation
from chalicelib.domain.cases import Actor
from chalicelib.domain.deadlines import Policy
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.properties import Property

POLICY = Policy()  # Asia/Shanghai, Monday to Friday 08:00-18:00, escalation step 2 hours
SAT_0200 = datetime(2026, 11, 27, 18, 0, tzinfo=timezone.utc)  # Saturday 28 Nov, 02:00 Shanghai
MON_0800 = datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc)   # Monday 08:00 Shanghai
MON_1000 = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
FRI_1800 = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
TUE_1000 = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)  # a working morning
TENANT = Actor("tenant-1", "tenant")
DESK = Actor("desk-1", "front_desk")
MANAGER = Actor("mgr-eng", "manager")
CONTACTS = {"front_desk": "desk@p1.example", "manager": "mgr@p1.example", "director": "dir@p1.example",
            "on_duty": "control@p1.example"}
DEPARTMENTS = {"engineering": {"manager": "eng-mgr@p1.example"}}


def new(at, **params):
    body = {"channel": "app", "unit": "3-1201", "content": "电梯困人", **params}
    return cases.new_case(property_id="P1", case_id="TD-20261128-0001", actor=TENANT, params=body, now=at,
                          policy=POLICY).case


def act(case, actor, action, params, at):
    return cases.ACTIONS[action](case, actor, params, at, POLICY).case


def major(at):
    """A major complaint, classified and handed to the engineer at once."""
    case = act(new(at), DESK, "classify", {"kind": "complaint", "severity": "major", "department": "engineering"},
               at)
    return act(case, DESK, "assign", {"assignee": "eng-1"}, at)


def contacts(case):
    return escalation.contacts_for(CONTACTS, DEPARTMENTS, case.department)


# --- working time ----------------------------------------------------------------------------------

def test_working_time_skips_nights_and_weekends():
    assert deadlines.add_working_time(SAT_0200, timedelta(hours=2), POLICY) == MON_1000
    friday_5pm = FRI_1800 - timedelta(hours=1)
    assert deadlines.add_working_time(friday_5pm, timedelta(hours=2), POLICY) == MON_0800 + timedelta(hours=1)
    assert deadlines.add_working_time(TUE_1000, timedelta(minutes=30), POLICY) == TUE_1000 + timedelta(minutes=30)


def test_the_escalation_step_is_counted_in_working_time_whatever_its_unit():
    assert deadlines.escalation_due(SAT_0200, POLICY) == MON_1000
    in_days = Policy.from_dict({"escalation_step": {"amount": 1, "unit": "working_days"}})
    assert deadlines.escalation_due(TUE_1000, in_days) == TUE_1000 + timedelta(days=1)


# --- a case received at 02:00 on a Saturday ----------------------------------------------------------

def test_a_saturday_2am_case_missing_its_handoff_is_taken_by_the_on_duty_desk_and_waits_for_monday():
    case = new(SAT_0200)
    missed = SAT_0200 + timedelta(minutes=10)  # the 10-minute hand-off: the on-duty desk works around the clock
    assert escalation.decide(case, gen=1, now=missed, policy=POLICY) == escalation.Decision("escalate", key="handoff")
    case = escalation.escalate_missed(case, "handoff", missed, POLICY).case
    assert case.tier == "manager"
    told = escalation.recipients(case, "handoff", CONTACTS, POLICY, missed)
    assert told == ["control@p1.example"]  # nobody off duty is mailed at 02:10
    deferred = escalation.deferred_owner(case, "handoff", CONTACTS, POLICY, missed, told)
    assert deferred == "mgr@p1.example"  # the manager gets it in Monday's digest
    case = escalation.mark_notified(case, "handoff", told, missed, POLICY, deferred_to=deferred).case
    # The manager's two hours start when the working day does: not at 04:10 on Saturday.
    assert escalation.decide(case, gen=1, now=missed + timedelta(hours=2), policy=POLICY).action == "wait"
    assert escalation.decide(case, gen=1, now=MON_1000 - timedelta(seconds=1), policy=POLICY).action == "wait"
    assert escalation.decide(case, gen=1, now=MON_1000, policy=POLICY) == \
        escalation.Decision("escalate", key="handoff")


def test_in_working_time_nothing_is_deferred():
    case = escalation.escalate_missed(new(TUE_1000), "handoff", TUE_1000, POLICY).case
    assert escalation.deferred_owner(case, "handoff", CONTACTS, POLICY, TUE_1000, ["mgr@p1.example"]) is None


# --- major complaints: the department manager judges ----------------------------------------------

def test_a_major_complaint_at_2am_saturday_reaches_the_department_manager_through_the_on_duty_desk():
    case = major(SAT_0200)
    assert case.tier == "manager"
    assert escalation.decide(case, gen=1, now=SAT_0200, policy=POLICY) == escalation.Decision("notify", key="major")
    told = escalation.recipients(case, "major", contacts(case), POLICY, SAT_0200)
    assert told == ["control@p1.example", "eng-mgr@p1.example"]  # never the director at 02:00
    assert escalation.deferred_owner(case, "major", contacts(case), POLICY, SAT_0200, told) is None


def test_a_major_complaint_nobody_judged_goes_to_the_director_after_the_step_in_working_time():
    case = major(SAT_0200)
    case = escalation.mark_notified(case, "major", ["control@p1.example", "eng-mgr@p1.example"], SAT_0200,
                                    POLICY).case
    assert escalation.decide(case, gen=1, now=MON_1000 - timedelta(seconds=1), policy=POLICY).action == "wait"
    assert escalation.decide(case, gen=1, now=MON_1000, policy=POLICY) == escalation.Decision("escalate", key="major")
    change = escalation.escalate_missed(case, "major", MON_1000, POLICY)
    raised = change.case
    assert raised.tier == "director" and change.event.data["reason"] == "major_not_judged"
    assert escalation.decide(raised, gen=1, now=MON_1000, policy=POLICY) == escalation.Decision("notify", key="major")
    assert escalation.recipients(raised, "major", contacts(raised), POLICY, MON_1000) == ["dir@p1.example"]
    raised = escalation.mark_notified(raised, "major", ["dir@p1.example"], MON_1000, POLICY).case
    assert escalation.decide(raised, gen=1, now=MON_1000 + timedelta(hours=4), policy=POLICY).action == "wait"
    assert raised.tier == "director"


def test_a_manager_who_acts_on_a_major_complaint_has_judged_it_and_it_is_not_raised():
    case = major(TUE_1000)
    case = escalation.mark_notified(case, "major", ["eng-mgr@p1.example"], TUE_1000, POLICY).case
    case = act(case, MANAGER, "note", {"note": "已到现场，暂不上报总监"}, TUE_1000 + timedelta(minutes=30))
    assert case.escalations["major"]["decided_by"] == "mgr-eng"
    later = TUE_1000 + timedelta(hours=3)
    assert escalation.decide(case, gen=1, now=later, policy=POLICY).action == "wait"
    assert case.tier == "manager"


def test_a_missed_handoff_does_not_raise_a_major_complaint_past_its_manager():
    case = act(new(SAT_0200), DESK, "classify", {"kind": "complaint", "severity": "major"}, SAT_0200)
    case = escalation.escalate_missed(case, "handoff", SAT_0200 + timedelta(minutes=10), POLICY).case
    assert case.tier == "manager"


def test_two_deadlines_missed_together_climb_one_tier_not_two():
    case = act(new(TUE_1000), DESK, "classify", {"kind": "consultation"}, TUE_1000)  # hand-off and reply: 10 min
    missed = TUE_1000 + timedelta(minutes=10)
    for key in ("handoff", "response"):
        assert escalation.decide(case, gen=1, now=missed, policy=POLICY) == escalation.Decision("escalate", key=key)
        case = escalation.escalate_missed(case, key, missed, POLICY).case
        case = escalation.mark_notified(case, key, ["mgr@p1.example"], missed, POLICY).case
    assert case.tier == "manager"


def test_a_manager_who_raises_a_major_complaint_has_the_director_told_by_the_watcher():
    case = major(TUE_1000)
    case = escalation.mark_notified(case, "major", ["eng-mgr@p1.example"], TUE_1000, POLICY).case
    raised = cases.escalate(case, MANAGER, {"reason": "涉及安全，上报总监"}, TUE_1000 + timedelta(minutes=20), POLICY).case
    assert raised.tier == "director"
    assert escalation.needs_new_watcher(case, raised, POLICY, TUE_1000 + timedelta(minutes=20))
    assert escalation.decide(raised, gen=1, now=TUE_1000 + timedelta(minutes=20), policy=POLICY) == \
        escalation.Decision("notify", key="major")
    assert escalation.recipients(raised, "major", contacts(raised), POLICY, TUE_1000) == ["dir@p1.example"]


def test_the_front_desk_acting_is_not_the_managers_judgement():
    case = major(TUE_1000)
    case = escalation.mark_notified(case, "major", ["eng-mgr@p1.example"], TUE_1000, POLICY).case
    case = act(case, DESK, "note", {"note": "已通知经理"}, TUE_1000 + timedelta(minutes=5))
    assert escalation.decide(case, gen=1, now=TUE_1000 + timedelta(hours=2), policy=POLICY) == \
        escalation.Decision("escalate", key="major")


# --- department managers --------------------------------------------------------------------------

def test_tier_two_is_the_manager_of_the_cases_department_with_the_propertys_contacts_as_fallback():
    assert escalation.contacts_for(CONTACTS, DEPARTMENTS, "engineering")["manager"] == "eng-mgr@p1.example"
    assert escalation.contacts_for(CONTACTS, DEPARTMENTS, "engineering")["director"] == "dir@p1.example"
    assert escalation.contacts_for(CONTACTS, DEPARTMENTS, "cleaning")["manager"] == "mgr@p1.example"
    assert escalation.contacts_for(CONTACTS, DEPARTMENTS, None) == CONTACTS


def test_a_missed_deadline_in_working_time_mails_the_departments_manager():
    case = act(new(TUE_1000), DESK, "classify", {"kind": "complaint", "department": "engineering"}, TUE_1000)
    case = escalation.escalate_missed(case, "handoff", TUE_1000 + timedelta(minutes=10), POLICY).case
    assert escalation.recipients(case, "handoff", contacts(case), POLICY, TUE_1000) == ["eng-mgr@p1.example"]


def test_department_contacts_are_validated_and_kept():
    settings = {"name": "滨江花园", "departments": ["engineering", "cleaning"], "contacts": CONTACTS,
                "department_contacts": {"engineering": {"manager": "eng-mgr@p1.example"}}}
    prop = Property.from_settings("P1", settings)
    assert prop.contacts_for("engineering")["manager"] == "eng-mgr@p1.example"
    assert Property.from_settings("P1", prop.to_dict()) == prop


@pytest.mark.parametrize("value,field", [
    ({"security": {"manager": "s@p1.example"}}, "department_contacts.security"),
    ({"engineering": {"boss": "b@p1.example"}}, "department_contacts.engineering.boss"),
    ({"engineering": {"manager": "nobody"}}, "department_contacts.engineering.manager"),
    ({"engineering": "eng-mgr@p1.example"}, "department_contacts.engineering"),
    (["engineering"], "department_contacts"),
])
def test_malformed_department_contacts_are_a_422_naming_the_field(value, field):
    with pytest.raises(ValidationFailed) as raised:
        Property.from_settings("P1", {"departments": ["engineering"], "department_contacts": value})
    assert raised.value.code == "invalid_department_contacts" and raised.value.details == {"field": field}


# --- the morning digest ---------------------------------------------------------------------------

def test_the_morning_digest_covers_the_night_or_weekend_since_the_last_working_day_closed():
    assert escalation.overnight_since(MON_0800, POLICY) == FRI_1800
    assert escalation.overnight_since(TUE_1000 - timedelta(hours=2), POLICY) == \
        datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # Monday 18:00


def test_the_digest_rides_on_the_first_handover_of_a_working_day():
    saturday_0800 = MON_0800 - timedelta(days=2)
    assert escalation.starts_working_day(FRI_1800, MON_0800 - timedelta(days=3) + timedelta(days=3), POLICY)
    assert not escalation.starts_working_day(FRI_1800, saturday_0800, POLICY)  # nobody starts work on Saturday
    assert not escalation.starts_working_day(MON_0800, MON_0800 + timedelta(hours=10), POLICY)  # 18:00


def test_each_owner_gets_what_moved_to_them_overnight_and_nothing_else():
    night = new(SAT_0200)
    night = escalation.escalate_missed(night, "handoff", SAT_0200 + timedelta(minutes=10), POLICY).case
    night = escalation.mark_notified(night, "handoff", ["control@p1.example"], SAT_0200 + timedelta(minutes=10),
                                     POLICY, deferred_to="mgr@p1.example").case
    day = escalation.escalate_missed(new(TUE_1000), "handoff", TUE_1000, POLICY).case
    day = escalation.mark_notified(day, "handoff", ["mgr@p1.example"], TUE_1000, POLICY).case
    digest = escalation.morning_digest([night, day], FRI_1800, MON_0800)
    assert list(digest) == ["mgr@p1.example"]
    [item] = digest["mgr@p1.example"]
    assert (item["case_id"], item["about"], item["tier"]) == (night.case_id, "handoff", "manager")
    assert escalation.morning_digest([night], MON_0800, MON_0800 + timedelta(days=1)) == {}  # not again tomorrow

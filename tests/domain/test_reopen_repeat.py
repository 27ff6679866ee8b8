"""Item 13.8: a problem back after closing reopens the case within the property's
reopen period and is a new, linked case after it; statistics keep every window."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain import cases, stats
from chalicelib.domain.auth import Principal
from chalicelib.domain.cases import Actor
from chalicelib.domain.deadlines import Policy
from chalicelib.domain.errors import IllegalTransition, ValidationFailed
from chalicelib.domain.views import case_actions
from chalicelib.mail.subjects import case_title
from chalicelib.mail.templates import our_subjects

POLICY = Policy()
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 Asia/Shanghai
TENANT = Actor("tenant-1", "tenant", "李女士")
DESK = Actor("desk-1", "front_desk", "前台小王")
STAFF = Actor("eng-1", "dept_staff", "张师傅")
P1 = frozenset({"P1"})


def closed_case(policy: Policy = POLICY) -> cases.Case:
    """Submitted Monday 10:00, answered on time at 10:05, called back, closed at 11:00."""
    case = cases.new_case(property_id="P1", case_id="TD-20261123-0001", actor=TENANT,
                          params={"unit": "3栋1201", "content": "空调不制冷"}, now=T0, policy=policy).case
    steps = [("classify", DESK, {"kind": "complaint", "department": "engineering",
                                 "cause": "equipment_facility"}),
             ("assign", DESK, {"assignee": "eng-1"}), ("start", STAFF, {}),
             ("respond", STAFF, {"message": "已安排"}), ("resolve", STAFF, {"resolution": "已修好"}),
             ("callback", DESK, {"reached": True, "satisfied": True}), ("close", DESK, {})]
    for n, (action, actor, params) in enumerate(steps, start=1):
        case = cases.ACTIONS[action](case, actor, params, T0 + timedelta(minutes=5 * n), policy).case
    assert case.status == "closed"
    return case


def test_tenant_reopens_a_closed_case_within_seven_days_and_a_fresh_window_starts():
    case = closed_case()
    at = case.closed_at + timedelta(days=6)
    change = cases.reopen(case, TENANT, {"reason": "空调又坏了"}, at, POLICY)
    assert change.case.status == "in_progress" and change.case.closed_at is None
    assert change.case.deadlines["response"].due > at and change.case.deadlines["response"].met_at is None
    assert change.event.data == {"reason": "空调又坏了", "reopened_from": "closed"}


def test_reopening_after_the_period_is_refused_and_names_the_case_to_repeat():
    case = closed_case()
    with pytest.raises(IllegalTransition) as err:
        cases.reopen(case, TENANT, {"reason": "又坏了"}, case.closed_at + timedelta(days=7, seconds=1), POLICY)
    assert err.value.code == "reopen_period_over"
    assert err.value.details["repeat_of"] == case.case_id
    assert err.value.details["reopen_until"] == cases.iso(case.closed_at + timedelta(days=7))


def test_reopen_period_is_a_property_setting():
    policy = Policy.from_dict({"reopen_period": {"amount": 2, "unit": "working_days"}})
    case = closed_case(policy)  # closed Monday: two working days is Wednesday, same time
    cases.reopen(case, TENANT, {"reason": "又坏了"}, case.closed_at + timedelta(days=2), policy)
    with pytest.raises(IllegalTransition):
        cases.reopen(case, TENANT, {"reason": "又坏了"}, case.closed_at + timedelta(days=2, minutes=1), policy)
    assert Policy.from_dict(policy.to_dict()) == policy
    assert Policy().to_dict()["reopen_period"] == {"amount": 168, "unit": "hours"}


def test_a_malformed_reopen_period_is_refused_with_its_field():
    with pytest.raises(ValidationFailed) as err:
        Policy.from_dict({"reopen_period": {"amount": 0, "unit": "hours"}})
    assert err.value.code == "invalid_policy" and err.value.details["field"] == "reopen_period.amount"


def test_a_repeat_links_back_and_says_so_on_its_first_event():
    change = cases.new_case(property_id="P1", case_id="TD-20261201-0001", actor=TENANT,
                            params={"unit": "3栋1201", "content": "空调第三次坏了", "repeat_of": "TD-20261123-0001"},
                            now=T0 + timedelta(days=8), policy=POLICY)
    assert change.case.repeat_of == "TD-20261123-0001"
    assert change.event.data["repeat_of"] == "TD-20261123-0001"


def test_only_a_closed_case_can_be_repeated():
    case = closed_case()
    cases.require_repeatable(case)
    reopened = cases.reopen(case, TENANT, {"reason": "又坏了"}, case.closed_at + timedelta(hours=1), POLICY).case
    with pytest.raises(ValidationFailed) as err:
        cases.require_repeatable(reopened)
    assert err.value.code == "repeat_of_open_case"


def test_a_reopened_case_keeps_its_first_response_window_in_the_statistics():
    case = closed_case()  # response due Thursday 10:00 (3 working days), met Monday 10:20
    first_due = case.deadlines["response"].due
    reopened = cases.reopen(case, TENANT, {"reason": "又坏了"}, T0 + timedelta(days=1), POLICY)
    assert [d["name"] for d in reopened.case.earlier_deadlines] == ["response", "callback"]
    events = {reopened.case.key: [reopened.event]}
    now = T0 + timedelta(days=10)
    thursday = stats.daily_stats(property_id="P1", day=date(2026, 11, 26), policy=POLICY, cases=[reopened.case],
                                 events={}, now=now)
    assert first_due.date() == date(2026, 11, 26)
    assert thursday["on_time"]["response"]["met_on_time"] == 1  # the first window, met on time, still counts
    tuesday = stats.daily_stats(property_id="P1", day=date(2026, 11, 24), policy=POLICY, cases=[reopened.case],
                                events=events, now=now)
    assert tuesday["reopened"] == {"total": 1, "from_closed": 1}


def test_statistics_count_repeats_among_the_days_cases_and_roll_them_up():
    later = T0 + timedelta(days=8)
    repeat = cases.new_case(property_id="P1", case_id="TD-20261201-0001", actor=TENANT,
                            params={"unit": "3栋1201", "content": "又坏了", "repeat_of": "TD-20261123-0001"},
                            now=later, policy=POLICY).case
    fresh = cases.new_case(property_id="P1", case_id="TD-20261201-0002", actor=TENANT,
                           params={"unit": "3栋1202", "content": "电梯异响"}, now=later, policy=POLICY).case
    day = stats.daily_stats(property_id="P1", day=date(2026, 12, 1), policy=POLICY, cases=[repeat, fresh],
                            events={}, now=later + timedelta(days=1))
    assert day["received"] == 2 and day["repeats"] == 1
    month = stats.rollup(property_id="P1", year=2026, month=12,
                         dailies=[day, {**day, "day": "2026-12-02", "reopened": {"total": 2, "from_closed": 1}},
                                  {"day": "2026-12-03", "received": 0}])
    assert month["repeats"] == 2 and month["reopened"] == {"total": 2, "from_closed": 1}


@pytest.mark.parametrize(("subject", "text", "title"), [
    ("Re: [TD-20261123-0015] 我们已收到您的来信", "空调又不制冷了\n\n> 我们已收到…", "空调又不制冷了"),
    ("回覆：[TD-20261123-0015] 我們已收到您的來信", "\n  冷氣又壞了  \n", "冷氣又壞了"),
    ("RE: [TD-20261123-0015] We have received your message", "The AC is broken again", "The AC is broken again"),
    ("Re: [TD-20261123-0015] 关于您来信的书面答复：客厅漏水", "又漏了", "客厅漏水"),
    ("Re: [TD-20261123-0015] 楼上又漏水了", "正文", "楼上又漏水了"),
    ("", "", ""),
])
def test_a_new_case_from_mail_is_titled_in_the_tenants_words_not_ours(subject, text, title):
    assert case_title(subject, text, our_subjects()) == title


def test_reopening_a_case_answered_at_the_desk_keeps_its_hand_off_met():
    case = cases.new_case(property_id="P1", case_id="TD-20261123-0002", actor=TENANT,
                          params={"unit": "3栋1201", "content": "物业费怎么交？"}, now=T0, policy=POLICY).case
    case = cases.classify(case, DESK, {"kind": "consultation"}, T0 + timedelta(minutes=2), POLICY).case
    case = cases.answer(case, DESK, {"message": "App缴费"}, T0 + timedelta(minutes=4), POLICY).case
    reopened = cases.reopen(case, TENANT, {"reason": "还是不会"}, T0 + timedelta(days=1), POLICY).case
    assert reopened.deadlines["handoff"].met_at == T0 + timedelta(minutes=4)
    assert not reopened.deadlines["handoff"].overdue(T0 + timedelta(days=1))
    assert reopened.deadlines["response"].due == T0 + timedelta(days=1, minutes=10)


@pytest.mark.parametrize("after", [timedelta(days=6), timedelta(days=7), timedelta(days=7, seconds=1)])
def test_the_actions_offer_reopen_exactly_when_reopen_is_allowed(after):
    case = closed_case()
    now = case.closed_at + after
    try:
        cases.reopen(case, TENANT, {"reason": "又坏了"}, now, POLICY)
        allowed = True
    except IllegalTransition:
        allowed = False
    assert allowed == (after <= timedelta(days=7))
    for who in (Principal("tenant-1", "tenant", P1), Principal("desk-1", "front_desk", P1)):
        assert ("reopen" in case_actions(who, case, now=now, policy=POLICY)) == allowed

"""Shift handover summaries and daily statistics: pure rules over hand-built
cases and audit events, no AWS, no clock."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from chalicelib.domain import cases, handover, stats
from chalicelib.domain.cases import Actor
from chalicelib.domain.deadlines import Policy, Window

SHANGHAI = Policy()
HONG_KONG = Policy(timezone="Asia/Hong_Kong")
NEW_YORK = Policy(timezone="America/New_York")
TENANT = Actor("tenant-1", "tenant", "李女士")
DESK = Actor("desk-1", "front_desk", "前台小王")
STAFF = Actor("eng-1", "dept_staff", "工程部张师傅")
MANAGER = Actor("mgr-1", "manager", "王经理")


def utc(y, mo, d, h=0, mi=0, s=0):
    return datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc)


def local(policy, y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=policy.tz).astimezone(timezone.utc)


class Built:
    """A case driven through the pure lifecycle at given times, keeping its trail."""

    seq = 0

    def __init__(self, at, *, policy=SHANGHAI, actor=TENANT, case_id=None, **params):
        Built.seq += 1
        body = {"channel": "app" if actor.role == "tenant" else "phone", "unit": "3栋1201",
                "content": "客厅空调不制冷，室内30度，家里有老人，请尽快派人。", **params}
        if actor.role != "tenant":
            body.setdefault("reporter", {"name": "业主", "phone": "13800000000"})
        local_day = at.astimezone(policy.tz).strftime("%Y%m%d")
        self.policy = policy
        change = cases.new_case(property_id="P1", case_id=case_id or f"TD-{local_day}-{Built.seq:04d}", actor=actor,
                                params=body, now=at, policy=policy)
        self.case, self.events = change.case, [change.event]

    def act(self, action, at, actor=DESK, **params):
        change = cases.ACTIONS[action](self.case, actor, params, at, self.policy)
        self.case = change.case
        self.events.append(change.event)
        return self


def trails(*built):
    return {b.case.key: b.events for b in built}


# --- shift windows ----------------------------------------------------------------

@pytest.mark.parametrize("policy", [SHANGHAI, HONG_KONG], ids=["shanghai", "hong_kong"])
def test_handovers_at_eight_and_eighteen_local_are_midnight_and_ten_utc(policy):
    # Monday 10:00 local: the night shift Sunday 18:00 -> Monday 08:00 just ended.
    assert handover.shift_window(local(policy, 2026, 11, 23, 10), policy) == (utc(2026, 11, 22, 10), utc(2026, 11, 23))
    # Exactly at 18:00 local that handover is the one that just happened.
    assert handover.shift_window(local(policy, 2026, 11, 23, 18), policy) == (utc(2026, 11, 23), utc(2026, 11, 23, 10))
    # One second before, it is still the morning's.
    assert handover.shift_window(local(policy, 2026, 11, 23, 18) - timedelta(seconds=1), policy) == (
        utc(2026, 11, 22, 10), utc(2026, 11, 23))


@pytest.mark.parametrize("policy", [SHANGHAI, HONG_KONG], ids=["shanghai", "hong_kong"])
def test_shift_window_around_local_midnight_is_the_day_shift_before(policy):
    day_shift = (utc(2026, 11, 23), utc(2026, 11, 23, 10))  # Monday 08:00 -> 18:00 local
    for h, m in ((23, 59), (0, 0), (0, 30), (7, 59)):
        day = 23 if h >= 18 else 24
        assert handover.shift_window(local(policy, 2026, 11, day, h, m), policy) == day_shift
    assert handover.shift_window(local(policy, 2026, 11, 24, 8), policy) == (utc(2026, 11, 23, 10), utc(2026, 11, 24))


def test_handovers_happen_on_weekends_too():
    saturday_morning = local(HONG_KONG, 2026, 11, 28, 9)
    assert handover.shift_window(saturday_morning, HONG_KONG)[1] == local(HONG_KONG, 2026, 11, 28, 8)


def test_shift_across_a_dst_change_keeps_local_times():
    # New York leaves DST at 02:00 on Sunday 2026-11-01: the night shift is 15 hours long.
    start, end = handover.shift_window(utc(2026, 11, 1, 13, 30), NEW_YORK)
    assert (start, end) == (utc(2026, 10, 31, 22), utc(2026, 11, 1, 13))
    assert start.astimezone(NEW_YORK.tz).time() == time(18) and end.astimezone(NEW_YORK.tz).time() == time(8)


def test_next_handover_and_handovers_owed_between_two_times():
    assert handover.next_handover(utc(2026, 11, 23), SHANGHAI) == utc(2026, 11, 23, 10)
    assert handover.next_handover(utc(2026, 11, 23, 10), SHANGHAI) == utc(2026, 11, 24)
    owed = handover.handovers_between(utc(2026, 11, 23), utc(2026, 11, 24, 10, 5), SHANGHAI)
    assert owed == [utc(2026, 11, 23, 10), utc(2026, 11, 24), utc(2026, 11, 24, 10)]
    assert handover.handovers_between(utc(2026, 11, 23), utc(2026, 11, 23, 9), SHANGHAI) == []


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        handover.shift_window(datetime(2026, 11, 23, 10), SHANGHAI)


def test_handover_key_is_utc_whole_seconds():
    assert handover.key_of(local(SHANGHAI, 2026, 11, 23, 18)) == "2026-11-23T10:00:00Z"


# --- the summary --------------------------------------------------------------------

@pytest.fixture
def night():
    """The night shift Monday 18:00 -> Tuesday 08:00 in Shanghai, summarised at 08:05."""
    P = SHANGHAI
    before = Built(local(P, 2026, 11, 23, 9), title="电梯异响", kind="complaint")
    before.act("classify", local(P, 2026, 11, 23, 9, 2), kind="complaint", cause="equipment_facility",
               department="engineering")
    before.act("assign", local(P, 2026, 11, 23, 9, 5), assignee="eng-1")
    before.act("escalate", local(P, 2026, 11, 23, 12), reason="白天已升级一次")       # before the shift
    before.act("escalate", local(P, 2026, 11, 23, 23), reason="业主再次来电")         # in the shift
    late_call = Built(local(P, 2026, 11, 23, 21, 30), content="楼上漏水，天花板在滴水" * 6, kind="complaint")
    late_call.act("escalate", local(P, 2026, 11, 23, 22), reason="漏水严重")
    small_hours = Built(local(P, 2026, 11, 24, 3), content="车库有人撬车")            # not classified yet
    question = Built(local(P, 2026, 11, 23, 22), content="停车费怎么交？", kind="consultation")
    question.act("answer", local(P, 2026, 11, 23, 22, 5), message="物业APP缴费")
    resolved = Built(local(P, 2026, 11, 23, 10), content="走廊灯不亮", kind="request")
    resolved.act("classify", local(P, 2026, 11, 23, 10, 1), kind="request", department="engineering")
    resolved.act("assign", local(P, 2026, 11, 23, 10, 5), assignee="eng-1")
    resolved.act("start", local(P, 2026, 11, 23, 10, 6), actor=STAFF)
    resolved.act("resolve", local(P, 2026, 11, 23, 16), actor=STAFF, resolution="换灯管")  # callback due Tue 09:00
    built = [before, late_call, small_hours, question, resolved]
    start, end = handover.shift_window(local(P, 2026, 11, 24, 8, 5), P)
    summary = handover.build_summary(property_id="P1", policy=P, shift_start=start, shift_end=end,
                                     now=local(P, 2026, 11, 24, 8, 5), cases=[b.case for b in built],
                                     events=trails(*built))
    return summary, {name: b.case.case_id for name, b in zip(
        ("before", "late_call", "small_hours", "question", "resolved"), built, strict=True)}


def ids(section):
    return [item["case_id"] for item in section["items"]]


def test_summary_covers_the_shift_that_just_ended(night):
    summary, _ = night
    assert summary["shift_start"] == "2026-11-23T10:00:00Z" and summary["shift_end"] == "2026-11-24T00:00:00Z"
    assert summary["shift_start_local"] == "2026-11-23T18:00:00+08:00"
    assert summary["next_handover"] == "2026-11-24T10:00:00Z"
    assert summary["produced_at"] == "2026-11-24T00:05:00.000000Z"


def test_opened_lists_cases_created_in_the_shift_only(night):
    summary, c = night
    assert ids(summary["opened"]) == [c["late_call"], c["question"], c["small_hours"]]


def test_open_now_counts_by_status_and_lists_most_urgent_first(night):
    summary, c = night
    assert summary["open_now"]["count"] == 4
    assert summary["open_now"]["by_status"] == {"received": 2, "resolved": 1, "routed": 1}
    # late call's hand-off was due 21:40, the small hours' at 03:10; the lift repair owes its 1-working-day
    # feedback at 09:00 (its 3-day reply runs beside it), the callback is due at 09:00 too: the older case first
    assert ids(summary["open_now"]) == [c["late_call"], c["small_hours"], c["before"], c["resolved"]]


def test_overdue_lists_open_cases_with_an_unmet_deadline_in_the_past(night):
    summary, c = night
    assert ids(summary["overdue"]) == [c["late_call"], c["small_hours"]]
    assert summary["overdue"]["items"][0]["overdue_deadlines"] == ["handoff"]  # its reply is due Wednesday
    assert all(item["overdue"] for item in summary["overdue"]["items"])


def test_escalated_lists_escalations_in_the_shift_even_of_older_cases(night):
    summary, c = night
    assert ids(summary["escalated"]) == [c["late_call"], c["before"]]
    before = summary["escalated"]["items"][1]
    steps = [(e["from"], e["to"], e["reason"]) for e in before["escalations"]]
    assert steps == [("manager", "director", "业主再次来电")]  # the noon escalation was before the shift
    assert before["escalations"][0]["by"] == {"id": "desk-1", "role": "front_desk", "name": "前台小王"}


def test_callbacks_due_before_the_next_handover(night):
    summary, c = night
    assert ids(summary["callbacks_due"]) == [c["resolved"]]
    item = summary["callbacks_due"]["items"][0]
    assert item["callback_due"] == "2026-11-24T01:00:00.000000Z" and item["callback_attempts"] == 0
    assert item["overdue"] is False


def test_after_hours_complaints_and_requests_exclude_consultations(night):
    summary, c = night
    # 21:30 complaint and 03:00 unclassified case; the 22:00 consultation is not logged
    assert ids(summary["after_hours"]) == [c["late_call"], c["small_hours"]]
    assert summary["counts"] == {"opened": 3, "open_now": 4, "overdue": 2, "escalated": 2, "callbacks_due": 1,
                                 "after_hours": 2}


def test_a_case_created_in_working_time_is_not_after_hours():
    P = SHANGHAI
    morning = Built(local(P, 2026, 11, 24, 10), kind="complaint")
    evening = Built(local(P, 2026, 11, 24, 17, 59), kind="request")
    saturday = Built(local(P, 2026, 11, 28, 10), kind="complaint")  # a weekend is outside working time
    day = handover.build_summary(property_id="P1", policy=P, shift_start=local(P, 2026, 11, 24, 8),
                                 shift_end=local(P, 2026, 11, 24, 18), now=local(P, 2026, 11, 24, 18),
                                 cases=[morning.case, evening.case], events={})
    assert day["opened"]["count"] == 2 and day["after_hours"]["count"] == 0
    weekend = handover.build_summary(property_id="P1", policy=P, shift_start=local(P, 2026, 11, 28, 8),
                                     shift_end=local(P, 2026, 11, 28, 18), now=local(P, 2026, 11, 28, 18),
                                     cases=[saturday.case], events={})
    assert ids(weekend["after_hours"]) == [saturday.case.case_id]


def test_listed_case_fields_and_title_falls_back_to_content(night):
    summary, c = night
    late = summary["opened"]["items"][0]
    assert set(late) == {"property_id", "case_id", "unit", "title", "status", "kind", "category", "tier",
                         "created_at", "next_due", "overdue"}
    assert late["title"] == ("楼上漏水，天花板在滴水" * 6)[:60] and len(late["title"]) == 60
    assert late["unit"] == "3栋1201" and late["tier"] == "manager" and late["kind"] == "complaint"
    titled = next(i for i in summary["open_now"]["items"] if i["case_id"] == c["before"])
    assert titled["title"] == "电梯异响"


def test_callbacks_due_later_than_the_next_handover_wait():
    P = Policy(callback=Window(12, "hours"))
    soon = Built(local(P, 2026, 11, 23, 9), policy=P, kind="request")
    soon.act("assign", local(P, 2026, 11, 23, 9, 1), assignee="c-1", department="cleaning")
    soon.act("start", local(P, 2026, 11, 23, 9, 2))
    soon.act("resolve", local(P, 2026, 11, 23, 19), resolution="已清理")   # callback due Tue 07:00
    later = Built(local(P, 2026, 11, 23, 9, 30), policy=P, kind="request")
    later.act("assign", local(P, 2026, 11, 23, 9, 31), assignee="c-1", department="cleaning")
    later.act("start", local(P, 2026, 11, 23, 9, 32))
    later.act("resolve", local(P, 2026, 11, 23, 21), resolution="已清理")  # callback due Tue 09:00
    done = Built(local(P, 2026, 11, 23, 9, 40), policy=P, kind="request")
    done.act("assign", local(P, 2026, 11, 23, 9, 41), assignee="c-1", department="cleaning")
    done.act("start", local(P, 2026, 11, 23, 9, 42))
    done.act("resolve", local(P, 2026, 11, 23, 18, 30), resolution="已清理")
    done.act("callback", local(P, 2026, 11, 23, 19), reached=True, satisfied=True)
    summary = handover.build_summary(property_id="P1", policy=P, shift_start=local(P, 2026, 11, 23, 8),
                                     shift_end=local(P, 2026, 11, 23, 18), now=local(P, 2026, 11, 23, 22),
                                     cases=[soon.case, later.case, done.case], events={})
    # next handover Tuesday 08:00: 07:00 is before it, 09:00 is not; a callback made is no longer due
    assert ids(summary["callbacks_due"]) == [soon.case.case_id]


def test_lists_are_capped_but_counts_are_complete():
    P = SHANGHAI
    many = [Built(local(P, 2026, 11, 23, 19) + timedelta(minutes=i), kind="complaint") for i in range(30)]
    summary = handover.build_summary(property_id="P1", policy=P, shift_start=local(P, 2026, 11, 23, 18),
                                     shift_end=local(P, 2026, 11, 24, 8), now=local(P, 2026, 11, 24, 8),
                                     cases=[b.case for b in many], events={}, item_cap=10)
    assert summary["opened"]["count"] == 30 and len(summary["opened"]["items"]) == 10
    assert summary["opened"]["truncated"] is True
    assert summary["open_now"]["count"] == 30 and len(summary["open_now"]["items"]) == 10


def test_open_list_holds_twenty_by_default():
    P = SHANGHAI
    many = [Built(local(P, 2026, 11, 23, 19) + timedelta(minutes=i), kind="complaint") for i in range(25)]
    summary = handover.build_summary(property_id="P1", policy=P, shift_start=local(P, 2026, 11, 23, 18),
                                     shift_end=local(P, 2026, 11, 24, 8), now=local(P, 2026, 11, 24, 8),
                                     cases=[b.case for b in many], events={})
    assert len(summary["open_now"]["items"]) == 20 and summary["open_now"]["truncated"] is True
    assert ids(summary["open_now"]) == [b.case.case_id for b in many[:20]]
    assert len(summary["opened"]["items"]) == 25


def test_watcher_escalation_at_the_top_tier_is_grouped_under_its_record():
    from chalicelib.domain.cases import Event
    event = Event(seq=9, at=utc(2026, 11, 23, 5), actor=Actor("watcher", "system"), action="escalate",
                  changes={"escalations": {"from": {}, "to": {"response": {"tier": "director", "count": 2}}}},
                  data={"deadline": "response", "automatic": True})
    assert handover.escalation_tier(event) == "director"
    bare = Event(seq=9, at=utc(2026, 11, 23, 5), actor=Actor("x", "system"), action="escalate", changes={}, data={})
    assert handover.escalation_tier(bare) == "unchanged"


# --- daily statistics ----------------------------------------------------------------

@pytest.fixture
def monday():
    """Monday 2026-11-23 in Shanghai, computed five minutes after local midnight."""
    P = SHANGHAI
    quick = Built(local(P, 2026, 11, 23, 9), kind="complaint", category="air_conditioning")
    quick.act("classify", local(P, 2026, 11, 23, 9, 1), kind="complaint", cause="business_affected",
              department="engineering")
    quick.act("assign", local(P, 2026, 11, 23, 9, 5), assignee="eng-1")          # hand-off due 09:10: on time
    quick.act("respond", local(P, 2026, 11, 23, 9, 30), actor=STAFF, message="马上到")  # due 10:00: on time
    quick.act("resolve", local(P, 2026, 11, 23, 11), actor=STAFF, resolution="已修好")   # callback due 14:00
    quick.act("callback", local(P, 2026, 11, 23, 13), reached=True, satisfied=True)  # on time, reached
    quick.act("rate", local(P, 2026, 11, 23, 13, 30), actor=TENANT, score=5)
    slow = Built(local(P, 2026, 11, 23, 14), actor=DESK, channel="walk_in", category="security")
    slow.act("classify", local(P, 2026, 11, 23, 14, 1), kind="complaint", cause="business_affected",
             department="security")
    slow.act("assign", local(P, 2026, 11, 23, 14, 20), assignee="sec-1")          # due 14:10: late
    slow.act("escalate", local(P, 2026, 11, 23, 15, 10), reason="业主不满")          # -> manager
    slow.act("escalate", local(P, 2026, 11, 23, 15, 20), actor=MANAGER, reason="影响营业")  # -> director
    slow.act("respond", local(P, 2026, 11, 23, 15, 30), actor=STAFF, message="已处理")  # due 15:00: late
    slow.act("resolve", local(P, 2026, 11, 23, 16), actor=STAFF, resolution="已处理")    # callback due Tue 09:00
    slow.act("callback", local(P, 2026, 11, 23, 17), reached=False)
    night_call = Built(local(P, 2026, 11, 23, 20), actor=DESK, channel="phone")       # hand-off due 20:10: missed
    sunday = Built(local(P, 2026, 11, 22, 15), kind="request", category="cleaning")
    sunday.act("assign", local(P, 2026, 11, 22, 15, 5), assignee="c-1", department="cleaning")
    sunday.act("start", local(P, 2026, 11, 22, 15, 6), actor=STAFF)
    sunday.act("resolve", local(P, 2026, 11, 22, 16), actor=STAFF, resolution="已清扫")  # callback due Mon 11:00
    sunday.act("callback", local(P, 2026, 11, 23, 10), reached=True, satisfied=False)  # on time, reached
    sunday.act("rate", local(P, 2026, 11, 23, 12), actor=TENANT, score=2)
    # The tenant was not satisfied: a manager decides to close, with a reason.
    sunday.act("close", local(P, 2026, 11, 23, 12, 5), actor=MANAGER, reason="已按标准清扫")
    built = [quick, slow, night_call, sunday]
    figures = stats.daily_stats(property_id="P1", day=date(2026, 11, 23), policy=P, cases=[b.case for b in built],
                                events=trails(*built), now=local(P, 2026, 11, 24, 0, 5))
    return figures


def test_daily_counts_received_cases_by_kind_category_channel_department(monday):
    assert monday["received"] == 3 and monday["received_after_hours"] == 1
    assert monday["by_kind"] == {"consultation": 0, "complaint": 2, "request": 0, "unclassified": 1}
    assert monday["by_category"]["air_conditioning"] == 1 and monday["by_category"]["security"] == 1
    assert monday["by_category"]["unclassified"] == 1 and monday["by_category"]["cleaning"] == 0
    assert monday["by_channel"] == {"app": 1, "web": 0, "email": 0, "phone": 1, "walk_in": 1, "letter": 0}
    assert monday["by_department"] == {"engineering": 1, "security": 1, "unassigned": 1}
    assert monday["final"] is True and monday["day"] == "2026-11-23"
    assert (monday["start"], monday["end"]) == ("2026-11-22T16:00:00.000000Z", "2026-11-23T16:00:00.000000Z")


def test_daily_on_time_rate_per_window(monday):
    handoff, response, callback = (monday["on_time"][w] for w in ("handoff", "response", "callback"))
    assert handoff == {"due": 3, "met_on_time": 1, "met_late": 1, "missed": 1, "pending": 0, "rate": 0.3333}
    assert response == {"due": 2, "met_on_time": 1, "met_late": 1, "missed": 0, "pending": 0, "rate": 0.5}
    # quick's callback (due 14:00) and Sunday's (due Monday 11:00) were made in time; slow's is due Tuesday
    assert callback == {"due": 2, "met_on_time": 2, "met_late": 0, "missed": 0, "pending": 0, "rate": 1.0}


def test_daily_escalations_per_tier_moved_to(monday):
    assert monday["escalations"] == {"total": 2, "by_tier": {"director": 1, "manager": 1}}


def test_daily_callback_rate_and_average_rating(monday):
    assert monday["callbacks"] == {"attempts": 3, "reached": 2, "resolved": 2, "rate": 1.0}
    assert monday["ratings"] == {"count": 2, "sum": 7, "by_score": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1},
                                 "average": 3.5}


def test_an_empty_day_has_null_rates_not_division_errors():
    figures = stats.daily_stats(property_id="P1", day=date(2026, 11, 23), policy=SHANGHAI, cases=[], events={},
                                now=utc(2026, 11, 24))
    assert figures["received"] == 0
    assert all(figures["on_time"][w]["rate"] is None for w in stats.WINDOWS)
    assert figures["callbacks"]["rate"] is None and figures["ratings"]["average"] is None
    assert figures["escalations"] == {"total": 0, "by_tier": {}}


def test_a_running_day_counts_deadlines_not_yet_due_as_pending():
    P = SHANGHAI
    fresh = Built(local(P, 2026, 11, 23, 9), kind="complaint")
    figures = stats.daily_stats(property_id="P1", day=date(2026, 11, 23), policy=P, cases=[fresh.case],
                                events=trails(fresh), now=local(P, 2026, 11, 23, 9, 5))
    assert figures["final"] is False
    assert figures["on_time"]["handoff"] == {"due": 1, "met_on_time": 0, "met_late": 0, "missed": 0, "pending": 1,
                                             "rate": None}


def test_events_of_other_days_are_not_counted():
    P = SHANGHAI
    case = Built(local(P, 2026, 11, 23, 9), kind="complaint", department="engineering")
    case.act("escalate", local(P, 2026, 11, 24, 0, 1), reason="次日升级")
    figures = stats.daily_stats(property_id="P1", day=date(2026, 11, 23), policy=P, cases=[case.case],
                                events=trails(case), now=local(P, 2026, 11, 24, 1))
    assert figures["escalations"]["total"] == 0


def test_day_window_is_the_property_local_calendar_day():
    assert stats.day_window(date(2026, 11, 23), HONG_KONG) == (utc(2026, 11, 22, 16), utc(2026, 11, 23, 16))
    assert stats.day_window(date(2026, 11, 1), NEW_YORK) == (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5))  # 25 hours


# --- monthly rollup --------------------------------------------------------------------

def _daily(day, **overrides):
    figures = stats.daily_stats(property_id="P1", day=day, policy=SHANGHAI, cases=[], events={},
                                now=utc(2026, 12, 31))
    for path, value in overrides.items():
        target = figures
        *parents, leaf = path.split("__")
        for name in parents:
            target = target[name]
        target[leaf] = value
    return figures


def test_monthly_rollup_sums_counts_and_recomputes_rates_from_sums(monday):
    other = _daily(date(2026, 11, 24), received=2, by_kind__complaint=1, by_kind__request=1,
                   by_department={"cleaning": 2}, on_time__handoff={"due": 1, "met_on_time": 1, "met_late": 0,
                                                                    "missed": 0, "pending": 0, "rate": 1.0},
                   escalations={"total": 1, "by_tier": {"manager": 1}},
                   callbacks={"attempts": 1, "reached": 0, "resolved": 2, "rate": 0.0},
                   ratings={"count": 1, "sum": 4, "by_score": {"4": 1}, "average": 4.0})
    month = stats.rollup(property_id="P1", year=2026, month=11, dailies=[other, monday])
    assert month["month"] == "2026-11" and month["days"] == ["2026-11-23", "2026-11-24"]
    assert month["received"] == 5
    assert month["by_kind"] == {"consultation": 0, "complaint": 3, "request": 1, "unclassified": 1}
    assert month["by_department"] == {"cleaning": 2, "engineering": 1, "security": 1, "unassigned": 1}
    # 1 of 3 on Monday and 1 of 1 on Tuesday: 2 of 4, not the mean of 0.33 and 1.0
    assert month["on_time"]["handoff"] == {"due": 4, "met_on_time": 2, "met_late": 1, "missed": 1, "pending": 0,
                                           "rate": 0.5}
    assert month["escalations"] == {"total": 3, "by_tier": {"director": 1, "manager": 2}}
    assert month["callbacks"] == {"attempts": 4, "reached": 2, "resolved": 4, "rate": 0.5}
    assert month["ratings"]["count"] == 3 and month["ratings"]["sum"] == 11 and month["ratings"]["average"] == 3.67
    assert month["ratings"]["by_score"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}


def test_monthly_rollup_of_no_days_is_empty_with_null_rates():
    month = stats.rollup(property_id="P1", year=2026, month=2, dailies=[])
    assert month["days"] == [] and month["received"] == 0 and month["callbacks"]["rate"] is None
    assert len(stats.month_days(2026, 2)) == 28 and len(stats.month_days(2028, 2)) == 29

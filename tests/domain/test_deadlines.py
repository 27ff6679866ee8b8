"""Response deadlines: working-day calendars, time zones, policy parsing."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.deadlines import (
    Policy,
    Window,
    add_window,
    is_working_day,
    is_working_time,
    next_working_start,
    response_window,
)
from chalicelib.domain.errors import ValidationFailed

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")

DEFAULT = Policy()
# China's National Day "golden week" 2026, with its two make-up working days.
NATIONAL_DAY = Policy(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    extra_working_days=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),
)


def sh(*args: int) -> datetime:
    """A wall-clock time in Shanghai."""
    return datetime(*args, tzinfo=SHANGHAI)


def due(start: datetime, amount: int, unit: str, policy: Policy = DEFAULT) -> datetime:
    return add_window(start, Window(amount, unit), policy)


# --- elapsed-time windows ----------------------------------------------------

def test_handoff_is_due_ten_minutes_later():
    start = sh(2026, 6, 3, 9, 55)  # Wednesday
    assert add_window(start, DEFAULT.handoff, DEFAULT) == sh(2026, 6, 3, 10, 5)


def test_business_affected_reply_is_due_one_hour_later():
    assert add_window(sh(2026, 6, 3, 17, 30), DEFAULT.reply_business_affected, DEFAULT) == sh(2026, 6, 3, 18, 30)


def test_business_affected_reply_at_2am_on_sunday_is_still_one_hour():
    # The on-duty desk works around the clock: no calendar applies.
    assert due(sh(2026, 6, 7, 2, 0), 1, "hours") == sh(2026, 6, 7, 3, 0)


def test_hours_across_spring_forward_are_real_elapsed_hours():
    start = datetime(2026, 3, 7, 23, 30, tzinfo=NEW_YORK)  # EST, UTC-5
    result = due(start, 3, "hours", Policy(timezone="America/New_York"))
    assert result == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert result.astimezone(NEW_YORK).time() == time(3, 30)  # 02:00-03:00 never existed


# --- working days ----------------------------------------------------------------

def test_friday_afternoon_feedback_is_due_monday_same_time():
    assert add_window(sh(2026, 6, 5, 15, 0), DEFAULT.feedback, DEFAULT) == sh(2026, 6, 8, 15, 0)


def test_two_working_days_from_thursday_skip_the_weekend():
    assert due(sh(2026, 6, 4, 11, 0), 2, "working_days") == sh(2026, 6, 8, 11, 0)


def test_three_working_days_from_friday_are_due_wednesday():
    assert due(sh(2026, 6, 5, 9, 15), 3, "working_days") == sh(2026, 6, 10, 9, 15)


def test_one_working_day_from_saturday_is_due_tuesday_at_work_start():
    assert due(sh(2026, 6, 6, 10, 0), 1, "working_days") == sh(2026, 6, 9, 8, 0)


def test_one_working_day_from_after_hours_is_due_the_day_after_next_at_work_start():
    assert due(sh(2026, 6, 3, 20, 0), 1, "working_days") == sh(2026, 6, 5, 8, 0)


def test_one_working_day_from_exactly_work_end_counts_as_after_hours():
    assert due(sh(2026, 6, 3, 18, 0), 1, "working_days") == sh(2026, 6, 5, 8, 0)


def test_one_working_day_from_before_hours_is_due_next_day_at_work_start():
    assert due(sh(2026, 6, 3, 6, 30), 1, "working_days") == sh(2026, 6, 4, 8, 0)


def test_monday_holiday_pushes_friday_feedback_to_tuesday():
    policy = Policy(holidays=frozenset({date(2026, 6, 8)}))
    assert due(sh(2026, 6, 5, 15, 0), 1, "working_days", policy) == sh(2026, 6, 9, 15, 0)


def test_make_up_sunday_before_national_day_counts_as_working():
    # Fri 25 Sep + 2: Sat off, Sun 27 is a make-up day, then Mon 28.
    assert due(sh(2026, 9, 25, 15, 0), 2, "working_days", NATIONAL_DAY) == sh(2026, 9, 28, 15, 0)


def test_national_day_week_is_skipped_and_make_up_saturday_counts():
    # Wed 30 Sep + 3: 1-7 Oct off, Thu 8, Fri 9, Sat 10 (make-up).
    assert due(sh(2026, 9, 30, 15, 0), 3, "working_days", NATIONAL_DAY) == sh(2026, 10, 10, 15, 0)


def test_two_working_days_from_inside_national_day_start_after_the_holiday():
    # Received on 3 Oct: normalised to Thu 8 Oct 08:00, then Fri 9, Sat 10.
    assert due(sh(2026, 10, 3, 12, 0), 2, "working_days", NATIONAL_DAY) == sh(2026, 10, 10, 8, 0)


def test_holiday_wins_over_make_up_day():
    policy = Policy(holidays=frozenset({date(2026, 9, 27)}), extra_working_days=frozenset({date(2026, 9, 27)}))
    assert not is_working_day(date(2026, 9, 27), policy)


def test_working_days_keep_local_time_across_dst_in_new_york():
    policy = Policy(timezone="America/New_York")
    start = datetime(2026, 3, 6, 15, 0, tzinfo=NEW_YORK)  # Fri, EST = 20:00 UTC
    result = due(start, 1, "working_days", policy)
    assert result == datetime(2026, 3, 9, 15, 0, tzinfo=NEW_YORK)  # Mon, EDT
    assert result == datetime(2026, 3, 9, 19, 0, tzinfo=UTC)


def test_working_days_keep_local_time_across_dst_in_london():
    policy = Policy(timezone="Europe/London")
    start = datetime(2026, 3, 27, 9, 0, tzinfo=LONDON)  # Fri, GMT
    result = due(start, 1, "working_days", policy)
    assert result == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # Mon 09:00 BST


# --- working hours -----------------------------------------------------------------

def test_three_working_hours_from_friday_evening_run_into_monday():
    assert due(sh(2026, 6, 5, 17, 30), 3, "working_hours") == sh(2026, 6, 8, 10, 30)


def test_three_working_hours_from_sunday_noon_start_at_monday_work_start():
    assert due(sh(2026, 6, 7, 12, 0), 3, "working_hours") == sh(2026, 6, 8, 11, 0)


def test_three_working_hours_within_a_day():
    assert add_window(sh(2026, 6, 3, 9, 0), DEFAULT.callback, DEFAULT) == sh(2026, 6, 3, 12, 0)


def test_working_hours_ending_exactly_at_work_end_are_due_at_close_of_business():
    assert due(sh(2026, 6, 5, 15, 0), 3, "working_hours") == sh(2026, 6, 5, 18, 0)


def test_working_hours_longer_than_a_day_span_several_days():
    # 25 h from Wed 09:00: Wed 9 h, Thu 10 h, Fri 6 h -> Fri 14:00.
    assert due(sh(2026, 6, 3, 9, 0), 25, "working_hours") == sh(2026, 6, 5, 14, 0)


def test_working_hours_across_dst_in_new_york():
    policy = Policy(timezone="America/New_York")
    start = datetime(2026, 3, 6, 17, 0, tzinfo=NEW_YORK)  # Fri, EST
    assert due(start, 3, "working_hours", policy) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # Mon 10:00 EDT


def test_huge_holiday_list_still_terminates():
    holidays = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(3000))
    policy = Policy(holidays=holidays)
    result = due(sh(2026, 1, 1, 9, 0), 1, "working_hours", policy)
    assert result == sh(2034, 3, 20, 9, 0)  # 3000 holidays from 1 Jan 2026 end on Sun 19 Mar 2034


def test_calendar_without_any_working_day_raises_value_error():
    policy = Policy(weekend=frozenset(range(7)))  # direct construction skips from_dict's check
    with pytest.raises(ValueError):
        due(sh(2026, 6, 3, 9, 0), 1, "working_days", policy)
    with pytest.raises(ValueError):
        due(sh(2026, 6, 3, 9, 0), 1, "working_hours", policy)


# --- time zones and types ----------------------------------------------------------

def test_hong_kong_and_shanghai_agree_for_the_same_utc_instant():
    start = datetime(2026, 6, 5, 9, 30, tzinfo=UTC)  # Fri 17:30 in both
    hong_kong = Policy(timezone="Asia/Hong_Kong")
    for window in (Window(3, "working_hours"), Window(1, "working_days"), Window(10, "minutes")):
        assert add_window(start, window, hong_kong) == add_window(start, window, DEFAULT)
    assert add_window(start, Window(3, "working_hours"), hong_kong) == datetime(2026, 6, 8, 2, 30, tzinfo=UTC)


def test_same_utc_instant_means_different_deadlines_in_different_zones():
    start = datetime(2026, 6, 5, 12, 0, tzinfo=UTC)  # Fri 20:00 Shanghai, Fri 08:00 New York
    assert due(start, 1, "working_days") == sh(2026, 6, 9, 8, 0)
    ny = due(start, 1, "working_days", Policy(timezone="America/New_York"))
    assert ny == datetime(2026, 6, 8, 8, 0, tzinfo=NEW_YORK)


@pytest.mark.parametrize("unit", ["minutes", "hours", "working_hours", "working_days"])
def test_results_are_utc_aware(unit):
    result = due(sh(2026, 6, 3, 9, 0), 2, unit)
    assert result.tzinfo is UTC


@pytest.mark.parametrize("unit", ["minutes", "hours", "working_hours", "working_days"])
def test_naive_start_is_rejected(unit):
    with pytest.raises(ValueError):
        due(datetime(2026, 6, 3, 9, 0), 1, unit)


def test_naive_datetime_is_rejected_by_calendar_queries():
    with pytest.raises(ValueError):
        is_working_time(datetime(2026, 6, 3, 9, 0), DEFAULT)
    with pytest.raises(ValueError):
        next_working_start(datetime(2026, 6, 3, 9, 0), DEFAULT)


@pytest.mark.parametrize("amount, unit", [(0, "minutes"), (-1, "hours"), (1.5, "hours"), (True, "hours"), (1, "days")])
def test_window_rejects_bad_values(amount, unit):
    with pytest.raises(ValueError):
        Window(amount, unit)


def test_is_working_time_uses_half_open_working_hours():
    assert is_working_time(sh(2026, 6, 3, 8, 0), DEFAULT)
    assert is_working_time(sh(2026, 6, 3, 17, 59), DEFAULT)
    assert not is_working_time(sh(2026, 6, 3, 18, 0), DEFAULT)
    assert not is_working_time(sh(2026, 6, 6, 10, 0), DEFAULT)  # Saturday


def test_next_working_start_returns_working_time_unchanged_in_utc():
    at = sh(2026, 6, 3, 10, 0)
    result = next_working_start(at, DEFAULT)
    assert result == at and result.tzinfo is UTC


@pytest.mark.parametrize(
    "at, expected",
    [
        (sh(2026, 6, 3, 7, 0), sh(2026, 6, 3, 8, 0)),  # before hours
        (sh(2026, 6, 3, 18, 0), sh(2026, 6, 4, 8, 0)),  # at work_end
        (sh(2026, 6, 5, 22, 0), sh(2026, 6, 8, 8, 0)),  # Friday night
        (sh(2026, 6, 6, 7, 0), sh(2026, 6, 8, 8, 0)),  # Saturday morning
    ],
)
def test_next_working_start_moves_to_next_working_period(at, expected):
    assert next_working_start(at, DEFAULT) == expected


# --- response_window -------------------------------------------------------------

@pytest.mark.parametrize("cause", ["business_affected", "outside_control", "equipment_facility", "other", None])
def test_consultations_are_answered_at_once_whatever_the_cause(cause):
    assert response_window(DEFAULT, "consultation", cause) == DEFAULT.consultation


@pytest.mark.parametrize("kind", ["complaint", "request", None])
@pytest.mark.parametrize(
    "cause, attribute",
    [
        ("business_affected", "reply_business_affected"),
        ("outside_control", "reply_outside_control"),
        ("equipment_facility", "reply_equipment_facility"),
        ("other", "feedback"),
        (None, "feedback"),
        ("something_new", "feedback"),
    ],
)
def test_cause_picks_the_reply_window(kind, cause, attribute):
    assert response_window(DEFAULT, kind, cause) == getattr(DEFAULT, attribute)


def test_response_window_reads_the_policy_not_the_defaults():
    policy = Policy.from_dict({"windows": {"reply_outside_control": {"amount": 5, "unit": "working_days"}}})
    assert response_window(policy, "complaint", "outside_control") == Window(5, "working_days")


# --- Policy.from_dict / to_dict ----------------------------------------------------

def test_from_dict_none_and_empty_give_the_defaults():
    assert Policy.from_dict(None) == Policy()
    assert Policy.from_dict({}) == Policy()


def test_from_dict_overrides_only_what_is_given():
    policy = Policy.from_dict(
        {
            "timezone": "Asia/Hong_Kong",
            "weekend": [6],
            "holidays": ["2026-10-01"],
            "extra_working_days": ["2026-09-27"],
            "work_start": "09:00",
            "work_end": "17:30",
            "windows": {"callback": {"amount": 4, "unit": "working_hours"}},
        }
    )
    assert policy.timezone == "Asia/Hong_Kong"
    assert policy.tz == ZoneInfo("Asia/Hong_Kong")
    assert policy.weekend == frozenset({6})
    assert policy.holidays == frozenset({date(2026, 10, 1)})
    assert policy.extra_working_days == frozenset({date(2026, 9, 27)})
    assert policy.work_start == time(9, 0) and policy.work_end == time(17, 30)
    assert policy.callback == Window(4, "working_hours")
    assert policy.handoff == Policy().handoff


def test_to_dict_round_trips_through_from_dict():
    policy = Policy.from_dict(
        {
            "timezone": "America/New_York",
            "weekend": [6, 5],
            "holidays": ["2026-12-25", "2026-07-03"],
            "extra_working_days": ["2026-09-27"],
            "work_start": "07:45",
            "work_end": "19:00",
            "windows": {"feedback": {"amount": 2, "unit": "working_days"}},
        }
    )
    data = policy.to_dict()
    assert Policy.from_dict(data) == policy
    assert data["weekend"] == [5, 6]
    assert data["holidays"] == ["2026-07-03", "2026-12-25"]
    assert data["work_start"] == "07:45"
    assert data["windows"]["feedback"] == {"amount": 2, "unit": "working_days"}
    assert Policy.from_dict(Policy().to_dict()) == Policy()


def test_to_dict_is_json_safe():
    import json

    assert json.loads(json.dumps(NATIONAL_DAY.to_dict())) == NATIONAL_DAY.to_dict()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"timezone": 8}, "timezone"),
        ({"holidays": ["2026-13-01"]}, "holidays"),
        ({"holidays": ["2026/10/01"]}, "holidays"),
        ({"holidays": ["20261001"]}, "holidays"),
        ({"holidays": "2026-10-01"}, "holidays"),
        ({"extra_working_days": [20260927]}, "extra_working_days"),
        ({"weekend": [7]}, "weekend"),
        ({"weekend": [-1]}, "weekend"),
        ({"weekend": [True]}, "weekend"),
        ({"weekend": 5}, "weekend"),
        ({"weekend": [0, 1, 2, 3, 4, 5, 6]}, "weekend"),
        ({"work_start": "8am"}, "work_start"),
        ({"work_start": "25:00"}, "work_start"),
        ({"work_end": "07:00"}, "work_end"),
        ({"work_start": "09:00", "work_end": "09:00"}, "work_end"),
        ({"windows": {"callback": {"amount": 3, "unit": "days"}}}, "windows.callback.unit"),
        ({"windows": {"callback": {"amount": 0, "unit": "hours"}}}, "windows.callback.amount"),
        ({"windows": {"callback": {"amount": -2, "unit": "hours"}}}, "windows.callback.amount"),
        ({"windows": {"callback": {"amount": 1.5, "unit": "hours"}}}, "windows.callback.amount"),
        ({"windows": {"callback": {"amount": "3", "unit": "hours"}}}, "windows.callback.amount"),
        ({"windows": {"callback": {"amount": 10**9, "unit": "working_days"}}}, "windows.callback.amount"),
        ({"windows": {"callback": {"amount": 3}}}, "windows.callback"),
        ({"windows": {"callback": {"amount": 3, "unit": "hours", "x": 1}}}, "windows.callback"),
        ({"windows": {"escalation": {"amount": 3, "unit": "hours"}}}, "windows.escalation"),
        ({"windows": []}, "windows"),
        ({"timezones": "Asia/Shanghai"}, "timezones"),
        (["timezone"], "policy"),
    ],
)
def test_from_dict_rejects_bad_policy(data, field):
    with pytest.raises(ValidationFailed) as caught:
        Policy.from_dict(data)
    assert caught.value.code == "invalid_policy"
    assert caught.value.details == {"field": field}
    assert caught.value.status == 422


def test_from_dict_accepts_all_week_weekend_when_make_up_days_exist():
    policy = Policy.from_dict({"weekend": list(range(7)), "extra_working_days": ["2026-06-03"]})
    assert is_working_day(date(2026, 6, 3), policy)


# --- properties --------------------------------------------------------------------

POLICIES = [
    DEFAULT,
    NATIONAL_DAY,
    Policy(timezone="America/New_York", holidays=frozenset({date(2026, 7, 3), date(2026, 12, 25)})),
    Policy(timezone="Europe/London", weekend=frozenset({4, 5}), work_start=time(9, 30), work_end=time(17, 15)),
    Policy(timezone="Asia/Hong_Kong", weekend=frozenset({6}), work_start=time(0, 0), work_end=time(23, 59)),
]


def _working_time_between(start: datetime, end: datetime, policy: Policy) -> timedelta:
    """Independent oracle: total overlap of [start, end] with working periods."""
    total = timedelta()
    day = start.astimezone(policy.tz).date() - timedelta(days=1)
    last = end.astimezone(policy.tz).date() + timedelta(days=1)
    while day <= last:
        if is_working_day(day, policy):
            open_ = datetime.combine(day, policy.work_start, tzinfo=policy.tz)
            close = datetime.combine(day, policy.work_end, tzinfo=policy.tz)
            overlap = min(close, end) - max(open_, start)
            total += max(overlap, timedelta())
        day += timedelta(days=1)
    return total


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    amount=st.integers(min_value=1, max_value=60),
    unit=st.sampled_from(["minutes", "hours", "working_hours", "working_days"]),
    policy=st.sampled_from(POLICIES),
)
def test_deadline_is_after_start_and_working_deadlines_land_in_working_time(start, amount, unit, policy):
    result = add_window(start, Window(amount, unit), policy)
    assert result.tzinfo is UTC
    assert result > start
    if unit == "minutes":
        assert result - start == timedelta(minutes=amount)
    elif unit == "hours":
        assert result - start == timedelta(hours=amount)
    else:
        # Convention: a working deadline lies on a working day within
        # [work_start, work_end]: close of business itself is a valid deadline.
        local = result.astimezone(policy.tz)
        assert is_working_time(result, policy) or local.time() == policy.work_end
        assert is_working_day(result.astimezone(policy.tz).date(), policy)
    if unit == "working_hours":
        assert _working_time_between(start, result, policy) == timedelta(hours=amount)

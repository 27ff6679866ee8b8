"""Report schedules' rules (seed 001's reporting calendar): what a manager may set,
the Scheduler cron expression of each, which period a fire reports on, and the
cron parser the local stack fires them with."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from chalicelib.domain import report_schedules as rs
from chalicelib.domain.errors import ValidationFailed

MONTHLY = {"schedule_id": "monthly-25", "report": "monthly", "recipients": ["经理@riverside.example"],
           "time": "09:00", "day": 25, "lang": "zh-Hans"}


def test_defaults_are_filled_and_duplicates_of_recipients_dropped():
    [weekly] = rs.check_schedules([{"schedule_id": "weekly-quality", "report": "weekly",
                                    "recipients": ["a@x.example", "a@x.example", "b@x.example"]}])
    assert weekly == {"schedule_id": "weekly-quality", "report": "weekly", "recipients": ["a@x.example", "b@x.example"],
                      "time": "08:00", "lang": "zh-Hans", "enabled": True, "weekday": "MON"}


@pytest.mark.parametrize(("change", "field"), [
    ({"day": 29}, "schedules[0].day"),            # not every month has a 29th
    ({"day": True}, "schedules[0].day"),
    ({"time": "24:00"}, "schedules[0].time"),
    ({"recipients": ["not-an-address"]}, "schedules[0].recipients"),
    ({"recipients": []}, "schedules[0].recipients"),
    ({"lang": "ja"}, "schedules[0].lang"),
    ({"report": "hourly"}, "schedules[0].report"),
    ({"schedule_id": "Monthly 25"}, "schedules[0].schedule_id"),
])
def test_a_wrong_field_is_named(change, field):
    with pytest.raises(ValidationFailed) as err:
        rs.check_schedules([{**MONTHLY, **change}])
    assert err.value.code == "invalid_report_schedule" and err.value.details["field"] == field


def test_schedule_ids_are_unique():
    with pytest.raises(ValidationFailed) as err:
        rs.check_schedules([MONTHLY, MONTHLY])
    assert err.value.details["field"] == "schedules[1].schedule_id"


def test_cron_expressions_for_eventbridge_scheduler():
    [daily, weekly, monthly] = rs.check_schedules([
        {"schedule_id": "d", "report": "daily", "recipients": ["a@x.example"], "time": "07:30"},
        {"schedule_id": "w", "report": "weekly", "recipients": ["a@x.example"], "weekday": "fri", "time": "17:00"},
        MONTHLY])
    assert rs.cron_expression(daily) == "cron(30 7 * * ? *)"
    assert rs.cron_expression(weekly) == "cron(0 17 ? * FRI *)"
    assert rs.cron_expression(monthly) == "cron(0 9 25 * ? *)"


def test_the_period_a_fire_reports_on():
    assert rs.period("daily", date(2026, 11, 24)) == ("daily:2026-11-23", date(2026, 11, 23), date(2026, 11, 23))
    # Monday's weekly quality check: the seven days to Sunday
    assert rs.period("weekly", date(2026, 11, 30)) == ("weekly:2026-11-23", date(2026, 11, 23), date(2026, 11, 29))
    # "monthly items by the 25th": the month before; January's reports December
    assert rs.period("monthly", date(2026, 12, 25)) == ("monthly:2026-11", date(2026, 11, 1), date(2026, 11, 30))
    assert rs.period("monthly", date(2027, 1, 25)) == ("monthly:2026-12", date(2026, 12, 1), date(2026, 12, 31))


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def test_last_fire_reads_the_expression_in_the_property_zone():
    # 09:00 in Shanghai on the 25th is 01:00 UTC
    assert rs.last_fire("cron(0 9 25 * ? *)", "Asia/Shanghai", utc(2026, 12, 24), utc(2026, 12, 25, 2)) == \
        utc(2026, 12, 25, 1)
    assert rs.last_fire("cron(0 9 25 * ? *)", "Asia/Shanghai", utc(2026, 12, 25, 1), utc(2026, 12, 25, 2)) is None
    # weekly on Monday 08:30 New York (EST, UTC-5): 13:30 UTC; SUN=1 .. SAT=7 in AWS numbering
    assert rs.last_fire("cron(30 8 ? * MON *)", "America/New_York", utc(2026, 11, 29), utc(2026, 12, 1)) == \
        utc(2026, 11, 30, 13, 30)
    assert rs.last_fire("cron(30 8 ? * 2 *)", "America/New_York", utc(2026, 11, 29), utc(2026, 12, 1)) == \
        utc(2026, 11, 30, 13, 30)
    # the latest of several fires in the interval
    assert rs.last_fire("cron(0/15 * * * ? *)", "UTC", utc(2026, 11, 1), utc(2026, 11, 1, 1, 20)) == \
        utc(2026, 11, 1, 1, 15)


@pytest.mark.parametrize("expression", ["rate(1 day)", "cron(0 9 L * ? *)", "cron(0 25 * * ? *)", "cron(0 9 * *)"])
def test_expressions_outside_the_supported_subset_are_refused(expression):
    with pytest.raises(ValueError):
        rs.last_fire(expression, "UTC", utc(2026, 11, 1), utc(2026, 11, 2))

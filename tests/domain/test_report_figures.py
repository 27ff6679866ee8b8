"""The report figures a manager checks (issue 17): satisfaction from callbacks and
ratings, reopen rate, on time per department and per window (feedback included,
response by cause), the top categories with their shares, after-hours volume; and
their monthly rollup recomputed from sums. Hand-built cases through the pure lifecycle."""
from __future__ import annotations

from datetime import date

from chalicelib.domain import stats
from tests.domain.test_handover_stats import SHANGHAI, STAFF, TENANT, Built, local, monday, trails

__all__ = ["monday"]  # the fixture: Monday 2026-11-23 in Shanghai (tests/domain/test_handover_stats.py)

ON_TIME = {"due": 1, "met_on_time": 1, "met_late": 0, "missed": 0, "pending": 0, "rate": 1.0}
LATE = {"due": 1, "met_on_time": 0, "met_late": 1, "missed": 0, "pending": 0, "rate": 0.0}
MISSED = {"due": 1, "met_on_time": 0, "met_late": 0, "missed": 1, "pending": 0, "rate": 0.0}


def test_satisfaction_counts_callbacks_that_reached_the_tenant_and_ratings(monday):
    # quick: callback satisfied + rated 5; sunday: callback not satisfied + rated 2; slow: not reached (no answer)
    assert monday["satisfaction"] == {
        "answers": 4, "satisfied": 2, "rate": 0.5,
        "callbacks": {"answers": 2, "satisfied": 1, "rate": 0.5},
        "ratings": {"answers": 2, "satisfied": 1, "rate": 0.5}}


def test_reopen_rate_is_reopens_over_resolutions_of_the_day():
    P = SHANGHAI
    fixed = Built(local(P, 2026, 11, 23, 9), kind="request", category="cleaning")
    fixed.act("resolve", local(P, 2026, 11, 23, 10), actor=STAFF, resolution="已清扫")
    fixed.act("reopen", local(P, 2026, 11, 23, 11), actor=TENANT, reason="還是很髒")
    other = Built(local(P, 2026, 11, 23, 9, 30), kind="request", category="cleaning")
    other.act("resolve", local(P, 2026, 11, 23, 10), actor=STAFF, resolution="已清扫")
    figures = stats.daily_stats(property_id="P1", day=date(2026, 11, 23), policy=P,
                                cases=[fixed.case, other.case], events=trails(fixed, other),
                                now=local(P, 2026, 11, 24, 1))
    assert figures["reopen_rate"] == {"reopened": 1, "resolved": 2, "rate": 0.5}


def test_on_time_per_department_and_window(monday):
    by_dept = monday["on_time_by_department"]
    assert set(by_dept) == {"cleaning", "engineering", "security", "unassigned"}
    assert by_dept["engineering"]["handoff"] == ON_TIME and by_dept["engineering"]["response"] == ON_TIME
    assert by_dept["engineering"]["callback"] == ON_TIME
    assert by_dept["security"]["handoff"] == LATE and by_dept["security"]["response"] == LATE
    assert by_dept["unassigned"]["handoff"] == MISSED       # the 20:00 call nobody took
    assert by_dept["cleaning"]["callback"] == ON_TIME       # Sunday's case, called back Monday 10:00
    # the per-window totals agree with the day's on_time figures
    for window in stats.WINDOWS:
        assert monday["on_time_by_window"][window] == monday["on_time"][window]


def test_response_by_cause_and_the_feedback_window():
    P = SHANGHAI
    # Friday's equipment complaint: the 1-working-day feedback is due Monday; the 3-day reply later.
    friday = Built(local(P, 2026, 11, 20, 10), kind="complaint", category="air_conditioning")
    friday.act("classify", local(P, 2026, 11, 20, 10, 1), kind="complaint", cause="equipment_facility",
               department="engineering")
    friday.act("assign", local(P, 2026, 11, 20, 10, 5), assignee="eng-1")
    # Monday 09:00, business affected: reply due within the hour, given at 09:40.
    shop = Built(local(P, 2026, 11, 23, 9), kind="complaint", category="security")
    shop.act("classify", local(P, 2026, 11, 23, 9, 1), kind="complaint", cause="business_affected",
             department="security")
    shop.act("respond", local(P, 2026, 11, 23, 9, 40), actor=STAFF, message="保安已到场")
    figures = stats.daily_stats(property_id="P1", day=date(2026, 11, 23), policy=P,
                                cases=[friday.case, shop.case], events=trails(friday, shop),
                                now=local(P, 2026, 11, 24, 1))
    assert figures["on_time_by_window"]["feedback"]["missed"] == 1  # friday: no feedback by Monday 10:00
    assert figures["on_time_by_department"]["engineering"]["feedback"]["missed"] == 1
    assert figures["response_by_cause"] == {"business_affected": ON_TIME}


def test_top_categories_with_their_shares_like_the_seed_table():
    P = SHANGHAI
    built = ([Built(local(P, 2026, 11, 23, 10, i), kind="complaint", category="air_conditioning") for i in range(3)]
             + [Built(local(P, 2026, 11, 23, 11, i), kind="complaint", category="security") for i in range(2)]
             + [Built(local(P, 2026, 11, 23, 12), kind="request", category="cleaning")])
    figures = stats.daily_stats(property_id="P1", day=date(2026, 11, 23), policy=P, cases=[b.case for b in built],
                                events=trails(*built), now=local(P, 2026, 11, 24, 1))
    assert figures["top_categories"] == [
        {"category": "air_conditioning", "count": 3, "share": 0.5},
        {"category": "security", "count": 2, "share": 0.3333},
        {"category": "cleaning", "count": 1, "share": 0.1667}]


def test_after_hours_volume_follows_the_working_calendar():
    # 2026-11-28 is a Saturday: every case that day is after hours, unless it is a make-up working day.
    P = SHANGHAI
    built = [Built(local(P, 2026, 11, 28, 10), kind="complaint", category="cleaning"),
             Built(local(P, 2026, 11, 28, 21), kind="complaint", category="security")]
    figures = stats.daily_stats(property_id="P1", day=date(2026, 11, 28), policy=P, cases=[b.case for b in built],
                                events=trails(*built), now=local(P, 2026, 11, 29, 1))
    assert figures["after_hours"] == {"received": 2, "share": 1.0, "by_category": {"cleaning": 1, "security": 1}}
    makeup = SHANGHAI.__class__(extra_working_days=frozenset({date(2026, 11, 28)}))
    figures = stats.daily_stats(property_id="P1", day=date(2026, 11, 28), policy=makeup,
                                cases=[b.case for b in built], events=trails(*built), now=local(P, 2026, 11, 29, 1))
    assert figures["after_hours"] == {"received": 1, "share": 0.5, "by_category": {"security": 1}}


def test_monthly_rollup_recomputes_the_report_figures_from_summed_counts(monday):
    P = SHANGHAI
    tuesday_case = Built(local(P, 2026, 11, 24, 9), kind="complaint", category="air_conditioning")
    tuesday_case.act("resolve", local(P, 2026, 11, 24, 10), actor=STAFF, resolution="已修好")
    tuesday_case.act("rate", local(P, 2026, 11, 24, 11), actor=TENANT, score=4)
    tuesday = stats.daily_stats(property_id="P1", day=date(2026, 11, 24), policy=P, cases=[tuesday_case.case],
                                events=trails(tuesday_case), now=local(P, 2026, 11, 25, 1))
    month = stats.rollup(property_id="P1", year=2026, month=11, dailies=[tuesday, monday])
    assert month["satisfaction"]["answers"] == 5 and month["satisfaction"]["satisfied"] == 3
    assert month["satisfaction"]["rate"] == 0.6  # not the average of the daily rates (0.5, 1.0)
    assert month["top_categories"][0] == {"category": "air_conditioning", "count": 2, "share": 0.5}
    assert month["reopen_rate"] == {"reopened": 0, "resolved": 3, "rate": 0.0}
    assert month["on_time_by_department"]["engineering"]["handoff"]["met_on_time"] == 1
    assert month["after_hours"]["received"] == 1


def test_days_stored_before_these_figures_roll_up_without_them(monday):
    old = {k: v for k, v in monday.items() if k not in ("satisfaction", "reopen_rate", "on_time_by_window",
                                                        "on_time_by_department", "response_by_cause",
                                                        "top_categories", "after_hours")}
    month = stats.rollup(property_id="P1", year=2026, month=11, dailies=[old])
    assert month["satisfaction"]["rate"] is None and month["reopen_rate"]["rate"] is None
    assert [row["category"] for row in month["top_categories"]] == ["air_conditioning", "security", "unclassified"]

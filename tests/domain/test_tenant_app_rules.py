"""Issue 16's rules for the tenant app: the tenant answers the follow-up callback
(``confirm``), "affects my shop's business" on the case, and the places a new
case may name (``places.tenant_places``). Pure: time is passed in."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import auth, cases, deadlines, places, views
from chalicelib.domain.cases import Actor
from chalicelib.domain.errors import Conflict, Forbidden, IllegalTransition, ValidationFailed

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai
POLICY = deadlines.Policy.from_dict({})
DESK = Actor("front_desk-1", "front_desk", "前台小王")
ENGINEER = Actor("dept_staff-1", "dept_staff", "工程部张师傅")
MANAGER = Actor("manager-1", "manager", "王经理")
TENANT = Actor("tenant-1", "tenant", "黃小姐")


def submitted(**params):
    return cases.new_case(property_id="P2", case_id="TD-20261123-0001", actor=TENANT,
                          params={"unit": "L2-15", "content": "冷氣壞了", **params}, now=T0, policy=POLICY).case


def act(case, action, actor, minutes, **params):
    return cases.ACTIONS[action](case, actor, params, T0 + timedelta(minutes=minutes), POLICY)


def resolved(**params):
    case = submitted(**params)
    case = act(case, "assign", DESK, 5, assignee="dept_staff-1", department="engineering").case
    case = act(case, "start", ENGINEER, 10).case
    return act(case, "resolve", ENGINEER, 30, resolution="已更換壓縮機").case


# --- confirming the callback ------------------------------------------------------------

def test_a_satisfied_answer_is_the_callback_reached_and_meets_its_window():
    change = act(resolved(), "confirm", TENANT, 45, satisfied=True, comment="冷氣好凍，多謝")
    case = change.case
    assert case.status == "callback_done" and case.callback_done_at == T0 + timedelta(minutes=45)
    assert case.deadlines["callback"].met_at == case.callback_done_at
    assert case.deadlines["callback"].met_at <= case.deadlines["callback"].due
    assert case.callback["reached"] is True and case.callback["channel"] == "app" and case.callback["by_tenant"]
    assert change.event.action == "confirm" and change.event.actor == TENANT
    assert change.event.data == {"reached": True, "satisfied": True, "comment": "冷氣好凍，多謝", "channel": "app"}
    # the tenant wrote: staff see the unread marker; the desk may close a satisfied case
    assert case.unread_for_staff == 1
    assert act(case, "close", DESK, 50, summary="回訪滿意").case.status == "closed"


def test_an_unsatisfied_answer_leaves_the_case_to_a_manager():
    case = act(resolved(), "confirm", TENANT, 45, satisfied=False, comment="still warm").case
    with pytest.raises(Forbidden) as refused:
        act(case, "close", DESK, 50, summary="x")
    assert refused.value.code == "manager_decision_required"
    assert act(case, "close", MANAGER, 55, reason="空調已達標，租戶另有意見").case.status == "closed"


def test_a_score_rates_the_handling_once():
    case = act(resolved(), "confirm", TENANT, 45, satisfied=True, score=5).case
    assert case.rating["score"] == 5
    rated = act(resolved(), "rate", TENANT, 40, score=4).case
    with pytest.raises(Conflict) as twice:
        act(rated, "confirm", TENANT, 45, satisfied=True, score=5)
    assert twice.value.code == "already_rated"
    assert act(rated, "confirm", TENANT, 45, satisfied=True).case.rating["score"] == 4  # no score: fine


def test_confirm_only_on_a_resolved_case_and_with_a_yes_or_no():
    open_case = submitted()
    with pytest.raises(IllegalTransition):
        act(open_case, "confirm", TENANT, 5, satisfied=True)
    done = act(resolved(), "confirm", TENANT, 45, satisfied=True).case
    with pytest.raises(IllegalTransition):
        act(done, "confirm", TENANT, 50, satisfied=True)  # answered already
    with pytest.raises(ValidationFailed):
        act(resolved(), "confirm", TENANT, 45, satisfied="yes")
    with pytest.raises(ValidationFailed):
        act(resolved(), "confirm", TENANT, 45, satisfied=True, score=9)


def test_the_app_is_offered_confirm_only_on_the_tenants_resolved_case():
    who = auth.Principal("tenant-1", "tenant", {"P2"})
    desk = auth.Principal("front_desk-1", "front_desk", {"P2"})
    assert "confirm" in views.case_actions(who, resolved(), now=T0, policy=POLICY)
    assert "confirm" not in views.case_actions(who, submitted(), now=T0, policy=POLICY)
    staff_actions = views.case_actions(desk, resolved(), now=T0, policy=POLICY)
    assert "callback" in staff_actions and "confirm" not in staff_actions


# --- affects my shop's business ------------------------------------------------------------

def test_business_affected_is_the_tenants_word_and_classify_defaults_the_cause():
    case = submitted(business_affected=True)
    assert case.business_affected is True and case.cause is None  # the desk classifies, not the tenant
    classified = act(case, "classify", DESK, 3, kind="complaint", validity="valid").case
    assert classified.cause == "business_affected"
    # the 1-hour reply window (deadlines.response_window) now applies from receipt
    assert classified.deadlines["response"].due == T0 + timedelta(hours=1)
    # the desk overrules the tenant's word by naming another cause
    other = act(case, "classify", DESK, 3, kind="complaint", cause="equipment_facility").case
    assert other.cause == "equipment_facility"
    plain = act(submitted(), "classify", DESK, 3, kind="complaint").case
    assert plain.cause is None and plain.business_affected is False


# --- the places a new case may name ------------------------------------------------------------

UNITS = {"L2-15": {"unit_id": "L2-15", "building_id": "MALL", "label": "港灣廣場 L2-15 黃記茶餐廳",
                   "shop_name": "黃記茶餐廳", "rooms": [{"room_id": "kitchen", "name": "廚房"}]},
         "3-1201": {"unit_id": "3-1201", "building_id": "B3", "label": "3栋 1201", "rooms": []}}
AREAS = [{"area_id": "entrance", "name": "正門大堂", "name_en": "Main entrance", "history": [{"by": "x"}]},
         {"area_id": "atrium", "name": "中庭", "name_en": "Atrium"}]


def test_places_are_the_tenants_own_units_and_the_public_areas_labels_and_ids_only():
    own = [{"resident_id": "RL2-15-A", "unit_id": "L2-15", "role": "shop_tenant", "tenant_id": "tenant-1"}]
    found = places.tenant_places(own, UNITS, AREAS, today="2026-11-23")
    assert found["business"] is True and found["linked"] is True
    assert found["items"] == [
        {"kind": "unit", "building_id": "MALL", "unit_id": "L2-15", "label": "港灣廣場 L2-15 黃記茶餐廳", "own": True,
         "shop": True},
        {"kind": "unit", "building_id": "MALL", "unit_id": "L2-15", "room_id": "kitchen",
         "label": "港灣廣場 L2-15 黃記茶餐廳 廚房", "own": True, "shop": True},
        {"kind": "area", "area_id": "atrium", "label": "中庭", "label_en": "Atrium", "own": False, "shop": False},
        {"kind": "area", "area_id": "entrance", "label": "正門大堂", "label_en": "Main entrance", "own": False,
         "shop": False}]


def test_a_flat_owner_keeps_no_shop_and_an_unlinked_tenant_gets_the_areas_only():
    owner = [{"resident_id": "R1", "unit_id": "3-1201", "role": "owner", "tenant_id": "tenant-1"}]
    assert places.tenant_places(owner, UNITS, AREAS, today="2026-11-23")["business"] is False
    none = places.tenant_places([], {}, AREAS, today="2026-11-23")
    assert none["linked"] is False and [p["kind"] for p in none["items"]] == ["area", "area"]
    moved = [{**owner[0], "moved_out": "2026-11-01"}]
    assert places.tenant_places(moved, UNITS, [], today="2026-11-23")["items"] == []


def test_the_tenants_answer_counts_as_a_reached_callback_in_the_days_figures():
    from datetime import date

    from chalicelib.domain import stats
    case = resolved()
    change = act(case, "confirm", TENANT, 45, satisfied=True, score=4)
    figures = stats.daily_stats(property_id="P2", day=date(2026, 11, 23), policy=POLICY, cases=[change.case],
                                events={change.case.key: [change.event]}, now=T0 + timedelta(days=1))
    assert (figures["callbacks"]["attempts"], figures["callbacks"]["reached"]) == (1, 1)
    assert figures["on_time"]["callback"]["met_on_time"] == 1


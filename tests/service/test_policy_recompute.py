"""A policy change (PUT property with a changed policy) moves the open cases'
deadlines at once: paged over the property's open queue, each case through the
versioned write with an internal ``policy_changed`` event, a new watcher
generation where a deadline moved earlier; a large property is finished by the
watch_outbox schedule. In-memory store; the DynamoDB side of the outbox record
is in tests/contract."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.auth import Principal
from chalicelib.services import case_service
from chalicelib.services.case_watch import WatchService
from tests.conftest import contacts_of

ADMIN = Principal("admin-1", "admin", frozenset({"P1"}), name="物业总监")
TENANT = Principal("tenant-1", "tenant", frozenset({"P1"}), name="李女士")
DESK = Principal("desk-1", "front_desk", frozenset({"P1"}), name="前台")
SETTINGS = {"name": "滨江花园 Riverside Garden", "email": "service@riverside.example",
            "contacts": contacts_of("riverside.example"),
            "departments": ["engineering", "security", "cleaning", "customer_service"]}


def put_policy(svc, policy):
    return svc.put_property(ADMIN, "P1", {**SETTINGS, "policy": policy})


def equipment_case(svc):
    case, _ = svc.submit(TENANT, "P1", {"channel": "app", "unit": "3栋1201", "content": "电梯异响"}, None)
    return svc.act(DESK, "P1", case.case_id, "classify", {"kind": "complaint", "cause": "equipment_facility",
                                                          "department": "engineering"})


SHORT_REPLY = {"windows": {"reply_equipment_facility": {"amount": 1, "unit": "working_days"}}}


def test_shortening_a_window_moves_an_open_case_deadline_at_once_with_an_event_the_tenant_does_not_see(svc, store):
    case = equipment_case(svc)
    assert case.deadlines["response"].due == case.created_at + timedelta(days=3)
    put_policy(svc, SHORT_REPLY)
    stored = store.get_case("P1", case.case_id)
    assert stored.deadlines["response"].due == case.created_at + timedelta(days=1)
    assert stored.version == case.version + 1
    staff_trail = svc.get(DESK, "P1", case.case_id)[1]
    assert staff_trail[-1].action == "policy_changed" and staff_trail[-1].actor.id == "admin-1"
    assert "policy_changed" not in [e.action for e in svc.get(TENANT, "P1", case.case_id)[1]]


def test_a_put_that_keeps_the_policy_touches_no_case(svc, store):
    case = equipment_case(svc)
    svc.put_property(ADMIN, "P1", {**SETTINGS, "name": "滨江花园"})
    assert store.get_case("P1", case.case_id).version == case.version
    assert store.policy_recompute("P1") is None


def test_a_closed_case_keeps_the_deadlines_it_was_handled_under(svc, store):
    case, _ = svc.submit(TENANT, "P1", {"channel": "app", "unit": "3栋1201", "content": "物业费怎么交？"}, None)
    svc.act(DESK, "P1", case.case_id, "classify", {"kind": "consultation"})
    closed = svc.act(DESK, "P1", case.case_id, "answer", {"message": "前台可交"})
    put_policy(svc, {"windows": {"consultation": {"amount": 5, "unit": "minutes"}}})
    assert store.get_case("P1", case.case_id).version == closed.version


def test_a_deadline_moved_earlier_starts_a_new_watcher_generation(svc, store):
    case, _ = svc.submit(TENANT, "P1", {"channel": "app", "unit": "3栋1201", "content": "空调不制冷"}, None)
    put_policy(svc, {"windows": {"handoff": {"amount": 5, "unit": "minutes"}}})
    stored = store.get_case("P1", case.case_id)
    assert stored.deadlines["handoff"].due == case.created_at + timedelta(minutes=5)
    assert stored.watch_gen == case.watch_gen + 1
    assert (("P1", case.case_id, stored.watch_gen)
            in {(s.property_id, s.case_id, s.gen) for s in store.pending_watch_starts(limit=100)})


def test_a_deadline_moved_later_keeps_the_running_watcher(svc, store):
    case = equipment_case(svc)
    put_policy(svc, {"windows": {"reply_equipment_facility": {"amount": 5, "unit": "working_days"}}})
    stored = store.get_case("P1", case.case_id)
    assert stored.deadlines["response"].due > case.deadlines["response"].due
    assert stored.watch_gen == case.watch_gen


def test_a_property_larger_than_one_request_is_finished_by_the_outbox_schedule(svc, store, monkeypatch):
    monkeypatch.setattr(case_service, "RECOMPUTE_PAGE_SIZE", 2)
    monkeypatch.setattr(case_service, "RECOMPUTE_PAGES", 1)
    opened = [equipment_case(svc) for _ in range(5)]
    put_policy(svc, SHORT_REPLY)

    def moved():
        return sum(store.get_case("P1", c.case_id).deadlines["response"].due < c.deadlines["response"].due
                   for c in opened)
    assert moved() == 2 and store.policy_recompute("P1") is not None  # the request did one page
    watch = WatchService(svc, mailer=lambda: None, events=lambda: None)
    for _ in range(5):
        watch.sweep_outbox()
    assert moved() == 5 and store.policy_recompute("P1") is None
    # every case was written once, whole: one policy_changed event each
    assert all([e.action for e in store.events(store.get_case("P1", c.case_id))].count("policy_changed") == 1
               for c in opened)


def test_a_colleague_editing_during_the_recompute_loses_nothing_and_the_new_deadline_holds(svc, store, monkeypatch):
    case = equipment_case(svc)
    real_save = store.save_change
    raced = []

    def save_after_a_colleague(change, **kwargs):
        if change.event.action == "policy_changed" and not raced:
            raced.append(svc.act(DESK, "P1", case.case_id, "note", {"note": "业主来电催促"}))
        return real_save(change, **kwargs)
    monkeypatch.setattr(store, "save_change", save_after_a_colleague)
    put_policy(svc, SHORT_REPLY)
    stored = store.get_case("P1", case.case_id)
    assert stored.deadlines["response"].due == case.created_at + timedelta(days=1)
    # the note (written under the new policy) already moved the deadline: the retry, on the case as it
    # is now, finds nothing left to write instead of overwriting the colleague's change
    assert [e.action for e in store.events(stored)][-1] == "note" and stored.version == raced[0].version


@pytest.mark.parametrize("preset", ["commercial"])
def test_turning_on_the_commercial_preset_gives_open_cases_its_three_steps(svc, store, preset):
    case = equipment_case(svc)
    put_policy(svc, {"preset": preset})
    stored = store.get_case("P1", case.case_id)
    assert {"acknowledge", "diagnosis", "plan"} <= set(stored.deadlines)
    assert stored.deadlines["diagnosis"].met_at is not None  # classified with its cause before the change

"""The case service's steps on the in-memory store (no AWS): submitting and
idempotency, versions, the queue and a tenant's list, property settings.
The DynamoDB side of the same guarantees is in tests/store and tests/contract."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import cases
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import BadRequest, NotFound, ValidationFailed, VersionConflict
from tests.conftest import contacts_of
from tests.people import DESK, DESK2, TENANT, TENANT2, submit


def test_submit_writes_case_and_first_event_together(svc, store):
    case, created = submit(svc)
    assert created and case.case_id == "TD-20261123-0001"
    stored = store.get_case("P1", case.case_id)
    assert stored.content == "楼上装修噪音，晚上十点还在施工" and stored.version == 1
    events = store.events(stored)
    assert [(e.seq, e.action) for e in events] == [(1, "submitted")]


def test_case_numbers_count_per_property_per_local_day(svc, clock):
    assert submit(svc)[0].case_id == "TD-20261123-0001"
    assert submit(svc)[0].case_id == "TD-20261123-0002"
    assert submit(svc, pid="P2")[0].case_id == "TD-20261123-0001"
    clock.advance(hours=16)  # 18:00 UTC = 02:00 next day in Shanghai
    assert submit(svc)[0].case_id == "TD-20261124-0001"


def test_same_idempotency_key_with_a_different_body_is_refused(svc):
    submit(svc, key="k")
    with pytest.raises(ValidationFailed) as err:
        submit(svc, key="k", content="另一件事")
    assert err.value.code == "idempotency_key_reused"


def test_idempotency_keys_are_per_caller(svc):
    a, _ = submit(svc, key="same")
    b, created = submit(svc, principal=TENANT2, key="same")
    assert created and a.case_id != b.case_id


def test_bad_idempotency_key_is_a_400(svc):
    with pytest.raises(BadRequest):
        submit(svc, key="中文键")


def test_unknown_property_is_404(svc):
    with pytest.raises(NotFound):
        submit(svc, principal=Principal("t", "tenant", frozenset({"P9"})), pid="P9")


def test_two_staff_editing_at_once_one_wins_the_other_gets_409(svc, store):
    case, _ = submit(svc)
    # Both staff loaded version 1; the first to write wins.
    svc.act(DESK, "P1", case.case_id, "classify", {"kind": "complaint"}, expected_version=1)
    with pytest.raises(VersionConflict) as err:
        svc.act(DESK2, "P1", case.case_id, "classify", {"kind": "request"}, expected_version=1)
    assert err.value.status == 409 and err.value.details["current_version"] == 2
    stored = store.get_case("P1", case.case_id)
    assert stored.kind == "complaint" and stored.version == 2
    assert [e.action for e in store.events(stored)] == ["submitted", "classify"]


def test_a_write_racing_between_read_and_save_is_refused_and_trail_kept(svc, store, clock):
    case, _ = submit(svc)
    prop = svc.property("P1")
    stale = store.get_case("P1", case.case_id)
    svc.act(DESK, "P1", case.case_id, "note", {"note": "先到"})
    change = cases.classify(stale, cases.Actor("desk-2", "front_desk"), {"kind": "request"}, clock(), prop.policy)
    with pytest.raises(VersionConflict) as err:
        store.save_change(change, expected_version=stale.version)
    assert err.value.details["current_version"] == 2
    stored = store.get_case("P1", case.case_id)
    assert stored.kind is None
    assert [e.seq for e in store.events(stored)] == [1, 2]


def test_queue_is_sorted_by_next_deadline_and_closed_cases_leave_it(svc, clock):
    slow, _ = submit(svc, content="咨询停车费")                       # handoff due 10:10
    clock.advance(minutes=1)
    urgent, _ = submit(svc, content="商铺断电影响营业")                # handoff due 10:11
    svc.act(DESK, "P1", urgent.case_id, "classify", {"kind": "complaint", "cause": "business_affected",
                                                     "department": "engineering"})
    svc.act(DESK, "P1", urgent.case_id, "assign", {"assignee": "eng-1"})  # now response due 11:01
    svc.act(DESK, "P1", slow.case_id, "classify", {"kind": "consultation"})
    items, _ = svc.queue(DESK, "P1", filters={}, overdue=False, limit=25, cursor=None)
    assert [c.case_id for c in items] == [slow.case_id, urgent.case_id]
    svc.act(DESK, "P1", slow.case_id, "answer", {"message": "每月300元"})
    items, _ = svc.queue(DESK, "P1", filters={}, overdue=False, limit=25, cursor=None)
    assert [c.case_id for c in items] == [urgent.case_id]


def test_queue_filters_and_overdue(svc, clock):
    a, _ = submit(svc)
    b, _ = submit(svc, content="保洁没来")
    svc.act(DESK, "P1", b.case_id, "classify", {"kind": "request", "category": "cleaning", "department": "cleaning"})
    items, _ = svc.queue(DESK, "P1", filters={"kind": "request"}, overdue=False, limit=25, cursor=None)
    assert [c.case_id for c in items] == [b.case_id]
    items, _ = svc.queue(DESK, "P1", filters={"department": "cleaning"}, overdue=False, limit=25, cursor=None)
    assert [c.case_id for c in items] == [b.case_id]
    assert svc.queue(DESK, "P1", filters={}, overdue=True, limit=25, cursor=None)[0] == []
    clock.advance(minutes=11)
    overdue, _ = svc.queue(DESK, "P1", filters={}, overdue=True, limit=25, cursor=None)
    assert {c.case_id for c in overdue} == {a.case_id, b.case_id}


def test_queue_pages_with_an_opaque_cursor(svc, clock):
    ids = []
    for i in range(5):
        ids.append(submit(svc, content=f"第{i}件")[0].case_id)
        clock.advance(minutes=1)
    page1, cursor = svc.queue(DESK, "P1", filters={}, overdue=False, limit=2, cursor=None)
    page2, cursor2 = svc.queue(DESK, "P1", filters={}, overdue=False, limit=2, cursor=cursor)
    page3, _ = svc.queue(DESK, "P1", filters={}, overdue=False, limit=2, cursor=cursor2)
    assert [c.case_id for c in page1 + page2 + page3] == ids
    with pytest.raises(BadRequest) as err:
        svc.queue(DESK, "P1", filters={"kind": "request"}, overdue=False, limit=2, cursor=cursor)
    assert err.value.code == "invalid_cursor"
    with pytest.raises(BadRequest):
        svc.queue(DESK, "P1", filters={}, overdue=False, limit=2, cursor="not-a-cursor!!")


def test_tenant_sees_own_cases_newest_first_across_properties(svc, clock):
    first, _ = submit(svc)
    clock.advance(minutes=3)
    second, _ = submit(svc, pid="P2", content="商場冷氣太冷")
    submit(svc, principal=TENANT2)
    mine, cursor = svc.list_own(TENANT, limit=10, cursor=None)
    assert [(c.property_id, c.case_id) for c in mine] == [("P2", second.case_id), ("P1", first.case_id)]
    page, cursor = svc.list_own(TENANT, limit=1, cursor=None)
    page2, _ = svc.list_own(TENANT, limit=1, cursor=cursor)
    assert [c.case_id for c in page + page2] == [second.case_id, first.case_id]


def test_tenant_cannot_read_another_tenants_case(svc):
    case, _ = submit(svc)
    with pytest.raises(NotFound):
        svc.get(TENANT2, "P1", case.case_id)


def test_tenant_timeline_hides_internal_notes(svc):
    case, _ = submit(svc)
    svc.act(DESK, "P1", case.case_id, "note", {"note": "该住户多次投诉"})
    _, staff_events = svc.get(DESK, "P1", case.case_id)
    _, tenant_events = svc.get(TENANT, "P1", case.case_id)
    assert [e.action for e in staff_events] == ["submitted", "note"]
    assert [e.action for e in tenant_events] == ["submitted"]


def test_policy_override_changes_deadlines_for_that_property(svc, store):
    admin = Principal("admin-1", "admin", frozenset({"P1"}))
    svc.put_property(admin, "P1", {"name": "滨江花园", "contacts": contacts_of("riverside.example"),
                                   "policy": {"windows": {"handoff": {"amount": 5, "unit": "minutes"}}}})
    case, _ = submit(svc)
    assert case.deadlines["handoff"].due == case.created_at + timedelta(minutes=5)


def test_invalid_policy_is_refused_and_the_old_one_kept(svc):
    admin = Principal("admin-1", "admin", frozenset({"P1"}))
    with pytest.raises(ValidationFailed):
        svc.put_property(admin, "P1", {"name": "x", "policy": {"timezone": "Mars/Olympus"}})
    assert svc.property("P1").name == "滨江花园 Riverside Garden"


def test_unknown_department_is_refused(svc):
    case, _ = submit(svc)
    with pytest.raises(ValidationFailed):
        svc.act(DESK, "P1", case.case_id, "classify", {"department": "marketing"})


def test_property_settings_that_leave_a_tier_without_a_recipient_are_refused_and_the_old_kept(svc):
    admin = Principal("admin-1", "admin", frozenset({"P1"}))
    contacts = {k: v for k, v in contacts_of("riverside.example").items() if k != "director"}
    with pytest.raises(ValidationFailed) as err:
        svc.put_property(admin, "P1", {"name": "滨江花园", "contacts": contacts})
    assert err.value.code == "escalation_contact_missing" and err.value.details["missing"] == ["director"]
    assert svc.property("P1").contacts["director"] == "director@riverside.example"


def _a_write_lands_between_read_and_write(svc, store, monkeypatch):
    """The first read of the case returns it as it was; meanwhile a colleague's note
    has been stored (as the watcher's notice or another desk would)."""
    real_get = store.get_case
    raced = []

    def stale_get(property_id, case_id):
        case = real_get(property_id, case_id)
        if not raced:
            raced.append(True)
            svc.act(DESK2, property_id, case_id, "note", {"note": "同事的备注"})
        return case
    monkeypatch.setattr(store, "get_case", stale_get)


def test_an_action_without_a_pinned_version_survives_a_concurrent_write(svc, store, monkeypatch):
    case, _ = submit(svc)
    _a_write_lands_between_read_and_write(svc, store, monkeypatch)
    done = svc.act(DESK, "P1", case.case_id, "classify", {"kind": "complaint"})
    assert done.kind == "complaint" and done.version == case.version + 2  # the note and the classification
    actions = [e.action for e in store.events(store.get_case("P1", case.case_id))]
    assert actions[-2:] == ["note", "classify"]  # nothing lost, nothing doubled


def test_an_action_pinned_to_a_version_that_moved_is_a_conflict(svc, store, monkeypatch):
    case, _ = submit(svc)
    _a_write_lands_between_read_and_write(svc, store, monkeypatch)
    with pytest.raises(VersionConflict):
        svc.act(DESK, "P1", case.case_id, "classify", {"kind": "complaint"}, expected_version=case.version)
    assert store.get_case("P1", case.case_id).kind is None

"""The key register's rules (seed 000 篇2), directly: who issues when, the
tenant's entry permission, loans and returns, damage, loss, replacement,
retirement, overdue and the handover's keys out."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import cases, deadlines, keys
from chalicelib.domain.cases import Actor
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai
POLICY = deadlines.Policy.from_dict(None)
MALL = deadlines.Policy.from_dict({"timezone": "Asia/Hong_Kong", "work_start": "10:00", "work_end": "22:00"})
LEAD = Actor("lead-1", "shift_lead", "领班小陈")
DESK = Actor("desk-1", "front_desk", "前台小王")
BORROWER = {"name": "工程部张师傅", "kind": "staff", "phone": "139 0000 0001"}


def key(**params):
    return keys.new_key(property_id="P1", key_id="K001", actor=LEAD,
                        params={"unit": "3栋1201", "slot": "A-12", **params}, now=T0).key


def lend(k, actor=LEAD, now=T0, **params):
    body = {"borrower": BORROWER, "purpose": "repair", "due": (now + timedelta(hours=3)).isoformat(), **params}
    return keys.lend(k, actor, body, now, POLICY, loan_id="L1", entry=params.pop("entry", None)).key


@pytest.mark.parametrize("at,role,allowed", [
    (T0, "front_desk", False), (T0, "security", False), (T0, "shift_lead", True), (T0, "manager", True),
    (T0 + timedelta(hours=12), "front_desk", True),  # 22:00: no lead on duty, the desk issues
    (T0 + timedelta(hours=12), "security", True),
    (T0 + timedelta(days=5), "security", True),  # Saturday
])
def test_in_working_time_only_the_lead_or_above_issues(at, role, allowed):
    if allowed:
        keys.may_issue(role, at, POLICY)
    else:
        with pytest.raises(Forbidden) as info:
            keys.may_issue(role, at, POLICY)
        assert info.value.code == "lead_issues_keys"


def test_a_mall_follows_its_own_hours():
    morning = datetime(2026, 11, 23, 9, 30, tzinfo=MALL.tz)  # before the mall's 10:00
    keys.may_issue("front_desk", morning, MALL)
    with pytest.raises(Forbidden):
        keys.may_issue("front_desk", morning + timedelta(hours=1), MALL)


def test_entry_permission_refused_missing_or_emergency():
    with pytest.raises(Conflict) as info:
        keys.check_entry_permission({"granted": False}, {"emergency": True, "reason": "漏水"})
    assert info.value.code == "entry_refused"
    with pytest.raises(Conflict) as info:
        keys.check_entry_permission(None, {"emergency": True})  # no reason
    assert info.value.code == "entry_permission_missing"
    assert keys.check_entry_permission(None, {"emergency": True, "reason": "漏水"}) == {"emergency": True,
                                                                                        "reason": "漏水"}
    assert keys.check_entry_permission({"granted": True, "at": "x"}, {}) == {"entry_permission_at": "x"}


def test_a_due_time_without_offset_is_the_propertys_local_time():
    lent = lend(key(), due="2026-11-23T17:00")
    assert lent.due == datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # 17:00 in Shanghai


def test_a_loan_records_who_for_what_until_when():
    lent = lend(key())
    assert lent.state == "lent" and lent.version == 2
    assert lent.loan["borrower"] == BORROWER and lent.loan["issued_by"]["id"] == "lead-1"
    assert lent.due == T0 + timedelta(hours=3)
    with pytest.raises(Conflict) as info:
        lend(lent)
    assert info.value.code == "key_not_in_cabinet"


@pytest.mark.parametrize("params,field", [
    ({"due": None}, "due"), ({"due": "2026-11-23T09:00:00+08:00"}, "due"), ({"due": "2026-11-23 soon"}, "due"),
    ({"due": "2027-01-01T10:00:00+08:00"}, "due"), ({"purpose": "case"}, "case_id"),
    ({"case_id": "TD-20261123-0001"}, "case_id"), ({"purpose": "shopping"}, "purpose"),
    ({"borrower": {"name": "外包师傅", "kind": "contractor"}}, "phone"),
    ({"borrower": {"name": " ", "kind": "staff"}}, "name"),
])
def test_a_bad_loan_is_422_naming_the_field(params, field):
    with pytest.raises(ValidationFailed) as info:
        lend(key(), **params)
    assert info.value.details["field"].endswith(field)


def test_returns_late_or_damaged_and_never_twice():
    lent = lend(key())
    change = keys.return_key(lent, DESK, {"damaged": True}, T0 + timedelta(hours=4))
    assert change.key.state == "damaged" and change.key.loan is None
    assert change.entry.data["loan"]["late"] is True and change.entry.data["loan"]["received_by"]["id"] == "desk-1"
    with pytest.raises(Conflict) as info:
        keys.return_key(change.key, DESK, {}, T0)
    assert info.value.code == "key_not_lent"


def test_loss_replacement_and_copies():
    k = key(copies=2)
    lost = keys.report_lost(lend(k), DESK, {"reason": "遗失"}, T0, lock_change_case="TD-20261123-0002",
                            notified=["manager@x"]).key
    assert (lost.state, lost.copies, lost.lock_change_case, lost.loan) == ("lost", 1, "TD-20261123-0002", None)
    with pytest.raises(Conflict) as info:
        keys.replace(lost, LEAD, {"copies": 2}, T0, lock_case_status="in_progress")
    assert info.value.code == "lock_not_changed"
    back = keys.replace(lost, LEAD, {"copies": 3}, T0, lock_case_status="resolved").key
    assert (back.state, back.copies, back.lock_change_case) == ("in_cabinet", 3, None)
    with pytest.raises(Conflict):
        keys.replace(back, LEAD, {"copies": 4}, T0)  # in the cabinet: no copies made in-house
    with pytest.raises(ValidationFailed):
        keys.edit(back, LEAD, {"copies": 9}, T0)  # copies are not edited


def test_damage_retirement_and_edits():
    k = key()
    damaged = keys.report_damaged(k, DESK, {"reason": "齿断了"}, T0).key
    with pytest.raises(Conflict):
        lend(damaged)
    with pytest.raises(Conflict) as info:
        keys.retire(lend(k), LEAD, {"reason": "x"}, T0)
    assert info.value.code == "key_lent"
    retired = keys.retire(damaged, LEAD, {"reason": "业主自行换锁"}, T0).key
    with pytest.raises(Conflict):
        keys.edit(retired, LEAD, {"unit": "别处"}, T0)
    edited = keys.edit(k, LEAD, {"slot": "B-01"}, T0)
    assert edited.key.slot == "B-01" and edited.entry.data == {"slot": {"from": "A-12", "to": "B-01"}}


def test_overdue_once_and_the_handover_items():
    lent = lend(key())
    assert not keys.needs_overdue_notice(lent, T0 + timedelta(hours=2))
    assert keys.needs_overdue_notice(lent, T0 + timedelta(hours=4))
    told = keys.mark_overdue_notified(lent, LEAD, T0 + timedelta(hours=4), ["lead@x"]).key
    assert not keys.needs_overdue_notice(told, T0 + timedelta(hours=5))
    items = keys.handover_items([lent], T0 + timedelta(hours=8))
    assert items == [{"key_id": "K001", "unit": "3栋1201", "slot": "A-12", "borrower": "工程部张师傅",
                      "purpose": "repair", "case_id": None, "due": cases.iso(T0 + timedelta(hours=3)),
                      "overdue": True}]
    assert keys.handover_items([lent], T0 - timedelta(hours=1)) == []  # lent after that shift ended


def test_entry_slots_are_future_ordered_and_at_most_five():
    case = cases.new_case(property_id="P1", case_id="TD-20261123-0001", actor=Actor("tenant-1", "tenant"),
                          params={"unit": "3栋1201", "content": "漏水"}, now=T0, policy=POLICY).case
    slot = {"from": "2026-11-24T14:00", "to": "2026-11-24T15:00"}
    ok = cases.entry_permission(case, Actor("tenant-1", "tenant"), {"granted": True, "slots": [slot]}, T0, POLICY)
    assert ok.case.entry_permission["slots"] == [{"from": "2026-11-24T14:00:00+08:00",
                                                  "to": "2026-11-24T15:00:00+08:00"}]
    for bad in ([slot] * 6, [{"from": "2026-11-24T15:00", "to": "2026-11-24T14:00"}],
                [{"from": "2026-11-22T14:00", "to": "2026-11-22T15:00"}], [{"from": "soon", "to": "later"}]):
        with pytest.raises(ValidationFailed) as info:
            cases.entry_permission(case, Actor("tenant-1", "tenant"), {"granted": True, "slots": bad}, T0, POLICY)
        assert info.value.code == "invalid_slot"
    with pytest.raises(ValidationFailed):
        cases.entry_permission(case, DESK, {"granted": False, "slots": [slot]}, T0, POLICY)

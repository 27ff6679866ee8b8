"""The key register's service on the in-memory stores: who may issue when,
entry permission on cases, a loss becoming a lock-change case with both
departments told, overdue keys told to the lead once, and refusals that
change nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.adapters.key_memory import MemoryKeyStore
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.services.key_service import KeyService
from tests.people import DESK, MANAGER, TENANT, submit

LEAD = Principal("lead-1", "shift_lead", frozenset({"P1"}), name="领班小陈")
SECURITY = Principal("sec-1", "security", frozenset({"P1"}), name="监控中心老刘")
ENGINEER = Principal("eng-1", "dept_staff", frozenset({"P1"}), name="工程部张师傅", department="engineering")
BORROWER = {"name": "工程部张师傅", "kind": "staff", "phone": "139 0000 0001"}


class Outbox:
    def __init__(self):
        self.sent = []

    def send(self, mail):
        self.sent.append(mail)
        return f"m-{len(self.sent)}"


@pytest.fixture
def outbox():
    return Outbox()


@pytest.fixture
def ks(svc, clock, outbox):
    return KeyService(svc, MemoryKeyStore(), clock, mailer=lambda: outbox)


def due(clock, hours=3):
    return (clock() + timedelta(hours=hours)).isoformat()


def lend_body(clock, **extra):
    return {"borrower": BORROWER, "purpose": "repair", "due": due(clock), **extra}


def test_keys_are_numbered_when_no_number_is_given_and_a_given_one_is_kept(ks):
    first = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01"})
    second = ks.add_key(LEAD, "P1", {"unit": "3栋1202", "slot": "A-02", "copies": 2})
    own = ks.add_key(MANAGER, "P1", {"key_id": "B-7", "unit": "设备房", "slot": "B-07"})
    assert (first.key_id, second.key_id, own.key_id) == ("K001", "K002", "B-7")
    with pytest.raises(Conflict) as info:
        ks.add_key(LEAD, "P1", {"key_id": "B-7", "unit": "别处", "slot": "C"})
    assert info.value.code == "key_exists"
    with pytest.raises(Forbidden):
        ks.add_key(DESK, "P1", {"unit": "3栋1203", "slot": "A-03"})  # the desk does not keep the register


def test_in_working_time_only_the_lead_issues_out_of_hours_the_desk_on_duty_does(ks, clock):
    key = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01"})
    with pytest.raises(Forbidden) as info:
        ks.lend(DESK, "P1", key.key_id, lend_body(clock))  # Monday 10:00: the lead's cabinet
    assert info.value.code == "lead_issues_keys"
    assert ks.store.get_key("P1", key.key_id).state == "in_cabinet"
    clock.advance(hours=12)  # Monday 22:00: after hours
    lent = ks.lend(SECURITY, "P1", key.key_id, lend_body(clock))
    assert lent.state == "lent" and lent.loan["issued_by"]["name"] == "监控中心老刘"


def test_lending_a_lent_key_and_returning_twice_are_409_and_change_nothing(ks, clock):
    key = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01"})
    ks.lend(LEAD, "P1", key.key_id, lend_body(clock))
    with pytest.raises(Conflict) as info:
        ks.lend(MANAGER, "P1", key.key_id, lend_body(clock, borrower={**BORROWER, "name": "另一人"}))
    assert info.value.code == "key_not_in_cabinet"
    back = ks.return_key(DESK, "P1", key.key_id, {})
    assert back.state == "in_cabinet" and back.loan is None
    with pytest.raises(Conflict) as info:
        ks.return_key(DESK, "P1", key.key_id, {})
    assert info.value.code == "key_not_lent"
    _key, history = ks.get_key(LEAD, "P1", key.key_id)
    assert [e.action for e in history] == ["added", "lent", "returned"]
    returned = history[-1].data["loan"]
    assert returned["received_by"]["id"] == "desk-1" and returned["borrower"]["name"] == "工程部张师傅"


def test_unknown_key_and_another_property(ks):
    with pytest.raises(NotFound) as info:
        ks.get_key(LEAD, "P1", "K999")
    assert info.value.code == "unknown_key"
    ks.add_key(Principal("lead-2", "shift_lead", frozenset({"P2"})), "P2", {"unit": "商铺 L1-05", "slot": "1"})
    with pytest.raises(NotFound):
        ks.list_keys(LEAD, "P2")


def test_a_case_loan_needs_the_tenants_permission(ks, svc, clock):
    case, _ = submit(svc, TENANT, content="厨房水管漏水，我在外地出差")
    key = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01"})
    body = lend_body(clock, purpose="case", case_id=case.case_id)
    with pytest.raises(Conflict) as info:
        ks.lend(LEAD, "P1", key.key_id, body)
    assert info.value.code == "entry_permission_missing"
    svc.act(TENANT, "P1", case.case_id, "entry_permission", {"granted": False})
    with pytest.raises(Conflict) as info:
        ks.lend(LEAD, "P1", key.key_id, {**body, "emergency": True, "reason": "漏水"})
    assert info.value.code == "entry_refused"
    assert ks.store.get_key("P1", key.key_id).state == "in_cabinet"
    svc.act(TENANT, "P1", case.case_id, "entry_permission", {
        "granted": True, "slots": [{"from": "2026-11-23T14:00", "to": "2026-11-23T17:00"}]})
    ks.lend(LEAD, "P1", key.key_id, body)
    ks.return_key(LEAD, "P1", key.key_id, {})
    _case, events = svc.get(TENANT, "P1", case.case_id)
    entries = [e for e in events if e.action == "key_entry"]
    assert [(e.data["stage"], e.data["borrower"], e.data["key_id"]) for e in entries] == [
        ("lent", "工程部张师傅", key.key_id), ("returned", "工程部张师傅", key.key_id)]


def test_an_emergency_without_permission_is_audited(ks, svc, clock):
    case, _ = submit(svc, TENANT)
    key = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01"})
    lent = ks.lend(LEAD, "P1", key.key_id, lend_body(clock, purpose="case", case_id=case.case_id, emergency=True,
                                                      reason="楼下天花板渗水，联系不上业主"))
    assert lent.loan["emergency"] is True and lent.loan["reason"] == "楼下天花板渗水，联系不上业主"
    with pytest.raises(ValidationFailed) as info:
        ks.lend(LEAD, "P1", key.key_id, lend_body(clock, purpose="case", case_id="TD-20990101-0001"))
    assert info.value.code == "unknown_case"


def test_a_lost_key_becomes_a_lock_change_case_and_both_departments_are_told(ks, svc, clock, outbox):
    key = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01", "copies": 2})
    ks.lend(LEAD, "P1", key.key_id, lend_body(clock))
    lost, case = ks.report_lost(ENGINEER, "P1", key.key_id, {"reason": "在电梯里遗失"})
    assert (lost.state, lost.copies, lost.lock_change_case, lost.loan) == ("lost", 1, case.case_id, None)
    assert (case.kind, case.department, case.recorder, case.unit) == ("request", "engineering", "eng-1", "3栋1201")
    assert "K001" in case.content and "deadlines" and case.deadlines
    assert sorted(m.to for m in outbox.sent) == ["control-room@riverside.example", "manager@riverside.example"]
    # never lent again until replaced, and only after the lock change
    with pytest.raises(Conflict):
        ks.lend(LEAD, "P1", key.key_id, lend_body(clock))
    with pytest.raises(Conflict) as info:
        ks.replace(MANAGER, "P1", key.key_id, {"copies": 2})
    assert info.value.code == "lock_not_changed"
    for action, params in (("assign", {"assignee": "eng-1"}), ("start", {}), ("resolve", {"resolution": "已换锁"})):
        svc.act(MANAGER, "P1", case.case_id, action, params)
    back = ks.replace(MANAGER, "P1", key.key_id, {"copies": 2})
    assert (back.state, back.copies, back.lock_change_case) == ("in_cabinet", 2, None)
    with pytest.raises(Forbidden):
        ks.replace(LEAD, "P1", key.key_id, {"copies": 3})  # a manager's decision


def test_a_damaged_key_is_withdrawn_until_replaced(ks, clock):
    key = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01"})
    ks.report_damaged(DESK, "P1", key.key_id, {"reason": "钥匙齿断了"})
    with pytest.raises(Conflict) as info:
        ks.lend(LEAD, "P1", key.key_id, lend_body(clock))
    assert info.value.code == "key_not_in_cabinet"
    assert ks.replace(MANAGER, "P1", key.key_id, {"copies": 1}).state == "in_cabinet"


def test_an_owner_using_the_spare_key_is_told_to_security(ks, clock, outbox):
    key = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01"})
    lent = ks.lend(LEAD, "P1", key.key_id, lend_body(clock, purpose="owner",
                                                      borrower={"name": "业主李女士", "kind": "owner",
                                                                "phone": "138 0000 0000"}))
    assert lent.loan["security_notified"] == "control-room@riverside.example"
    assert [m.to for m in outbox.sent] == ["control-room@riverside.example"]
    assert "业主李女士" in outbox.sent[0].text


def test_an_overdue_key_is_told_to_the_lead_once(ks, svc, clock, outbox):
    key = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01"})
    ks.lend(LEAD, "P1", key.key_id, lend_body(clock, due=due(clock, 1)))
    assert ks.remind_overdue() == {}
    clock.advance(hours=2)
    assert ks.remind_overdue() == {"P1": [key.key_id]}
    assert ks.remind_overdue() == {}
    assert [m.to for m in outbox.sent] == ["desk@riverside.example"]  # no shift_lead address: the front desk
    assert ks.keys_out(LEAD, "P1")[0].overdue(clock())


def test_keys_out_appear_in_the_handover_items(ks, clock):
    a = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01"})
    b = ks.add_key(LEAD, "P1", {"unit": "5栋0302", "slot": "A-02"})
    ks.lend(LEAD, "P1", a.key_id, lend_body(clock, due=due(clock, 1)))
    ks.lend(LEAD, "P1", b.key_id, lend_body(clock, due=due(clock, 6)))
    items = ks.handover_keys("P1", clock() + timedelta(hours=2))
    assert [(i["key_id"], i["overdue"]) for i in items] == [(a.key_id, True), (b.key_id, False)]


def test_the_notices_of_a_hong_kong_property_are_in_traditional_chinese(ks, svc, clock, outbox):
    """P2 (Hong Kong) reads Traditional: the owner's use of the spare key, the loss with
    its lock-change case, the overdue key; P1's notices stay Simplified."""
    lead = Principal("lead-p2", "shift_lead", frozenset({"P2"}), name="領班劉姐")
    spare = ks.add_key(lead, "P2", {"unit": "3座1201", "slot": "A-01", "copies": 2})
    ks.lend(lead, "P2", spare.key_id, lend_body(clock, purpose="owner", due=due(clock, 1),
                                                  borrower={"name": "業主李女士", "kind": "owner", "phone": "9123 4567"}))
    subject, text = outbox.sent[-1].subject, outbox.sent[-1].text
    assert subject == f"[{spare.key_id}] 業主使用備用鑰匙（3座1201）"
    assert "業主李女士" in text and "9123 4567" in text and "領班劉姐" in text and "請保安部辦理相關手續" in text
    clock.advance(hours=2)
    svc.store.register_property("P2")
    assert ks.remind_overdue() == {"P2": [spare.key_id]}
    overdue = outbox.sent[-1]
    assert (overdue.to, overdue.subject) == ("desk@harbour.example", f"[{spare.key_id}] 鑰匙逾期未還：3座1201")
    assert "用途：業主使用" in overdue.text and "业" not in overdue.text
    lost, case = ks.report_lost(lead, "P2", spare.key_id, {"reason": "業主在商場遺失"})
    mails = outbox.sent[-2:]
    assert sorted(m.to for m in mails) == ["control-room@harbour.example", "manager@harbour.example"]
    assert mails[0].subject == f"[{spare.key_id}] 鑰匙遺失：3座1201"
    assert f"換鎖任務：{case.case_id}" in mails[0].text and "業主在商場遺失" in mails[0].text
    assert case.title == f"換鎖：鑰匙 {spare.key_id} 遺失（3座1201）" and case.lang == "zh-Hant"
    p1 = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01"})
    ks.report_lost(LEAD, "P1", p1.key_id, {"reason": "在电梯里遗失"})
    assert outbox.sent[-1].subject == f"[{p1.key_id}] 钥匙遗失：3栋1201"


@pytest.mark.parametrize("reason", ["   ", "遗" * 501, None])
def test_a_refused_loss_report_makes_no_lock_change_case(ks, svc, outbox, reason):
    key = ks.add_key(LEAD, "P1", {"unit": "3栋1201", "slot": "A-01"})
    with pytest.raises(ValidationFailed) as info:
        ks.report_lost(DESK, "P1", key.key_id, {"reason": reason})
    assert info.value.details["field"] == "reason"
    assert svc.store.open_queue("P1", filters={}, due_before=None, limit=50, cursor=None)[0] == []
    assert ks.store.get_key("P1", key.key_id).state == "in_cabinet" and outbox.sent == []

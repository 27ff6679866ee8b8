"""The case library's service on the in-memory stores: a closed case proposed
(masked, recorded on the case), approval by another manager, suggestions from
the case's category only, "this helped" counted once per case, and scope: staff
see only their property's library, tenants none."""
from __future__ import annotations

import pytest

from chalicelib.adapters.library_memory import MemoryLibraryStore
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed
from chalicelib.services.library_service import LibraryService
from tests.people import DESK, MANAGER, TENANT, submit

ADMIN = Principal("admin-1", "admin", frozenset({"P1"}))
MANAGER2 = Principal("mgr-2", "manager", frozenset({"P1"}), name="陈经理")
OTHER = Principal("desk-9", "front_desk", frozenset({"P2"}))
ENGINEER = Principal("eng-1", "dept_staff", frozenset({"P1"}), name="工程部张师傅", department="engineering")


@pytest.fixture
def lib(svc, clock):
    ids = iter(f"L{n}" for n in range(1, 100))
    return LibraryService(svc, MemoryLibraryStore(), clock, new_id=lambda: next(ids))


def closed(svc, content="3栋1201 空调不制冷，李女士电话 138 0013 8000", category="air_conditioning"):
    case, _ = submit(svc, content=content, unit="3栋1201")
    for action, params in (("classify", {"kind": "complaint", "category": category}),
                           ("assign", {"assignee": "eng-1", "department": "engineering"}), ("start", {}),
                           ("resolve", {"resolution": "补充冷媒"}), ("callback", {"reached": True, "satisfied": True})):
        case = svc.act(ADMIN, "P1", case.case_id, action, params)
    return case


def test_proposed_from_a_closed_case_approved_and_suggested(svc, lib):
    case = closed(svc)
    entry = lib.create(DESK, "P1", {"case_id": case.case_id, "lang": "zh-Hant"})
    assert entry.status == "draft" and entry.source_case == case.case_id and entry.current["lang"] == "zh-Hant"
    assert "1201" not in entry.current["problem"] and "8000" not in entry.current["problem"]
    assert "[姓名]" in entry.current["problem"] and "李女士" not in entry.current["problem"]
    assert entry.current["what_worked"] == "补充冷媒"
    _case, events = svc.get(DESK, "P1", case.case_id)
    assert events[-1].action == "library_proposed" and events[-1].data["entry_id"] == "L1"
    lib.submit(DESK, "P1", "L1")
    with pytest.raises(Forbidden):
        lib.approve(ENGINEER, "P1", "L1")
    approved = lib.approve(MANAGER, "P1", "L1")
    assert approved.visible
    new, _ = submit(svc, content="空调不制冷，热得睡不着")
    assert lib.suggestions(DESK, "P1", new.case_id)[1] == []  # no category yet
    svc.act(DESK, "P1", new.case_id, "classify", {"kind": "complaint", "category": "air_conditioning"})
    _case, found = lib.suggestions(DESK, "P1", new.case_id)
    assert [e.entry_id for _s, e in found] == ["L1"]
    entry, counted = lib.record_use(DESK, "P1", new.case_id, "L1")
    assert counted and entry.uses == 1
    entry, counted = lib.record_use(MANAGER, "P1", new.case_id, "L1")
    assert not counted and entry.uses == 1
    assert [e.entry_id for e in lib.list_entries(ENGINEER, "P1")] == ["L1"]


def test_approval_is_refused_while_the_reporters_data_is_back_in_the_text(svc, lib):
    case = closed(svc)
    lib.create(DESK, "P1", {"case_id": case.case_id})
    reporter = case.reporter["name"]
    lib.edit(DESK, "P1", "L1", {"tenant_text": f"{reporter}您好，已修好"})
    lib.submit(DESK, "P1", "L1")
    with pytest.raises(ValidationFailed) as info:
        lib.approve(MANAGER2, "P1", "L1")
    assert info.value.code == "tenant_data_left"
    assert lib.get_entry(DESK, "P1", "L1")[0].status == "pending"


def test_scope_tenants_and_other_properties(svc, lib):
    lib.create(DESK, "P1", {"title": "大堂地面湿滑", "problem": "雨天大堂地面湿滑", "what_worked": "放置防滑垫",
                            "category": "cleaning", "lang": "en"})
    with pytest.raises(Forbidden):
        lib.list_entries(TENANT, "P1")
    with pytest.raises(NotFound):
        lib.get_entry(OTHER, "P1", "L1")
    assert lib.list_entries(DESK, "P1", status="draft")[0].entry_id == "L1"

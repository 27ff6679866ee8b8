"""Issue 16's tenant-app steps on the in-memory stores: the places a tenant's new
case may name (own units through the tenant index, public areas), and the
tenant's answer to the follow-up callback through ``act_once``."""
from __future__ import annotations

import pytest

from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import BadRequest, Forbidden, NotFound
from tests.people import DESK, TENANT, TENANT2, submit

ADMIN = Principal("admin-0", "admin", frozenset({"P1", "P2"}), name="管理员")
ONE_PROPERTY = Principal("tenant-1", "tenant", frozenset({"P1"}), name="李女士")
ENGINEER = Principal("eng-1", "dept_staff", frozenset({"P1"}), department="engineering")


@pytest.fixture
def archive(svc, clock):
    from chalicelib.adapters.archive_memory import MemoryArchiveStore
    from chalicelib.services.archive_service import ArchiveService
    store = MemoryArchiveStore()
    svc.locations = store
    service = ArchiveService(store, svc, clock)
    for tid in ("tenant-1", "tenant-2"):
        svc.put_tenant(ADMIN, "P1", tid, {"name": tid, "email": f"{tid}@example.cn"})
    service.put_structure(ADMIN, "P1", "building", "B3", {"name": "3栋"})
    for uid in ("1201", "1202"):
        service.put_structure(ADMIN, "P1", "unit", f"3-{uid}", {"building_id": "B3", "number": uid})
    service.put_structure(ADMIN, "P1", "area", "lobby", {"name": "大堂", "name_en": "Lobby"})
    service.put_resident(ADMIN, "P1", "R1", {"unit_id": "3-1201", "name": "李女士", "role": "owner",
                                             "phones": ["138 1234 5678"], "tenant_id": "tenant-1"})
    service.put_resident(ADMIN, "P1", "R2", {"unit_id": "3-1202", "name": "陳先生", "role": "occupant",
                                             "phones": ["139 0000 1111"], "tenant_id": "tenant-2"})
    return service


def test_a_tenant_reads_their_own_units_and_the_areas_and_nobody_elses(archive):
    found = archive.tenant_places(ONE_PROPERTY, None)
    assert found["property_id"] == "P1" and found["business"] is False and found["linked"] is True
    assert [(p["kind"], p["label"]) for p in found["items"]] == [("unit", "3栋 1201"), ("area", "大堂")]
    assert "陳先生" not in str(found) and "1234" not in str(found)
    assert [p["label"] for p in archive.tenant_places(TENANT2, "P1")["items"]] == ["3栋 1202", "大堂"]
    with pytest.raises(BadRequest):
        archive.tenant_places(TENANT, None)  # two properties on the token: name one
    with pytest.raises(Forbidden):
        archive.tenant_places(DESK, "P1")
    with pytest.raises(NotFound):
        archive.tenant_places(TENANT2, "P2")


def test_a_resident_who_moves_out_leaves_the_tenants_places(archive):
    archive.put_resident(ADMIN, "P1", "R1", {"unit_id": "3-1201", "name": "李女士", "role": "owner",
                                             "phones": ["138 1234 5678"], "tenant_id": "tenant-1",
                                             "moved_out": "2026-01-01"})
    found = archive.tenant_places(ONE_PROPERTY, "P1")
    assert found["linked"] is False and [p["kind"] for p in found["items"]] == ["area"]


def test_the_tenants_answer_is_the_callback_once_per_key(svc):
    case, _ = submit(svc, business_affected=True)
    svc.act(DESK, "P1", case.case_id, "assign", {"assignee": "eng-1", "department": "engineering"})
    svc.act(ENGINEER, "P1", case.case_id, "start", {})
    svc.act(ENGINEER, "P1", case.case_id, "resolve", {"resolution": "已处理"})
    done, replayed = svc.act_once(TENANT, "P1", case.case_id, "confirm", {"satisfied": True}, idempotency_key="k1")
    assert (done.status, replayed) == ("callback_done", False) and done.business_affected is True
    again, replayed = svc.act_once(TENANT, "P1", case.case_id, "confirm", {"satisfied": True}, idempotency_key="k1")
    assert replayed and again.version == done.version
    with pytest.raises(NotFound):
        svc.act(TENANT2, "P1", case.case_id, "confirm", {"satisfied": True})

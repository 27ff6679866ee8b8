"""The owner archive's service on the in-memory stores: who reads which view,
the access log written on each full read and only then, phone lookups with
open cases, and cases located in the archive (or refused, storing nothing)."""
from __future__ import annotations

import pytest

from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed, VersionConflict
from tests.people import DESK, MANAGER, TENANT, submit

ADMIN = Principal("admin-0", "admin", frozenset({"P1", "P2"}), name="管理员")
DIRECTOR = Principal("director-1", "director", frozenset({"P1"}), name="赵总监")
STAFF = Principal("eng-1", "dept_staff", frozenset({"P1"}), department="engineering")
DESK_P2 = Principal("desk-p2", "front_desk", frozenset({"P2"}))
ROUTE = "GET /v1/properties/{property_id}/archive/residents/{resident_id}"


@pytest.fixture
def archive(svc, clock):
    from chalicelib.adapters.archive_memory import MemoryArchiveStore
    from chalicelib.services.archive_service import ArchiveService
    store = MemoryArchiveStore()
    svc.locations = store
    service = ArchiveService(store, svc, clock)
    svc.put_tenant(ADMIN, "P1", "tenant-1", {"name": "李女士", "email": "li.nvshi@example.cn", "unit": "3栋1201"})
    service.put_structure(ADMIN, "P1", "building", "B3", {"name": "3栋"})
    service.put_structure(ADMIN, "P1", "unit", "3-1201", {"building_id": "B3", "number": "1201", "floor": "12",
                                                          "rooms": [{"room_id": "kitchen", "name": "厨房"}]})
    service.put_structure(ADMIN, "P1", "area", "lobby", {"name": "大堂"})
    service.put_resident(ADMIN, "P1", "R1", {
        "unit_id": "3-1201", "name": "李女士", "role": "owner", "phones": ["138 1234 5678"],
        "email": "li.nvshi@example.cn", "lang": "zh-Hans", "tenant_id": "tenant-1",
        "contacts": [{"name": "李明", "relation": "儿子", "phone": "139 0000 1111"}]})
    service.add_renovation(ADMIN, "P1", "R1", {"started_on": "2024-03-01", "contractor": "美家装饰",
                                               "permit_no": "ZX-2024-031"})
    return service


def read(archive, who, view=None):
    return archive.resident(who, "P1", "R1", view=view, route=ROUTE)


def log(archive):
    return archive.access_log(MANAGER, "P1", limit=50, cursor=None)[0]


def test_the_front_desk_gets_the_service_view_and_no_log_entry(archive):
    for who in (DESK, STAFF, Principal("guard-1", "security", frozenset({"P1"})),
                Principal("lead-1", "shift_lead", frozenset({"P1"}))):
        view = read(archive, who)
        assert view["view"] == "service" and view["phones"] == ["138****5678"] and view["unit_label"] == "3栋 1201"
        assert not {"email", "contacts", "renovations", "history"} & set(view)
    assert log(archive) == []


def test_a_full_read_by_the_front_desk_is_refused_and_not_logged(archive):
    with pytest.raises(Forbidden):
        read(archive, DESK, view="full")
    assert log(archive) == []


def test_every_full_read_is_logged_with_who_when_which_record_and_route(archive, clock):
    view = read(archive, MANAGER)
    assert view["view"] == "full" and view["phones"] == ["13812345678"]
    assert view["renovations"][0]["contractor"] == "美家装饰" and view["contacts"][0]["name"] == "李明"
    clock.advance(minutes=1)
    read(archive, DIRECTOR, view="full")
    read(archive, MANAGER, view="service")  # a manager may ask for less: not logged
    entries = log(archive)
    assert [(e["by"]["id"], e["record"]["resident_id"], e["route"]) for e in entries] == [
        ("director-1", "R1", ROUTE), ("mgr-1", "R1", ROUTE)]
    assert entries[0]["at"] == "2026-11-23T02:01:00.000000Z"


def test_the_access_log_is_for_managers_and_admins_only(archive):
    for who in (DESK, DIRECTOR, STAFF):
        with pytest.raises(Forbidden):
            archive.access_log(who, "P1", limit=10, cursor=None)
    assert archive.access_log(ADMIN, "P1", limit=10, cursor=None) == ([], None)


def test_another_propertys_staff_get_404(archive):
    with pytest.raises(NotFound):
        archive.resident(DESK_P2, "P1", "R1", view=None, route=ROUTE)
    with pytest.raises(NotFound):
        archive.lookup(DESK_P2, "P1", "13812345678")


def test_a_link_to_an_unknown_tenant_and_a_resident_of_an_unknown_unit_are_refused(archive):
    for params, code in (({"unit_id": "3-1201", "tenant_id": "tenant-404"}, "unknown_tenant"),
                         ({"unit_id": "9-9999"}, "unknown_unit")):
        with pytest.raises(ValidationFailed) as err:
            archive.put_resident(ADMIN, "P1", "R9", {"name": "某人", "role": "occupant", **params})
        assert err.value.code == code
    assert archive.store.get_resident("P1", "R9") is None


def test_a_stale_version_is_a_conflict_and_changes_nothing(archive):
    with pytest.raises(VersionConflict):
        archive.put_resident(ADMIN, "P1", "R1", {"unit_id": "3-1201", "name": "李女士", "role": "owner",
                                                 "phones": ["13900000000"], "version": 1})
    assert archive.store.get_resident("P1", "R1")["phones"] == ["13812345678"]


def test_a_retried_put_adds_no_history(archive):
    before = archive.store.get_resident("P1", "R1")
    archive.put_resident(ADMIN, "P1", "R1", {
        "unit_id": "3-1201", "name": "李女士", "role": "owner", "phones": ["13812345678"],
        "email": "li.nvshi@example.cn", "lang": "zh-Hans", "tenant_id": "tenant-1",
        "contacts": [{"name": "李明", "relation": "儿子", "phone": "13900001111"}]})
    assert archive.store.get_resident("P1", "R1") == before


@pytest.mark.parametrize("typed", ["13812345678", "+86 138-1234-5678", "0086 138 1234 5678"])
def test_a_callers_number_finds_the_resident_and_their_open_cases(archive, svc, typed):
    own, _ = submit(svc, content="厨房水管漏水")  # the linked app account's case
    logged, _ = svc.log(DESK, "P1", {"channel": "phone", "unit": "3栋1201", "content": "来电：电梯异响",
                                     "reporter": {"name": "李女士", "phone": "138-1234-5678"}}, None)
    at_unit, _ = svc.log(DESK, "P1", {"channel": "walk_in", "content": "门口灯坏了", "location": {"unit_id": "3-1201"},
                                      "reporter": {"name": "李明", "phone": "139 0000 1111"}}, None)
    other, _ = svc.log(DESK, "P1", {"channel": "phone", "unit": "1栋101", "content": "别人的事",
                                    "reporter": {"name": "王先生", "phone": "137 0000 0000"}}, None)
    found = archive.lookup(DESK, "P1", typed)
    assert [r["resident_id"] for r in found["residents"]] == ["R1"]
    assert found["residents"][0]["phones"] == ["138****5678"] and "email" not in found["residents"][0]
    assert found["residents"][0]["unit_label"] == "3栋 1201"
    assert {c["case_id"] for c in found["open_cases"]} == {own.case_id, logged.case_id, at_unit.case_id}
    assert log(archive) == []  # a lookup is a service read


def test_a_resident_who_moved_out_is_no_longer_found_by_phone(archive):
    archive.put_resident(ADMIN, "P1", "R1", {"unit_id": "3-1201", "name": "李女士", "role": "owner",
                                             "phones": ["13812345678"], "moved_out": "2026-11-20"})
    assert archive.lookup(DESK, "P1", "13812345678")["residents"] == []
    assert archive.unit(DESK, "P1", "3-1201")["residents"][0]["current"] is False


def test_a_case_submitted_with_a_location_carries_the_archives_label(archive, svc):
    case, _ = submit(svc, unit=None, location={"unit_id": "3-1201", "room_id": "kitchen"},
                     occurred_at="2026-11-23T09:30:00+08:00")
    assert case.location == {"kind": "unit", "building_id": "B3", "unit_id": "3-1201", "room_id": "kitchen",
                             "label": "3栋 1201 厨房"}
    assert case.unit == "3栋 1201 厨房"


@pytest.mark.parametrize("location", [{"unit_id": "3-9999"}, {"unit_id": "3-1201", "room_id": "attic"},
                                      {"area_id": "rooftop"}])
def test_a_location_not_in_the_archive_is_422_and_nothing_is_stored(archive, svc, location):
    with pytest.raises(ValidationFailed) as err:
        submit(svc, location=location)
    assert err.value.code == "unknown_location"
    assert svc.store.open_queue("P1", filters={}, due_before=None, limit=10, cursor=None) == ([], None)
    assert svc.store.read_submit_state("P1", "20261123", "tenant-1", None) == (None, None)


def test_staff_match_a_free_text_case_to_the_archive_on_its_trail(archive, svc):
    case, _ = svc.log(DESK, "P1", {"channel": "email", "unit": "大堂", "content": "大堂地面湿滑",
                                   "reporter": {"name": "访客", "email": "visitor@example.cn"}}, None)
    located = archive.locate_case(DESK, "P1", case.case_id, {"location": {"area_id": "lobby"}},
                                  expected_version=case.version)
    assert located.location == {"kind": "area", "area_id": "lobby", "label": "大堂"} and located.unit == "大堂"
    _, events = svc.get(DESK, "P1", case.case_id)
    assert events[-1].action == "locate" and events[-1].actor.id == "desk-1"
    assert events[-1].data == {"location": located.location, "previous": None, "unit": "大堂"}
    with pytest.raises(ValidationFailed):
        archive.locate_case(DESK, "P1", case.case_id, {"location": {"area_id": "rooftop"}}, expected_version=None)
    with pytest.raises(Forbidden):
        archive.locate_case(STAFF, "P1", case.case_id, {"location": {"area_id": "lobby"}}, expected_version=None)
    with pytest.raises(Forbidden):
        archive.locate_case(TENANT, "P1", case.case_id, {"location": {"area_id": "lobby"}}, expected_version=None)


def test_only_managers_and_up_keep_the_archive(archive):
    for who in (DESK, STAFF):
        with pytest.raises(Forbidden):
            archive.put_structure(who, "P1", "area", "garden", {"name": "花园"})
    building = archive.building(DESK, "P1", "B3")
    assert [u["unit_id"] for u in building["units"]] == ["3-1201"]
    assert [x["label"] for x in archive.locations(DESK, "P1")] == ["3栋", "3栋 1201", "3栋 1201 厨房", "大堂"]

"""The owner archive's rules (chalicelib/domain/archive.py): what the front desk
sees of a resident, field by field; locations checked against the archive;
phone numbers however they are typed; audited edits; move-out keeps history."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import archive, cases, deadlines
from chalicelib.domain.cases import Actor
from chalicelib.domain.errors import ValidationFailed

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
MANAGER = Actor("manager-1", "manager", "王经理")
TODAY = "2026-11-23"


def building_3():
    return {**archive.building("B3", {"name": "3栋"}, previous=None, actor=MANAGER, now=T0), "version": 1}


def unit_1201():
    record = archive.unit("3-1201", {"building_id": "B3", "number": "1201", "floor": "12",
                                     "rooms": [{"room_id": "kitchen", "name": "厨房"}]},
                          building_record=building_3(), previous=None, actor=MANAGER, now=T0)
    return {**record, "version": 1}


def owner(**params):
    body = {"unit_id": "3-1201", "name": "李女士", "role": "owner", "phones": ["+86 138-1234-5678"],
            "email": "Li.Nvshi@Example.cn", "lang": "zh-Hans", "tenant_id": "tenant-1",
            "contacts": [{"name": "李明", "relation": "儿子", "phone": "139 0000 1111"}],
            "moved_in": "2019-05-01", "notes": "家中有老人"}
    body.update(params)
    return archive.resident("R1", body, unit_record=unit_1201(), previous=None, tenant_known=True, actor=MANAGER,
                            now=T0)


# --- phones --------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                   "+86-138-1234-5678", "0086 13812345678", "(+86) 138.1234.5678"])
def test_a_mainland_mobile_is_the_same_number_however_it_is_typed(typed):
    assert archive.normalize_phone(typed) == "13812345678"


@pytest.mark.parametrize("typed,digits", [("+852 9123 4567", "91234567"), ("00852-9123-4567", "91234567"),
                                          ("9123 4567", "91234567"), ("021-6123-4567", "02161234567"),
                                          ("+86 21 6123 4567", "02161234567"), ("+44 20 7946 0958", "442079460958")])
def test_hong_kong_numbers_landlines_and_other_countries(typed, digits):
    assert archive.normalize_phone(typed) == digits


@pytest.mark.parametrize("typed", ["", "abc", "138#1234", "12", "1" * 20, "+86 138 1234 5678 ext 9"])
def test_what_is_not_a_phone_number_is_refused(typed):
    with pytest.raises(ValidationFailed) as err:
        archive.normalize_phone(typed)
    assert err.value.code == "invalid_phone"


def test_masked_phones_keep_the_first_three_and_last_four_digits():
    assert archive.mask_phone("13812345678") == "138****5678"
    assert archive.mask_phone("91234567") == "91****67"


# --- the service view: an allow-list, field by field ------------------------------------

SERVICE_VIEW = {"resident_id", "unit_id", "name", "role", "lang", "tenant_id", "moved_in", "moved_out", "current",
                "version", "phones"}


def test_the_service_view_holds_exactly_the_allow_listed_fields():
    record = {**owner(), "version": 3}
    view = archive.resident_view(record, full=False, today=TODAY)
    assert set(view) == SERVICE_VIEW
    assert view == {"resident_id": "R1", "unit_id": "3-1201", "name": "李女士", "role": "owner", "lang": "zh-Hans",
                    "tenant_id": "tenant-1", "moved_in": "2019-05-01", "moved_out": None, "current": True,
                    "version": 3, "phones": ["138****5678"]}


@pytest.mark.parametrize("field", ["email", "contacts", "renovations", "history", "notes"])
def test_the_service_view_never_holds_confidential_fields(field):
    record = archive.add_renovation({**owner(), "version": 1}, {"started_on": "2024-03-01", "contractor": "美家装饰",
                                                                "permit_no": "ZX-2024-031"}, actor=MANAGER, now=T0)
    assert record[field]  # the full record has it
    assert field not in archive.resident_view(record, full=False, today=TODAY)
    text = str(archive.resident_view(record, full=False, today=TODAY))
    for secret in ("13812345678", "li.nvshi@example.cn", "李明", "13900001111", "美家装饰", "家中有老人"):
        assert secret not in text


def test_the_full_view_holds_everything():
    record = {**owner(), "version": 1}
    view = archive.resident_view(record, full=True, today=TODAY)
    assert view["phones"] == ["13812345678"] and view["email"] == "li.nvshi@example.cn"
    assert view["contacts"] == [{"name": "李明", "relation": "儿子", "phone": "13900001111"}]
    assert set(record) <= set(view)


# --- residents: edits are audited, moving out keeps the record ---------------------------

def test_a_new_resident_has_one_history_entry_naming_who_and_what():
    record = owner()
    assert record["history"] == [{"at": cases.iso(T0), "by": {"id": "manager-1", "role": "manager", "name": "王经理"},
                                  "action": "create", "changes": record["history"][0]["changes"]}]
    assert record["history"][0]["changes"]["name"] == {"from": None, "to": "李女士"}


def test_an_edit_records_only_what_moved_and_keeps_earlier_entries():
    first = {**owner(), "version": 1}
    later = archive.resident("R1", {"unit_id": "3-1201", "name": "李女士", "role": "owner",
                                    "phones": ["13812345678", "021 6123 4567"], "tenant_id": "tenant-1",
                                    "email": "li.nvshi@example.cn", "lang": "zh-Hans", "moved_in": "2019-05-01",
                                    "contacts": [{"name": "李明", "relation": "儿子", "phone": "139 0000 1111"}],
                                    "notes": "家中有老人"},
                             unit_record=unit_1201(), previous=first, tenant_known=True, actor=MANAGER,
                             now=T0 + timedelta(hours=1))
    assert len(later["history"]) == 2 and later["version"] == 1
    assert later["history"][1]["changes"] == {"phones": {"from": ["13812345678"],
                                                         "to": ["13812345678", "02161234567"]}}


def test_moving_out_ends_the_resident_and_it_stays_ended():
    first = {**owner(), "version": 1}
    ended = archive.resident("R1", {"unit_id": "3-1201", "name": "李女士", "role": "owner", "moved_out": "2026-11-20"},
                             unit_record=unit_1201(), previous=first, tenant_known=True, actor=MANAGER, now=T0)
    assert ended["history"][-1]["action"] == "move_out"
    assert archive.resident_view({**ended, "version": 2}, full=False, today=TODAY)["current"] is False
    with pytest.raises(ValidationFailed) as err:
        archive.resident("R1", {"unit_id": "3-1201", "name": "李女士", "role": "owner"}, unit_record=unit_1201(),
                         previous={**ended, "version": 2}, tenant_known=True, actor=MANAGER, now=T0)
    assert err.value.code == "resident_ended"


@pytest.mark.parametrize("params,code", [
    ({"unit_id": "9-9999"}, "unknown_unit"), ({"tenant_id": "tenant-404"}, "unknown_tenant"),
    ({"role": "landlord"}, "validation_error"), ({"phones": ["not a phone"]}, "invalid_phone"),
    ({"moved_in": "2026-02-30"}, "invalid_date"), ({"moved_out": "2019-01-01"}, "validation_error"),
])
def test_a_resident_that_does_not_fit_the_archive_is_refused(params, code):
    body = {"unit_id": "3-1201", "name": "李女士", "role": "owner", "tenant_id": "tenant-1", "moved_in": "2019-05-01"}
    body.update(params)
    with pytest.raises(ValidationFailed) as err:
        archive.resident("R1", body, unit_record=unit_1201() if body["unit_id"] == "3-1201" else None, previous=None,
                         tenant_known=body["tenant_id"] == "tenant-1", actor=MANAGER, now=T0)
    assert err.value.code == code


def test_renovations_are_appended_in_order_and_never_rewritten():
    record = {**owner(), "version": 1}
    one = archive.add_renovation(record, {"started_on": "2024-03-01", "ended_on": "2024-05-30",
                                          "contractor": "美家装饰", "permit_no": "ZX-2024-031"}, actor=MANAGER, now=T0)
    two = archive.add_renovation({**one, "version": 2}, {"started_on": "2026-10-01", "contractor": "匠心工程"},
                                 actor=MANAGER, now=T0)
    assert [(r["n"], r["contractor"]) for r in two["renovations"]] == [(1, "美家装饰"), (2, "匠心工程")]
    assert two["renovations"][0] == one["renovations"][0]
    with pytest.raises(ValidationFailed):
        archive.add_renovation(record, {"started_on": "2024-03-01", "ended_on": "2024-01-01", "contractor": "x"},
                               actor=MANAGER, now=T0)


# --- ids and locations -----------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["", "a#b", "-lead", "a/b", "x" * 41, "3栋", None, 12])
def test_ids_are_short_plain_and_safe_for_keys(bad):
    with pytest.raises(ValidationFailed) as err:
        archive.check_id(bad, "unit_id")
    assert err.value.code == "invalid_id"


def test_a_unit_needs_its_building_and_carries_its_label():
    assert unit_1201()["label"] == "3栋 1201"
    with pytest.raises(ValidationFailed) as err:
        archive.unit("3-1202", {"building_id": "B9", "number": "1202"}, building_record=None, previous=None,
                     actor=MANAGER, now=T0)
    assert err.value.code == "unknown_building"
    shop = archive.unit("L2-018", {"building_id": "MALL", "number": "L2-018", "shop_name": "茶記"},
                        building_record={"building_id": "MALL", "name": "港灣廣場"}, previous=None, actor=MANAGER,
                        now=T0)
    assert shop["label"] == "港灣廣場 L2-018 茶記"


def test_a_location_resolves_to_the_archive_record_with_its_label():
    assert archive.resolve_location({"unit_id": "3-1201", "room_id": "kitchen"}, unit_1201()) == {
        "kind": "unit", "building_id": "B3", "unit_id": "3-1201", "room_id": "kitchen", "label": "3栋 1201 厨房"}
    assert archive.resolve_location({"building_id": "B3"}, building_3())["label"] == "3栋"
    lobby = {"area_id": "lobby", "name": "大堂"}
    assert archive.resolve_location({"area_id": "lobby"}, lobby) == {"kind": "area", "area_id": "lobby",
                                                                      "label": "大堂"}


@pytest.mark.parametrize("request_,record", [
    ({"unit_id": "3-9999"}, None), ({"unit_id": "3-1201", "room_id": "attic"}, "unit"),
    ({"unit_id": "3-1201", "building_id": "B1"}, "unit"), ({"room_id": "kitchen"}, "unit"),
    ({"area_id": "lobby", "unit_id": "3-1201"}, "unit"), ({}, None), ({"unit_id": "bad#id"}, None),
])
def test_a_location_not_in_the_archive_is_unknown(request_, record):
    with pytest.raises(ValidationFailed) as err:
        archive.resolve_location(request_, unit_1201() if record else None)
    assert err.value.code in ("unknown_location", "invalid_id")


def test_the_picker_list_is_flat_buildings_units_rooms_then_areas():
    flat = archive.locations([building_3()], [unit_1201()], [{"area_id": "lobby", "name": "大堂"}])
    assert [(x["kind"], x["label"]) for x in flat] == [("building", "3栋"), ("unit", "3栋 1201"),
                                                       ("unit", "3栋 1201 厨房"), ("area", "大堂")]
    assert flat[2] == {"kind": "unit", "building_id": "B3", "unit_id": "3-1201", "room_id": "kitchen",
                       "label": "3栋 1201 厨房"}


# --- a case's location and event time ------------------------------------------------------------

POLICY = deadlines.Policy.from_dict(None)
TENANT = Actor("tenant-1", "tenant", "李女士")


def new_case(**params):
    return cases.new_case(property_id="P1", case_id="TD-20261123-0001", actor=TENANT,
                          params={"content": "厨房水管漏水", **params}, now=T0, policy=POLICY).case


def test_a_case_with_a_location_takes_its_label_as_the_unit_and_keeps_free_text_when_given():
    location = archive.resolve_location({"unit_id": "3-1201", "room_id": "kitchen"}, unit_1201())
    assert new_case(location=location).unit == "3栋 1201 厨房"
    assert new_case(location=location, unit="3栋1201").unit == "3栋1201"
    assert new_case(unit="3栋1201").location is None
    with pytest.raises(ValidationFailed):
        new_case()  # neither a unit nor a location


def test_occurred_at_is_when_it_happened_never_after_receipt():
    assert new_case(unit="1", occurred_at="2026-11-23T09:30:00+08:00").occurred_at == T0 - timedelta(minutes=30)
    for bad, code in (("2026-11-23T10:05:00+08:00", "occurred_in_future"), ("2026-11-23T09:30:00", "validation_error"),
                      ("yesterday", "validation_error"), ("2020-01-01T00:00:00Z", "validation_error")):
        with pytest.raises(ValidationFailed) as err:
            new_case(unit="1", occurred_at=bad)
        assert err.value.code == code and err.value.details["field"] == "occurred_at"

"""The owner archive over HTTP (chalice.test.Client on moto): the service and
full views by role, the access log, phone lookups, cases located in the
archive, and the refusals (403, 404, 422 unknown_location) that change nothing."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.helpers import call, case_url, read_case
from tests.conftest import make_token

A = "/v1/properties/P1/archive"
MANAGER = make_token("manager", subject="manager-1", name="王经理")
ADMIN = make_token("admin", properties=("P1", "P2"), subject="admin-1")


@pytest.fixture
def api(client, runtime_wired):
    from chalicelib.adapters.archive_store import DynamoArchiveStore
    runtime_wired.locations = DynamoArchiveStore(runtime_wired.store.m)  # as runtime.service() wires it
    s, out = call(client, "PUT", "/v1/properties/P1/tenants/tenant-1", ADMIN,
                  {"name": "李女士", "email": "li.nvshi@example.cn", "unit": "3栋1201"})
    assert s == 200, out
    for url, body in ((f"{A}/buildings/B3", {"name": "3栋", "name_en": "Block 3"}),
                      (f"{A}/units/3-1201", {"building_id": "B3", "number": "1201", "floor": "12",
                                             "rooms": [{"room_id": "kitchen", "name": "厨房"}]}),
                      (f"{A}/areas/lobby", {"name": "大堂"}),
                      (f"{A}/residents/R1", {"unit_id": "3-1201", "name": "李女士", "role": "owner",
                                             "phones": ["138 1234 5678"], "email": "li.nvshi@example.cn",
                                             "lang": "zh-Hans", "tenant_id": "tenant-1",
                                             "contacts": [{"name": "李明", "relation": "儿子"}]})):
        s, out = call(client, "PUT", url, ADMIN, body)
        assert s == 200, out
    s, out = call(client, "POST", f"{A}/residents/R1/renovations", ADMIN,
                  {"started_on": "2024-03-01", "ended_on": "2024-05-30", "contractor": "美家装饰",
                   "permit_no": "ZX-2024-031"})
    assert s == 201, out
    return client


def access_log(client):
    s, out = call(client, "GET", f"{A}/access-log", MANAGER)
    assert s == 200, out
    return out["items"]


def test_the_front_desk_reads_the_service_view_and_is_refused_the_full_record(api, tokens):
    s, view = call(api, "GET", f"{A}/residents/R1", tokens["front_desk"])
    assert s == 200 and view["view"] == "service" and view["phones"] == ["138****5678"]
    assert not {"email", "contacts", "renovations", "history"} & set(view)
    s, out = call(api, "GET", f"{A}/residents/R1?view=full", tokens["front_desk"])
    assert s == 403 and out["code"] == "forbidden"
    assert access_log(api) == []


def test_a_managers_read_is_the_full_record_and_is_logged_each_time(api):
    for _ in range(2):
        s, view = call(api, "GET", f"{A}/residents/R1", MANAGER)
        assert s == 200 and view["view"] == "full" and view["email"] == "li.nvshi@example.cn"
        assert view["renovations"][0]["permit_no"] == "ZX-2024-031" and view["contacts"][0]["relation"] == "儿子"
    entries = access_log(api)
    assert len(entries) == 2
    assert entries[0]["by"] == {"id": "manager-1", "role": "manager", "name": "王经理"}
    assert entries[0]["record"] == {"kind": "resident", "resident_id": "R1", "unit_id": "3-1201", "name": "李女士"}
    assert entries[0]["route"] == "GET /v1/properties/{property_id}/archive/residents/{resident_id}"


def test_another_propertys_staff_get_404_and_bad_ids_400(api, tokens):
    for url in (f"{A}/residents/R1", f"{A}/units/3-1201", f"{A}/lookup?phone=13812345678", f"{A}/locations"):
        s, _ = call(api, "GET", url, tokens["front_desk_p2"])
        assert s == 404, url
    s, out = call(api, "GET", f"{A}/units/{quote('3栋')}", tokens["front_desk"])
    assert s == 400 and out["code"] == "invalid_path"
    s, out = call(api, "GET", f"{A}/residents/R404", tokens["front_desk"])
    assert s == 404 and out["code"] == "resident_not_found"
    s, out = call(api, "GET", f"{A}/residents/R1?view=all", MANAGER)
    assert s == 400 and out["code"] == "invalid_query"


def test_a_callers_number_in_any_format_finds_them_and_their_open_cases(api, tokens):
    s, case = call(api, "POST", "/v1/properties/P1/cases", tokens["tenant"], {"unit": "3栋1201", "content": "空调不制冷"})
    assert s == 201
    s, found = call(api, "GET", f"{A}/lookup?phone={quote('+86 138-1234-5678')}", tokens["front_desk"])
    assert s == 200, found
    assert [(r["resident_id"], r["unit_label"], r["phones"]) for r in found["residents"]] == [
        ("R1", "3栋 1201", ["138****5678"])]
    assert [c["case_id"] for c in found["open_cases"]] == [case["case_id"]]
    s, out = call(api, "GET", f"{A}/lookup?phone=abc", tokens["front_desk"])
    assert s == 422 and out["code"] == "invalid_phone"


def test_a_case_logged_at_a_picked_location_and_time_shows_them_and_the_tenant_reads_the_label(api, tokens):
    s, case = call(api, "POST", "/v1/properties/P1/cases", tokens["front_desk"], {
        "channel": "phone", "content": "厨房水管漏水，楼下天花板在滴水", "occurred_at": "2026-11-23T09:40:00+08:00",
        "location": {"unit_id": "3-1201", "room_id": "kitchen"},
        "reporter": {"name": "李女士", "phone": "138 1234 5678", "tenant_id": "tenant-1"}})
    assert s == 201, case
    assert case["location"] == {"kind": "unit", "building_id": "B3", "unit_id": "3-1201", "room_id": "kitchen",
                                "label": "3栋 1201 厨房"}
    assert case["unit"] == "3栋 1201 厨房" and case["occurred_at"] == "2026-11-23T01:40:00.000000Z"
    mine = read_case(api, case["case_id"], tokens["tenant"])
    assert mine["location"] == {"label": "3栋 1201 厨房"} and mine["occurred_at"] == case["occurred_at"]


@pytest.mark.parametrize("location", [{"unit_id": "3-9999"}, {"unit_id": "3-1201", "room_id": "attic"},
                                      {"area_id": "rooftop"}, {"unit_id": "3-1201", "area_id": "lobby"}])
def test_a_location_not_in_the_archive_is_422_and_no_case_is_stored(api, tokens, location):
    s, out = call(api, "POST", "/v1/properties/P1/cases", tokens["tenant"],
                  {"content": "空调不制冷", "location": location})
    assert s == 422 and out["code"] == "unknown_location", out
    s, mine = call(api, "GET", "/v1/me/cases", tokens["tenant"])
    assert s == 200 and mine["items"] == []


def test_an_event_in_the_future_is_refused(api, tokens):
    s, out = call(api, "POST", "/v1/properties/P1/cases", tokens["tenant"],
                  {"unit": "3栋1201", "content": "空调不制冷", "occurred_at": "2026-11-24T09:00:00+08:00"})
    assert s == 422 and out["code"] == "occurred_in_future"


def test_staff_match_a_free_text_case_to_the_archive(api, tokens):
    s, case = call(api, "POST", "/v1/properties/P1/cases", tokens["front_desk"], {
        "channel": "walk_in", "unit": "一楼大堂", "content": "大堂地面湿滑，有老人差点滑倒",
        "reporter": {"name": "访客陈先生", "phone": "137 0000 0000"}})
    assert s == 201 and case["location"] is None and "locate" in case["actions"]
    s, out = call(api, "POST", case_url(case["case_id"], "/locate"), tokens["front_desk"],
                  {"location": {"area_id": "rooftop"}, "version": case["version"]})
    assert s == 422 and out["code"] == "unknown_location"
    s, out = call(api, "POST", case_url(case["case_id"], "/locate"), tokens["front_desk"],
                  {"location": {"area_id": "lobby"}, "version": case["version"]})
    assert s == 200, out
    assert out["location"] == {"kind": "area", "area_id": "lobby", "label": "大堂"} and out["unit"] == "一楼大堂"
    timeline = read_case(api, case["case_id"], tokens["front_desk"])["timeline"]
    assert timeline[-1]["action"] == "locate" and timeline[-1]["data"]["unit"] == "一楼大堂"
    s, out = call(api, "POST", case_url(case["case_id"], "/locate"), tokens["dept_staff"],
                  {"location": {"area_id": "lobby"}})
    assert s == 403


def test_structure_edits_are_versioned_and_audited_and_chinese_round_trips(api, tokens):
    s, building = call(api, "GET", f"{A}/buildings/B3", tokens["front_desk"])
    assert s == 200 and building["name"] == "3栋" and [u["unit_id"] for u in building["units"]] == ["3-1201"]
    s, out = call(api, "PUT", f"{A}/buildings/B3", MANAGER, {"name": "3號樓", "name_en": "Block 3",
                                                             "version": building["version"]})
    assert s == 200 and out["name"] == "3號樓" and out["version"] == building["version"] + 1
    assert out["history"][-1]["by"]["id"] == "manager-1"
    assert out["history"][-1]["changes"] == {"name": {"from": "3栋", "to": "3號樓"}}
    s, out = call(api, "PUT", f"{A}/buildings/B3", MANAGER, {"name": "三栋", "version": building["version"]})
    assert s == 409 and out["code"] == "version_conflict"
    s, out = call(api, "PUT", f"{A}/buildings/B3", tokens["front_desk"], {"name": "三栋"})
    assert s == 403
    s, got = call(api, "GET", f"{A}/buildings", tokens["front_desk"])
    assert [b["name"] for b in got["items"]] == ["3號樓"]
    s, locations = call(api, "GET", f"{A}/locations", tokens["front_desk"])
    assert s == 200 and [x["label"] for x in locations["items"]] == ["3號樓", "3栋 1201", "3栋 1201 厨房", "大堂"]

"""Issue 16's tenant-app steps over HTTP (chalice.test.Client on moto): the
tenant confirms the follow-up callback (POST .../confirm), "affects my shop's
business" on a submitted case, and GET /v1/me/places; with the refusals (another
tenant's case, the wrong status, staff calling the tenant's action) that change nothing."""
from __future__ import annotations

import pytest

from tests.api.helpers import call, case_url, read_case
from tests.conftest import make_token

A = "/v1/properties/P1/archive"
ADMIN = make_token("admin", properties=("P1", "P2"), subject="admin-1")
MANAGER = make_token("manager", subject="manager-1", name="王经理")
SUBMIT = {"unit": "3栋1201", "content": "空调不制冷，影响营业", "category": "air_conditioning"}


def resolved_case(client, tokens, **extra):
    s, case = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], {**SUBMIT, **extra})
    assert s == 201, case
    cid = case["case_id"]
    for token, action, body in ((tokens["front_desk"], "/assign", {"assignee": "dept_staff-1",
                                                                   "department": "engineering"}),
                                (tokens["dept_staff"], "/start", {}),
                                (tokens["dept_staff"], "/resolve", {"resolution": "已更换压缩机"})):
        s, out = call(client, "POST", case_url(cid, action), token, body)
        assert s == 200, out
    return cid


def test_the_tenant_confirms_the_callback_and_staff_see_it_on_the_timeline(client, tokens):
    cid = resolved_case(client, tokens)
    assert "confirm" in read_case(client, cid, tokens["tenant"])["actions"]
    key = {"Idempotency-Key": "confirm-TD-1"}
    body = {"satisfied": True, "comment": "師傅很專業 thanks", "score": 5}
    s, view = call(client, "POST", case_url(cid, "/confirm"), tokens["tenant"], body, headers=key)
    assert s == 200, view
    assert view["status"] == "callback_done" and "confirm" not in view["actions"]
    assert view["callback"]["satisfied"] is True and view["callback"]["channel"] == "app"
    assert view["rating"]["score"] == 5 and view["deadlines"]["callback"]["met_on_time"] is True
    # a retry (the phone lost the answer) is a replay, not a second callback
    s, again = call(client, "POST", case_url(cid, "/confirm"), tokens["tenant"], body, headers=key)
    assert s == 200 and again["version"] == view["version"]
    staff = read_case(client, cid, tokens["front_desk"])
    confirm = [e for e in staff["timeline"] if e["action"] == "confirm"]
    assert len(confirm) == 1 and confirm[0]["actor"]["id"] == "tenant-1"
    assert confirm[0]["data"]["comment"] == "師傅很專業 thanks"
    assert staff["callback"]["by_tenant"] is True and staff["unread_for_staff"] == 0  # the read cleared it
    s, closed = call(client, "POST", case_url(cid, "/close"), tokens["front_desk"], {"summary": "回访满意"})
    assert s == 200 and closed["status"] == "closed"


def test_an_unsatisfied_answer_is_closed_by_a_manager_only(client, tokens):
    cid = resolved_case(client, tokens)
    s, view = call(client, "POST", case_url(cid, "/confirm"), tokens["tenant"], {"satisfied": False,
                                                                               "comment": "还是不冷"})
    assert s == 200 and view["status"] == "callback_done"
    s, out = call(client, "POST", case_url(cid, "/close"), tokens["front_desk"], {"summary": "x"})
    assert s == 403 and out["code"] == "manager_decision_required"
    s, out = call(client, "POST", case_url(cid, "/close"), MANAGER, {"reason": "已达标，另行沟通"})
    assert s == 200 and out["status"] == "closed"


def test_refusals_change_nothing(client, tokens):
    cid = resolved_case(client, tokens)
    before = read_case(client, cid, tokens["front_desk"])["version"]
    # staff call the tenant's action: 403; another tenant: 404 (never "it exists")
    s, out = call(client, "POST", case_url(cid, "/confirm"), tokens["front_desk"], {"satisfied": True})
    assert (s, out["code"]) == (403, "forbidden")
    other = make_token("tenant", subject="tenant-2", name="陳先生")
    s, out = call(client, "POST", case_url(cid, "/confirm"), other, {"satisfied": True})
    assert (s, out["code"]) == (404, "case_not_found")
    # no yes/no: 422; an open case: 409
    s, out = call(client, "POST", case_url(cid, "/confirm"), tokens["tenant"], {"comment": "?"})
    assert s == 422
    s, fresh = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], SUBMIT)
    s, out = call(client, "POST", case_url(fresh["case_id"], "/confirm"), tokens["tenant"], {"satisfied": True})
    assert s == 409 and out["code"] == "illegal_transition"
    assert read_case(client, cid, tokens["front_desk"])["version"] == before


def test_business_affected_is_stored_shown_and_defaults_the_desks_cause(client, tokens):
    s, case = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], {**SUBMIT, "business_affected": True})
    assert s == 201 and case["business_affected"] is True and "cause" not in case
    cid = case["case_id"]
    s, queue = call(client, "GET", "/v1/properties/P1/queue", tokens["front_desk"])
    assert [c["business_affected"] for c in queue["items"] if c["case_id"] == cid] == [True]
    s, out = call(client, "POST", case_url(cid, "/classify"), tokens["front_desk"], {"kind": "complaint"})
    assert s == 200 and out["cause"] == "business_affected"
    s, plain = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], SUBMIT)
    assert plain["business_affected"] is False
    s, out = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], {**SUBMIT, "business_affected": "yes"})
    assert s == 422


@pytest.fixture
def archive(client, runtime_wired):
    from chalicelib.adapters.archive_store import DynamoArchiveStore
    runtime_wired.locations = DynamoArchiveStore(runtime_wired.store.m)
    for tid, name in (("tenant-1", "李女士"), ("tenant-2", "孙女士")):
        s, out = call(client, "PUT", f"/v1/properties/P1/tenants/{tid}", ADMIN,
                      {"name": name, "email": f"{tid}@example.cn"})
        assert s == 200, out
    for url, body in ((f"{A}/buildings/B3", {"name": "3栋"}), (f"{A}/buildings/MALL", {"name": "商业街"}),
                      (f"{A}/units/3-1201", {"building_id": "B3", "number": "1201",
                                             "rooms": [{"room_id": "kitchen", "name": "厨房"}]}),
                      (f"{A}/units/3-1202", {"building_id": "B3", "number": "1202"}),
                      (f"{A}/units/S-05", {"building_id": "MALL", "number": "S-05", "shop_name": "李记茶铺"}),
                      (f"{A}/areas/lobby", {"name": "大堂", "name_en": "Lobby"}),
                      (f"{A}/residents/R1", {"unit_id": "3-1201", "name": "李女士", "role": "owner",
                                             "phones": ["138 1234 5678"], "tenant_id": "tenant-1"}),
                      (f"{A}/residents/R5", {"unit_id": "S-05", "name": "李女士", "role": "shop_tenant",
                                             "tenant_id": "tenant-1"}),
                      (f"{A}/residents/R2", {"unit_id": "3-1202", "name": "孙女士", "role": "owner",
                                             "phones": ["136 0000 3333"], "tenant_id": "tenant-2"})):
        s, out = call(client, "PUT", url, ADMIN, body)
        assert s == 200, out
    return client


def test_places_are_the_tenants_own_units_and_the_areas_and_a_case_takes_one(archive, tokens):
    s, found = call(archive, "GET", "/v1/me/places", tokens["tenant"])
    assert s == 200, found
    assert found["property_id"] == "P1" and found["business"] is True
    labels = [p["label"] for p in found["items"]]
    assert labels == ["3栋 1201", "3栋 1201 厨房", "商业街 S-05 李记茶铺", "大堂"]
    text = str(found)
    assert "孙女士" not in text and "3-1202" not in text and "1234" not in text  # no one else's, no phones
    kitchen = found["items"][1]
    location = {k: kitchen[k] for k in ("unit_id", "room_id")}
    s, case = call(archive, "POST", "/v1/properties/P1/cases", tokens["tenant"],
                   {"content": "厨房水管漏水", "location": location})
    assert s == 201 and case["unit"] == "3栋 1201 厨房" and case["location"] == {"label": "3栋 1201 厨房"}
    # staff may not read a tenant's places; the other tenant sees only theirs
    s, out = call(archive, "GET", "/v1/me/places", tokens["front_desk"])
    assert (s, out["code"]) == (403, "forbidden")
    s, theirs = call(archive, "GET", "/v1/me/places", tokens["tenant2"])
    assert [p["label"] for p in theirs["items"]] == ["3栋 1202", "大堂"] and theirs["business"] is False
    s, out = call(archive, "GET", "/v1/me/places?property_id=P2", tokens["tenant"])
    assert s == 404

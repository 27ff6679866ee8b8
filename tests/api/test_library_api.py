"""The case library over HTTP: a closed case proposed (tenant data masked),
approved by a manager and never by its author nor by department staff, refused
while the text still carries the reporter's phone, suggested on a new case of
the same category, "this helped" counted once; tenants and other properties
never read it."""
from __future__ import annotations

from tests.api.helpers import call, case_url, read_case
from tests.conftest import make_token

LIB = "/v1/properties/P1/library"
DESK = make_token("front_desk", subject="desk-1", name="前台小王")
DESK2 = make_token("front_desk", subject="desk-2", name="前台小刘")
MANAGER = make_token("manager", subject="mgr-1", name="王经理")
DEPT = make_token("dept_staff", subject="eng-1", name="工程部张师傅", department="engineering")
ADMIN = make_token("admin", subject="admin-1", properties=("P1", "P2"))
TENANT = make_token("tenant", subject="tenant-1", name="李女士")
P2_MANAGER = make_token("manager", subject="mgr-2", properties=("P2",))
REPORTER = {"name": "李秀英", "phone": "138 0013 8000"}


def closed_case(client, content="3-1201 空调不制冷，室内30度。李秀英 电话13800138000", category="air_conditioning"):
    status, case = call(client, "POST", "/v1/properties/P1/cases", DESK,
                        {"channel": "phone", "unit": "3-1201", "content": content, "reporter": REPORTER})
    assert status == 201, case
    cid = case["case_id"]
    for step, body in (("classify", {"kind": "complaint", "category": category}),
                       ("assign", {"assignee": "eng-1", "department": "engineering"}), ("start", {}),
                       ("resolve", {"resolution": "补充冷媒并清洗滤网，已联系李秀英确认（138 0013 8000）"}),
                       ("callback", {"reached": True, "satisfied": True})):
        status, out = call(client, "POST", case_url(cid, "/" + step), ADMIN, body)
        assert status == 200, (step, out)
    return cid


def test_an_open_case_is_not_proposed_and_tenants_never_read_the_library(client):
    status, case = call(client, "POST", "/v1/properties/P1/cases", DESK,
                        {"channel": "phone", "unit": "3-1201", "content": "空调不制冷", "reporter": REPORTER})
    status, body = call(client, "POST", LIB, DESK, {"case_id": case["case_id"]})
    assert (status, body["code"]) == (409, "case_not_closed")
    status, body = call(client, "GET", LIB, TENANT)
    assert (status, body["code"]) == (403, "forbidden")
    status, body = call(client, "POST", LIB, TENANT, {"title": "x", "problem": "y", "what_worked": "z",
                                                      "category": "other"})
    assert (status, body["code"]) == (403, "forbidden")
    status, body = call(client, "GET", "/v1/properties/P2/library", DESK)
    assert status == 404


def test_proposed_approved_suggested_and_used(client):
    cid = closed_case(client)
    status, entry = call(client, "POST", LIB, DESK, {"case_id": cid})
    assert status == 201, entry
    url = f"{LIB}/{entry['entry_id']}"
    # prefilled from the case, tenant data masked
    assert entry["status"] == "draft" and entry["source_case"] == cid and entry["category"] == "air_conditioning"
    text = " ".join(entry[k] for k in ("title", "problem", "what_worked"))
    for secret in ("李秀英", "13800138000", "138 0013 8000", "3-1201"):
        assert secret not in text
    assert "[电话]" in entry["problem"] and "[房号]" in entry["problem"] and "补充冷媒" in entry["what_worked"]
    assert set(entry["redacted"]) >= {"name", "phone", "unit"}
    seen = read_case(client, cid, DESK)
    assert any(e["action"] == "library_proposed" and e["data"]["entry_id"] == entry["entry_id"]
               for e in seen["timeline"])
    # the staff edit: the reporter's phone typed back in
    status, entry = call(client, "PUT", url, DESK, {
        "tenant_text": "您好，师傅已为您补充冷媒，如仍不制冷请致电 138-0013-8000。", "tags": ["空调", "夏季"],
        "cause": "冷媒不足", "version": entry["version"]})
    assert status == 200 and entry["current_version"] == 2, entry
    status, entry = call(client, "POST", url + "/submit", DESK, {})
    assert status == 200 and entry["status"] == "pending"
    status, body = call(client, "POST", url + "/approve", DEPT, {})
    assert (status, body["code"]) == (403, "forbidden")
    status, body = call(client, "POST", url + "/approve", MANAGER, {})
    assert (status, body["code"], body["details"]["found"]) == (422, "tenant_data_left", ["phone"])
    status, body = call(client, "POST", url + "/approve", P2_MANAGER, {})
    assert status == 404
    status, entry = call(client, "GET", url, DESK)
    assert entry["status"] == "pending" and entry["visible"] is False
    # a manager who edits the text is its author for that version: another manager approves
    status, entry = call(client, "PUT", url, MANAGER, {"tenant_text": "您好，师傅已为您补充冷媒。"})
    assert status == 200
    call(client, "POST", url + "/submit", MANAGER, {})
    status, body = call(client, "POST", url + "/approve", MANAGER, {})
    assert (status, body["code"]) == (403, "own_entry")
    status, entry = call(client, "POST", url + "/approve", make_token("manager", subject="mgr-9", name="陈经理"), {})
    assert status == 200 and entry["status"] == "approved" and entry["approved_version"] == 3, entry
    status, detail = call(client, "GET", url, DEPT)
    assert [v["number"] for v in detail["versions"]] == [1, 2, 3]
    assert detail["versions"][0]["author"]["name"] == "前台小王"
    # the training view lists it
    status, page = call(client, "GET", LIB + "?category=air_conditioning", DEPT)
    assert [e["entry_id"] for e in page["items"]] == [entry["entry_id"]]

    # a new case of the same category: the entry is suggested
    status, new = call(client, "POST", "/v1/properties/P1/cases", DESK,
                       {"channel": "phone", "unit": "5-0801", "content": "空调不制冷，温度降不下来",
                        "reporter": {"name": "陈先生", "phone": "139 0000 0000"}})
    new_id = new["case_id"]
    status, out = call(client, "GET", case_url(new_id, "/library-suggestions"), DESK)
    assert status == 200 and out["items"] == []  # not classified yet
    call(client, "POST", case_url(new_id, "/classify"), DESK, {"kind": "complaint", "category": "air_conditioning"})
    status, out = call(client, "GET", case_url(new_id, "/library-suggestions"), DESK)
    assert [e["entry_id"] for e in out["items"]] == [entry["entry_id"]] and out["items"][0]["score"] > 0
    assert out["items"][0]["tenant_text"] == "您好，师傅已为您补充冷媒。"
    # this helped: counted once
    status, used = call(client, "POST", case_url(new_id, "/library-used"), DESK, {"entry_id": entry["entry_id"]})
    assert status == 200 and used["uses"] == 1 and used["counted"] is True
    status, used = call(client, "POST", case_url(new_id, "/library-used"), DESK2, {"entry_id": entry["entry_id"]})
    assert status == 200 and used["uses"] == 1 and used["counted"] is False
    staff = read_case(client, new_id, DESK)
    assert [e["data"]["entry_id"] for e in staff["timeline"] if e["action"] == "used_entry"] == [entry["entry_id"]]


def test_a_draft_is_never_counted_or_suggested(client):
    status, entry = call(client, "POST", LIB, DESK, {"title": "电梯困人", "problem": "电梯停在两层之间",
                                                     "what_worked": "监控室安抚，维保10分钟到场", "category": "public_facility",
                                                     "lang": "zh-Hant"})
    assert status == 201
    cid = closed_case(client, content="電梯困人", category="public_facility")
    status, body = call(client, "POST", case_url(cid, "/library-used"), DESK, {"entry_id": entry["entry_id"]})
    assert (status, body["code"]) == (409, "entry_not_approved")
    status, body = call(client, "POST", case_url(cid, "/library-used"), DESK, {"entry_id": "L404"})
    assert (status, body["code"]) == (404, "unknown_entry")
    status, page = call(client, "GET", LIB + "?status=draft", DESK)
    assert [e["entry_id"] for e in page["items"]] == [entry["entry_id"]]


def test_suggestions_for_a_case_are_one_query_on_its_category(client, aws_calls):
    status, entry = call(client, "POST", LIB, DESK, {"title": "地库积水", "problem": "暴雨后地库入口积水",
                                                     "what_worked": "开启排水泵，设置挡水板", "category": "public_facility"})
    call(client, "POST", f"{LIB}/{entry['entry_id']}/submit", DESK, {})
    call(client, "POST", f"{LIB}/{entry['entry_id']}/approve", MANAGER, {})
    status, case = call(client, "POST", "/v1/properties/P1/cases", DESK,
                        {"channel": "phone", "unit": "B2", "content": "地库入口积水很深", "reporter": REPORTER})
    call(client, "POST", case_url(case["case_id"], "/classify"), DESK, {"kind": "complaint",
                                                                         "category": "public_facility"})
    del aws_calls[:]
    status, out = call(client, "GET", case_url(case["case_id"], "/library-suggestions"), DESK)
    assert status == 200 and [e["entry_id"] for e in out["items"]] == [entry["entry_id"]]
    operations = [op for _service, op in aws_calls]
    assert operations.count("Query") == 1 and "Scan" not in operations, operations

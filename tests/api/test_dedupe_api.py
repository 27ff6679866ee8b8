"""Duplicates over HTTP: a second report of the same problem carries its suggestion
(staff see it, the tenant does not); the desk merges it; the tenant still reads their
case as "merged into TD-…"; link and dismiss give clear 4xx codes when they do not apply;
the month's statistics show the duplicate rate by channel."""
from __future__ import annotations

import json

from tests.api.helpers import call, read_case
from tests.api.helpers import case_url as url
from tests.conftest import make_token

TENANT = make_token("tenant", subject="tenant-1", name="李女士")
TENANT2 = make_token("tenant", subject="tenant-2", name="陳先生")
DESK = make_token("front_desk", subject="front_desk-1")
MANAGER = make_token("manager", subject="manager-1")
FIRST = {"unit": "3-301", "content": "空调漏水，滴到桌子上了", "category": "air_conditioning"}
SECOND = {"unit": "3-301", "content": "冷氣漏水，滴到桌上", "category": "air_conditioning"}


def _submit(client, token, body):
    status, created = call(client, "POST", "/v1/properties/P1/cases", token, body)
    assert status == 201, created
    return created["case_id"]


def test_a_duplicate_is_suggested_to_staff_and_merged_and_its_tenant_sees_where(client):
    first = _submit(client, TENANT, FIRST)
    second = _submit(client, TENANT, SECOND)
    staff = read_case(client, second, DESK)
    assert [(d["case_id"], d["kind"], d["same_reporter"]) for d in staff["possible_duplicates"]] == \
        [(first, "duplicate", True)]
    assert "possible_duplicates" not in read_case(client, second, TENANT)
    status, body = call(client, "POST", url(second, "/duplicate/merge"), TENANT, {"target": first})
    assert status == 403, body
    status, body = call(client, "POST", url(second, "/duplicate/merge"), DESK, {"target": first})
    assert status == 200, body
    assert (body["status"], body["merged_into"]) == ("closed", first)
    seen = read_case(client, second, TENANT)
    assert seen["merged_into"] == first and seen["status"] == "closed"
    merged = [i for i in call(client, "GET", "/v1/me/notifications", TENANT)[1]["items"] if i["kind"] == "merged"]
    assert [i["body"] for i in merged] == [f"案件 {second} 已并入案件 {first}。"]  # told, in their language
    assert [d["case_id"] for d in read_case(client, first, DESK)["merged"]] == [second]
    status, body = call(client, "POST", url(second, "/duplicate/merge"), DESK, {"target": first})
    assert status == 409 and body["code"] == "already_merged", body


def test_another_reporter_is_linked_not_merged_and_a_wrong_dismissal_is_a_422(client):
    first = _submit(client, TENANT, FIRST)
    second = _submit(client, TENANT2, SECOND)
    status, body = call(client, "POST", url(second, "/duplicate/merge"), DESK, {"target": first})
    assert status == 409 and body["code"] == "not_same_reporter", body
    status, body = call(client, "POST", url(second, "/duplicate/dismiss"), DESK, {"target": "TD-20200101-0001"})
    assert status == 422 and body["code"] == "not_suggested", body
    status, body = call(client, "POST", url(second, "/duplicate/link"), DESK, {"target": first})
    assert status == 200 and body["follows"] == first, body
    assert read_case(client, first, DESK)["followers"] == [second]
    seen = read_case(client, second, TENANT2)  # the tenant's view: handled together, the owner not named
    assert "follows" not in seen and {"action": "link", "data": {}} in \
        [{"action": e["action"], "data": e["data"]} for e in seen["timeline"]]
    assert first not in json.dumps(seen, ensure_ascii=False)
    status, feed = call(client, "GET", "/v1/me/notifications", TENANT2)
    linked = [i for i in feed["items"] if i["kind"] == "linked"]
    assert status == 200 and len(linked) == 1 and linked[0]["title"] == "案件合并处理", feed
    assert "处理完毕后会通知您" in linked[0]["body"] and first not in linked[0]["body"]
    status, feed = call(client, "GET", "/v1/me/notifications", TENANT)
    assert [i["kind"] for i in feed["items"]] == ["received"]  # the owner's tenant: nothing new
    status, body = call(client, "POST", url(second, "/duplicate/link"), DESK, {})
    assert status == 400 or status == 422, body


def test_the_days_statistics_show_the_duplicate_rate_by_channel(client):
    first = _submit(client, TENANT, FIRST)
    _submit(client, TENANT2, SECOND)
    status, body = call(client, "POST", url(first, "/classify"), DESK, {"kind": "complaint"})
    assert status == 200, body
    day = read_case(client, first, DESK)["created_at"][:10]
    status, figures = call(client, "GET", f"/v1/properties/P1/stats/daily/{day}", MANAGER)
    assert status == 200, figures
    dups = figures["duplicates"]
    assert dups["by_channel"]["app"] == {"received": 2, "duplicates": 1, "rate": 0.5}
    assert dups["duplicate_rate"] == 0.5


"""The public web form over HTTP (chalice.test.Client on moto): a visitor files,
reads the code from the mail SES accepted, verifies, and the desk's queue has a
``web`` case marked verified; and the refusals: wrong code (attempts left), too
many tries, expired, rate limits with Retry-After, unknown property, hostile input."""
from __future__ import annotations

import re

import pytest

from tests.api.helpers import call, read_case

SUB = "/v1/public/properties/P1/submissions"


@pytest.fixture
def api(client, mailbox):
    return client


def code_from(mailbox, to: str) -> str:
    sent = [m for m in mailbox() if m["To"] == to]
    assert sent, [m["To"] for m in mailbox()]
    return re.search(r"\b(\d{6})\b", str(sent[-1]["Subject"])).group(1)


def submit(api, email="visitor@example.cn", **extra):
    body = {"email": email, "name": "陈先生", "place": "B2 停车场入口", "content": "停车场入口的闸机坏了，排队很长。",
            "category": "parking", "lang": "zh-Hans", **extra}
    return call(api, "POST", SUB, body=body)


def test_a_visitor_files_verifies_and_the_desk_sees_a_verified_web_case(api, mailbox, tokens):
    status, out = submit(api)
    assert status == 202 and out["sent_to"] == ["v***@example.cn"] and out["attempts_left"] == 5
    # Nothing is a case yet: the desk's queue is empty.
    status, queue = call(api, "GET", "/v1/properties/P1/queue", tokens["front_desk"])
    assert status == 200 and queue["items"] == []
    code = code_from(mailbox, "visitor@example.cn")
    status, done = call(api, "POST", f"{SUB}/{out['submission_id']}/verify", body={"code": code})
    assert status == 201 and done["channel"] == "web" and done["verified"] is True
    assert done["link"] == f"/p/P1?case={done['case_id']}"
    case = read_case(api, done["case_id"], tokens["front_desk"])
    assert case["channel"] == "web" and case["verified"] and case["unit"] == "B2 停车场入口"
    assert case["reporter"]["email"] == "visitor@example.cn" and "tenant_id" not in case["reporter"]
    status, queue = call(api, "GET", "/v1/properties/P1/queue", tokens["front_desk"])
    assert [c["case_id"] for c in queue["items"]] == [done["case_id"]]
    # The confirmation went to the visitor, in their language; a repeat answers the same case.
    assert any("已受理" in str(m["Subject"]) for m in mailbox() if m["To"] == "visitor@example.cn")
    status, again = call(api, "POST", f"{SUB}/{out['submission_id']}/verify", body={"code": code})
    assert status == 200 and again["case_id"] == done["case_id"]


def test_wrong_codes_count_down_then_the_submission_is_used_up(api, mailbox, tokens):
    _, out = submit(api)
    code = code_from(mailbox, "visitor@example.cn")
    wrong = "000000" if code != "000000" else "111111"
    url = f"{SUB}/{out['submission_id']}/verify"
    for left in (4, 3, 2, 1):
        status, err = call(api, "POST", url, body={"code": wrong})
        assert status == 422 and err["code"] == "wrong_code" and err["details"]["attempts_left"] == left
    status, err = call(api, "POST", url, body={"code": wrong})
    assert status == 422 and err["code"] == "code_attempts_used_up"
    status, err = call(api, "POST", url, body={"code": code})  # even the right code, now
    assert status == 422 and err["code"] == "code_attempts_used_up"
    assert call(api, "GET", "/v1/properties/P1/queue", tokens["front_desk"])[1]["items"] == []


def test_an_unverified_submission_expires_and_is_never_a_case(api, mailbox, clock, tokens):
    _, out = submit(api)
    code = code_from(mailbox, "visitor@example.cn")
    clock.advance(minutes=31)
    status, err = call(api, "POST", f"{SUB}/{out['submission_id']}/verify", body={"code": code})
    assert status == 410 and err["code"] == "submission_expired"
    status, err = call(api, "POST", f"{SUB}/nosuchsubmission/verify", body={"code": "123456"})
    assert status == 410
    assert call(api, "GET", "/v1/properties/P1/queue", tokens["front_desk"])[1]["items"] == []


def test_rate_limits_per_contact_per_day_and_per_address_per_hour(api, mailbox):
    for _ in range(5):
        assert submit(api)[0] == 202
    status, err = submit(api)
    assert status == 429 and err["details"]["quota"] == "public_per_contact"
    status, err = call(api, "POST", SUB, body={"phone": "+86 138 0000 0001", "place": "大堂", "content": "x"})
    assert status == 202  # another contact from the same address: allowed up to 10 an hour
    for n in range(4):
        assert submit(api, email=f"v{n}@example.cn")[0] == 202
    status, err = submit(api, email="late@example.cn")
    assert status == 429 and err["details"]["quota"] == "public_per_ip"


def test_rate_limited_answers_carry_retry_after(api, mailbox):
    for _ in range(5):
        submit(api)
    resp = api.http.post(SUB, headers={"Content-Type": "application/json"},
                         body=b'{"email":"visitor@example.cn","place":"x","content":"y"}')
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1


def test_unknown_property_missing_contact_and_hostile_input_are_refused(api, mailbox):
    status, err = call(api, "POST", "/v1/public/properties/NOPE/submissions",
                       body={"email": "a@example.cn", "place": "x", "content": "y"})
    assert status == 404 and err["code"] == "property_not_found"
    assert call(api, "GET", "/v1/public/properties/NOPE")[0] == 404
    status, err = call(api, "POST", SUB, body={"place": "大堂", "content": "灯坏了"})
    assert status == 422 and err["code"] == "contact_required"
    status, err = call(api, "POST", SUB, body={"email": "a@example.cn", "place": "x", "content": "y",
                                               "tenant_id": "tenant-1"})
    assert status == 422  # no field beyond the form's
    status, err = call(api, "POST", SUB, body={"email": "a@example.cn\r\nBcc: x@evil.example", "place": "x",
                                               "content": "y"})
    assert status == 422
    status, err = call(api, "POST", f"{SUB}/x/verify", body={"code": "12345<"})
    assert status == 422
    assert mailbox() == []  # nothing refused sent anything


def test_script_in_every_field_is_kept_as_text(api, mailbox, tokens):
    evil = "<script>alert(1)</script>"
    _, out = submit(api, name=evil, place=evil, content=evil)
    code = code_from(mailbox, "visitor@example.cn")
    _, done = call(api, "POST", f"{SUB}/{out['submission_id']}/verify", body={"code": code})
    case = read_case(api, done["case_id"], tokens["front_desk"])
    assert case["content"] == evil and case["unit"] == evil and case["reporter"]["name"] == evil


def test_a_qr_link_fills_in_an_archive_area(api, mailbox, runtime_wired, tokens):
    from chalicelib.adapters.archive_store import DynamoArchiveStore
    runtime_wired.locations = DynamoArchiveStore(runtime_wired.store.m)
    admin = tokens["admin"]
    assert call(api, "PUT", "/v1/properties/P1/archive/areas/lobby", admin, {"name": "大堂"})[0] == 200
    _, out = submit(api, place="", location={"area_id": "lobby"})
    code = code_from(mailbox, "visitor@example.cn")
    _, done = call(api, "POST", f"{SUB}/{out['submission_id']}/verify", body={"code": code})
    case = read_case(api, done["case_id"], tokens["front_desk"])
    assert case["unit"] == "大堂" and case["location"]["area_id"] == "lobby"
    status, err = submit(api, place="", location={"area_id": "nowhere"})
    assert status == 422 and err["code"] == "unknown_location"

    resp = api.http.get("/v1/properties/P1/qr?area=lobby", headers={"Authorization": f"Bearer {tokens['front_desk']}",
                                                                    "Host": "desk.example"})
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("image/svg+xml")
    svg = resp.body.decode()
    assert "<title>http://desk.example/p/P1?area=lobby</title>" in svg and "大堂" in svg
    status, parts = call(api, "GET", "/v1/properties/P1/qr?area=lobby", tokens["front_desk"],
                         headers={"Accept": "application/json", "Host": "desk.example"})
    assert status == 200 and parts["url"] == "http://desk.example/p/P1?area=lobby" and parts["svg"].startswith("<?xml")
    resp = api.http.get("/v1/properties/P1/qr", headers={"Authorization": f"Bearer {tokens['tenant']}"})
    assert resp.status_code == 403


def test_the_form_page_is_served_with_a_strict_policy_in_the_callers_language(api):
    resp = api.http.get("/p/P1", headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    assert resp.status_code == 200 and '<html lang="zh-Hant">' in resp.body.decode()
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert api.http.get("/public/form.js").status_code == 200
    assert api.http.get("/public/..%2Fapp.py").status_code == 404

"""Written replies over HTTP: who may draft, approve, return; the approval queue."""
from __future__ import annotations

import pytest

from tests.api.helpers import call
from tests.conftest import make_token

LETTER = {"channel": "email", "unit": "3栋1201", "title": "书面投诉", "content": "楼上漏水一周无人处理。",
          "reporter": {"name": "李女士", "email": "li.nvshi@example.cn"},
          "department": "engineering"}  # dept_staff draft replies on their department's cases


@pytest.fixture
def written(client, tokens, mailbox):
    s, case = call(client, "POST", "/v1/properties/P1/cases", tokens["front_desk"], LETTER)
    assert s == 201, case
    return f"/v1/properties/P1/cases/{case['case_id']}"


def test_draft_then_manager_approves_and_mail_leaves_once(client, tokens, written, mailbox):
    s, reply = call(client, "POST", written + "/replies", tokens["dept_staff"], {"body": "您好，已修复。"})
    assert s == 201 and reply["status"] == "pending"
    s, queue = call(client, "GET", "/v1/approvals", tokens["manager"])
    assert [r["reply_id"] for r in queue["items"]] == [reply["reply_id"]]
    s, sent = call(client, "POST", f"{written}/replies/{reply['reply_id']}/approve", tokens["manager"], {})
    assert s == 200 and sent["status"] == "sent", sent
    assert len(mailbox()) == 1
    s, again = call(client, "POST", f"{written}/replies/{reply['reply_id']}/approve", tokens["director"], {})
    assert s == 409 and again["code"] == "illegal_transition"
    assert len(mailbox()) == 1
    s, listed = call(client, "GET", written + "/replies", tokens["front_desk"])
    assert [r["status"] for r in listed["items"]] == ["sent"]


def test_author_manager_cannot_approve_own_reply(client, tokens, written, mailbox):
    s, reply = call(client, "POST", written + "/replies", tokens["manager"], {"body": "我写的答复"})
    s, body = call(client, "POST", f"{written}/replies/{reply['reply_id']}/approve", tokens["manager"], {})
    assert s == 403 and body["code"] == "own_reply"
    assert mailbox() == []


@pytest.mark.parametrize("role", ["front_desk", "dept_staff", "tenant"])
def test_non_approvers_cannot_approve_or_return(client, tokens, written, role, mailbox):
    s, reply = call(client, "POST", written + "/replies", tokens["manager"], {"body": "答复"})
    for action, body in (("approve", {}), ("return", {"comment": "不行"})):
        s, err = call(client, "POST", f"{written}/replies/{reply['reply_id']}/{action}", tokens[role], body)
        assert s == 403, (action, err)
    assert mailbox() == []


def test_tenant_cannot_draft_or_read_replies(client, tokens, written):
    assert call(client, "POST", written + "/replies", tokens["tenant"], {"body": "x"})[0] == 403
    assert call(client, "GET", written + "/replies", tokens["tenant"])[0] == 403


def test_manager_of_another_property_gets_404(client, tokens, written):
    s, reply = call(client, "POST", written + "/replies", tokens["front_desk"], {"body": "答复"})
    other = make_token("manager", properties=("P2",), subject="mgr-p2")
    s, body = call(client, "POST", f"{written}/replies/{reply['reply_id']}/approve", other, {})
    assert s == 404


def test_return_needs_a_comment_and_unknown_reply_is_404(client, tokens, written):
    s, reply = call(client, "POST", written + "/replies", tokens["front_desk"], {"body": "答复"})
    s, body = call(client, "POST", f"{written}/replies/{reply['reply_id']}/return", tokens["manager"], {})
    assert s == 422
    s, body = call(client, "POST", f"{written}/replies/R20990101000000abcd/approve", tokens["manager"], {})
    assert s == 404 and body["code"] == "reply_not_found"
    s, body = call(client, "POST", f"{written}/replies/not-an-id/approve", tokens["manager"], {})
    assert s == 404


def test_reply_to_an_app_case_is_409(client, tokens):
    s, case = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], {"unit": "1", "content": "app"})
    s, body = call(client, "POST", f"/v1/properties/P1/cases/{case['case_id']}/replies", tokens["front_desk"],
                   {"body": "x"})
    assert s == 409 and body["code"] == "not_a_written_case"


def test_admin_registers_a_tenant_email_others_cannot(client, tokens):
    record = {"name": "李女士", "email": "li.nvshi@example.cn", "unit": "3栋1201", "lang": "zh-Hans"}
    assert call(client, "PUT", "/v1/properties/P1/tenants/tenant-1", tokens["manager"], record)[0] == 403
    s, body = call(client, "PUT", "/v1/properties/P1/tenants/tenant-1", tokens["admin"], record)
    assert s == 200 and body["email"] == "li.nvshi@example.cn"
    s, body = call(client, "PUT", "/v1/properties/P1/tenants/tenant-1", tokens["admin"],
                   {**record, "email": "x@y.com\r\nBcc: z@w.com"})
    assert s == 422


def test_unrouted_mail_is_for_admins_only(client, tokens):
    for role in ("tenant", "front_desk", "manager", "director"):
        assert call(client, "GET", "/v1/quarantine/unrouted", tokens[role])[0] == 403, role
    s, body = call(client, "GET", "/v1/quarantine/unrouted?limit=5", tokens["admin"])
    assert s == 200 and body == {"items": [], "next_cursor": None}
    assert call(client, "GET", "/v1/quarantine/unrouted?limit=500", tokens["admin"])[0] == 400


def test_quarantine_list_is_staff_only(client, tokens):
    assert call(client, "GET", "/v1/properties/P1/quarantine", tokens["tenant"])[0] == 403
    s, body = call(client, "GET", "/v1/properties/P1/quarantine", tokens["front_desk"])
    assert s == 200 and body["items"] == []


# --- a written case's response is its approved written reply (issue 11, item 6) -----------

def _routed_letter(client, tokens):
    body = {"channel": "letter", "unit": "北门垃圾站", "content": "垃圾清运不及时，请书面答复整改措施。",
            "reporter": {"name": "业主委员会 刘主任"}, "kind": "complaint", "validity": "valid", "cause": "other",
            "department": "cleaning"}
    s, case = call(client, "POST", "/v1/properties/P1/cases", tokens["front_desk"], body)
    assert s == 201, case
    url = f"/v1/properties/P1/cases/{case['case_id']}"
    assert call(client, "POST", url + "/assign", tokens["front_desk"], {"assignee": "dept_staff-1"})[0] == 200
    return url


def test_a_letter_case_answered_by_phone_cannot_reach_closed_while_its_reply_is_pending(client, tokens):
    url = _routed_letter(client, tokens)
    s, reply = call(client, "POST", url + "/replies", tokens["dept_staff"], {"body": "刘主任您好：已增加清运频次。"})
    assert s == 201 and reply["status"] == "pending"
    s, case = call(client, "POST", url + "/respond", tokens["dept_staff"], {"message": "电话告知", "via": "phone"})
    assert s == 200 and case["deadlines"]["response"]["met_at"] is None
    s, err = call(client, "POST", url + "/resolve", tokens["dept_staff"], {"resolution": "已整改"})
    assert s == 409 and err["code"] == "written_reply_required"
    s, case = call(client, "GET", url, tokens["front_desk"])
    assert case["status"] == "responded" and [e["action"] for e in case["timeline"]][-1] == "respond"


def test_respond_via_email_on_an_email_case_is_refused_and_the_window_stays_open(client, tokens, written, mailbox):
    s, err = call(client, "POST", written + "/respond", tokens["dept_staff"], {"message": "已回复邮件", "via": "email"})
    assert s == 422 and err["code"] == "written_reply_required" and err["details"]["field"] == "via"
    s, case = call(client, "GET", written, tokens["front_desk"])
    assert case["deadlines"]["response"]["met_at"] is None and case["version"] == 1
    assert mailbox() == []


def test_a_posted_letter_meets_the_window_and_the_case_then_closes(client, tokens):
    url = _routed_letter(client, tokens)
    s, reply = call(client, "POST", url + "/replies", tokens["dept_staff"], {"body": "刘主任您好：已增加清运频次。"})
    s, reply = call(client, "POST", f"{url}/replies/{reply['reply_id']}/approve", tokens["manager"], {})
    assert s == 200 and reply["status"] == "approved"
    s, reply = call(client, "POST", f"{url}/replies/{reply['reply_id']}/posted", tokens["front_desk"], {})
    assert s == 200 and reply["status"] == "sent"
    for action, body, who in (("resolve", {"resolution": "已整改"}, "dept_staff"),
                              ("callback", {"reached": True, "satisfied": True}, "front_desk"),
                              ("close", {}, "front_desk")):
        s, case = call(client, "POST", f"{url}/{action}", tokens[who], body)
        assert s == 200, (action, case)
    assert case["status"] == "closed" and case["deadlines"]["response"]["met_at"] is not None

"""Who may act on which case (department scope), and for whom a case may be
logged (the reporter tenant belongs to the property)."""
from __future__ import annotations

import pytest

from tests.api.helpers import call
from tests.conftest import make_token

SUBMIT = {"unit": "3栋1201", "content": "门禁卡失效，保安不让进", "category": "security"}
ADMIN = make_token("admin", properties=("P1", "P2"), subject="admin-1")
DESK = make_token("front_desk", subject="front_desk-1", name="前台小王")
ENGINEER = make_token("dept_staff", subject="dept_staff-1", name="工程部张师傅", department="engineering")


def case_url(cid, suffix=""):
    return f"/v1/properties/P1/cases/{cid}{suffix}"


@pytest.fixture
def security_case(client):
    """A tenant's case the front desk routed to security and assigned to the guard."""
    status, case = call(client, "POST", "/v1/properties/P1/cases", make_token("tenant", subject="tenant-1"), SUBMIT)
    assert status == 201, case
    cid = case["case_id"]
    status, out = call(client, "POST", case_url(cid, "/assign"), DESK,
                       {"assignee": "dept_staff-2", "department": "security"})
    assert status == 200, out
    status, out = call(client, "POST", case_url(cid, "/start"),
                       make_token("dept_staff", subject="dept_staff-2", department="security"), {})
    assert status == 200, out
    return cid


# --- department scope ------------------------------------------------------------------

@pytest.mark.parametrize("action,body", [
    ("resolve", {"resolution": "已处理"}), ("respond", {"message": "马上到"}), ("notes", {"note": "看过了"}),
    ("escalate", {"reason": "超时"})])
def test_engineering_staff_cannot_act_on_a_security_case_assigned_to_someone_else(client, security_case, action,
                                                                                   body):
    _s, before = call(client, "GET", case_url(security_case), ADMIN)
    status, answer = call(client, "POST", case_url(security_case, f"/{action}"), ENGINEER, body)
    assert status == 403 and answer["code"] == "outside_department", answer
    _s, after = call(client, "GET", case_url(security_case), ADMIN)
    assert (after["status"], after["version"], len(after["timeline"])) == (
        before["status"], before["version"], len(before["timeline"]))


def test_staff_without_a_department_act_only_on_cases_assigned_to_them(client, security_case):
    nobody = make_token("dept_staff", subject="dept_staff-9")
    status, answer = call(client, "POST", case_url(security_case, "/notes"), nobody, {"note": "路过"})
    assert status == 403 and answer["code"] == "outside_department", answer


def test_staff_act_on_a_case_assigned_to_them_even_of_another_department(client, security_case):
    status, out = call(client, "POST", case_url(security_case, "/assign"), DESK,
                       {"assignee": "dept_staff-1", "department": "security"})
    assert status == 200, out
    status, out = call(client, "POST", case_url(security_case, "/respond"), ENGINEER, {"message": "我来看看门禁"})
    assert status == 200 and out["status"] == "responded", out


def test_security_staff_act_on_their_departments_case_assigned_to_a_colleague(client, security_case):
    colleague = make_token("dept_staff", subject="dept_staff-7", department="security")
    status, out = call(client, "POST", case_url(security_case, "/resolve"), colleague, {"resolution": "已重新授权门禁卡"})
    assert status == 200 and out["status"] == "resolved", out


def test_staff_read_any_case_of_their_property(client, security_case):
    status, case = call(client, "GET", case_url(security_case), ENGINEER)
    assert status == 200 and case["department"] == "security"


def test_managers_act_on_any_department_case(client, security_case):
    status, out = call(client, "POST", case_url(security_case, "/resolve"), make_token("manager"),
                       {"resolution": "经理亲自处理"})
    assert status == 200, out


def test_me_reports_the_department_of_the_token(client):
    status, me = call(client, "GET", "/v1/me", ENGINEER)
    assert status == 200 and me["department"] == "engineering"


# --- the reporter of a logged case is a tenant of the property ---------------------------------

CALL = {"channel": "phone", "unit": "3栋1201", "content": "业主来电：电梯异响",
        "reporter": {"name": "陳先生", "phone": "138 0000 0000"}}


@pytest.fixture
def tenants(client):
    for pid, tid, email in (("P1", "tenant-1", "li.nvshi@example.cn"), ("P2", "tenant-hk", "chan@example.hk")):
        status, out = call(client, "PUT", f"/v1/properties/{pid}/tenants/{tid}", ADMIN, {"name": "住户", "email": email})
        assert status == 200, out


def test_a_case_cannot_be_logged_for_another_propertys_tenant(client, tenants):
    body = {**CALL, "reporter": {**CALL["reporter"], "tenant_id": "tenant-hk"}}
    status, answer = call(client, "POST", "/v1/properties/P1/cases", DESK, body)
    assert status == 422 and answer["code"] == "unknown_tenant", answer
    assert answer["details"]["field"] == "reporter.tenant_id"
    status, page = call(client, "GET", "/v1/me/cases", make_token("tenant", properties=("P2",), subject="tenant-hk"))
    assert status == 200 and page["items"] == []


def test_a_case_cannot_be_logged_for_an_unknown_tenant(client, tenants):
    body = {**CALL, "reporter": {**CALL["reporter"], "tenant_id": "tenant-nobody"}}
    status, answer = call(client, "POST", "/v1/properties/P1/cases", DESK, body)
    assert status == 422 and answer["code"] == "unknown_tenant", answer


def test_a_case_logged_for_the_propertys_tenant_is_theirs_to_read(client, tenants):
    body = {**CALL, "reporter": {**CALL["reporter"], "tenant_id": "tenant-1"}}
    status, case = call(client, "POST", "/v1/properties/P1/cases", DESK, body)
    assert status == 201, case
    tenant = make_token("tenant", subject="tenant-1")
    status, page = call(client, "GET", "/v1/me/cases", tenant)
    assert [c["case_id"] for c in page["items"]] == [case["case_id"]]
    status, mine = call(client, "GET", case_url(case["case_id"]), tenant)
    assert status == 200, mine


# --- what the tenant sees of staff text ----------------------------------------------------------

def test_tenant_timeline_shows_what_staff_wrote_for_them_and_none_of_the_internal_text(client):
    tenant = make_token("tenant", subject="tenant-1")
    status, case = call(client, "POST", "/v1/properties/P1/cases", tenant,
                        {"unit": "3栋1201", "content": "空调不制冷", "category": "air_conditioning"})
    cid = case["case_id"]
    engineer = ENGINEER
    for who, action, body in (
            (DESK, "assign", {"assignee": "dept_staff-1", "department": "engineering", "note": "这户很难缠，小心"}),
            (engineer, "start", {}),
            (engineer, "respond", {"message": "师傅下午两点上门"}),
            (engineer, "resolve", {"resolution": "已更换电容，制冷恢复"}),
            (DESK, "callback", {"reached": True, "satisfied": False, "comment": "态度很差，别再派张师傅"}),
            # The tenant was not satisfied: a manager decides, with a reason.
            (make_token("manager", name="王经理"), "close",
             {"summary": "内部总结：赔偿申请已驳回", "reason": "已按合同处理"})):
        status, out = call(client, "POST", case_url(cid, f"/{action}"), who, body)
        assert status == 200, (action, out)
    status, view = call(client, "GET", case_url(cid), tenant)
    assert status == 200
    text = str(view)
    for internal in ("这户很难缠", "别再派张师傅", "赔偿申请已驳回"):
        assert internal not in text
    assert "师傅下午两点上门" in text and "已更换电容，制冷恢复" in text
    assert [e["action"] for e in view["timeline"]] == ["submitted", "assign", "respond", "resolve", "callback", "close"]
    assert "severity" not in view and "cause" not in view  # internal judgements
    status, staff = call(client, "GET", case_url(cid), DESK)
    assert all(t in str(staff) for t in ("这户很难缠", "别再派张师傅", "赔偿申请已驳回"))

"""The API tells its clients what they may do, so the console mirrors nothing:
a case read, created or acted on carries ``actions`` (role + property +
department scope + status + the written-reply rule), and ``/v1/me/permissions``
lists the caller's permission names. Also: a property's escalation step and
handover times are set through its policy, validated with 4xx codes."""
from __future__ import annotations

import pytest

from chalicelib.domain import auth
from chalicelib.http.openapi import document
from tests.api.helpers import call, read_case
from tests.api.helpers import case_url as url
from tests.conftest import contacts_of, make_token

SUBMIT = {"unit": "3栋1201", "content": "空调不制冷，室内温度30度", "category": "air_conditioning"}
TENANT = make_token("tenant", subject="tenant-1", name="李女士")
DESK = make_token("front_desk", subject="front_desk-1")
ADMIN = make_token("admin", properties=("P1", "P2"), subject="admin-1")
ENGINEER = make_token("dept_staff", subject="dept_staff-1", department="engineering")
GUARD = make_token("security", subject="security-1")
LETTER = {"channel": "letter", "unit": "3栋1201", "content": "楼上漏水一周无人处理。",
          "reporter": {"name": "李女士", "phone": "138 0000 0000"}}


@pytest.fixture
def case_id(client):
    status, body = call(client, "POST", "/v1/properties/P1/cases", TENANT, SUBMIT)
    assert status == 201, body
    return body["case_id"]


def actions(client, cid, token):
    return read_case(client, cid, token)["actions"]


def test_a_received_case_offers_the_front_desk_what_its_role_and_the_status_allow(client, case_id):
    # respond and resolve: the front desk answers or settles a call on the spot; explain waits for a
    # manager to confirm the complaint invalid
    # entry_permission: the tenant's word on the spare key, recorded for them (key register)
    assert actions(client, case_id, DESK) == ["classify", "assign", "respond", "resolve", "answer", "escalate",
                                              "note", "entry_permission", "locate"]


def test_the_tenant_is_offered_only_their_own_actions_and_no_internal_field(client, case_id):
    status, view = call(client, "GET", url(case_id), TENANT)
    assert status == 200 and view["actions"] == ["message", "entry_permission"]
    assert not {"tier", "department", "assignee", "severity", "recorder"} & set(view)


def test_the_response_to_an_action_carries_the_actions_after_it(client, case_id):
    status, body = call(client, "POST", url(case_id, "/assign"), DESK,
                        {"assignee": "dept_staff-1", "department": "engineering"})
    assert status == 200 and body["status"] == "routed"
    assert body["actions"] == ["classify", "assign", "start", "respond", "answer", "escalate", "note", "await_tenant",
                               "entry_permission", "locate"]


def test_resolved_case_offers_the_tenant_the_callback_answer_reopen_message_and_rating(client, case_id):
    for action, body in (("assign", {"assignee": "dept_staff-1", "department": "engineering"}), ("start", {}),
                         ("resolve", {"resolution": "已更换压缩机"})):
        status, out = call(client, "POST", url(case_id, f"/{action}"), DESK, body)
        assert status == 200, out
    assert actions(client, case_id, TENANT) == ["confirm", "reopen", "message", "rate"]
    assert actions(client, case_id, DESK) == ["classify", "callback", "reopen", "escalate", "note", "locate"]


def closed_consultation(client) -> str:
    status, case = call(client, "POST", "/v1/properties/P1/cases", TENANT, {"unit": "3栋1201", "content": "物业费怎么交？"})
    assert status == 201, case
    for action, body in (("classify", {"kind": "consultation"}), ("answer", {"message": "在App缴费页"})):
        status, out = call(client, "POST", url(case["case_id"], f"/{action}"), DESK, body)
        assert status == 200, out
    assert out["status"] == "closed"
    return case["case_id"]


def test_a_closed_case_offers_reopen_until_the_reopen_period_ends_and_not_after(client, clock):
    """The actions agree with the API: offered to the last moment of the
    property's reopen period, withheld once the API refuses it (409 reopen_period_over)."""
    status, prop = put_property(client, {"reopen_period": {"amount": 1, "unit": "hours"}})
    assert status == 200, prop
    cid = closed_consultation(client)
    clock.advance(hours=1)  # the period's last moment
    assert "reopen" in actions(client, cid, TENANT)
    assert "reopen" in actions(client, cid, DESK)
    clock.advance(minutes=1)
    assert "reopen" not in actions(client, cid, TENANT)
    assert "reopen" not in actions(client, cid, DESK)
    status, refused = call(client, "POST", url(cid, "/reopen"), TENANT, {"reason": "还是不会交"})
    assert status == 409 and refused["code"] == "reopen_period_over"


def test_department_scope_limits_the_actions_of_staff_below_manager(client, case_id):
    status, out = call(client, "POST", url(case_id, "/assign"), DESK,
                       {"assignee": "dept_staff-2", "department": "engineering"})
    assert status == 200, out
    assert actions(client, case_id, ENGINEER) == ["start", "respond", "answer", "escalate", "note",
                                                  "await_tenant"]
    assert actions(client, case_id, GUARD) == []  # another department's case, not assigned to them


def test_an_outstanding_written_reply_withholds_resolve_answer_explain_and_close(client):
    status, case = call(client, "POST", "/v1/properties/P1/cases", DESK, LETTER)
    assert status == 201 and case["written"] is True
    assert "answer" not in case["actions"] and "explain" not in case["actions"]
    cid = case["case_id"]
    for action, body in (("assign", {"assignee": "dept_staff-1", "department": "engineering"}), ("start", {})):
        status, out = call(client, "POST", url(cid, f"/{action}"), DESK, body)
        assert status == 200, out
    assert "resolve" not in out["actions"] and "respond" in out["actions"]
    status, refused = call(client, "POST", url(cid, "/resolve"), DESK, {"resolution": "已修"})
    assert status == 409 and refused["code"] == "written_reply_required"


def test_case_lists_stay_without_actions(client, case_id):
    status, page = call(client, "GET", "/v1/properties/P1/queue", DESK)
    assert status == 200 and page["items"] and all("actions" not in item for item in page["items"])


@pytest.mark.parametrize("role", auth.ROLES)
def test_me_permissions_lists_what_the_role_holds(client, role):
    status, body = call(client, "GET", "/v1/me/permissions", make_token(role))
    assert status == 200
    assert body == {"role": role, "permissions": sorted(p for p, roles in auth.PERMISSIONS.items() if role in roles)}


def test_me_permissions_needs_a_token(client):
    status, body = call(client, "GET", "/v1/me/permissions")
    assert status == 401 and body["code"] == "missing_token"


def test_the_openapi_document_describes_actions_and_permissions():
    doc = document()
    case = doc["components"]["schemas"]["Case"]["properties"]["actions"]
    assert case["items"] == {"$ref": "#/components/schemas/CaseAction"}
    enum = doc["components"]["schemas"]["CaseAction"]["enum"]
    assert set(enum) == {"classify", "assign", "start", "respond", "resolve", "callback", "confirm", "close",
                                          "answer", "explain", "reopen", "escalate", "note", "message", "rate",
                                          "confirm_invalid", "reject_invalid",
                                          "move_promise", "await_tenant", "resume", "close_unreachable",
                                          "entry_permission", "locate"}
    assert doc["paths"]["/v1/me/permissions"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"] == {"$ref": "#/components/schemas/Permissions"}
    assert doc["components"]["schemas"]["Permissions"]["properties"]["permissions"]["items"]["enum"] == sorted(
        auth.PERMISSIONS)


# --- escalation step and handover times through PUT /v1/properties/{id} ------------------------

def put_property(client, policy):
    return call(client, "PUT", "/v1/properties/P1", ADMIN,
                {"name": "滨江花园 Riverside Garden", "contacts": contacts_of("riverside.example"), "policy": policy})


def test_a_property_sets_its_escalation_step_and_handover_times(client):
    status, prop = put_property(client, {"escalation_step": {"amount": 1, "unit": "hours"},
                                         "handover_times": ["22:00", "10:00"]})
    assert status == 200, prop
    assert prop["policy"]["escalation_step"] == {"amount": 1, "unit": "hours"}
    assert prop["policy"]["handover_times"] == ["10:00", "22:00"]
    status, again = call(client, "GET", "/v1/properties/P1", ADMIN)
    assert again["policy"]["handover_times"] == ["10:00", "22:00"]


@pytest.mark.parametrize("policy, field", [
    ({"handover_times": ["10:00", "10:00"]}, "handover_times"),
    ({"handover_times": ["26:00"]}, "handover_times"),
    ({"escalation_step": {"amount": -1, "unit": "hours"}}, "escalation_step.amount"),
])
def test_a_bad_escalation_step_or_handover_time_is_a_422_and_the_stored_policy_stays(client, policy, field):
    status, before = call(client, "GET", "/v1/properties/P1", ADMIN)
    status, refused = put_property(client, policy)
    assert status == 422 and refused["code"] == "invalid_policy" and refused["details"] == {"field": field}
    status, after = call(client, "GET", "/v1/properties/P1", ADMIN)
    assert after == before


def test_the_console_mirrors_neither_permissions_nor_the_lifecycle():
    """The console asks the API (``/v1/me/permissions``, a case's ``actions``): no role lists, no status table."""
    from pathlib import Path
    js = (Path(__file__).resolve().parents[2] / "chalicelib" / "http" / "console" / "app.js").read_text(
        encoding="utf-8")
    assert "const PERMISSIONS" not in js and "ALLOWED_FROM" not in js and "FRONT_AND_UP" not in js
    assert '"/v1/me/permissions"' in js and "c.actions" in js
    assert "role ===" not in js and "role !==" not in js, "a decision on the role belongs to the API"

"""The front desk's part of the operator's procedure, through the API:
a call answered or resolved on the spot before any hand-off (seed 001
能当时解决当时解决), and valid/invalid (seed 003 4.5.1): the front desk only
proposes "invalid", the department manager confirms or rejects it, and only a
confirmed invalid complaint is explained and closed."""
from __future__ import annotations

import pytest

from tests.api.helpers import call, read_case
from tests.api.helpers import case_url as url
from tests.conftest import make_token

SUBMIT = {"unit": "3栋1201", "content": "隔壁商铺装修噪音，影响营业", "category": "noise_renovation"}
TENANT = make_token("tenant", subject="tenant-1", name="李女士")
DESK = make_token("front_desk", subject="front_desk-1", name="前台小王")
MANAGER = make_token("manager", subject="manager-1", name="王经理")
ENGINEER = make_token("dept_staff", subject="dept_staff-1", department="engineering")
INVALID = {"kind": "complaint", "validity": "invalid", "department": "engineering", "reason": "属政府市政工程"}


@pytest.fixture
def case_id(client):
    status, body = call(client, "POST", "/v1/properties/P1/cases", TENANT, SUBMIT)
    assert status == 201, body
    return body["case_id"]


def get(client, cid, token):
    return read_case(client, cid, token)


def test_front_desk_answers_a_call_before_hand_off_and_the_handoff_window_is_met(client, case_id):
    status, case = call(client, "POST", url(case_id, "/respond"), DESK,
                        {"message": "您好，物业费可以在App里缴纳。", "via": "phone"})
    assert status == 200, case
    assert case["status"] == "responded" and case["assignee"] is None
    assert case["deadlines"]["handoff"]["met_at"] and case["deadlines"]["handoff"]["met_on_time"] is True
    assert case["deadlines"]["response"]["met_on_time"] is True
    timeline = get(client, case_id, TENANT)["timeline"]
    assert timeline[-1]["action"] == "respond" and timeline[-1]["data"]["message"] == "您好，物业费可以在App里缴纳。"


def test_front_desk_resolves_a_call_on_the_spot_and_the_callback_still_follows(client, case_id):
    status, case = call(client, "POST", url(case_id, "/resolve"), DESK, {"resolution": "已當場為業主重置門禁卡"})
    assert status == 200, case
    assert case["status"] == "resolved" and case["deadlines"]["handoff"]["met_on_time"] is True
    assert case["deadlines"]["callback"]["met_at"] is None and "callback" in case["actions"]


def test_front_desk_invalid_is_a_proposal_the_manager_confirms_before_it_is_explained(client, case_id):
    status, proposed = call(client, "POST", url(case_id, "/classify"), DESK, INVALID)
    assert status == 200 and proposed["validity"] == "invalid" and proposed["validity_confirmed"] is False
    assert "explain" not in proposed["actions"] and "confirm_invalid" not in proposed["actions"]
    assert {"confirm_invalid", "reject_invalid"} <= set(get(client, case_id, MANAGER)["actions"])

    status, refused = call(client, "POST", url(case_id, "/explain"), DESK, {"message": "不属于物业服务范围"})
    assert status == 409 and refused["code"] == "invalid_not_confirmed"
    status, refused = call(client, "POST", url(case_id, "/confirm_invalid"), DESK, {})
    assert status == 403 and refused["code"] == "forbidden"
    status, refused = call(client, "POST", url(case_id, "/confirm_invalid"), ENGINEER, {})
    assert status == 403 and refused["code"] == "forbidden"
    assert get(client, case_id, DESK)["version"] == proposed["version"]  # nothing stored by the refusals

    tenant_view = get(client, case_id, TENANT)
    assert "validity" not in tenant_view and "validity_confirmed" not in tenant_view
    assert [e["action"] for e in tenant_view["timeline"]] == ["submitted"]

    status, confirmed = call(client, "POST", url(case_id, "/confirm_invalid"), MANAGER,
                             {"reason": "核實：市政道路施工", "version": proposed["version"]})
    assert status == 200 and confirmed["validity_confirmed"] is True
    assert "explain" in get(client, case_id, DESK)["actions"]
    status, closed = call(client, "POST", url(case_id, "/explain"), DESK,
                          {"message": "此為市政工程，已為您聯繫街道辦。", "via": "phone"})
    assert status == 200 and closed["status"] == "closed"
    actions = [e["action"] for e in get(client, case_id, TENANT)["timeline"]]
    assert actions == ["submitted", "explain"]  # the proposal and its confirmation stay internal


def test_manager_rejecting_the_proposal_makes_the_complaint_valid(client, case_id):
    status, proposed = call(client, "POST", url(case_id, "/classify"), DESK, INVALID)
    assert status == 200, proposed
    status, refused = call(client, "POST", url(case_id, "/reject_invalid"), MANAGER, {})
    assert status == 422 and refused["code"] == "validation_error" and refused["details"]["required"] == ["reason"]
    status, valid = call(client, "POST", url(case_id, "/reject_invalid"), MANAGER, {"reason": "屬於本商場服務範圍"})
    assert status == 200 and valid["validity"] == "valid" and valid["validity_confirmed"] is False
    assert not {"explain", "confirm_invalid", "reject_invalid"} & set(valid["actions"])
    status, refused = call(client, "POST", url(case_id, "/explain"), DESK, {"message": "x"})
    assert status == 409 and refused["code"] == "illegal_transition"
    staff_timeline = get(client, case_id, MANAGER)["timeline"]
    assert staff_timeline[-1]["action"] == "reject_invalid"
    assert staff_timeline[-1]["data"] == {"reason": "屬於本商場服務範圍"}


def test_confirming_a_complaint_nobody_proposed_invalid_is_a_409(client, case_id):
    status, refused = call(client, "POST", url(case_id, "/confirm_invalid"), MANAGER, {})
    assert status == 409 and refused["code"] == "illegal_transition"
    assert refused["details"]["validity"] is None

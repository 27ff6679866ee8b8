"""Inviting tenants to sign in and deactivating them, over HTTP, against Cognito on
(in-process) moto: what the front desk sees, what the tenant's account gets, who is refused."""
from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest

from tests.api.helpers import call
from tests.cognito_pool import make_pool, trust_moto_keys
from tests.conftest import make_token

INVITE = "/v1/properties/{p}/tenants/{t}/invite"
DEACTIVATE = "/v1/properties/{p}/tenants/{t}/deactivate"
LI = {"name": "李女士", "email": "li.nvshi@example.cn", "unit": "3栋1201", "lang": "zh-Hans"}
WONG = {"name": "黃小姐", "email": "wong.shop@example.com.hk", "unit": "L2-15", "lang": "zh-Hant"}


@pytest.fixture
def pool(client, tokens, monkeypatch):
    pool_id, client_id = make_pool(monkeypatch)
    trust_moto_keys(monkeypatch)
    for pid, tid, record in (("P1", "tenant-1", LI), ("P2", "tenant-5", WONG)):
        status, out = call(client, "PUT", f"/v1/properties/{pid}/tenants/{tid}", tokens["admin"], record)
        assert status == 200, out
    return pool_id, client_id


def _cognito():
    return boto3.client("cognito-idp", region_name="ap-southeast-1")


def _user(pool_id, email):
    user = _cognito().admin_get_user(UserPoolId=pool_id, Username=email)
    return user, {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_front_desk_invites_a_tenant_whose_account_carries_the_scope_the_system_set(client, tokens, pool):
    pool_id, _ = pool
    status, record = call(client, "POST", INVITE.format(p="P1", t="tenant-1"), tokens["front_desk"], {})
    assert status == 201, record
    login = record["login"]
    assert (login["status"], login["email"], login["channel"], login["invitations"], login["invited_by"]) == (
        "invited", "li.nvshi@example.cn", "email", 1, "front_desk-1")
    assert record["name"] == "李女士" and record["unit"] == "3栋1201"  # the record's own fields stay
    user, attrs = _user(pool_id, "li.nvshi@example.cn")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert (attrs["custom:tenant_id"], attrs["custom:properties"], attrs["name"], attrs["locale"]) == (
        "tenant-1", "P1", "李女士", "zh-Hans")
    assert login["username"] == attrs["sub"]
    groups = _cognito().admin_list_groups_for_user(UserPoolId=pool_id, Username="li.nvshi@example.cn")["Groups"]
    assert [g["GroupName"] for g in groups] == ["tenant"]


def test_inviting_again_resends_and_counts(client, tokens, pool):
    call(client, "POST", INVITE.format(p="P1", t="tenant-1"), tokens["front_desk"], {})
    status, record = call(client, "POST", INVITE.format(p="P1", t="tenant-1"), tokens["manager"], {})
    assert status == 200 and record["login"]["invitations"] == 2 and record["login"]["invited_by"] == "manager-1"


def test_invitation_by_sms_in_traditional_chinese(client, tokens, pool):
    pool_id, _ = pool
    token = make_token("front_desk", properties=("P2",), subject="front-p2")
    status, record = call(client, "POST", INVITE.format(p="P2", t="tenant-5"), token,
                          {"phone": "+85291234567", "name": "黃美玲小姐", "lang": "zh-Hant"})
    assert status == 201, record
    assert record["login"]["channel"] == "sms" and record["login"]["lang"] == "zh-Hant"
    _, attrs = _user(pool_id, "wong.shop@example.com.hk")
    assert (attrs["phone_number"], attrs["name"], attrs["locale"]) == ("+85291234567", "黃美玲小姐", "zh-Hant")


def test_the_tenant_record_keeps_the_invitation_when_staff_update_it(client, tokens, pool):
    call(client, "POST", INVITE.format(p="P1", t="tenant-1"), tokens["front_desk"], {})
    status, record = call(client, "PUT", "/v1/properties/P1/tenants/tenant-1", tokens["admin"],
                          {**LI, "unit": "3栋1202"})
    assert status == 200 and record["unit"] == "3栋1202" and record["login"]["status"] == "invited"


@pytest.mark.parametrize("who", ["tenant", "dept_staff"])
def test_tenants_and_department_staff_may_not_invite_or_deactivate(client, tokens, pool, who):
    for route in (INVITE, DEACTIVATE):
        status, body = call(client, "POST", route.format(p="P1", t="tenant-1"), tokens[who], {})
        assert status == 403 and body["code"] == "forbidden"


def test_security_may_not_invite(client, pool):
    status, body = call(client, "POST", INVITE.format(p="P1", t="tenant-1"), make_token("security"), {})
    assert status == 403


def test_a_tenant_of_another_property_or_nobody_is_404(client, tokens, pool):
    for tenant in ("tenant-5", "tenant-404"):
        status, body = call(client, "POST", INVITE.format(p="P1", t=tenant), tokens["front_desk"], {})
        assert status == 404 and body["code"] == "tenant_not_found"
    status, body = call(client, "POST", INVITE.format(p="P1", t="tenant-1"), tokens["front_desk_p2"], {})
    assert status == 404


def test_bad_phone_is_422(client, tokens, pool):
    status, body = call(client, "POST", INVITE.format(p="P1", t="tenant-1"), tokens["front_desk"],
                        {"phone": "0912345678"})
    assert status == 422 and body["details"]["field"] == "phone"


def test_without_a_user_pool_inviting_is_503_not_500(client, tokens):
    call(client, "PUT", "/v1/properties/P1/tenants/tenant-1", tokens["admin"], LI)
    status, body = call(client, "POST", INVITE.format(p="P1", t="tenant-1"), tokens["front_desk"], {})
    assert status == 503 and body["code"] == "sign_in_not_configured"


def test_moving_out_revokes_the_sessions_and_keeps_the_cases(client, tokens, pool, clock):
    pool_id, client_id = pool
    clock.now = datetime.now(timezone.utc)  # moto issues tokens by the wall clock
    tokens = {k: make_token(k, now=clock.now) for k in ("front_desk", "manager")}
    call(client, "POST", INVITE.format(p="P1", t="tenant-1"), tokens["front_desk"], {})
    cognito = _cognito()
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=LI["email"], Password="Li-Nvshi-2026!",
                                    Permanent=True)
    signed_in = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": LI["email"], "PASSWORD": "Li-Nvshi-2026!"})
    refresh = signed_in["AuthenticationResult"]["RefreshToken"]
    status, case = call(client, "POST", "/v1/properties/P1/cases", signed_in["AuthenticationResult"]["IdToken"],
                        {"unit": "3栋1201", "content": "搬走前最后一次报修：阳台门关不上"})
    assert status == 201, case

    status, record = call(client, "POST", DEACTIVATE.format(p="P1", t="tenant-1"), tokens["front_desk"],
                          {"reason": "租约到期搬离"})
    assert status == 200, record
    assert record["active"] is False and record["login"]["status"] == "deactivated"
    assert record["deactivation_reason"] == "租约到期搬离"
    user, _ = _user(pool_id, LI["email"])
    assert user["Enabled"] is False
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                              AuthParameters={"REFRESH_TOKEN": refresh})
    status, kept = call(client, "GET", f"/v1/properties/P1/cases/{case['case_id']}", tokens["front_desk"])
    assert status == 200 and kept["content"] == "搬走前最后一次报修：阳台门关不上"
    # twice is harmless; inviting a tenant who moved out is refused
    status, again = call(client, "POST", DEACTIVATE.format(p="P1", t="tenant-1"), tokens["manager"], {})
    assert status == 200 and again["deactivated_by"] == "front_desk-1"
    status, body = call(client, "POST", INVITE.format(p="P1", t="tenant-1"), tokens["front_desk"], {})
    assert status == 409 and body["code"] == "tenant_inactive"


def test_deactivating_a_tenant_never_invited_needs_no_user_pool(client, tokens):
    call(client, "PUT", "/v1/properties/P1/tenants/tenant-1", tokens["admin"], LI)
    status, record = call(client, "POST", DEACTIVATE.format(p="P1", t="tenant-1"), tokens["front_desk"], {})
    assert status == 200 and record["active"] is False and "login" not in record

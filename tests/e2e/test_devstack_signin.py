"""Sign-in end to end on the local stack, as a tenant's app does it: the front desk
invites a newly registered tenant, the tenant sets a password, signs in through
Cognito (moto, RS256 tokens the API verifies with the pool's JWKS), reads their cases,
refreshes, and after moving out can refresh no more."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import boto3
import pytest

from tests.e2e.test_devstack import ROOT, launch

PASSWORD = "Zhou-Taitai-2026!"


@pytest.fixture
def stack(tmp_path):
    yield from launch(tmp_path)


def _cli_token(stack, *args):
    return subprocess.run([sys.executable, "-m", "chalicelib.cli", "token", *args], cwd=ROOT, env=stack.env,
                          capture_output=True, text=True, check=True).stdout.strip()


def test_invite_sign_in_refresh_and_move_out(stack, tmp_path):
    admin = _cli_token(stack, "--role", "admin", "--property", "P1")
    desk = _cli_token(stack, "--role", "front_desk", "--property", "P1")
    status, _, _ = stack.call("PUT", "/v1/properties/P1/tenants/tenant-7", admin,
                              {"name": "周太太", "email": "zhou.taitai@example.cn", "unit": "5栋802"})
    assert status == 200
    status, record, _ = stack.call("POST", "/v1/properties/P1/tenants/tenant-7/invite", desk, {})
    assert status == 201 and record["login"]["status"] == "invited", record

    state = json.loads((tmp_path / "stack.json").read_text(encoding="utf-8"))["env"]
    aws = re.search(r"AWS \(moto\)\s+(http://\S+)", stack.output()).group(1)
    cognito = boto3.client("cognito-idp", endpoint_url=aws, region_name="ap-southeast-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    pool, client_id = state["TD_USER_POOL_ID"], state["TD_USER_POOL_CLIENT_IDS"].split(",")[0]
    # What the tenant does after the invitation mail: choose a password.
    cognito.admin_set_user_password(UserPoolId=pool, Username="zhou.taitai@example.cn", Password=PASSWORD,
                                    Permanent=True)
    tokens = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": "zhou.taitai@example.cn", "PASSWORD": PASSWORD})["AuthenticationResult"]

    status, me, _ = stack.call("GET", "/v1/me", tokens["IdToken"])
    assert status == 200 and (me["subject"], me["role"], me["properties"], me["name"]) == (
        "tenant-7", "tenant", ["P1"], "周太太")
    status, case, _ = stack.call("POST", "/v1/properties/P1/cases", tokens["IdToken"],
                                 {"unit": "5栋802", "content": "卫生间天花板渗水，滴到洗手台上。"})
    assert status == 201, case
    status, page, _ = stack.call("GET", "/v1/me/cases", tokens["IdToken"])
    assert status == 200 and [c["case_id"] for c in page["items"]] == [case["case_id"]]
    # the access token is not the API's: it carries no scope
    status, body, _ = stack.call("GET", "/v1/me/cases", tokens["AccessToken"])
    assert status == 401 and body["code"] == "invalid_token"

    refreshed = cognito.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
        "REFRESH_TOKEN": tokens["RefreshToken"]})["AuthenticationResult"]
    status, page, _ = stack.call("GET", "/v1/me/cases", refreshed["IdToken"])
    assert status == 200 and len(page["items"]) == 1

    status, record, _ = stack.call("POST", "/v1/properties/P1/tenants/tenant-7/deactivate", desk,
                                   {"reason": "租约到期"})
    assert status == 200 and record["active"] is False
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
            "REFRESH_TOKEN": tokens["RefreshToken"]})
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
            "USERNAME": "zhou.taitai@example.cn", "PASSWORD": PASSWORD})
    status, kept, _ = stack.call("GET", f"/v1/properties/P1/cases/{case['case_id']}", desk)
    assert status == 200 and kept["content"] == "卫生间天花板渗水，滴到洗手台上。"


def test_the_banner_tells_how_to_sign_in_and_the_demo_tenant_can(stack, tmp_path):
    out = stack.output()
    assert "Sign in like an app" in out and "li.nvshi@example.cn" in out
    signed = subprocess.run([sys.executable, "-m", "devstack.signin", "li.nvshi@example.cn"], cwd=ROOT,
                            env=stack.env, capture_output=True, text=True, check=True).stdout.strip()
    status, me, _ = stack.call("GET", "/v1/me", signed)
    assert status == 200 and (me["subject"], me["name"]) == ("tenant-1", "李女士")

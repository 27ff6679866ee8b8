"""One contract, two user directories (ports.UserDirectory): Cognito under moto and
the in-memory twin the service tests use."""
from __future__ import annotations

import boto3
import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.services.ports import TenantAccount
from tests.cognito_pool import make_pool

LI = TenantAccount(tenant_id="tenant-1", property_ids=("P1",), email="li.nvshi@example.cn", name="李女士",
                   lang="zh-Hans")


class Cognito:
    def __init__(self):
        from chalicelib.adapters.cognito import CognitoDirectory
        self.client = boto3.client("cognito-idp", region_name="ap-southeast-1")
        self.pool, _ = make_pool()
        self.directory = CognitoDirectory(lambda: self.client, self.pool)

    def set_password(self, email):
        self.client.admin_set_user_password(UserPoolId=self.pool, Username=email, Password="Pass-word-123!",
                                            Permanent=True)

    def user(self, email):
        user = self.client.admin_get_user(UserPoolId=self.pool, Username=email)
        attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        groups = [g["GroupName"] for g in
                  self.client.admin_list_groups_for_user(UserPoolId=self.pool, Username=email)["Groups"]]
        return {"tenant_id": attrs.get("custom:tenant_id"), "properties": attrs["custom:properties"].split(","),
                "name": attrs.get("name"), "enabled": user["Enabled"], "groups": groups, "sub": attrs["sub"]}


class Memory:
    def __init__(self):
        from chalicelib.adapters.memory_directory import MemoryDirectory
        self.directory = MemoryDirectory()

    def set_password(self, email):
        self.directory.set_password(email)

    def user(self, email):
        return dict(self.directory.users[email])


@pytest.fixture(params=["memory", "cognito"])
def directory(request):
    if request.param == "memory":
        return Memory()
    request.getfixturevalue("aws")
    return Cognito()


def test_an_invited_tenant_has_the_scope_the_system_set(directory):
    result = directory.directory.invite(LI)
    assert result["resent"] is False and result["username"]
    user = directory.user(LI.email)
    assert (user["tenant_id"], user["properties"], user["name"], user["groups"], user["enabled"]) == (
        "tenant-1", ["P1"], "李女士", ["tenant"], True)
    assert user["sub"] == result["username"]


def test_inviting_again_before_the_first_sign_in_resends(directory):
    first = directory.directory.invite(LI)
    again = directory.directory.invite(LI)
    assert again == {"username": first["username"], "resent": True}


def test_no_resend_once_signed_in_and_no_taking_over_another_tenants_email(directory):
    directory.directory.invite(LI)
    with pytest.raises(Conflict) as info:
        directory.directory.invite(TenantAccount("tenant-9", ("P1",), LI.email, "冒名者", "zh-Hans"))
    assert info.value.code == "email_in_use"
    directory.set_password(LI.email)
    with pytest.raises(Conflict) as info:
        directory.directory.invite(LI)
    assert info.value.code == "account_active"


def test_disable_turns_the_account_off_and_is_harmless_twice_or_for_nobody(directory):
    directory.directory.invite(LI)
    assert directory.directory.disable(LI.email) is True
    assert directory.user(LI.email)["enabled"] is False
    assert directory.directory.disable(LI.email) is True
    assert directory.directory.disable("nobody@example.cn") is False
    with pytest.raises(Conflict) as info:
        directory.directory.invite(LI)
    assert info.value.code == "account_disabled"


def test_cognito_refusing_an_address_is_a_422_not_a_500(aws):
    directory = Cognito().directory
    from chalicelib.domain.errors import ValidationFailed
    with pytest.raises(ValidationFailed) as info:
        directory.invite(TenantAccount("tenant-1", ("P1",), "L\u0003q#p$4I@oLBD.fq", "李女士", "zh-Hans"))
    assert info.value.status == 422 and info.value.code == "invalid_account_details"

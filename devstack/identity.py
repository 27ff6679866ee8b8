"""Sign-in on the local stack: a Cognito user pool on moto, made like infra/identity.py
makes it on AWS (groups, the scope attributes, an app client), and demo users who sign
in with a password (InitiateAuth USER_PASSWORD_AUTH; moto issues RS256 tokens and serves
the pool's JWKS, which the API verifies: chalicelib/http/identity.py).

The demo tenants are invited the way the front desk invites them
(``OnboardingService.invite``: the tenant record carries the invitation) and then set
their password as they would after the invitation mail.
"""
from __future__ import annotations

import os
from typing import Any

from chalicelib.resources import LOCAL
from devstack.mail import _client

# Local only: moto's accounts, gone when the stack stops. Never a real password.
DEMO_PASSWORD = "Tenantdesk-demo-2026!"
GROUPS = ("tenant", "security", "front_desk", "shift_lead", "dept_staff", "manager", "director", "admin")
# The scope attributes (infra/identity.py): written by the system, by no app client.
CUSTOM_ATTRIBUTES = ("properties", "department", "tenant_id")
# (tenant id, property) of seeded tenant records (devstack/seed.py TENANT_EMAILS) who get an account.
DEMO_TENANTS = (("tenant-1", "P1"), ("tenant-3", "P1"), ("tenant-5", "P2"))
# Staff who sign in through Cognito too: (email, group, properties, name, locale, department).
DEMO_STAFF = (
    ("desk@riverside.example", "front_desk", "P1", "前台小王", "zh-Hans", None),
    ("manager@riverside.example", "manager", "P1", "王经理", "zh-Hans", None),
    ("eng@riverside.example", "dept_staff", "P1", "工程部张师傅", "zh-Hans", "engineering"),
)


def create_pool(cognito: Any | None = None) -> dict[str, str]:
    """The pool, its groups and the app client; returns the settings the API reads
    (chalicelib/config.py) to verify the pool's tokens and to invite tenants."""
    cognito = cognito or _client("cognito-idp")
    pool = cognito.create_user_pool(
        PoolName=LOCAL.user_pool, UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
        Schema=[{"Name": name, "AttributeDataType": "String", "Mutable": True,
                 "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"}}
                for name in CUSTOM_ATTRIBUTES])["UserPool"]
    for group in GROUPS:
        cognito.create_group(UserPoolId=pool["Id"], GroupName=group)
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName=LOCAL.user_pool_client, GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ReadAttributes=["email", "email_verified", "name", "locale", "phone_number",
                        *(f"custom:{a}" for a in CUSTOM_ATTRIBUTES)],
        WriteAttributes=["name", "locale"])["UserPoolClient"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    settings = {"TD_USER_POOL_ID": pool["Id"], "TD_USER_POOL_CLIENT_IDS": client["ClientId"]}
    if endpoint:  # server mode: moto serves the pool's keys here
        settings["TD_COGNITO_JWKS_URL"] = f"{endpoint}/{pool['Id']}/.well-known/jwks.json"
    return settings


def create_demo_users(pool_id: str, cognito: Any | None = None) -> list[tuple[str, str, str]]:
    """Demo tenants (invited through the onboarding service) and staff, each with
    ``DEMO_PASSWORD``; returns (email, role, name) of each."""
    from chalicelib import runtime
    from devstack.seed import PEOPLE

    cognito = cognito or _client("cognito-idp")
    admin = PEOPLE["ADMIN"].principal()
    made = []
    for tenant_id, property_id in DEMO_TENANTS:
        record, _ = runtime.onboarding().invite(admin, property_id, tenant_id, {})
        email = record["login"]["email"]
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=DEMO_PASSWORD, Permanent=True)
        made.append((email, "tenant", record["name"]))
    for email, group, properties, name, locale, department in DEMO_STAFF:
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                      {"Name": "name", "Value": name}, {"Name": "locale", "Value": locale},
                      {"Name": "custom:properties", "Value": properties}]
        if department:
            attributes.append({"Name": "custom:department", "Value": department})
        cognito.admin_create_user(UserPoolId=pool_id, Username=email, UserAttributes=attributes,
                                  MessageAction="SUPPRESS")
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=DEMO_PASSWORD, Permanent=True)
        made.append((email, group, name))
    return made

"""Issue 15 on the synthesized template: the apps' client (public, SRP + refresh, hosted
UI code flow back to the app's URL scheme), the hosted-UI domain, the tenant id attribute
no app may write, and the API's least-privilege Admin* calls on its own pool."""
from __future__ import annotations

import pytest
from infra_template import resources

from chalicelib.resources import for_stage


def _clients(t: dict) -> dict:
    return {c["Properties"]["ClientName"]: c["Properties"]
            for c in resources(t, "AWS::Cognito::UserPoolClient").values()}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_apps_client_is_public_srp_and_code_flow_back_to_the_app(synth, stage):
    t = synth.json(stage)
    app = _clients(t)[for_stage(stage).user_pool_app_client]
    assert "GenerateSecret" not in app or app["GenerateSecret"] is False
    assert set(app["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert app["AllowedOAuthFlowsUserPoolClient"] is True and app["AllowedOAuthFlows"] == ["code"]
    assert set(app["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert {"tenantdesk://auth", "http://localhost:8000/app/"} == set(app["CallbackURLs"])
    assert app["SupportedIdentityProviders"] == ["COGNITO"]
    assert app["EnableTokenRevocation"] is True and app["PreventUserExistenceErrors"] == "ENABLED"
    assert (app["IdTokenValidity"], app["AccessTokenValidity"], app["RefreshTokenValidity"]) == (30, 30, 43200)
    assert app["TokenValidityUnits"] == {"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "minutes"}
    # the web client stays SRP only
    web = _clients(t)[for_stage(stage).user_pool_client]
    assert not web.get("AllowedOAuthFlows") and web["AllowedOAuthFlowsUserPoolClient"] is False


def test_the_tenant_id_is_an_attribute_of_the_pool_and_sms_invitations_can_be_sent(dev):
    (pool,) = resources(dev, "AWS::Cognito::UserPool").values()
    schema = {a["Name"]: a for a in pool["Properties"]["Schema"]}
    assert schema["tenant_id"]["AttributeDataType"] == "String"
    assert "SnsCallerArn" in pool["Properties"]["SmsConfiguration"]


def test_hosted_ui_domain_on_the_pool(dev):
    (pool,) = resources(dev, "AWS::Cognito::UserPool")
    (domain,) = resources(dev, "AWS::Cognito::UserPoolDomain").values()
    assert domain["Properties"]["UserPoolId"] == {"Ref": pool}
    # the stage and the account (the synth's test account here): unique per region, as Cognito requires
    assert domain["Properties"]["Domain"] == "tenantdesk-dev-123456789012"
    assert "HostedUiUrl" in dev["Outputs"] and "AppClientId" in dev["Outputs"]


def _statements(t: dict, role_prefix: str) -> list:
    return [s for p in resources(t, "AWS::IAM::Policy").values()
            if any(r.get("Ref", "").startswith(role_prefix) for r in p["Properties"]["Roles"])
            for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_only_the_api_may_invite_and_deactivate_and_only_on_its_own_pool(dev):
    (pool,) = resources(dev, "AWS::Cognito::UserPool")
    cognito = {fn: [s for s in _statements(dev, f"{fn}Role") if "cognito-idp" in str(s["Action"])]
               for fn in ("APIHandler", "InboundMail", "WatchTasks", "WatchOutbox", "WrittenReplyOutbox",
                          "CallbackReminders", "HandoverAndStats")}
    assert cognito.pop("APIHandler") == [{
        "Action": ["cognito-idp:AdminCreateUser", "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminGetUser",
                   "cognito-idp:AdminDisableUser", "cognito-idp:AdminUserGlobalSignOut"],
        "Effect": "Allow", "Resource": {"Fn::GetAtt": [pool, "Arn"]}, "Sid": "InviteAndDeactivateTenants"}]
    assert not any(cognito.values()), cognito


def test_the_api_knows_its_pool_and_the_clients_whose_tokens_it_takes(dev):
    (pool,) = resources(dev, "AWS::Cognito::UserPool")
    clients = resources(dev, "AWS::Cognito::UserPoolClient")
    for fn in resources(dev, "AWS::Serverless::Function").values():
        env = fn["Properties"]["Environment"]["Variables"]
        assert env["TD_USER_POOL_ID"] == {"Ref": pool}
        joined = env["TD_USER_POOL_CLIENT_IDS"]["Fn::Join"]
        assert joined[0] == "," and {r["Ref"] for r in joined[1]} == set(clients)


def test_the_app_is_told_to_sign_in_through_the_hosted_ui_with_the_apps_client(dev):
    """Without these the app's sign-in config (GET /app/signin) falls back to a password form,
    which the apps' client (SRP and code flow only) refuses on AWS."""
    (domain,) = resources(dev, "AWS::Cognito::UserPoolDomain")
    app_client = next(logical for logical, c in resources(dev, "AWS::Cognito::UserPoolClient").items()
                      if c["Properties"]["ClientName"] == for_stage("dev").user_pool_app_client)
    for fn in resources(dev, "AWS::Serverless::Function").values():
        env = fn["Properties"]["Environment"]["Variables"]
        assert env["TD_APP_CLIENT_ID"] == {"Ref": app_client}
        assert "TD_APP_SIGNIN" not in env  # the mode follows: hosted_ui when the URL is set
        assert domain in str(env["TD_HOSTED_UI_URL"]) and "amazoncognito.com" in str(env["TD_HOSTED_UI_URL"])

"""Deployed stages: API Gateway's Cognito authorizer has verified the caller
and the app maps its claims to a role and properties. Driven with the proxy
event API Gateway sends, since the test client does not run authorizers."""
from __future__ import annotations

import json

import pytest


def proxy_event(path_template, path, params, claims=None, method="GET", headers=None):
    context = {"resourcePath": path_template, "httpMethod": method, "requestId": "req-1", "stage": "v1"}
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {"resource": path_template, "path": path, "httpMethod": method, "headers": headers or {},
            "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "pathParameters": params, "stageVariables": None, "requestContext": context, "body": None,
            "isBase64Encoded": False}


@pytest.fixture
def cognito(runtime_wired, monkeypatch):
    monkeypatch.setenv("TD_AUTH_MODE", "cognito")
    from app import app
    return app


def invoke(app, event):
    response = app(event, None)
    return response["statusCode"], json.loads(response["body"])


def test_manager_group_claims_read_their_property_queue(cognito):
    claims = {"sub": "u-123", "cognito:groups": "[manager]", "custom:properties": "P1", "name": "王经理",
              "locale": "zh-Hans"}
    status, body = invoke(cognito, proxy_event("/v1/properties/{property_id}/queue", "/v1/properties/P1/queue",
                                               {"property_id": "P1"}, claims))
    assert status == 200 and body["items"] == []


def test_cognito_claims_for_another_property_get_404(cognito):
    claims = {"sub": "u-9", "cognito:groups": "front_desk", "custom:properties": "P2"}
    status, body = invoke(cognito, proxy_event("/v1/properties/{property_id}/queue", "/v1/properties/P1/queue",
                                               {"property_id": "P1"}, claims))
    assert status == 404


def test_cognito_mode_ignores_bearer_tokens_without_authorizer_claims(cognito, tokens):
    event = proxy_event("/v1/me", "/v1/me", None, None, headers={"authorization": f"Bearer {tokens['admin']}"})
    status, body = invoke(cognito, event)
    assert status == 401 and body["code"] == "missing_token"


def test_tenant_group_maps_to_tenant_role(cognito):
    claims = {"sub": "tenant-77", "cognito:groups": "tenant", "custom:properties": "P1,P2", "locale": "en"}
    status, body = invoke(cognito, proxy_event("/v1/me", "/v1/me", None, claims))
    assert status == 200
    assert body == {"subject": "tenant-77", "role": "tenant", "properties": ["P1", "P2"], "name": "", "lang": "en",
                    "department": None}


def test_department_claim_limits_dept_staff_to_their_departments_cases(cognito):
    claims = {"sub": "u-eng", "cognito:groups": "dept_staff", "custom:properties": "P1",
              "custom:department": "engineering"}
    status, body = invoke(cognito, proxy_event("/v1/me", "/v1/me", None, claims))
    assert status == 200 and body["role"] == "dept_staff" and body["department"] == "engineering"


def test_packaging_with_a_user_pool_protects_every_route_but_health_and_openapi():
    import subprocess
    import sys
    code = ("import app, json; print(json.dumps({p + ' ' + m: bool(e.authorizer) "
            "for p, es in app.app.routes.items() for m, e in es.items()}))")
    env = {**__import__("os").environ,
           "TD_USER_POOL_ARN": "arn:aws:cognito-idp:ap-southeast-1:111111111111:userpool/ap-southeast-1_abc"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    protected = json.loads(out.stdout)
    # The API's description and health, and the static files of the staff console and the tenant app
    # (they hold no data; every call they make carries a token).
    public = {"/v1/health GET", "/v1/openapi.json GET", "/console GET", "/console/{name} GET",
              "/app GET", "/app/config.json GET", "/app/{name} GET",
              # the public web form: visitors have no account (chalicelib/http/routes_public.py)
              "/p/{property_id} GET", "/public/{name} GET", "/v1/public/properties/{property_id} GET",
              "/v1/public/properties/{property_id}/submissions POST",
              "/v1/public/properties/{property_id}/submissions/{submission_id}/verify POST"}
    assert {k for k, v in protected.items() if not v} == public
    assert all(v for k, v in protected.items() if k not in public)

"""Issue 11 on the synthesized template: what a signed-in user may change about
themselves, what happens to mail the intake keeps failing on, throttling, and what
API Gateway answers by itself. moto enforces none of this, so it is proved here."""
from __future__ import annotations

import json
import re

import pytest
from infra_template import resources

from chalicelib.resources import for_stage

# What a user may change about their own account: nothing that decides what they see.
USER_WRITABLE = {"name", "locale"}
# Claims chalicelib/domain/auth.py maps to a principal's scope; the ID token carries only
# attributes the app client may read.
SCOPE_CLAIMS = {"custom:properties", "custom:department", "custom:tenant_id"}


def _api(t: dict) -> dict:
    (api,) = resources(t, "AWS::Serverless::Api").values()
    return api["Properties"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_app_client_lets_a_user_write_their_own_scope_or_any_custom_attribute(synth, stage):
    t = synth.json(stage)
    clients = resources(t, "AWS::Cognito::UserPoolClient")
    assert clients
    for logical, client in clients.items():
        props = client["Properties"]
        # Without WriteAttributes, a user may write every writable attribute of the pool,
        # custom:properties included (UpdateUserAttributes with their own access token).
        assert "WriteAttributes" in props, f"{logical}: no explicit WriteAttributes"
        write = set(props["WriteAttributes"])
        assert not {a for a in write if a.startswith(("custom:", "dev:"))}, f"{logical} writes {write}"
        assert write <= USER_WRITABLE, f"{logical}: users may write {write - USER_WRITABLE}"


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_app_clients_still_read_the_scope_claims_the_api_maps(synth, stage):
    t = synth.json(stage)
    (pool,) = resources(t, "AWS::Cognito::UserPool").values()
    custom = {"custom:" + a["Name"] for a in pool["Properties"]["Schema"]}
    assert SCOPE_CLAIMS <= custom
    for logical, client in resources(t, "AWS::Cognito::UserPoolClient").items():
        assert SCOPE_CLAIMS <= set(client["Properties"].get("ReadAttributes", [])), logical
        # Never the implicit flow (tokens in a URL): SRP, or the hosted UI's code flow (+ PKCE).
        assert set(client["Properties"].get("AllowedOAuthFlows", [])) <= {"code"}, logical


def test_inbound_mail_the_intake_fails_on_three_times_lands_in_an_alarmed_queue(dev):
    configs = [c["Properties"] for c in resources(dev, "AWS::Lambda::EventInvokeConfig").values()
               if c["Properties"]["FunctionName"] == {"Ref": "InboundMail"}]
    assert len(configs) == 1, "inbound_mail has no async invoke config: a thrice-failed mail is dropped"
    (cfg,) = configs
    assert cfg["Qualifier"] == "$LATEST"
    assert cfg["MaximumRetryAttempts"] == 2  # 1 attempt + 2 retries
    destination = cfg["DestinationConfig"]["OnFailure"]["Destination"]
    queue_id, attr = destination["Fn::GetAtt"]
    assert attr == "Arn"
    queue = dev["Resources"][queue_id]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["QueueName"] == for_stage("dev").inbound_mail_failures
    assert queue["Properties"]["MessageRetentionPeriod"] >= 14 * 24 * 3600
    assert queue["Properties"]["SqsManagedSseEnabled"] is True

    # Lambda delivers to the destination with the function's own role.
    role = dev["Resources"]["InboundMail"]["Properties"]["Role"]["Fn::GetAtt"][0]
    sends = [s for p in resources(dev, "AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]
             for s in p["Properties"]["PolicyDocument"]["Statement"]
             if s["Action"] == "sqs:SendMessage" and s["Resource"] == destination]
    assert sends, "the inbound_mail role cannot send to its on-failure destination"

    alarms = [a["Properties"] for a in resources(dev, "AWS::CloudWatch::Alarm").values()
              if {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}
              in a["Properties"].get("Dimensions", [])]
    assert len(alarms) == 1
    (alarm,) = alarms
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["AlarmActions"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_api_stage_and_costly_or_public_routes_are_throttled(synth, stage):
    api = _api(synth.json(stage))
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in api.get("MethodSettings", [])}
    stage_wide = settings.pop(("/*", "*"), None)
    assert stage_wide, "no stage-wide throttling"
    assert 0 < stage_wide["ThrottlingRateLimit"] <= 1000
    assert stage_wide["ThrottlingRateLimit"] <= stage_wide["ThrottlingBurstLimit"] <= 5000

    paths = api["DefinitionBody"]["paths"]
    routes = {}
    for (resource_path, method), s in settings.items():
        assert resource_path.startswith("/~1"), resource_path  # "/" then the path, "/" escaped as ~1
        path = resource_path[1:].replace("~1", "/")
        assert method.lower() in paths.get(path, {}), f"throttling names a route the API lacks: {method} {path}"
        assert 0 < s["ThrottlingRateLimit"] < stage_wide["ThrottlingRateLimit"], (path, method)
        assert s["ThrottlingRateLimit"] <= s["ThrottlingBurstLimit"] < stage_wide["ThrottlingBurstLimit"]
        routes[(path, method)] = s
    # Unauthenticated routes and the ones that start a watcher and send mail.
    assert {("/v1/health", "GET"), ("/v1/openapi.json", "GET"), ("/console", "GET"),
            ("/console/{name}", "GET"), ("/v1/properties/{property_id}/cases", "POST")} <= set(routes)


GATEWAY_RESPONSES = {  # type -> (status the client sees, code)
    "UNAUTHORIZED": ("401", "unauthorized"),
    "ACCESS_DENIED": ("403", "forbidden"),
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found"),  # an unknown route
    "THROTTLED": ("429", "rate_limited"),
}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_api_gateway_answers_errors_in_the_api_shape_without_echoing_the_request(synth, stage):
    responses = _api(synth.json(stage))["DefinitionBody"].get("x-amazon-apigateway-gateway-responses", {})
    assert {"DEFAULT_4XX", "DEFAULT_5XX", *GATEWAY_RESPONSES} <= set(responses)
    for kind, response in responses.items():
        template = response["responseTemplates"]["application/json"]
        # API Gateway's own message ($context.error.message) can carry the Authorization
        # header; no template may use any variable at all.
        assert "$" not in template and "#" not in template, (kind, template)
        body = json.loads(template)
        assert set(body) == {"code", "message"}, (kind, body)
        assert re.fullmatch(r"[a-z][a-z_]*", body["code"]) and body["message"], (kind, body)
        for header, value in response.get("responseParameters", {}).items():
            assert re.fullmatch(r"'[^']*'", value), f"{kind}: {header} is not a fixed value: {value}"
    for kind, (status, code) in GATEWAY_RESPONSES.items():
        assert responses[kind]["statusCode"] == status, kind
        assert json.loads(responses[kind]["responseTemplates"]["application/json"])["code"] == code, kind
    assert "gatewayresponse.header.Retry-After" in responses["THROTTLED"]["responseParameters"]
    assert json.loads(responses["DEFAULT_5XX"]["responseTemplates"]["application/json"])["code"] == "internal_error"


def test_an_escalation_that_reached_nobody_raises_an_alarm(synth):
    """The watcher emits EscalationNoRecipient with no dimension but Powertools'
    service; an alarm on any other dimension set would never see it."""
    from chalicelib.observability import NAMESPACE
    t = synth.json("dev")
    alarms = [a["Properties"] for a in resources(t, "AWS::CloudWatch::Alarm").values()
              if a["Properties"].get("MetricName") == "EscalationNoRecipient"]
    assert len(alarms) == 1
    (alarm,) = alarms
    assert alarm["Namespace"] == NAMESPACE
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "tenantdesk"}]
    assert alarm["Threshold"] == 0 and alarm["AlarmActions"]

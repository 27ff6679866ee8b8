"""API Gateway settings Chalice does not express: its own error answers and throttling."""
from __future__ import annotations

import json
from typing import Any

# API Gateway stage throttling (token bucket per stage, shared by all callers; per-tenant
# quotas are the application's). (rate per second, burst). Reasons: infra/README.md.
STAGE_THROTTLE = (100, 200)
ROUTE_THROTTLE = {
    # Public, unauthenticated: anyone on the internet can call them.
    ("/v1/health", "GET"): (5, 10),
    ("/v1/openapi.json", "GET"): (5, 10),
    ("/console", "GET"): (10, 20),
    ("/console/{name}", "GET"): (20, 40),  # a page load fetches a few assets
    # Each new case starts a Step Functions watcher and may send mail; a message notifies.
    ("/v1/properties/{property_id}/cases", "POST"): (10, 20),
    ("/v1/properties/{property_id}/cases/{case_id}/messages", "POST"): (10, 20),
}

# What API Gateway itself answers (unknown route, token rejected by the Cognito
# authorizer, throttled, ...) in the API's own {code, message} shape
# (chalicelib/domain/errors.py). Fixed text only: API Gateway's own messages
# ($context.error.message) can echo the Authorization header, so no template uses a
# variable. type -> (status to answer, or None to keep API Gateway's; code; message)
GATEWAY_RESPONSES = {
    "DEFAULT_4XX": (None, "bad_request", "the request was rejected"),
    "DEFAULT_5XX": (None, "internal_error", "something went wrong on our side"),
    "UNAUTHORIZED": (401, "unauthorized", "a valid bearer token is required"),
    "ACCESS_DENIED": (403, "forbidden", "you may not do this"),
    # API Gateway's answer for a path or method the API does not have (403 by default).
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "no such route"),
    "RESOURCE_NOT_FOUND": (404, "not_found", "no such route"),
    "THROTTLED": (429, "rate_limited", "too many requests; retry in a moment"),
    "QUOTA_EXCEEDED": (429, "rate_limited", "too many requests; retry in a moment"),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "the request is too large"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "unsupported_media_type", "send the body as application/json"),
    "INTEGRATION_TIMEOUT": (504, "timeout", "the request took too long; retry in a moment"),
}
RETRY_AFTER_SECONDS = {"THROTTLED": 1, "QUOTA_EXCEEDED": 60, "INTEGRATION_TIMEOUT": 1}


def gateway_responses() -> dict:
    """The swagger extension ``x-amazon-apigateway-gateway-responses`` for GATEWAY_RESPONSES."""
    out = {}
    for kind, (status, code, message) in GATEWAY_RESPONSES.items():
        body = json.dumps({"code": code, "message": message}, separators=(",", ":"))
        params = {"gatewayresponse.header.Cache-Control": "'no-store'"}
        if kind in RETRY_AFTER_SECONDS:
            params["gatewayresponse.header.Retry-After"] = f"'{RETRY_AFTER_SECONDS[kind]}'"
        out[kind] = {"responseParameters": params, "responseTemplates": {"application/json": body}}
        if status is not None:
            out[kind]["statusCode"] = str(status)
    return out


def method_settings() -> list[dict]:
    """API Gateway MethodSettings: the stage default, then the routes' own limits."""
    def setting(path: str, method: str, rate: int, burst: int) -> dict:
        return {"ResourcePath": path, "HttpMethod": method,
                "ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
    settings = [setting("/*", "*", *STAGE_THROTTLE)]
    for (path, method), limits in ROUTE_THROTTLE.items():
        settings.append(setting("/" + path.replace("/", "~1"), method, *limits))  # /~1v1~1health
    return settings


class Api:
    """Shapes the REST API Chalice packaged (SAM ``RestAPI``): Gateway Responses in the
    API's {code, message} shape and stage/route throttling, as property overrides.

    cdk-nag's rules read CloudFormation resource types; the SAM types Chalice emits
    (AWS::Serverless::Function/Api) are not expanded before the checks run, so the API
    and functions are checked in tests/infra (roles, authorizer) instead."""

    def __init__(self, chalice: Any) -> None:
        self.rest_api = chalice.get_resource("RestAPI")
        self.rest_api.add_property_override("DefinitionBody.x-amazon-apigateway-gateway-responses",
                                            gateway_responses())
        self.rest_api.add_property_override("MethodSettings", method_settings())

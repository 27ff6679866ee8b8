"""Application quotas end to end: a tenant's cases per hour and a case's
messages per minute, counted in DynamoDB (shared by every instance), answered
with 429 rate_limited and Retry-After. The service's quota rules on the
in-memory store: tests/service/test_quota_service.py."""
from __future__ import annotations

from chalicelib.domain.auth import Principal
from tests.api.helpers import call
from tests.conftest import contacts_of

ADMIN = Principal("admin-0", "admin", frozenset({"P1", "P2"}))
BODY = {"channel": "app", "unit": "3栋1201", "content": "空调不制冷 冷氣不冷"}


def limit(svc, **quotas):
    svc.put_property(ADMIN, "P1", {"name": "滨江花园 Riverside Garden", "contacts": contacts_of("riverside.example"),
                                  "quotas": quotas})


def test_the_api_answers_429_rate_limited_with_retry_after(client, svc, clock, tokens):
    limit(svc, cases_per_tenant_per_hour=1)
    clock.advance(minutes=59, seconds=30)
    status, _ = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], BODY)
    assert status == 201
    response = client.http.post("/v1/properties/P1/cases", body=b'{"unit":"1","content":"again"}',
                                headers={"Authorization": f"Bearer {tokens['tenant']}",
                                         "Content-Type": "application/json"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    body = response.json_body
    assert body["code"] == "rate_limited" and body["details"]["retry_after"] == 30
    status, items = call(client, "GET", "/v1/me/cases", tokens["tenant"])
    assert len(items["items"]) == 1


def test_a_property_shows_and_validates_its_quotas(client, tokens):
    status, prop = call(client, "PUT", "/v1/properties/P1", tokens["admin"],
                        {"name": "滨江花园", "contacts": contacts_of("riverside.example"),
                         "quotas": {"cases_per_tenant_per_hour": 50}})
    assert status == 200 and prop["quotas"]["cases_per_tenant_per_hour"] == 50
    status, body = call(client, "PUT", "/v1/properties/P1", tokens["admin"],
                        {"name": "滨江花园", "contacts": contacts_of("riverside.example"),
                         "quotas": {"cases_per_tenant_per_hour": 0}})
    assert status == 422 and body["code"] == "validation_error"
    status, prop = call(client, "GET", "/v1/properties/P1", tokens["admin"])
    assert prop["quotas"]["cases_per_tenant_per_hour"] == 50


def test_the_openapi_document_names_the_429_and_its_retry_after():
    from chalicelib.http.openapi import document
    paths = document()["paths"]
    for path, method in (("/v1/properties/{property_id}/cases", "post"),
                         ("/v1/properties/{property_id}/cases/{case_id}/messages", "post")):
        assert "Retry-After" in paths[path][method]["responses"]["429"]["headers"]

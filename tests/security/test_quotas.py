"""Application quotas end to end: a tenant's cases per hour and a case's
messages per minute, counted in DynamoDB (shared by every instance), answered
with 429 rate_limited and Retry-After."""
from __future__ import annotations

import pytest

from chalicelib.auth import Principal
from chalicelib.errors import RateLimited
from chalicelib.service import CaseService
from tests.api.helpers import call
from tests.conftest import contacts_of

TENANT = Principal("tenant-1", "tenant", frozenset({"P1"}), name="李女士")
OTHER_TENANT = Principal("tenant-2", "tenant", frozenset({"P1"}), name="陳先生")
DESK = Principal("desk-1", "front_desk", frozenset({"P1"}), name="前台")
ADMIN = Principal("admin-0", "admin", frozenset({"P1", "P2"}))
BODY = {"channel": "app", "unit": "3栋1201", "content": "空调不制冷 冷氣不冷"}
LOGGED = {"channel": "phone", "unit": "大堂", "content": "访客反映电梯异响", "reporter": {"name": "陈先生", "phone": "138 0000 0000"}}


def limit(svc, **quotas):
    svc.put_property(ADMIN, "P1", {"name": "滨江花园 Riverside Garden", "contacts": contacts_of("riverside.example"),
                                  "quotas": quotas})


def submit(svc, principal=TENANT, key=None, n=0):
    return svc.submit(principal, "P1", {**BODY, "content": f"{BODY['content']} #{n}"}, key)


def test_a_tenant_over_the_hourly_quota_is_refused_until_the_next_hour(svc, clock):
    limit(svc, cases_per_tenant_per_hour=3)
    for n in range(3):
        submit(svc, n=n)
        clock.advance(minutes=10)
    with pytest.raises(RateLimited) as err:
        submit(svc, n=3)
    assert err.value.retry_after == 30 * 60  # 02:30 now; the window ends at 03:00
    submit(svc, OTHER_TENANT)  # another tenant has their own quota
    clock.advance(minutes=30)
    case, created = submit(svc, n=4)
    assert created


def test_two_service_instances_share_one_counter(svc, store, clock):
    limit(svc, cases_per_tenant_per_hour=2)
    other_instance = CaseService(store, clock)  # another Lambda container: nothing shared in memory
    submit(svc, n=0)
    submit(other_instance, n=1)
    for instance in (svc, other_instance):
        with pytest.raises(RateLimited):
            submit(instance, n=2)


def test_a_refused_submit_stores_nothing(svc, store, clock):
    limit(svc, cases_per_tenant_per_hour=1)
    first, _ = submit(svc, n=0)
    with pytest.raises(RateLimited):
        submit(svc, key="second", n=1)
    clock.advance(hours=1)
    second, created = submit(svc, key="second", n=1)  # the key was not used up by the refusal
    assert created and second.case_id == first.case_id[:-4] + "0002"  # no case number was taken either


def test_an_idempotent_replay_does_not_use_quota(svc):
    limit(svc, cases_per_tenant_per_hour=2)
    case, _ = submit(svc, key="tap-1")
    for _ in range(5):
        again, created = submit(svc, key="tap-1")
        assert not created and again.case_id == case.case_id
    _, created = submit(svc, key="tap-2", n=2)
    assert created


def test_the_front_desk_logging_calls_is_not_limited(svc):
    limit(svc, cases_per_tenant_per_hour=1)
    for n in range(4):
        _, created = svc.log(DESK, "P1", {**LOGGED, "content": f"来电 {n}"}, None)
        assert created


def test_messages_per_case_per_minute(svc, clock):
    limit(svc, messages_per_case_per_minute=2)
    case, _ = submit(svc)
    other, _ = submit(svc, n=1)
    for n in range(2):
        svc.act(TENANT, "P1", case.case_id, "message", {"text": f"补充 {n}"})
    with pytest.raises(RateLimited) as err:
        svc.act(TENANT, "P1", case.case_id, "message", {"text": "再补充"})
    assert err.value.retry_after == 60
    assert svc.get(ADMIN, "P1", case.case_id)[0].version == 3  # the refused message changed nothing
    svc.act(TENANT, "P1", other.case_id, "message", {"text": "另一件"})  # per case
    clock.advance(seconds=60)
    svc.act(TENANT, "P1", case.case_id, "message", {"text": "一分钟后"})


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
    from chalicelib.openapi import document
    paths = document()["paths"]
    for path, method in (("/v1/properties/{property_id}/cases", "post"),
                         ("/v1/properties/{property_id}/cases/{case_id}/messages", "post")):
        assert "Retry-After" in paths[path][method]["responses"]["429"]["headers"]

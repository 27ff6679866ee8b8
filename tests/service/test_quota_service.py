"""Application quotas in the case service, on the in-memory store (no AWS):
a tenant's cases per hour and a case's messages per minute, refused with
``RateLimited`` and a Retry-After. The HTTP answer (429) is proved in
tests/security/test_quotas.py; the shared DynamoDB counter in tests/contract."""
from __future__ import annotations

import pytest

from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import RateLimited
from chalicelib.services.case_service import CaseService
from tests.conftest import contacts_of

TENANT = Principal("tenant-1", "tenant", frozenset({"P1"}), name="李女士")
OTHER_TENANT = Principal("tenant-2", "tenant", frozenset({"P1"}), name="陳先生")
DESK = Principal("desk-1", "front_desk", frozenset({"P1"}), name="前台")
ADMIN = Principal("admin-0", "admin", frozenset({"P1", "P2"}))
BODY = {"channel": "app", "unit": "3栋1201", "content": "空调不制冷 冷氣不冷"}
LOGGED = {"channel": "phone", "unit": "大堂", "content": "访客反映电梯异响",
          "reporter": {"name": "陈先生", "phone": "138 0000 0000"}}


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
    assert svc.store.get_case("P1", case.case_id).version == 3  # the refused message changed nothing
    svc.act(TENANT, "P1", other.case_id, "message", {"text": "另一件"})  # per case
    clock.advance(seconds=60)
    svc.act(TENANT, "P1", case.case_id, "message", {"text": "一分钟后"})

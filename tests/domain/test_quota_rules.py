"""The quota rule: fixed windows, limits and overrides, Retry-After. No AWS, time injected."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import quotas
from chalicelib.domain.errors import RateLimited, ValidationFailed

AT = datetime(2026, 11, 23, 2, 17, 40, tzinfo=timezone.utc)


def test_a_tenants_cases_count_in_the_clock_hour_and_retry_after_runs_to_its_end():
    quota = quotas.case_submission(quotas.Limits(), "P1", "tenant-1", AT)
    assert (quota.window_start, quota.window_end) == (AT.replace(minute=0, second=0), AT.replace(hour=3, minute=0,
                                                                                                   second=0))
    assert quota.limit == quotas.DEFAULTS["cases_per_tenant_per_hour"]
    assert quota.retry_after(AT) == 42 * 60 + 20
    # Its counter's key format is the store's: tests/store/test_service_store.py.
    assert (quota.name, quota.key) == ("cases_per_tenant", "P1#tenant-1")
    assert quota.expires_at > quota.window_end


def test_messages_count_per_case_per_minute_and_never_ask_to_wait_zero_seconds():
    quota = quotas.case_message(quotas.Limits(), "P1", "TD-20261123-0001", AT)
    assert quota.window_start == AT.replace(second=0) and quota.retry_after(AT) == 20
    assert quota.retry_after(quota.window_end - timedelta(milliseconds=1)) == 1


def test_every_instance_computes_the_same_window_whatever_its_time_zone():
    shanghai = AT.astimezone(timezone(timedelta(hours=8)))
    assert quotas.case_submission(quotas.Limits(), "P1", "t", shanghai) == \
        quotas.case_submission(quotas.Limits(), "P1", "t", AT)


def test_the_next_window_is_a_new_counter():
    now = quotas.case_submission(quotas.Limits(), "P1", "t", AT)
    later = quotas.case_submission(quotas.Limits(), "P1", "t", now.window_end)
    assert later != now and later.window_start == now.window_end


def test_exceeded_says_which_quota_and_when_to_retry():
    error = quotas.case_message(quotas.Limits(messages_per_case_per_minute=3), "P1", "C", AT).exceeded(AT)
    assert isinstance(error, RateLimited) and error.status == 429 and error.code == "rate_limited"
    assert error.retry_after == 20
    assert error.details == {"quota": "messages_per_case", "limit": 3, "retry_after": 20}


def test_a_property_overrides_a_limit_and_keeps_the_other_default():
    limits = quotas.Limits.from_dict({"cases_per_tenant_per_hour": 5})
    assert limits.cases_per_tenant_per_hour == 5
    assert limits.messages_per_case_per_minute == quotas.DEFAULTS["messages_per_case_per_minute"]
    assert quotas.Limits.from_dict(limits.to_dict()) == limits


@pytest.mark.parametrize("bad", [{"cases_per_tenant_per_hour": 0}, {"cases_per_tenant_per_hour": True},
                                 {"cases_per_tenant_per_hour": 10 ** 400}, {"messages_per_case_per_minute": "5"},
                                 {"calls_per_day": 3}, ["cases_per_tenant_per_hour"]])
def test_a_malformed_override_is_refused_naming_it(bad):
    with pytest.raises(ValidationFailed) as err:
        quotas.Limits.from_dict(bad)
    assert err.value.code == "invalid_quotas" and err.value.details["field"]

"""Application quotas: how many cases a tenant may submit, how many messages a
case may take, per fixed window of time.

Pure rules, no AWS and no wall clock (``now`` is passed in). The counter that
makes a quota hold across Lambda instances lives in the store
(``ports.CaseStore.create_case`` / ``save_change`` with a ``quota``): one
DynamoDB item per key and window, stepped by an atomic ADD conditional on the
count being under the limit, in the same transaction as the write it pays
for, so a refused or failed write (and an idempotent replay, which writes
nothing) costs nothing.

Windows are fixed and aligned to the Unix epoch (an hour window starts on the
hour, UTC), so every instance computes the same window for the same instant.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.domain.errors import RateLimited, ValidationFailed

# Staff-logged cases are not limited: the front desk logs every caller's case,
# and a busy desk must never be told to wait. API Gateway's stage throttling
# (infra) bounds raw request rates for everyone.
DEFAULTS = {"cases_per_tenant_per_hour": 30, "messages_per_case_per_minute": 10,
            # Photo uploads started by one person (tenant or staff), counted when the API
            # issues the presigned POST: a phone sending a dozen photos of a leak fits.
            "uploads_per_principal_per_hour": 60,
            # The public web form (domain/public_form.py): submissions from one source
            # address per hour, and to one contact (email or phone) per day. Each costs
            # a mail or an SMS to an address nobody has proved yet: keep them low.
            "public_submissions_per_ip_per_hour": 10, "public_submissions_per_contact_per_day": 5}
MAX_LIMIT = 10_000
# The counter item outlives its window a little: DynamoDB deletes expired
# items within a day or two, and the condition never reads an old window anyway.
COUNTER_TTL_MARGIN = timedelta(hours=1)


@dataclass(frozen=True)
class Limits:
    """A property's quotas (``PUT /v1/properties/{id}`` ``quotas``; defaults otherwise)."""

    cases_per_tenant_per_hour: int = DEFAULTS["cases_per_tenant_per_hour"]
    messages_per_case_per_minute: int = DEFAULTS["messages_per_case_per_minute"]
    uploads_per_principal_per_hour: int = DEFAULTS["uploads_per_principal_per_hour"]
    public_submissions_per_ip_per_hour: int = DEFAULTS["public_submissions_per_ip_per_hour"]
    public_submissions_per_contact_per_day: int = DEFAULTS["public_submissions_per_contact_per_day"]

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Limits:
        """Overrides from the property's settings; a malformed one is a 422 naming the key."""
        if not d:
            return cls()
        if not isinstance(d, dict):
            raise ValidationFailed("quotas must be an object", code="invalid_quotas", details={"field": "quotas"})
        for key, value in d.items():
            if key not in DEFAULTS:
                raise ValidationFailed(f"unknown quota {key!r}", code="invalid_quotas", details={"field": key})
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
                raise ValidationFailed(f"{key} must be a whole number from 1 to {MAX_LIMIT}", code="invalid_quotas",
                                       details={"field": key})
        return cls(**d)

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in DEFAULTS}


@dataclass(frozen=True)
class Quota:
    """One counted allowance in force now: ``key`` names what is counted
    (a tenant, a case) and ``window_start`` the window; the store keeps one
    counter per (key, window_start) and refuses a step beyond ``limit``."""

    name: str
    key: str
    limit: int
    window_start: datetime
    window_end: datetime

    @property
    def expires_at(self) -> datetime:
        return self.window_end + COUNTER_TTL_MARGIN

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the window ends (at least 1): the Retry-After a refused caller gets."""
        return max(1, math.ceil((self.window_end - now).total_seconds()))

    def exceeded(self, now: datetime) -> RateLimited:
        """The error for a caller this quota refuses."""
        seconds = self.retry_after(now)
        return RateLimited(f"too many requests: at most {self.limit} {_WHAT[self.name]}; retry in {seconds} s",
                           retry_after=seconds, details={"quota": self.name, "limit": self.limit,
                                                         "retry_after": seconds})


_PERIODS = {"cases_per_tenant": timedelta(hours=1), "messages_per_case": timedelta(minutes=1),
            "uploads_per_principal": timedelta(hours=1), "public_per_ip": timedelta(hours=1),
            "public_per_contact": timedelta(days=1)}
_WHAT = {"cases_per_tenant": "cases per tenant per hour", "messages_per_case": "messages per case per minute",
         "uploads_per_principal": "uploads per person per hour",
         "public_per_ip": "web-form submissions per address per hour",
         "public_per_contact": "web-form submissions per contact per day"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _window(name: str, key: str, limit: int, now: datetime) -> Quota:
    period = _PERIODS[name]
    start = _EPOCH + ((now - _EPOCH) // period) * period
    return Quota(name, key, limit, start, start + period)


def case_submission(limits: Limits, property_id: str, tenant_id: str, now: datetime) -> Quota:
    """The quota a tenant's new case counts against at ``now``."""
    return _window("cases_per_tenant", f"{property_id}#{tenant_id}", limits.cases_per_tenant_per_hour, now)


def case_message(limits: Limits, property_id: str, case_id: str, now: datetime) -> Quota:
    """The quota a message on a case counts against at ``now``."""
    return _window("messages_per_case", f"{property_id}#{case_id}", limits.messages_per_case_per_minute, now)


def upload(limits: Limits, property_id: str, principal_id: str, now: datetime) -> Quota:
    """The quota a new upload (a presigned POST issued) counts against at ``now``."""
    return _window("uploads_per_principal", f"{property_id}#{principal_id}", limits.uploads_per_principal_per_hour,
                   now)


def public_by_ip(limits: Limits, property_id: str, source: str, now: datetime) -> Quota:
    """The quota a web-form submission counts against for its source address (per hour)."""
    return _window("public_per_ip", f"{property_id}#{source}", limits.public_submissions_per_ip_per_hour, now)


def public_by_contact(limits: Limits, property_id: str, contact_key: str, now: datetime) -> Quota:
    """The quota a web-form submission counts against for its contact (per day, UTC)."""
    return _window("public_per_contact", f"{property_id}#{contact_key}", limits.public_submissions_per_contact_per_day,
                   now)

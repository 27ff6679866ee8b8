"""Escalation contacts (front desk, manager, director, on duty) are a property
setting. Reporters and tenants never had any: the request schemas accepted a
``contacts`` object there that nothing read (a tenant's was dropped, a
reporter's only echoed), so a client sending one now gets a 422 naming it."""
from __future__ import annotations

import pytest

from chalicelib import schemas
from chalicelib.domain.errors import ValidationFailed

CONTACTS = {"front_desk": "desk@riverside.example", "manager": "manager@riverside.example",
            "director": "director@riverside.example", "on_duty": "control-room@riverside.example"}


def test_a_property_takes_escalation_contacts():
    assert schemas.validate("PutProperty", {"name": "滨江花园", "contacts": CONTACTS})["contacts"] == CONTACTS


def test_a_tenant_takes_no_contacts():
    body = {"name": "李女士", "email": "li.nvshi@example.cn", "unit": "3栋1201"}
    assert schemas.validate("PutTenant", body) == body
    with pytest.raises(ValidationFailed) as info:
        schemas.validate("PutTenant", {**body, "contacts": CONTACTS})
    assert info.value.details["rule"] == "additionalProperties"


def test_a_reporter_takes_no_contacts():
    body = {"channel": "phone", "unit": "3栋1201", "content": "业主来电：空调不制冷",
            "reporter": {"name": "李女士", "phone": "138 0000 0000"}}
    assert schemas.validate("LogCase", body)["reporter"] == body["reporter"]
    with pytest.raises(ValidationFailed) as info:
        schemas.validate("LogCase", {**body, "reporter": {**body["reporter"], "contacts": {"manager": "m@x.example"}}})
    assert info.value.details["rule"] == "additionalProperties"
    assert info.value.details["field"] == "reporter"

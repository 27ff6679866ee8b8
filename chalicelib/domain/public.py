"""What a property tells its tenants, and what a tenant sees of their own
tenant record: allow-lists, decided per field in this one module (as
``views`` decides a tenant's view of a case). Pure: time is passed in."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalicelib.domain import cases
from chalicelib.domain.properties import Property

# The categories a tenant chooses from, in the three languages (the console's
# i18n.js carries the same words; a test keeps them equal).
CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "air_conditioning": {"zh-Hans": "空调", "zh-Hant": "空調", "en": "Air conditioning"},
    "security": {"zh-Hans": "安保", "zh-Hant": "保安", "en": "Security"},
    "cleaning": {"zh-Hans": "保洁", "zh-Hant": "清潔", "en": "Cleaning"},
    "noise_renovation": {"zh-Hans": "噪音装修", "zh-Hant": "噪音裝修", "en": "Noise / renovation"},
    "public_facility": {"zh-Hans": "公共设施", "zh-Hant": "公共設施", "en": "Public facilities"},
    "in_unit_repair": {"zh-Hans": "户内维修", "zh-Hant": "單位內維修", "en": "In-unit repair"},
    "parking": {"zh-Hans": "停车", "zh-Hant": "停車", "en": "Parking"},
    "pest": {"zh-Hans": "虫害", "zh-Hant": "蟲害", "en": "Pests"},
    "mail_parcel": {"zh-Hans": "邮件快递", "zh-Hant": "郵件包裹", "en": "Mail / parcels"},
    "landscaping": {"zh-Hans": "绿化", "zh-Hant": "園藝", "en": "Landscaping"},
    "service_attitude": {"zh-Hans": "服务态度", "zh-Hant": "服務態度", "en": "Service attitude"},
    "billing": {"zh-Hans": "收费", "zh-Hant": "收費", "en": "Billing"},
    "other": {"zh-Hans": "其他", "zh-Hant": "其他", "en": "Other"},
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The public phone numbers a property may publish (PutProperty ``phones``).
PHONE_KINDS = ("front_desk", "on_duty", "emergency")
# How many of the coming holidays the public information lists.
HOLIDAYS_LISTED = 20

# A tenant's own record: who they are and how we reach them; nothing staff keep.
TENANT_RECORD_FIELDS: frozenset[str] = frozenset({"tenant_id", "property_id", "name", "unit", "email", "lang"})


def property_view(prop: Property, *, now: datetime) -> dict[str, Any]:
    """A property's public information: name, working hours and the coming
    holidays (in its time zone), the categories with their labels, its phone
    numbers. Nothing else of its settings (contacts, staff addresses, policy
    windows, quotas) is shown."""
    policy = prop.policy
    today = now.astimezone(policy.tz).date()
    holidays: list[date] = sorted(d for d in policy.holidays if d >= today)[:HOLIDAYS_LISTED]
    extra = sorted(d for d in policy.extra_working_days if d >= today)[:HOLIDAYS_LISTED]
    return {
        "property_id": prop.property_id,
        "name": prop.name,
        "timezone": policy.timezone,
        "hours": {"work_days": [WEEKDAYS[d] for d in range(7) if d not in policy.weekend],
                  "work_start": policy.work_start.strftime("%H:%M"), "work_end": policy.work_end.strftime("%H:%M"),
                  "holidays": [d.isoformat() for d in holidays],
                  "extra_working_days": [d.isoformat() for d in extra],
                  "service_24h": True},
        "categories": [{"category": c, "labels": dict(CATEGORY_LABELS[c])} for c in cases.CATEGORIES],
        "phones": {kind: prop.phones[kind] for kind in PHONE_KINDS if prop.phones.get(kind)},
    }


def tenant_view(record: dict[str, Any]) -> dict[str, Any]:
    """The tenant's own record, allow-listed field by field."""
    return {name: record.get(name) for name in sorted(TENANT_RECORD_FIELDS)}

"""A property (a residential estate, a mall) as the procedure sees it: its name,
departments, complaints inbox, escalation contacts, deadline policy, quotas and
default language. Stored as settings by the adapters; built and validated here."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain import deadlines, escalation, logbook, quotas
from chalicelib.domain.errors import ValidationFailed


@dataclass(frozen=True)
class Property:
    property_id: str
    name: str
    policy: deadlines.Policy
    departments: tuple[str, ...] = ()
    email: str | None = None  # the property's complaints inbox: SES receives there and we send from it
    # Who hears of escalations: "manager", "director", "on_duty" (the security
    # control room, after hours), "front_desk" -> an email address.
    contacts: dict[str, str] = field(default_factory=dict)
    quotas: quotas.Limits = quotas.Limits()  # cases per tenant per hour, messages per case per minute
    # The language for tenants whose own we do not write (mail in Japanese, Korean, ...);
    # unset: from the timezone (mail.templates.property_lang).
    lang: str | None = None
    # Staff mail addresses (department engineers, managers) whose mail is staff's,
    # never a tenant's complaint: on a case thread it is an internal note, else
    # quarantined as ``staff_mail`` (services/mail_intake.py). Set by admins.
    staff_addresses: tuple[str, ...] = ()
    # Per department, its own people for the ladder's tiers (tier 2 is the manager of
    # the case's department): {"engineering": {"manager": "eng-mgr@..."}}; a tier a
    # department leaves out falls back to ``contacts`` (escalation.contacts_for).
    department_contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    # The shift-handover checklist ({id, text} in the property's language; seed 000 篇3 2.4);
    # None: the default list (chalicelib/domain/logbook.py).
    handover_checklist: tuple[dict[str, str], ...] | None = None
    # Phone numbers the property publishes to its tenants (front_desk, on_duty,
    # emergency: chalicelib/domain/public.py), as written.
    phones: dict[str, str] = field(default_factory=dict)

    def contacts_for(self, department: str | None) -> dict[str, str]:
        """The escalation addresses for a case routed to ``department``."""
        return escalation.contacts_for(self.contacts, self.department_contacts, department)

    @classmethod
    def from_settings(cls, property_id: str, data: dict[str, Any]) -> Property:
        """A property from its stored settings (or a PUT body): the policy and
        quotas are validated here (422 with the field), before anything is stored."""
        departments = tuple(data.get("departments") or ())
        return cls(property_id, data.get("name", property_id), deadlines.Policy.from_dict(data.get("policy")),
                   departments, (data.get("email") or "").lower() or None,
                   dict(data.get("contacts") or {}), quotas.Limits.from_dict(data.get("quotas")),
                   data.get("lang") or None,
                   staff_addresses=tuple(dict.fromkeys(a.strip().lower() for a in data.get("staff_addresses") or ()
                                                       if isinstance(a, str) and a.strip())),
                   department_contacts=_department_contacts(data.get("department_contacts"), departments),
                   handover_checklist=_checklist(data.get("handover_checklist")),
                   phones={k: v for k, v in (data.get("phones") or {}).items() if isinstance(v, str)})

    def to_dict(self) -> dict[str, Any]:
        return {"property_id": self.property_id, "name": self.name, "policy": self.policy.to_dict(),
                "departments": list(self.departments), "email": self.email, "contacts": dict(self.contacts),
                "quotas": self.quotas.to_dict(), "lang": self.lang, "staff_addresses": list(self.staff_addresses),
                "department_contacts": {d: dict(c) for d, c in self.department_contacts.items()},
                "handover_checklist": list(self.handover_checklist) if self.handover_checklist else None,
                "phones": dict(self.phones)}

    def is_staff_address(self, address: str) -> bool:
        """Mail from this address is staff's: a registered staff address, or one of
        the escalation contacts (front desk, manager, director, on-duty desk, and each
        department's own)."""
        address = address.strip().lower()
        contacts = {a.lower() for a in self.contacts.values()}
        contacts |= {a.lower() for people in self.department_contacts.values() for a in people.values()}
        return bool(address) and (address in self.staff_addresses or address in contacts)


def _department_contacts(value: Any, departments: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """``department_contacts`` checked: each key one of the property's departments,
    each value {tier: address} for tiers of the ladder; otherwise 422
    ``invalid_department_contacts`` with ``details.field``."""
    if value is None:
        return {}

    def invalid(field_name: str, message: str) -> ValidationFailed:
        return ValidationFailed(message, code="invalid_department_contacts", details={"field": field_name})
    if not isinstance(value, dict):
        raise invalid("department_contacts", "department_contacts must be an object of departments")
    found: dict[str, dict[str, str]] = {}
    for department, people in value.items():
        name = f"department_contacts.{department}"
        if department not in departments:
            raise invalid(name, f"{department!r} is not one of the property's departments")
        if not isinstance(people, dict):
            raise invalid(name, "a department's contacts are an object of tier: address")
        for tier, address in people.items():
            if tier not in escalation.DEPARTMENT_CONTACT_TIERS:
                raise invalid(f"{name}.{tier}", f"tier must be one of {', '.join(escalation.DEPARTMENT_CONTACT_TIERS)}")
            if not isinstance(address, str) or "@" not in address.strip():
                raise invalid(f"{name}.{tier}", "an email address is required")
        found[department] = {tier: address.strip() for tier, address in people.items()}
    return found


def _checklist(value: Any) -> tuple[dict[str, str], ...] | None:
    items = logbook.checklist_from_settings(value)
    return tuple(items) if items is not None else None

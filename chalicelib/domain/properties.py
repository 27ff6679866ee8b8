"""A property (a residential estate, a mall) as the procedure sees it: its name,
departments, complaints inbox, escalation contacts, deadline policy, quotas and
default language. Stored as settings by the adapters; built and validated here."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain import deadlines, quotas


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

    @classmethod
    def from_settings(cls, property_id: str, data: dict[str, Any]) -> Property:
        """A property from its stored settings (or a PUT body): the policy and
        quotas are validated here (422 with the field), before anything is stored."""
        return cls(property_id, data.get("name", property_id), deadlines.Policy.from_dict(data.get("policy")),
                   tuple(data.get("departments") or ()), (data.get("email") or "").lower() or None,
                   dict(data.get("contacts") or {}), quotas.Limits.from_dict(data.get("quotas")),
                   data.get("lang") or None,
                   tuple(dict.fromkeys(a.strip().lower() for a in data.get("staff_addresses") or ()
                                       if isinstance(a, str) and a.strip())))

    def to_dict(self) -> dict[str, Any]:
        return {"property_id": self.property_id, "name": self.name, "policy": self.policy.to_dict(),
                "departments": list(self.departments), "email": self.email, "contacts": dict(self.contacts),
                "quotas": self.quotas.to_dict(), "lang": self.lang, "staff_addresses": list(self.staff_addresses)}

    def is_staff_address(self, address: str) -> bool:
        """Mail from this address is staff's: a registered staff address, or one of
        the escalation contacts (front desk, manager, director, on-duty desk)."""
        address = address.strip().lower()
        return bool(address) and (address in self.staff_addresses
                                  or address in {a.lower() for a in self.contacts.values()})

"""Onboarding: the front desk invites a registered tenant to sign in, and deactivates
them when they move out (issue 15).

The account's scope (property, tenant id) is set here, by the system, from the tenant
record; the invitation and the deactivation are recorded on that record (``login``,
``active``), which keeps its other fields. The directory (Cognito) is reached only
through ports.UserDirectory.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.domain import auth
from chalicelib.domain.cases import iso
from chalicelib.domain.errors import Conflict, NotFound, Unavailable
from chalicelib.services.ports import PropertyStore, TenantAccount, UserDirectory


class OnboardingService:
    def __init__(self, store: PropertyStore, directory: Callable[[], UserDirectory | None],
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self._directory = directory
        self.clock = clock

    def _tenant(self, property_id: str, tenant_id: str) -> dict[str, Any]:
        record = self.store.get_tenant(property_id, tenant_id)
        if record is None:  # also another property's tenant: never revealed which
            raise NotFound("no such tenant at this property", code="tenant_not_found")
        return record

    def directory(self) -> UserDirectory:
        found = self._directory()
        if found is None:
            raise Unavailable("sign-in is not configured here (no user pool)", code="sign_in_not_configured")
        return found

    def invite(self, principal: auth.Principal, property_id: str, tenant_id: str,
               params: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create (or resend) the tenant's invitation. Returns (tenant record, resent)."""
        auth.authorize(principal, "tenant.invite", property_id)
        record = self._tenant(property_id, tenant_id)
        if record.get("active") is False:
            raise Conflict("the tenant was deactivated (moved out)", code="tenant_inactive")
        email = (params.get("email") or record["email"]).lower()
        phone = params.get("phone")
        lang = params.get("lang") or record.get("lang") or auth.DEFAULT_LANG
        account = TenantAccount(tenant_id=tenant_id, property_ids=(property_id,), email=email,
                                name=params.get("name") or record["name"], lang=lang, phone=phone)
        result = self.directory().invite(account)
        login = dict(record.get("login") or {})
        login.update({"status": "invited", "username": result["username"], "email": email, "phone": phone,
                      "channel": "sms" if phone else "email", "unit": params.get("unit") or record.get("unit", ""),
                      "lang": lang, "invited_at": iso(self.clock()), "invited_by": principal.subject,
                      "invitations": int(login.get("invitations", 0)) + 1})
        updated = {**record, "login": login}
        self.store.put_tenant(updated)
        return updated, bool(result["resent"])

    def deactivate(self, principal: auth.Principal, property_id: str, tenant_id: str,
                   params: dict[str, Any]) -> dict[str, Any]:
        """The tenant moved out: their account is disabled and signed out everywhere, the
        record marked inactive. Their cases stay. Deactivating twice changes nothing."""
        auth.authorize(principal, "tenant.deactivate", property_id)
        record = self._tenant(property_id, tenant_id)
        if record.get("active") is False:
            return record
        login = dict(record.get("login") or {})
        if login:
            self.directory().disable(login.get("email") or record["email"])
            login["status"] = "deactivated"
        updated = {**record, "active": False, "deactivated_at": iso(self.clock()), "deactivated_by": principal.subject,
                   "deactivation_reason": params.get("reason", "")}
        if login:
            updated["login"] = login
        self.store.put_tenant(updated)
        return updated

"""The user directory on Cognito (ports.UserDirectory): tenants' accounts, created by
the system with their scope, and disabled when they move out.

Only Admin* calls on the one pool (infra grants exactly these on it). The account's
username is its email address (the pool signs in by email); ``custom:properties`` and
``custom:tenant_id`` are written here and by no app client (infra, tests/infra).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.services.ports import TenantAccount

TENANT_GROUP = "tenant"
# Cognito's locales for our languages (the ID token's ``locale`` maps back in http/identity.py).
_LOCALE = {"zh-Hans": "zh-Hans", "zh-Hant": "zh-Hant", "en": "en"}


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return ((response or {}).get("Error") or {}).get("Code", "") if isinstance(response, dict) else ""


class CognitoDirectory:
    def __init__(self, client: Callable[[], Any], pool_id: str) -> None:
        self._client = client  # boto3 cognito-idp client, made on first use
        self.pool_id = pool_id

    def _user(self, email: str) -> dict[str, Any] | None:
        try:
            user = self._client().admin_get_user(UserPoolId=self.pool_id, Username=email)
        except Exception as exc:
            if _error_code(exc) == "UserNotFoundException":
                return None
            raise
        user["attributes"] = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        return dict(user)

    def invite(self, account: TenantAccount) -> dict[str, Any]:
        mediums = ["SMS"] if account.phone else ["EMAIL"]
        existing = self._user(account.email)
        if existing is not None:
            attrs = existing["attributes"]
            if attrs.get("custom:tenant_id") != account.tenant_id:
                raise Conflict("this email address belongs to another account", code="email_in_use")
            if not existing.get("Enabled", True):
                raise Conflict("the tenant's account was deactivated", code="account_disabled")
            if existing.get("UserStatus") != "FORCE_CHANGE_PASSWORD":
                raise Conflict("the tenant has signed in already: there is no invitation to resend",
                               code="account_active")
            # A new temporary password and the invitation again, its expiry reset. (moto 5.2
            # adds a second user on RESEND instead; AWS resends to the one account.)
            self._client().admin_create_user(UserPoolId=self.pool_id, Username=account.email,
                                             MessageAction="RESEND", DesiredDeliveryMediums=mediums)
            return {"username": attrs.get("sub", existing.get("Username")), "resent": True}
        attributes = [
            {"Name": "email", "Value": account.email},
            {"Name": "email_verified", "Value": "true"},  # the front desk has it on record
            {"Name": "name", "Value": account.name},
            {"Name": "locale", "Value": _LOCALE.get(account.lang, "zh-Hans")},
            {"Name": "custom:properties", "Value": ",".join(account.property_ids)},
            {"Name": "custom:tenant_id", "Value": account.tenant_id},
        ]
        if account.phone:
            attributes.append({"Name": "phone_number", "Value": account.phone})
        try:
            created = self._client().admin_create_user(UserPoolId=self.pool_id, Username=account.email,
                                                       UserAttributes=attributes, DesiredDeliveryMediums=mediums)
        except Exception as exc:
            if _error_code(exc) == "InvalidParameterException":  # e.g. an address our schema let through
                raise ValidationFailed("the sign-in service refused the tenant's email address or phone number",
                                       code="invalid_account_details",
                                       details={"field": "phone" if account.phone else "email"}) from None
            raise
        self._client().admin_add_user_to_group(UserPoolId=self.pool_id, Username=account.email,
                                               GroupName=TENANT_GROUP)
        user = created["User"]
        sub = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}.get("sub", user.get("Username"))
        return {"username": sub, "resent": False}

    def disable(self, email: str) -> bool:
        client = self._client()
        try:
            # Disabled first: a disabled account can neither sign in nor refresh, even if the
            # sign-out below failed. The sign-out revokes its refresh tokens.
            client.admin_disable_user(UserPoolId=self.pool_id, Username=email)
            client.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=email)
        except Exception as exc:
            if _error_code(exc) == "UserNotFoundException":
                return False
            raise
        return True

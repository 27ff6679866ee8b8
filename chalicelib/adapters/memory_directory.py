"""The in-memory twin of the Cognito directory (ports.UserDirectory), for service
tests; tests/contract/test_directory_contract.py runs one suite on both."""
from __future__ import annotations

import itertools
import threading
from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.services.ports import TenantAccount


class MemoryDirectory:
    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}  # by email
        self.sent: list[tuple[str, str]] = []  # (email, medium) of every invitation
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def invite(self, account: TenantAccount) -> dict[str, Any]:
        medium = "SMS" if account.phone else "EMAIL"
        with self._lock:
            user = self.users.get(account.email)
            if user is not None:
                if user["tenant_id"] != account.tenant_id:
                    raise Conflict("this email address belongs to another account", code="email_in_use")
                if not user["enabled"]:
                    raise Conflict("the tenant's account was deactivated", code="account_disabled")
                if user["status"] != "FORCE_CHANGE_PASSWORD":
                    raise Conflict("the tenant has signed in already: there is no invitation to resend",
                                   code="account_active")
                self.sent.append((account.email, medium))
                return {"username": user["sub"], "resent": True}
            sub = f"00000000-0000-4000-8000-{next(self._ids):012d}"
            self.users[account.email] = {"sub": sub, "tenant_id": account.tenant_id, "name": account.name,
                                         "properties": list(account.property_ids), "lang": account.lang,
                                         "phone": account.phone, "groups": ["tenant"], "enabled": True,
                                         "status": "FORCE_CHANGE_PASSWORD", "signed_in": False}
            self.sent.append((account.email, medium))
            return {"username": sub, "resent": False}

    def disable(self, email: str) -> bool:
        with self._lock:
            user = self.users.get(email)
            if user is None:
                return False
            user["enabled"] = False
            user["signed_in"] = False  # sessions revoked
            return True

    # What a user does themselves (the contract test drives both directories alike).
    def set_password(self, email: str) -> None:
        with self._lock:
            self.users[email]["status"] = "CONFIRMED"

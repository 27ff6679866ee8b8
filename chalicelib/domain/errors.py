"""Typed domain errors.

Every error a caller can cause is one of these classes. Each carries a stable,
machine-readable ``code`` and the HTTP status it maps to; ``app.py`` turns them
into responses in one place. Domain code raises them and never inspects messages.
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: ``status`` is the HTTP status the API answers with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(DomainError):
    """Malformed request: not JSON, wrong shape before validation."""

    status = 400
    code = "bad_request"


class Unauthorized(DomainError):
    """No credentials, or credentials that do not verify."""

    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """Authenticated, but the role may not do this."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """Missing, or not visible to this caller (we never reveal which)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state of the resource."""

    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    """The case's status does not allow this action."""

    code = "illegal_transition"


class VersionConflict(Conflict):
    """Someone else changed the case first; ``details.current_version`` says to what."""

    code = "version_conflict"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class ValidationFailed(DomainError):
    """Well-formed JSON whose content breaks the rules (types, enums, lengths)."""

    status = 422
    code = "validation_error"


class RateLimited(DomainError):
    """A quota is used up for now; ``retry_after`` seconds until its window ends
    (sent as the Retry-After header)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, details: dict[str, Any] | None = None):
        super().__init__(message, details=details)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A part the request needs is not configured or not reachable (e.g. sign-in
    without a user pool): the request did nothing; retrying later may help."""

    status = 503
    code = "service_unavailable"

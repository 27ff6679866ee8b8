"""The public web form (``/p/{property}``): a visitor's submission, its
one-time code by email (and SMS where configured), and the case it becomes
once verified. The rules are chalicelib/domain/public_form.py (why a pending
submission is not a case is explained there); storage is
``ports.PublicFormStore``; the case is created through ``CaseService.create_as``
like every other, so numbering, the watcher and the desk's queue are the same.

No principal: the visitor has no account. What protects the system instead:
rate limits per source address and per contact (domain/quotas.py counters,
stepped with the submission), 5 tries per code, a 30-minute life, codes kept
only as salted hashes and compared in constant time.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from chalicelib import config
from chalicelib.domain import auth, public_form, quotas
from chalicelib.domain.cases import Case, iso
from chalicelib.domain.errors import NotFound
from chalicelib.domain.public import property_view
from chalicelib.observability import logger, record_metric
from chalicelib.services.ports import PublicFormStore, QuotaExceeded


class Sms(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class PublicFormService:
    def __init__(self, cases: Any, store: PublicFormStore, clock: Callable[[], datetime], *,
                 mailer: Callable[[], Any] | None, sms: Callable[[], Sms] | None = None,
                 resolve_location: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
                 randbelow: Callable[[int], int] = secrets.randbelow,
                 new_id: Callable[[], str] = lambda: secrets.token_urlsafe(12)) -> None:
        self.cases = cases
        self.store = store
        self.clock = clock
        self.mailer = mailer
        self.sms = sms
        self.resolve_location = resolve_location
        self.randbelow = randbelow
        self.new_id = new_id

    def form(self, property_id: str) -> dict[str, Any]:
        """What the form shows: the property's public information (404 for an unknown property)."""
        return property_view(self.cases.property(property_id), now=self.clock())

    def submit(self, property_id: str, params: dict[str, Any], *, source: str) -> dict[str, Any]:
        """A pending submission and its code sent; nothing is a case yet."""
        prop = self.cases.property(property_id)  # 404 property_not_found
        now = self.clock()
        location = None
        if params.get("location"):
            if self.resolve_location is None:
                raise NotFound("this property has no archive", code="unknown_location")
            location = self.resolve_location(property_id, params["location"])
        code = public_form.new_code(self.randbelow)
        sub = public_form.new_submission(property_id=property_id, submission_id=self.new_id(), params=params,
                                         location=location, code=code, salt=secrets.token_hex(8), now=now)
        limits = [quotas.public_by_ip(prop.quotas, property_id, source or "unknown", now),
                  quotas.public_by_contact(prop.quotas, property_id, public_form.contact_key(sub.contact), now)]
        try:
            self.store.create_submission(sub, quotas=limits)
        except QuotaExceeded as exc:
            name = exc.args[0] if exc.args else limits[0].name
            quota = next((q for q in limits if q.name == name), limits[0])
            record_metric("WebFormRateLimited", dimensions={"quota": quota.name}, property_id=property_id)
            raise quota.exceeded(now) from None
        self._send_code(prop, sub, code)
        record_metric("WebFormSubmitted", property_id=property_id)
        return {"submission_id": sub.submission_id, "expires_at": iso(sub.expires_at),
                "sent_to": public_form.mask(sub.contact), "attempts_left": public_form.MAX_ATTEMPTS}

    def _send_code(self, prop: Any, sub: public_form.Submission, code: str) -> None:
        subject, body = public_form.code_message(sub.lang, code, prop.name)
        if sub.contact.get("email") and self.mailer is not None:
            from chalicelib.mail.outgoing import Outgoing, SendFailed
            try:
                self.mailer().send(Outgoing(sender=prop.email or config.mail_from(), sender_name=prop.name,
                                            to=sub.contact["email"], subject=subject, text=body))
            except SendFailed as exc:
                logger.warning("web form code mail failed", extra={"detail": str(exc)[:200]})
        if sub.contact.get("phone") and self.sms is not None:
            try:
                self.sms().send(sub.contact["phone"], subject)
            except Exception as exc:  # noqa: BLE001 - the mail may still arrive; the visitor can file again
                logger.warning("web form code SMS failed", extra={"detail": str(exc)[:200]})

    def verify(self, property_id: str, submission_id: str, code: str) -> tuple[Case, bool]:
        """The code checked; on a match the case is created (once: a repeated
        verify answers the same case). (case, created)."""
        prop = self.cases.property(property_id)
        sub = self.store.get_submission(property_id, submission_id)
        if sub is not None and sub.verified:
            assert sub.case_id is not None
            return self.cases.store.get_case(property_id, sub.case_id), False
        checked, ok = public_form.check(sub, code, self.clock())
        assert sub is not None
        if not ok:
            self.store.save_submission(checked, expected_version=sub.version)
            record_metric("WebFormWrongCode", property_id=property_id)
            raise public_form.wrong_code(checked)
        # Idempotency key scoped to the visitor actor: a crash between the case and the
        # record below makes the retry find the same case, never a second one.
        case, created = self.cases.create_as(public_form.VISITOR, property_id, public_form.case_params(sub),
                                             f"webform-{submission_id}")
        self.store.save_submission(replace(sub, case_id=case.case_id), expected_version=sub.version)
        if created and sub.contact.get("email") and self.mailer is not None:
            self._confirm(prop, sub, case)
        logger.info("web form submission verified", extra={"case_id": case.case_id, "property_id": property_id})
        return case, created

    def _confirm(self, prop: Any, sub: public_form.Submission, case: Case) -> None:
        from chalicelib.mail.outgoing import Outgoing, SendFailed
        subject, body = public_form.confirm_message(sub.lang, case.case_id, prop.name)
        try:
            assert self.mailer is not None
            self.mailer().send(Outgoing(sender=prop.email or config.mail_from(), sender_name=prop.name,
                                        to=sub.contact["email"], subject=subject, text=body))
        except SendFailed as exc:
            logger.warning("web form confirmation mail failed", extra={"detail": str(exc)[:200]})

    def qr_target(self, principal: auth.Principal, property_id: str, location: dict[str, Any] | None) -> dict[str, Any]:
        """The form's path for a property's (or one area's / unit's) QR code, and the
        place it fills in; staff from the front desk up (``property.qr``)."""
        auth.authorize(principal, "property.qr", property_id)
        prop = self.cases.property(property_id)
        path, label = f"/p/{property_id}", prop.name
        if location:
            if self.resolve_location is None:
                raise NotFound("this property has no archive", code="unknown_location")
            resolved = self.resolve_location(property_id, location)
            kind = resolved["kind"]  # area, building or unit: the form sends it back as the location
            path += f"?{kind}={resolved[kind + '_id']}"
            label = f"{prop.name} · {resolved['label']}"
        return {"path": path, "label": label}

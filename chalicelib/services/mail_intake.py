"""Email intake: a raw message SES stored in S3 becomes a case, a message on
an existing case, or a quarantined item for staff — never a crash, never a
duplicate.

SES's receipt rule writes the raw message to S3 and publishes a notification
(SNS) carrying its verdicts; ``app.py`` hands that notification here.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from chalicelib import config, schemas
from chalicelib.domain import auth
from chalicelib.domain.cases import Actor, Case, iso, parse_iso
from chalicelib.domain.errors import DomainError, IllegalTransition, NotFound, ValidationFailed, VersionConflict
from chalicelib.domain.properties import Property
from chalicelib.mail import templates
from chalicelib.mail.outgoing import Outgoing, SendFailed, header_safe, thread_ids
from chalicelib.mail.parse import (
    MAX_RAW_BYTES,
    MailRejected,
    ParsedMail,
    case_references,
    case_title,
    parse,
    strip_reply_prefixes,
)
from chalicelib.observability import logger, record_metric
from chalicelib.services.case_service import CaseService
from chalicelib.services.ports import IdempotentReplay, MailSeen

MAIL_ACTOR = Actor("mail-intake", "system", "Email")
# SNS invokes the Lambda asynchronously: one try and Lambda's two retries (infra's
# MaximumRetryAttempts). The last try quarantines what still fails, so no message
# is dropped when the retries run out.
MAX_ATTEMPTS = 3
ATTEMPTS_KEPT = timedelta(days=7)
ACK_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Delivery:
    """One message SES received and stored, as its notification describes it."""

    bucket: str
    key: str
    ses_message_id: str
    received_at: datetime
    recipients: tuple[str, ...]
    verdicts: dict[str, str] = field(default_factory=dict)  # spam, virus, spf, dkim -> PASS/FAIL/GRAY/...
    # From SES's commonHeaders: what staff see of a message quarantined unopened (spam, virus).
    header_from: str | None = None
    header_subject: str | None = None


@dataclass(frozen=True)
class Outcome:
    kind: str                 # "case" | "message" | "note" (staff mail) | "quarantined" | "duplicate"
    property_id: str | None = None
    case_id: str | None = None
    reason: str | None = None


def delivery_from_notification(message: str | dict[str, Any]) -> Delivery:
    """Validate SES's notification (an SNS message body) and pick out what we use."""
    try:
        data = json.loads(message) if isinstance(message, str) else message
    except ValueError:
        raise ValidationFailed("the notification is not JSON", code="invalid_notification") from None
    if not isinstance(data, dict):
        raise ValidationFailed("the notification is not a JSON object", code="invalid_notification")
    data = schemas.validate("SesNotification", data)
    receipt = data["receipt"]
    try:
        received_at = parse_iso(data["mail"]["timestamp"])
    except ValueError:
        raise ValidationFailed("the notification's timestamp is not ISO 8601", code="invalid_notification") from None
    verdicts = {}
    for name in ("spam", "virus", "spf", "dkim"):
        status = (receipt.get(f"{name}Verdict") or {}).get("status") if isinstance(receipt.get(f"{name}Verdict"),
                                                                                   dict) else None
        if isinstance(status, str):
            verdicts[name] = status.upper()
    headers = data["mail"].get("commonHeaders") if isinstance(data["mail"].get("commonHeaders"), dict) else {}
    senders = headers.get("from") if isinstance(headers.get("from"), list) else []
    sender = parseaddr(senders[0])[1] if senders and isinstance(senders[0], str) else ""
    subject = headers.get("subject")
    if not isinstance(subject, str):
        subject = ""
    return Delivery(bucket=receipt["action"]["bucketName"], key=receipt["action"]["objectKey"],
                    ses_message_id=data["mail"]["messageId"], received_at=received_at,
                    recipients=tuple(r.lower() for r in receipt["recipients"]), verdicts=verdicts,
                    header_from=header_safe(sender, 320).lower() or None,
                    header_subject=header_safe(subject, 200) or None)


def quarantine_reason(verdicts: dict[str, str]) -> str | None:
    """SES's verdicts that keep a message out of the case flow."""
    if verdicts.get("virus") == "FAIL":
        return "virus"
    if verdicts.get("spam") == "FAIL":
        return "spam"
    if verdicts.get("spf") == "FAIL" and verdicts.get("dkim") == "FAIL":
        return "spf_and_dkim_failed"
    return None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def content_digest(mail: ParsedMail) -> str:
    """What the message says: sender, subject, text and attachment bytes (not
    the trace fields each receiving hop adds)."""
    h = hashlib.sha256()
    for value in (mail.from_address, mail.subject, mail.full_text):
        h.update(value.encode("utf-8", "surrogatepass") + b"\0")
    for part in mail.attachments:
        h.update(part.filename.encode("utf-8", "surrogatepass") + b"\0" + hashlib.sha256(part.data).digest())
    return h.hexdigest()


def message_identity(mail: ParsedMail, delivery: Delivery) -> str:
    """Which message this is, for deduplication: its Message-ID *and* what it
    says, so a sender's retransmission (stored again under a new key) is one
    message, while two different messages sharing a Message-ID (broken clients,
    resends with edits) are two. Without a Message-ID, the stored object is the
    message: SES stores each delivery once."""
    if mail.message_id:
        return _digest(f"{mail.message_id}\n{content_digest(mail)}")
    return _digest(f"s3://{delivery.bucket}/{delivery.key}")


class MailIntake:
    def __init__(self, cases_service: CaseService, s3: Callable[[], Any], mailer: Callable[[], Any], *,
                 bucket_prefix_attachments: str = "attachments/"):
        self.cases = cases_service
        self.store = cases_service.store
        self._s3 = s3
        self._mailer = mailer
        self._attachments_prefix = bucket_prefix_attachments

    # --- entry point ----------------------------------------------------------

    def handle(self, delivery: Delivery) -> Outcome:
        """Turn one delivery into a case, a message or a quarantine entry. A
        rule that refuses the mail quarantines it at once (a retry would be
        refused the same way); an unexpected error is raised for Lambda to
        retry, and quarantined on the last try instead of being lost."""
        parsed: list[ParsedMail] = []  # what staff will see of it, once parsed
        try:
            return self._handle(delivery, parsed)
        except Exception as exc:  # quarantined, or counted and re-raised until the last try
            # A lost race (VersionConflict) is worth a retry, which reads the fresh state.
            if isinstance(exc, DomainError) and not isinstance(exc, VersionConflict):
                logger.warning("inbound mail refused", extra={"s3_key": delivery.key, "code": exc.code})
                return self._quarantine(delivery, "intake_refused", mail=parsed[0] if parsed else None,
                                        detail=f"{exc.code}: {exc.message}")
            attempt = self.store.count_mail_attempt(delivery.bucket, delivery.key,
                                                    expires_at=delivery.received_at + ATTEMPTS_KEPT)
            if attempt < MAX_ATTEMPTS:
                raise
            logger.exception("inbound mail failed on its last try", extra={"s3_key": delivery.key})
            return self._quarantine(delivery, "intake_failed", mail=parsed[0] if parsed else None,
                                    detail=f"{type(exc).__name__}: {exc} (try {attempt} of {MAX_ATTEMPTS})")

    def _handle(self, delivery: Delivery, parsed: list[ParsedMail]) -> Outcome:
        reason = quarantine_reason(delivery.verdicts)
        if reason:
            return self._quarantine(delivery, reason)
        s3 = self._s3()
        head = s3.head_object(Bucket=delivery.bucket, Key=delivery.key)
        if head["ContentLength"] > MAX_RAW_BYTES:
            return self._quarantine(delivery, "too_large")
        raw = s3.get_object(Bucket=delivery.bucket, Key=delivery.key)["Body"].read()
        try:
            mail = parse(raw)
        except MailRejected as exc:
            return self._quarantine(delivery, exc.reason, detail=exc.detail)
        parsed.append(mail)
        reason = quarantine_reason({k: v.upper() for k, v in mail.spam_headers.items() if isinstance(v, str)}
                                   if not delivery.verdicts else {})
        if reason is None and mail.automatic:
            # Bounces, out-of-office notes, list and bulk mail, loop notices are
            # written by machines: a case would start windows and escalations for
            # a "complaint" nobody made and nobody can be called back about, and
            # an acknowledgement would feed the loop. Quarantined, they cost
            # nobody time and stay listed with the reason for staff to review.
            # (Mail a person wrote but asked not to be auto-answered, and mail past
            # the loop breaker, do become cases, unacknowledged: see _may_acknowledge.)
            return self._quarantine(delivery, "auto_submitted", mail=mail, detail=mail.automatic)
        if reason:
            return self._quarantine(delivery, reason, mail=mail)
        dedupe = message_identity(mail, delivery)
        prop = self._property_for(delivery, mail)
        if prop is not None and prop.is_staff_address(mail.from_address):
            return self._staff_mail(prop, mail, delivery, dedupe)
        thread = self._thread_case(prop, mail)
        if thread is not None:
            return self._add_to_case(thread, mail, delivery, dedupe)
        if prop is None:
            return self._quarantine(delivery, "unknown_recipient", mail=mail)
        return self._new_case(prop, mail, delivery, dedupe)

    # --- routing --------------------------------------------------------------

    def _property_for(self, delivery: Delivery, mail: ParsedMail) -> Property | None:
        addresses = list(dict.fromkeys(list(delivery.recipients) + mail.to_addresses))
        property_id = self.store.property_of_inboxes(addresses)
        if property_id is not None:
            return self.cases.property(property_id)
        tenant = self._tenant(mail.from_address)
        return self.cases.property(tenant["property_id"]) if tenant else None

    def _tenant(self, address: str) -> dict[str, Any] | None:
        return self.store.tenant_by_email(address)

    def _thread_case(self, prop: Property | None, mail: ParsedMail) -> Case | None:
        """The open conversation this mail answers: by a message id we sent
        (In-Reply-To/References), else by a case reference in the subject. Only
        the case's own correspondent threads into it."""
        for case in self._thread_candidates(prop, mail):
            if (case.reporter.get("email") or "").lower() == mail.from_address:
                return case
        return None

    def _thread_candidates(self, prop: Property | None, mail: ParsedMail) -> list[Case]:
        """The cases this mail's thread (message ids we know, case references in
        the subject) points at, in that order."""
        candidates: list[tuple[str, str]] = []
        keys = thread_ids(mail.in_reply_to + mail.references)
        if keys:
            candidates += self.store.cases_for_message_ids(keys)
        if prop is not None:
            candidates += [(prop.property_id, ref) for ref in case_references(mail.subject)]
        found: list[Case] = []
        for property_id, case_id in dict.fromkeys(candidates):
            try:
                found.append(self.store.get_case(property_id, case_id))
            except NotFound:
                continue
        return found

    # --- outcomes -------------------------------------------------------------

    def _store_attachments(self, property_id: str, dedupe: str, mail: ParsedMail) -> list[dict[str, Any]]:
        """Attachments go to S3 under keys derived from the message's identity
        (Message-ID and content): a redelivery overwrites rather than
        duplicates, and another message with the same Message-ID gets its own."""
        refs = []
        s3 = self._s3()
        bucket = self._bucket()
        for n, part in enumerate(mail.attachments, start=1):
            safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in part.filename)[-80:] or "file"
            key = f"{self._attachments_prefix}{property_id}/{dedupe[:32]}/{n}-{safe}"
            s3.put_object(Bucket=bucket, Key=key, Body=part.data, ContentType=part.content_type,
                          Metadata={"filename": part.filename.encode("utf-8").hex()})
            refs.append({"ref": f"s3://{bucket}/{key}", "name": part.filename, "content_type": part.content_type,
                         "size": part.size})
        return refs

    def _bucket(self) -> str:
        return config.mail_bucket()

    def _new_case(self, prop: Property, mail: ParsedMail, delivery: Delivery, dedupe: str, *,
                  repeat_of: str | None = None) -> Outcome:
        tenant = self._tenant(mail.from_address)
        known = bool(tenant and tenant.get("property_id") == prop.property_id)
        lang = (tenant or {}).get("lang") or mail.lang or templates.property_lang(prop.lang, prop.policy.timezone)
        title = case_title(mail.subject, mail.text, templates.our_subjects())
        content = (mail.text or title or "(empty)")[:5000]
        reporter = {"name": (mail.from_name or (tenant or {}).get("name") or mail.from_address)[:100],
                    "email": mail.from_address}
        if known and tenant is not None:
            reporter["tenant_id"] = tenant["tenant_id"]
        params = {"channel": "email", "unit": ((tenant or {}).get("unit") or templates.unit_unknown(lang))[:200],
                  "title": title, "content": content, "reporter": reporter, "contact": mail.from_address,
                  "lang": lang, "verified": known, "mail_message_id": mail.message_id or delivery.ses_message_id,
                  "attachments": self._store_attachments(prop.property_id, dedupe, mail)}
        if repeat_of:
            params["repeat_of"] = repeat_of
        case, created = self.cases.create_as(MAIL_ACTOR, prop.property_id, params, dedupe)
        if not created:
            if self._ack_missing(prop, case) and self._may_acknowledge(mail, delivery):
                # The first delivery made the case and died before the ack went out; AWS
                # redelivers a failed invocation, so the ack goes now.
                self._acknowledge(prop, case, mail)
            return Outcome("duplicate", prop.property_id, case.case_id)
        if mail.message_id:
            # Staff answering the tenant's own mail (copying the inbox) thread in by it (_staff_mail).
            self.store.remember_message_id(mail.message_id, case.key)
        logger.info("email became a case", extra={"case_id": case.case_id, "property_id": prop.property_id,
                                                  "verified_sender": known})
        if self._may_acknowledge(mail, delivery):
            self._acknowledge(prop, case, mail)
        return Outcome("case", prop.property_id, case.case_id)

    def _may_acknowledge(self, mail: ParsedMail, delivery: Delivery) -> bool:
        """Whether this case's sender gets an acknowledgement. Not when they
        asked for no automatic answers, and not beyond the loop breaker: at most
        ``config.mail_acks_per_hour()`` to one address in any hour, counted in
        DynamoDB so every Lambda instance sees the same count. An auto-responder
        with no marker we know would otherwise answer each ack with a new mail.
        The mail still becomes a case: a person may have written it."""
        if mail.suppress_auto_reply:
            logger.info("acknowledgement suppressed at the sender's request")
            return False
        if self.store.take_ack_slot(mail.from_address, now=delivery.received_at, window=ACK_WINDOW,
                                    limit=config.mail_acks_per_hour()):
            return True
        logger.warning("acknowledgement withheld: the loop breaker's limit for this sender is reached")
        record_metric("MailAckLoopBreaker")
        return False

    def _add_to_case(self, case: Case, mail: ParsedMail, delivery: Delivery, dedupe: str) -> Outcome:
        params = {"text": mail.text[:2000] or strip_reply_prefixes(mail.subject),
                  "attachments": self._store_attachments(case.property_id, dedupe, mail)[:10]}
        guard = MailSeen(dedupe, case.key, delivery.key)
        try:
            self.cases.system_act(MAIL_ACTOR, case.property_id, case.case_id, "message", params, guard=guard)
        except IdempotentReplay:
            return Outcome("duplicate", case.property_id, case.case_id)
        except IllegalTransition:
            # The case is closed: the tenant's new mail opens a new case that points back to it.
            prop = self.cases.property(case.property_id)
            return self._new_case(prop, mail, delivery, dedupe, repeat_of=case.case_id)
        if mail.message_id:
            self.store.remember_message_id(mail.message_id, case.key)
        return Outcome("message", case.property_id, case.case_id)

    def _staff_mail(self, prop: Property, mail: ParsedMail, delivery: Delivery, dedupe: str) -> Outcome:
        """Mail from a staff address (``Property.is_staff_address``) is staff's,
        never a complaint: an engineer answering a tenant from their own mail
        client with the inbox copied. On a case's thread it is recorded on that
        case as an internal note (the tenant never sees notes); not on a thread,
        it is quarantined as ``staff_mail`` for the front desk to look at. It is
        never acknowledged."""
        thread = next((c for c in self._thread_candidates(prop, mail) if c.property_id == prop.property_id), None)
        if thread is None:
            return self._quarantine(delivery, "staff_mail", mail=mail,
                                    detail="mail from a staff address that answers no case")
        text = mail.text[:2000] or strip_reply_prefixes(mail.subject) or "(empty)"
        params = {"note": text, "via": "email", "from": mail.from_address,
                  "attachments": self._store_attachments(prop.property_id, dedupe, mail)[:10]}
        actor = Actor(mail.from_address, "staff_mail", (mail.from_name or mail.from_address)[:100])
        try:
            self.cases.system_act(actor, prop.property_id, thread.case_id, "note", params,
                                  guard=MailSeen(dedupe, thread.key, delivery.key))
        except IdempotentReplay:
            return Outcome("duplicate", prop.property_id, thread.case_id)
        if mail.message_id:
            self.store.remember_message_id(mail.message_id, thread.key)
        logger.info("staff mail recorded as a note", extra={"case_id": thread.case_id})
        return Outcome("note", prop.property_id, thread.case_id)

    def _ack_message_id(self, prop: Property, case: Case) -> str:
        """One Message-ID per case's acknowledgement: a redelivery can tell it
        was sent, and mail clients fold a second copy into the first."""
        sender = prop.email or self._default_sender()
        return f"ack.{case.property_id}.{case.case_id}@{sender.rsplit('@', 1)[-1] or 'tenantdesk.example'}"

    def _ack_missing(self, prop: Property, case: Case) -> bool:
        if case.channel != "email":
            return False
        return not self.store.message_id_known(self._ack_message_id(prop, case))

    def _acknowledge(self, prop: Property, case: Case, mail: ParsedMail) -> None:
        """Tell the tenant at once that we have it, with the number and the promised window."""
        due = case.deadlines["response"].due
        sender = prop.email or self._default_sender()
        ack_message_id = self._ack_message_id(prop, case)
        outgoing = Outgoing(
            sender=sender, sender_name=prop.name, to=mail.from_address, message_id=ack_message_id,
            subject=templates.ack_subject(case.lang, case.case_id),
            text=templates.ack_text(case.lang, case_id=case.case_id, name=case.reporter.get("name", ""),
                                    due=templates.local_time(due, prop.policy.timezone), property_name=prop.name),
            in_reply_to=mail.message_id, references=tuple(mail.references[-10:]) + ((mail.message_id,)
                                                                                    if mail.message_id else ()))
        try:
            message_id = self._mailer().send(outgoing)
        except SendFailed:
            # The case is safe; the ack is a courtesy. Logged and counted for the on-call.
            logger.warning("acknowledgement not sent", extra={"case_id": case.case_id})
            record_metric("MailAckFailed", property_id=case.property_id)
            return
        for key in (message_id, ack_message_id):
            self.store.remember_message_id(key, case.key)

    @staticmethod
    def _default_sender() -> str:
        return config.mail_from()

    def _quarantine(self, delivery: Delivery, reason: str, *, mail: ParsedMail | None = None,
                    detail: str = "") -> Outcome:
        """Kept in S3 where it is, listed for staff, no case and no auto-reply."""
        property_id = None
        if mail is not None:
            try:
                prop = self._property_for(delivery, mail)
                property_id = prop.property_id if prop else None
            except Exception:  # noqa: BLE001 - quarantining is the last resort: it must not fail on routing
                property_id = None
        if property_id is None:
            property_id = self.store.property_of_inboxes(delivery.recipients)
        record = {"reason": reason, "detail": detail[:500], "bucket": delivery.bucket, "key": delivery.key,
                  "ses_message_id": delivery.ses_message_id, "received_at": iso(delivery.received_at),
                  "verdicts": delivery.verdicts, "from": mail.from_address if mail else delivery.header_from,
                  "subject": mail.subject[:200] if mail else delivery.header_subject}
        self.store.put_quarantined(property_id, delivery.received_at, delivery.key, record)
        logger.warning("email quarantined", extra={"reason": reason, "s3_key": delivery.key})
        record_metric("MailQuarantined", dimensions={"reason": reason})
        return Outcome("quarantined", property_id, None, reason)

    def unrouted(self, principal: auth.Principal, *, limit: int,
                 cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Quarantined mail that no property's inbox received (a mistyped address,
        an inbox not yet configured), newest first: admins only."""
        auth.authorize(principal, "mail.unrouted")
        return self.store.quarantined(None, limit=limit, cursor=cursor)

    def quarantined(self, principal: auth.Principal, property_id: str, *, limit: int,
                    cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """A property's quarantined mail, newest first, for staff to review."""
        auth.authorize(principal, "mail.quarantine", property_id)
        return self.store.quarantined(property_id, limit=limit, cursor=cursor)

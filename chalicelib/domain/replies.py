"""Written replies to written (email, letter) complaints: pure rules.

The operator's procedure: a written complaint gets a written reply, and only
after a leader has approved it. So a reply moves

    pending --approve--> approved --claim--> sending --sent--> sent
       ^  \\--return--> returned --revise--/          \\--failed--> approved (retried later)
       \\-------------------------------------/
                         sending --(no answer in time)--> uncertain (a person checks; never resent blindly)

Letters are not sent by SES: an approved letter reply waits for staff to mark it posted.
The author never approves their own reply; only approvers of the case's property do.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.auth import APPROVER_ROLES, Principal
from chalicelib.domain.cases import Case, iso
from chalicelib.domain.errors import Conflict, Forbidden, IllegalTransition, ValidationFailed

STATUSES = ("pending", "returned", "approved", "sending", "sent", "uncertain")
SEND_LEASE = timedelta(minutes=15)  # a send not confirmed within this is reported, not retried
MAX_BODY = 10000
MAX_ATTEMPTS = 8


@dataclass
class Reply:
    property_id: str
    case_id: str
    reply_id: str
    author: str
    author_name: str
    subject: str
    body: str
    lang: str
    medium: str                      # "email" or "letter"
    status: str = "pending"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    approver: str | None = None
    approved_at: datetime | None = None
    return_comment: str | None = None
    attempts: int = 0
    last_error: str | None = None
    sending_since: datetime | None = None
    sent_at: datetime | None = None
    provider_message_id: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0

    @property
    def case_key(self) -> str:
        return f"{self.property_id}#{self.case_id}"

    def changed_at(self) -> datetime:
        """When it last changed: its place in the approval queue and the outbox."""
        at = self.updated_at or self.created_at
        if at is None:
            raise ValueError(f"reply {self.reply_id} was never stamped")  # every reply is made by draft(now)
        return at

    def queue(self) -> str | None:
        """Which work queue the reply sits in: approvers' queue, or the outbox."""
        if self.status == "pending":
            return f"pending#{self.property_id}"
        if self.status == "approved" and self.medium == "email":
            return "unsent"
        if self.status == "sending":
            return "sending"
        return None


def _moved(reply: Reply, status: str, who: str, now: datetime, **data: Any) -> Reply:
    after = copy.deepcopy(reply)
    after.history.append({"at": iso(now), "by": who, "from": reply.status, "to": status,
                          **{k: v for k, v in data.items() if v is not None}})
    after.status = status
    after.updated_at = now
    return after


def _require(reply: Reply, *statuses: str, action: str) -> None:
    if reply.status not in statuses:
        raise IllegalTransition(f"cannot {action} a reply that is {reply.status}",
                                details={"status": reply.status, "action": action, "allowed_from": list(statuses)})


def draft(case: Case, author: Principal, *, reply_id: str, subject: str, body: str, now: datetime) -> Reply:
    """A staff member drafts the written reply; it waits for approval at once."""
    if not case.written:
        raise IllegalTransition("only written (email or letter) cases get an approved written reply",
                                code="not_a_written_case", details={"channel": case.channel})
    if not body.strip():
        raise ValidationFailed("the reply needs a body", details={"field": "body"})
    if len(body) > MAX_BODY:
        raise ValidationFailed(f"the reply is longer than {MAX_BODY} characters", details={"field": "body"})
    medium = "email" if case.channel == "email" else "letter"
    if medium == "email" and not (case.reporter.get("email")):
        raise ValidationFailed("the case has no email address to reply to", details={"field": "reporter.email"})
    reply = Reply(property_id=case.property_id, case_id=case.case_id, reply_id=reply_id, author=author.subject,
                  author_name=author.name, subject=subject.strip(), body=body, lang=case.lang, medium=medium,
                  created_at=now, updated_at=now)
    reply.history.append({"at": iso(now), "by": author.subject, "to": "pending"})
    return reply


def revise(reply: Reply, author: Principal, *, subject: str | None, body: str, now: datetime) -> Reply:
    """The author rewrites a returned reply and submits it again."""
    _require(reply, "returned", action="revise")
    if author.subject != reply.author:
        raise Forbidden("only the author revises a returned reply", code="not_the_author")
    if not body.strip() or len(body) > MAX_BODY:
        raise ValidationFailed("the reply needs a body of at most 10000 characters", details={"field": "body"})
    after = _moved(reply, "pending", author.subject, now)
    after.body = body
    if subject:
        after.subject = subject.strip()
    after.return_comment = None
    return after


def _check_approver(reply: Reply, approver: Principal) -> None:
    if approver.role not in APPROVER_ROLES:
        raise Forbidden("only a manager or director approves written replies")
    if approver.subject == reply.author:
        raise Forbidden("the author cannot approve their own reply", code="own_reply")


def approve(reply: Reply, approver: Principal, *, now: datetime) -> Reply:
    _require(reply, "pending", action="approve")
    _check_approver(reply, approver)
    after = _moved(reply, "approved", approver.subject, now)
    after.approver = approver.subject
    after.approved_at = now
    return after


def return_for_changes(reply: Reply, approver: Principal, *, comment: str, now: datetime) -> Reply:
    _require(reply, "pending", action="return")
    _check_approver(reply, approver)
    if not comment.strip():
        raise ValidationFailed("say what should change", details={"field": "comment"})
    after = _moved(reply, "returned", approver.subject, now, comment=comment)
    after.return_comment = comment
    return after


def claim_for_sending(reply: Reply, *, now: datetime) -> Reply:
    """Take an approved email reply for one send attempt (the store makes this
    conditional, so two workers never both send it)."""
    _require(reply, "approved", action="send")
    if reply.medium != "email":
        raise IllegalTransition("a letter is posted, not emailed", code="not_an_email_reply")
    after = _moved(reply, "sending", "outbox", now)
    after.sending_since = now
    after.attempts = reply.attempts + 1
    return after


def sent(reply: Reply, *, provider_message_id: str, now: datetime) -> Reply:
    """The mail service accepted the reply."""
    _require(reply, "sending", action="mark sent")
    after = _moved(reply, "sent", "outbox", now, message_id=provider_message_id)
    after.sent_at = now
    after.provider_message_id = provider_message_id
    after.sending_since = None
    return after


def posted(reply: Reply, staff: Principal, *, now: datetime) -> Reply:
    """Staff put the approved letter in the post."""
    _require(reply, "approved", action="mark posted")
    if reply.medium != "letter":
        raise IllegalTransition("an email reply is sent by the outbox, not marked posted", code="not_a_letter")
    after = _moved(reply, "sent", staff.subject, now)
    after.sent_at = now
    return after


def send_failed(reply: Reply, *, error: str, now: datetime) -> Reply:
    """The provider refused the send: nothing left, so it is safe to try again later."""
    _require(reply, "sending", action="record a failed send")
    after = _moved(reply, "approved", "outbox", now, error=error[:500])
    after.last_error = error[:500]
    after.sending_since = None
    return after


def lease_expired(reply: Reply, *, now: datetime) -> Reply:
    """A send that never reported back may or may not have left: a person checks
    the mail log instead of the system sending a second copy."""
    _require(reply, "sending", action="expire")
    if reply.sending_since and now - reply.sending_since < SEND_LEASE:
        raise Conflict("the send is still within its lease", code="lease_active")
    after = _moved(reply, "uncertain", "outbox", now, error="no confirmation from the mail service")
    after.last_error = "no confirmation from the mail service"
    return after


def view(reply: Reply) -> dict[str, Any]:
    return {
        "reply_id": reply.reply_id, "property_id": reply.property_id, "case_id": reply.case_id,
        "status": reply.status, "medium": reply.medium, "subject": reply.subject, "body": reply.body,
        "lang": reply.lang, "author": reply.author, "author_name": reply.author_name, "approver": reply.approver,
        "approved_at": iso(reply.approved_at) if reply.approved_at else None,
        "return_comment": reply.return_comment, "attempts": reply.attempts, "last_error": reply.last_error,
        "sent_at": iso(reply.sent_at) if reply.sent_at else None,
        "provider_message_id": reply.provider_message_id,
        "created_at": iso(reply.created_at) if reply.created_at else None,
        "updated_at": iso(reply.updated_at) if reply.updated_at else None,
        "history": reply.history, "version": reply.version,
    }

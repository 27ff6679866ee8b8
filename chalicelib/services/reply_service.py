"""Written replies: draft, approve or return, and the outbox that sends them.

Sending is exactly-once as far as we can make it: a reply is claimed
(approved -> sending) by a conditional write before SES is called, so two
workers never both send it; a refusal from SES puts it back for a later retry;
a send that never reports back is flagged for a person, never resent blindly.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib import config
from chalicelib.domain import auth, cases, replies
from chalicelib.domain.cases import Actor, Case
from chalicelib.domain.errors import VersionConflict
from chalicelib.domain.replies import Reply
from chalicelib.mail import templates
from chalicelib.mail.outgoing import Outgoing, SendFailed, new_message_id
from chalicelib.observability import logger, record_metric
from chalicelib.services.case_service import CaseService

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from chalicelib.services.ports import ReplyStore

OUTBOX = Actor("outbox", "system", "Tenantdesk")


def new_reply_id(now: datetime) -> str:
    return f"R{now.strftime('%Y%m%d%H%M%S')}{secrets.token_hex(2)}"


class ReplyService:
    def __init__(self, cases_service: CaseService, store: ReplyStore, mailer: Callable[[], Any]):
        self.cases = cases_service
        self.store = store
        self._mailer = mailer  # built on first send: an SES client costs ~100 ms
        self.clock = cases_service.clock

    # --- staff and approvers --------------------------------------------------

    def draft(self, principal: auth.Principal, property_id: str, case_id: str, params: dict[str, Any]) -> Reply:
        auth.authorize(principal, "reply.draft", property_id)
        case = self.cases.store.get_case(property_id, case_id)
        auth.authorize_on_case(principal, department=case.department, assignee=case.assignee)
        now = self.clock()
        subject = params.get("subject") or templates.reply_subject(case.lang, case.case_id, case.title)
        reply = replies.draft(case, principal, reply_id=new_reply_id(now), subject=subject, body=params["body"],
                              now=now)
        self.store.save_reply(reply, expected_version=None)
        reply.version = 1
        return reply

    def list_for_case(self, principal: auth.Principal, property_id: str, case_id: str) -> list[Reply]:
        auth.authorize(principal, "reply.read", property_id)
        return self.store.replies_of(self.cases.store.get_case(property_id, case_id))

    def approval_queue(self, principal: auth.Principal, *, limit: int) -> list[Reply]:
        """Replies waiting for approval across the approver's properties, oldest first."""
        auth.authorize(principal, "reply.approve")
        pending: list[Reply] = []
        for property_id in sorted(principal.properties):
            pending += self.store.pending_replies(property_id, limit=limit)
        return sorted(pending, key=lambda r: r.changed_at())[:limit]

    def _load(self, principal: auth.Principal, action: str, property_id: str, case_id: str, reply_id: str,
              expected_version: int | None) -> Reply:
        auth.authorize(principal, action, property_id)
        reply = self.store.get_reply(property_id, case_id, reply_id)
        if expected_version is not None and expected_version != reply.version:
            raise VersionConflict("the reply was changed by someone else; reload and try again",
                                  code="reply_version_conflict", details={"current_version": reply.version})
        return reply

    def _save(self, before: Reply, after: Reply) -> Reply:
        self.store.save_reply(after, expected_version=before.version)
        after.version = before.version + 1
        return after

    def approve(self, principal: auth.Principal, property_id: str, case_id: str, reply_id: str,
                expected_version: int | None = None) -> Reply:
        """Approve, and send at once when it is an email; a refused send stays
        approved in the outbox and is retried."""
        reply = self._load(principal, "reply.approve", property_id, case_id, reply_id, expected_version)
        approved = self._save(reply, replies.approve(reply, principal, now=self.clock()))
        record_metric("WrittenReplyApproved", property_id=property_id, case_id=case_id)
        return self.deliver(approved) if approved.medium == "email" else approved

    def return_for_changes(self, principal: auth.Principal, property_id: str, case_id: str, reply_id: str,
                           comment: str, expected_version: int | None = None) -> Reply:
        reply = self._load(principal, "reply.approve", property_id, case_id, reply_id, expected_version)
        return self._save(reply, replies.return_for_changes(reply, principal, comment=comment, now=self.clock()))

    def revise(self, principal: auth.Principal, property_id: str, case_id: str, reply_id: str,
               params: dict[str, Any]) -> Reply:
        reply = self._load(principal, "reply.draft", property_id, case_id, reply_id, params.get("version"))
        return self._save(reply, replies.revise(reply, principal, subject=params.get("subject"),
                                                body=params["body"], now=self.clock()))

    def mark_posted(self, principal: auth.Principal, property_id: str, case_id: str, reply_id: str) -> Reply:
        """An approved letter went into the post: that is the case's response."""
        reply = self._load(principal, "reply.post", property_id, case_id, reply_id, None)
        after = replies.posted(reply, principal, now=self.clock())
        self._record_on_case(reply, after, Actor(principal.subject, principal.role, principal.name), None)
        return after

    # --- the outbox -------------------------------------------------------------

    def deliver(self, reply: Reply) -> Reply:
        """Claim, send, record. Returns the reply as it now stands."""
        now = self.clock()
        try:
            claimed = self._save(reply, replies.claim_for_sending(reply, now=now))
        except VersionConflict:
            return self.store.get_reply(reply.property_id, reply.case_id, reply.reply_id)  # someone else has it
        case = self.cases.store.get_case(reply.property_id, reply.case_id)
        prop = self.cases.property(reply.property_id)
        sender = prop.email or _default_sender()
        our_message_id = new_message_id(sender)
        mail = Outgoing(sender=sender, sender_name=prop.name, to=case.reporter["email"],
                        message_id=our_message_id,
                        subject=templates.with_reference(claimed.subject, case.case_id),
                        text=templates.reply_text(case.lang, case.case_id, claimed.body, prop.name),
                        in_reply_to=case.mail_thread[-1] if case.mail_thread else None,
                        references=tuple(case.mail_thread))
        try:
            message_id = self._mailer().send(mail)
        except SendFailed as exc:
            logger.warning("written reply send failed", extra={"case_id": case.case_id, "reply_id": reply.reply_id})
            record_metric("WrittenReplySendFailed", property_id=reply.property_id)
            return self._save(claimed, replies.send_failed(claimed, error=str(exc), now=self.clock()))
        after = replies.sent(claimed, provider_message_id=message_id, now=self.clock())
        self._record_on_case(claimed, after, OUTBOX, message_id)
        for key in (message_id, our_message_id):
            self.cases.store.remember_message_id(key, case.key, reply_id=reply.reply_id)
        record_metric("WrittenReplySent", property_id=reply.property_id, case_id=case.case_id)
        return after

    def _record_on_case(self, before: Reply, after: Reply, actor: Actor, message_id: str | None) -> None:
        """The reply's new state and the case's audit event in one transaction;
        the case may move under us (a note, a reclassification), so reload and
        retry rather than lose the record of a reply that has left."""
        for _ in range(10):
            case: Case = self.cases.store.get_case(before.property_id, before.case_id)
            prop = self.cases.property(before.property_id)
            change = cases.written_reply(case, actor, {
                "reply_id": before.reply_id, "medium": before.medium, "subject": before.subject,
                "message": before.body, "message_id": message_id, "approver": before.approver}, self.clock(),
                prop.policy)
            try:
                self.store.save_reply(after, expected_version=before.version, change=change,
                                      case_version=case.version)
                after.version = before.version + 1
                return
            except VersionConflict as exc:
                if exc.code == "reply_version_conflict":
                    raise
        raise VersionConflict("the case is changing too fast to record the reply; it will be retried",
                              code="busy_retry")

    def run_outbox(self, *, limit: int = 50) -> dict[str, int]:
        """Retry approved replies SES refused before, and flag sends that never
        reported back. Runs on a schedule (and in the local stack's worker)."""
        counts = {"sent": 0, "failed": 0, "uncertain": 0}
        for reply in self.store.reply_queue("unsent", limit=limit)[0]:
            if reply.attempts >= replies.MAX_ATTEMPTS:
                continue
            result = self.deliver(reply)
            counts["sent" if result.status == "sent" else "failed"] += 1
        now = self.clock()
        for reply in self.store.reply_queue("sending", limit=limit)[0]:
            if reply.sending_since and now - reply.sending_since >= replies.SEND_LEASE:
                self._save(reply, replies.lease_expired(reply, now=now))
                counts["uncertain"] += 1
        return counts


def _default_sender() -> str:
    return config.mail_from()

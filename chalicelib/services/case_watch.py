"""The deadline watcher's service: what each Check of a case's Step Functions
execution does (escalate, notify, renew), callback reminders and the outbox sweeper.
The execution itself is started by chalicelib/adapters/stepfunctions.py.

Why the watcher is a task token over SQS and not a Lambda task: chalicelib/adapters/stepfunctions.py.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib import config
from chalicelib.domain import escalation
from chalicelib.domain.cases import Case, iso, parse_iso
from chalicelib.domain.errors import VersionConflict
from chalicelib.mail.outgoing import Outgoing, SendFailed, new_message_id
from chalicelib.mail.templates import escalation_mail, local_time
from chalicelib.observability import logger, record_metric
from chalicelib.services.case_service import CaseService, watch_outbox_record

# The outbox sweep leaves younger records to the table's stream consumer (watch_stream): it
# starts them within seconds, retrying a failed batch (infra: 3 retries, bisecting) first.
OUTBOX_SWEEP_AGE = timedelta(minutes=2)

# Decisions that record a notice without raising a tier; ``notify`` then mails it.
NOTICES = {"remind": escalation.remind_promise, "return_to_desk": escalation.return_to_desk}


def _started_at(value: str | None) -> datetime | None:
    """Step Functions' ``$$.Execution.StartTime`` (ISO 8601), or None if absent or unreadable."""
    if not value:
        return None
    try:
        started = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return started if started.tzinfo else started.replace(tzinfo=timezone.utc)


class WatchService:
    """What the watcher's Check task does, and the outbox sweeper."""

    def __init__(self, cases_service: CaseService, mailer: Callable[[], Any], events: Callable[[], Any]):
        self.cases = cases_service
        self.store = cases_service.store
        self.clock = cases_service.clock
        self._mailer = mailer
        self._events = events

    def check(self, property_id: str, case_id: str, gen: int, *, started: str | None = None) -> dict[str, str]:
        """Act on the case as it stands now, until only waiting (or nothing) is
        left; returns the Step Functions answer {action, until}. ``started``:
        when this execution began (``$$.Execution.StartTime``); an execution
        near Step Functions' one-year limit hands over instead of waiting."""
        for _ in range(20):
            case = self.store.get_case(property_id, case_id)
            prop = self.cases.property(property_id)
            now = self.clock()
            decision = escalation.decide(case, gen=gen, now=now, policy=prop.policy)
            if decision.action == "done":
                return {"action": "done"}
            if decision.action == "wait":
                if escalation.needs_renewal(_started_at(started), now):
                    try:
                        self._renew(case, now, prop)
                    except VersionConflict:
                        continue
                    return {"action": "done"}
                assert decision.until is not None  # decide() always says until when
                return {"action": "wait", "until": escalation.wake_time(decision.until)}
            assert decision.key is not None  # decide() names the deadline it escalates or notifies
            try:
                if decision.action == "escalate":
                    self._escalate(case, decision.key, now, prop)
                elif decision.action in NOTICES:
                    self.store.save_change(NOTICES[decision.action](case, now, prop.policy),
                                           expected_version=case.version)
                else:
                    self._notify(case, decision.key, now, prop)
            except VersionConflict:
                continue  # someone changed the case meanwhile: decide again on the fresh one
        raise RuntimeError(f"watcher of {property_id}/{case_id} made no progress")

    def _renew(self, case: Case, now: datetime, prop: Any) -> None:
        change = escalation.renew(case, now, prop.policy)
        # The new generation starts from its outbox record, through the table's stream.
        self.store.save_change(change, expected_version=case.version,
                               outbox=[watch_outbox_record(change.case, now=now, policy=prop.policy)])
        logger.info("watcher renewed", extra={"case_id": case.case_id, "gen": change.case.watch_gen})

    def _escalate(self, case: Case, key: str, now: datetime, prop: Any) -> None:
        change = escalation.escalate_missed(case, key, now, prop.policy)
        self.store.save_change(change, expected_version=case.version)
        logger.info("deadline missed: escalated", extra={"case_id": case.case_id, "deadline": key,
                                                         "tier": change.case.tier})
        record_metric("CaseEscalated", dimensions={"tier": change.case.tier, "deadline": key},
                      property_id=case.property_id, case_id=case.case_id)

    def _notify(self, case: Case, key: str, now: datetime, prop: Any) -> None:
        """Mail the people who now hold the case, and tell other systems on
        EventBridge; then record it. A failure raises, so Step Functions retries."""
        contacts = prop.contacts_for(case.department)
        to = escalation.recipients(case, key, contacts, prop.policy, now)
        record = case.escalations[key]
        if not to:
            # Settings written before contacts were required: nobody to mail.
            # Said on the trail and raised as an alarm metric, never "notified".
            logger.error("escalation reached nobody", extra={"case_id": case.case_id, "about": key})
            # No dimension of its own: one metric the EscalationNoRecipientAlarm (infra) watches.
            record_metric("EscalationNoRecipient", tier=str(record.get("tier")),
                          property_id=case.property_id, case_id=case.case_id)
            self.store.save_change(escalation.mark_unrouted(case, key, now, prop.policy), expected_version=case.version)
            return
        subject, text = _escalation_text(case, key, record, prop)
        sender = prop.email or config.mail_from()
        for address in to:
            try:
                self._mailer().send(Outgoing(sender=sender, sender_name=prop.name, to=address, subject=subject,
                                             text=text, message_id=new_message_id(sender)))
            except SendFailed:
                record_metric("EscalationNotifyFailed", property_id=case.property_id)
                raise
        self._events().put_events(Entries=[{
            "Source": "tenantdesk", "DetailType": "CaseEscalated", "EventBusName": config.event_bus(),
            "Detail": json.dumps({"property_id": case.property_id, "case_id": case.case_id, "about": key,
                                  "tier": record.get("tier"), "due": record.get("due"), "recipients": to,
                                  "at": iso(now)}, ensure_ascii=False)}])
        # Off duty, the tier owner hears of it in the morning digest (ReportService).
        deferred = escalation.deferred_owner(case, key, contacts, prop.policy, now, to)
        change = escalation.mark_notified(case, key, to, now, prop.policy, deferred_to=deferred)
        self.store.save_change(change, expected_version=case.version)

    def remind_callback(self, property_id: str, case_id: str) -> bool:
        """Mail the front desk that a follow-up call is due; False when it is no longer needed."""
        case = self.store.get_case(property_id, case_id)
        if case.status != "resolved" or "callback" not in case.deadlines:
            return False
        prop = self.cases.property(property_id)
        to = escalation.callback_reminder_recipient(prop.contacts)
        if not to:
            return False
        due = local_time(case.deadlines["callback"].due, prop.policy.timezone)
        sender = prop.email or config.mail_from()
        self._mailer().send(Outgoing(
            sender=sender, sender_name=prop.name, to=to, message_id=new_message_id(sender),
            subject=f"[{case.case_id}] 回访提醒 / Callback due {due}",
            text=f"案件 {case.case_id}（{case.unit}）已处理完毕，请在 {due} 前回访 {case.reporter.get('name', '')}"
                 f"（{case.contact or case.reporter.get('phone') or case.reporter.get('email') or ''}）。\n\n"
                 f"Case {case.case_id} was resolved: call the tenant back before {due}."))
        return True

    def sweep_outbox(self, *, limit: int = 100, min_age: timedelta = OUTBOX_SWEEP_AGE) -> int:
        """Start every watcher whose start was lost (the stream consumer failed
        every retry, or was down), and carry pending policy recomputes on. Runs
        every minute. Records younger than ``min_age`` are the stream consumer's
        (it starts them within a second or two); should both start one anyway,
        the execution's name makes the second start a no-op."""
        started = 0
        cutoff = self.clock() - min_age
        for start in self.store.pending_watch_starts(limit=limit):
            if start.written_at and parse_iso(start.written_at) > cutoff:
                continue
            if self.cases.start_outbox(start):
                started += 1
        # A large property's policy change, continued a few pages a minute (CaseService.continue_policy_recompute).
        self.cases.sweep_policy_recomputes()
        return started


def _escalation_text(case: Case, key: str, record: dict[str, Any], prop: Any) -> tuple[str, str]:
    due = local_time(case.deadlines[key].due, prop.policy.timezone) if key in case.deadlines else "-"
    return escalation_mail(case.lang, key=key, tier=record.get("tier") or case.tier, case_id=case.case_id,
                           unit=case.unit, content=case.content, due=due)

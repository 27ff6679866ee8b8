"""The deadline watcher's AWS side: one Step Functions execution per case.

Why a task token over SQS and not a Lambda task: the ``Check`` state hands
its token to a queue, and a worker answers with ``SendTaskSuccess``. On AWS the
worker is the Chalice ``on_sqs_message`` handler ``watch_tasks``; locally the
same handler is fed by the local stack's poller. moto can run this pattern
end to end without Docker (it cannot run a Lambda task), so the tests and the
local stack exercise the very ASL file infra deploys, with no moto internals
patched. On AWS it is a standard pattern too.
"""
from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any, Callable

from chalicelib import config, watch
from chalicelib.cases import Case, iso
from chalicelib.errors import VersionConflict
from chalicelib.mailer import Outgoing, SendFailed, new_message_id
from chalicelib.observability import logger, record_metric
from chalicelib.service import CaseService, watch_outbox_record


def execution_name(property_id: str, case_id: str, gen: int) -> str:
    """Deterministic, so a retried start can never make a second execution
    (Step Functions refuses a second execution of the same name)."""
    return f"{property_id}-{case_id}-g{gen}"


def sfn_time(at: datetime) -> str:
    """RFC 3339 for a Wait state's TimestampPath, rounded up: never early."""
    at = at.astimezone(timezone.utc)
    seconds = math.ceil(at.timestamp())
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _started_at(value: str | None) -> datetime | None:
    """Step Functions' ``$$.Execution.StartTime`` (ISO 8601), or None if absent or unreadable."""
    if not value:
        return None
    try:
        started = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return started if started.tzinfo else started.replace(tzinfo=timezone.utc)


class Watcher:
    """Starts executions of the case-watch state machine."""

    def __init__(self, sfn: Callable[[], Any]):
        self._sfn = sfn

    def start(self, property_id: str, case_id: str, gen: int, *, sleep_until: datetime) -> None:
        """The execution starts in its Sleep state: its first Check comes at
        ``sleep_until``. A starter that has just stored the case passes the
        time its own decision says nothing is due before (no Check round trip
        to decide the same); one that does not know the case passes now."""
        client = self._sfn()
        decision = {"action": "wait", "until": sfn_time(sleep_until)}
        payload = {"property_id": property_id, "case_id": case_id, "gen": gen, "decision": decision,
                   "queue_url": config.watch_queue_url(), "dead_letter_url": config.watch_dead_letter_url()}
        try:
            client.start_execution(stateMachineArn=config.state_machine_arn(),
                                   name=execution_name(property_id, case_id, gen), input=json.dumps(payload))
        except client.exceptions.ExecutionAlreadyExists:
            pass  # started before (a retry, or the sweeper racing the request): that is the goal


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
            decision = watch.decide(case, gen=gen, now=now, policy=prop.policy)
            if decision.action == "done":
                return {"action": "done"}
            if decision.action == "wait":
                if watch.needs_renewal(_started_at(started), now):
                    try:
                        self._renew(case, now, prop)
                    except VersionConflict:
                        continue
                    return {"action": "done"}
                return {"action": "wait", "until": sfn_time(decision.until)}
            try:
                if decision.action == "escalate":
                    self._escalate(case, decision.key, now, prop)
                else:
                    self._notify(case, decision.key, now, prop)
            except VersionConflict:
                continue  # someone changed the case meanwhile: decide again on the fresh one
        raise RuntimeError(f"watcher of {property_id}/{case_id} made no progress")

    def _renew(self, case: Case, now: datetime, prop: Any) -> None:
        change = watch.renew(case, now, prop.policy)
        self.store.save_change(change, expected_version=case.version, outbox=[watch_outbox_record(change.case)])
        logger.info("watcher renewed", extra={"case_id": case.case_id, "gen": change.case.watch_gen})
        self.cases.start_watch(case.property_id, case.case_id, change.case.watch_gen, case=change.case,
                               policy=prop.policy)

    def _escalate(self, case: Case, key: str, now: datetime, prop: Any) -> None:
        change = watch.escalate_missed(case, key, now, prop.policy)
        self.store.save_change(change, expected_version=case.version)
        logger.info("deadline missed: escalated", extra={"case_id": case.case_id, "deadline": key,
                                                         "tier": change.case.tier})
        record_metric("CaseEscalated", dimensions={"tier": change.case.tier, "deadline": key},
                      property_id=case.property_id, case_id=case.case_id)

    def _notify(self, case: Case, key: str, now: datetime, prop: Any) -> None:
        """Mail the people who now hold the case, and tell other systems on
        EventBridge; then record it. A failure raises, so Step Functions retries."""
        to = watch.recipients(case, key, prop.contacts, prop.policy, now)
        record = case.escalations[key]
        if not to:
            # Settings written before contacts were required: nobody to mail.
            # Said on the trail and raised as an alarm metric, never "notified".
            logger.error("escalation reached nobody", extra={"case_id": case.case_id, "about": key})
            # No dimension of its own: one metric the EscalationNoRecipientAlarm (infra) watches.
            record_metric("EscalationNoRecipient", tier=str(record.get("tier")),
                          property_id=case.property_id, case_id=case.case_id)
            self.store.save_change(watch.mark_unrouted(case, key, now, prop.policy), expected_version=case.version)
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
        change = watch.mark_notified(case, key, to, now, prop.policy)
        self.store.save_change(change, expected_version=case.version)

    def remind_callback(self, property_id: str, case_id: str) -> bool:
        """Mail the front desk that a follow-up call is due; False when it is no longer needed."""
        case = self.store.get_case(property_id, case_id)
        if case.status != "resolved" or "callback" not in case.deadlines:
            return False
        prop = self.cases.property(property_id)
        to = watch.callback_reminder_recipient(prop.contacts)
        if not to:
            return False
        from chalicelib.mail.templates import local_time
        due = local_time(case.deadlines["callback"].due, prop.policy.timezone)
        sender = prop.email or config.mail_from()
        self._mailer().send(Outgoing(
            sender=sender, sender_name=prop.name, to=to, message_id=new_message_id(sender),
            subject=f"[{case.case_id}] 回访提醒 / Callback due {due}",
            text=f"案件 {case.case_id}（{case.unit}）已处理完毕，请在 {due} 前回访 {case.reporter.get('name', '')}"
                 f"（{case.contact or case.reporter.get('phone') or case.reporter.get('email') or ''}）。\n\n"
                 f"Case {case.case_id} was resolved: call the tenant back before {due}."))
        return True

    def sweep_outbox(self, *, limit: int = 100) -> int:
        """Start every watcher whose start was lost (throttled, or a crash
        between the case write and the start). Runs every minute."""
        started = 0
        for start in self.store.pending_watch_starts(limit=limit):
            if self.cases.start_watch(start.property_id, start.case_id, start.gen):
                started += 1
        return started


_TEXT = {
    "zh-Hans": ("[{case_id}] 升级提醒：{what}", "案件 {case_id}（{unit}）{what}，现由{tier}负责。\n\n内容：{content}\n期限：{due}"),
    "zh-Hant": ("[{case_id}] 升級提醒：{what}", "案件 {case_id}（{unit}）{what}，現由{tier}負責。\n\n內容：{content}\n期限：{due}"),
    "en": ("[{case_id}] Escalated: {what}", "Case {case_id} ({unit}): {what}; it is now with the {tier}.\n\n"
                                           "Content: {content}\nDeadline: {due}"),
}
_WHAT = {
    "zh-Hans": {"handoff": "未在时限内移交责任人", "response": "未在时限内答复", "callback": "未按时回访", "major": "重大投诉"},
    "zh-Hant": {"handoff": "未在時限內移交責任人", "response": "未在時限內答覆", "callback": "未按時回訪", "major": "重大投訴"},
    "en": {"handoff": "not handed over in time", "response": "not answered in time",
           "callback": "follow-up call overdue", "major": "major complaint"},
}
_TIER = {"zh-Hans": {"front_desk": "前台", "manager": "部门经理", "director": "总监"},
         "zh-Hant": {"front_desk": "前台", "manager": "部門經理", "director": "總監"},
         "en": {"front_desk": "front desk", "manager": "department manager", "director": "director"}}


def _escalation_text(case: Case, key: str, record: dict[str, Any], prop: Any) -> tuple[str, str]:
    from chalicelib.mail.templates import local_time
    lang = case.lang if case.lang in _TEXT else "zh-Hans"
    subject, body = _TEXT[lang]
    what = _WHAT[lang][key]
    due = local_time(case.deadlines[key].due, prop.policy.timezone) if key in case.deadlines else "-"
    values = {"case_id": case.case_id, "unit": case.unit, "what": what, "content": case.content[:300],
              "tier": _TIER[lang].get(record.get("tier") or case.tier, case.tier), "due": due}
    return subject.format(**values), body.format(**values)

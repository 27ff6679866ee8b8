"""Follow-up callback reminders on EventBridge Scheduler.

When a case is resolved, a one-time schedule (``at(...)`` in the property's
time zone) reminds the front desk to call the tenant back before the 3-hour
callback window closes. It is deleted when the callback is recorded or the
case reopens or closes, and made anew when the case is resolved again. The
schedule's target is the reminder queue, read by ``app.callback_reminders``.
If a reminder is lost, the watcher still escalates the missed callback.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib import config
from chalicelib.adapters.aws_names import bounded_name
from chalicelib.domain.cases import Case

LEAD = timedelta(hours=1)  # remind this long before the callback is due


# EventBridge Scheduler's schedule names: 1-64 characters of [0-9A-Za-z-_.]. Property ids may be
# up to 64 characters (web._PROPERTY_ID): "callback-<property>-<case>" fits only up to 38.
NAME_MAX = 64
NAME_CHARS = "0-9A-Za-z_.-"


def scheduler_name(*parts: str) -> str:
    """``parts`` joined by '-' when that is a valid name (as every name before this rule);
    otherwise a readable prefix and a hash of the whole (aws_names.bounded_name)."""
    return bounded_name(parts, allowed=NAME_CHARS, max_len=NAME_MAX)


def schedule_name(case: Case) -> str:
    return scheduler_name("callback", case.property_id, case.case_id)


class CallbackReminders:
    def __init__(self, scheduler: Callable[[], Any], clock: Callable[[], Any]):
        self._scheduler = scheduler
        self._clock = clock

    def after_change(self, action: str, case: Case, timezone: str) -> None:
        if action == "resolve":
            self.schedule(case, timezone)
        elif action in ("callback", "confirm", "reopen") and case.status != "resolved":
            self.cancel(case)

    def schedule(self, case: Case, timezone: str) -> None:
        due = case.deadlines["callback"].due
        remind_at = max(due - LEAD, self._clock() + timedelta(minutes=1))
        local = remind_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M:%S")
        client = self._scheduler()
        request = {
            "Name": schedule_name(case), "GroupName": config.schedule_group(),
            "ScheduleExpression": f"at({local})", "ScheduleExpressionTimezone": timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"}, "ActionAfterCompletion": "DELETE",
            "Target": {"Arn": config.reminder_queue_arn(), "RoleArn": config.scheduler_role_arn(),
                       "Input": json.dumps({"type": "callback_due", "property_id": case.property_id,
                                            "case_id": case.case_id, "due": due.isoformat()})},
        }
        try:
            client.create_schedule(**request)
        except client.exceptions.ConflictException:
            client.update_schedule(**request)  # resolved again after a reopen

    def cancel(self, case: Case) -> None:
        client = self._scheduler()
        try:
            client.delete_schedule(Name=schedule_name(case), GroupName=config.schedule_group())
        except client.exceptions.ResourceNotFoundException:
            pass


def report_schedule_name(property_id: str, schedule_id: str) -> str:
    return scheduler_name("report", property_id, schedule_id)


class ReportSchedules:
    """A property's report schedules on EventBridge Scheduler: one recurring
    ``cron(...)`` schedule each, in the property's zone (``ScheduleExpressionTimezone``),
    delivered to the reminder queue (``app.callback_reminders`` hands ``report_due``
    to the report mail service). The input carries the fire's scheduled time
    (Scheduler's ``<aws.scheduler.scheduled-time>``), so a retried delivery names
    the same period and the "sent" mark stops a second mail."""

    def __init__(self, scheduler: Callable[[], Any]):
        self._scheduler = scheduler

    def put(self, property_id: str, schedule_id: str, expression: str, timezone: str, enabled: bool) -> None:
        client = self._scheduler()
        request = {
            "Name": report_schedule_name(property_id, schedule_id), "GroupName": config.schedule_group(),
            "ScheduleExpression": expression, "ScheduleExpressionTimezone": timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"}, "State": "ENABLED" if enabled else "DISABLED",
            "Target": {"Arn": config.reminder_queue_arn(), "RoleArn": config.scheduler_role_arn(),
                       "Input": json.dumps({"type": "report_due", "property_id": property_id,
                                            "schedule_id": schedule_id,
                                            "scheduled_time": "<aws.scheduler.scheduled-time>"})},
        }
        try:
            client.create_schedule(**request)
        except client.exceptions.ConflictException:
            client.update_schedule(**request)

    def delete(self, property_id: str, schedule_id: str) -> None:
        client = self._scheduler()
        try:
            client.delete_schedule(Name=report_schedule_name(property_id, schedule_id),
                                   GroupName=config.schedule_group())
        except client.exceptions.ResourceNotFoundException:
            pass

"""Callback reminders on EventBridge Scheduler (moto stores schedules; the
local stack fires them, see devstack/engine.py)."""
from __future__ import annotations

import json

import boto3
import pytest

from chalicelib import config
from chalicelib.adapters.scheduler import CallbackReminders, schedule_name
from chalicelib.domain.auth import Principal
from tests.conftest import contacts_of

DESK = Principal("desk-1", "front_desk", frozenset({"P1"}))
TENANT = Principal("tenant-1", "tenant", frozenset({"P1"}))


@pytest.fixture
def scheduler(aws, svc, monkeypatch, clock):
    client = boto3.client("scheduler", region_name=config.region())
    client.create_schedule_group(Name="tenantdesk")
    sqs = boto3.client("sqs", region_name=config.region())
    url = sqs.create_queue(QueueName="tenantdesk-reminders")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv("TD_REMINDER_QUEUE_ARN", arn)
    monkeypatch.setenv("TD_SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/tenantdesk-scheduler")
    svc.reminders = CallbackReminders(lambda: client, clock)
    return client


def resolved_case(svc):
    case, _ = svc.submit(TENANT, "P1", {"channel": "app", "unit": "3-1201", "content": "水管漏水"}, None)
    for action, params in [("classify", {"kind": "request", "department": "engineering"}),
                           ("assign", {"assignee": "eng-1"}), ("respond", {"message": "马上到"}),
                           ("resolve", {"resolution": "已修好"})]:
        case = svc.act(DESK, "P1", case.case_id, action, params)
    return case


def names(scheduler):
    return [s["Name"] for s in scheduler.list_schedules(GroupName="tenantdesk")["Schedules"]]


def test_resolving_schedules_a_reminder_before_the_callback_is_due(scheduler, svc):
    case = resolved_case(svc)
    schedule = scheduler.get_schedule(GroupName="tenantdesk", Name=schedule_name(case))
    # Resolved Monday 10:00 Shanghai: callback due 13:00, reminder at 12:00 local.
    assert schedule["ScheduleExpression"] == "at(2026-11-23T12:00:00)"
    assert schedule["ScheduleExpressionTimezone"] == "Asia/Shanghai"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert json.loads(schedule["Target"]["Input"])["case_id"] == case.case_id


def test_the_tenants_answer_in_the_app_deletes_the_reminder(scheduler, svc):
    case = resolved_case(svc)
    assert names(scheduler) == [schedule_name(case)]
    svc.act(TENANT, "P1", case.case_id, "confirm", {"satisfied": True})
    assert names(scheduler) == []


def test_recording_the_callback_deletes_the_reminder(scheduler, svc):
    case = resolved_case(svc)
    svc.act(DESK, "P1", case.case_id, "callback", {"reached": False})
    assert names(scheduler) == [schedule_name(case)]  # not reached yet: the reminder stays
    svc.act(DESK, "P1", case.case_id, "callback", {"reached": True, "satisfied": True})
    assert names(scheduler) == []


def test_reopening_drops_the_reminder_and_resolving_again_makes_a_new_one(scheduler, svc, clock):
    case = resolved_case(svc)
    svc.act(TENANT, "P1", case.case_id, "reopen", {"reason": "又漏了"})
    assert names(scheduler) == []
    clock.advance(hours=1)
    svc.act(DESK, "P1", case.case_id, "resolve", {"resolution": "换了阀门"})
    schedule = scheduler.get_schedule(GroupName="tenantdesk", Name=schedule_name(case))
    assert schedule["ScheduleExpression"] == "at(2026-11-23T13:00:00)"


def test_a_scheduler_outage_does_not_fail_the_resolution(scheduler, svc, monkeypatch):
    def down(*args, **kwargs):
        raise RuntimeError("scheduler unavailable")
    monkeypatch.setattr(svc.reminders, "schedule", down)
    case = resolved_case(svc)
    assert case.status == "resolved"  # the watcher still escalates a missed callback


def test_the_reminder_handler_mails_the_front_desk_only_while_the_callback_is_pending(client, scheduler, svc,
                                                                                      mailbox, runtime_wired):
    from chalicelib.domain.auth import Principal as P
    svc.put_property(P("admin", "admin", frozenset({"P1"})), "P1", {
        "name": "滨江花园", "email": "service@riverside.example", "contacts": contacts_of("riverside.example")})
    case = resolved_case(svc)
    body = json.dumps({"type": "callback_due", "property_id": "P1", "case_id": case.case_id})
    client.lambda_.invoke("callback_reminders", client.events.generate_sqs_event(message_bodies=[body],
                                                                                 queue_name="tenantdesk-reminders"))
    [mail] = mailbox()
    assert mail["To"] == "desk@riverside.example" and "回访提醒" in mail["Subject"]
    svc.act(DESK, "P1", case.case_id, "callback", {"reached": True, "satisfied": True})
    client.lambda_.invoke("callback_reminders", client.events.generate_sqs_event(message_bodies=[body],
                                                                                 queue_name="tenantdesk-reminders"))
    assert len(mailbox()) == 1
    client.lambda_.invoke("callback_reminders", client.events.generate_sqs_event(message_bodies=["not json"],
                                                                                 queue_name="tenantdesk-reminders"))


@pytest.mark.parametrize("parts", [("callback", "P1", "TD-20261206-0001"), ("report", "P1", "weekly-quality")])
def test_plain_ids_keep_the_names_schedules_already_have(parts):
    from chalicelib.adapters.scheduler import scheduler_name
    assert scheduler_name(*parts) == "-".join(parts)


def test_names_from_long_property_ids_are_valid_and_distinct():
    """EventBridge Scheduler takes 1-64 of [0-9A-Za-z-_.]; a property id may be 64 characters (web._PROPERTY_ID)."""
    import re

    from chalicelib.adapters.scheduler import report_schedule_name, scheduler_name
    long_id = "mall-" + "x" * 59
    names = [scheduler_name("callback", long_id, "TD-20261206-0001"),
             scheduler_name("callback", long_id, "TD-20261206-0002"),
             scheduler_name("callback", "mall@sz", "TD-20261206-0001"),
             scheduler_name("callback", "mall:sz", "TD-20261206-0001"),
             report_schedule_name(long_id, "weekly-quality"), report_schedule_name(long_id, "weekly-quality-2")]
    assert all(re.fullmatch(r"[0-9A-Za-z_.-]{1,64}", n) for n in names), names
    assert len(set(names)) == len(names)  # truncation or replacement never makes two schedules one
    assert names[0].startswith("callback-mall-xxx")  # still readable in the console
    assert scheduler_name("callback", long_id, "TD-20261206-0001") == names[0]  # the same every time

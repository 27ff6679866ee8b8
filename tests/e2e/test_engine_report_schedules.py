"""A recurring report schedule fires on the local stack: the engine's schedule loop
reads the cron(...) schedule back from (moto's) EventBridge Scheduler, fires it when
its local time passes in the property's zone, the reminder-queue worker hands the
fire to ``callback_reminders``, and the report is mailed once, however often the
fire is delivered. In-process: the engine's own loops against moto."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from chalicelib import config
from devstack import engine
from tests.e2e.test_engine_schedules import _run

WEEKLY = {"schedule_id": "weekly-quality", "report": "weekly", "recipients": ["quality@riverside.example"],
          "weekday": "MON", "time": "08:30", "lang": "zh-Hans"}


@pytest.fixture
def stack(runtime_wired, mailbox, monkeypatch):
    scheduler = boto3.client("scheduler", region_name=config.region())
    scheduler.create_schedule_group(Name=engine.SCHEDULE_GROUP)
    sqs = boto3.client("sqs", region_name=config.region())
    url = sqs.create_queue(QueueName=engine.REMINDER_QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv("TD_REMINDER_QUEUE_ARN", arn)
    monkeypatch.setenv("TD_SCHEDULER_ROLE_ARN", "arn:aws:iam::000000000000:role/tenantdesk-scheduler")
    return sqs, url


def test_a_weekly_report_schedule_fires_on_the_local_stack_and_mails_once(stack, clock, mailbox):
    from chalicelib import runtime
    from chalicelib.domain.auth import Principal
    sqs, url = stack
    manager = Principal("mgr-1", "manager", frozenset({"P1"}))
    runtime.report_mail().put(manager, "P1", [WEEKLY], 0)

    out = io.StringIO()
    schedules = engine.due_schedules(out, clock=runtime.clock, poll=0.05)
    # First look at T0 (Monday 10:00 Shanghai): this Monday's 08:30 has passed before the loop saw it.
    _run(schedules, lambda: False, timeout=0.3)
    assert "fired" not in out.getvalue()

    def mailed():
        return [m for m in mailbox() if m["To"] == "quality@riverside.example"]

    # A week later, Monday 2026-11-30 08:31 Shanghai: the schedule fires and the worker mails the report.
    clock.now = datetime(2026, 11, 30, 0, 31, tzinfo=timezone.utc)
    failure = _run(schedules, lambda: "fired" in out.getvalue(), timeout=10)
    assert not failure, failure
    assert "engine | schedule report-P1-weekly-quality fired (2026-11-30T00:30Z)" in out.getvalue()
    [message] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    assert json.loads(message["Body"])["scheduled_time"] == "2026-11-30T00:30:00Z"
    # Deliver the fire twice (SQS is at-least-once): one mail.
    sqs.send_message(QueueUrl=url, MessageBody=message["Body"])
    pump = engine.queue_pump(engine.REMINDER_QUEUE, "callback_reminders", out)
    failure = _run(pump, lambda: bool(mailed()) and _drained(sqs, url), timeout=10)
    assert not failure, failure
    [mail] = mailed()
    assert mail["Subject"] == "[滨江花园 Riverside Garden] 周报 2026-11-23 – 2026-11-29"
    assert [p.get_filename() for p in mail.iter_attachments()] == ["P1-weekly-2026-11-23.csv",
                                                                   "P1-weekly-2026-11-23.xlsx"]
    # The next poll, a minute later, does not fire again.
    clock.now += timedelta(minutes=1)
    before = out.getvalue().count("fired")
    _run(schedules, lambda: False, timeout=0.3)
    assert out.getvalue().count("fired") == before


def _drained(sqs, url) -> bool:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                    "ApproximateNumberOfMessagesNotVisible"])
    return all(v == "0" for v in attrs["Attributes"].values())


def test_the_local_minute_sweep_syncs_a_schedule_the_scheduler_refused_at_save(stack, clock, monkeypatch):
    """The watch_outbox schedule, as the local stack runs it every minute, finishes a report
    schedule's sync that the Scheduler refused when the manager saved it."""
    from chalicelib import runtime
    from chalicelib.adapters.scheduler import ReportSchedules
    from chalicelib.domain.auth import Principal
    scheduler = boto3.client("scheduler", region_name=config.region())

    def refused(*_args, **_kwargs):
        raise ConnectionError("Scheduler unreachable")

    with monkeypatch.context() as down:
        down.setattr(ReportSchedules, "put", refused)
        view = runtime.report_mail().put(Principal("mgr-1", "manager", frozenset({"P1"})), "P1", [WEEKLY], 0)
    assert view["scheduler"] == "pending"
    assert scheduler.list_schedules(GroupName=engine.SCHEDULE_GROUP)["Schedules"] == []
    clock.advance(minutes=3)  # the note is the sweep's now

    def scheduled() -> bool:
        return bool(scheduler.list_schedules(GroupName=engine.SCHEDULE_GROUP)["Schedules"])

    out = io.StringIO()
    failure = _run(engine.every(0.05, "watch_outbox", out, lambda r: f"outbox: {r}"), scheduled)
    assert not failure, failure
    [schedule] = scheduler.list_schedules(GroupName=engine.SCHEDULE_GROUP)["Schedules"]
    assert schedule["Name"] == "report-P1-weekly-quality"
    assert "'report_schedules_synced': 1" in out.getvalue()

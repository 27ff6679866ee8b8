"""Report schedule routes through chalice.test.Client on moto: a manager sets a
property's schedules (EventBridge Scheduler gets a recurring cron schedule in the
property's zone, delivering to the reminder queue), sends one now and finds the
mail with its attachments; refusals are clear 4xx with codes."""
from __future__ import annotations

import json

import boto3
import pytest

from chalicelib import config
from tests.api.helpers import call
from tests.conftest import make_token

URL = "/v1/properties/P1/report-schedules"
WEEKLY = {"schedule_id": "weekly-quality", "report": "weekly", "recipients": ["manager@riverside.example"],
          "weekday": "MON", "time": "08:30", "lang": "zh-Hant"}


@pytest.fixture
def scheduler(aws, monkeypatch):
    client = boto3.client("scheduler", region_name=config.region())
    client.create_schedule_group(Name=config.schedule_group())
    sqs = boto3.client("sqs", region_name=config.region())
    url = sqs.create_queue(QueueName="tenantdesk-reminders")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv("TD_REMINDER_QUEUE_ARN", arn)
    monkeypatch.setenv("TD_SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/tenantdesk-scheduler")
    return client


@pytest.fixture
def api(runtime_wired, scheduler, mailbox):
    from chalice.test import Client

    from app import app
    with Client(app, stage_name="local") as c:
        yield c


def test_a_manager_sets_a_weekly_report_and_scheduler_holds_it_in_the_property_zone(api, tokens, scheduler):
    s, view = call(api, "PUT", URL, tokens["manager"], {"schedules": [WEEKLY], "version": 0})
    assert s == 200, view
    assert view["version"] == 1 and view["schedules"][0]["expression"] == "cron(30 8 ? * MON *)"
    stored = scheduler.get_schedule(GroupName=config.schedule_group(), Name="report-P1-weekly-quality")
    assert stored["ScheduleExpression"] == "cron(30 8 ? * MON *)"
    assert stored["ScheduleExpressionTimezone"] == "Asia/Shanghai"
    target = json.loads(stored["Target"]["Input"])
    assert target == {"type": "report_due", "property_id": "P1", "schedule_id": "weekly-quality",
                      "scheduled_time": "<aws.scheduler.scheduled-time>"}
    s, read = call(api, "GET", URL, tokens["director"])
    assert s == 200 and read["schedules"][0]["recipients"] == ["manager@riverside.example"]
    s, view = call(api, "PUT", URL, tokens["manager"], {"schedules": [], "version": 1})
    assert s == 200 and view["schedules"] == []
    assert scheduler.list_schedules(GroupName=config.schedule_group())["Schedules"] == []


def test_send_now_mails_the_report_with_csv_and_xlsx_once_per_period(api, tokens, mailbox):
    call(api, "PUT", URL, tokens["manager"], {"schedules": [{**WEEKLY, "report": "daily"}], "version": 0})
    s, result = call(api, "POST", URL + "/weekly-quality/send", tokens["manager"])
    assert s == 201 and result["period"] == "daily:2026-11-22", result
    [mail] = [m for m in mailbox() if m["To"] == "manager@riverside.example"]
    assert mail["Subject"] == "[滨江花园 Riverside Garden] 日報 2026-11-22"
    assert [p.get_filename() for p in mail.iter_attachments()] == ["P1-daily-2026-11-22.csv",
                                                                   "P1-daily-2026-11-22.xlsx"]
    assert "受理總數" in mail.get_body(("html",)).get_content()
    s, again = call(api, "POST", URL + "/weekly-quality/send", tokens["manager"])
    assert s == 200 and again == {"skipped": "already_sent", "period": "daily:2026-11-22"}


@pytest.mark.parametrize(("role", "status", "code"), [("front_desk", 403, "forbidden"), ("tenant", 403, "forbidden"),
                                                      ("dept_staff", 403, "forbidden")])
def test_only_management_sets_or_reads_schedules(api, tokens, role, status, code):
    s, body = call(api, "GET", URL, tokens[role])
    assert (s, body["code"]) == (status, code)
    s, body = call(api, "PUT", URL, tokens[role], {"schedules": [WEEKLY]})
    assert (s, body["code"]) == (status, code)


def test_another_propertys_manager_finds_nothing(api):
    s, body = call(api, "GET", URL, make_token("manager", properties=("P2",), subject="mgr-p2"))
    assert s == 404


def test_wrong_schedules_are_refused_with_the_field(api, tokens):
    s, body = call(api, "PUT", URL, tokens["manager"], {"schedules": [{**WEEKLY, "time": "8:30"}]})
    assert s == 422 and body["code"] == "invalid_report_schedule"
    assert body["details"]["field"] == "schedules[0].time"
    s, body = call(api, "PUT", URL, tokens["manager"], {"schedules": [{**WEEKLY, "report": "hourly"}]})
    assert s in (400, 422)
    call(api, "PUT", URL, tokens["manager"], {"schedules": [WEEKLY], "version": 0})
    s, body = call(api, "PUT", URL, tokens["manager"], {"schedules": [], "version": 0})
    assert s == 409 and body["code"] == "report_schedules_version_conflict"
    s, body = call(api, "POST", URL + "/no-such/send", tokens["manager"])
    assert s == 404 and body["code"] == "report_schedule_not_found"

"""Wiring: the one place that builds AWS-backed objects, once, on first use.

Import stays cheap (nothing is created at import), a warm Lambda reuses what
it built, and tests swap the clock or reset the wiring when they change config.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from chalicelib import config

_service = None
_replies = None
_intake = None
_reports = None
_watch = None
_notify = None
_clients: dict[str, Any] = {}
_clock: Callable[[], datetime] | None = None


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def clock() -> datetime:
    return (_clock or utc_now)()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Tests and the local stack may drive time; production uses the wall clock."""
    global _clock
    _clock = fn


def aws_client(name: str) -> Any:
    """One boto3 client per service (creating one costs ~100 ms)."""
    if name not in _clients:
        import boto3  # ~180 ms: only when the first client is needed
        _clients[name] = boto3.client(name, region_name=config.region())
    return _clients[name]


def mailer() -> Any:
    from chalicelib.adapters.ses import SesMailer  # the email package and botocore: senders only
    return SesMailer(aws_client("ses"))


def service():
    global _service
    if _service is None:
        # Services and adapters (pynamodb, botocore) load on the first request, not at import.
        from chalicelib.adapters.dynamodb import DynamoStore
        from chalicelib.adapters.models import bind
        from chalicelib.services.case_service import CaseService
        watcher = None
        if config.state_machine_arn():
            from chalicelib.adapters.stepfunctions import Watcher
            watcher = Watcher(lambda: aws_client("stepfunctions"))
        reminders = None
        if config.reminder_queue_arn():
            from chalicelib.adapters.scheduler import CallbackReminders
            reminders = CallbackReminders(lambda: aws_client("scheduler"), clock)
        _service = CaseService(DynamoStore(bind()), clock, watcher=watcher, reminders=reminders)
    return _service


def watch_service():
    global _watch
    if _watch is None:
        from chalicelib.services.case_watch import WatchService
        _watch = WatchService(service(), mailer, lambda: aws_client("events"))
    return _watch


def replies():
    global _replies
    if _replies is None:
        from chalicelib.services.reply_service import ReplyService
        _replies = ReplyService(service(), service().store, mailer)
    return _replies


def intake():
    global _intake
    if _intake is None:
        from chalicelib.services.mail_intake import MailIntake
        _intake = MailIntake(service(), lambda: aws_client("s3"), mailer)
    return _intake


def reports():
    global _reports
    if _reports is None:
        from chalicelib.services.report_service import ReportService  # ~10 ms: report routes and the schedule only
        _reports = ReportService(service(), service().store, clock=clock, mailer=mailer)
    return _reports


def notifications():
    """Tenant notifications: feed, devices, preferences, delivery (SNS push, Web Push, email)."""
    global _notify
    if _notify is None:
        from chalicelib.services.notify_service import NotificationService
        push = webpush = public = None
        if config.push_applications():
            from chalicelib.adapters.push import SnsPush
            push = SnsPush(lambda: aws_client("sns"), config.push_applications())
        key = config.vapid_private_key()
        if key:
            from chalicelib.adapters.push import WebPush, public_key
            webpush, public = WebPush(key, config.vapid_subject()), public_key(key)
        _notify = NotificationService(service().store, clock, service().property, push=push, webpush=webpush,
                                      mailer=mailer, vapid_public_key=public,
                                      allow_local_push=config.webpush_allow_local())
    return _notify


def reset() -> None:
    global _service, _replies, _intake, _watch, _reports, _clock, _notify
    _service = _replies = _intake = _watch = _reports = _clock = _notify = None
    _clients.clear()

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
_logbook = None
_watch = None
_uploads = None
_onboarding = None
_keys = None
_archive = None
_notify = None
_public = None
_library = None
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
        from chalicelib.adapters.archive_store import DynamoArchiveStore
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
        from chalicelib.adapters.dynamodb_uploads import DynamoUploadStore
        models = bind()
        _service = CaseService(DynamoStore(models), clock, watcher=watcher, reminders=reminders,
                               uploads=DynamoUploadStore(models), locations=DynamoArchiveStore(models))
    return _service


def uploads():
    """Photo uploads and thumbnails (chalicelib/services/upload_service.py)."""
    global _uploads
    if _uploads is None:
        from chalicelib.adapters.images import thumbnail  # Pillow itself loads on the first thumbnail
        from chalicelib.adapters.s3_objects import S3Objects
        from chalicelib.services.upload_service import UploadService
        cases = service()
        if cases.uploads is None:  # a service wired by hand (tests): its tables, as they are bound
            from chalicelib.adapters.dynamodb_uploads import DynamoUploadStore
            from chalicelib.adapters.models import MODELS
            cases.uploads = DynamoUploadStore(MODELS)
        _uploads = UploadService(cases, cases.uploads, S3Objects(lambda: aws_client("s3"), config.mail_bucket()),
                                 clock, thumbnailer=thumbnail)
    return _uploads


def watch_service():
    global _watch
    if _watch is None:
        from chalicelib.services.case_watch import WatchService
        _watch = WatchService(service(), mailer, lambda: aws_client("events"))
    return _watch


def watch_stream():
    """The meta table's stream consumer: starts the watchers outbox records ask for."""
    from chalicelib.adapters.watch_stream import outbox_start
    from chalicelib.services.watch_stream import WatchStream
    return WatchStream(service(), outbox_start)


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
        _reports.keys_out = lambda property_id, end: keys().handover_keys(property_id, end)
        _reports.signed = lambda property_id, end: logbook().is_signed(property_id, end)
    return _reports


_report_mail = None


def report_mail():
    """Report schedules per property and the reports they mail (services/report_mail_service.py)."""
    global _report_mail
    if _report_mail is None:
        from chalicelib.adapters.report_schedule_store import DynamoReportScheduleStore
        from chalicelib.services.report_mail_service import ReportMailService
        scheduler = None
        if config.reminder_queue_arn():
            from chalicelib.adapters.scheduler import ReportSchedules
            scheduler = ReportSchedules(lambda: aws_client("scheduler"))
        _report_mail = ReportMailService(reports(), DynamoReportScheduleStore(service().store.m), clock=clock,
                                         mailer=mailer, scheduler=scheduler)
    return _report_mail


def logbook():
    global _logbook
    if _logbook is None:
        from chalicelib.adapters.logbook_store import DynamoLogbookStore
        from chalicelib.services.logbook_service import LogbookService
        # The records table bound with the other tables: the case store's models.
        _logbook = LogbookService(reports(), DynamoLogbookStore(service().store.m), clock=clock, mailer=mailer)
    return _logbook


def directory() -> Any:
    """The user directory (Cognito) when a user pool is configured, else None."""
    pool = config.user_pool_id()
    if not pool:
        return None
    from chalicelib.adapters.cognito import CognitoDirectory
    return CognitoDirectory(lambda: aws_client("cognito-idp"), pool)


def onboarding():
    global _onboarding
    if _onboarding is None:
        from chalicelib.services.onboarding import OnboardingService
        _onboarding = OnboardingService(service().store, directory, clock)
    return _onboarding


def keys():
    """The key register (seed 000 篇2) on the records table."""
    global _keys
    if _keys is None:
        from chalicelib.adapters.key_store import DynamoKeyStore
        from chalicelib.adapters.models import bind
        from chalicelib.services.key_service import KeyService
        # The models the case store was built with (bound once; tests bind them to their own tables).
        models = getattr(service().store, "m", None) or bind()
        _keys = KeyService(service(), DynamoKeyStore(models), clock, mailer=mailer)
    return _keys


def archive():
    """The owner archive (routes_archive); its store is the one cases' locations are checked against."""
    global _archive
    if _archive is None:
        from chalicelib.adapters.archive_store import DynamoArchiveStore
        from chalicelib.services.archive_service import ArchiveService
        svc = service()
        # The tables the case service was bound to (bind() again here could move them under its feet).
        store = svc.locations or DynamoArchiveStore(svc.store.m)
        _archive = ArchiveService(store, svc, clock)
    return _archive


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


def public_form():
    """The public web form: pending submissions, codes by mail (and SMS), the case on verify."""
    global _public
    if _public is None:
        from chalicelib.adapters.public_store import DynamoPublicFormStore
        from chalicelib.services.public_form_service import PublicFormService
        sms = None
        if config.public_sms():
            from chalicelib.adapters.sms import SnsSms
            sms = lambda: SnsSms(aws_client("sns"))  # noqa: E731
        _public = PublicFormService(service(), DynamoPublicFormStore(service().store.m), clock, mailer=mailer,
                                    sms=sms, resolve_location=lambda pid, req: archive().resolve(pid, req))
    return _public


def library():
    """The case library (per property) on the records table, beside the case store's tables."""
    global _library
    if _library is None:
        from chalicelib.adapters.library_store import DynamoLibraryStore
        from chalicelib.adapters.models import bind
        from chalicelib.services.library_service import LibraryService
        models = getattr(service().store, "m", None) or bind()
        _library = LibraryService(service(), DynamoLibraryStore(models), clock)
    return _library


def reset() -> None:
    global _service, _replies, _intake, _watch, _reports, _logbook, _clock, _uploads, _onboarding, _keys, _archive
    global _notify, _public, _library
    _service = _replies = _intake = _watch = _reports = _logbook = _clock = _uploads = _onboarding = _keys = None
    _archive = _notify = _public = _library = None
    global _report_mail
    _report_mail = None
    _clients.clear()

"""The escalation engine and schedules in the local stack, wired as on AWS.

- The case-watch state machine is created from statemachines/case_watch.asl.json
  (the file infra deploys) on moto, which executes it. Its Check tasks arrive
  on the watch queue; a worker hands them to ``app.watch_tasks`` exactly as
  Lambda's SQS event source would.
- Case watchers start from the meta table's DynamoDB stream: a worker reads
  moto's stream and hands each batch to ``app``'s ``watch_stream`` handler as
  Lambda's event source mapping would (devstack/streams.py).
- EventBridge rules and Scheduler schedules are stored by moto but never fired,
  so workers fire them: the watch-outbox sweeper (every minute), the handover
  and statistics job (hourly on AWS; every minute here, it is idempotent), and
  one-time Scheduler schedules (callback reminders) when their time comes, and
  recurring ``cron(...)`` ones (report schedules) each time their local minute passes.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from chalicelib.resources import LOCAL
from devstack import notify, streams
from devstack.mail import _client, _context

ROOT = Path(__file__).resolve().parent.parent
ASL = ROOT / "statemachines" / "case_watch.asl.json"
# The local names (chalicelib/resources.py): one stack per machine, no stage in them.
WATCH_QUEUE = LOCAL.watch_queue
WATCH_DLQ = LOCAL.watch_dead_letters
REMINDER_QUEUE = LOCAL.reminder_queue
THUMBNAIL_QUEUE = LOCAL.thumbnail_queue
# Browser uploads come from the console's and a local app's origins (as CORS on AWS, infra/mail_intake.py).
LOCAL_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")
SCHEDULE_GROUP = LOCAL.schedule_group


def setup() -> dict[str, str]:
    """Queues, the state machine and the schedule group; returns the settings
    (environment variables) the app reads to reach them."""
    sqs, sfn = _client("sqs"), _client("stepfunctions")
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in (WATCH_QUEUE, WATCH_DLQ, REMINDER_QUEUE)}
    reminder_arn = sqs.get_queue_attributes(QueueUrl=urls[REMINDER_QUEUE],
                                            AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    machine = sfn.create_state_machine(name=LOCAL.state_machine, definition=ASL.read_text(encoding="utf-8"),
                                       roleArn=f"arn:aws:iam::000000000000:role/{LOCAL.state_machine}")
    scheduler = _client("scheduler")
    try:
        scheduler.create_schedule_group(Name=SCHEDULE_GROUP)
    except scheduler.exceptions.ConflictException:
        pass
    setup_thumbnails()
    return {"TD_STATE_MACHINE_ARN": machine["stateMachineArn"], "TD_WATCH_QUEUE_URL": urls[WATCH_QUEUE],
            "TD_WATCH_DLQ_URL": urls[WATCH_DLQ], "TD_REMINDER_QUEUE_ARN": reminder_arn,
            "TD_SCHEDULE_GROUP": SCHEDULE_GROUP,
            "TD_SCHEDULER_ROLE_ARN": f"arn:aws:iam::000000000000:role/{LOCAL.prefix}-scheduler"}


def setup_thumbnails() -> None:
    """As infra wires it on AWS: the mail bucket notifies the thumbnail queue of
    every object stored under ``attachments/`` (moto delivers S3 notifications to
    SQS; a worker pumps the queue to ``make_thumbnails``), and accepts browser
    POSTs (presigned uploads) from the local origins. Call after the bucket exists."""
    from chalicelib import config
    from chalicelib.domain.attachments import PREFIX
    s3, sqs = _client("s3"), _client("sqs")
    url = sqs.create_queue(QueueName=THUMBNAIL_QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=config.mail_bucket(), NotificationConfiguration={
        "QueueConfigurations": [{"Id": "thumbnails", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": PREFIX}]}}}]})
    s3.put_bucket_cors(Bucket=config.mail_bucket(), CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["POST"], "AllowedOrigins": list(LOCAL_ORIGINS), "AllowedHeaders": ["*"],
         "MaxAgeSeconds": 3000},
        {"AllowedMethods": ["GET"], "AllowedOrigins": list(LOCAL_ORIGINS), "MaxAgeSeconds": 3000}]})


def sqs_lambda_event(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source would pass for one message."""
    return {"Records": [{"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                         "body": message["Body"], "attributes": message.get("Attributes", {}),
                         "messageAttributes": {}, "md5OfBody": message.get("MD5OfBody", ""),
                         "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "local"}]}


def scheduled_event(rule: str) -> dict[str, Any]:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "000000000000", "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "local", "resources": [f"arn:aws:events:local:000000000000:rule/{rule}"], "detail": {}}


def handler(name: str) -> Callable[[dict[str, Any], Any], Any]:
    """The app's event handler registered as ``name``, wherever it is declared.

    Looked up in Chalice's own registry (``app.app.handler_map``), not as an
    attribute of the app module: a blueprint's handler (``@reports_routes.schedule``)
    is registered on the app but is no attribute of app.py, and a getattr that
    quietly found nothing once left the local stack without handovers. An
    unknown name is a wiring bug, so it raises instead of skipping the job."""
    import app
    try:
        return app.app.handler_map[name]
    except KeyError:
        raise LookupError(f"the app has no event handler {name!r}; "
                          f"its event handlers are {sorted(event_handler_names())}") from None


def event_handler_names() -> set[str]:
    """Every scheduled or event-driven handler the app declares (its own and its blueprints')."""
    import app
    return {source.name for source in app.app.event_sources}


def queue_pump(queue: str, handler_name: str, out: TextIO,
               report: Callable[[Any], str | None] = lambda r: None):
    """Feed a queue's messages to an ``on_sqs_message`` handler of the app;
    ``report`` turns what the handler returned into a line to print (or None)."""
    def loop(stopping: threading.Event) -> None:
        handle = handler(handler_name)
        sqs = _client("sqs")
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        while not stopping.is_set():
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1).get(
                    "Messages", []):
                try:
                    line = report(handle(sqs_lambda_event(message, arn), _context(handler_name)))
                except Exception as exc:  # noqa: BLE001 - as Lambda would: reported, message left for a retry
                    out.write(f"engine | {handler_name} failed: {exc!r}\n")
                    out.flush()
                    continue
                if line:
                    out.write(f"{line}\n")
                    out.flush()
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return loop


def every(seconds: float, handler_name: str, out: TextIO, report: Callable[[Any], str | None] = lambda r: None):
    """Fire a scheduled handler of the app, as its EventBridge rule would. An
    unknown handler raises (and so stops the stack): a job is never skipped quietly."""
    def loop(stopping: threading.Event) -> None:
        handle = handler(handler_name)
        while not stopping.wait(seconds):
            try:
                line = report(handle(scheduled_event(handler_name), _context(handler_name)))
            except Exception as exc:  # noqa: BLE001 - a failed run is reported; the next one tries again
                line = f"{handler_name} failed: {exc!r}"
            if line:
                out.write(f"engine | {line}\n")
                out.flush()
    return loop


def due_schedules(out: TextIO, clock: Callable[[], datetime] | None = None, poll: float = 2):
    """Fire one-time Scheduler schedules (``at(...)``) whose time has come, to
    their SQS target, then delete them (ActionAfterCompletion DELETE); and
    recurring ``cron(...)`` schedules (report schedules) each time the expression
    matches a local minute in the schedule's zone since the loop last looked
    (first look: from then on), with ``<aws.scheduler.scheduled-time>`` in the
    input replaced as Scheduler does. ``clock``: the stack's (tests drive it)."""
    from chalicelib.domain.report_schedules import last_fire
    now_of = clock or (lambda: datetime.now(timezone.utc))
    seen: dict[str, datetime] = {}

    def fire_cron(sqs: Any, name: str, schedule: dict[str, Any], now: datetime) -> None:
        since = seen.setdefault(name, now)
        seen[name] = now
        if schedule.get("State") == "DISABLED":
            return
        fired = last_fire(schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone") or "UTC",
                          since, now)
        if fired is None:
            return
        target = schedule["Target"]
        body = (target.get("Input") or "{}").replace("<aws.scheduler.scheduled-time>",
                                                      fired.strftime("%Y-%m-%dT%H:%M:%SZ"))
        url = sqs.get_queue_url(QueueName=target["Arn"].rsplit(":", 1)[-1])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=body)
        out.write(f"engine | schedule {name} fired ({fired.strftime('%Y-%m-%dT%H:%MZ')})\n")
        out.flush()

    def loop(stopping: threading.Event) -> None:
        scheduler, sqs = _client("scheduler"), _client("sqs")
        while not stopping.wait(poll):
            now = now_of()
            for summary in scheduler.list_schedules(GroupName=SCHEDULE_GROUP).get("Schedules", []):
                schedule = scheduler.get_schedule(GroupName=SCHEDULE_GROUP, Name=summary["Name"])
                expression = schedule.get("ScheduleExpression", "")
                if expression.startswith("cron("):
                    fire_cron(sqs, summary["Name"], schedule, now)
                    continue
                if not expression.startswith("at("):
                    continue
                local = datetime.fromisoformat(expression[3:-1])
                zone = ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
                if local.replace(tzinfo=zone) > now:
                    continue
                target = schedule["Target"]
                queue_name = target["Arn"].rsplit(":", 1)[-1]
                url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
                sqs.send_message(QueueUrl=url, MessageBody=target.get("Input") or "{}")
                scheduler.delete_schedule(GroupName=SCHEDULE_GROUP, Name=summary["Name"])
                out.write(f"engine | schedule {summary['Name']} fired\n")
                out.flush()
    return loop


# The app's event handlers these workers drive (devstack/mail.py drives
# inbound_mail and written_reply_outbox); tests check every handler is driven.
DRIVEN = ("watch_tasks", "callback_reminders", "watch_outbox", "handover_and_stats", "make_thumbnails",
          "keys_overdue", "watch_stream", "deliver_notifications")  # the last by devstack/notify.py


def watch_stream(out: TextIO):
    """The meta table's stream to ``watch_stream`` (starts case watchers), as Lambda's
    event source mapping delivers it; from what is written once the stack is up."""
    def loop(stopping: threading.Event) -> None:
        # Named when the worker starts: the stack's environment (table prefix, region) is set by then.
        from chalicelib import config
        from chalicelib.adapters.watch_stream import stream_filter  # the filter infra sets on the mapping
        streams.stream_pump(config.meta_table(), "watch_stream", out, client=_client, handler=handler,
                            context=_context, region=config.region(), pattern=stream_filter())(stopping)
    return loop


def workers(out: TextIO) -> list[tuple[str, Callable[[threading.Event], None]]]:
    return [
        ("watch-tasks", queue_pump(WATCH_QUEUE, "watch_tasks", out)),
        # Case watchers start from the meta table's stream (the submit path writes only the outbox record).
        ("watch-stream", watch_stream(out)),
        ("reminders", queue_pump(REMINDER_QUEUE, "callback_reminders", out)),
        ("thumbnails", queue_pump(THUMBNAIL_QUEUE, "make_thumbnails", out, thumbnail_lines)),
        ("watch-outbox", every(60, "watch_outbox", out,
                               lambda r: f"watchers started from the outbox: {r['started']}"
                               if r and r.get("started") else None)),
        ("handover-stats", every(60, "handover_and_stats", out,
                                 lambda r: f"handover/statistics: {r}" if r and any(
                                     (r or {}).values()) else None)),
        ("schedules", due_schedules(out)),
        # Overdue keys of the register (every 5 minutes on AWS; every minute here).
        ("keys-overdue", every(60, "keys_overdue", out,
                               lambda r: f"overdue keys told to the shift lead: {r['told']}"
                               if r and r.get("told") else None)),
        ("notify-delivery", notify.delivery_worker(out)),
    ]


def thumbnail_lines(results: Any) -> str | None:
    """``thumbnail | made → attachments/P1/...`` for each object the handler looked at
    (its own thumbnails' notifications, ``skipped``, are not shown)."""
    lines = [f"thumbnail | {outcome} → {key}" for key, outcome in (results or {}).items() if outcome != "skipped"]
    return "\n".join(lines) or None


def fast_policy() -> dict[str, Any]:
    """``--fast``: P1's windows in minutes, so a user can watch a case escalate."""
    # Working hours all day, every day: escalations reach the manager, not the night desk.
    return {"timezone": "Asia/Shanghai", "weekend": [], "work_start": "00:00", "work_end": "23:59", "windows": {
        "handoff": {"amount": 1, "unit": "minutes"}, "consultation": {"amount": 1, "unit": "minutes"},
        "reply_business_affected": {"amount": 3, "unit": "minutes"},
        "reply_outside_control": {"amount": 5, "unit": "minutes"},
        "reply_equipment_facility": {"amount": 5, "unit": "minutes"},
        "feedback": {"amount": 4, "unit": "minutes"}, "callback": {"amount": 3, "unit": "minutes"},
        "promise": {"amount": 6, "unit": "minutes"}, "awaiting_tenant": {"amount": 4, "unit": "minutes"}},
        "escalation_step": {"amount": 2, "unit": "minutes"}, "promise_reminder": {"amount": 2, "unit": "minutes"}}

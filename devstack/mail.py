"""Email in the local stack, wired as on AWS.

On AWS an SES receipt rule stores each message in S3 and publishes a
notification on SNS, which invokes ``app.inbound_mail``. moto's SES does not
run receipt rules, so locally ``python -m devstack.mail FILE.eml`` plays the
receipt rule (S3 object + SNS notification) and a worker delivers SNS's
messages, through an SQS subscription, to the very same handler.

Also here: the outbox schedule (EventBridge on AWS) and a printer that shows
each mail SES accepted, so a user can watch acknowledgements and approved
replies leave.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import json
import sys
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO

from chalicelib.resources import LOCAL

TOPIC = LOCAL.inbound_topic  # the topic app.inbound_mail subscribes to
QUEUE = f"{LOCAL.inbound_topic}-local"  # the local stack's own subscription, pumped to the handler
INBOUND_PREFIX = "inbound/"
SENDER_DOMAINS = ("riverside.example", "harbour.example", "tenantdesk.example")
OUTBOX_EVERY_SECONDS = 30
MAX_RECEIVES = 3


def _client(name: str) -> Any:
    import boto3

    from chalicelib import config
    return boto3.client(name, region_name=config.region())


def setup() -> None:
    """The mail bucket, verified senders, the SNS topic and the SQS queue subscribed to it."""
    from chalicelib import config
    s3 = _client("s3")
    try:
        s3.create_bucket(Bucket=config.mail_bucket(),
                         CreateBucketConfiguration={"LocationConstraint": config.region()})
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    ses = _client("ses")
    for domain in SENDER_DOMAINS:
        ses.verify_domain_identity(Domain=domain)
    sns, sqs = _client("sns"), _client("sqs")
    topic_arn = sns.create_topic(Name=TOPIC)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)


def _context(name: str) -> SimpleNamespace:
    return SimpleNamespace(function_name=name, aws_request_id=str(uuid.uuid4()), memory_limit_in_mb=512,
                           invoked_function_arn=f"arn:aws:lambda:local:000000000000:function:{name}",
                           get_remaining_time_in_millis=lambda: 60000)


def sns_lambda_event(envelope: dict[str, Any]) -> dict[str, Any]:
    """The event Lambda gets from SNS, built from the envelope SNS put on SQS."""
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": envelope.get(
        "TopicArn", ""), "Sns": {"Type": "Notification", "MessageId": envelope.get("MessageId", ""),
                                 "TopicArn": envelope.get("TopicArn", ""), "Subject": envelope.get("Subject"),
                                 "Message": envelope["Message"], "Timestamp": envelope.get("Timestamp", ""),
                                 "MessageAttributes": envelope.get("MessageAttributes") or {}}}]}


def intake_worker(out: TextIO):
    """Deliver each SNS notification to ``app.inbound_mail``, as Lambda would."""
    def loop(stopping: threading.Event) -> None:
        from app import inbound_mail
        sqs = _client("sqs")
        queue_url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
        while not stopping.is_set():
            batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                        AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
            for message in batch:
                try:
                    result = inbound_mail(sns_lambda_event(json.loads(message["Body"])), _context("inbound_mail"))
                except Exception as exc:  # noqa: BLE001 - Lambda would retry; so do we, a few times
                    tries = int(message["Attributes"].get("ApproximateReceiveCount", "1"))
                    out.write(f"mail | intake failed (try {tries}): {exc!r}\n")
                    if tries < MAX_RECEIVES:
                        continue
                else:
                    out.write(f"mail | received → {result.get('outcome')} "
                              f"{result.get('case_id') or result.get('reason') or ''}\n")
                out.flush()
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return loop


def outbox_worker(out: TextIO):
    """The outbox schedule (every 5 minutes on AWS; every 30 s here)."""
    def loop(stopping: threading.Event) -> None:
        from app import written_reply_outbox
        while not stopping.wait(OUTBOX_EVERY_SECONDS):
            event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                     "source": "aws.events", "account": "000000000000",
                     "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "region": "local",
                     "resources": ["arn:aws:events:local:000000000000:rule/written_reply_outbox"], "detail": {}}
            counts = written_reply_outbox(event, _context("written_reply_outbox"))
            if any(counts.values()):
                out.write(f"mail | outbox: {counts}\n")
                out.flush()
    return loop


def sent_mail_printer(out: TextIO):
    """Show every message SES accepted (moto runs in this process, so its store is readable)."""
    def loop(stopping: threading.Event) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        from chalicelib import config
        shown = 0
        while not stopping.wait(1):
            sent = ses_backends[DEFAULT_ACCOUNT_ID][config.region()].sent_messages
            for message in sent[shown:]:
                raw = message.raw_data.encode() if isinstance(message.raw_data, str) else message.raw_data
                parsed = email.message_from_bytes(raw, policy=email.policy.default)
                out.write(f"mail | sent → {parsed['To']}  「{parsed['Subject']}」\n")
            if len(sent) > shown:
                out.flush()
                shown = len(sent)
    return loop


# --- the command a user runs -------------------------------------------------------

def state_file(root: Path) -> Path:
    """Beside the signing key: a stack started with its own TD_DEV_KEY_FILE (the
    tests do) never overwrites the state of the developer's running stack."""
    import os
    key = os.environ.get("TD_DEV_KEY_FILE")
    return (Path(key).parent if key else root / ".tenantdesk") / "stack.json"


def common_headers(raw: bytes) -> dict:
    """What SES puts in a receipt notification's ``mail.commonHeaders`` (decoded)."""
    import email.policy
    from email.parser import BytesHeaderParser
    try:
        headers = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        found = {"from": [str(headers["From"])] if headers["From"] else [],
                 "to": [str(headers["To"])] if headers["To"] else [],
                 "subject": str(headers["Subject"] or ""), "messageId": str(headers["Message-ID"] or "")}
    except Exception:  # noqa: BLE001 - SES leaves out what it cannot read; so do we
        return {}
    return {k: v for k, v in found.items() if v}


def envelope_sender(raw: bytes) -> str:
    """The SMTP MAIL FROM a saved .eml was sent with: its own (topmost)
    Return-Path if it has one (the mailbox that saved it recorded it), else its
    From address. "" is the null sender of bounces."""
    from email.parser import BytesHeaderParser
    from email.utils import parseaddr
    headers = BytesHeaderParser().parsebytes(raw)
    path = headers.get("Return-Path")
    if path is not None:
        path = str(path).strip()
        return "" if "".join(path.split()) == "<>" else parseaddr(path)[1] or path.strip("<>")
    return parseaddr(str(headers.get("From") or ""))[1]


def as_received(raw: bytes, mail_from: str) -> bytes:
    """The message as SES stores it: a ``Return-Path`` with the envelope sender
    on top (``<>`` for a bounce), replacing any the saved file carried."""
    newline = b"\r\n" if b"\r\n" in raw[:4096] else b"\n"
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=len(raw))
    head, body = raw[:end], raw[end:]
    lines = head.split(newline)
    kept, skipping = [], False
    for line in lines:
        if skipping and line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of a dropped Return-Path
        skipping = line.lower().startswith(b"return-path:")
        if not skipping:
            kept.append(line)
    return b"Return-Path: <" + mail_from.encode("utf-8") + b">" + newline + newline.join(kept) + body


def drop(raw: bytes, *, recipients: list[str], spam: str = "PASS", virus: str = "PASS",
         mail_from: str | None = None) -> str:
    """Do what SES's receipt rule does: add the Return-Path, store the message,
    publish the notification. ``mail_from`` is the envelope sender (default:
    what the file says; "" for a null-sender bounce)."""
    from chalicelib import config
    if mail_from is None:
        mail_from = envelope_sender(raw)
    raw = as_received(raw, mail_from)
    key = f"{INBOUND_PREFIX}{uuid.uuid4().hex}"
    _client("s3").put_object(Bucket=config.mail_bucket(), Key=key, Body=raw)
    notification = {
        "notificationType": "Received",
        "mail": {"messageId": uuid.uuid4().hex, "timestamp": datetime.now(timezone.utc).isoformat(),
                 "source": mail_from, "destination": recipients, "commonHeaders": common_headers(raw)},
        "receipt": {"recipients": recipients, "spamVerdict": {"status": spam}, "virusVerdict": {"status": virus},
                    "spfVerdict": {"status": "PASS"}, "dkimVerdict": {"status": "PASS"},
                    "action": {"type": "S3", "bucketName": config.mail_bucket(), "objectKey": key}},
    }
    sns = _client("sns")
    topic_arn = sns.create_topic(Name=TOPIC)["TopicArn"]  # idempotent: returns the existing topic
    sns.publish(TopicArn=topic_arn, Message=json.dumps(notification, ensure_ascii=False),
                Subject="Amazon SES Email Receipt Notification")
    return key


def main(argv: Sequence[str] | None = None) -> int:
    import os
    parser = argparse.ArgumentParser(prog="python -m devstack.mail",
                                     description="Deliver a raw .eml to the running local stack, as SES would.")
    parser.add_argument("file", type=Path, help="a raw RFC 5322 message (.eml)")
    parser.add_argument("--to", action="append", default=None,
                        help="recipient address (default: the P1 inbox service@riverside.example)")
    parser.add_argument("--spam", default="PASS", help="SES spam verdict to pretend (PASS, FAIL)")
    parser.add_argument("--virus", default="PASS", help="SES virus verdict to pretend (PASS, FAIL)")
    parser.add_argument("--mail-from", default=None, metavar="ADDRESS",
                        help="the SMTP envelope sender SES records as Return-Path (default: the file's Return-Path, "
                             "else its From; '<>' or '' for a null-sender bounce)")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    try:
        state = json.loads(state_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        print("error: the local stack is not running (start it with ./dev run)", file=sys.stderr)
        return 2
    os.environ.update(state["env"])
    key = drop(args.file.read_bytes(), recipients=[a.lower() for a in (args.to or ["service@riverside.example"])],
               spam=args.spam.upper(), virus=args.virus.upper(),
               mail_from=None if args.mail_from is None else args.mail_from.strip().strip("<>").strip())
    print(f"delivered {args.file.name} as s3://…/{key}; watch the stack's output for the case")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def sent_sms_printer(out: TextIO):
    """Show every text message SNS accepted (the public web form's codes) as an ``sms |`` line."""
    def loop(stopping: threading.Event) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        from chalicelib import config
        shown = 0
        while not stopping.wait(1):
            sent = list(sns_backends[DEFAULT_ACCOUNT_ID][config.region()].sms_messages.values())
            for phone, message in sent[shown:]:
                out.write(f"sms | sent → {phone}  「{message}」\n")
            if len(sent) > shown:
                out.flush()
                shown = len(sent)
    return loop

#!/usr/bin/env python
"""Raw emails per second through parse + store (the intake handler's work).

The mixed sample set under tests/mail/samples (GB2312, Big5, UTF-8 HTML,
attachments, replies, spam, broken and truncated mail) is delivered over and
over against an in-process moto (S3, DynamoDB, SES), each copy with a fresh
Message-ID so it is new mail, not a duplicate. Printed: messages per second
and per-message latency percentiles for the whole intake (S3 read, parse,
routing, case transaction, attachments to S3, acknowledgement through SES),
and separately for ``parse()`` alone. A report, not a timed test.

    python bench/email_intake.py [--seconds 10]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for _name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "TD_TABLE_PREFIX"):
    os.environ.pop(_name, None)
os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_DEFAULT_REGION": "ap-southeast-1", "AWS_REGION": "ap-southeast-1",
                   "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR"})
sys.path.insert(0, str(REPO))

SAMPLES = sorted((REPO / "tests" / "mail" / "samples").glob("*.eml"))
INBOXES = {"big5_complaint.eml": "service@harbour.example", "iso8859_english.eml": "service@harbour.example"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fresh(raw: bytes, n: int) -> bytes:
    """The same message as new mail: a unique Message-ID."""
    return re.sub(rb"(?im)^Message-ID:[^\r\n]*", f"Message-ID: <bench-{n}@bench.example>".encode(), raw, count=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    import boto3
    from moto import mock_aws

    from chalicelib import config
    from chalicelib.adapters.dynamodb import DynamoStore
    from chalicelib.adapters.models import bind, create_tables
    from chalicelib.adapters.ses import SesMailer
    from chalicelib.domain.auth import Principal
    from chalicelib.mail.parse import MailRejected, parse
    from chalicelib.services.case_service import CaseService
    from chalicelib.services.mail_intake import Delivery, MailIntake

    with mock_aws():
        store = DynamoStore(bind())
        create_tables(store.m)
        s3 = boto3.client("s3", region_name=config.region())
        s3.create_bucket(Bucket=config.mail_bucket(), CreateBucketConfiguration={"LocationConstraint": config.region()})
        ses = boto3.client("ses", region_name=config.region())
        for domain in ("riverside.example", "harbour.example"):
            ses.verify_domain_identity(Domain=domain)
        service = CaseService(store, lambda: datetime.now(timezone.utc))
        admin = Principal("admin", "admin", frozenset({"P1", "P2"}))
        for pid, name, domain in (("P1", "滨江花园", "riverside.example"), ("P2", "港灣廣場", "harbour.example")):
            service.put_property(admin, pid, {"name": name, "email": f"service@{domain}", "contacts": {
                role: f"{role}@{domain}" for role in ("front_desk", "manager", "director", "on_duty")}})
        service.put_tenant(admin, "P1", "tenant-1", {"name": "李女士", "email": "li.nvshi@example.cn"})
        intake = MailIntake(service, lambda: s3, lambda: SesMailer(ses))
        raws = [(path.name, path.read_bytes()) for path in SAMPLES]

        latencies, parse_times, outcomes, n = [], [], {}, 0
        started = time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            name, raw = raws[n % len(raws)]
            body = fresh(raw, n)
            key = f"inbound/bench-{n}"
            s3.put_object(Bucket=config.mail_bucket(), Key=key, Body=body)
            t0 = time.perf_counter()
            outcome = intake.handle(Delivery(bucket=config.mail_bucket(), key=key, ses_message_id=key,
                                             received_at=datetime.now(timezone.utc),
                                             recipients=(INBOXES.get(name, "service@riverside.example"),)))
            latencies.append(time.perf_counter() - t0)
            outcomes[outcome.kind] = outcomes.get(outcome.kind, 0) + 1
            t1 = time.perf_counter()
            try:
                parse(body)
            except MailRejected:
                pass
            parse_times.append(time.perf_counter() - t1)
            n += 1
        elapsed = sum(latencies)

    print(f"samples: {len(raws)} kinds ({', '.join(name for name, _ in raws)})")
    print(f"messages: {n} in {elapsed:.1f} s of intake time → {n / elapsed:.1f} messages/s "
          f"(outcomes: {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))})")
    print(f"intake latency: p50 {percentile(latencies, .5) * 1000:.1f} ms,"
          f" p95 {percentile(latencies, .95) * 1000:.1f} ms,"
          f" p99 {percentile(latencies, .99) * 1000:.1f} ms  (S3 + parse + DynamoDB + SES, all on moto)")
    print(f"parse() alone: {len(parse_times) / sum(parse_times):.0f} messages/s, "
          f"median {statistics.median(parse_times) * 1000:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

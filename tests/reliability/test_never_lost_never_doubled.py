"""A case is never lost and never doubled.

Failures are injected where they happen in production: DynamoDB throttling
a transaction, a lost race on the case counter, Step Functions refusing a
start, a request that dies after its write, the stream consumer dying mid-batch,
SES refusing mail. Every inbound event is replayed three times, and the table's
stream is delivered twice (Lambda's at-least-once). Watchers start from the
stream (services/watch_stream.py), the outbox sweep after them. Afterwards each
submitted case exists exactly once, has exactly one started watcher of its one
live generation, and its audit trail has no gap."""
from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest
from pynamodb.exceptions import TransactWriteError

from chalicelib import config
from chalicelib.adapters.ses import SesMailer
from chalicelib.domain.auth import Principal
from chalicelib.services.mail_intake import Delivery, MailIntake
from tests.api.helpers import call

TENANTS = [Principal(f"tenant-{n}", "tenant", frozenset({"P1"})) for n in range(1, 6)]


class NameKeyedWatcher:
    """Step Functions' contract: one execution per name (a second start of a name
    starts nothing); sometimes throttled. ``calls`` counts every start asked for."""

    def __init__(self, refuse_first: int = 0):
        self.names: set[str] = set()
        self.calls = 0
        self.refusals = refuse_first

    def start(self, property_id, case_id, gen, sleep_until=None):
        self.calls += 1
        if self.refusals:
            self.refusals -= 1
            raise RuntimeError("ThrottlingException: Rate exceeded")
        self.names.add(f"{property_id}-{case_id}-g{gen}")


def throttled() -> TransactWriteError:
    """What pynamodb raises when DynamoDB throttles a transaction past botocore's retries."""
    from botocore.exceptions import ClientError
    cause = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}},
                        "TransactWriteItems")
    return TransactWriteError("Failed to write transaction items", cause=cause)


@pytest.fixture
def watcher(svc):
    svc.watcher = NameKeyedWatcher(refuse_first=2)
    return svc.watcher


def assert_whole(store, svc, watcher, expected_cases: int, drain, *, clock=None):
    """Exactly the expected cases, each watched by exactly one execution of its
    one generation, each with a gap-free trail, and no outbox record left."""
    from chalicelib.services.case_watch import OUTBOX_SWEEP_AGE, WatchService
    drain(svc)  # the stream's records reach the consumer (failed ones retried)
    # Lambda delivers at least once: the whole stream again, and the sweeper racing it.
    assert drain(svc, from_start=True) == []
    sweeper = WatchService(svc, lambda: None, lambda: None)
    if clock is not None:
        clock.advance(seconds=OUTBOX_SWEEP_AGE.total_seconds() + 1)
    sweeper.sweep_outbox()  # the schedule's minute comes round
    cases = []
    for tenant in TENANTS:
        cases += store.cases_of_tenant(tenant.subject, limit=100, cursor=None)[0]
    queue, _ = store.open_queue("P1", filters={}, due_before=None, limit=100, cursor=None)
    all_cases = {c.key: c for c in cases + queue}
    assert len(all_cases) == expected_cases
    contents = [c.content for c in all_cases.values()]
    assert len(contents) == len(set(contents)), "a case was doubled"
    for case in all_cases.values():
        assert f"P1-{case.case_id}-g{case.watch_gen}" in watcher.names, f"{case.case_id} is not watched"
    # One execution per case: no other generation was ever started.
    assert watcher.names == {f"P1-{c.case_id}-g{c.watch_gen}" for c in all_cases.values()}
    for case in all_cases.values():
        assert [e.seq for e in store.events(case)] == list(range(1, case.version + 1))
    assert store.meta_partition("WATCH_OUTBOX", limit=10)[0] == []


def test_api_submits_survive_throttling_crashes_and_triple_retries(client, tokens, svc, store, watcher,
                                                                  monkeypatch, drain_watch_stream, clock):
    from tests.conftest import make_token
    real_create = store.create_case
    failures = {"throttle": 1}

    def flaky_create(*args, **kwargs):
        if failures["throttle"]:
            failures["throttle"] -= 1
            raise throttled()
        return real_create(*args, **kwargs)

    crashed = {"left": 1}

    def flaky_create_that_dies_after_the_write(*args, **kwargs):
        flaky_create(*args, **kwargs)
        if crashed["left"]:
            crashed["left"] -= 1
            raise SystemExit("the Lambda died after the write")  # nothing after the write ran

    monkeypatch.setattr(store, "create_case", flaky_create_that_dies_after_the_write)
    from chalicelib.services.watch_stream import WatchStream
    real_handle = WatchStream.handle
    consumer_crashes = {"left": 1}

    def consumer_dies_mid_batch(self, event, context=None):
        if consumer_crashes["left"]:
            consumer_crashes["left"] -= 1
            self.start(event["Records"][0])  # one start made, then the Lambda died: the batch comes again
            raise RuntimeError("the stream consumer died mid-batch")
        return real_handle(self, event, context)

    monkeypatch.setattr(WatchStream, "handle", consumer_dies_mid_batch)
    for n, tenant in enumerate(TENANTS, start=1):
        token = make_token("tenant", subject=tenant.subject)
        body = {"unit": f"{n}栋101", "content": f"第{n}位住户：空调漏水"}
        answers = []
        for _attempt in range(3):  # the app retries every request three times
            try:
                status, case = call(client, "POST", "/v1/properties/P1/cases", token, body,
                                    headers={"Idempotency-Key": f"submit-{n}"})
            except SystemExit:
                status, case = 599, None
            answers.append(status)
            if status < 400:
                assert case["content"] == body["content"]
        assert any(s in (200, 201) for s in answers), answers
        assert all(s in (200, 201, 503, 599) for s in answers), answers  # never a 500
    assert_whole(store, svc, watcher, len(TENANTS), drain_watch_stream, clock=clock)


def test_counter_races_never_lose_or_double_a_case(svc, store, watcher, drain_watch_stream):
    import threading
    done, errors = [], []

    def submit(n):
        try:
            done.append(svc.submit(TENANTS[n % 5], "P1", {"channel": "app", "unit": "1", "content": f"并发{n}"},
                                   f"race-{n}")[0].case_id)
        except Exception as exc:  # noqa: BLE001  # pragma: no cover - reported
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(done)) == 12
    assert_whole(store, svc, watcher, 12, drain_watch_stream)


def test_inbound_mail_replayed_three_times_with_failures_is_one_case(svc, store, watcher, mailbox, monkeypatch,
                                                                    drain_watch_stream):
    s3 = boto3.client("s3", region_name=config.region())
    ses = boto3.client("ses", region_name=config.region())
    sends = {"n": 0}

    class FlakySes(SesMailer):
        def send(self, mail):
            sends["n"] += 1
            if sends["n"] == 1:
                from chalicelib.mail.outgoing import SendFailed
                raise SendFailed("Throttling")
            return super().send(mail)

    intake = MailIntake(svc, lambda: s3, lambda: FlakySes(ses))
    deliveries = []
    for n in range(3):
        raw = (f"From: tenant{n}@example.cn\r\nTo: service@riverside.example\r\nSubject: 投诉 {n}\r\n"
               f"Message-ID: <replay-{n}@example.cn>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
               f"第{n}封邮件：楼道灯坏了\r\n").encode()
        key = f"inbound/replay-{n}"
        s3.put_object(Bucket=config.mail_bucket(), Key=key, Body=raw)
        deliveries.append(Delivery(bucket=config.mail_bucket(), key=key, ses_message_id=key,
                                   received_at=datetime(2026, 11, 23, 2, tzinfo=timezone.utc),
                                   recipients=("service@riverside.example",)))
    outcomes = [intake.handle(d).kind for _ in range(3) for d in deliveries]
    assert outcomes.count("case") == 3 and outcomes.count("duplicate") == 6
    assert_whole(store, svc, watcher, 3, drain_watch_stream)


def test_a_throttled_write_is_a_503_the_client_can_retry_not_a_500(client, tokens, store, monkeypatch):
    monkeypatch.setattr(store, "create_case", lambda *a, **k: (_ for _ in ()).throw(throttled()))
    status, body = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], {"unit": "1", "content": "x"})
    assert status == 503 and body["code"] == "service_busy"

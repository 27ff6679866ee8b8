"""Shared fixtures: an in-process moto AWS, the tables, a demo property, a
controllable clock and tokens for every role."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

TEST_SECRET = "tenantdesk-test-signing-key-" + "x" * 40
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai


class FakeClock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        from datetime import timedelta
        self.now = self.now + timedelta(**kwargs)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    """No test ever reaches real AWS or reads a developer's local key."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "TD_DEV_KEY_FILE", "TD_RESOURCE_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-1")
    monkeypatch.setenv("AWS_REGION", "ap-southeast-1")
    monkeypatch.setenv("TD_AUTH_SECRET", TEST_SECRET)
    monkeypatch.setenv("TD_AUTH_MODE", "local")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def aws_calls():
    """Every AWS operation the code makes during the test, in order."""
    return []


@pytest.fixture(scope="session")
def _moto_session():
    """One moto mock for the whole run (starting one costs ~0.3 s); each test
    resets every backend, so no state leaks between tests."""
    from moto import mock_aws

    from devstack.moto_compat import make_dynamodb_thread_safe
    make_dynamodb_thread_safe()  # tests submit from many threads at once, as the API's instances do
    mock = mock_aws()
    mock.start()
    yield mock
    mock.stop()


@pytest.fixture
def aws(_moto_session, aws_calls, monkeypatch):
    """In-process moto, empty at the start of each test. Also guards the rule
    that request paths never Scan."""
    import botocore.client
    _moto_session.reset()
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        aws_calls.append((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    yield
    assert not [c for c in aws_calls if c[1] == "Scan"], "a Scan was issued"


@pytest.fixture
def store(aws):
    from chalicelib.adapters.dynamodb import DynamoStore
    from chalicelib.adapters.models import bind, create_tables
    models = bind()
    create_tables(models)
    return DynamoStore(models)


def contacts_of(domain: str) -> dict[str, str]:
    """Every escalation tier and the on-duty desk: a property's settings need them all."""
    return {"front_desk": f"desk@{domain}", "manager": f"manager@{domain}", "director": f"director@{domain}",
            "on_duty": f"control-room@{domain}"}


@pytest.fixture
def svc(store, clock):
    from chalicelib.domain.auth import Principal
    from chalicelib.services.case_service import CaseService
    service = CaseService(store, clock)
    admin = Principal("admin-0", "admin", frozenset({"P1", "P2"}))
    service.put_property(admin, "P1", {"name": "滨江花园 Riverside Garden", "email": "service@riverside.example",
                                       "contacts": contacts_of("riverside.example"),
                                       "departments": ["engineering", "security", "cleaning", "customer_service"]})
    service.put_property(admin, "P2", {"name": "港灣廣場 Harbour Plaza", "email": "service@harbour.example",
                                       "contacts": contacts_of("harbour.example"),
                                       "policy": {"timezone": "Asia/Hong_Kong"}})
    return service


@pytest.fixture
def mailbox(aws):
    """SES that accepts our senders, the mail bucket, and a reader of what was sent."""
    import boto3

    from chalicelib import config
    ses = boto3.client("ses", region_name=config.region())
    for domain in ("riverside.example", "harbour.example", "tenantdesk.example"):
        ses.verify_domain_identity(Domain=domain)
    boto3.client("s3", region_name=config.region()).create_bucket(
        Bucket=config.mail_bucket(), CreateBucketConfiguration={"LocationConstraint": config.region()})
    return SentMail()


class SentMail:
    """Messages moto's SES accepted, parsed as a mail client would."""

    def __call__(self):
        import email
        import email.policy

        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        from chalicelib import config
        backend = ses_backends[DEFAULT_ACCOUNT_ID][config.region()]
        return [email.message_from_bytes(m.raw_data.encode() if isinstance(m.raw_data, str) else m.raw_data,
                                         policy=email.policy.default) for m in backend.sent_messages]


@pytest.fixture
def drain_watch_stream(store):
    """What Lambda's event source mapping does on AWS: hand the meta table's stream
    (moto's, from the test's start) to the watcher starter
    (chalicelib/services/watch_stream.py) in batches, retrying failed records as
    ReportBatchItemFailures does. ``drain(svc)`` returns the records given up on.
    The request path no longer starts watchers: tests that need a started watcher drain."""
    import boto3

    from chalicelib import config
    from chalicelib.adapters.watch_stream import outbox_start, stream_filter
    from chalicelib.services.watch_stream import WatchStream
    from devstack.streams import StreamReader, deliver
    readers: list[StreamReader] = []

    def reader() -> StreamReader:
        return StreamReader(boto3.client("dynamodb", region_name=config.region()),
                            boto3.client("dynamodbstreams", region_name=config.region()),
                            config.meta_table(), start="TRIM_HORIZON")

    def drain(service, *, max_retries: int = 3, from_start: bool = False) -> list:
        """``from_start``: deliver the whole stream again (a replay), not only what is new."""
        if not readers:
            readers.append(reader())
        stream = reader() if from_start else readers[0]
        consumer, lost = WatchStream(service, outbox_start), []
        while records := stream.read():
            lost += deliver(consumer.handle, records, stream.arn, config.region(), None, max_retries=max_retries,
                            pattern=stream_filter())
        return lost
    return drain


@pytest.fixture
def runtime_wired(svc, clock):
    from chalicelib import runtime
    runtime.reset()
    runtime._service = svc
    runtime.set_clock(clock)
    yield svc
    runtime.reset()  # also drops boto3 clients made under this test's moto


@pytest.fixture
def client(runtime_wired):
    from chalice.test import Client

    from app import app
    with Client(app, stage_name="local") as c:
        yield c


def make_token(role: str, properties=("P1",), subject: str | None = None, name: str = "", now=None,
               department: str | None = None) -> str:
    from chalicelib.http.identity import mint_token
    return mint_token(TEST_SECRET, subject=subject or (f"{role}-1" if role != "tenant" else "tenant-1"),
                      role=role, properties=list(properties), name=name, now=now or T0, department=department)


@pytest.fixture
def tokens():
    return {
        "tenant": make_token("tenant", subject="tenant-1", name="李女士"),
        "tenant2": make_token("tenant", subject="tenant-2", name="陳先生"),
        "front_desk": make_token("front_desk", name="前台小王"),
        "dept_staff": make_token("dept_staff", name="工程部张师傅", department="engineering"),
        "manager": make_token("manager", name="王经理"),
        "director": make_token("director", name="赵总监"),
        "admin": make_token("admin", properties=("P1", "P2")),
        "front_desk_p2": make_token("front_desk", properties=("P2",), subject="front-p2"),
    }

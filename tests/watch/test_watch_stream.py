"""Watchers start from the meta table's stream, not on the request path.

A submit is one read and one transaction; the outbox record it writes reaches
the ``watch_stream`` consumer through the stream, which starts the execution
(named per case and generation) and clears the record. The outbox sweep only
takes records the stream has left for ``OUTBOX_SWEEP_AGE``; should both start
one, Step Functions' one-execution-per-name makes the second a no-op."""
from __future__ import annotations

import json

import pytest

from chalicelib.adapters.stepfunctions import Watcher
from chalicelib.adapters.watch_stream import outbox_start, stream_filter
from chalicelib.domain.auth import Principal
from chalicelib.services.case_watch import OUTBOX_SWEEP_AGE, WatchService

TENANT = Principal("tenant-1", "tenant", frozenset({"P1"}), name="李女士")
DESK = Principal("desk-1", "front_desk", frozenset({"P1"}), name="前台")


class AwsLikeSfn:
    """Step Functions' StartExecution contract on AWS (moto does not keep it):
    the same name with the same input returns the existing execution; with
    another input it is ExecutionAlreadyExists. Records every execution made."""

    class ExecutionAlreadyExists(Exception):
        pass

    def __init__(self):
        self.exceptions = type("E", (), {"ExecutionAlreadyExists": self.ExecutionAlreadyExists})
        self.executions: dict[str, str] = {}
        self.calls = 0

    def start_execution(self, stateMachineArn, name, input):
        self.calls += 1
        if name in self.executions:
            if self.executions[name] != input:
                raise self.ExecutionAlreadyExists(name)
            return {"executionArn": name}
        self.executions[name] = input
        return {"executionArn": name}


@pytest.fixture
def sfn(svc, monkeypatch):
    monkeypatch.setenv("TD_STATE_MACHINE_ARN", "arn:aws:states:ap-southeast-1:123456789012:stateMachine:watch")
    fake = AwsLikeSfn()
    svc.watcher = Watcher(lambda: fake)
    return fake


def submit(svc, content="客厅空调不制冷 / 冷氣不冷", key="submit-1"):
    return svc.submit(TENANT, "P1", {"channel": "app", "unit": "3栋1201", "content": content}, key)[0]


def outbox(store):
    return [data for _, data in store.meta_partition("WATCH_OUTBOX", limit=10)[0]]


def test_a_submit_is_one_read_and_one_transaction(svc, sfn, aws_calls):
    svc.property("P1")  # a warm instance holds the property's settings (PROPERTY_CACHE_SECONDS)
    aws_calls.clear()
    case = submit(svc)
    assert [op for _, op in aws_calls] == ["BatchGetItem", "TransactWriteItems"]
    assert sfn.calls == 0  # no StartExecution, no DeleteItem on the path
    [record] = outbox(svc.store)
    # The first wake time was decided with the case in hand: the 10-minute hand-off.
    assert record["case_id"] == case.case_id and record["gen"] == 1
    assert record["sleep_until"] == "2026-11-23T02:10:00Z"


def test_the_stream_starts_the_watcher_and_clears_the_outbox(svc, sfn, drain_watch_stream):
    case = submit(svc)
    assert drain_watch_stream(svc) == []
    [(name, payload)] = sfn.executions.items()
    assert name == f"P1-{case.case_id}-g1"
    assert json.loads(payload)["decision"] == {"action": "wait", "until": "2026-11-23T02:10:00Z"}
    assert outbox(svc.store) == []


def test_an_earlier_deadline_takes_the_same_path(svc, sfn, drain_watch_stream, aws_calls):
    case = submit(svc)
    drain_watch_stream(svc)
    aws_calls.clear()
    svc.act(DESK, "P1", case.case_id, "classify", {"kind": "complaint", "severity": "major",
                                                   "department": "engineering"})
    assert not [op for service, op in aws_calls if service == "stepfunctions" or op == "DeleteItem"]
    assert [r["gen"] for r in outbox(svc.store)] == [2]
    drain_watch_stream(svc)
    assert sorted(sfn.executions) == [f"P1-{case.case_id}-g1", f"P1-{case.case_id}-g2"]
    assert outbox(svc.store) == []


def test_the_sweep_leaves_young_records_to_the_stream(svc, sfn, clock):
    submit(svc)
    sweeper = WatchService(svc, lambda: None, lambda: None)
    assert sweeper.sweep_outbox() == 0 and sfn.calls == 0
    clock.advance(seconds=OUTBOX_SWEEP_AGE.total_seconds() + 1)
    assert sweeper.sweep_outbox() == 1 and len(sfn.executions) == 1


def test_the_sweep_racing_the_stream_starts_one_execution(svc, sfn, clock, drain_watch_stream):
    """The stream consumer was slow (its batch retried past the sweep's age): the
    sweep starts the watcher, then the stream delivers the record, and again."""
    case = submit(svc)
    clock.advance(seconds=OUTBOX_SWEEP_AGE.total_seconds() + 1)
    assert WatchService(svc, lambda: None, lambda: None).sweep_outbox() == 1
    assert drain_watch_stream(svc) == [] and drain_watch_stream(svc, from_start=True) == []
    assert sfn.calls == 3  # three starts asked for ...
    assert list(sfn.executions) == [f"P1-{case.case_id}-g1"]  # ... one execution
    assert outbox(svc.store) == []


def test_a_failed_start_is_reported_retried_and_left_for_the_sweep(svc, sfn, clock, drain_watch_stream):
    real = sfn.start_execution
    refusals = {"left": 4}

    def throttled(**kwargs):
        if refusals["left"]:
            refusals["left"] -= 1
            raise RuntimeError("ThrottlingException: Rate exceeded")
        return real(**kwargs)

    sfn.start_execution = throttled
    submit(svc, "一号")
    lost = drain_watch_stream(svc)  # 1 try + 3 retries, all throttled: Lambda's on-failure queue
    assert [r["eventName"] for r in lost] == ["INSERT"] and sfn.executions == {}
    assert len(outbox(svc.store)) == 1  # the record stays
    clock.advance(seconds=OUTBOX_SWEEP_AGE.total_seconds() + 1)
    WatchService(svc, lambda: None, lambda: None).sweep_outbox()
    assert len(sfn.executions) == 1 and outbox(svc.store) == []


def test_only_written_outbox_records_ask_for_a_start():
    data = json.dumps({"property_id": "P1", "case_id": "TD-1", "gen": 2, "sleep_until": "2026-11-23T02:10:00Z"})
    image = {"pk": {"S": "WATCH_OUTBOX"}, "sk": {"S": "P1#TD-1#0002"}, "data": {"S": data}}

    def record(event, pk="WATCH_OUTBOX"):
        return {"eventName": event, "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": image["sk"]}, "NewImage": image}}

    start = outbox_start(record("INSERT"))
    assert (start.case_id, start.gen, start.sleep_until) == ("TD-1", 2, "2026-11-23T02:10:00Z")
    assert outbox_start(record("MODIFY")) == start
    assert outbox_start(record("REMOVE")) is None  # the record cleared: the start is done
    assert outbox_start(record("INSERT", pk="COUNTER#P1")) is None
    assert stream_filter() == {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"pk": {"S": ["WATCH_OUTBOX"]}}}}

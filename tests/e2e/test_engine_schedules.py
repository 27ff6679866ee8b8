"""The local stack's engine drives every scheduled and event handler the app
declares, its blueprints' included, and a handler it cannot find stops it
loudly instead of leaving a job silently undone. In-process: the engine's own
schedule loop against moto, no subprocess."""
from __future__ import annotations

import io
import threading
import time

import pytest

from devstack import engine

SHIFT_END = "2026-11-23T00:00:00Z"  # the 08:00 Shanghai handover before T0 (10:00)
MAIL_WORKERS = {"inbound_mail", "written_reply_outbox"}  # driven by devstack/mail.py


def _run(loop, until, timeout=10.0):
    """Run a worker loop in a thread until ``until()`` holds (or time is up)."""
    stopping = threading.Event()
    failure: list[BaseException] = []

    def target():
        try:
            loop(stopping)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            failure.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not until() and not failure and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stopping.set()
        thread.join(5)
    return failure


def test_the_local_schedule_loop_produces_the_shift_handover(runtime_wired):
    from chalicelib import runtime
    from chalicelib.domain.auth import Principal
    from chalicelib.services.report_service import ReportService
    reports = ReportService(runtime_wired, runtime_wired.store, clock=runtime.clock)
    desk = Principal("front_desk-1", "front_desk", frozenset({"P1"}))

    def produced() -> bool:
        return any(item["shift_end"] == SHIFT_END for item in reports.list_handovers(desk, "P1")[0])

    out = io.StringIO()
    failure = _run(engine.every(0.05, "handover_and_stats", out, lambda r: f"handover/statistics: {r}"), produced)
    assert not failure, failure
    assert produced(), out.getvalue()
    assert f"'handovers': ['{SHIFT_END}']" in out.getvalue()


def test_an_unknown_handler_name_stops_the_loop_loudly(runtime_wired):
    failure = _run(engine.every(0.05, "handover_and_statz", io.StringIO()), lambda: False, timeout=2)
    assert failure and isinstance(failure[0], LookupError)
    assert "handover_and_statz" in str(failure[0])
    with pytest.raises(LookupError):
        engine.queue_pump(engine.WATCH_QUEUE, "watch_taskz", io.StringIO())(threading.Event())


def test_every_event_handler_of_the_app_is_driven_by_the_local_stack():
    declared = engine.event_handler_names()
    assert "handover_and_stats" in declared  # a blueprint's schedule is among them
    assert declared == set(engine.DRIVEN) | MAIL_WORKERS
    for name in declared:
        assert callable(engine.handler(name))


def test_the_local_schedule_loop_tells_the_shift_lead_of_an_overdue_key(runtime_wired, clock, mailbox):
    """The key register's overdue schedule (a blueprint's) fires in the local stack's loop."""
    from datetime import timedelta

    from chalicelib import runtime
    from chalicelib.domain.auth import Principal
    lead = Principal("lead-1", "shift_lead", frozenset({"P1"}), name="领班小陈")
    key = runtime.keys().add_key(lead, "P1", {"unit": "3栋1201", "slot": "A-12"})
    runtime.keys().lend(lead, "P1", key.key_id, {
        "borrower": {"name": "工程部张师傅", "kind": "staff"}, "purpose": "repair",
        "due": (clock() + timedelta(hours=1)).isoformat()})
    clock.advance(hours=2)

    def told() -> bool:
        return any(m["To"] == "desk@riverside.example" and key.key_id in m["Subject"] for m in mailbox())

    out = io.StringIO()
    failure = _run(engine.every(0.05, "keys_overdue", out, lambda r: f"overdue keys: {r['told']}"), told)
    assert not failure, failure
    assert told(), out.getvalue()
    assert f"overdue keys: {{'P1': ['{key.key_id}']}}" in out.getvalue()
    _key, history = runtime.keys().get_key(lead, "P1", key.key_id)
    assert [e.action for e in history][-1] == "overdue_notified"


def test_the_local_stream_worker_starts_a_submitted_cases_watcher_without_the_sweep(runtime_wired, monkeypatch):
    """The meta table's stream (moto's), read by the engine's worker and handed to the
    app's ``watch_stream`` handler as Lambda would: the submit's outbox record
    becomes a running execution, and no sweep ran."""
    import boto3

    from chalicelib import config
    from chalicelib.adapters.stepfunctions import Watcher
    from chalicelib.domain.auth import Principal
    sfn = boto3.client("stepfunctions", region_name=config.region())
    arn = sfn.create_state_machine(name="tenantdesk-case-watch", definition=engine.ASL.read_text(encoding="utf-8"),
                                   roleArn="arn:aws:iam::123456789012:role/case-watch")["stateMachineArn"]
    monkeypatch.setenv("TD_STATE_MACHINE_ARN", arn)
    runtime_wired.watcher = Watcher(lambda: sfn)
    sweeps = []
    monkeypatch.setattr("chalicelib.services.case_watch.WatchService.sweep_outbox", lambda *a, **k: sweeps.append(1))
    tenant = Principal("tenant-1", "tenant", frozenset({"P1"}), name="李女士")
    submitted: list = []

    def started() -> bool:
        if not submitted:  # the worker reads from LATEST: submit once it is up
            time.sleep(0.5)
            submitted.append(runtime_wired.submit(tenant, "P1", {"channel": "app", "unit": "3栋1201",
                                                                 "content": "電梯異響 / 电梯异响"}, None)[0])
        names = [e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]]
        return names == [f"P1-{submitted[0].case_id}-g1"]

    out = io.StringIO()
    failure = _run(engine.watch_stream(out), started)
    assert not failure, failure
    assert started(), out.getvalue()
    assert sweeps == [] and runtime_wired.store.meta_partition("WATCH_OUTBOX", limit=10)[0] == []

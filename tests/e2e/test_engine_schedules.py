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

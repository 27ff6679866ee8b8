"""An escalation records who was actually told; with nobody to tell it says so
on the trail and raises an alarm metric, and is never recorded as notified."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.domain import escalation
from chalicelib.domain.auth import Principal
from chalicelib.services.case_watch import WatchService

TENANT = Principal("tenant-1", "tenant", frozenset({"P1"}), name="李女士")


class Recorder:
    def __init__(self):
        self.calls = []

    def send(self, mail):
        self.calls.append(mail.to)
        return f"<{len(self.calls)}@ses>"

    def put_events(self, **kwargs):
        self.calls.append(kwargs)


def test_every_tier_and_the_on_duty_desk_need_an_address():
    assert escalation.missing_contacts({}) == ["front_desk", "manager", "director", "on_duty"]
    assert escalation.missing_contacts({"front_desk": "d@x", "manager": "m@x", "director": " ", "on_duty": "c@x"}) == [
        "director"]


def test_an_escalation_with_nobody_to_tell_is_on_the_trail_as_unrouted_with_an_alarm_metric(svc, store, clock,
                                                                                             monkeypatch):
    # Settings stored before contacts were required: no addresses at all.
    store.put_meta("PROPERTY#P1", "SETTINGS", {"name": "滨江花园", "policy": {}, "departments": ["engineering"]})
    svc._properties.clear()
    metrics = []
    monkeypatch.setattr("chalicelib.services.case_watch.record_metric", lambda name, **kw: metrics.append(name))
    case, _ = svc.submit(TENANT, "P1", {"channel": "app", "unit": "3栋1201", "content": "电梯停在12楼不动"}, None)
    clock.advance(minutes=11)  # the 10-minute hand-off is missed
    mailer, events = Recorder(), Recorder()
    answer = WatchService(svc, lambda: mailer, lambda: events).check("P1", case.case_id, 1)

    assert answer["action"] == "wait"  # no notify loop: the watcher moves on
    stored = store.get_case("P1", case.case_id)
    record = stored.escalations["handoff"]
    assert record["notified"] is False and record["unrouted"] is True and record["recipients"] == []
    trail = [(e.action, e.data) for e in store.events(stored)]
    assert "escalation_notified" not in [action for action, _ in trail]
    assert trail[-1] == ("escalation_unrouted", {"about": "handoff", "recipients": [], "tier": "manager",
                                                 "reason": "no_recipient"})
    assert "EscalationNoRecipient" in metrics
    assert mailer.calls == []


def test_the_people_told_are_the_ones_recorded(svc, store, clock, mailbox):
    case, _ = svc.submit(TENANT, "P1", {"channel": "app", "unit": "3栋1201", "content": "电梯停在12楼不动"}, None)
    clock.advance(minutes=11)
    mailer, events = Recorder(), Recorder()
    WatchService(svc, lambda: mailer, lambda: events).check("P1", case.case_id, 1)
    stored = store.get_case("P1", case.case_id)
    assert stored.escalations["handoff"]["recipients"] == ["manager@riverside.example"]
    assert mailer.calls[0] == "manager@riverside.example"
    assert [e.action for e in store.events(stored)][-1] == "escalation_notified"
    assert escalation.decide(stored, gen=1, now=clock.now + timedelta(seconds=1), policy=svc.property("P1").policy
                        ).action == "wait"

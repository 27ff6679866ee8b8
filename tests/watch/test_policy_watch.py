"""The watcher on the real ASL (moto, time driven by the harness of
test_state_machine.py) for the policy's windows: a commercial property's
30-minute acknowledgement, and a policy change that moves a deadline earlier
waking a new watcher generation at the new time."""
from __future__ import annotations

from datetime import timedelta

from tests.watch import test_state_machine as machine
from tests.watch.test_state_machine import ADMIN, CONTACTS, escalations, mail_to, submit

watched = machine.watched  # the harness fixture: the repo's ASL on moto, time moved by the Checks


def put_policy(svc, policy):
    svc.put_property(ADMIN, "P1", {"name": "滨江花园", "email": "service@riverside.example", "contacts": CONTACTS,
                                   "departments": ["engineering", "cleaning"], "policy": policy})


def test_a_commercial_property_escalates_a_case_not_acknowledged_in_30_minutes(watched, svc, store, mailbox):
    # a two-hour hand-off, so the commercial plan's acknowledgement is the first promise to fall due
    put_policy(svc, {"preset": "commercial", "windows": {"handoff": {"amount": 2, "unit": "hours"}}})
    case = submit(svc)
    watched.run_until(lambda: escalations(store, case))
    [escalation] = escalations(store, case)
    assert escalation["deadline"] == "acknowledge"
    assert watched.clock.now == case.created_at + timedelta(minutes=30)
    watched.run_until(lambda: mailbox())
    assert mail_to(mailbox()) == [("manager@riverside.example", f"[{case.case_id}] 升级提醒：未在时限内确认受理")]


def test_a_policy_change_that_shortens_a_window_escalates_at_the_new_deadline(watched, svc, store):
    case = submit(svc)  # its watcher sleeps until the 10-minute hand-off
    watched.clock.now = case.created_at + timedelta(minutes=1)
    put_policy(svc, {"windows": {"handoff": {"amount": 5, "unit": "minutes"}}})
    assert store.get_case("P1", case.case_id).watch_gen == 2
    watched.run_until(lambda: escalations(store, case))
    [escalation] = escalations(store, case)
    assert escalation["deadline"] == "handoff"
    assert watched.clock.now == case.created_at + timedelta(minutes=5)  # not at the old 10 minutes
    assert {e["name"] for e in watched.executions()} >= {f"P1-{case.case_id}-g1", f"P1-{case.case_id}-g2"}

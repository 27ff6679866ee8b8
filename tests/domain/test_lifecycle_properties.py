"""Property tests over random sequences of lifecycle actions (hypothesis):
only legal transitions happen, deadlines stay consistent with the policy, and
every case can still reach closed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import cases, deadlines
from chalicelib.domain.cases import Actor
from chalicelib.domain.errors import DomainError

POLICY = deadlines.Policy()
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
DESK = Actor("desk-1", "front_desk")
TENANT = Actor("tenant-1", "tenant")

PARAMS = {
    "classify": st.fixed_dictionaries({}, optional={
        "kind": st.sampled_from(cases.KINDS), "severity": st.sampled_from(cases.SEVERITIES),
        "validity": st.sampled_from(cases.VALIDITIES),
        "cause": st.sampled_from(cases.CAUSES), "department": st.just("engineering")}),
    "assign": st.just({"assignee": "eng-1", "department": "engineering"}),
    "start": st.just({}), "respond": st.just({"message": "ok"}), "resolve": st.just({"resolution": "done"}),
    "callback": st.sampled_from([{"reached": True, "satisfied": True}, {"reached": False}]),
    "close": st.just({}), "answer": st.just({"message": "a"}), "explain": st.just({"message": "e"}),
    "reopen": st.just({"reason": "r"}), "escalate": st.just({"reason": "r"}), "note": st.just({"note": "n"}),
    "message": st.just({"text": "t"}), "rate": st.just({"score": 4}),
    "confirm_invalid": st.just({}), "reject_invalid": st.just({"reason": "r"}),
    "await_tenant": st.sampled_from([{"reason": r} for r in cases.AWAIT_REASONS]), "resume": st.just({}),
}
STEP = st.tuples(st.sampled_from(sorted(PARAMS)), st.integers(min_value=0, max_value=600))

TO_CLOSED = {  # a way forward from each status, as staff would take it
    "received": [("classify", {"kind": "request", "department": "engineering"}),
                 ("assign", {"assignee": "eng-1"})],
    "routed": [("start", {})], "in_progress": [("respond", {"message": "x"})],
    "responded": [("resolve", {"resolution": "x"})],
    "resolved": [("callback", {"reached": True, "satisfied": True})], "callback_done": [("close", {})],
    "awaiting_tenant": [("resume", {})],
}


def _new():
    return cases.new_case(property_id="P1", case_id="TD-20261123-0001", actor=TENANT,
                          params={"channel": "app", "unit": "1-101", "content": "x"}, now=T0, policy=POLICY).case


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(STEP, max_size=25), data=st.data())
def test_random_action_sequences_keep_the_invariants(steps, data):
    case, now = _new(), T0
    for action, minutes in steps:
        now += timedelta(minutes=minutes)
        params = data.draw(PARAMS[action])
        before = case
        try:
            change = cases.ACTIONS[action](case, DESK if action not in ("message", "rate") else TENANT, params,
                                           now, POLICY)
        except DomainError:
            assert case == before  # a refusal changes nothing
            continue
        assert before.status in cases.ALLOWED_FROM[action]
        case = change.case
        assert case.version == before.version + 1 == change.event.seq
        assert case.status in cases.STATUSES
        assert case.deadlines["handoff"].due == case.created_at + timedelta(minutes=10)
        start = case.clock_start or case.created_at
        window = deadlines.response_window(POLICY, case.kind, case.cause)
        assert case.deadlines["response"].due == deadlines.add_window(start, window, POLICY)
        assert ("callback" in case.deadlines) == (case.resolved_at is not None)
        if not case.is_open:
            assert case.next_due() is None
    # From wherever it stands, the case can still be closed.
    for _ in range(10):
        if case.status == "closed":
            break
        for action, params in TO_CLOSED[case.status]:
            now += timedelta(minutes=1)
            case = cases.ACTIONS[action](case, DESK, params, now, POLICY).case
    assert case.status == "closed"

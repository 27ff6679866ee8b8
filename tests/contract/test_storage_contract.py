"""One contract, two implementations: every test here runs against the
in-memory store and against the DynamoDB adapter under moto (the pattern of
Chalice's todo sample). What the services rely on (ports.py) is proved on
both: conditional writes, version checks, all-or-nothing transactions,
idempotency, listings and their cursors."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import cases, deadlines, quotas, replies
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import BadRequest, NotFound, VersionConflict
from chalicelib.services.ports import (
    CaseNumberTaken,
    CounterRace,
    CounterRead,
    IdempotencyRecord,
    IdempotentReplay,
    MailSeen,
    PolicyRecompute,
    QuotaExceeded,
    WatchStart,
)
from tests.conftest import T0

POLICY = deadlines.Policy.from_dict(None)
TENANT = cases.Actor("tenant-1", "tenant", "李女士")
DESK = Principal("desk-1", "front_desk", frozenset({"P1"}), name="前台")
MANAGER = Principal("mgr-1", "manager", frozenset({"P1"}), name="王经理")


@pytest.fixture(params=["memory", "dynamo"])
def repo(request):
    if request.param == "memory":
        from chalicelib.adapters.memory import MemoryStore
        return MemoryStore()
    return request.getfixturevalue("store")


def new(case_id="TD-20261123-0001", *, now=T0, pid="P1", tenant="tenant-1", actor=TENANT, **params):
    body = {"channel": "app", "unit": "3栋1201", "content": "楼上装修噪音，晚上十点还在施工",
            "reporter": {"tenant_id": tenant, "name": "李女士"} if tenant else {"name": "访客"}}
    body.update(params)
    return cases.new_case(property_id=pid, case_id=case_id, actor=actor, params=body, now=now, policy=POLICY)


def created(repo, case_id="TD-20261123-0001", **kwargs):
    change = new(case_id, **kwargs)
    repo.create_case(change, idempotency=None)
    return repo.get_case(change.case.property_id, case_id)


def act(case, action="note", now=T0 + timedelta(minutes=5), **params):
    return cases.ACTIONS[action](case, cases.Actor("desk-1", "front_desk"),
                                 {"text": "已联系工程部", "note": "已联系工程部", **params}, now, POLICY)


# --- cases -----------------------------------------------------------------------

def test_a_new_case_is_stored_with_its_first_event_and_chinese_intact(repo):
    case = created(repo)
    assert case.version == 1 and case.content == "楼上装修噪音，晚上十点还在施工"
    assert [(e.seq, e.action) for e in repo.events(case)] == [(1, "submitted")]
    with pytest.raises(NotFound) as err:
        repo.get_case("P1", "TD-20261123-0009")
    assert err.value.code == "case_not_found"


def test_a_taken_case_number_writes_nothing(repo):
    created(repo)
    with pytest.raises(CaseNumberTaken):
        repo.create_case(new(content="另一件事"), idempotency=IdempotencyRecord("tenant-1", "k", "x", "y"))
    assert repo.get_case("P1", "TD-20261123-0001").content == "楼上装修噪音，晚上十点还在施工"
    assert repo.read_submit_state("P1", "20261123", "tenant-1", "k") == (None, None)


def test_the_counter_steps_in_the_creating_transaction_and_a_lost_race_writes_nothing(repo):
    repo.create_case(new(), idempotency=None, counter=CounterRead("P1", "20261123", None))
    assert repo.read_submit_state("P1", "20261123", "tenant-1", None) == (1, None)
    with pytest.raises(CounterRace):  # read "none yet", but 1 was taken meanwhile
        repo.create_case(new("TD-20261123-0002"), idempotency=None, counter=CounterRead("P1", "20261123", None))
    with pytest.raises(NotFound):
        repo.get_case("P1", "TD-20261123-0002")
    assert repo.next_case_number("P1", "20261123") == 2
    assert repo.next_case_number("P1", "20261123") == 3
    assert repo.next_case_number("P1", "20261124") == 1


def test_a_counter_behind_the_cases_catches_up_and_never_goes_back(repo):
    for n in (1, 2, 3):
        created(repo, f"TD-20261123-{n:04d}")
    repo.catch_up_case_numbers("P1", "20261123", "TD-20261123-")
    assert repo.read_submit_state("P1", "20261123", "a", None)[0] == 3
    repo.next_case_number("P1", "20261123")
    repo.next_case_number("P1", "20261123")
    repo.catch_up_case_numbers("P1", "20261123", "TD-20261123-")
    assert repo.read_submit_state("P1", "20261123", "a", None)[0] == 5


def test_an_idempotency_record_is_written_once_with_the_case(repo):
    record = IdempotencyRecord("tenant-1", "app-retry-1", "P1#TD-20261123-0001", "f1")
    repo.create_case(new(), idempotency=record)
    assert repo.read_submit_state("P1", "20261123", "tenant-1", "app-retry-1")[1] == \
        {"case": "P1#TD-20261123-0001", "fingerprint": "f1"}
    assert repo.read_submit_state("P1", "20261123", "tenant-2", "app-retry-1")[1] is None  # scoped to the actor
    with pytest.raises(IdempotentReplay):
        repo.create_case(new("TD-20261123-0002"), idempotency=record)
    with pytest.raises(NotFound):
        repo.get_case("P1", "TD-20261123-0002")


def test_a_change_is_written_with_its_event_only_at_the_expected_version(repo):
    case = created(repo)
    repo.save_change(act(case), expected_version=1)
    stored = repo.get_case("P1", case.case_id)
    assert stored.version == 2 and [e.seq for e in repo.events(stored)] == [1, 2]
    with pytest.raises(VersionConflict) as err:
        repo.save_change(act(case, note="过时的修改"), expected_version=1)
    assert err.value.details == {"current_version": 2, "your_version": 1}
    assert repo.get_case("P1", case.case_id).version == 2 and len(repo.events(stored)) == 2


def test_a_mail_guard_makes_a_redelivered_change_write_nothing(repo):
    case = created(repo)
    guard = MailSeen("d1", case.key, "inbound/1")
    repo.save_change(act(case, "message"), expected_version=1, guard=guard)
    again = repo.get_case("P1", case.case_id)
    with pytest.raises(IdempotentReplay):
        repo.save_change(act(again, "message"), expected_version=2, guard=guard)
    assert repo.get_case("P1", case.case_id).version == 2


def test_a_quota_at_its_limit_refuses_the_change_and_nothing_is_written(repo):
    case = created(repo)
    quota = quotas.case_message(quotas.Limits(messages_per_case_per_minute=1), "P1", case.case_id, T0)
    repo.save_change(act(case, "message"), expected_version=1, quota=quota)
    with pytest.raises(QuotaExceeded):
        repo.save_change(act(repo.get_case("P1", case.case_id), "message"), expected_version=2, quota=quota)
    assert repo.get_case("P1", case.case_id).version == 2
    later = quotas.case_message(quotas.Limits(messages_per_case_per_minute=1), "P1", case.case_id, quota.window_end)
    repo.save_change(act(repo.get_case("P1", case.case_id), "message"), expected_version=2, quota=later)


def test_a_quota_on_create_counts_only_created_cases(repo):
    quota = quotas.case_submission(quotas.Limits(cases_per_tenant_per_hour=1), "P1", "tenant-1", T0)
    repo.create_case(new(), idempotency=None, quota=quota)
    with pytest.raises(QuotaExceeded):
        repo.create_case(new("TD-20261123-0002"), idempotency=None, quota=quota)
    with pytest.raises(NotFound):
        repo.get_case("P1", "TD-20261123-0002")


def test_a_policy_recompute_record_is_one_per_property_replaced_by_a_newer_one_and_cleared(repo):
    by = {"id": "mgr-1", "role": "manager", "name": "王经理"}
    repo.put_policy_recompute(PolicyRecompute("P2", None, by))
    repo.put_policy_recompute(PolicyRecompute("P1", "cursor-after-page-1", by))
    repo.put_policy_recompute(PolicyRecompute("P1", None, by))  # a newer change starts over
    assert repo.policy_recompute("P1") == PolicyRecompute("P1", None, by)
    assert repo.pending_policy_recomputes(limit=10) == [PolicyRecompute("P1", None, by),
                                                        PolicyRecompute("P2", None, by)]
    repo.clear_policy_recompute("P1")
    repo.clear_policy_recompute("P9")  # absent: no-op
    assert repo.policy_recompute("P1") is None
    assert repo.pending_policy_recomputes(limit=10) == [PolicyRecompute("P2", None, by)]


def test_watch_starts_are_written_with_the_change_and_cleared_one_by_one(repo):
    repo.create_case(new(), idempotency=None, outbox=[WatchStart("P1", "TD-20261123-0001", 1)])
    case = repo.get_case("P1", "TD-20261123-0001")
    repo.save_change(act(case), expected_version=1, outbox=[WatchStart("P1", case.case_id, 2)])
    assert repo.pending_watch_starts(limit=10) == [WatchStart("P1", case.case_id, 1), WatchStart("P1", case.case_id, 2)]
    repo.clear_watch_start("P1", case.case_id, 1)
    repo.clear_watch_start("P1", case.case_id, 9)  # absent: no-op
    assert repo.pending_watch_starts(limit=10) == [WatchStart("P1", case.case_id, 2)]


def test_a_watch_start_keeps_its_first_wake_time_and_when_it_was_written(repo):
    """The stream consumer starts the execution asleep until ``sleep_until``; the sweep
    leaves a record to the stream until it is ``OUTBOX_SWEEP_AGE`` old (``written_at``)."""
    start = WatchStart("P1", "TD-20261123-0001", 1, sleep_until="2026-11-23T02:10:00Z",
                       written_at="2026-11-23T02:00:00.000000Z")
    repo.create_case(new(), idempotency=None, outbox=[start])
    assert repo.pending_watch_starts(limit=10) == [start]


# --- listings ------------------------------------------------------------------------

def test_a_tenants_cases_come_newest_first_a_page_at_a_time(repo):
    for n in range(1, 6):
        created(repo, f"TD-20261123-{n:04d}", now=T0 + timedelta(minutes=n))
    seen, cursor = [], None
    for _ in range(5):
        page, cursor = repo.cases_of_tenant("tenant-1", limit=2, cursor=cursor)
        seen += [c.case_id for c in page]
        if not cursor:
            break
    assert seen == [f"TD-20261123-{n:04d}" for n in (5, 4, 3, 2, 1)]


def test_a_cursor_from_another_listing_or_garbage_is_a_bad_request(repo):
    for n in range(1, 4):
        created(repo, f"TD-20261123-{n:04d}", now=T0 + timedelta(minutes=n))
    _, cursor = repo.cases_of_tenant("tenant-1", limit=1, cursor=None)
    assert cursor
    for bad in (cursor, "not-a-cursor", "eyJ4IjoxfQ"):
        with pytest.raises(BadRequest) as err:
            repo.open_queue("P1", filters={}, due_before=None, limit=5, cursor=bad)
        assert err.value.code == "invalid_cursor"


def test_the_open_queue_is_by_next_deadline_and_takes_filters(repo):
    first = created(repo, "TD-20261123-0001", now=T0)
    created(repo, "TD-20261123-0002", now=T0 - timedelta(hours=2))
    created(repo, "TD-20261123-0003", now=T0 + timedelta(hours=1))
    created(repo, "TD-20261123-0004", pid="P2")
    routed = cases.ACTIONS["classify"](first, cases.Actor("desk-1", "front_desk"),
                                       {"category": "security", "department": "security"}, T0, POLICY)
    repo.save_change(routed, expected_version=1)
    queue, _ = repo.open_queue("P1", filters={}, due_before=None, limit=10, cursor=None)
    dues = [c.next_due() for c in queue]
    assert [c.property_id for c in queue] == ["P1"] * 3 and dues == sorted(dues)
    mine, _ = repo.open_queue("P1", filters={"department": "security"}, due_before=None, limit=10, cursor=None)
    assert [c.case_id for c in mine] == ["TD-20261123-0001"]
    overdue, _ = repo.open_queue("P1", filters={}, due_before=T0 + timedelta(minutes=1), limit=10, cursor=None)
    assert all(c.next_due() < T0 + timedelta(minutes=1) for c in overdue) and overdue


def test_cases_changed_since_include_old_cases_touched_lately(repo):
    old = created(repo, "TD-20261120-0001", now=T0 - timedelta(days=3))
    created(repo, "TD-20261120-0002", now=T0 - timedelta(days=3))
    repo.save_change(act(old, now=T0), expected_version=1)
    assert [c.case_id for c in repo.cases_changed_since("P1", T0 - timedelta(hours=1))] == ["TD-20261120-0001"]


# --- properties, tenants, mail -------------------------------------------------------

def test_property_settings_registry_inboxes_and_tenants(repo):
    assert repo.get_property_settings("P1") is None
    repo.put_property_settings("P1", {"name": "滨江花园", "departments": ["engineering"]})
    assert repo.get_property_settings("P1") == {"name": "滨江花园", "departments": ["engineering"]}
    for pid in ("P2", "P1", "P3", "P1"):
        repo.register_property(pid)
    page, cursor = repo.registered_properties(limit=2)
    rest, end = repo.registered_properties(limit=2, cursor=cursor)
    assert page + rest == ["P1", "P2", "P3"] and end is None
    repo.put_inbox("service@riverside.example", "P1")
    assert repo.property_of_inboxes(["nobody@x.example", "service@riverside.example"]) == "P1"
    assert repo.property_of_inboxes(["nobody@x.example"]) is None
    record = {"tenant_id": "t-1", "property_id": "P1", "name": "李女士", "email": "li@example.com", "unit": "3-1201",
              "lang": "zh-Hans"}
    repo.put_tenant(record)
    assert repo.tenant_by_email("li@example.com") == record and repo.tenant_by_email("x@example.com") is None
    assert repo.is_tenant_of("P1", "t-1") and not repo.is_tenant_of("P2", "t-1")
    assert repo.get_tenant("P1", "t-1") == record
    assert repo.get_tenant("P2", "t-1") is None and repo.get_tenant("P1", "t-2") is None


def test_message_ids_attempts_and_the_ack_loop_breaker(repo):
    repo.remember_message_id("<a@x>", "P1#TD-20261123-0001")
    repo.remember_message_id("<b@x>", "P2#TD-20261123-0007", reply_id="R1")
    assert repo.cases_for_message_ids(["<b@x>", "<zz@x>", "<a@x>"]) == [("P2", "TD-20261123-0007"),
                                                                        ("P1", "TD-20261123-0001")]
    assert repo.message_id_known("<a@x>") and not repo.message_id_known("<zz@x>")
    until = T0 + timedelta(days=7)
    assert [repo.count_mail_attempt("b", "k1", expires_at=until) for _ in range(3)] == [1, 2, 3]
    assert repo.count_mail_attempt("b", "k2", expires_at=until) == 1
    hour = timedelta(hours=1)
    taken = [repo.take_ack_slot("li@example.com", now=T0 + timedelta(minutes=m), window=hour, limit=2)
             for m in (0, 10, 20)]
    assert taken == [True, True, False]
    assert repo.take_ack_slot("li@example.com", now=T0 + timedelta(minutes=61), window=hour, limit=2)


def test_quarantined_mail_is_listed_per_property_newest_first(repo):
    for n in range(3):
        repo.put_quarantined("P1", T0 + timedelta(minutes=n), f"inbound/{n}", {"reason": "spam", "n": n})
    repo.put_quarantined(None, T0, "inbound/x", {"reason": "unknown_recipient", "subject": "空调不制冷"})
    page, cursor = repo.quarantined("P1", limit=2, cursor=None)
    rest, end = repo.quarantined("P1", limit=2, cursor=cursor)
    assert [r["n"] for r in page + rest] == [2, 1, 0] and end is None
    assert repo.quarantined(None, limit=5, cursor=None)[0] == [{"reason": "unknown_recipient", "subject": "空调不制冷"}]


# --- replies -------------------------------------------------------------------------

def test_a_reply_is_new_once_then_changes_only_at_its_version(repo):
    case = created(repo, channel="letter", actor=cases.Actor("desk-1", "front_desk"))
    draft = replies.draft(case, DESK, reply_id="R1", subject="关于噪音投诉的回复", body="您好……", now=T0)
    repo.save_reply(draft, expected_version=None)
    with pytest.raises(VersionConflict) as err:
        repo.save_reply(draft, expected_version=None)
    assert err.value.code == "reply_version_conflict"
    stored = repo.get_reply("P1", case.case_id, "R1")
    assert stored.version == 1 and stored.body == "您好……"
    assert [r.reply_id for r in repo.pending_replies("P1", limit=5)] == ["R1"]
    assert [r.reply_id for r in repo.reply_queue("pending#P1", limit=5)[0]] == ["R1"]
    approved = replies.approve(stored, MANAGER, now=T0 + timedelta(minutes=1))
    repo.save_reply(approved, expected_version=1)
    with pytest.raises(VersionConflict):
        repo.save_reply(approved, expected_version=1)
    assert repo.get_reply("P1", case.case_id, "R1").version == 2 and repo.pending_replies("P1", limit=5) == []
    assert [r.reply_id for r in repo.replies_of(case)] == ["R1"]
    with pytest.raises(NotFound):
        repo.get_reply("P1", case.case_id, "R9")


def test_a_reply_and_its_case_change_are_written_together_or_not_at_all(repo):
    case = created(repo, channel="letter", actor=cases.Actor("desk-1", "front_desk"))
    reply = replies.draft(case, DESK, reply_id="R1", subject="回复", body="您好", now=T0)
    repo.save_reply(reply, expected_version=None)
    stored = repo.get_reply("P1", case.case_id, "R1")
    repo.save_change(act(case), expected_version=1)  # the case moves on meanwhile
    change = act(case, note="记录回复")
    approved = replies.approve(stored, MANAGER, now=T0 + timedelta(minutes=1))
    with pytest.raises(VersionConflict) as err:
        repo.save_reply(approved, expected_version=1, change=change, case_version=1)
    assert err.value.code != "reply_version_conflict"
    assert repo.get_reply("P1", case.case_id, "R1").status == "pending"
    fresh = repo.get_case("P1", case.case_id)
    repo.save_reply(approved, expected_version=1, change=act(fresh), case_version=2)
    assert repo.get_reply("P1", case.case_id, "R1").status == "approved"
    assert repo.get_case("P1", case.case_id).version == 3


# --- reports -------------------------------------------------------------------------

def test_handovers_are_written_once_and_listed_newest_first(repo):
    assert repo.put_handover("P1", "2026-11-23T00:00:00Z", {"counts": {"open": 1}}, only_if_absent=True)
    assert not repo.put_handover("P1", "2026-11-23T00:00:00Z", {"counts": {"open": 9}}, only_if_absent=True)
    assert repo.handover("P1", "2026-11-23T00:00:00Z") == {"counts": {"open": 1}}
    repo.put_handover("P1", "2026-11-23T00:00:00Z", {"counts": {"open": 2}}, only_if_absent=False)
    repo.put_handover("P1", "2026-11-23T10:00:00Z", {"counts": {"open": 3}}, only_if_absent=True)
    assert repo.handover("P1", "2026-11-22T10:00:00Z") is None
    rows, _ = repo.handovers("P1", limit=5)
    assert rows == [("2026-11-23T10:00:00Z", {"counts": {"open": 3}}),
                    ("2026-11-23T00:00:00Z", {"counts": {"open": 2}})]
    assert repo.handovers("P1", limit=1, newest_first=False)[0][0][0] == "2026-11-23T00:00:00Z"


def test_daily_figures_are_stored_once_unless_refreshed(repo):
    assert repo.dailies("P1", []) == {}
    assert repo.put_daily("P1", "2026-11-22", {"received": 3}, only_if_absent=True)
    assert not repo.put_daily("P1", "2026-11-22", {"received": 4}, only_if_absent=True)
    repo.put_daily("P1", "2026-11-21", {"received": 1}, only_if_absent=False)
    assert repo.dailies("P1", ["2026-11-20", "2026-11-21", "2026-11-22"]) == {"2026-11-21": {"received": 1},
                                                                            "2026-11-22": {"received": 3}}
    assert repo.dailies("P2", ["2026-11-22"]) == {}

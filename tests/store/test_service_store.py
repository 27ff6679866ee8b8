"""The service and its DynamoDB adapter against moto: transactions, versions,
idempotency, counters, queue and listing access patterns."""
from __future__ import annotations

import threading

import pytest

from chalicelib.adapters.dynamodb import CaseNumberTaken, CounterRace, IdempotentReplay
from chalicelib.domain import cases
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import NotFound, VersionConflict
from chalicelib.services.ports import CounterRead, IdempotencyRecord
from tests.people import DESK, TENANT2, submit


def test_idempotent_submit_returns_the_same_case(svc, store, aws_calls):
    first, created = submit(svc, key="app-retry-1")
    again, created_again = submit(svc, key="app-retry-1")
    assert created and not created_again
    assert again.case_id == first.case_id
    listed, _ = store.cases_of_tenant("tenant-1", limit=10, cursor=None)
    assert len(listed) == 1


def test_a_taken_case_number_is_detected_and_nothing_is_written(svc, store, clock):
    case, _ = submit(svc)
    change = cases.new_case(property_id="P1", case_id=case.case_id, actor=cases.Actor("t", "tenant"),
                            params={"channel": "app", "unit": "x", "content": "y"}, now=clock(),
                            policy=svc.property("P1").policy)
    with pytest.raises(CaseNumberTaken):
        store.create_case(change, idempotency=None, counter=CounterRead("P1", "20261123", 1))
    assert store.get_case("P1", case.case_id).content == case.content
    assert [e.seq for e in store.events(store.get_case("P1", case.case_id))] == [1]


def test_a_lost_race_for_the_number_is_detected_and_nothing_is_written(svc, store, clock):
    first, _ = submit(svc)
    change = cases.new_case(property_id="P1", case_id="TD-20261123-0002", actor=cases.Actor("t", "tenant"),
                            params={"channel": "app", "unit": "x", "content": "y"}, now=clock(),
                            policy=svc.property("P1").policy)
    with pytest.raises(CounterRace):  # it read "no counter yet", but number 1 was taken meanwhile
        store.create_case(change, idempotency=None, counter=CounterRead("P1", "20261123", None))
    with pytest.raises(NotFound):
        store.get_case("P1", "TD-20261123-0002")
    assert store.next_number(("COUNTER#P1", "20261123")) == 2


def test_a_submit_that_loses_the_race_takes_the_next_number_without_racing_again(svc, store, monkeypatch):
    """The first pass reads the counter; if another submit steps it first, the
    retry takes a number by atomic increment: one more write, never a storm."""
    submit(svc)
    real_get_meta = store.get_meta
    raced = {"left": 1}

    def read_then_lose(keys):
        found = real_get_meta(keys)
        if raced["left"]:
            raced["left"] -= 1
            submit(svc, principal=TENANT2, content="同一瞬间的另一宗")  # takes number 2 first
        return found

    monkeypatch.setattr(store, "get_meta", read_then_lose)
    calls = []
    real_next = store.next_number
    monkeypatch.setattr(store, "next_number", lambda key: calls.append(key) or real_next(key))
    case, created = submit(svc, content="输了号码的那一宗")
    assert created and case.case_id == "TD-20261123-0003" and len(calls) == 1
    assert store.get_case("P1", "TD-20261123-0002").content == "同一瞬间的另一宗"


def test_a_counter_behind_the_cases_catches_up_instead_of_failing(svc, store):
    """After a restore of the meta table the day's counter can be behind the
    cases: the next submit skips to the number after the highest stored one."""
    for _ in range(3):
        submit(svc)
    store.m.Meta("COUNTER#P1", "20261123", n=1).save()
    case, created = submit(svc, content="恢复备份之后的第一宗")
    assert created and case.case_id == "TD-20261123-0004"
    assert store.get_case("P1", "TD-20261123-0002").content == "楼上装修噪音，晚上十点还在施工"
    assert submit(svc)[0].case_id == "TD-20261123-0005"


def test_replayed_idempotency_record_is_reported(svc, store, clock):
    submit(svc, key="dup")
    change = cases.new_case(property_id="P1", case_id="TD-20261123-0099", actor=cases.Actor("tenant-1", "tenant"),
                            params={"channel": "app", "unit": "x", "content": "y"}, now=clock(),
                            policy=svc.property("P1").policy)
    with pytest.raises(IdempotentReplay):
        store.create_case(change, idempotency=IdempotencyRecord("tenant-1", "dup", "x", "y"))
    with pytest.raises(NotFound):
        store.get_case("P1", "TD-20261123-0099")


def test_concurrent_submits_get_distinct_consecutive_numbers(svc, store):
    results, errors = [], []

    def worker(i):
        try:
            results.append(submit(svc, content=f"并发提交 {i}")[0].case_id)
        except Exception as exc:  # noqa: BLE001  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == [f"TD-20261123-{n:04d}" for n in range(1, 9)]


def test_concurrent_retries_of_one_submit_make_one_case(svc, store):
    results = []
    threads = [threading.Thread(target=lambda: results.append(submit(svc, key="tap-tap-tap")[0].case_id))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 6
    assert len(store.cases_of_tenant("tenant-1", limit=50, cursor=None)[0]) == 1


def test_fifty_concurrent_edits_of_one_version_have_one_winner(svc, store):
    case, _ = submit(svc)
    outcomes = []

    def edit(i):
        who = Principal(f"desk-{i}", "front_desk", frozenset({"P1"}))
        try:
            svc.act(who, "P1", case.case_id, "note", {"note": f"note {i}"}, expected_version=1)
            outcomes.append("ok")
        except VersionConflict:
            outcomes.append("409")

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1 and outcomes.count("409") == 49
    stored = store.get_case("P1", case.case_id)
    assert stored.version == 2 and len(store.events(stored)) == 2


def test_a_departments_queue_is_one_query_per_page_however_busy_the_property(svc, clock, aws_calls):
    """Twenty cleaning cases come first in deadline order; engineering's three
    are behind them. Its page still takes one Query, in deadline order, pages
    on, follows a change of department and drops closed cases."""
    engineering = []
    for i in range(23):
        case, _ = submit(svc, content=f"第{i}件")
        department = "engineering" if i in (4, 15, 22) else "cleaning"
        svc.act(DESK, "P1", case.case_id, "classify", {"kind": "request", "department": department})
        if department == "engineering":
            engineering.append(case.case_id)
        clock.advance(minutes=1)
    aws_calls.clear()
    page1, cursor = svc.queue(DESK, "P1", filters={"department": "engineering"}, overdue=False, limit=2, cursor=None)
    assert [op for _, op in aws_calls if op in ("Query", "Scan")] == ["Query"]  # (and the settings read)
    page2, cursor2 = svc.queue(DESK, "P1", filters={"department": "engineering"}, overdue=False, limit=2,
                               cursor=cursor)
    assert [c.case_id for c in page1 + page2] == engineering
    both, _ = svc.queue(DESK, "P1", filters={"department": "engineering", "kind": "request"}, overdue=False,
                        limit=25, cursor=None)
    assert [c.case_id for c in both] == engineering
    svc.act(DESK, "P1", engineering[0], "classify", {"department": "cleaning"})
    svc.act(DESK, "P1", engineering[1], "classify", {"kind": "consultation"})
    svc.act(DESK, "P1", engineering[1], "answer", {"message": "已答复"})  # closed
    items, _ = svc.queue(DESK, "P1", filters={"department": "engineering"}, overdue=False, limit=25, cursor=None)
    assert [c.case_id for c in items] == [engineering[2]]


def test_a_quota_counter_is_one_meta_item_per_counted_thing_and_window(clock):
    from chalicelib.adapters.dynamodb import quota_key
    from chalicelib.domain import quotas
    at = clock().replace(minute=17, second=40)
    quota = quotas.case_submission(quotas.Limits(), "P1", "tenant-1", at)
    assert quota_key(quota) == ("QUOTA#cases_per_tenant#P1#tenant-1", "2026-11-23T02:00:00Z")
    later = quotas.case_submission(quotas.Limits(), "P1", "tenant-1", quota.window_end)
    assert quota_key(later) != quota_key(quota)

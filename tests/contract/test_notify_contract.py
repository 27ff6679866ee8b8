"""The notification store's contract (ports.NotificationStore) on both stores:
a notification per event, written with the change or not at all; the feed's
order, cursor and unread marks; targets; the delivery outbox's conditions."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain import cases
from chalicelib.domain.errors import BadRequest, VersionConflict
from chalicelib.services.ports import Delivery
from tests.conftest import T0
from tests.contract.test_storage_contract import act, created, new


@pytest.fixture(params=["memory", "dynamo"])
def repo(request):
    if request.param == "memory":
        from chalicelib.adapters.memory import MemoryStore
        return MemoryStore()
    return request.getfixturevalue("store")


def assign(repo, case, minutes=5):
    change = act(case, "assign", now=T0 + timedelta(minutes=minutes), assignee="eng-1", department="engineering")
    repo.save_change(change, expected_version=case.version)
    return change


def test_a_notification_is_written_with_its_event_and_only_once(repo):
    case = created(repo)
    change = assign(repo, case)
    with pytest.raises(VersionConflict):  # a retried write of the same change
        repo.save_change(change, expected_version=case.version)
    rows, cursor = repo.notifications("tenant-1", limit=10, cursor=None)
    assert [(n.kind, n.seq, read) for _, n, read in rows] == [("assigned", 2, False), ("received", 1, False)]
    assert cursor is None and repo.unread_notifications("tenant-1") == 2
    assert rows[0][1].params == {} and rows[1][1].params == {"channel": "app"}
    # an internal action adds nothing; a case without a tenant tells nobody
    repo.save_change(act(repo.get_case("P1", case.case_id), "note"), expected_version=2)
    created(repo, "TD-20261123-0002", tenant=None, actor=cases.Actor("desk-1", "front_desk"), channel="phone",
            reporter={"name": "访客", "phone": "138"})
    assert len(repo.notifications("tenant-1", limit=10, cursor=None)[0]) == 2
    assert len(repo.due_deliveries(T0 + timedelta(hours=1), limit=10)) == 2


def test_a_web_form_visitors_steps_go_to_the_outbox_only_never_to_a_feed(repo):
    """A visitor has no account: no feed, no unread count; the delivery worker mails them."""
    visitor = {"name": "访客", "email": "visitor@example.cn", "visitor": True}
    case = created(repo, "TD-20261123-0003", tenant=None, actor=cases.Actor("webform", "visitor"), channel="web",
                   reporter=visitor)
    assert repo.due_deliveries(T0 + timedelta(hours=1), limit=10) == []  # the form's own mail acknowledged it
    assign(repo, case)
    (delivery,) = repo.due_deliveries(T0 + timedelta(hours=1), limit=10)
    assert delivery.notification.kind == "assigned"
    assert delivery.notification.tenant_id == "visitor:P1#TD-20261123-0003"
    assert repo.notifications(delivery.notification.tenant_id, limit=10, cursor=None)[0] == []
    assert repo.unread_notifications(delivery.notification.tenant_id) == 0


def test_the_feed_pages_newest_first_and_refuses_foreign_cursors(repo):
    for n in range(3):
        created(repo, f"TD-20261123-000{n + 1}", now=T0 + timedelta(minutes=n))
    first, cursor = repo.notifications("tenant-1", limit=2, cursor=None)
    second, last = repo.notifications("tenant-1", limit=2, cursor=cursor)
    assert [n.case_id for _, n, _ in first + second] == ["TD-20261123-0003", "TD-20261123-0002",
                                                          "TD-20261123-0001"]
    assert last is None
    with pytest.raises(BadRequest):
        repo.notifications("tenant-2", limit=2, cursor=cursor)


def test_read_marks_are_conditional_and_per_tenant(repo):
    for n in range(3):
        created(repo, f"TD-20261123-000{n + 1}", now=T0 + timedelta(minutes=n))
    created(repo, "TD-20261123-0009", tenant="tenant-2", actor=cases.Actor("tenant-2", "tenant", "陳先生"))
    ids = [i for i, _, _ in repo.notifications("tenant-1", limit=10, cursor=None)[0]]
    theirs = repo.notifications("tenant-2", limit=10, cursor=None)[0][0][0]
    assert repo.unknown_notifications("tenant-1", [ids[0], theirs, "nope"]) == [theirs, "nope"]
    assert repo.mark_notifications_read("tenant-1", [ids[0], ids[0]]) == 1
    assert repo.mark_notifications_read("tenant-1", [ids[0]]) == 0
    assert repo.mark_notifications_read("tenant-1", [theirs]) == 0
    assert repo.mark_notifications_read_up_to("tenant-1", ids[1], limit=10) == 2
    assert repo.unread_notifications("tenant-1") == 0 and repo.unread_notifications("tenant-2") == 1
    assert [read for _, _, read in repo.notifications("tenant-1", limit=10, cursor=None)[0]] == [True] * 3


def test_targets_and_preferences_in_one_read(repo):
    assert repo.notify_settings("tenant-1") == (None, [], [])
    repo.put_notify_preferences("tenant-1", {"lang": "en"})
    repo.put_device("tenant-1", {"id": "d1", "platform": "fcm", "endpoint_arn": "arn:1"})
    repo.put_device("tenant-1", {"id": "d1", "platform": "fcm", "endpoint_arn": "arn:2"})  # overwrites
    repo.put_webpush("tenant-1", {"id": "w1", "endpoint": "https://fcm.googleapis.com/x", "keys": {}})
    prefs, devices, subs = repo.notify_settings("tenant-1")
    assert prefs == {"lang": "en"} and devices == [{"id": "d1", "platform": "fcm", "endpoint_arn": "arn:2"}]
    assert [s["id"] for s in subs] == ["w1"]
    assert repo.delete_device("tenant-2", "d1") is None
    assert repo.delete_device("tenant-1", "d1")["endpoint_arn"] == "arn:2"
    assert repo.delete_device("tenant-1", "d1") is None
    assert repo.delete_webpush("tenant-1", "w1")["id"] == "w1"


def test_the_outbox_is_claimed_by_one_worker_only(repo):
    created(repo)
    now = T0 + timedelta(minutes=1)
    (due,) = repo.due_deliveries(now, limit=10)
    assert due.notification.case_id == "TD-20261123-0001" and due.attempts == 0
    claimed = replace(due, due=now + timedelta(minutes=5))
    assert repo.reschedule_delivery(due, claimed) is True
    assert repo.reschedule_delivery(due, claimed) is False  # a second worker loses
    assert repo.due_deliveries(now, limit=10) == []
    later = replace(claimed, due=now + timedelta(minutes=10), attempts=1, done=("email",))
    assert repo.reschedule_delivery(claimed, later) is True
    (again,) = repo.due_deliveries(now + timedelta(minutes=10), limit=10)
    assert again == later
    assert repo.finish_delivery(later) is True and repo.finish_delivery(later) is False
    assert isinstance(again, Delivery)


def test_a_failed_change_writes_no_notification(repo):
    case = created(repo)
    assign(repo, case)
    stale = act(case, "assign", now=T0 + timedelta(minutes=9), assignee="eng-2", department="engineering")
    with pytest.raises(VersionConflict):
        repo.save_change(stale, expected_version=case.version)
    assert len(repo.notifications("tenant-1", limit=10, cursor=None)[0]) == 2
    assert repo.unread_notifications("tenant-1") == 2  # the failed change did not count either
    assert new  # the contract suite's helpers are shared


def test_the_first_feed_page_carries_the_unread_count_and_preferences_later_pages_the_language(repo):
    for n in range(5):
        created(repo, f"TD-20261123-000{n + 1}", now=T0 + timedelta(minutes=n))
    repo.put_notify_preferences("tenant-1", {"lang": "en"})
    first = repo.feed_page("tenant-1", limit=2, cursor=None)
    assert [n.case_id for _, n, _ in first.rows] == ["TD-20261123-0005", "TD-20261123-0004"]
    assert (first.unread_count, first.prefs) == (5, {"lang": "en"})
    second = repo.feed_page("tenant-1", limit=2, cursor=first.next_cursor)
    assert [n.case_id for _, n, _ in second.rows] == ["TD-20261123-0003", "TD-20261123-0002"]
    assert (second.unread_count, second.prefs) == (None, {"lang": "en"})
    third = repo.feed_page("tenant-1", limit=2, cursor=second.next_cursor)
    assert [n.case_id for _, n, _ in third.rows] == ["TD-20261123-0001"] and third.next_cursor is None
    # the head is no notification: never in a page, never markable
    assert repo.unknown_notifications("tenant-1", ["~HEAD"]) == ["~HEAD"]
    assert repo.mark_notifications_read("tenant-1", ["~HEAD"]) == 0
    assert repo.feed_page("tenant-2", limit=2, cursor=None) == type(first)([], None, 0, None)


def test_the_unread_count_follows_adds_and_marks_exactly(repo):
    for n in range(4):
        created(repo, f"TD-20261123-000{n + 1}", now=T0 + timedelta(minutes=n))
    ids = [i for i, _, _ in repo.notifications("tenant-1", limit=10, cursor=None)[0]]
    assert repo.mark_notifications_read("tenant-1", [ids[0], "nope", ids[0]]) == 1
    assert repo.unread_notifications("tenant-1") == 3
    assign(repo, repo.get_case("P1", "TD-20261123-0001"))
    page = repo.feed_page("tenant-1", limit=1, cursor=None)
    assert page.unread_count == 4 and page.rows[0][1].kind == "assigned"
    assert repo.mark_notifications_read_up_to("tenant-1", ids[0], limit=100) == 3  # older or equal only
    assert repo.mark_notifications_read_up_to("tenant-1", page.rows[0][0], limit=100) == 1
    assert repo.unread_notifications("tenant-1") == 0
    assert repo.mark_notifications_read_up_to("tenant-1", page.rows[0][0], limit=100) == 0
    assert repo.feed_page("tenant-1", limit=1, cursor=None).unread_count == 0


def test_concurrent_read_marks_count_each_notification_once(repo):
    from concurrent.futures import ThreadPoolExecutor
    for n in range(8):
        created(repo, f"TD-20261123-000{n + 1}", now=T0 + timedelta(minutes=n))
    ids = [i for i, _, _ in repo.notifications("tenant-1", limit=10, cursor=None)[0]]
    jobs = [lambda: repo.mark_notifications_read("tenant-1", ids),
            lambda: repo.mark_notifications_read("tenant-1", ids[::-1]),
            lambda: repo.mark_notifications_read("tenant-1", ids[:4]),
            lambda: repo.mark_notifications_read_up_to("tenant-1", ids[0], limit=100),
            lambda: repo.mark_notifications_read_up_to("tenant-1", ids[0], limit=100)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        marked = [f.result() for f in [pool.submit(job) for job in jobs]]
    assert sum(marked) == 8  # each one marked by exactly one of the calls
    assert repo.unread_notifications("tenant-1") == 0
    assert repo.feed_page("tenant-1", limit=10, cursor=None).unread_count == 0


def test_a_feed_page_is_one_query_whichever_page(store, aws_calls):
    for n in range(5):
        created(store, f"TD-20261123-000{n + 1}", now=T0 + timedelta(minutes=n))
    store.put_notify_preferences("tenant-1", {"lang": "zh-Hant"})
    del aws_calls[:]
    first = store.feed_page("tenant-1", limit=2, cursor=None)
    assert [op for _, op in aws_calls] == ["Query"]
    store.feed_page("tenant-1", limit=2, cursor=first.next_cursor)
    assert [op for _, op in aws_calls] == ["Query", "Query"]

"""Duplicates across channels through the service (in-memory store): every new case,
whatever its channel, carries its suggestions; staff link, merge, dismiss; a linked case
is resolved (and its tenant told) with its owner."""
from __future__ import annotations

import pytest

from chalicelib.domain.errors import Forbidden, IllegalTransition
from chalicelib.services.dedupe_service import DedupeService
from tests.people import DESK, TENANT, TENANT2, submit

AC = {"category": "air_conditioning", "unit": "3-301"}


def test_a_new_case_from_any_channel_carries_its_suggestions_in_its_first_write(svc, store, clock):
    first, _ = submit(svc, content="空调漏水，滴到桌子上了", **AC)
    clock.advance(minutes=20)
    call = {"channel": "phone", "unit": "3-301", "content": "3-301来电：冷氣漏水，滴到桌上",
            "category": "air_conditioning", "reporter": {"name": "陳先生", "phone": "13800000000"}}
    logged, _ = svc.log(DESK, "P1", call, None)
    assert [(d["case_id"], d["kind"], d["same_reporter"]) for d in logged.possible_duplicates] == \
        [(first.case_id, "duplicate", False)]
    stored = store.get_case("P1", logged.case_id)
    assert stored.version == 1 and stored.possible_duplicates == logged.possible_duplicates
    other, _ = submit(svc, content="空调太冷了，温度调不上去", **AC)  # same unit, other problem
    assert other.possible_duplicates == []
    unclassified, _ = submit(svc, content="空调漏水，滴到桌子上了", unit="3-301")
    assert unclassified.possible_duplicates == []  # no category yet: nothing to compare with
    classified = svc.act(DESK, "P1", unclassified.case_id, "classify", {"category": "air_conditioning"})
    assert first.case_id in [d["case_id"] for d in classified.possible_duplicates]  # looked for on classify


def test_a_tenant_never_sees_suggestions_and_staff_merge_their_own_second_report(svc, clock):
    first, _ = submit(svc, content="5楼洗手间很脏，地上有水也没纸", category="cleaning", unit="5F")
    clock.advance(minutes=5)
    second, _ = submit(svc, content="五樓廁所沒人打掃，沒有廁紙", category="cleaning", unit="5/F")
    assert second.possible_duplicates[0]["case_id"] == first.case_id
    assert second.possible_duplicates[0]["same_reporter"] is True
    assert "possible_duplicates" not in svc_view(svc, TENANT, second.case_id)
    svc.act(TENANT, "P1", second.case_id, "message", {"text": "纸巾也用完了 Out of tissues"})
    dedupe = DedupeService(svc)
    with pytest.raises(Forbidden):
        dedupe.merge(TENANT, "P1", second.case_id, first.case_id)
    merged = dedupe.merge(DESK, "P1", second.case_id, first.case_id)
    assert (merged.status, merged.merged_into) == ("closed", first.case_id)
    seen = svc_view(svc, TENANT, second.case_id)  # the tenant still reads their case
    assert seen["merged_into"] == first.case_id and seen["status"] == "closed"
    target, events = svc.get(DESK, "P1", first.case_id)
    assert target.merged[0]["case_id"] == second.case_id and events[-1].action == "merged_in"
    assert target.merged[0]["messages"] == ["纸巾也用完了 Out of tissues"]  # its messages are listed on the target
    with pytest.raises(IllegalTransition):
        dedupe.merge(DESK, "P1", second.case_id, first.case_id)


def test_a_linked_case_is_resolved_with_its_owner_and_its_tenant_told(svc, store, clock):
    owner, _ = submit(svc, content="2号电梯坏了，停在8楼不动", category="public_facility", unit="lift hall")
    clock.advance(minutes=3)
    follower, _ = submit(svc, TENANT2, content="二號電梯又故障，按了沒反應", category="public_facility",
                         unit="Lift Hall")
    assert follower.possible_duplicates[0]["same_reporter"] is False
    dedupe = DedupeService(svc)
    linked = dedupe.link(DESK, "P1", follower.case_id, owner.case_id)
    assert linked.follows == owner.case_id
    assert store.get_case("P1", owner.case_id).followers == [follower.case_id]
    svc.act(DESK, "P1", owner.case_id, "resolve", {"resolution": "电梯已修复 Lift 2 repaired"})
    after = store.get_case("P1", follower.case_id)
    assert after.status == "resolved"
    assert [e.data.get("resolution") for e in store.events(after) if e.action == "resolve"] == \
        ["电梯已修复 Lift 2 repaired"]
    told = [(n.case_id, n.kind) for _, n, _ in store.feed_page("tenant-2", limit=10, cursor=None).rows]
    assert (follower.case_id, "resolved") in told  # the follower's tenant, in their feed


def test_dismissed_suggestions_leave_the_case(svc, clock):
    first, _ = submit(svc, content="走廊的灯坏了，晚上很黑", category="public_facility", unit="3F corridor")
    second, _ = submit(svc, TENANT2, content="走廊燈不亮，黑漆漆的", category="public_facility", unit="3F corridor")
    assert second.possible_duplicates
    case = DedupeService(svc).dismiss(DESK, "P1", second.case_id, first.case_id)
    assert case.possible_duplicates == []


def svc_view(svc, principal, case_id):
    from chalicelib.domain import views
    case = svc.read(principal, "P1", case_id)[0]
    return views.case_view(case, now=svc.clock(), staff=principal.is_staff)


def _linked_pair(svc, clock, *more):
    owner, _ = submit(svc, content="2号电梯坏了，停在8楼不动", category="public_facility", unit="lift hall")
    followers = []
    for principal in (TENANT2, *more):
        clock.advance(minutes=3)
        f, _ = submit(svc, principal, content="二號電梯又故障，按了沒反應", category="public_facility",
                      unit="Lift Hall")
        DedupeService(svc).link(DESK, "P1", f.case_id, owner.case_id)
        followers.append(f)
    return owner, followers


def test_closing_the_owner_closes_a_called_back_follower_but_never_skips_a_followers_callback(svc, store, clock):
    owner, (follower,) = _linked_pair(svc, clock)
    svc.act(DESK, "P1", owner.case_id, "resolve", {"resolution": "电梯已修复 Lift 2 repaired"})
    assert store.get_case("P1", follower.case_id).status == "resolved"
    svc.act(DESK, "P1", owner.case_id, "callback", {"reached": True, "satisfied": True})
    svc.act(DESK, "P1", owner.case_id, "close", {"summary": "ok"})
    # The follower's own callback is still due: the owner's call does not stand for it.
    assert store.get_case("P1", follower.case_id).status == "resolved"
    svc.act(DESK, "P1", follower.case_id, "callback", {"reached": True, "satisfied": True})
    assert store.get_case("P1", follower.case_id).status == "callback_done"


def test_closing_the_owner_passes_to_followers_resolved_or_called_back(svc, store, clock):
    owner, (follower,) = _linked_pair(svc, clock)
    svc.act(DESK, "P1", owner.case_id, "resolve", {"resolution": "电梯已修复 Lift 2 repaired"})
    svc.act(DESK, "P1", follower.case_id, "callback", {"reached": True, "satisfied": True})
    svc.act(DESK, "P1", owner.case_id, "callback", {"reached": True, "satisfied": True})
    svc.act(DESK, "P1", owner.case_id, "close", {"summary": "ok"})
    assert store.get_case("P1", follower.case_id).status == "closed"  # called back: closed with its owner
    told = [(n.case_id, n.kind) for _, n, _ in store.feed_page("tenant-2", limit=10, cursor=None).rows]
    assert (follower.case_id, "closed") in told


def test_linking_and_merging_tell_the_affected_tenant_in_their_language(svc, store, clock):
    from chalicelib.domain import notify
    owner, (follower,) = _linked_pair(svc, clock)
    told = [n for _, n, _ in store.feed_page("tenant-2", limit=10, cursor=None).rows if n.case_id == follower.case_id]
    assert told[0].kind == "linked" and told[0].params == {}  # the other tenant's case is not named
    assert "处理完毕后会通知您" in notify.render(told[0], "zh-Hans", "Asia/Shanghai")["body"]
    assert "處理完畢後會通知您" in notify.render(told[0], "zh-Hant", "Asia/Shanghai")["body"]
    assert "handled together" in notify.render(told[0], "en", "Asia/Shanghai")["body"]
    assert owner.case_id not in str(notify.render(told[0], "en", "Asia/Shanghai"))
    assert [n.kind for _, n, _ in store.feed_page("tenant-1", limit=10, cursor=None).rows
            if n.case_id == owner.case_id] == ["received"]  # the owner's tenant: nothing new
    seen = svc_view(svc, TENANT2, follower.case_id)
    assert "follows" not in seen and "possible_duplicates" not in seen
    events = svc.read(TENANT2, "P1", follower.case_id)[1]
    tenant_trail = [views_event(e) for e in events]
    assert {"action": "link", "data": {}} in [{"action": t["action"], "data": t["data"]} for t in tenant_trail]

    first, _ = submit(svc, content="5楼洗手间很脏，地上有水也没纸", category="cleaning", unit="5F", lang="zh-Hant")
    clock.advance(minutes=5)
    second, _ = submit(svc, content="五樓廁所沒人打掃，沒有廁紙", category="cleaning", unit="5/F", lang="zh-Hant")
    DedupeService(svc).merge(DESK, "P1", second.case_id, first.case_id)
    merged = [n for _, n, _ in store.feed_page("tenant-1", limit=20, cursor=None).rows if n.case_id == second.case_id]
    assert merged[0].kind == "merged" and merged[0].params == {"merged_into": first.case_id}
    assert merged[0].lang == "zh-Hant"
    assert notify.render(merged[0], merged[0].lang, "Asia/Shanghai")["body"] == \
        f"案件 {second.case_id} 已併入案件 {first.case_id}。"


def views_event(event):
    from chalicelib.domain import views
    return views.event_view(event, staff=False)

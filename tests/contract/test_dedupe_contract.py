"""The duplicate store's contract (ports.DuplicateStore) on both stores: one partition per
property and category, created since a time, newest first, merged cases dropped; two
case changes written together or not at all."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import cases, dedupe, duplicates
from chalicelib.domain.errors import VersionConflict
from tests.conftest import T0
from tests.contract.test_storage_contract import TENANT, act, created, repo  # noqa: F401 - the fixture

DESK = cases.Actor("desk-1", "front_desk", "前台")


def test_candidates_are_one_property_and_category_since_a_time_newest_first(repo):  # noqa: F811
    created(repo, "TD-20261101-0001", now=T0 - timedelta(days=22), category="air_conditioning",
            content="空调不制冷", unit="3-301")
    created(repo, "TD-20261120-0001", now=T0 - timedelta(days=3), category="air_conditioning",
            content="冷氣不製冷，很熱", unit="3-301")
    created(repo, "TD-20261122-0001", now=T0 - timedelta(days=1), category="air_conditioning",
            content="Aircon leaking", unit="5-502", tenant="tenant-2")
    created(repo, "TD-20261122-0002", now=T0 - timedelta(days=1), category="cleaning", content="走廊很脏")
    created(repo, "TD-20261122-0003", now=T0 - timedelta(days=1), content="未分类")
    created(repo, "TD-20261122-0001", pid="P2", now=T0 - timedelta(days=1), category="air_conditioning",
            content="空调不制冷")
    found = repo.duplicate_candidates("P1", "air_conditioning", T0 - timedelta(days=10))
    assert [c.case_id for c in found] == ["TD-20261122-0001", "TD-20261120-0001"]
    near = found[1]
    assert (near.place, near.category, near.status, near.reporter) == ("text:3-301", "air_conditioning",
                                                                       "received", "tenant-1")
    assert near.text == "冷氣不製冷，很熱" and near.created_at == T0 - timedelta(days=3)
    assert near.closed_at is None


def test_a_merged_case_leaves_the_index_and_a_pair_is_written_together(repo):  # noqa: F811
    a = created(repo, "TD-20261123-0001", category="cleaning", content="5楼洗手间很脏")
    b = created(repo, "TD-20261123-0002", category="cleaning", content="五樓廁所沒人打掃")
    first, second = dedupe.merge(b, a, DESK, T0 + timedelta(minutes=5), attachments=[])
    stale = act(a)  # someone else changed the target meanwhile
    repo.save_change(stale, expected_version=a.version)
    with pytest.raises(VersionConflict):
        repo.save_pair(first, second)
    assert repo.get_case("P1", b.case_id).status == "received"  # nothing written
    a = repo.get_case("P1", a.case_id)
    first, second = dedupe.merge(b, a, DESK, T0 + timedelta(minutes=6), attachments=[])
    repo.save_pair(first, second)
    merged, target = repo.get_case("P1", b.case_id), repo.get_case("P1", a.case_id)
    assert (merged.status, merged.merged_into) == ("closed", a.case_id)
    assert [m["case_id"] for m in target.merged] == [b.case_id]
    assert [e.action for e in repo.events(merged)][-1] == "merge"
    assert [e.action for e in repo.events(target)][-1] == "merged_in"
    found = repo.duplicate_candidates("P1", "cleaning", T0 - timedelta(days=1))
    assert [c.case_id for c in found] == [a.case_id]


def test_a_closed_case_is_a_candidate_with_its_closing_time(repo):  # noqa: F811
    case = created(repo, category="pest", content="办公室有蟑螂")
    case.status, case.closed_at = "closed", T0 + timedelta(days=1)
    change = cases.Change(case, cases.Event(seq=case.version + 1, at=T0, actor=DESK, action="note", changes={},
                                            data={}))
    repo.save_change(change, expected_version=case.version)
    [found] = repo.duplicate_candidates("P1", "pest", T0 - timedelta(days=1))
    assert (found.status, found.closed_at) == ("closed", T0 + timedelta(days=1))
    assert duplicates.find(duplicates.candidate_of(created(repo, "TD-20261123-0002", category="pest",
                                                           content="辦公室發現蟑螂")),
                           [found], T0 + timedelta(days=2))[0]["kind"] == "repeat"


def test_a_link_and_a_merge_write_the_affected_tenants_notification_with_the_pair(repo):  # noqa: F811
    owner = created(repo, "TD-20261123-0001", category="public_facility", content="2号电梯坏了")
    follower = created(repo, "TD-20261123-0002", category="public_facility", content="二號電梯故障",
                       tenant="tenant-2", actor=cases.Actor("tenant-2", "tenant", "陳先生"))
    repo.save_pair(*dedupe.link(follower, owner, DESK, T0 + timedelta(minutes=5)))
    told = {tenant: [(n.case_id, n.kind, n.params) for _, n, _ in
                     repo.feed_page(tenant, limit=10, cursor=None).rows] for tenant in ("tenant-1", "tenant-2")}
    assert (follower.case_id, "linked", {}) in told["tenant-2"]
    assert not any(kind == "linked" for _, kind, _ in told["tenant-1"])  # the owner's tenant: nothing new
    again = created(repo, "TD-20261123-0003", category="public_facility", content="电梯还是坏的")
    owner = repo.get_case("P1", owner.case_id)
    repo.save_pair(*dedupe.merge(again, owner, DESK, T0 + timedelta(minutes=6), attachments=[]))
    rows = [(n.case_id, n.kind, n.params) for _, n, _ in repo.feed_page("tenant-1", limit=10, cursor=None).rows]
    assert (again.case_id, "merged", {"merged_into": owner.case_id}) in rows

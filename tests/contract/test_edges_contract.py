"""The storage the tenant API's edges need, on both stores: the timeline read a
page at a time, a tenant's cases changed since an instant, the idempotency
record written with a change, a tenant's own record."""
from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from chalicelib.domain.errors import BadRequest
from chalicelib.services.ports import IdempotencyRecord, IdempotentReplay
from tests.conftest import T0
from tests.contract.test_storage_contract import act, created, repo  # noqa: F401 - the fixture, on both stores


def _with_notes(repo, n):  # noqa: F811
    case = created(repo)
    for i in range(n):
        repo.save_change(act(case, note=f"第{i + 1}条备注", now=T0 + timedelta(minutes=i + 1)),
                         expected_version=case.version)
        case = repo.get_case("P1", case.case_id)
    return case


def _all_pages(repo, case, limit, actions=None):  # noqa: F811
    pages, cursor = [], None
    while True:
        items, cursor = repo.events_page(case, limit=limit, cursor=cursor, actions=actions)
        pages.append([e.seq for e in items])
        if cursor is None:
            return pages


def test_the_timeline_pages_backwards_from_the_latest_each_page_in_order(repo):  # noqa: F811
    case = _with_notes(repo, 11)  # seq 1 (submitted) .. 12
    first, cursor = repo.events_page(case, limit=5, cursor=None)
    assert [e.seq for e in first] == [8, 9, 10, 11, 12] and cursor
    pages = [p for p in _all_pages(repo, case, 5) if p]
    assert pages == [[8, 9, 10, 11, 12], [3, 4, 5, 6, 7], [1, 2]]
    assert first[-1].data["text"] if "text" in first[-1].data else True


def test_a_filtered_timeline_page_keeps_only_the_actions_asked_for(repo):  # noqa: F811
    case = _with_notes(repo, 4)
    seen = [s for page in _all_pages(repo, case, 2, actions=frozenset({"submitted"})) for s in page]
    assert seen == [1]


def test_a_timeline_cursor_from_elsewhere_or_tampered_is_refused(repo):  # noqa: F811
    case = _with_notes(repo, 4)
    other = created(repo, "TD-20261123-0002")
    _, cursor = repo.events_page(case, limit=2, cursor=None)
    for bad in ("not-a-cursor", "eyJzIjoxfQ", cursor[:-3] + "abc"):
        with pytest.raises(BadRequest) as err:
            repo.events_page(case, limit=2, cursor=bad)
        assert err.value.code == "invalid_cursor"
    with pytest.raises(BadRequest):  # another case's listing
        repo.events_page(other, limit=2, cursor=cursor)
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    data["k"] = {"seq": "1 OR 1=1"} if isinstance(data["k"], dict) else ["1 OR 1=1"]
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    with pytest.raises(BadRequest):
        repo.events_page(case, limit=2, cursor=forged)


def test_a_tenants_cases_changed_since_an_instant(repo):  # noqa: F811
    old = created(repo, "TD-20261123-0001")
    created(repo, "TD-20261123-0002", now=T0 + timedelta(minutes=1))
    repo.save_change(act(old, now=T0 + timedelta(hours=2)), expected_version=1)
    found, cursor = repo.cases_of_tenant("tenant-1", limit=10, cursor=None, updated_since=T0 + timedelta(hours=1))
    assert [c.case_id for c in found] == ["TD-20261123-0001"] and cursor is None
    everything, _ = repo.cases_of_tenant("tenant-1", limit=10, cursor=None)
    assert len(everything) == 2


def test_an_idempotency_record_is_written_with_a_change_once(repo):  # noqa: F811
    case = created(repo)
    record = IdempotencyRecord("tenant-1", "msg-1", case.key, "f1", action="message", version=2)
    repo.save_change(act(case, "message"), expected_version=1, idempotency=record)
    assert repo.idempotency_record("tenant-1", "msg-1") == {"case": case.key, "fingerprint": "f1",
                                                            "action": "message", "version": 2}
    assert repo.idempotency_record("tenant-2", "msg-1") is None
    again = repo.get_case("P1", case.case_id)
    with pytest.raises(IdempotentReplay):
        repo.save_change(act(again, "message"), expected_version=2, idempotency=record)
    assert repo.get_case("P1", case.case_id).version == 2 and len(repo.events(again)) == 2


def test_a_tenants_own_record_by_property(repo):  # noqa: F811
    repo.put_tenant({"tenant_id": "tenant-1", "property_id": "P1", "name": "李女士", "email": "li@example.cn",
                     "unit": "3栋1201", "lang": "zh-Hans"})
    assert repo.tenant("P1", "tenant-1")["unit"] == "3栋1201"
    assert repo.tenant("P2", "tenant-1") is None and repo.tenant("P1", "tenant-9") is None

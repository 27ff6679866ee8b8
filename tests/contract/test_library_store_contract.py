"""The case library's storage contract (ports.LibraryStore), on both stores: the
in-memory twin and DynamoDB under moto. Conditional creates, version checks that
write nothing on a lost race, every version kept, the approved entries of a
category from the index, and a use counter that only counts approved entries
and never clashes with an edit."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import library
from chalicelib.domain.cases import Actor
from chalicelib.domain.errors import Conflict, NotFound, VersionConflict
from tests.conftest import T0

DESK = Actor("desk-1", "front_desk", "前台小李")
MANAGER = Actor("mgr-1", "manager", "王经理")
TEXT = {"title": "空调不制冷", "problem": "夏天空调不制冷，室温30度", "cause": "冷媒不足",
        "what_worked": "补充冷媒，清洗滤网", "tenant_text": "您好，师傅已为您补充冷媒。", "lessons": "先查滤网",
        "category": "air_conditioning", "tags": ["空调", "夏季"], "lang": "zh-Hans"}


@pytest.fixture(params=["memory", "dynamo"])
def repo(request):
    if request.param == "memory":
        from chalicelib.adapters.library_memory import MemoryLibraryStore
        return MemoryLibraryStore()
    from chalicelib.adapters.library_store import DynamoLibraryStore
    from chalicelib.adapters.models import bind, create_tables
    request.getfixturevalue("aws")
    models = bind()
    create_tables(models)
    return DynamoLibraryStore(models)


def created(repo, entry_id="L1", pid="P1", **changes):
    repo.create_entry(library.new_entry(property_id=pid, entry_id=entry_id, actor=DESK, params={**TEXT, **changes},
                                        now=T0))
    return repo.get_entry(pid, entry_id)


def approved(repo, entry_id="L1", pid="P1", at=T0, **changes):
    entry = created(repo, entry_id, pid, **changes)
    entry2 = library.submit(entry, DESK, at).entry
    repo.save_entry(library.EntryChange(entry2, None, "submitted"), expected_version=entry.version)
    entry2 = repo.get_entry(pid, entry_id)
    change = library.approve(entry2, MANAGER, at, versions=repo.versions(pid, entry_id))
    repo.save_entry(change, expected_version=entry2.version)
    return repo.get_entry(pid, entry_id)


def test_an_entry_is_created_once_with_its_first_version(repo):
    entry = created(repo)
    assert (entry.status, entry.current["title"], entry.version, entry.uses) == ("draft", "空调不制冷", 1, 0)
    with pytest.raises(Conflict) as info:
        created(repo, title="别的")
    assert info.value.code == "entry_exists"
    assert repo.get_entry("P1", "L1").current["title"] == "空调不制冷"
    assert [v.number for v in repo.versions("P1", "L1")] == [1]


def test_unknown_and_other_property_entries_are_not_found(repo):
    created(repo, pid="P2")
    with pytest.raises(NotFound) as info:
        repo.get_entry("P1", "L1")
    assert info.value.code == "unknown_entry"
    assert repo.entries_of("P1") == []


def test_edits_keep_every_version_and_a_lost_race_writes_nothing(repo):
    entry = created(repo)
    first = library.edit(entry, DESK, {"what_worked": "更换压缩机"}, T0 + timedelta(minutes=1))
    repo.save_entry(first, expected_version=entry.version)
    late = library.edit(entry, MANAGER, {"what_worked": "别的办法"}, T0 + timedelta(minutes=2))
    with pytest.raises(VersionConflict) as info:
        repo.save_entry(late, expected_version=entry.version)
    assert info.value.details["current_version"] == 2
    stored = repo.get_entry("P1", "L1")
    assert (stored.current["what_worked"], stored.current_version) == ("更换压缩机", 2)
    assert [(v.number, v.content["what_worked"]) for v in repo.versions("P1", "L1")] == [
        (1, "补充冷媒，清洗滤网"), (2, "更换压缩机")]


def test_approved_entries_of_a_category_come_from_the_index(repo):
    approved(repo, "L1")
    approved(repo, "L2", category="cleaning", title="大堂地面湿滑")
    created(repo, "L3")  # a draft: nobody sees it yet
    assert [e.entry_id for e in repo.approved_in("P1", "air_conditioning")] == ["L1"]
    assert [e.entry_id for e in repo.approved_in("P1", "cleaning")] == ["L2"]
    assert repo.approved_in("P2", "air_conditioning") == []
    entry = repo.get_entry("P1", "L1")
    repo.save_entry(library.retire(entry, MANAGER, T0), expected_version=entry.version)
    assert repo.approved_in("P1", "air_conditioning") == []  # retired: out of the index


def test_a_new_draft_of_an_approved_entry_stays_visible_as_approved(repo):
    entry = approved(repo)
    repo.save_entry(library.edit(entry, DESK, {"lessons": "夏季前巡检"}, T0), expected_version=entry.version)
    [shown] = repo.approved_in("P1", "air_conditioning")
    assert shown.status == "draft" and shown.approved["lessons"] == "先查滤网"


def test_uses_count_only_approved_entries_and_never_clash_with_an_edit(repo):
    entry = approved(repo)
    assert repo.count_use("P1", "L1") == 1
    assert repo.count_use("P1", "L1") == 2
    # an editor who read before the uses were counted still saves, and the count stays
    repo.save_entry(library.edit(entry, DESK, {"lessons": "夏季前巡检"}, T0), expected_version=entry.version)
    assert repo.get_entry("P1", "L1").uses == 2
    assert [e.uses for e in repo.entries_of("P1")] == [2]
    created(repo, "L2")
    with pytest.raises(Conflict) as info:
        repo.count_use("P1", "L2")
    assert info.value.code == "entry_not_approved"
    with pytest.raises(NotFound):
        repo.count_use("P1", "L404")
    assert repo.get_entry("P1", "L2").uses == 0

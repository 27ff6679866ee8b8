"""The logbook store's contract (ports.LogbookStore) on both implementations:
the in-memory twin and DynamoDB under moto. Conditional writes: a new logbook
or entry never overwrites one, a stale version writes nothing; Chinese intact."""
from __future__ import annotations

import pytest

from chalicelib.domain.errors import VersionConflict

END = "2026-11-23T10:00:00Z"
EARLIER = "2026-11-23T00:00:00Z"


@pytest.fixture(params=["memory", "dynamo"])
def books(request):
    if request.param == "memory":
        from chalicelib.adapters.logbook_memory import MemoryLogbookStore
        return MemoryLogbookStore()
    request.getfixturevalue("store")  # moto with the tables created
    from chalicelib.adapters.logbook_store import DynamoLogbookStore
    from chalicelib.adapters.models import bind
    return DynamoLogbookStore(bind())


def test_a_new_logbook_is_stored_once_with_version_one(books):
    assert books.logbook("P1", END) is None
    assert books.save_logbook("P1", END, {"state": "open", "note": "钥匙柜核对"}, expected_version=0) == 1
    assert books.logbook("P1", END) == {"state": "open", "note": "钥匙柜核对", "version": 1}
    with pytest.raises(VersionConflict) as err:
        books.save_logbook("P1", END, {"state": "accepted"}, expected_version=0)
    assert err.value.code == "logbook_version_conflict"
    assert books.logbook("P1", END)["state"] == "open"


def test_a_change_needs_the_version_it_read_and_a_stale_one_writes_nothing(books):
    books.save_logbook("P1", END, {"state": "open"}, expected_version=0)
    assert books.save_logbook("P1", END, {"state": "outgoing_signed", "version": 1}, expected_version=1) == 2
    with pytest.raises(VersionConflict) as err:
        books.save_logbook("P1", END, {"state": "refused"}, expected_version=1)
    assert err.value.details["version"] == 2
    assert books.logbook("P1", END) == {"state": "outgoing_signed", "version": 2}


def test_logbooks_are_read_together_and_per_property(books):
    books.save_logbook("P1", END, {"state": "open"}, expected_version=0)
    books.save_logbook("P1", EARLIER, {"state": "accepted"}, expected_version=0)
    books.save_logbook("P2", END, {"state": "refused"}, expected_version=0)
    found = books.logbooks("P1", [END, EARLIER, "2026-11-22T10:00:00Z"])
    assert {k: v["state"] for k, v in found.items()} == {END: "open", EARLIER: "accepted"}
    assert books.logbooks("P1", []) == {}


def test_a_shifts_diary_in_order_and_only_that_shift(books):
    for entry_id, at, end in (("b", "2026-11-23T03:00:00.000000Z", END), ("a", "2026-11-23T05:00:00.000000Z", END),
                              ("c", "2026-11-22T20:00:00.000000Z", EARLIER)):
        books.save_diary_entry("P1", end, {"entry_id": entry_id, "at": at, "text": f"記錄 {entry_id}"},
                               expected_version=0)
    assert [e["entry_id"] for e in books.diary("P1", END)] == ["b", "a"]
    assert [e["text"] for e in books.diary("P1", EARLIER)] == ["記錄 c"]
    assert books.diary("P2", END) == []


def test_an_entry_is_never_overwritten_and_a_correction_needs_its_version(books):
    entry = {"entry_id": "e1", "at": "2026-11-23T03:00:00.000000Z", "text": "3栋电梯困人"}
    books.save_diary_entry("P1", END, entry, expected_version=0)
    with pytest.raises(VersionConflict) as err:
        books.save_diary_entry("P1", END, {**entry, "text": "重复"}, expected_version=0)
    assert err.value.code == "diary_version_conflict"
    assert books.save_diary_entry("P1", END, {**entry, "text": "3栋2号电梯困人"}, expected_version=1) == 2
    with pytest.raises(VersionConflict):
        books.save_diary_entry("P1", END, {**entry, "text": "旧版本"}, expected_version=1)
    assert books.diary_entry("P1", END, "e1")["text"] == "3栋2号电梯困人"
    assert books.diary_entry("P1", END, "nope") is None

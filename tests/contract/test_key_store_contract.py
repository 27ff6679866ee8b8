"""The key register's storage contract (ports.KeyStore), on both stores: the
in-memory twin and DynamoDB under moto. Conditional creates, version checks
that write nothing on a lost race, the history written with every change, and
the keys out by due time from the index."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import deadlines, keys
from chalicelib.domain.cases import Actor
from chalicelib.domain.errors import Conflict, NotFound, VersionConflict
from tests.conftest import T0

LEAD = Actor("lead-1", "shift_lead", "领班小陈")
POLICY = deadlines.Policy.from_dict(None)
BORROWER = {"name": "工程部张师傅", "kind": "staff", "phone": "139 0000 0001"}


@pytest.fixture(params=["memory", "dynamo"])
def repo(request):
    if request.param == "memory":
        from chalicelib.adapters.key_memory import MemoryKeyStore
        return MemoryKeyStore()
    from chalicelib.adapters.key_store import DynamoKeyStore
    from chalicelib.adapters.models import bind, create_tables
    request.getfixturevalue("aws")
    models = bind()
    create_tables(models)
    return DynamoKeyStore(models)


def added(repo, key_id="K-1201", pid="P1", unit="3栋1201", slot="A-12"):
    change = keys.new_key(property_id=pid, key_id=key_id, actor=LEAD, params={"unit": unit, "slot": slot}, now=T0)
    repo.create_key(change)
    return repo.get_key(pid, key_id)


def lent(repo, key, hours=2, now=T0):
    change = keys.lend(key, LEAD, {"borrower": BORROWER, "purpose": "repair", "due": (now + timedelta(hours=hours))
                                   .isoformat()}, now, POLICY, loan_id=f"L-{key.key_id}-{key.version}")
    repo.save_key(change, expected_version=key.version)
    return repo.get_key(key.property_id, key.key_id)


def test_a_key_is_created_once_and_read_back_with_its_history(repo):
    key = added(repo)
    assert (key.key_id, key.unit, key.slot, key.copies, key.state, key.version) == ("K-1201", "3栋1201", "A-12", 1,
                                                                                    "in_cabinet", 1)
    with pytest.raises(Conflict) as info:
        repo.create_key(keys.new_key(property_id="P1", key_id="K-1201", actor=LEAD,
                                     params={"unit": "别的单元", "slot": "B-1"}, now=T0))
    assert info.value.code == "key_exists"
    assert repo.get_key("P1", "K-1201").unit == "3栋1201"  # the first one stands
    assert [e.action for e in repo.history("P1", "K-1201")] == ["added"]


def test_an_unknown_key_is_not_found(repo):
    with pytest.raises(NotFound) as info:
        repo.get_key("P1", "K-404")
    assert info.value.code == "unknown_key"
    added(repo, pid="P2")
    with pytest.raises(NotFound):
        repo.get_key("P1", "K-1201")  # another property's register


def test_a_lost_race_writes_nothing(repo):
    key = added(repo)
    first = lent(repo, key)
    assert first.state == "lent" and first.version == 2
    # a second lead lends the same key from the version they read: refused, nothing changes
    second = keys.lend(key, Actor("lead-2", "shift_lead"), {"borrower": {**BORROWER, "name": "保洁李阿姨"},
                                                             "purpose": "other", "due": (T0 + timedelta(hours=1))
                                                             .isoformat()}, T0, POLICY, loan_id="L-other")
    with pytest.raises(VersionConflict) as info:
        repo.save_key(second, expected_version=key.version)
    assert info.value.details["current_version"] == 2
    stored = repo.get_key("P1", "K-1201")
    assert stored.loan["borrower"]["name"] == "工程部张师傅"
    assert [e.action for e in repo.history("P1", "K-1201")] == ["added", "lent"]


def test_the_register_lists_one_property_by_key_id(repo):
    for key_id in ("K-3", "K-1", "K-2"):
        added(repo, key_id=key_id)
    added(repo, key_id="K-9", pid="P2")
    assert [k.key_id for k in repo.keys_of("P1")] == ["K-1", "K-2", "K-3"]


def test_keys_out_by_due_time_and_overdue_from_the_index(repo):
    a = lent(repo, added(repo, key_id="K-A"), hours=5)
    b = lent(repo, added(repo, key_id="K-B"), hours=1)
    added(repo, key_id="K-C")  # in the cabinet: not out
    lent(repo, added(repo, key_id="K-Z", pid="P2"), hours=1)
    assert [k.key_id for k in repo.keys_out("P1")] == ["K-B", "K-A"]
    assert [k.key_id for k in repo.keys_out("P1", due_before=T0 + timedelta(hours=2))] == ["K-B"]
    # returned: no longer out
    repo.save_key(keys.return_key(b, LEAD, {}, T0 + timedelta(minutes=30)), expected_version=b.version)
    assert [k.key_id for k in repo.keys_out("P1")] == ["K-A"]
    assert repo.get_key("P1", "K-B").state == "in_cabinet"
    assert [e.action for e in repo.history("P1", "K-B")] == ["added", "lent", "returned"]
    assert a.loan["borrower"]["name"] == "工程部张师傅"

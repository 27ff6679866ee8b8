"""The owner archive's storage contract (ports.ArchiveStore), run against the
in-memory store and the DynamoDB one under moto: versions, the phone index
moving with its resident, the access log's order and cursors."""
from __future__ import annotations

import pytest

from chalicelib.domain.errors import BadRequest, VersionConflict


@pytest.fixture(params=["memory", "dynamo"])
def repo(request):
    if request.param == "memory":
        from chalicelib.adapters.archive_memory import MemoryArchiveStore
        return MemoryArchiveStore()
    from chalicelib.adapters.archive_store import DynamoArchiveStore
    request.getfixturevalue("store")  # moto and the tables
    from chalicelib.adapters.models import bind
    return DynamoArchiveStore(bind())


def resident(rid="R1", unit="3-1201", phones=("13812345678",), **extra):
    return {"resident_id": rid, "unit_id": unit, "name": "李女士", "role": "owner", "phones": list(phones),
            "history": [], **extra}


def test_structure_is_versioned_and_a_stale_write_changes_nothing(repo):
    stored = repo.put_structure("P1", "building", {"building_id": "B3", "name": "3栋"}, expected_version=None)
    assert stored["version"] == 1
    assert repo.get_structure("P1", "building", "B3") == {"building_id": "B3", "name": "3栋", "version": 1}
    with pytest.raises(VersionConflict):
        repo.put_structure("P1", "building", {"building_id": "B3", "name": "三栋"}, expected_version=None)
    assert repo.put_structure("P1", "building", {"building_id": "B3", "name": "三栋"}, expected_version=1)["version"] == 2
    with pytest.raises(VersionConflict):
        repo.put_structure("P1", "building", {"building_id": "B3", "name": "3号楼"}, expected_version=1)
    assert repo.get_structure("P1", "building", "B3")["name"] == "三栋"
    assert repo.get_structure("P1", "building", "B9") is None
    assert repo.get_structure("P2", "building", "B3") is None  # one property's archive is its own


def test_listings_by_kind_and_a_buildings_units(repo):
    for bid in ("B1", "B3"):
        repo.put_structure("P1", "building", {"building_id": bid, "name": bid}, expected_version=None)
    for uid, bid in (("1-101", "B1"), ("3-1201", "B3"), ("3-1202", "B3")):
        repo.put_structure("P1", "unit", {"unit_id": uid, "building_id": bid, "label": uid, "rooms": []},
                           expected_version=None)
    repo.put_structure("P1", "area", {"area_id": "lobby", "name": "大堂"}, expected_version=None)
    assert [b["building_id"] for b in repo.structure("P1", "building")] == ["B1", "B3"]
    assert [u["unit_id"] for u in repo.structure("P1", "unit")] == ["1-101", "3-1201", "3-1202"]
    assert [a["area_id"] for a in repo.structure("P1", "area")] == ["lobby"]
    assert sorted(u["unit_id"] for u in repo.units_of_building("P1", "B3")) == ["3-1201", "3-1202"]


def test_a_resident_is_found_by_each_of_their_phones_and_by_their_unit(repo):
    repo.put_resident("P1", resident(phones=("13812345678", "02161234567")), expected_version=None)
    repo.put_resident("P1", resident("R2", phones=("13812345678",), name="李先生"), expected_version=None)
    assert sorted(r["resident_id"] for r in repo.residents_by_phone("P1", "13812345678")) == ["R1", "R2"]
    assert [r["resident_id"] for r in repo.residents_by_phone("P1", "02161234567")] == ["R1"]
    assert repo.residents_by_phone("P2", "13812345678") == []
    assert sorted(r["resident_id"] for r in repo.residents_of_unit("P1", "3-1201")) == ["R1", "R2"]
    assert repo.get_resident("P1", "R1")["version"] == 1


def test_a_changed_number_moves_the_index_with_the_record(repo):
    repo.put_resident("P1", resident(), expected_version=None)
    repo.put_resident("P1", resident(phones=("13900001111",)), expected_version=1, previous_phones=["13812345678"])
    assert repo.residents_by_phone("P1", "13812345678") == []
    assert [r["phones"] for r in repo.residents_by_phone("P1", "13900001111")] == [["13900001111"]]


def test_a_stale_resident_write_changes_neither_record_nor_index(repo):
    repo.put_resident("P1", resident(), expected_version=None)
    with pytest.raises(VersionConflict):
        repo.put_resident("P1", resident(phones=("13900001111",)), expected_version=7,
                          previous_phones=["13812345678"])
    assert repo.get_resident("P1", "R1")["phones"] == ["13812345678"]
    assert [r["resident_id"] for r in repo.residents_by_phone("P1", "13812345678")] == ["R1"]
    assert repo.residents_by_phone("P1", "13900001111") == []


def test_a_resident_who_moved_out_is_found_by_no_phone_but_kept(repo):
    repo.put_resident("P1", resident(), expected_version=None)
    repo.put_resident("P1", resident(moved_out="2026-11-20"), expected_version=1, previous_phones=["13812345678"])
    assert repo.residents_by_phone("P1", "13812345678") == []
    assert repo.get_resident("P1", "R1")["moved_out"] == "2026-11-20"
    assert [r["resident_id"] for r in repo.residents_of_unit("P1", "3-1201")] == ["R1"]


def test_the_access_log_is_newest_first_paged_with_its_own_cursors(repo):
    for n in range(5):
        repo.append_access("P1", {"at": f"2026-11-23T02:0{n}:00.000000Z", "by": {"id": "manager-1"},
                                  "record": {"resident_id": "R1"}, "route": "GET x"})
    repo.append_access("P2", {"at": "2026-11-23T02:09:00.000000Z", "by": {"id": "manager-9"}, "record": {},
                              "route": "GET x"})
    first, cursor = repo.access_log("P1", limit=3)
    assert [e["at"][14:16] for e in first] == ["04", "03", "02"] and cursor
    rest, end = repo.access_log("P1", limit=3, cursor=cursor)
    assert [e["at"][14:16] for e in rest] == ["01", "00"] and end is None
    assert first[0] == {"at": "2026-11-23T02:04:00.000000Z", "by": {"id": "manager-1"},
                        "record": {"resident_id": "R1"}, "route": "GET x"}
    with pytest.raises(BadRequest):
        repo.access_log("P1", limit=3, cursor="bm90LWEtY3Vyc29y")


def test_chinese_text_round_trips(repo):
    repo.put_resident("P1", resident(name="陳大文", contacts=[{"name": "陳小明", "relation": "兒子"}]),
                      expected_version=None)
    found = repo.get_resident("P1", "R1")
    assert found["name"] == "陳大文" and found["contacts"][0]["relation"] == "兒子"


def test_a_tenants_own_residents_follow_the_link_and_moving_out(repo):
    """GET /v1/me/places reads a tenant's units through this index: linked, relinked, moved out."""
    repo.put_resident("P1", resident(tenant_id="tenant-1"), expected_version=None)
    repo.put_resident("P1", resident("R2", unit="L2-15", role="shop_tenant", tenant_id="tenant-1"),
                      expected_version=None)
    repo.put_resident("P1", resident("R3", unit="3-1202", tenant_id="tenant-9"), expected_version=None)
    repo.put_resident("P1", resident("R4", unit="3-1203"), expected_version=None)  # no app account
    mine = sorted(repo.residents_of_tenant("P1", "tenant-1"), key=lambda r: r["resident_id"])
    assert mine == [{"resident_id": "R1", "unit_id": "3-1201", "role": "owner", "tenant_id": "tenant-1"},
                    {"resident_id": "R2", "unit_id": "L2-15", "role": "shop_tenant", "tenant_id": "tenant-1"}]
    assert repo.residents_of_tenant("P2", "tenant-1") == []
    # relinked to another account, and moved out: no longer the tenant's
    repo.put_resident("P1", resident(tenant_id="tenant-9"), expected_version=1, previous_phones=["13812345678"])
    repo.put_resident("P1", resident("R2", unit="L2-15", role="shop_tenant", tenant_id="tenant-1",
                                     moved_out="2026-11-20"), expected_version=1, previous_phones=["13812345678"])
    assert repo.residents_of_tenant("P1", "tenant-1") == []
    assert sorted(r["resident_id"] for r in repo.residents_of_tenant("P1", "tenant-9")) == ["R1", "R3"]


def test_units_are_read_by_id_in_one_batch(repo):
    for uid in ("3-1201", "3-1202"):
        repo.put_structure("P1", "unit", {"unit_id": uid, "building_id": "B3", "label": f"3栋 {uid}", "rooms": []},
                           expected_version=None)
    found = repo.get_units("P1", ["3-1201", "3-9999", "3-1201"])
    assert list(found) == ["3-1201"] and found["3-1201"]["label"] == "3栋 3-1201"
    assert repo.get_units("P1", []) == {}

"""The local stack's demo data, seeded into in-process moto: realistic, and safe to run twice."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from chalicelib.domain.cases import STATUSES
from devstack.seed import CASES, PEOPLE, seed
from tests.conftest import T0


def _all_cases(store):
    found = []
    for property_id in ("P1", "P2"):
        items = store.m.Case.query(property_id)
        found += [store.get_case(property_id, item.case_id) for item in items]
    return found


def test_seed_covers_every_status_with_real_audit_trails(store):
    statuses = seed(store, T0)
    assert set(statuses) == set(STATUSES)
    cases = _all_cases(store)
    # and one lock-change case of the key lost from P1's register
    assert len(cases) == len(CASES) + 1 == sum(statuses.values())
    for case in cases:
        events = store.events(case)
        assert events[0].action == "submitted"
        assert [e.seq for e in events] == list(range(1, case.version + 1))
        assert all(e.at <= T0 for e in events)
    assert {c.lang for c in cases} == {"zh-Hans", "zh-Hant", "en"}
    assert {c.channel for c in cases} >= {"app", "web", "phone", "walk_in", "letter"}
    assert any(c.severity == "major" and c.tier == "manager" for c in cases)
    assert any(c.status == "closed" and c.kind == "consultation" for c in cases)
    assert any(c.is_open and c.next_due() and c.next_due() < T0 for c in cases)


def test_seed_categories_follow_the_operators_survey():
    counts = Counter(c.body["category"] for c in CASES)
    survey = {"air_conditioning": 0.286, "security": 0.223, "cleaning": 0.189}
    for category, share in survey.items():
        assert abs(counts[category] - share * len(CASES)) < 1, category
    rest = len(CASES) - sum(counts[c] for c in survey)
    assert abs(rest - (1 - sum(survey.values())) * len(CASES)) < 1


def test_seeding_twice_changes_nothing(store):
    seed(store, T0)
    before = [(c.key, c.version) for c in _all_cases(store)]
    assert seed(store, T0) is None
    assert [(c.key, c.version) for c in _all_cases(store)] == before


def test_printed_people_own_seeded_cases(store):
    seed(store, T0)
    owners = {c.tenant_id for c in _all_cases(store)}
    assert {PEOPLE["TENANT"].subject, PEOPLE["TENANT2"].subject} <= owners


def test_seed_writes_a_lived_in_logbook(store):
    from chalicelib.adapters.logbook_store import DynamoLogbookStore
    from chalicelib.domain import handover
    from chalicelib.services.case_service import CaseService
    seed(store, T0)
    books = DynamoLogbookStore(store.m)
    service = CaseService(store, lambda: T0)
    p1, p2 = service.property("P1").policy, service.property("P2").policy
    assert [t.strftime("%H:%M") for t in p2.handover_times] == ["10:00", "22:00"]  # the mall's own times
    current = handover.key_of(handover.next_handover(T0, p1))
    assert [e["urgent"] for e in books.diary("P1", current)] == [False, True]
    assert "冷氣" in books.diary("P2", handover.key_of(handover.next_handover(T0, p2)))[0]["text"]
    last = handover.shift_window(T0, p1)[1]
    ends = [handover.key_of(i) for i in handover.handovers_between(last - timedelta(days=3), last, p1) if i < last][-2:]
    done, refused = (books.logbook("P1", end) for end in ends)
    assert done["state"] == "accepted" and done["review"]["by"]["id"] == PEOPLE["LEAD"].subject
    assert refused["state"] == "refused" and "钥匙" in refused["refusals"][0]["reason"]


def test_seed_fills_both_key_registers(store):
    from chalicelib.adapters.key_store import DynamoKeyStore
    seed(store, T0)
    keys = DynamoKeyStore(store.m)
    p1 = {k.key_id: k for k in keys.keys_of("P1")}
    assert {k.state for k in p1.values()} == {"in_cabinet", "lent", "damaged", "lost"}
    out = keys.keys_out("P1")
    assert [k.key_id for k in out] == ["K003", "K002"] and out[0].overdue(T0) and not out[1].overdue(T0)
    lock = store.get_case("P1", p1["K005"].lock_change_case)
    assert lock.kind == "request" and lock.department == "engineering" and "K005" in lock.content
    assert [k.unit for k in keys.keys_of("P2")] == ["L2-15 商鋪", "天台機房", "L1 貨物升降機房"]


def test_seed_writes_an_owner_archive_for_both_properties_and_locates_cases(store):
    from chalicelib.adapters.archive_store import DynamoArchiveStore
    seed(store, T0)
    archive = DynamoArchiveStore(store.m)
    assert [b["name"] for b in archive.structure("P1", "building")] == ["1栋", "2栋", "3栋"]
    li = archive.residents_by_phone("P1", "13800138000")
    assert [(r["name"], r["tenant_id"], r["unit_id"]) for r in li] == [("李女士", "tenant-1", "3-1201")]
    assert li[0]["renovations"][0]["permit_no"] == "滨江装许字2025-031" and li[0]["contacts"]
    assert archive.residents_by_phone("P1", "13600003333") == []  # the former owner moved out
    assert archive.get_resident("P1", "R3-1202-A")["moved_out"] == "2025-08-31"
    shop = archive.residents_by_phone("P2", "91234567")
    assert [(r["name"], r["role"], r["lang"]) for r in shop] == [("陳先生", "shop_tenant", "zh-Hant")]
    assert {a["name"] for a in archive.structure("P2", "area")} == {"中庭", "停車場", "正門大堂"}
    located = [c.location["label"] for c in _all_cases(store) if c.location]
    assert sorted(located) == ["2栋地下车库入口", "2栋地下车库入口", "3栋 1201 客厅", "港灣廣場 L3-18 陳記時裝"]


def test_seed_has_approved_library_entries_in_three_languages(store):
    from chalicelib.adapters.library_store import DynamoLibraryStore
    seed(store, T0)
    entries = DynamoLibraryStore(store.m).entries_of("P1")
    assert {e.current["lang"] for e in entries} == {"zh-Hans", "zh-Hant", "en"}
    assert all(e.visible and e.approved_by["name"] == "王经理" and e.created_by["name"] == "前台小王" for e in entries)
    assert all(e.approved_at <= T0 for e in entries)


def test_the_demo_shows_a_possible_duplicate(store):
    """A new user meets the duplicate finder on the demo data: the second report of the
    car-park corridor's leaking air conditioner suggests the desk's case."""
    seed(store, T0)
    by_title = {c.title: c for c in _all_cases(store)}
    again, first = by_title["车库旁走廊空调漏水"], by_title["公共走廊空调滴水"]
    assert [s["case_id"] for s in again.possible_duplicates] == [first.case_id]
    assert again.possible_duplicates[0]["kind"] == "duplicate" and not again.possible_duplicates[0]["same_reporter"]

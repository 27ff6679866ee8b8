"""The logbook service on the in-memory stores: the diary of the current shift,
the checklist, signing in order, a refusal mailed to the manager, urgent items
mailed to both departments' managers, the lead's review, and the logbook joined
to the generated summary."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.adapters.logbook_memory import MemoryLogbookStore
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.services.logbook_service import LogbookService
from chalicelib.services.report_service import ReportService

DESK = Principal("desk-1", "front_desk", frozenset({"P1", "P2"}), name="前台小王")
DESK2 = Principal("desk-2", "front_desk", frozenset({"P1"}), name="前台小李")
GUARD = Principal("sec-1", "security", frozenset({"P1"}), name="监控室老陈")
LEAD = Principal("lead-1", "shift_lead", frozenset({"P1"}), name="领班刘姐")
STAFF = Principal("eng-1", "dept_staff", frozenset({"P1"}), name="工程部张师傅", department="engineering")
MON_17 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)  # Monday 17:00 in Shanghai
END = "2026-11-23T10:00:00Z"  # Monday 18:00 in Shanghai


class Mailer:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


@pytest.fixture
def mailer():
    return Mailer()


@pytest.fixture
def books(svc, store, clock, mailer):
    clock.now = MON_17
    return LogbookService(ReportService(svc, store), MemoryLogbookStore(), mailer=lambda: mailer)


def ok_all(books, who=DESK, end=END):
    items = [{"id": i, "mark": "ok"} for i in ("desk", "equipment", "key_cabinet", "diary_read")]
    return books.mark_checklist(who, "P1", end, items)


def at_handover(books, clock):
    clock.now = datetime(2026, 11, 23, 10, 5, tzinfo=timezone.utc)
    return books.request_handover(DESK, "P1")[0]


def test_the_diary_is_the_current_shifts_and_entries_come_back_in_order(books, clock):
    entry, created = books.add_entry(DESK, "P1", {"text": "5栋电梯困人，已通知工程部", "urgent": True})
    assert created and entry["shift_end"] == END and entry["author"]["name"] == "前台小王"
    clock.advance(minutes=10)
    books.add_entry(GUARD, "P1", {"text": "巡逻正常"})
    shift = books.current_shift(DESK, "P1")
    assert shift["shift_end"] == END and shift["outgoing"] == "customer_service"
    assert [e["text"] for e in shift["diary"]] == ["5栋电梯困人，已通知工程部", "巡逻正常"]
    assert [i["text"] for i in shift["checklist"]] == ["工作台整洁", "设备运行正常", "钥匙柜核对", "交接本已阅"]


def test_a_retried_entry_is_stored_once(books):
    first, created = books.add_entry(DESK, "P1", {"text": "快递已转交", "entry_id": "k-1"})
    again, created_again = books.add_entry(DESK, "P1", {"text": "快递已转交", "entry_id": "k-1"})
    assert created and not created_again and again["entry_id"] == first["entry_id"]
    assert len(books.current_shift(DESK, "P1")["diary"]) == 1
    with pytest.raises(Conflict) as err:
        books.add_entry(DESK2, "P1", {"text": "别人的", "entry_id": "k-1"})
    assert err.value.code == "entry_id_taken"


def test_an_entry_links_only_a_case_of_the_property(books, svc):
    with pytest.raises(ValidationFailed) as err:
        books.add_entry(DESK, "P1", {"text": "跟进", "case_id": "TD-20261123-9999"})
    assert err.value.code == "unknown_case"


def test_only_the_author_corrects_within_the_shift_and_the_old_text_stays(books, clock):
    entry, _ = books.add_entry(DESK, "P1", {"text": "3栋漏水"})
    with pytest.raises(Forbidden):
        books.correct_entry(DESK2, "P1", entry["entry_id"], {"text": "改"})
    fixed = books.correct_entry(DESK, "P1", entry["entry_id"], {"text": "3栋1201漏水，已关阀"})
    assert fixed["text"] == "3栋1201漏水，已关阀" and fixed["corrections"][0]["text"] == "3栋漏水"
    assert fixed["corrections"][0]["by"]["id"] == "desk-1"
    clock.now = datetime(2026, 11, 23, 10, 1, tzinfo=timezone.utc)
    with pytest.raises(Conflict) as err:
        books.correct_entry(DESK, "P1", entry["entry_id"], {"text": "下班后再改"})
    assert err.value.code == "shift_over"
    with pytest.raises(NotFound):
        books.correct_entry(DESK, "P1", "nope", {"text": "x"})


def test_sign_refuse_answer_sign_accept_review(books, clock, mailer):
    ok_all(books)
    at_handover(books, clock)
    with pytest.raises(Conflict) as err:
        books.sign(GUARD, "P1", END, "control_room")
    assert err.value.code == "outgoing_signs_first"
    doc = books.sign(DESK, "P1", END, "customer_service", "已交接")
    assert doc["state"] == "outgoing_signed" and doc["signatures"]["customer_service"]["by"]["id"] == "desk-1"
    doc = books.refuse(GUARD, "P1", END, "钥匙柜少了一把")
    assert doc["state"] == "refused" and doc["needs_attention"]
    assert [m.to for m in mailer.sent] == ["manager@riverside.example"]
    assert "钥匙柜少了一把" in mailer.sent[0].text
    assert doc["history"][-1] == {**doc["history"][-1], "action": "refusal_reported",
                                  "to": ["manager@riverside.example"]}
    doc = books.answer(DESK2, "P1", END, "钥匙借给工程部了，已登记")
    assert doc["state"] == "answered"
    books.sign(DESK2, "P1", END, "customer_service", "再次交班")
    doc = books.sign(GUARD, "P1", END, "control_room", "接班")
    assert doc["state"] == "accepted" and doc["signed"] and [s["role"] for s in doc["signing"]] == [
        "outgoing", "outgoing", "incoming"]
    assert books.list_handovers(LEAD, "P1", unreviewed=True)[0][0]["shift_end"] == END
    doc = books.review(LEAD, "P1", END, "已审阅")
    assert doc["reviewed"] and not doc["needs_attention"]
    assert books.list_handovers(LEAD, "P1", unreviewed=True)[0] == []
    assert books.list_handovers(LEAD, "P1")[0][0]["day"] == "2026-11-23"


def test_urgent_items_go_to_both_managers_when_the_outgoing_side_signs_once(books, clock, mailer):
    books.add_entry(DESK, "P1", {"text": "B2车库水管爆裂", "urgent": True})
    books.mark_checklist(DESK, "P1", END, [{"id": i, "mark": "ok"} for i in ("desk", "key_cabinet", "diary_read")]
                         + [{"id": "equipment", "mark": "not_ok", "note": "监控屏黑屏"}])
    at_handover(books, clock)
    doc = books.sign(DESK, "P1", END, "customer_service")
    assert sorted(m.to for m in mailer.sent) == ["control-room@riverside.example", "manager@riverside.example"]
    assert "B2车库水管爆裂" in mailer.sent[0].text and "监控屏黑屏" in mailer.sent[0].text
    assert doc["history"][-1]["action"] == "urgent_reported"
    books.refuse(GUARD, "P1", END, "先修监控")
    books.answer(DESK, "P1", END, "已报修")
    mailer.sent.clear()
    books.sign(DESK2, "P1", END, "customer_service")
    assert mailer.sent == []  # reported once, not again at the second signature


def test_the_checklist_is_marked_by_the_outgoing_side_only(books):
    with pytest.raises(Conflict) as err:
        ok_all(books, GUARD)
    assert err.value.code == "not_outgoing_side"
    morning = "2026-11-24T00:00:00Z"  # Tuesday 08:00: the control room hands the night over
    assert ok_all(books, GUARD, morning)["outgoing"] == "control_room"
    with pytest.raises(Conflict):
        ok_all(books, DESK, morning)
    with pytest.raises(NotFound):
        ok_all(books, DESK, "2026-11-23T11:00:00Z")  # not a handover time


def test_customer_service_never_signs_the_control_rooms_side_and_others_cannot_act(books, clock):
    ok_all(books)
    at_handover(books, clock)
    books.sign(DESK, "P1", END, "customer_service")
    with pytest.raises(Forbidden):
        books.sign(DESK2, "P1", END, "control_room")
    with pytest.raises(Conflict) as err:
        books.refuse(DESK2, "P1", END, "我替监控室拒绝")
    assert err.value.code == "not_incoming_side"
    with pytest.raises(Forbidden):
        books.review(DESK, "P1", END)
    with pytest.raises(Forbidden):
        books.add_entry(STAFF, "P1", {"text": "工程部不写交接本"})
    with pytest.raises(NotFound):
        books.get_handover(GUARD, "P2", END)


def test_a_checklist_from_the_property_settings_in_traditional_chinese(books, svc, clock):
    admin = Principal("admin-0", "admin", frozenset({"P2"}))
    settings = svc.property("P2").to_dict()
    settings.update({"policy": {"timezone": "Asia/Hong_Kong", "handover_times": ["10:00", "22:00"]},
                     "handover_checklist": [{"id": "desk", "text": "工作臺整潔"}, {"id": "radio", "text": "對講機已充電"}]})
    svc.put_property(admin, "P2", settings)
    clock.now = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)  # 20:00 Hong Kong
    shift = books.current_shift(DESK, "P2")
    assert shift["shift_end_local"].startswith("2026-11-23T22:00") and shift["outgoing"] == "customer_service"
    assert [i["text"] for i in shift["checklist"]] == ["工作臺整潔", "對講機已充電"]
    clock.now += timedelta(hours=3)  # 23:00: the night shift, the control room hands over at 10:00
    assert books.current_shift(DESK, "P2")["outgoing"] == "control_room"


def test_a_signed_logbook_forbids_recomputing_its_summary(books, svc, clock):
    ok_all(books)
    first = at_handover(books, clock)
    reports = books.reports
    late = svc.submit(Principal("tenant-1", "tenant", frozenset({"P1"})), "P1",
                      {"channel": "app", "unit": "3栋1201", "content": "门禁卡坏了"}, None)[0]
    fresh, created = reports.produce_handover("P1", clock.now, refresh=True)  # nobody has signed: recomputed
    assert created and fresh["counts"]["opened"] == first["counts"]["opened"]
    assert late.case_id in [i["case_id"] for i in fresh["open_now"]["items"]]
    books.sign(DESK, "P1", END, "customer_service", "已交接")
    with pytest.raises(Conflict) as err:
        reports.produce_handover("P1", clock.now, refresh=True)
    assert err.value.code == "already_signed"
    assert books.get_handover(DESK, "P1", END)["produced_at"] == fresh["produced_at"]  # the signed one stays
    assert not books.is_signed("P1", "2026-11-24T00:00:00Z")


def test_the_refusal_and_urgent_notices_follow_the_propertys_language(books, clock, mailer):
    """P2 stands in Hong Kong: its managers read Traditional; an English property reads English."""
    guard_p2 = Principal("sec-2", "security", frozenset({"P2"}), name="監控室老陳")
    books.add_entry(DESK, "P2", {"text": "B2車庫水管爆裂", "urgent": True})
    ok_all_p2 = [{"id": i, "mark": "ok"} for i in ("desk", "equipment", "key_cabinet", "diary_read")]
    books.mark_checklist(DESK, "P2", END, ok_all_p2)
    clock.now = datetime(2026, 11, 23, 10, 5, tzinfo=timezone.utc)
    books.request_handover(DESK, "P2")
    books.sign(DESK, "P2", END, "customer_service")
    urgent = mailer.sent[0]
    assert urgent.subject == "[港灣廣場 Harbour Plaza] 交接班緊急事項 2026-11-23 18:00"
    assert "請立即處理" in urgent.text and "- B2車庫水管爆裂" in urgent.text
    mailer.sent.clear()
    books.refuse(guard_p2, "P2", END, "鑰匙櫃少了一把")
    assert [(m.to, m.subject) for m in mailer.sent] == [
        ("manager@harbour.example", "[港灣廣場 Harbour Plaza] 交接班被拒絕 2026-11-23 18:00")]
    assert "監控室老陳：鑰匙櫃少了一把" in mailer.sent[0].text and "拒絕" in mailer.sent[0].text


def test_an_english_property_gets_english_notices(books, svc, clock, mailer):
    admin = Principal("admin-0", "admin", frozenset({"P1"}))
    svc.put_property(admin, "P1", {**svc.property("P1").to_dict(), "lang": "en"})
    ok_all(books)
    at_handover(books, clock)
    books.sign(DESK, "P1", END, "customer_service")
    books.refuse(GUARD, "P1", END, "the key cabinet is short of one key")
    assert [m.subject for m in mailer.sent] == ["[滨江花园 Riverside Garden] Handover refused 2026-11-23 18:00"]
    assert mailer.sent[0].text.startswith("The incoming side refused the handover of 2026-11-23 18:00")

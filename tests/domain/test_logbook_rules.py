"""The shift-handover logbook's rules (seed 000 篇3): who hands over to whom,
the signing order, refusals and answers, the checklist, the diary, the review,
and who hears of urgent items. Pure: no AWS, time passed in."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import deadlines, logbook
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed

SHANGHAI = deadlines.Policy.from_dict({"timezone": "Asia/Shanghai"})
MALL = deadlines.Policy.from_dict({"timezone": "Asia/Hong_Kong", "handover_times": ["10:00", "22:00"]})
EVENING = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # Monday 18:00 in Shanghai
AFTER = EVENING + timedelta(minutes=5)
DESK = {"id": "desk-1", "role": "front_desk", "name": "前台小王"}
DESK2 = {"id": "desk-2", "role": "front_desk", "name": "前台小李"}
GUARD = {"id": "security-1", "role": "security", "name": "监控室老陈"}
LEAD = {"id": "lead-1", "role": "shift_lead", "name": "领班刘姐"}


def book(end=EVENING, policy=SHANGHAI):
    return logbook.Logbook.new("P1", end, policy, logbook.default_checklist("zh-Hans"))


def marked(end=EVENING):
    b = book(end)
    b.mark([{"id": i["id"], "mark": "ok"} for i in b.checklist], DESK, end - timedelta(minutes=10))
    return b


def test_morning_the_control_room_hands_the_night_to_customer_service_evening_the_reverse():
    morning = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)  # 08:00 Shanghai
    assert logbook.sides_at(morning, SHANGHAI) == ("control_room", "customer_service")
    assert logbook.sides_at(EVENING, SHANGHAI) == ("customer_service", "control_room")


def test_a_mall_alternates_at_its_own_times():
    opening = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 10:00 Hong Kong
    closing = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)  # 22:00 Hong Kong
    assert logbook.sides_at(opening, MALL) == ("control_room", "customer_service")
    assert logbook.sides_at(closing, MALL) == ("customer_service", "control_room")


def test_a_new_logbook_is_open_with_the_outgoing_and_incoming_sides():
    b = book()
    assert (b.state, b.outgoing, b.incoming, b.shift_end) == ("open", "customer_service", "control_room",
                                                              "2026-11-23T10:00:00Z")
    assert [i["text"] for i in b.checklist] == ["工作台整洁", "设备运行正常", "钥匙柜核对", "交接本已阅"]
    assert logbook.default_checklist("zh-Hant")[2]["text"] == "鑰匙櫃核對"


def test_the_outgoing_side_signs_first_then_the_incoming_accepts():
    b = marked()
    with pytest.raises(Conflict) as err:
        b.sign("incoming", GUARD, AFTER)
    assert err.value.code == "outgoing_signs_first" and b.state == "open"
    b.sign("outgoing", DESK, AFTER, "已交接")
    assert b.state == "outgoing_signed"
    b.sign("incoming", GUARD, AFTER + timedelta(minutes=1), "收到")
    assert b.state == "accepted"
    assert [(s["role"], s["side"], s["by"]["id"]) for s in b.signatures] == [
        ("outgoing", "customer_service", "desk-1"), ("incoming", "control_room", "security-1")]
    assert b.latest_by_side()["control_room"]["comment"] == "收到"


def test_signing_twice_or_by_the_same_person_is_409_and_changes_nothing():
    b = marked()
    b.sign("outgoing", DESK, AFTER)
    before = b.to_dict()
    for role, who, code in (("outgoing", DESK2, "already_signed"), ("incoming", DESK, "same_signer")):
        with pytest.raises(Conflict) as err:
            b.sign(role, who, AFTER)
        assert err.value.code == code
    assert b.to_dict() == before
    b.sign("incoming", GUARD, AFTER)
    with pytest.raises(Conflict) as err:
        b.sign("incoming", GUARD, AFTER)
    assert err.value.code == "already_signed"


def test_the_outgoing_side_signs_only_a_complete_checklist_after_the_shift():
    b = book()
    b.mark([{"id": "desk", "mark": "ok"}], DESK, AFTER)
    with pytest.raises(Conflict) as err:
        b.sign("outgoing", DESK, AFTER)
    assert err.value.code == "checklist_incomplete"
    assert err.value.details["missing"] == ["equipment", "key_cabinet", "diary_read"]
    b = marked()
    with pytest.raises(Conflict) as err:
        b.sign("outgoing", DESK, EVENING - timedelta(minutes=1))
    assert err.value.code == "shift_not_over" and b.state == "open"


def test_a_cross_needs_a_note_and_unknown_items_are_refused():
    b = book()
    with pytest.raises(ValidationFailed) as err:
        b.mark([{"id": "equipment", "mark": "not_ok"}], DESK, AFTER)
    assert err.value.code == "note_required" and err.value.details["field"] == "items.0.note"
    with pytest.raises(ValidationFailed) as err:
        b.mark([{"id": "desk", "mark": "ok"}, {"id": "coffee", "mark": "ok"}], DESK, AFTER)
    assert err.value.code == "unknown_checklist_item"
    assert b.marks == {}  # a bad item changes none of the others
    b.mark([{"id": "equipment", "mark": "not_ok", "note": "3号对讲机没电"}], DESK, AFTER)
    assert b.marks["equipment"]["note"] == "3号对讲机没电" and b.history[-1]["action"] == "checklist"


def test_refuse_then_answer_then_sign_again_then_accept():
    b = marked()
    b.sign("outgoing", DESK, AFTER)
    with pytest.raises(ValidationFailed) as err:
        b.refuse(GUARD, AFTER, "  ")
    assert err.value.code == "reason_required" and b.state == "outgoing_signed"
    b.refuse(GUARD, AFTER, "钥匙柜少了一把3栋的钥匙")
    assert b.state == "refused"
    for action in (lambda: b.sign("incoming", GUARD, AFTER), lambda: b.sign("outgoing", DESK, AFTER)):
        with pytest.raises(Conflict) as err:
            action()
        assert err.value.code == "refusal_unanswered"
    with pytest.raises(Conflict) as err:
        b.answer(GUARD, AFTER, "我自己回答")
    assert err.value.code == "same_signer"
    b.answer(DESK, AFTER, "钥匙在工程部，已取回")
    assert b.state == "answered" and b.refusals[-1]["answer"]["note"] == "钥匙在工程部，已取回"
    with pytest.raises(Conflict) as err:
        b.sign("incoming", GUARD, AFTER)
    assert err.value.code == "outgoing_signs_first"
    b.sign("outgoing", DESK, AFTER)
    b.sign("incoming", GUARD, AFTER)
    assert b.state == "accepted" and [h["action"] for h in b.history][-5:] == [
        "sign", "refuse", "answer", "sign", "sign"]


def test_refusing_out_of_order_and_answering_nothing_are_409():
    b = marked()
    with pytest.raises(Conflict) as err:
        b.refuse(GUARD, AFTER, "没签字")
    assert err.value.code == "outgoing_signs_first"
    with pytest.raises(Conflict) as err:
        b.answer(DESK, AFTER, "?")
    assert err.value.code == "not_refused"


def test_the_lead_reviews_an_accepted_handover_once():
    b = marked()
    b.sign("outgoing", DESK, AFTER)
    with pytest.raises(Conflict) as err:
        b.do_review(LEAD, AFTER, "")
    assert err.value.code == "not_accepted"
    assert b.needs_attention
    b.sign("incoming", GUARD, AFTER)
    assert b.needs_attention  # accepted, not yet reviewed
    b.do_review(LEAD, AFTER, "已审阅")
    assert not b.needs_attention and b.review["by"]["name"] == "领班刘姐"
    with pytest.raises(Conflict) as err:
        b.do_review(LEAD, AFTER)
    assert err.value.code == "already_reviewed"


def test_the_checklist_closes_once_the_outgoing_side_signed():
    b = marked()
    b.sign("outgoing", DESK, AFTER)
    with pytest.raises(Conflict) as err:
        b.mark([{"id": "desk", "mark": "ok"}], DESK, AFTER)
    assert err.value.code == "logbook_signed"


def test_urgent_items_are_urgent_entries_and_crosses():
    b = book()
    b.mark([{"id": "equipment", "mark": "not_ok", "note": "监控屏黑屏"}], DESK, AFTER)
    diary = [{"entry_id": "e1", "text": "B2车库水管爆裂", "urgent": True, "case_id": "TD-1"},
             {"entry_id": "e2", "text": "快递已转交", "urgent": False}]
    assert [i["item"] for i in b.urgent_items(diary)] == ["entry:e1", "check:equipment"]


def test_urgent_items_go_to_both_departments_managers_and_a_refusal_to_the_manager():
    contacts = {"manager": "manager@riverside.example", "on_duty": "control-room@riverside.example"}
    assert logbook.urgent_recipients(contacts, {}) == ["manager@riverside.example", "control-room@riverside.example"]
    security = {"security": {"manager": "security-mgr@riverside.example"}}
    assert logbook.urgent_recipients(contacts, security) == ["manager@riverside.example",
                                                              "security-mgr@riverside.example"]
    assert logbook.refusal_recipients(contacts) == ["manager@riverside.example"]


def test_a_diary_entry_is_corrected_only_by_its_author_within_the_shift():
    start = EVENING - timedelta(hours=3)
    entry = logbook.new_entry(entry_id="e1", text="3栋电梯困人，已通知工程部", case_id=None, urgent=False,
                              author=DESK, at=start, shift_end=EVENING)
    with pytest.raises(Forbidden) as err:
        logbook.correct_entry(entry, text="改", urgent=None, by=DESK2, at=start, shift_end=EVENING)
    assert err.value.code == "not_author"
    fixed = logbook.correct_entry(entry, text="3栋2号电梯困人，已救出", urgent=True, by=DESK, at=start,
                                  shift_end=EVENING)
    assert fixed["text"] == "3栋2号电梯困人，已救出" and fixed["urgent"] is True
    assert fixed["corrections"][0]["text"] == "3栋电梯困人，已通知工程部"
    with pytest.raises(Conflict) as err:
        logbook.correct_entry(fixed, text="再改", urgent=None, by=DESK, at=EVENING, shift_end=EVENING)
    assert err.value.code == "shift_over"
    with pytest.raises(Conflict) as err:
        logbook.new_entry(entry_id="e2", text="迟到的记录", case_id=None, urgent=False, author=DESK, at=AFTER,
                          shift_end=EVENING)
    assert err.value.code == "shift_over"
    with pytest.raises(ValidationFailed) as err:
        logbook.new_entry(entry_id="e3", text=" ", case_id=None, urgent=False, author=DESK, at=start,
                          shift_end=EVENING)
    assert err.value.code == "text_required"


@pytest.mark.parametrize("value,field", [
    ([], "handover_checklist"), ("x", "handover_checklist"), ([{"id": "A B", "text": "x"}], "handover_checklist.0.id"),
    ([{"id": "a", "text": "x"}, {"id": "a", "text": "y"}], "handover_checklist.1.id"),
    ([{"id": "a", "text": ""}], "handover_checklist.0.text"), ([{"id": "a", "text": "x", "more": 1}],
                                                               "handover_checklist.0"),
])
def test_a_bad_checklist_setting_is_422_with_the_field(value, field):
    with pytest.raises(ValidationFailed) as err:
        logbook.checklist_from_settings(value)
    assert err.value.code == "invalid_checklist" and err.value.details["field"] == field


def test_a_checklist_setting_in_traditional_chinese_round_trips():
    items = [{"id": "desk", "text": "工作臺整潔"}, {"id": "radio", "text": "對講機已充電"}]
    assert logbook.checklist_from_settings(items) == items
    assert logbook.checklist_from_settings(None) is None


def test_a_logbook_round_trips_through_its_dict():
    b = marked()
    b.sign("outgoing", DESK, AFTER, "交班")
    again = logbook.Logbook.from_dict({**b.to_dict(), "version": 3})
    assert again.to_dict() == b.to_dict() and again.version == 3

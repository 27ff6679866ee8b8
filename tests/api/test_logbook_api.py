"""The shift-handover logbook over HTTP (chalice.test.Client, moto): the diary of
the current shift, the checklist, signing in order, refusal mailed to the manager,
answer, accept, the shift lead's review, and every refusal a user can cause."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.api.helpers import call
from tests.conftest import make_token

BASE = "/v1/properties/P1"
MON_17 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)  # Monday 17:00 in Shanghai
MON_18_05 = datetime(2026, 11, 23, 10, 5, tzinfo=timezone.utc)
END = "2026-11-23T10:00:00Z"
HANDOVER = f"{BASE}/handovers/{END}"
ALL_OK = {"items": [{"id": i, "mark": "ok"} for i in ("desk", "equipment", "key_cabinet", "diary_read")]}


@pytest.fixture
def api(runtime_wired, mailbox, clock):
    from chalice.test import Client

    from app import app
    clock.now = MON_17
    with Client(app, stage_name="local") as c:
        yield c


@pytest.fixture
def people(clock):
    return {"desk": make_token("front_desk", subject="desk-1", name="前台小王", now=MON_17),
            "desk2": make_token("front_desk", subject="desk-2", name="前台小李", now=MON_17),
            "guard": make_token("security", subject="security-1", name="监控室老陈", now=MON_17),
            "lead": make_token("shift_lead", subject="lead-1", name="领班刘姐", now=MON_17),
            "staff": make_token("dept_staff", subject="eng-1", department="engineering", now=MON_17),
            "desk_p2": make_token("front_desk", properties=("P2",), subject="desk-p2", now=MON_17)}


def handed_over(api, people, clock):
    """Diary written and checklist marked during the day shift; at 18:05 the summary exists."""
    s, entry = call(api, "POST", f"{BASE}/shift/diary", people["desk"],
                    {"text": "B2车库排水沟堵塞，已报工程部", "urgent": True, "entry_id": "e-1"})
    assert s == 201, entry
    assert call(api, "PUT", f"{HANDOVER}/checklist", people["desk"], ALL_OK)[0] == 200
    clock.now = MON_18_05
    s, doc = call(api, "POST", f"{BASE}/handovers", people["desk"], {})
    assert s == 201 and doc["shift_end"] == END and doc["state"] == "open", doc
    return doc


def test_the_whole_handover_diary_checklist_sign_refuse_answer_accept_review(api, people, clock, mailbox):
    doc = handed_over(api, people, clock)
    assert [e["text"] for e in doc["diary"]] == ["B2车库排水沟堵塞，已报工程部"]
    assert all(i["mark"] == "ok" for i in doc["checklist"]) and doc["counts"]["opened"] == 0
    sign = f"{HANDOVER}/sign"
    s, doc = call(api, "POST", sign, people["desk"], {"side": "customer_service", "comment": "已交班"})
    assert s == 200 and doc["state"] == "outgoing_signed"
    urgent = [m for m in mailbox() if "紧急" in m["Subject"]]
    assert sorted(m["To"] for m in urgent) == ["control-room@riverside.example", "manager@riverside.example"]
    s, body = call(api, "POST", f"{HANDOVER}/refuse", people["guard"], {"reason": "   "})
    assert s == 422 and body["code"] == "reason_required"
    s, doc = call(api, "POST", f"{HANDOVER}/refuse", people["guard"], {"reason": "钥匙柜少了3栋1201的钥匙"})
    assert s == 200 and doc["state"] == "refused"
    refused = [m for m in mailbox() if "拒绝" in m["Subject"]]
    assert [m["To"] for m in refused] == ["manager@riverside.example"]
    assert "钥匙柜少了3栋1201的钥匙" in refused[0].get_content()
    s, page = call(api, "GET", f"{BASE}/handovers", people["lead"])
    assert page["items"][0]["state"] == "refused" and page["items"][0]["needs_attention"] is True
    s, body = call(api, "POST", sign, people["guard"], {"side": "control_room"})
    assert s == 409 and body["code"] == "refusal_unanswered"
    s, doc = call(api, "POST", f"{HANDOVER}/answer", people["desk2"], {"note": "钥匙在工程部张师傅处，已登记"})
    assert s == 200 and doc["state"] == "answered"
    s, doc = call(api, "POST", sign, people["desk2"], {"side": "customer_service", "role": "outgoing"})
    assert s == 200 and doc["state"] == "outgoing_signed"
    s, doc = call(api, "POST", sign, people["guard"], {"side": "control_room", "comment": "接班"})
    assert s == 200 and doc["state"] == "accepted" and doc["signed"] is True
    assert [(x["role"], x["by"]["name"]) for x in doc["signing"]] == [
        ("outgoing", "前台小王"), ("outgoing", "前台小李"), ("incoming", "监控室老陈")]
    assert doc["refusals"][0]["answer"]["note"] == "钥匙在工程部张师傅处，已登记"
    s, page = call(api, "GET", f"{BASE}/handovers?unreviewed=true", people["lead"])
    assert [i["shift_end"] for i in page["items"]] == [END] and page["items"][0]["day"] == "2026-11-23"
    s, doc = call(api, "POST", f"{HANDOVER}/review", people["lead"], {"comment": "已审阅"})
    assert s == 200 and doc["review"]["by"]["name"] == "领班刘姐" and doc["needs_attention"] is False
    s, body = call(api, "POST", f"{HANDOVER}/review", people["lead"], {})
    assert s == 409 and body["code"] == "already_reviewed"
    s, page = call(api, "GET", f"{BASE}/handovers?unreviewed=true", people["lead"])
    assert page["items"] == []
    s, doc = call(api, "GET", HANDOVER, people["staff"])
    assert s == 200 and [h["action"] for h in doc["history"]][-3:] == ["sign", "sign", "review"]


def test_signing_twice_out_of_order_or_by_the_same_person_is_409_and_changes_nothing(api, people, clock):
    handed_over(api, people, clock)
    sign = f"{HANDOVER}/sign"
    s, body = call(api, "POST", sign, people["guard"], {"side": "control_room"})
    assert s == 409 and body["code"] == "outgoing_signs_first"
    s, body = call(api, "POST", f"{HANDOVER}/refuse", people["guard"], {"reason": "未签字"})
    assert s == 409 and body["code"] == "outgoing_signs_first"
    assert call(api, "POST", sign, people["desk"], {"side": "customer_service"})[0] == 200
    s, body = call(api, "POST", sign, people["desk2"], {"side": "customer_service"})
    assert s == 409 and body["code"] == "already_signed"
    s, body = call(api, "POST", sign, people["desk"], {"side": "customer_service", "role": "incoming"})
    assert s == 422 and body["details"]["field"] == "role"
    s, body = call(api, "POST", sign, people["desk"], {"side": "control_room"})
    assert s == 403 and body["code"] == "forbidden"  # customer service never signs the control room's side
    s, body = call(api, "POST", f"{HANDOVER}/refuse", people["desk2"], {"reason": "我替监控室拒绝"})
    assert s == 409 and body["code"] == "not_incoming_side"
    s, body = call(api, "POST", f"{HANDOVER}/answer", people["desk"], {"note": "没有拒绝"})
    assert s == 409 and body["code"] == "not_refused"
    s, body = call(api, "POST", f"{HANDOVER}/review", people["lead"], {})
    assert s == 409 and body["code"] == "not_accepted"
    s, doc = call(api, "GET", HANDOVER, people["desk"])
    assert doc["state"] == "outgoing_signed" and len(doc["signing"]) == 1 and doc["review"] is None


def test_checklist_refusals_are_clear(api, people, clock):
    s, body = call(api, "PUT", f"{HANDOVER}/checklist", people["desk"],
                   {"items": [{"id": "equipment", "mark": "not_ok"}]})
    assert s == 422 and body["code"] == "note_required" and body["details"]["field"] == "items.0.note"
    s, body = call(api, "PUT", f"{HANDOVER}/checklist", people["desk"], {"items": [{"id": "coffee", "mark": "ok"}]})
    assert s == 422 and body["code"] == "unknown_checklist_item"
    s, body = call(api, "PUT", f"{HANDOVER}/checklist", people["guard"], ALL_OK)
    assert s == 409 and body["code"] == "not_outgoing_side"
    s, body = call(api, "PUT", f"{BASE}/handovers/2026-11-23T11:00:00Z/checklist", people["desk"], ALL_OK)
    assert s == 404 and body["code"] == "handover_not_found"
    s, shift = call(api, "GET", f"{BASE}/shift", people["desk"])
    assert all(i["mark"] is None for i in shift["checklist"])  # nothing was stored by the refused requests


def test_diary_entries_retries_corrections_and_refusals(api, people, clock):
    body = {"text": "5栋电梯困人，已救出", "entry_id": "k-1"}
    s, entry = call(api, "POST", f"{BASE}/shift/diary", people["desk"], body)
    assert s == 201 and entry["shift_end"] == END and entry["author"]["name"] == "前台小王"
    s, again = call(api, "POST", f"{BASE}/shift/diary", people["desk"], body)
    assert s == 200 and again["entry_id"] == "k-1"
    s, out = call(api, "PUT", f"{BASE}/shift/diary/k-1", people["desk2"], {"text": "改别人的"})
    assert s == 403 and out["code"] == "not_author"
    s, out = call(api, "PUT", f"{BASE}/shift/diary/k-1", people["desk"], {"text": "5栋2号电梯困人，已救出", "version": 1})
    assert s == 200 and out["corrections"][0]["text"] == "5栋电梯困人，已救出" and out["version"] == 2
    s, out = call(api, "PUT", f"{BASE}/shift/diary/k-1", people["desk"], {"text": "旧版本", "version": 1})
    assert s == 409 and out["code"] == "diary_version_conflict"
    s, out = call(api, "POST", f"{BASE}/shift/diary", people["desk"], {"text": "跟进", "case_id": "TD-20261123-9999"})
    assert s == 422 and out["code"] == "unknown_case"
    s, out = call(api, "POST", f"{BASE}/shift/diary", people["staff"], {"text": "工程部不写交接本"})
    assert s == 403 and out["code"] == "forbidden"
    s, out = call(api, "POST", f"{BASE}/shift/diary", people["desk_p2"], {"text": "別的項目"})
    assert s == 404
    s, shift = call(api, "GET", f"{BASE}/shift", people["guard"])
    assert [e["text"] for e in shift["diary"]] == ["5栋2号电梯困人，已救出"]
    clock.now = MON_18_05
    s, out = call(api, "PUT", f"{BASE}/shift/diary/k-1", people["desk"], {"text": "下班后再改"})
    assert s == 409 and out["code"] == "shift_over"
    s, out = call(api, "PUT", f"{BASE}/shift/diary/nope", people["desk"], {"text": "x"})
    assert s == 404 and out["code"] == "entry_not_found"


def test_the_morning_handover_is_the_control_rooms_to_sign_first(api, people, clock):
    clock.now = datetime(2026, 11, 23, 22, tzinfo=timezone.utc)  # Tuesday 06:00: the night shift
    guard = make_token("security", subject="security-1", name="监控室老陈", now=clock.now)
    s, shift = call(api, "GET", f"{BASE}/shift", guard)
    assert shift["outgoing"] == "control_room" and shift["incoming"] == "customer_service"
    s, _ = call(api, "POST", f"{BASE}/shift/diary", guard, {"text": "夜间巡逻正常，2:10 3栋业主报漏水已登记"})
    assert s == 201
    end = shift["shift_end"]
    assert call(api, "PUT", f"{BASE}/handovers/{end}/checklist", guard, ALL_OK)[0] == 200
    clock.now = datetime(2026, 11, 24, 0, 5, tzinfo=timezone.utc)
    desk = make_token("front_desk", subject="desk-1", name="前台小王", now=clock.now)
    assert call(api, "POST", f"{BASE}/handovers", desk, {})[0] == 201
    s, body = call(api, "POST", f"{BASE}/handovers/{end}/sign", desk, {"side": "customer_service"})
    assert s == 409 and body["code"] == "outgoing_signs_first"
    guard = make_token("security", subject="security-1", name="监控室老陈", now=clock.now)
    assert call(api, "POST", f"{BASE}/handovers/{end}/sign", guard, {"side": "control_room"})[0] == 200
    s, doc = call(api, "POST", f"{BASE}/handovers/{end}/sign", desk, {"side": "customer_service"})
    assert s == 200 and doc["state"] == "accepted"

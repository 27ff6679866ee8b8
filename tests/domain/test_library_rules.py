"""The case library's pure rules (chalicelib/domain/library.py): tenant data
masked in Simplified and Traditional Chinese and English, every edit a version,
approval only of a pending version, never by its author, never while the source
case's reporter, contact or unit is still in the text; the training order and
the suggestions."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import library
from chalicelib.domain.cases import Actor, Case, Event
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed
from tests.conftest import T0

DESK = Actor("desk-1", "front_desk", "前台小李")
MANAGER = Actor("mgr-1", "manager", "王经理")
TEXT = {"title": "空调不制冷", "problem": "夏天空调不制冷", "what_worked": "补充冷媒", "category": "air_conditioning"}


def a_case(**changes):
    fields = {"property_id": "P1", "case_id": "TD-1", "unit": "3-1201", "contact": "13800138000", "channel": "phone",
                  "content": "3-1201 李秀英：空调不制冷，回电13800138000", "created_at": T0, "category": "air_conditioning",
                  "reporter": {"name": "李秀英", "phone": "138 0013 8000", "email": "li.xy@example.cn"},
                  "status": "closed", "title": "空调不制冷"}
    fields.update(changes)
    return Case(**fields)


@pytest.mark.parametrize("text,lang,masked,kept", [
    ("李女士来电，电话13800138000，3-1201厨房漏水", "zh-Hans", ["[电话]", "[房号]", "某女士"], ["厨房漏水"]),
    ("B2-015车位被占，联系138 0013 8000或138xxxx8000", "zh-Hans", ["[房号]车位被占", "联系[电话]或[电话]"], []),
    ("王先生（3栋1201）邮箱 wang@example.com", "zh-Hans", ["某先生", "[房号]", "[邮箱]"], []),
    ("陳小姐 3號樓1201室 電話 0755-12345678", "zh-Hant", ["某小姐", "[房號]", "[電話]"], []),
    ("Mr Smith in Unit 12B, call +86 138-0013-8000", "en", ["[name] in [unit], call [phone]"], []),
    ("2026-12-01 维修完成，室温26度，10:30到场", "zh-Hans", [], ["2026-12-01", "26度", "10:30"]),
])
def test_redact_masks_tenant_data_and_keeps_the_story(text, lang, masked, kept):
    out = library.redact(text, lang=lang)
    for piece in masked + kept:
        assert piece in out, out
    for secret in ("13800138000", "138 0013 8000", "3-1201", "B2-015", "wang@example.com", "Smith", "李", "陳"):
        assert secret not in out, out


def test_redact_masks_the_reporters_own_name_without_an_honorific():
    secrets = library.case_secrets(a_case())
    out = library.redact("李秀英说空调不制冷，邮箱LI.XY@example.cn", secrets)
    assert out == "[姓名]说空调不制冷，邮箱[邮箱]"
    assert library.leaks(out, secrets) == []
    assert library.leaks("请致电 138-0013-8000", secrets) == ["phone"]
    assert library.leaks("3 - 1201 李秀英", secrets) == ["name", "unit"]  # spaced out, still the unit
    assert library.leaks("3-1201 的空调", secrets) == ["unit"]


def test_a_proposal_is_prefilled_from_the_case_and_its_trail_with_tenant_data_masked():
    case = a_case()
    trail = [Event(3, T0, DESK, "resolve", {}, {"resolution": "补充冷媒，已告知李秀英"}),
             Event(4, T0, DESK, "respond", {}, {"message": "您好，师傅下午到3-1201"}),
             Event(6, T0, DESK, "close", {}, {"summary": "夏季前检查冷媒"})]
    text, found = library.draft_from_case(case, trail)
    assert text["problem"] == "[房号] [姓名]：空调不制冷，回电[电话]"
    assert (text["what_worked"], text["tenant_text"], text["lessons"]) == (
        "补充冷媒，已告知[姓名]", "您好，师傅下午到[房号]", "夏季前检查冷媒")
    assert found == ["name", "phone", "unit"] and text["category"] == "air_conditioning"
    with pytest.raises(Conflict) as info:
        library.require_proposable(a_case(status="resolved"))
    assert info.value.code == "case_not_closed"


def test_the_cause_is_prefilled_from_the_classified_cause_and_the_staffs_own_notes():
    case = a_case(cause="equipment_facility")
    trail = [Event(2, T0, DESK, "note", {}, {"note": "压缩机启动电容损坏，李秀英在家等候"}),
             Event(3, T0, DESK, "note", {}, {"note": "转发的邮件", "via": "email", "from": "li.xy@example.cn"}),
             Event(4, T0, DESK, "assign", {}, {"note": "同型号空调去年也坏过"}),
             Event(5, T0, DESK, "resolve", {}, {"resolution": "更换电容"})]
    text, found = library.draft_from_case(case, trail)
    assert text["cause"] == "设备设施原因。\n压缩机启动电容损坏，[姓名]在家等候\n同型号空调去年也坏过"
    assert "name" in found  # the reporter's name was in a note, and was masked
    english, _ = library.draft_from_case(a_case(cause="outside_control", lang="en"), [])
    assert english["cause"] == "Outside our control."
    assert library.draft_from_case(a_case(), [])[0]["cause"] == ""  # nothing known: left for staff to write


def draft(**changes):
    return library.new_entry(property_id="P1", entry_id="L1", actor=DESK, params={**TEXT, **changes}, now=T0).entry


def test_every_edit_is_a_new_draft_version_and_the_approved_one_stays_shown():
    entry = draft(lang="zh-Hant", tags=["空調", "空調", "夏季"])
    assert (entry.status, entry.current_version, entry.current["tags"]) == ("draft", 1, ["空調", "夏季"])
    entry = library.submit(entry, DESK, T0).entry
    entry = library.approve(entry, MANAGER, T0, versions=[]).entry
    assert (entry.status, entry.approved_version, entry.visible) == ("approved", 1, True)
    change = library.edit(entry, DESK, {"what_worked": "更换压缩机", "note": "第二次来修"}, T0 + timedelta(days=1))
    assert change.new_version.number == 2 and change.new_version.note == "第二次来修"
    edited = change.entry
    assert edited.status == "draft" and edited.visible and edited.approved["what_worked"] == "补充冷媒"
    shown = library.staff_view(edited)
    assert shown["what_worked"] == "补充冷媒" and shown["draft"]["what_worked"] == "更换压缩机"


def test_approval_rules():
    entry = draft()
    with pytest.raises(Conflict) as info:
        library.approve(entry, MANAGER, T0, versions=[])
    assert info.value.code == "not_pending"
    pending = library.submit(entry, DESK, T0).entry
    with pytest.raises(Conflict):
        library.submit(pending, DESK, T0)
    with pytest.raises(Forbidden) as own:
        library.approve(pending, DESK, T0, versions=[])
    assert own.value.code == "own_entry"
    # a manager who wrote the pending version does not approve it either
    edited = library.edit(library.send_back(pending, MANAGER, T0).entry, MANAGER, {"lessons": "x"}, T0)
    again = library.submit(edited.entry, MANAGER, T0).entry
    with pytest.raises(Forbidden):
        library.approve(again, MANAGER, T0, versions=[edited.new_version])
    leaky = library.submit(draft(tenant_text="请联系李秀英 13800138000"), DESK, T0).entry
    with pytest.raises(ValidationFailed) as left:
        library.approve(leaky, MANAGER, T0, versions=[], secrets=library.case_secrets(a_case()))
    assert (left.value.code, left.value.details["found"]) == ("tenant_data_left", ["name", "phone"])
    retired = library.retire(library.approve(pending, MANAGER, T0, versions=[]).entry, MANAGER, T0).entry
    assert not retired.visible
    with pytest.raises(Conflict):
        library.edit(retired, DESK, {"lessons": "x"}, T0)


def test_text_is_checked():
    with pytest.raises(ValidationFailed) as info:
        draft(category="weather")
    assert info.value.details["field"] == "category"
    with pytest.raises(ValidationFailed) as info:
        draft(what_worked="  ")
    assert info.value.details["field"] == "what_worked"
    with pytest.raises(ValidationFailed):
        draft(lang="fr")


def approved(entry_id, at, uses=0, **text):
    entry = library.new_entry(property_id="P1", entry_id=entry_id, actor=DESK, params={**TEXT, **text}, now=at).entry
    entry = library.approve(library.submit(entry, DESK, at).entry, MANAGER, at, versions=[]).entry
    entry.uses = uses
    return entry


def test_training_order_is_by_category_then_newest_and_most_used():
    old = approved("L1", T0, uses=9)
    new = approved("L2", T0 + timedelta(days=1))
    tie = approved("L3", T0 + timedelta(days=1), uses=3)
    cleaning = approved("L4", T0, category="cleaning", title="地面湿滑", problem="大堂地面湿滑",
                        what_worked="放置警示牌")
    hidden = draft()
    assert [e.entry_id for e in library.training_order([cleaning, old, new, hidden, tie])] == ["L3", "L2", "L1", "L4"]


def test_suggestions_rank_entries_of_the_case_category_by_similarity():
    close = approved("L1", T0, title="空调不制冷", problem="空调不制冷，室内温度高")
    far = approved("L2", T0, title="空调噪音", problem="空调外机噪音大，夜间扰民")
    other = approved("L3", T0, category="cleaning", title="空调不制冷", problem="空调不制冷")
    case = a_case(content="空调不制冷，温度降不下来", status="routed")
    ranked = library.suggest(case, [far, other, close])
    assert [e.entry_id for _s, e in ranked][0] == "L1" and "L3" not in [e.entry_id for _s, e in ranked]
    assert library.suggest(a_case(content="Lift stuck between floors", title=""), [close]) == []

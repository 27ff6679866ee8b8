"""The shift-handover logbook in real headless Chromium against the real local stack:
diary → checklist → sign → refuse → red in the list → answer → sign again → accept →
the shift lead's review. Which side hands over follows the wall clock (morning: the
control room, evening: customer service), so the test reads it from the page."""
from __future__ import annotations

import pytest

from tests.browser.test_console import console_page, sign_in
from tests.e2e.test_devstack import launch

PEOPLE = {"customer_service": ("DESK", "front_desk"), "control_room": ("SECURITY", "security")}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("logbook-stack"))


@pytest.fixture
def page(browser, stack):
    yield from console_page(browser, stack, locale="zh-CN", timezone_id="Asia/Shanghai", lang="zh-Hans")


def as_side(page, stack, side: str, url: str) -> None:
    sign_in(page, stack, *PEOPLE[side])
    page.goto(url)
    page.wait_for_selector("#handover-state")


def test_diary_checklist_sign_refuse_answer_accept_review(page, stack):
    sign_in(page, stack, "DESK", "front_desk")
    page.click("#nav-handovers")
    page.wait_for_selector("#current-shift")
    assert page.locator("#handovers tr.attention[data-state=refused]").count() >= 1  # the seeded refusal, in red
    page.fill("#diary-text", "7栋大堂玻璃门闭门器损坏，已报工程部")
    page.check("#diary-urgent")
    page.click("#diary-form-submit")
    page.wait_for_selector("#diary li:has-text('7栋大堂玻璃门闭门器损坏')")
    assert page.get_attribute("#diary li:has-text('7栋大堂玻璃门') ", "data-urgent") == "yes"

    page.click("#produce-handover")
    page.wait_for_selector("#handover-state[data-state=open]")
    url = page.url
    outgoing = page.get_attribute("#handover-state", "data-outgoing")
    incoming = page.get_attribute("#handover-state", "data-incoming")
    assert {outgoing, incoming} == {"customer_service", "control_room"}

    # The outgoing side marks the checklist (a × needs a note) and signs first.
    as_side(page, stack, outgoing, url)
    page.select_option("#mark-equipment", "not_ok")
    page.fill("#note-equipment", "3号对讲机电池坏了")
    page.click("#checklist-form-submit")
    page.wait_for_selector("#checklist tr[data-item=equipment][data-mark=not_ok]")
    assert "3号对讲机电池坏了" in page.text_content("#checklist tr[data-item=equipment]")
    page.fill("#sign-comment", "已交班")
    page.click("#sign-form-submit")
    page.wait_for_selector("#handover-state[data-state=outgoing_signed]")

    # The incoming side refuses with a reason: red in the list.
    as_side(page, stack, incoming, url)
    page.fill("#refuse-reason", "对讲机坏了没有备用，交班人未说明")
    page.click("#refuse-form-submit")
    page.wait_for_selector("#handover-state[data-state=refused]")
    assert "对讲机坏了没有备用" in page.text_content("#refusals")
    page.click("#nav-handovers")
    end = url.rsplit("/", 1)[-1].replace("%3A", ":")
    row = page.locator(f"#handovers tr[data-shift-end='{end}']")
    row.first.wait_for()
    assert "attention" in row.first.get_attribute("class") and row.first.get_attribute("data-state") == "refused"

    # The outgoing side answers and signs again; the incoming side accepts.
    as_side(page, stack, outgoing, url)
    page.fill("#answer-note", "备用对讲机在监控室柜子里，已取出")
    page.click("#answer-form-submit")
    page.wait_for_selector("#handover-state[data-state=answered]")
    page.click("#sign-form-submit")
    page.wait_for_selector("#handover-state[data-state=outgoing_signed]")
    as_side(page, stack, incoming, url)
    page.click("#sign-form-submit")
    page.wait_for_selector("#handover-state[data-state=accepted]")
    assert [page.get_attribute(f"#signing li:nth-child({n})", "data-role") for n in (1, 2, 3)] == [
        "outgoing", "outgoing", "incoming"]
    assert "备用对讲机在监控室柜子里" in page.text_content(".refusal-answer")

    # The shift lead reviews: no longer red.
    sign_in(page, stack, "LEAD", "shift_lead")
    page.goto(url)
    page.fill("#review-comment", "已审阅")
    page.click("#review-form-submit")
    page.wait_for_selector("#review")
    assert "领班陈姐" in page.text_content("#review")
    page.click("#nav-handovers")
    row = page.locator("#handovers tr[data-state=accepted][data-reviewed=yes]")
    row.first.wait_for()
    assert "attention" not in (row.first.get_attribute("class") or "")
    page.select_option("#lang", "zh-Hant")
    page.wait_for_selector("#current-shift h2:has-text('本班')")
    page.select_option("#lang", "en")
    page.wait_for_selector("#current-shift h2:has-text('Current shift')")

"""The case library in real headless Chromium against the real local stack: an
entry proposed from a closed case (tenant data masked), approved by a manager,
suggested on a new case of the same category, where "this helped" is recorded;
the training view lists the seeded entries in three languages."""
from __future__ import annotations

import json
import urllib.request

import pytest

from tests.browser.test_console import console_page, sign_in, token
from tests.e2e.test_devstack import launch


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("library-stack"))


@pytest.fixture
def page(browser, stack):
    yield from console_page(browser, stack)


def _post(stack, path, who, body):
    request = urllib.request.Request(stack.url + path, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token(stack, who)}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _case(stack, content, *, close):
    case = _post(stack, "/v1/properties/P1/cases", "DESK", {
        "channel": "phone", "unit": "3-1201", "content": content,
        "reporter": {"name": "李秀英", "phone": "138 0013 8000"}})
    url = f"/v1/properties/P1/cases/{case['case_id']}"
    steps = [("classify", {"kind": "complaint", "category": "pest"})]
    if close:
        steps += [("assign", {"assignee": "dept_staff-3", "department": "cleaning"}), ("start", {}),
                  ("resolve", {"resolution": "消杀公司上门投放胶饵，封堵下水口缝隙"}),
                  ("callback", {"reached": True, "satisfied": True})]
    for step, body in steps:
        _post(stack, f"{url}/{step}", "ADMIN", body)
    return case["case_id"]


def test_proposed_approved_and_suggested_on_a_new_case(page, stack):
    closed = _case(stack, "3-1201 厨房有蟑螂，李秀英 电话13800138000", close=True)
    sign_in(page, stack, "DESK", "front_desk")
    page.goto(stack.url + f"/console#/case/{closed}")
    page.click("#library-propose")
    page.wait_for_selector("#library-status[data-status=draft]")
    shown = page.text_content("#library-shown")
    assert "投放胶饵" in shown and "13800138000" not in shown and "3-1201" not in shown and "李秀英" not in shown
    assert "[电话]" in shown
    entry_url = page.url
    page.click("#library-submit-submit")
    page.wait_for_selector("#library-status[data-status=pending]")
    assert page.locator("#library-approve-submit").count() == 0  # the front desk does not approve

    sign_in(page, stack, "MANAGER", "manager")
    page.click("#nav-library")
    page.wait_for_selector("#library-pending li")
    page.click("#library-pending li a")
    page.wait_for_selector("#library-status[data-status=pending]")
    assert page.url == entry_url
    page.click("#library-approve-submit")
    page.wait_for_selector("#library-status[data-status=approved]")

    fresh = _case(stack, "厨房又发现蟑螂，晚上很多", close=False)
    sign_in(page, stack, "DESK", "front_desk")
    page.goto(stack.url + f"/console#/case/{fresh}")
    page.wait_for_selector("#library-suggestions li.library-suggestion")
    suggestion = page.locator("#library-suggestions li.library-suggestion").first
    assert "投放胶饵" in suggestion.text_content()
    suggestion.locator(".library-helped").click()
    page.wait_for_selector(".library-helped[disabled]")
    page.reload()
    page.wait_for_selector("#timeline :text('helped with this case')")


def test_the_training_view_in_three_languages(page, stack):
    sign_in(page, stack, "STAFF", "dept_staff")
    page.click("#nav-library")
    page.wait_for_selector("#library-entries .library-entry")
    titles = page.text_content("#library-entries")
    assert "夏季空调不制冷" in titles and "電梯停在兩層之間" in titles and "Slippery lobby floor" in titles
    assert page.locator("#library-add-box").count() == 1  # department staff write entries too
    page.select_option("#library-category", "cleaning")
    assert page.locator("#library-entries .library-entry:visible").count() == 1
    for lang, word in (("zh-Hans", "案例库"), ("zh-Hant", "案例庫"), ("en", "Library")):
        page.select_option("#lang", lang)
        page.wait_for_selector(f"#nav-library:text-is('{word}')")

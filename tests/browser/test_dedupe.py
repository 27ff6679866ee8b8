"""A duplicate suggested and merged in the console, in real headless Chromium against the
real local stack: the tenant reports the same leak twice (app, then in Traditional
Chinese); the queue marks the second "possible duplicate of TD-…"; the front desk merges
it from the case page; the tenant still reads it as merged into the first. The manager
then sees the duplicate figures on the Reports page (in Traditional Chinese): today's,
chosen beside the month's, so nothing waits for the day to end."""
from __future__ import annotations

import pytest

from tests.browser.test_console import console_page, sign_in, token
from tests.e2e.test_devstack import launch


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("dedupe-stack"))


@pytest.fixture
def page(browser, stack):
    yield from console_page(browser, stack)


def test_a_duplicate_is_suggested_on_the_queue_and_merged_from_the_case_page(page, stack):
    tenant = token(stack, "TENANT")
    status, first, _ = stack.call("POST", "/v1/properties/P1/cases", tenant, {
        "unit": "3栋1201", "content": "空调漏水，滴到桌子上了", "category": "air_conditioning"})
    assert status == 201, first
    status, second, _ = stack.call("POST", "/v1/properties/P1/cases", tenant, {
        "unit": "3棟1201", "content": "冷氣漏水，滴到桌上", "category": "air_conditioning"})
    assert status == 201, second

    sign_in(page, stack, "DESK", "front_desk")
    row = page.wait_for_selector(f"#queue-rows tr[data-case-id='{second['case_id']}']")
    mark = row.query_selector(".dup-mark")
    assert mark is not None and first["case_id"] in mark.text_content()
    assert mark.get_attribute("data-target") == first["case_id"]

    page.goto(f"{stack.url}/console#/case/{second['case_id']}")
    page.wait_for_selector("#duplicates")
    suggestion = page.locator(f"#dup-suggestions li[data-target='{first['case_id']}']")
    assert "same reporter" in suggestion.text_content()
    page.click(f"#dup-merge-{first['case_id']}")
    page.wait_for_selector("#dup-merged-into")
    assert first["case_id"] in page.text_content("#dup-merged-into")
    page.wait_for_selector("#case-status[data-status=closed]")

    page.goto(f"{stack.url}/console#/case/{first['case_id']}")
    page.wait_for_selector("#dup-merged")
    assert second["case_id"] in page.text_content("#dup-merged")

    status, seen, _ = stack.call("GET", f"/v1/properties/P1/cases/{second['case_id']}", tenant)
    assert status == 200 and seen["merged_into"] == first["case_id"] and "possible_duplicates" not in seen


@pytest.fixture
def page_hant(browser, stack):
    yield from console_page(browser, stack, locale="zh-TW", timezone_id="Asia/Shanghai", lang="zh-Hant")


def test_the_reports_page_shows_duplicate_rates_by_channel_and_repeats(page_hant, stack):
    page = page_hant
    status, reported, _ = stack.call("POST", "/v1/properties/P1/cases", token(stack, "TENANT"), {
        "unit": "5F走廊", "content": "走廊的灯坏了，晚上很黑", "category": "public_facility"})
    assert status == 201, reported
    status, call, _ = stack.call("POST", "/v1/properties/P1/cases", token(stack, "DESK"), {
        "channel": "phone", "unit": "5F走廊", "content": "来电：5楼走廊灯不亮，黑漆漆的", "category": "public_facility",
        "reporter": {"name": "陳先生", "phone": "13900000000"}})
    assert status == 201, call
    assert [d["case_id"] for d in call["possible_duplicates"]] == [reported["case_id"]]

    sign_in(page, stack, "MANAGER", "manager")
    page.click("#nav-reports")
    page.wait_for_selector("#report-duplicates #dup-figures[data-period=month]")
    assert "重複受理率" in page.text_content("#dup-summary") and "重複發生率" in page.text_content("#dup-summary")
    page.select_option("#dup-period", "today")
    page.wait_for_selector("#dup-figures[data-period=today]")
    phone = page.locator("#dup-channels tr[data-channel=phone] td").all_text_contents()
    assert phone[0] == "電話" and int(phone[1]) >= 1 and int(phone[2]) >= 1 and phone[3].endswith("%")
    app = page.locator("#dup-channels tr[data-channel=app] td").all_text_contents()
    assert app[0] == "App" and int(app[1]) >= 1  # the tenant's report (the phone call is its duplicate)
    facility = page.locator("#dup-categories tr[data-category=public_facility] td").all_text_contents()
    assert int(facility[1]) >= 2
    summary = page.locator("#dup-summary tr[data-figure=duplicate_rate] td").all_text_contents()
    assert summary[0].endswith("%") and summary[0] != "—"
    page.select_option("#dup-period", "month")
    page.wait_for_selector("#dup-figures[data-period=month]")

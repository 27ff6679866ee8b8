"""The owner archive in the console, in real headless Chromium against the real
local stack with its seeded archive: a phone lookup, the service and full views
(a full read shows up on the access log), and a case logged at a picked place."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_console import sign_in
from tests.e2e.test_devstack import launch


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("archive-stack"))


@pytest.fixture
def page(browser, stack):
    context = browser.new_context(locale="en-US", timezone_id="UTC")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(10_000)
    page.goto(stack.url + "/console")
    page.select_option("#lang", "en")
    yield page
    context.close()
    assert not errors, errors


def test_front_desk_finds_a_caller_by_phone_in_any_format_and_sees_only_the_service_view(page, stack):
    sign_in(page, stack, "DESK", "front_desk")
    page.click("#nav-archive")
    page.wait_for_selector("#lookup-form")
    page.fill("#archive-phone", "+86 138-0013-8000")
    page.click("#lookup-submit")
    page.wait_for_selector("#lookup-residents li")
    found = page.text_content("#lookup-residents")
    assert "李女士" in found and "138****8000" in found and "3栋 1201" in found
    assert "13800138000" not in page.content()
    cases = page.locator("#lookup-cases li[data-case-id]")
    assert cases.count() >= 1  # her open cases, each a link to the case page
    page.click("#lookup-residents a")
    page.wait_for_selector("#view-note[data-view=service]")
    assert page.locator("#contacts").count() == 0 and page.locator("#renovations").count() == 0
    assert "li.nvshi@example.cn" not in page.content()


def test_a_managers_full_read_is_marked_confidential_and_lands_on_the_access_log(page, stack):
    sign_in(page, stack, "MANAGER", "manager")
    page.goto(stack.url + "/console#/archive/r.R3-1201-A")
    page.wait_for_selector("#view-note[data-view=full]")
    assert "access log" in page.text_content("#view-note")
    assert "美家装饰工程有限公司" in page.text_content("#renovations")
    assert "李明" in page.text_content("#contacts")
    page.goto(stack.url + "/console#/archive/log")
    page.wait_for_selector("#access-log tbody tr")
    assert "R3-1201-A" in page.text_content("#access-log") and "王经理" in page.text_content("#access-log")


def test_front_desk_logs_a_case_at_a_location_picked_from_the_archive(page, stack):
    sign_in(page, stack, "DESK", "front_desk")
    page.click("#nav-log")
    page.wait_for_selector("#log-form")
    page.select_option("#log-channel", "phone")
    page.fill("#log-name", "李女士")
    page.fill("#log-phone", "138 0013 8000")
    page.select_option("#log-location", label="3栋 1201 厨房")
    page.fill("#log-occurred", "2020-01-01T08:00")  # more than a year ago: refused, nothing stored
    page.fill("#log-content", "厨房水槽下面漏水，楼下说天花板在滴水。")
    page.click("#log-submit")
    page.wait_for_selector("#log-error:has-text('occurred_at')")
    page.fill("#log-occurred", "")
    page.click("#log-submit")
    page.wait_for_selector("#case-id")
    assert re.fullmatch(r"TD-\d{8}-\d{4,6}", page.text_content("#case-id"))
    assert page.text_content("dd[data-field=location]") == "3栋 1201 厨房"
    assert page.text_content("dd[data-field=unit]") == "3栋 1201 厨房"

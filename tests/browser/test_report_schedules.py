"""A scheduled report mailed in the local stack, from the console: the manager opens
Reports (this month's figures), adds a daily report for a minute or two from now
(property-local time), saves; the stack's engine fires the EventBridge Scheduler
cron schedule when that minute comes, the worker produces the report and SES takes
the mail (the stack prints ``mail | sent → ...``). Real headless Chromium, real stack,
wall clock: this test waits for the schedule's minute (up to ~3 minutes)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.test_console import console_page, sign_in
from tests.e2e.test_devstack import launch

RECIPIENT = "quality@riverside.example"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("report-stack"))


@pytest.fixture
def page(browser, stack):
    yield from console_page(browser, stack, locale="zh-CN", timezone_id="Asia/Shanghai", lang="zh-Hans")


def test_a_daily_report_set_in_the_console_is_mailed_by_the_local_stack(page, stack):
    sign_in(page, stack, "MANAGER", "manager")
    page.click("#nav-reports")
    page.wait_for_selector("#report-summary")
    assert "满意率" in page.text_content("#report-summary")
    page.wait_for_selector("#rs-rows")

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    at = (now + timedelta(minutes=1 if now.second < 40 else 2)).strftime("%H:%M")
    page.fill("#rs-id", "daily-quality")
    page.select_option("#rs-report", "daily")
    page.fill("#rs-recipients", RECIPIENT)
    page.fill("#rs-time", at)
    page.select_option("#rs-lang", "zh-Hans")
    page.click("#rs-add")
    page.wait_for_selector("#rs-rows tr[data-schedule-id=daily-quality]")
    page.click("#rs-save")
    page.wait_for_selector("#rs-status[data-version='1']")

    line = f"mail | sent → {RECIPIENT}"
    deadline = time.monotonic() + 200
    while line not in stack.output() and time.monotonic() < deadline:
        time.sleep(1)
    output = stack.output()
    assert "engine | schedule report-P1-daily-quality fired" in output, output[-3000:]
    mailed = [row for row in output.splitlines() if row.startswith(line)]
    assert mailed and "日报" in mailed[0], output[-3000:]
    assert len(mailed) == 1

    # Sending it now again is "already sent for this period": the console says so, no second mail.
    page.click("#rs-rows tr[data-schedule-id=daily-quality] .rs-send")
    page.wait_for_selector("#rs-status:has-text('本期已发送过')")
    time.sleep(2)
    assert len([row for row in stack.output().splitlines() if row.startswith(line)]) == 1

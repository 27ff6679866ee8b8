"""The key register's console page and the case page's entry permission, in real
headless Chromium against the real local stack (its seeded registers)."""
from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.test_console import XSS, console_page, open_action, sign_in, token
from tests.e2e.test_devstack import launch


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("keys-stack"))


@pytest.fixture
def page(browser, stack):
    yield from console_page(browser, stack)


def _post(stack, path, who, body):
    request = urllib.request.Request(stack.url + path, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token(stack, who)}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_register_shows_keys_out_overdue_first_and_the_lead_lends_and_takes_back(page, stack):
    sign_in(page, stack, "LEAD", "shift_lead")
    page.click("#nav-keys")
    page.wait_for_selector("#keys-out")
    rows = page.locator("#keys-out tbody tr")
    assert rows.nth(0).get_attribute("data-key") == "K003" and "overdue" in rows.nth(0).get_attribute("class")
    assert rows.nth(1).get_attribute("data-key") == "K002" and "overdue" not in rows.nth(1).get_attribute("class")
    assert "美家装修 黄师傅" in rows.nth(0).text_content()
    assert page.locator("#keys-out .countdown.late").count() == 1  # the overdue one counts up in red
    register = page.locator("#keys-register")
    assert register.locator("tr[data-key=K004] [data-state=damaged]").count() == 1
    assert register.locator("tr[data-key=K005] [data-state=lost]").count() == 1

    page.click("#keys-register tr[data-key=K001] a")
    page.wait_for_selector("#key-state[data-state=in_cabinet]")
    page.click("#lend-key-box summary")
    page.fill("#key-name", "工程部张师傅")
    page.select_option("#key-kind", "staff")
    page.select_option("#key-purpose", "repair")
    due = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=2)
    page.fill("#key-due", due.strftime("%Y-%m-%dT%H:%M"))
    page.click("#lend-key-submit")
    page.wait_for_selector("#key-state[data-state=lent]")
    assert "工程部张师傅" in page.text_content("#key-fields")
    page.click("#return-key-box summary")
    page.click("#return-key-submit")
    page.wait_for_selector("#key-state[data-state=in_cabinet]")
    history = page.text_content("#key-history")
    assert "returned" in history and "lent" in history and "added" in history
    # a key that is not in the cabinet offers no loan: the lost key shows its lock-change case
    page.goto(stack.url + "/console#/keys/K005")
    page.wait_for_selector("#key-state[data-state=lost]")
    assert page.locator("#lend-key-box").count() == 0
    assert page.locator("#key-fields [data-field=lock_change_case] a").text_content().startswith("TD-")


def test_text_is_never_html_and_three_languages(page, stack):
    sign_in(page, stack, "LEAD", "shift_lead")
    page.goto(stack.url + "/console#/keys")
    page.wait_for_selector("#add-key-box")
    page.click("#add-key-box summary")
    page.fill("#key-unit", XSS)
    page.fill("#key-slot", "C-09")
    page.click("#add-key-submit")
    page.wait_for_selector("#key-id")
    assert XSS in page.text_content("#key-fields")
    assert page.evaluate("window.__pwned") is None
    for lang, word in (("zh-Hans", "钥匙"), ("zh-Hant", "鑰匙"), ("en", "Keys")):
        page.select_option("#lang", lang)
        page.wait_for_function(f"document.querySelector('#nav-keys')?.textContent === {json.dumps(word)}")


def test_the_front_desk_records_a_tenants_refusal_on_the_case_page(page, stack):
    case = _post(stack, "/v1/properties/P1/cases", "TENANT", {"unit": "3栋1201", "content": "厨房漏水，我在出差"})
    sign_in(page, stack, "DESK", "front_desk")
    page.goto(stack.url + f"/console#/case/{case['case_id']}")
    page.wait_for_selector("#entry-permission")
    assert page.text_content("#entry-permission-state") == "Not asked yet"
    open_action(page, "entry_permission")
    page.select_option("#entry-granted", "false")
    page.fill("#entry-note", "业主电话：不同意用备用钥匙入户")
    page.click("#submit-entry_permission")
    page.wait_for_selector("#entry-permission-state[data-granted=false]")
    assert "Entry refused" in page.text_content("#entry-permission-state")
    sentence = page.text_content("#timeline .ev-entry_permission .tl-sentence")
    assert sentence == "entry with the spare key refused (recorded for the tenant)"

"""The public web form on a phone (iPhone- and Android-sized descriptors, touch) in headless
Chromium against the running local stack: file → code from the stack's mail
output → verified, with `<script>` in every field staying text; and the console's
QR page showing an SVG code whose URL opens the form for the chosen place."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_console import sign_in
from tests.browser.test_tenant_app import DEVICES
from tests.e2e.test_devstack import launch
from tests.e2e.test_devstack_mail import wait_for

XSS = "<script>window.__pwned=1</script>"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("public-form-stack"))


def _context(browser, **extra):
    context = browser.new_context(timezone_id="UTC", **extra)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (errors.append("dialog: " + dialog.message), dialog.dismiss()))
    page.set_default_timeout(10_000)
    return context, page, errors


@pytest.mark.parametrize("device", sorted(DEVICES))
def test_a_visitor_files_on_a_phone_and_script_stays_text(browser, stack, device):
    context, page, errors = _context(browser, locale="zh-TW", **DEVICES[device])
    page.goto(stack.url + "/p/P1")
    page.locator("#category option").nth(1).wait_for(state="attached")
    assert page.evaluate("document.documentElement.lang") == "zh-Hant"
    assert page.text_content("label[for=email]") == "電郵"
    page.click("#langs button[lang=en]")
    assert page.text_content("label[for=email]") == "Email"
    email = f"kwan.{device}@example.hk"  # one visitor per device: each has their own per-contact quota
    page.tap("#email")
    page.fill("#email", email)
    page.fill("#name", XSS)
    page.fill("#place", XSS + "大堂")
    page.select_option("#category", "cleaning")
    page.fill("#content", XSS + "地板濕滑")
    page.tap("#send")
    page.wait_for_selector("#verify:not([hidden])")
    assert "k***@example.hk" in page.text_content("#sent-to")
    output = wait_for(stack, f"mail | sent → {email}")
    code = re.search(rf"mail \| sent → {re.escape(email)}\s+「(\d{{6}}) ", output).group(1)
    page.fill("#code", "000000" if code != "000000" else "111111")
    page.tap("#confirm")
    page.wait_for_selector("#error:has-text('(4)')")
    page.fill("#code", code)
    page.tap("#confirm")
    page.wait_for_selector("#done:not([hidden])")
    case_id = page.text_content("#case-id")
    assert re.fullmatch(r"TD-\d{8}-\d{4}", case_id)
    # The page never ran the visitor's script, and fits the phone's width.
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.documentElement.scrollWidth") <= DEVICES[device]["viewport"]["width"]
    context.close()
    assert not errors, errors

    # The desk sees the text exactly as typed, as text, on its case page.
    context, desk, errors = _context(browser, locale="en-US")
    desk.goto(stack.url + "/console")
    desk.select_option("#lang", "en")
    sign_in(desk, stack, "DESK", "front_desk")
    desk.goto(stack.url + f"/console#/case/{case_id}")
    desk.wait_for_selector(f"text={XSS}地板濕滑")
    assert desk.evaluate("window.__pwned") is None
    context.close()
    assert not errors, errors


def test_the_console_prints_a_qr_code_that_opens_the_form(browser, stack):
    context, page, errors = _context(browser, locale="en-US")
    page.goto(stack.url + "/console")
    page.select_option("#lang", "en")
    sign_in(page, stack, "DESK", "front_desk")
    page.goto(stack.url + "/console#/qr")
    page.wait_for_selector("#qr-image")
    assert page.text_content("#qr-url").startswith(f"{stack.url}/p/P1")
    areas = page.eval_on_selector_all("#qr-location option[data-kind=area]", "els => els.map(e => e.value)")
    if areas:
        page.select_option("#qr-location", areas[0])
        page.click("#qr-make")
        page.wait_for_selector("#qr-url:has-text('?area=')")
    src = page.get_attribute("#qr-image", "src")
    assert src.startswith("data:image/svg+xml")
    assert page.evaluate("document.getElementById('qr-image').naturalWidth") > 0  # the SVG drew
    context.close()
    assert not errors, errors


def test_the_local_stack_mails_a_visitor_each_step_in_their_language(stack):
    """After the code, the visitor is told by mail (the notification schedule of the running
    stack), in the language they filed in (the mails' bodies, internal notes left out, are
    tests/service/test_public_form_service.py's)."""
    import json
    import urllib.request

    from tests.browser.test_console import token

    def post(path, body, variable=None):
        headers = {"Content-Type": "application/json"}
        if variable:
            headers["Authorization"] = "Bearer " + token(stack, variable)
        req = urllib.request.Request(stack.url + path, method="POST", data=json.dumps(body).encode(), headers=headers)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    email = "told.visitor@example.hk"
    sub = post("/v1/public/properties/P1/submissions", {"email": email, "place": "B2 停車場", "lang": "zh-Hant",
                                                        "content": "閘機壞了，出不去", "category": "parking"})
    output = wait_for(stack, f"mail | sent → {email}")
    code = re.search(rf"mail \| sent → {re.escape(email)}\s+「(\d{{6}}) ", output).group(1)
    case_id = post(f"/v1/public/properties/P1/submissions/{sub['submission_id']}/verify", {"code": code})["case_id"]
    base = f"/v1/properties/P1/cases/{case_id}"
    post(base + "/assign", {"assignee": "dept_staff-1", "department": "engineering",
                            "note": "内部：访客情绪激动"}, "DESK")
    post(base + "/respond", {"message": "保安已到閘機，十分鐘內修好"}, "STAFF")
    output = wait_for(stack, f"mail | sent → {email}  「[{case_id}] 案件有了回覆」", timeout=90)
    assert f"mail | sent → {email}  「[{case_id}] 已轉交處理」" in output

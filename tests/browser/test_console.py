"""The staff console in real headless Chromium against the real local stack
(``python -m devstack``, as ``./dev run`` starts it)."""
from __future__ import annotations

import re
import time

import pytest

from tests.e2e.test_devstack import launch

XSS = "<script>window.__pwned=1</script>漏水"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("console-stack"))


def token(stack, variable: str) -> str:
    return re.search(rf"export {variable}=(\S+)", stack.output()).group(1)


def console_page(browser, stack, *, locale: str = "en-US", timezone_id: str = "UTC", lang: str = "en"):
    """A console page in ``lang`` for a fixture to yield; a script error or a dialog fails the test
    when the fixture ends (tests/browser/test_keys.py, test_logbook.py use it too)."""
    context = browser.new_context(locale=locale, timezone_id=timezone_id)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (errors.append("dialog: " + dialog.message), dialog.dismiss()))
    page.set_default_timeout(10_000)
    page.goto(stack.url + "/console")
    page.select_option("#lang", lang)
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def page(browser, stack):
    yield from console_page(browser, stack)


def sign_in(page, stack, variable: str, role: str) -> None:
    if page.locator("#signout").count():
        page.click("#signout")
        page.wait_for_selector("#signin-form")
    # The whole `export DESK=...` line as printed by the stack is accepted.
    page.fill("#token", f"export {variable}={token(stack, variable)}")
    page.click("#signin")
    page.wait_for_selector(f"#me-role[data-role={role}]")
    assert token(stack, variable) not in page.url  # the token never goes into the URL


def open_action(page, action: str) -> None:
    """Open an action's form on the case page: the next step is first (#next-step), every
    other action is behind the "More actions" disclosure (#more-actions)."""
    page.wait_for_selector(f"#action-{action}", state="attached")
    if page.locator(f"#next-step #action-{action}").count():
        page.click("#primary-action")  # the next step: its button opens its form
        return
    if page.locator(f"#more-actions #action-{action}").count() and not page.evaluate(
            "document.querySelector('#more-actions').open"):
        page.click("#more-actions > summary")
    page.click(f"#action-{action} summary")


def test_static_files_are_served_and_nothing_else(stack):
    import urllib.error
    import urllib.request
    with urllib.request.urlopen(stack.url + "/console", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/html") and b"/console/app.js" in r.read()
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    with urllib.request.urlopen(stack.url + "/console/app.js", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/javascript")
    for bad in ("/console/secret.py", "/console/..%2Froutes_console.py", "/console/%2E%2E%2Fapp.py"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(stack.url + bad, timeout=5)
        assert info.value.code in (403, 404), bad


def test_front_desk_logs_classifies_and_assigns_a_walk_in_case(page, stack):
    sign_in(page, stack, "DESK", "front_desk")
    page.click("#nav-log")
    page.wait_for_selector("#log-form")
    assert page.evaluate("document.activeElement.id") == "log-name"  # ready to type
    page.select_option("#log-channel", "walk_in")
    page.keyboard.type("周阿姨")
    page.fill("#log-phone", "13800001111")
    page.fill("#log-unit", "7栋301")
    page.select_option("#log-category", "cleaning")
    page.fill("#log-content", "楼道垃圾两天没人清理，气味很大。")
    page.press("#log-content", "Enter")  # Enter submits
    page.wait_for_selector("#case-id")
    case_id = page.text_content("#case-id")
    assert re.fullmatch(r"TD-\d{8}-\d{4,6}", case_id)
    assert page.get_attribute("#case-status", "data-status") == "received"

    open_action(page, "classify")
    page.select_option("#classify-kind", "complaint")
    page.select_option("#classify-validity", "valid")
    page.select_option("#classify-cause", "other")
    page.select_option("#classify-department", "cleaning")
    page.click("#submit-classify")
    page.wait_for_selector("#notice")
    assert page.text_content("[data-field=kind]") == "Complaint"  # the English word, not the code

    open_action(page, "assign")
    page.fill("#assign-assignee", "dept_staff-3")
    page.fill("#assign-note", "请今天处理")
    page.click("#submit-assign")
    page.wait_for_selector("#case-status[data-status=routed]")
    assert page.text_content("[data-field=assignee]") == "dept_staff-3"

    # Someone else changes the case meanwhile: the page's form (old version) gets the API's 409.
    status, _, _ = stack.call("POST", f"/v1/properties/P1/cases/{case_id}/notes", token(stack, "DESK"),
                              {"note": "另一位同事的备注"})
    assert status == 200
    open_action(page, "note")
    page.fill("#note-note", "我的备注")
    page.click("#submit-note")
    page.wait_for_selector("#form-note .form-error:has-text('409 version_conflict')")

    page.click("#nav-queue")
    row = page.wait_for_selector(f"#queue-rows tr[data-case-id='{case_id}']")
    assert "Handed off" in row.text_content()  # status routed, in English words
    assert page.locator("#queue-rows tr").count() >= 2


def test_the_manager_confirms_the_front_desks_invalid_before_the_desk_can_explain_it(page, stack):
    status, case, _ = stack.call("POST", "/v1/properties/P1/cases", token(stack, "DESK"), {
        "channel": "phone", "unit": "5栋101", "content": "小区外的市政道路施工太吵。",
        "reporter": {"name": "吴先生", "phone": "13900002222"}, "kind": "complaint", "validity": "invalid"})
    assert status == 201 and "explain" not in case["actions"], case
    open_case = f"location.hash = '#/case/{case['case_id']}'"

    sign_in(page, stack, "MANAGER", "manager")
    page.evaluate(open_case)
    page.wait_for_selector("#action-confirm_invalid", state="attached")
    assert page.locator("#action-reject_invalid").count() == 1 and page.locator("#action-explain").count() == 0
    assert page.text_content("[data-field=validity_confirmed]") == "no"
    open_action(page, "confirm_invalid")
    page.fill("#confirm_invalid-reason", "市政工程，不属物业服务范围")
    page.click("#submit-confirm_invalid")
    page.wait_for_selector("#notice")
    assert page.text_content("[data-field=validity_confirmed]") == "yes"
    assert page.locator("#action-confirm_invalid").count() == 0

    sign_in(page, stack, "DESK", "front_desk")
    page.evaluate(open_case)
    page.wait_for_selector("#action-explain", state="attached")
    open_action(page, "explain")
    page.fill("#explain-message", "吴先生您好，该路段施工由市政负责，我们已向街道反映。")
    page.click("#submit-explain")
    page.wait_for_selector("#case-status[data-status=closed]")


def written_case_with_a_draft(stack, case_body: dict, draft: dict) -> tuple[dict, dict]:
    """The front desk logs a written case; department staff draft its reply (over the API)."""
    status, case, _ = stack.call("POST", "/v1/properties/P1/cases", token(stack, "DESK"), case_body)
    assert status == 201, case
    status, reply, _ = stack.call("POST", f"/v1/properties/P1/cases/{case['case_id']}/replies",
                                  token(stack, "STAFF"), draft)
    assert status == 201, reply
    return case, reply


def test_manager_approves_a_written_reply_and_it_is_sent(page, stack):
    case, reply = written_case_with_a_draft(stack, {
        "channel": "email", "unit": "2栋702", "title": "来信：车库照明",
        "content": "车库B区照明坏了一周。", "reporter": {"name": "何先生", "email": "he.xiansheng@example.cn"},
        "department": "engineering"},
        {"subject": "车库照明已修复", "body": "何先生您好：B区照明已于今日修复。"})

    sign_in(page, stack, "MANAGER", "manager")
    page.click("#nav-approvals")
    item = page.wait_for_selector(f"li.reply[data-reply-id='{reply['reply_id']}']")
    assert item.query_selector(".reply-status").get_attribute("data-status") == "pending"
    item.query_selector("button.approve").click()
    page.wait_for_selector(f"li.reply[data-reply-id='{reply['reply_id']}'] .reply-status[data-status=sent]")
    assert page.text_content(f"li.reply[data-reply-id='{reply['reply_id']}'] .reply-status") == "sent"

    deadline = time.monotonic() + 10
    while "mail | sent → he.xiansheng@example.cn" not in stack.output() or "车库照明已修复" not in stack.output():
        assert time.monotonic() < deadline, stack.output()[-3000:]
        time.sleep(0.2)

    # The case page lists the reply as sent, too.
    page.click(f"li.reply[data-reply-id='{reply['reply_id']}'] a.case-link")
    page.wait_for_selector("#reply-list .reply-status[data-status=sent]")


def test_a_returned_draft_is_revised_by_its_author_and_approved(page, stack):
    case, reply = written_case_with_a_draft(stack, {
        "channel": "letter", "unit": "5栋301", "title": "来信：电梯异响",
        "content": "5栋电梯运行时有异响。", "reporter": {"name": "周女士", "phone": "13800000000"},
        "department": "engineering"},
        {"subject": "电梯异响", "body": "周女士您好：已安排检修。"})
    selector = f"li.reply[data-reply-id='{reply['reply_id']}']"

    sign_in(page, stack, "MANAGER", "manager")
    page.click("#nav-approvals")
    page.wait_for_selector(selector)
    page.fill(f"{selector} input.return-comment", "请写明检修时间")
    page.click(f"{selector} button.return")
    page.wait_for_selector(f"{selector} .reply-status[data-status=returned]")
    assert page.locator(f"{selector} .revise").count() == 0  # only the author revises

    sign_in(page, stack, "STAFF", "dept_staff")
    page.goto(f"{stack.url}/console#/case/{case['case_id']}")
    page.wait_for_selector(f"{selector} .reply-status[data-status=returned]")
    assert "请写明检修时间" in page.text_content(selector)
    assert page.input_value(f"{selector} .revise textarea[name=body]") == "周女士您好：已安排检修。"
    page.fill(f"{selector} .revise textarea[name=body]", "周女士您好：已安排明天上午10点检修。")
    page.click(f"{selector} button.resubmit")
    page.wait_for_selector(f"{selector} .reply-status[data-status=pending]")
    assert "明天上午10点" in page.text_content(selector) and "请写明检修时间" not in page.text_content(selector)

    sign_in(page, stack, "MANAGER", "manager")
    page.click("#nav-approvals")
    page.click(f"{selector} button.approve")
    page.wait_for_selector(f"{selector} .reply-status[data-status=approved]")  # a letter: approved, then posted


def test_quarantined_mail_is_listed_for_the_front_desk(page, stack, tmp_path):
    """A tenant says "I emailed you": the front desk finds the mail that never became a case."""
    import subprocess
    import sys
    from email.message import EmailMessage
    from pathlib import Path
    msg = EmailMessage()
    msg["From"] = "吳先生 <wu.xiansheng@example.cn>"
    msg["To"] = "service@riverside.example"
    msg["Subject"] = "停车场收费有误"
    msg.set_content("上月停车费多收了。", charset="utf-8")
    eml = tmp_path / "spam.eml"
    eml.write_bytes(msg.as_bytes())
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "devstack.mail", str(eml), "--spam", "FAIL"], cwd=root,
                          env=stack.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr

    sign_in(page, stack, "DESK", "front_desk")
    row = "tr.quarantined[data-reason=spam]"
    deadline = time.monotonic() + 15
    while True:  # the intake worker picks the mail up within a second or two
        page.click("#nav-quarantine")
        page.wait_for_selector("#quarantine-rows tr")
        if page.locator(row, has_text="停车场收费有误").count():
            break
        assert time.monotonic() < deadline, stack.output()[-3000:]
        time.sleep(0.5)
        page.goto(stack.url + "/console#/queue")
    text = page.text_content(row)
    assert "wu.xiansheng@example.cn" in text and "spam" in text

    assert page.locator("#unrouted").count() == 0  # mail for no property: admins only

    msg.replace_header("To", "servcie@riverside.example")  # a typo: no property's inbox
    msg.replace_header("Subject", "发票抬头写错了")
    eml.write_bytes(msg.as_bytes())
    done = subprocess.run([sys.executable, "-m", "devstack.mail", str(eml), "--to", "servcie@riverside.example"],
                          cwd=root, env=stack.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    sign_in(page, stack, "ADMIN", "admin")
    deadline = time.monotonic() + 15
    while True:
        page.goto(stack.url + "/console#/quarantine")
        page.wait_for_selector("#unrouted-rows tr")
        if page.locator("#unrouted-rows tr.quarantined[data-reason=unknown_recipient]",
                        has_text="发票抬头写错了").count():
            break
        assert time.monotonic() < deadline, stack.output()[-3000:]
        time.sleep(0.5)
        page.goto(stack.url + "/console#/queue")

    sign_in(page, stack, "STAFF", "dept_staff")  # department staff do not see the mailroom
    assert page.locator("#nav-quarantine").count() == 0


# A 1x1 PNG: what a stored photo looks like to the browser.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360"
                    "f8cfc0f01f0005000201e2f0a8fc0000000049454e44ae426082")


def _store_photo(stack, key: str) -> str:
    """Put a photo in the stack's storage (as the mail intake does) and return its reference."""
    import boto3
    aws = re.search(r"AWS \(moto\)\s+(http://\S+)", stack.output()).group(1)
    bucket = "tenantdesk-local-mail"
    s3 = boto3.client("s3", endpoint_url=aws, region_name="ap-southeast-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"})
    s3.put_object(Bucket=bucket, Key=key, Body=PNG, ContentType="image/png")
    return f"s3://{bucket}/{key}"


def test_a_tenants_script_is_shown_as_text(page, stack):
    photo = _store_photo(stack, "attachments/P1/browser-test/1-ceiling.png")
    status, refused, _ = stack.call("POST", "/v1/properties/P1/cases", token(stack, "TENANT"),
                                    {"unit": "3栋1201", "content": "漏水", "attachments": [
                                        {"ref": "https://photos.example/leak.jpg", "name": "leak.jpg"}]})
    assert status == 422 and refused["code"] == "attachment_not_stored"  # links are never accepted
    status, case, _ = stack.call("POST", "/v1/properties/P1/cases", token(stack, "TENANT"),
                                 {"unit": "3栋1201", "title": "<img src=x onerror=window.__pwned=2>", "content": XSS,
                                  "attachments": [{"ref": photo, "name": "<b>x</b>.png", "content_type": "image/png"}]})
    assert status == 201, case
    sign_in(page, stack, "DESK", "front_desk")
    page.wait_for_selector(f"#queue-rows tr[data-case-id='{case['case_id']}']")
    page.goto(f"{stack.url}/console#/case/{case['case_id']}")
    page.wait_for_selector("#case-content")
    assert page.text_content("#case-content") == XSS
    assert page.text_content("#case-title") == "<img src=x onerror=window.__pwned=2>"
    assert page.locator("#case-content script").count() == 0
    # A stored photo is listed by its name and loaded only when asked, through a short-lived URL.
    assert "<b>x</b>.png" in page.text_content("#attachments")
    assert page.locator("#attachments img").count() == 0
    page.click("#attachments .open-attachment")
    page.wait_for_selector("#attachments img")
    src = page.get_attribute("#attachments img", "src")
    assert "X-Amz-Signature=" in src and "/attachments/P1/browser-test/1-ceiling.png" in src
    page.wait_for_function("document.querySelector('#attachments img').naturalWidth === 1")  # the CSP let it load
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # On the timeline the photo is a thumbnail beside the sentence that brought it; its name is text.
    page.wait_for_function("document.querySelector('#timeline .ev-submitted img.thumb')?.naturalWidth === 1")
    assert page.get_attribute("#timeline .ev-submitted img.thumb", "alt") == "<b>x</b>.png"
    assert page.locator("#timeline b").count() == 0
    # Which staff text the tenant will read is labelled; the rest is marked internal.
    assert page.locator("#form-answer [data-visibility=tenant]").count() == 1
    assert page.locator("#form-assign [data-visibility=internal]").count() == 1
    assert page.locator("#form-assign [data-visibility=tenant]").count() == 0


def test_handover_dashboard_and_languages(page, stack):
    sign_in(page, stack, "DESK", "front_desk")
    page.click("#nav-handovers")
    page.click("#produce-handover")
    page.wait_for_selector("#handover-state")  # the logbook's own steps: tests/browser/test_logbook.py
    assert page.locator("#checklist tr").count() == 4

    page.click("#nav-dashboard")
    page.wait_for_selector("#monthly svg.chart")
    titles = page.locator("#daily svg.chart rect.bar title").all_text_contents()
    assert titles and all(":" in t for t in titles)  # the number on hover

    page.select_option("#lang", "zh-Hant")
    page.wait_for_selector("#nav-queue:has-text('待辦隊列')")
    assert page.evaluate("localStorage.getItem('td.lang')") == "zh-Hant"
    page.reload()
    page.wait_for_selector("#nav-queue:has-text('待辦隊列')")  # remembered; still signed in (sessionStorage)

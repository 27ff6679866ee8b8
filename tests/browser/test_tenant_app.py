"""The tenant app (/app) in real headless Chromium with phone emulation (an
iPhone-sized and an Android-sized device, touch), against the real local stack
(``python -m devstack``, as ``./dev run`` starts it): Cognito sign-in on moto,
photos resized on the device and uploaded by presigned POST, the staff's
answer, entry permission, the callback confirmed with a rating, a draft written
offline sent once; a shop tenant picks the shop from the archive, ticks
"affects my business" and answers the follow-up."""
from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, timedelta

import pytest

from tests.browser.test_console import token
from tests.e2e.test_devstack import launch

PASSWORD = "Tenantdesk-demo-2026!"
XSS = "<script>window.__pwned=1</script>"

# Device descriptors as Playwright's device list has them (sizes of an iPhone 13 and a Pixel 7).
IPHONE = {"viewport": {"width": 390, "height": 664}, "screen": {"width": 390, "height": 844},
          "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
          "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"}
ANDROID = {"viewport": {"width": 412, "height": 839}, "screen": {"width": 412, "height": 915},
           "device_scale_factor": 2.625, "is_mobile": True, "has_touch": True,
           "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/120.0.0.0 Mobile Safari/537.36"}
DEVICES = {"iphone": IPHONE, "android": ANDROID}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("app-stack"))


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    from PIL import Image
    path = tmp_path_factory.mktemp("photos") / "leak.png"
    Image.new("RGB", (2400, 1800), (90, 140, 200)).save(path)
    return path


def api(stack, method: str, path: str, variable: str, body=None, key: str | None = None):
    headers = {"Authorization": "Bearer " + token(stack, variable), "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    req = urllib.request.Request(stack.url + path, method=method, headers=headers,
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r) if r.status != 204 else None


def open_app(browser, stack, device: str, **options):
    context = browser.new_context(locale="en-US", timezone_id="Asia/Shanghai", **DEVICES[device], **options)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("dialog", lambda d: (problems.append("dialog: " + d.message), d.dismiss()))
    page.set_default_timeout(15_000)
    page.goto(stack.url + "/app")
    page.wait_for_selector("body[data-ready]")
    page.select_option("#lang", "en")
    return context, page, problems


def sign_in_with_password(page, email: str) -> None:
    page.wait_for_selector("#signin-form")
    page.fill("#signin-email", email)
    page.fill("#signin-password", PASSWORD)
    page.tap("#signin")
    page.wait_for_selector("#nav-new")


def sign_in_with_token(page, stack, variable: str) -> None:
    page.wait_for_selector("#token-form")
    page.fill("#token", f"export {variable}={token(stack, variable)}")
    page.tap("#use-token")
    page.wait_for_selector("#nav-new")


def new_case(page, *, title: str, content: str, category: str = "in_unit_repair", photo=None) -> None:
    page.tap("#nav-new")
    page.wait_for_selector("#case-form")
    page.tap(f"label:has(#cat-{category})")
    page.fill("#case-title", title)
    page.fill("#case-content", content)
    if photo:
        page.set_input_files("#photo-input", str(photo))
        page.wait_for_selector("#previews img")


def test_files_manifest_and_config_are_served_and_nothing_else(stack):
    import urllib.error
    with urllib.request.urlopen(stack.url + "/app/index.html", timeout=5) as r:
        csp = r.headers["Content-Security-Policy"]
        assert r.headers["Content-Type"].startswith("text/html") and b"/app/app.js" in r.read()
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    config = json.load(urllib.request.urlopen(stack.url + "/app/config.json", timeout=5))
    assert config["mode"] == "password" and config["client_id"] and config["developer_token"] is True
    moto = re.match(r"https?://[^/]+", config["endpoint"]).group(0)
    assert moto in csp.split("connect-src")[1].split(";")[0]  # the app may reach the pool's endpoint
    with urllib.request.urlopen(stack.url + "/app/sw.js", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/javascript")
        assert r.headers["Service-Worker-Allowed"] == "/app/"
    manifest = json.load(urllib.request.urlopen(stack.url + "/app/manifest.webmanifest", timeout=5))
    assert manifest["scope"] == "/app/" and manifest["display"] == "standalone" and manifest["icons"]
    for bad in ("/app/secret.py", "/app/..%2Froutes_app.py", "/app/%2E%2E%2Fapp.py"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(stack.url + bad, timeout=5)
        assert info.value.code in (403, 404), bad


@pytest.mark.parametrize("device,email,variable", [("iphone", "li.nvshi@example.cn", "TENANT"),
                                                    ("android", "james.carter@example.com", None)])
def test_report_with_a_photo_see_the_answer_grant_entry_and_rate(browser, stack, photo, device, email, variable):
    context, page, problems = open_app(browser, stack, device)
    try:
        sign_in_with_password(page, email)
        new_case(page, title=f"Bathroom ceiling leaks ({device})", content="Water drips from the ceiling.",
                 photo=photo)
        if page.locator("#case-unit").is_visible():
            assert page.input_value("#case-unit")  # not in the archive: prefilled from the tenant record
        else:
            assert page.input_value("#case-place")  # their own unit from the archive, chosen already
        preview = page.locator("#previews img").first
        assert (preview.get_attribute("data-width"), preview.get_attribute("data-height")) == ("1600", "1200")
        page.tap("#case-submit")
        page.wait_for_selector("#timeline .ev-submitted")
        case_id = page.text_content("#page-title")
        assert re.fullmatch(r"TD-\d{8}-\d{4,6}", case_id)
        page.wait_for_selector("#timeline img.photo[src]")  # the photo, through its presigned URL
        case = f"/v1/properties/P1/cases/{case_id}"
        submitted = api(stack, "GET", case + "/timeline", "DESK")["items"][0]
        assert submitted["data"]["attachments"][0]["content_type"] == "image/jpeg"
        # the staff answer and ask when they may come in
        api(stack, "POST", case + "/respond", "DESK", {"message": "We will check the pipes upstairs.", "via": "app"})
        api(stack, "POST", case + "/await-tenant", "DESK", {"reason": "access", "message": "When may we come in?"})
        page.reload()
        page.wait_for_selector("#question")
        assert page.text_content("#question") == "When may we come in?"
        assert "We will check the pipes upstairs." in page.text_content("#timeline")
        tomorrow = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%d")
        page.tap("#entry-yes")
        page.fill("#slot-from-0", f"{tomorrow}T14:00")
        page.fill("#slot-to-0", f"{tomorrow}T17:00")
        page.fill("#entry-note", "Cat at home")
        page.tap("#entry-save")
        page.wait_for_selector("#timeline .ev-entry_permission")
        page.fill("#message-text", "Tomorrow afternoon is fine.")
        page.tap("#message-send")
        page.wait_for_selector("#timeline .ev-message")
        staff_view = api(stack, "GET", case, "DESK")
        assert staff_view["entry_permission"]["granted"] is True
        assert staff_view["entry_permission"]["slots"][0]["from"].startswith(f"{tomorrow}T14:00")
        if staff_view["status"] == "awaiting_tenant":
            api(stack, "POST", case + "/resume", "DESK", {})
        api(stack, "POST", case + "/resolve", "DESK", {"resolution": "Pipe joint replaced upstairs."})
        page.reload()
        # the follow-up callback, answered in the app, with the rating
        page.wait_for_selector("#confirm-form")
        assert page.locator("#rate-form").count() == 0
        page.tap("label:has(#confirm-yes)")
        page.tap("label:has(#confirm-score-5)")
        page.fill("#confirm-comment", "Quick and tidy.")
        page.tap("#confirm-send")
        page.wait_for_selector("#rating")
        assert "5" in page.text_content("#rating") and "Satisfied" in page.text_content("#callback-answer")
        staff_view = api(stack, "GET", case, "DESK")
        assert staff_view["rating"]["score"] == 5 and staff_view["status"] == "callback_done"
        assert staff_view["callback"]["by_tenant"] is True and staff_view["callback"]["satisfied"] is True
        # the list shows it with its status
        page.tap("#nav-cases")
        page.wait_for_selector(f"li[data-case='{case_id}'] .status[data-status=callback_done]")
    finally:
        context.close()
    assert not problems, problems


def _count(stack, title: str) -> int:
    return sum(c["title"] == title for c in api(stack, "GET", "/v1/me/cases?limit=100", "TENANT")["items"])


def test_a_case_written_offline_is_sent_once_when_the_network_returns(browser, stack):
    context, page, problems = open_app(browser, stack, "android")
    title = "Corridor light broken (offline)"
    try:
        sign_in_with_token(page, stack, "TENANT")
        assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()  # now controlled by the service worker, which holds the shell
        page.wait_for_selector("#nav-new")
        assert page.evaluate("navigator.serviceWorker.controller !== null")
        context.set_offline(True)
        new_case(page, title=title, content="The light outside 1201 is off for two days.", category="public_facility")
        page.tap("#case-submit")
        page.wait_for_selector("#draft-saved")
        page.reload()  # the shell still opens offline
        page.wait_for_selector("#nav-new")
        assert _count(stack, title) == 0
        context.set_offline(False)  # "online": the page sends the draft with the key it was written with
        page.wait_for_selector("#status:has-text('TD-')")
        page.tap("#nav-cases")
        page.wait_for_selector("#case-list")
        assert page.locator("#drafts").count() == 0
        assert _count(stack, title) == 1
    finally:
        context.close()
    assert not problems, [p for p in problems if "ERR_INTERNET_DISCONNECTED" not in p]


def test_a_lost_answer_is_retried_with_the_same_key_and_makes_one_case(browser, stack):
    # The first submission reaches the API, its answer is lost on the way back: the app keeps the
    # draft and sends it again with the same Idempotency-Key; the API replays, no second case.
    context, page, problems = open_app(browser, stack, "iphone", service_workers="block")
    title = "Parcel room door jammed"
    keys: list[str] = []

    def lose_first_answer(route):
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the case is made...
            route.abort("connectionreset")  # ...and the answer never arrives
        else:
            route.continue_()

    try:
        sign_in_with_token(page, stack, "TENANT")
        page.route("**/v1/properties/P1/cases", lose_first_answer)
        new_case(page, title=title, content="The parcel room door does not open.", category="mail_parcel")
        page.tap("#case-submit")
        page.wait_for_selector("#draft-saved")
        page.reload()  # the next start sends waiting drafts
        page.wait_for_selector("#status:has-text('TD-')")
        assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
        assert _count(stack, title) == 1
    finally:
        context.close()
    assert not [p for p in problems if "ERR_CONNECTION_RESET" not in p], problems


def test_script_in_every_field_stays_text(browser, stack):
    context, page, problems = open_app(browser, stack, "android")
    try:
        sign_in_with_token(page, stack, "TENANT")
        new_case(page, title=XSS + "title", content=XSS + "content")
        page.select_option("#case-place", "")  # somewhere else: typed
        page.fill("#case-unit", XSS + "unit")
        page.tap("#case-submit")
        page.wait_for_selector("#timeline .ev-submitted")
        case = f"/v1/properties/P1/cases/{page.text_content('#page-title')}"
        api(stack, "POST", case + "/respond", "DESK", {"message": XSS + "answer", "via": "app"})
        api(stack, "POST", case + "/await-tenant", "DESK", {"reason": "question", "message": XSS + "question"})
        page.reload()
        page.wait_for_selector("#question")
        assert page.text_content("#case-title") == XSS + "title"
        assert page.text_content("#question") == XSS + "question"
        timeline = page.text_content("#timeline")
        assert XSS + "content" in timeline and XSS + "answer" in timeline
        page.tap("#nav-cases")
        page.wait_for_selector("#case-list")
        assert XSS + "title" in page.text_content("#case-list")
        page.tap("#nav-notifications")
        page.wait_for_selector("#feed")
        assert XSS + "question" in page.text_content("#feed")
        assert page.evaluate("window.__pwned") is None
        assert page.locator("main script").count() == 0
    finally:
        context.close()
    assert not problems, problems


def test_settings_save_channels_quiet_hours_and_language(browser, stack):
    context, page, problems = open_app(browser, stack, "iphone")
    try:
        sign_in_with_token(page, stack, "TENANT")
        page.tap("#nav-settings")
        page.wait_for_selector("#settings-form")
        page.tap("#ch-email")  # off
        page.tap("#quiet-on")
        page.fill("#quiet-from", "22:30")
        page.fill("#quiet-to", "07:00")
        page.select_option("#pref-lang", "zh-Hant")
        page.tap("#settings-save")
        page.wait_for_selector("#settings-status:has-text('已儲存')")
        prefs = api(stack, "GET", "/v1/me/preferences", "TENANT")
        assert prefs["channels"]["email"] is False and prefs["quiet_hours"] == {"from": "22:30", "to": "07:00"}
        assert prefs["lang"] == "zh-Hant" and page.text_content("#nav-cases") == "我的個案"
        api(stack, "PUT", "/v1/me/preferences", "TENANT", {"channels": {"email": True}, "quiet_hours": None,
                                                           "lang": None})
    finally:
        context.close()
    assert not problems, problems


@pytest.mark.parametrize("device", ["iphone", "android"])
def test_a_shop_tenant_picks_the_shop_ticks_business_and_confirms_the_callback(browser, stack, device):
    """黃小姐 keeps a tea restaurant in the mall (P2, linked in the archive): her shop's kitchen
    comes from the list, "affects my business" is on the case, and she answers the follow-up."""
    context, page, problems = open_app(browser, stack, device)
    title = f"Kitchen exhaust fan stopped ({device})"
    try:
        sign_in_with_password(page, "wong.shop@example.com.hk")
        new_case(page, title=title, content="The exhaust fan stopped during lunch service.",
                 category="public_facility")
        assert not page.locator("#case-unit").is_visible()  # her own shop is chosen: no typing
        kitchen = page.locator("#case-place option", has_text="廚房").get_attribute("value")
        page.select_option("#case-place", kitchen)
        page.tap("label:has(#case-business)")
        page.tap("#case-submit")
        page.wait_for_selector("#timeline .ev-submitted")
        assert page.text_content("#business-flag") == "Affects business"
        assert "黃記茶餐廳 廚房" in page.text_content("#case-place")
        assert "null" not in page.text_content("main")  # absent parts (no promise yet) are not drawn
        case_id = page.text_content("#page-title")
        case = f"/v1/properties/P2/cases/{case_id}"
        staff = api(stack, "GET", case, "ADMIN")
        assert staff["business_affected"] is True
        assert (staff["location"]["unit_id"], staff["location"]["room_id"]) == ("L2-15", "kitchen")
        classified = api(stack, "POST", case + "/classify", "ADMIN", {"kind": "complaint", "validity": "valid"})
        assert classified["cause"] == "business_affected"  # the 1-hour reply window applies
        api(stack, "POST", case + "/resolve", "ADMIN", {"resolution": "Fan motor replaced."})
        page.reload()
        page.wait_for_selector("#confirm-form")
        page.tap("label:has(#confirm-no)")
        page.fill("#confirm-comment", "Still noisy.")
        page.tap("#confirm-send")
        page.wait_for_selector("#callback-answer")
        assert "Not satisfied" in page.text_content("#callback-answer")
        assert page.locator("#confirm-form").count() == 0
        staff = api(stack, "GET", case, "ADMIN")
        assert staff["status"] == "callback_done" and staff["callback"]["satisfied"] is False
        assert staff["deadlines"]["callback"]["met_at"]
        assert "confirm" in [e["action"] for e in staff["timeline"]]
    finally:
        context.close()
    assert not problems, problems

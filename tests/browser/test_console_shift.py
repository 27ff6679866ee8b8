"""The console as staff use it all day (issue 19): the timeline as sentences in three
languages for every event type, the grouped case page, the next step per status first,
keyboard shortcuts, the queue's unread and waiting marks at desk and tablet widths,
and Chinese that renders with real glyphs (fonts-noto-cjk, installed by ./dev test)."""
from __future__ import annotations

import re
import uuid

import pytest

from chalicelib.domain.views import event_view
from tests.browser.test_console import console_page, sign_in, token
from tests.domain.test_duplicates import dedupe_events
from tests.domain.test_tenant_view import trails
from tests.domain.test_timeline_sentences import event_types
from tests.e2e.test_devstack import launch
from tests.needs import cjk_font

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("console-shift-stack"))


@pytest.fixture
def page(browser, stack):
    yield from console_page(browser, stack)


def _events() -> list[dict]:
    """One real staff view of every event type the domain records (the walk of test_tenant_view)."""
    seen: dict[str, dict] = {}
    for event in [e for trail in trails() for e in trail.events] + dedupe_events():
        view = event_view(event, staff=True)
        view["data"] = {k: v for k, v in (view["data"] or {}).items() if k != "attachments"}
        seen.setdefault(event.action, view)
    return list(seen.values())


RENDER = """async ({events, lang}) => {
  const i18n = await import("/console/i18n.js");
  const tl = await import("/console/timeline.js");
  const before = i18n.getLang();
  i18n.setLang(lang);
  const node = tl.timelineNode({ case_id: "TD-20261129-0001", tier: "manager", timeline: events });
  i18n.setLang(before);
  return [...node.querySelectorAll("li.tl-event")].map((li) => ({ action: li.dataset.action,
    sentence: li.querySelector(".tl-sentence").textContent, line: li.querySelector(".tl-line").textContent,
    tenant: li.dataset.tenant }));
}"""


def test_every_event_type_reads_as_a_sentence_in_all_three_languages(page):
    events = _events()
    assert {e["action"] for e in events} >= event_types()
    page.wait_for_selector("#signin-form")
    rendered = {lang: {r["action"]: r for r in page.evaluate(RENDER, {"events": events, "lang": lang})}
                for lang in ("en", "zh-Hans", "zh-Hant")}
    for kind in sorted(event_types()):
        en, hans, hant = (rendered[lang][kind]["sentence"] for lang in ("en", "zh-Hans", "zh-Hant"))
        for lang, text in (("en", en), ("zh-Hans", hans), ("zh-Hant", hant)):
            assert text.strip() and "{" not in text and "tl." not in text and text != kind, (lang, kind, text)
        assert CJK.search(hans) and CJK.search(hant), (kind, hans, hant)
        assert en != hans and re.search(r"[a-z]{3}", en), (kind, en)  # English words around the values
    # Simplified and Traditional are two languages, not one table.
    sentences = {lang: [r["sentence"] for r in rendered[lang].values()] for lang in ("zh-Hans", "zh-Hant")}
    assert sentences["zh-Hans"] != sentences["zh-Hant"]
    # What the tenant reads is marked; internal events are not.
    assert rendered["en"]["respond"]["tenant"] == "yes" and rendered["en"]["note"]["tenant"] == "no"


def test_an_automatic_escalation_reads_with_local_time_and_a_human_duration(page):
    escalate = {"seq": 4, "at": "2026-11-29T10:39:00Z", "action": "escalate", "tenant_sees": None,
                "actor": {"id": "watcher", "role": "system", "name": "Deadline watcher"},
                "data": {"reason": "missed_deadline", "deadline": "handoff", "due": "2026-11-29T07:49:00Z",
                         "automatic": True},
                "changes": {"tier": {"from": "front_desk", "to": "manager"}}}
    page.wait_for_selector("#signin-form")
    lines = {lang: page.evaluate(RENDER, {"events": [escalate], "lang": lang})[0]["line"].strip()
             for lang in ("zh-Hans", "zh-Hant", "en")}
    # 10:39 UTC is 18:39 in the property's time zone (Asia/Shanghai); due 2 h 50 min earlier.
    assert lines["zh-Hans"] == "18:39 系统：移交已超时 2 小时 50 分，升级至经理"
    assert lines["zh-Hant"] == "18:39 系統：轉交已逾時 2 小時 50 分，升級至經理"
    assert lines["en"] == "18:39 System: hand-off overdue by 2 h 50 min, escalated to manager"


def _new_case(stack, **extra) -> dict:
    status, case, _ = stack.call("POST", "/v1/properties/P1/cases", token(stack, "DESK"), {
        "channel": "phone", "unit": "9栋902", "content": "电梯按钮失灵，请尽快维修。",
        "reporter": {"name": "钱先生", "phone": "13900002222"}, **extra}, {"Idempotency-Key": str(uuid.uuid4())})
    assert status == 201, case
    return case


def _act(stack, who: str, case_id: str, segment: str, body: dict) -> dict:
    status, out, _ = stack.call("POST", f"/v1/properties/P1/cases/{case_id}/{segment}", token(stack, who), body)
    assert status == 200, (segment, out)
    return out


def _primary(page, stack, case_id: str) -> str | None:
    page.goto(f"{stack.url}/console#/queue")  # the same hash again would not reload the case
    page.wait_for_selector("#queue-rows")
    page.goto(f"{stack.url}/console#/case/{case_id}")
    page.wait_for_selector(f"#case-id:has-text('{case_id}')")
    page.wait_for_selector("#actions-card")
    if page.locator("#primary-action").count() == 0:
        return None
    return page.get_attribute("#primary-action", "data-action")


def test_the_case_page_groups_fields_and_puts_the_next_step_first(page, stack):
    case = _new_case(stack)
    cid = case["case_id"]
    sign_in(page, stack, "MANAGER", "manager")
    assert _primary(page, stack, cid) == "classify"
    # Groups, each with its heading; empty fields are not listed at all.
    groups = page.locator("#case-fields [data-group]").evaluate_all("(gs) => gs.map((g) => g.dataset.group)")
    assert groups[:2] == ["g_reporter", "g_location"] and "g_classification" in groups and "g_record" in groups
    assert "钱先生" in page.text_content("[data-group=g_reporter] [data-field=reporter]")
    assert page.locator("#case-fields [data-field=assignee]").count() == 0  # nobody yet: not shown
    assert page.locator("#case-fields [data-field=rating]").count() == 0
    assert "—" not in page.text_content("#case-fields")
    # The other actions wait behind the disclosure.
    assert not page.is_visible("#action-escalate")
    page.click("#more-actions > summary")
    assert page.is_visible("#action-escalate")

    _act(stack, "DESK", cid, "classify", {"kind": "complaint", "validity": "valid", "category": "public_facility",
                                          "department": "engineering"})
    assert _primary(page, stack, cid) == "assign"
    assert page.text_content("[data-group=g_classification] [data-field=category]") == "Public facilities"
    _act(stack, "DESK", cid, "assign", {"assignee": "manager-1", "department": "engineering"})
    assert _primary(page, stack, cid) == "start"  # routed: accept the work
    _act(stack, "MANAGER", cid, "start", {})
    assert _primary(page, stack, cid) == "respond"  # in progress: tell the tenant
    _act(stack, "MANAGER", cid, "respond", {"message": "明天上午维修。", "via": "phone"})
    assert _primary(page, stack, cid) == "resolve"
    _act(stack, "MANAGER", cid, "resolve", {"resolution": "已更换按钮面板。"})
    assert _primary(page, stack, cid) == "callback"
    _act(stack, "MANAGER", cid, "callback", {"reached": True, "satisfied": True})
    assert _primary(page, stack, cid) == "close"
    _act(stack, "MANAGER", cid, "close", {"summary": "完成"})
    assert _primary(page, stack, cid) is None
    assert page.is_visible("#no-next-step")
    # The whole procedure, as sentences (English here), the tenant-visible parts marked.
    timeline = page.locator("#timeline .tl-event .tl-sentence").all_text_contents()
    assert "classified: Complaint, Valid, Public facilities, engineering" in timeline
    assert any(s.startswith("replied to the tenant by phone, promised by ") for s in timeline), timeline
    assert "closed the case" in timeline
    respond = page.locator("#timeline .ev-respond")
    assert respond.locator(".tl-text [data-visibility=tenant]").count() == 1
    assert "明天上午维修。" in respond.text_content()


def test_keyboard_shortcuts_open_actions_but_not_while_typing(page, stack):
    case = _new_case(stack)
    sign_in(page, stack, "DESK", "front_desk")
    page.goto(f"{stack.url}/console#/case/{case['case_id']}")
    page.wait_for_selector("#primary-action[data-action=classify]")
    page.click("h1")  # the focus on the page, not in a field
    page.keyboard.press("?")
    assert page.is_visible("#shortcuts")
    assert page.text_content("#shortcuts [data-shortcut=n]") == "Next step"
    assert page.text_content("#shortcuts [data-shortcut=m]") == "Internal note"
    page.keyboard.press("Escape")
    assert not page.is_visible("#shortcuts")
    page.keyboard.press("n")  # the next step: classify
    assert page.evaluate("document.getElementById('action-classify').open")
    assert page.evaluate("document.activeElement.id") == "classify-kind"
    page.keyboard.press("Escape")
    page.click("h1")
    page.keyboard.press("m")  # internal note, from behind "More actions"
    assert page.evaluate("document.getElementById('more-actions').open")
    assert page.evaluate("document.activeElement.id") == "note-note"
    page.keyboard.type("a memo: classify me")  # letters typed in a field are text, not shortcuts
    assert page.input_value("#note-note") == "a memo: classify me"
    assert not page.evaluate("document.getElementById('action-escalate').open")
    assert not page.is_visible("#shortcuts")


LONG_TITLE = "地下车库B2层东侧出入口的自动道闸连续三天在早高峰时段无法识别业主车牌导致排队" * 2


@pytest.mark.parametrize("width", [1280, 1024, 800])
def test_the_queue_marks_unread_and_waiting_and_fits_desk_and_tablet(browser, stack, width):
    tenant_case = stack.call("POST", "/v1/properties/P1/cases", token(stack, "TENANT"),
                             {"unit": "3栋1201", "title": LONG_TITLE, "content": "道闸坏了"})[1]
    cid = tenant_case["case_id"]
    status, _, _ = stack.call("POST", f"/v1/properties/P1/cases/{cid}/messages", token(stack, "TENANT"),
                              {"text": "今天早上还是不行"})
    assert status in (200, 201)
    waiting = _new_case(stack, title=f"等待业主 {width}")
    _act(stack, "DESK", waiting["case_id"], "assign", {"assignee": "manager-1", "department": "engineering"})
    _act(stack, "MANAGER", waiting["case_id"], "start", {})
    _act(stack, "MANAGER", waiting["case_id"], "await-tenant",
         {"reason": "access", "message": "请告知方便入户的时间"})
    context = browser.new_context(locale="en-US", timezone_id="UTC", viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(stack.url + "/console")
        page.select_option("#lang", "en")
        sign_in(page, stack, "DESK", "front_desk")
        row = page.wait_for_selector(f"#queue-rows tr[data-case-id='{cid}']")
        assert "unread" in row.get_attribute("class")
        assert "1 unread from the tenant" in row.text_content()
        wrow = page.wait_for_selector(f"#queue-rows tr[data-case-id='{waiting['case_id']}']")
        assert "waiting on tenant" in wrow.text_content()
        # The long title wraps inside its cell; the page never scrolls sideways.
        title = page.locator(f"#queue-rows tr[data-case-id='{cid}'] td.col-title .title-text")
        box = title.bounding_box()
        assert box["height"] > 30 and box["x"] + box["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        # The case id and the countdown stay on one line each.
        link = page.locator(f"#queue-rows tr[data-case-id='{cid}'] td.col-case a").bounding_box()
        assert link["height"] < 24
    finally:
        context.close()


# A glyph no font has (a private-use code point): what a missing glyph looks like.
MISSING = "\U0010fffd"
GLYPHS = """([texts, missing]) => {
  const el = document.querySelector("#nav-queue") || document.body;
  const font = getComputedStyle(el).font.replace(/\\d+px/, "32px");
  const canvas = document.createElement("canvas"); canvas.width = 40; canvas.height = 40;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const draw = (ch) => { ctx.clearRect(0, 0, 40, 40); ctx.font = font; ctx.fillStyle = "#000"; ctx.textBaseline = "top";
    ctx.fillText(ch, 2, 2); return Array.from(ctx.getImageData(0, 0, 40, 40).data).join(","); };
  const tofu = draw(missing);
  const out = [];
  for (const text of texts) for (const ch of text) {
    if (!/[\\u4e00-\\u9fff]/.test(ch)) continue;
    out.push({ ch, tofu: draw(ch) === tofu, blank: !/[1-9]/.test(draw(ch)) });
  }
  const first = texts.join("").match(/[\\u4e00-\\u9fff]/g) || [];
  return { glyphs: out, distinct: new Set(first.map(draw)).size, count: new Set(first).size };
}"""


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
def test_chinese_labels_render_with_real_glyphs(browser, stack, lang):
    """No CJK font (no fonts-noto-cjk): every Chinese character draws as the same empty box."""
    cjk_font()  # none installed at all: skipped outside CI with the fix, failed in CI
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        page.goto(stack.url + "/console")
        page.select_option("#lang", lang)
        sign_in(page, stack, "DESK", "front_desk")
        page.wait_for_selector("#queue-rows tr")
        labels = [page.text_content("#nav-queue"), page.text_content("#queue thead"), page.text_content("#me-role")]
        result = page.evaluate(GLYPHS, [labels, MISSING])
        assert result["glyphs"], labels
        missing = [g["ch"] for g in result["glyphs"] if g["tofu"] or g["blank"]]
        assert not missing, f"Chinese renders as missing glyphs ({''.join(missing)}): install fonts-noto-cjk"
        assert result["distinct"] == result["count"]  # distinct characters, distinct shapes
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 800])
def test_the_case_page_fits_desk_and_tablet_with_the_next_step_in_view(browser, stack, width):
    case = _new_case(stack, title="平板上看案件")
    context = browser.new_context(locale="en-US", timezone_id="UTC", viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(stack.url + "/console")
        page.select_option("#lang", "en")
        sign_in(page, stack, "DESK", "front_desk")
        page.goto(f"{stack.url}/console#/case/{case['case_id']}")
        page.wait_for_selector("#primary-action[data-action=classify]")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        button = page.locator("#primary-action").bounding_box()
        assert button["y"] + button["height"] < 900  # on the first screen, desk or tablet
    finally:
        context.close()

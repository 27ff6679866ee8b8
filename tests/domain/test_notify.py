"""Being told: which events notify the tenant, in which words, and when a
delivery may go. The rule agrees with the tenant's view: every case action of
the lifecycle walk (tests/domain/test_tenant_view.py) is turned into its
notification, and none says anything the tenant's timeline does not."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import cases, notify, views
from chalicelib.domain.cases import Change
from chalicelib.domain.errors import ValidationFailed
from tests.domain.test_tenant_view import DESK, ENGINEER, TENANT, Trail, trails

TZ = "Asia/Shanghai"


def notifications_of(trail: Trail) -> list[tuple[cases.Event, notify.Notification | None]]:
    return [(e, notify.for_change(Change(trail.case, e))) for e in trail.events]


def all_notifications():
    return [(e, n) for t in trails() for e, n in notifications_of(t)]


def test_every_notifying_action_is_one_the_tenant_sees_with_only_visible_fields():
    for action, (kind, fields) in notify.NOTIFY.items():
        assert action in views.TENANT_EVENT_DATA, action
        assert fields <= views.TENANT_EVENT_DATA[action], action
        assert kind in notify.KINDS
    internal = set(cases.ALLOWED_FROM) - set(views.TENANT_EVENT_DATA) - {"submitted"}
    assert not internal & set(notify.NOTIFY)


def test_which_events_notify_the_tenant():
    told = {e.action for e, n in all_notifications() if n is not None}
    assert told == {"submitted", "assign", "respond", "resolve", "callback", "reopen", "written_reply", "close",
                    "answer", "explain", "move_promise", "await_tenant", "close_unreachable"}
    for event, n in all_notifications():
        if event.action in ("note", "classify", "escalate", "start", "staff_read", "policy_changed", "message",
                            "rate") or event.action.startswith(("escalation_", "watch_")):
            assert n is None, event.action
        if event.actor.role == "tenant" and event.action != "submitted":
            assert n is None, event.action  # never told of their own message, rating or reopening


@pytest.mark.parametrize("lang", cases.LANGS)
def test_no_notification_text_holds_anything_internal_in_any_language(lang):
    seen = []
    for _event, n in all_notifications():
        if n is None:
            continue
        text = notify.render(n, lang, TZ)
        blob = json.dumps({**text, **n.to_dict()}, ensure_ascii=False)
        assert "INTERNAL" not in blob, blob
        seen.append(text["body"])
    joined = " ".join(seen)
    for marker in ("FOR-TENANT-respond", "FOR-TENANT-resolve", "FOR-TENANT-answer", "FOR-TENANT-explain",
                   "FOR-TENANT-move", "FOR-TENANT-question", "FOR-TENANT-subject"):
        assert marker in joined, marker


def test_the_words_in_three_languages_with_the_promise_in_property_time():
    trail = (Trail(TENANT, {"unit": "3栋1201", "content": "卫生间漏水", "lang": "zh-Hant"})
             .act("classify", DESK, kind="complaint", validity="valid", cause="equipment_facility")
             .act("assign", DESK, assignee="dept_staff-1", department="engineering")
             .act("respond", ENGINEER, message="師傅明天上門", via="app",
                  promised_by="2026-11-24T18:00:00+08:00"))
    n = notify.for_change(Change(trail.case, trail.events[-1]))
    assert n is not None and n.kind == "responded" and n.lang == "zh-Hant"
    assert n.params == {"message": "師傅明天上門", "promised_by": "2026-11-24T10:00:00.000000Z"}
    assert notify.render(n, "zh-Hans", TZ) == {"title": "案件有了回复",
                                               "body": "案件 TD-20261123-0001：師傅明天上門（预计 2026-11-24 18:00 前解决）"}
    assert notify.render(n, "zh-Hant", "Asia/Hong_Kong")["body"].endswith("（預計 2026-11-24 18:00 前解決）")
    assert notify.render(n, "en", TZ) == {"title": "A reply on your case",
                                          "body": "Case TD-20261123-0001: 師傅明天上門 (expected by 2026-11-24 18:00)"}
    first = notify.for_change(Change(trail.case, trail.events[0]))
    assert first is not None and notify.render(first, "en", TZ)["title"] == "We received your case"
    assert notify.pick_lang(None, "zh-Hant") == "zh-Hant" and notify.pick_lang("xx", None) == "zh-Hans"


def test_a_case_without_a_tenant_notifies_nobody():
    walk_in = Trail(DESK, {"channel": "walk_in", "unit": "大堂", "content": "访客投诉", "reporter": {
        "name": "访客", "phone": "138"}}).act("assign", DESK, assignee="x", department="engineering")
    assert [notify.for_change(Change(walk_in.case, e)) for e in walk_in.events] == [None, None]


def test_already_mailed_events_are_not_mailed_again():
    n = notify.Notification("t", "P1", "TD-1", 1, datetime(2026, 1, 1, tzinfo=timezone.utc), "received",
                            {"channel": "email"}, "en")
    assert notify.already_mailed(n)
    assert not notify.already_mailed(notify.Notification(**{**n.__dict__, "params": {"channel": "app"}}))


# --- quiet hours ---------------------------------------------------------------------

def at(hh: int, mm: int = 0, day: int = 23) -> datetime:
    """Shanghai wall time on 2026-11-<day>, as UTC."""
    return datetime(2026, 11, day, hh, mm, tzinfo=ZoneInfo(TZ)).astimezone(timezone.utc)


NIGHT = notify.Preferences.from_dict({"quiet_hours": {"from": "22:00", "to": "07:00"}})
LUNCH = notify.Preferences.from_dict({"quiet_hours": {"from": "12:00", "to": "13:30"}})


def test_quiet_hours_across_midnight_wait_until_the_morning():
    assert notify.deliver_at(at(23, 15), NIGHT, TZ) == at(7, 0, day=24)
    assert notify.deliver_at(at(3, 0), NIGHT, TZ) == at(7, 0)
    assert notify.deliver_at(at(22, 0), NIGHT, TZ) == at(7, 0, day=24)
    assert notify.deliver_at(at(7, 0), NIGHT, TZ) == at(7, 0)  # the end is not quiet
    assert notify.deliver_at(at(21, 59), NIGHT, TZ) == at(21, 59)


def test_quiet_hours_within_a_day_and_in_the_propertys_zone():
    assert notify.deliver_at(at(12, 30), LUNCH, TZ) == at(13, 30)
    assert notify.deliver_at(at(14, 0), LUNCH, TZ) == at(14, 0)
    # 12:30 in Shanghai is 05:30 in London: not quiet there
    assert notify.deliver_at(at(12, 30), LUNCH, "Europe/London") == at(12, 30)
    assert notify.deliver_at(at(12, 30), notify.Preferences(), TZ) == at(12, 30)


def test_preferences_are_validated():
    prefs = notify.Preferences.from_dict({"channels": {"email": False}, "lang": "en"})
    assert prefs.to_dict() == {"channels": {"push": True, "webpush": True, "email": False}, "quiet_hours": None,
                               "lang": "en"}
    for bad in ({"quiet_hours": {"from": "25:00", "to": "07:00"}}, {"quiet_hours": {"from": "07:00", "to": "07:00"}},
                {"lang": "fr"}):
        with pytest.raises(ValidationFailed):
            notify.Preferences.from_dict(bad)


# --- Web Push endpoints ----------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://fcm.googleapis.com/fcm/send/abc",
                                 "https://updates.push.services.mozilla.com/wpush/v2/x",
                                 "https://web.push.apple.com/QK", "https://db5p.notify.windows.com/w/?token=1"])
def test_known_push_services_over_https_are_accepted(url):
    assert notify.check_push_endpoint(url, allow_local=False) == url


@pytest.mark.parametrize("url", ["http://fcm.googleapis.com/fcm/send/abc", "https://169.254.169.254/latest/meta-data",
                                 "https://evil.example/fcm.googleapis.com", "https://fcm.googleapis.com.evil.example/x",
                                 "https://user:pw@fcm.googleapis.com/x", "https://fcm.googleapis.com:8443/x",
                                 "http://127.0.0.1:9/push", "file:///etc/passwd", "not a url"])
def test_other_endpoints_are_refused(url):
    with pytest.raises(ValidationFailed) as err:
        notify.check_push_endpoint(url, allow_local=False)
    assert err.value.code == "invalid_push_endpoint"


def test_the_local_receiver_is_admitted_only_when_allowed():
    assert notify.check_push_endpoint("http://127.0.0.1:8123/push/1", allow_local=True)
    with pytest.raises(ValidationFailed):
        notify.check_push_endpoint("http://localhost.evil.example/push", allow_local=True)


@pytest.mark.parametrize("reporter,verified,told", [
    ({"name": "李女士", "tenant_id": "tenant-1"}, True, "tenant-1"),
    ({"name": "访客", "email": "v@example.cn", "visitor": True}, True, "visitor:P1#TD-20261206-0001"),
    ({"name": "访客", "email": "v@example.cn", "visitor": True}, False, None),  # never verified its code
    ({"name": "访客", "phone": "+8613800138000", "visitor": True}, True, None),  # no address to mail
    ({"name": "王先生", "email": "wang@example.cn"}, True, None),  # logged by staff: not a verified visitor
])
def test_who_is_told_a_tenant_or_a_verified_web_form_visitor(reporter, verified, told):
    case = cases.Case(property_id="P1", case_id="TD-20261206-0001", unit="大堂", contact="-", channel="web",
                      content="灯坏了", created_at=datetime(2026, 12, 6, tzinfo=timezone.utc),
                      reporter={**reporter}, verified=verified)
    assert notify.recipient(case) == told

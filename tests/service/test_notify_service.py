"""Being told, on the in-memory store (no AWS): the tenant's feed fills from
case actions in their language, read marks, preferences, and the delivery
worker (push, Web Push, email) with quiet hours, retries and stale targets.
The SNS and Web Push protocols themselves are tested in tests/store and tests/api."""
from __future__ import annotations

import base64

import pytest

from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed
from chalicelib.services.notify_service import NotificationService
from chalicelib.services.ports import PushFailed, PushStale
from tests.people import DESK, TENANT, TENANT2, submit

P256DH = base64.urlsafe_b64encode(b"\x04" + b"k" * 64).decode().rstrip("=")
AUTH = base64.urlsafe_b64encode(b"a" * 16).decode().rstrip("=")


class FakePush:
    applications = {"fcm": "arn:fake:app/GCM/td", "apns": "arn:fake:app/APNS/td"}

    def __init__(self):
        self.sent, self.failing, self.stale, self.unregistered = [], False, set(), []

    def register(self, platform, token, user_data):
        if token == "refused-token":
            raise PushStale("InvalidParameter")
        return f"arn:endpoint/{platform}/{token}"

    def unregister(self, arn):
        self.unregistered.append(arn)

    def send(self, arn, platform, title, body, data):
        if arn in self.stale:
            raise PushStale("EndpointDisabled")
        if self.failing:
            raise PushFailed("throttled")
        self.sent.append((arn, title, body))


class FakeWebPush:
    def __init__(self):
        self.sent = []

    def send(self, sub, payload):
        self.sent.append((sub["endpoint"], payload))


class FakeMailer:
    def __init__(self):
        self.sent = []

    def send(self, mail):
        self.sent.append(mail)
        return "m-1"


@pytest.fixture
def notes(svc, clock):
    mailer = FakeMailer()
    service = NotificationService(svc.store, clock, svc.property, push=FakePush(), webpush=FakeWebPush(),
                                  mailer=lambda: mailer, vapid_public_key="BPUB", allow_local_push=True)
    service.mailbox = mailer
    return service


def feed(notes, who=TENANT, **kwargs):
    return notes.feed(who, limit=kwargs.pop("limit", 20), cursor=kwargs.pop("cursor", None))


def test_case_actions_fill_the_tenants_feed_newest_first_in_their_language(svc, notes, clock):
    case, _ = submit(svc)
    clock.advance(minutes=5)
    svc.act(DESK, "P1", case.case_id, "assign", {"assignee": "eng-1", "department": "engineering",
                                                 "note": "内部：张师傅处理"})
    clock.advance(minutes=5)
    svc.act(DESK, "P1", case.case_id, "note", {"note": "内部备注"})
    svc.act(DESK, "P1", case.case_id, "respond", {"message": "师傅下午上门", "via": "app"})
    page = feed(notes)
    assert [i["kind"] for i in page["items"]] == ["responded", "assigned", "received"]
    assert page["unread_count"] == 3
    assert page["items"][0]["body"] == f"案件 {case.case_id}：师傅下午上门"
    assert "张师傅" not in str(page)  # the hand-off note is internal
    notes.put_preferences(TENANT, {"lang": "en"})
    assert feed(notes)["items"][2]["title"] == "We received your case"
    assert feed(notes, TENANT2)["items"] == []  # nobody else's


def test_the_feed_pages_with_a_cursor(svc, notes, clock):
    for _ in range(3):
        submit(svc)
        clock.advance(minutes=1)
    first = feed(notes, limit=2)
    second = feed(notes, limit=2, cursor=first["next_cursor"])
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
    assert first["items"][0]["at"] > first["items"][1]["at"] > second["items"][0]["at"]


def test_marking_read_by_id_and_up_to_and_refusing_other_tenants_ids(svc, notes, clock):
    for _ in range(3):
        submit(svc)
        clock.advance(minutes=1)
    other, _ = submit(svc, principal=TENANT2)
    items = feed(notes)["items"]
    theirs = feed(notes, TENANT2)["items"][0]["id"]
    with pytest.raises(NotFound) as err:
        notes.mark_read(TENANT, ids=[items[0]["id"], theirs], up_to=None)
    assert err.value.code == "notification_not_found"
    assert feed(notes)["unread_count"] == 3  # nothing was marked
    assert notes.mark_read(TENANT, ids=[items[0]["id"]], up_to=None) == {"marked": 1, "unread_count": 2}
    assert notes.mark_read(TENANT, ids=[items[0]["id"]], up_to=None) == {"marked": 0, "unread_count": 2}
    assert notes.mark_read(TENANT, ids=[], up_to=items[1]["id"]) == {"marked": 2, "unread_count": 0}
    assert [i["read"] for i in feed(notes)["items"]] == [True, True, True]
    assert feed(notes, TENANT2)["unread_count"] == 1


def test_staff_have_no_feed(notes):
    with pytest.raises(Forbidden):
        feed(notes, DESK)
    with pytest.raises(Forbidden):
        notes.put_preferences(DESK, {})


def test_delivery_goes_to_every_channel_once_and_the_outbox_empties(svc, notes, store):
    svc.put_tenant(Principal("admin", "admin", frozenset({"P1"})), "P1", "tenant-1",
                   {"name": "李女士", "email": "li@example.cn", "lang": "zh-Hans"})
    device = notes.register_device(TENANT, "fcm", "token-123456")
    notes.subscribe_webpush(TENANT, "http://127.0.0.1:9999/push/1", {"p256dh": P256DH, "auth": AUTH})
    case, _ = submit(svc)
    result = notes.deliver_due()
    assert result["delivered"] == 1
    assert [s["channel"] for s in result["sent"]] == ["push", "webpush", "email"]
    assert notes.push.sent == [("arn:endpoint/fcm/token-123456", "已收到您的案件",
                                f"案件 {case.case_id} 已受理，我们会尽快处理。")]
    assert notes.webpush.sent[0][1]["case_id"] == case.case_id
    assert notes.mailbox.sent[0].to == "li@example.cn" and notes.mailbox.sent[0].subject.startswith(f"[{case.case_id}]")
    assert notes.deliver_due() == {"delivered": 0, "waiting": 0, "retrying": 0, "dropped": 0, "sent": []}
    assert device["platform"] == "fcm" and "endpoint_arn" not in device


def test_channels_off_are_not_used(svc, notes):
    notes.register_device(TENANT, "apns", "token-abcdef")
    notes.put_preferences(TENANT, {"channels": {"push": False}})
    submit(svc)
    assert notes.deliver_due()["sent"] == []
    assert notes.push.sent == []


def test_quiet_hours_hold_deliveries_until_their_end_but_not_the_feed(svc, notes, clock):
    notes.register_device(TENANT, "fcm", "token-123456")
    notes.put_preferences(TENANT, {"quiet_hours": {"from": "09:00", "to": "12:00"}})  # T0 is 10:00 in Shanghai
    submit(svc)
    assert feed(notes)["unread_count"] == 1
    assert notes.deliver_due()["waiting"] == 1
    clock.advance(hours=1, minutes=59)
    assert notes.deliver_due()["sent"] == []
    clock.advance(minutes=1)
    assert len(notes.deliver_due()["sent"]) == 1


def test_a_failed_push_is_retried_later_without_repeating_what_went(svc, notes, clock):
    notes.register_device(TENANT, "fcm", "token-123456")
    notes.subscribe_webpush(TENANT, "http://127.0.0.1:9999/push/1", {"p256dh": P256DH, "auth": AUTH})
    notes.push.failing = True
    submit(svc)
    assert notes.deliver_due()["retrying"] == 1
    assert len(notes.webpush.sent) == 1
    notes.push.failing = False
    assert notes.deliver_due()["sent"] == []  # not due yet: backoff
    clock.advance(minutes=1)
    result = notes.deliver_due()
    assert result["delivered"] == 1 and [s["channel"] for s in result["sent"]] == ["push"]
    assert len(notes.webpush.sent) == 1  # the Web Push that went is not sent again


def test_a_stale_endpoint_is_removed(svc, notes, store):
    notes.register_device(TENANT, "fcm", "token-123456")
    notes.push.stale.add("arn:endpoint/fcm/token-123456")
    submit(svc)
    assert notes.deliver_due()["delivered"] == 1
    assert store.notify_settings("tenant-1")[1] == []
    assert notes.push.unregistered == ["arn:endpoint/fcm/token-123456"]


def test_devices_and_subscriptions_are_checked_and_removable(notes):
    with pytest.raises(ValidationFailed) as err:
        notes.register_device(TENANT, "fcm", "refused-token")
    assert err.value.code == "invalid_device_token"
    with pytest.raises(ValidationFailed) as err:
        notes.subscribe_webpush(TENANT, "https://attacker.example/push", {"p256dh": P256DH, "auth": AUTH})
    assert err.value.code == "invalid_push_endpoint"
    with pytest.raises(ValidationFailed) as err:
        notes.subscribe_webpush(TENANT, "https://fcm.googleapis.com/fcm/send/x", {"p256dh": "short", "auth": AUTH})
    assert err.value.code == "invalid_push_keys"
    device = notes.register_device(TENANT, "fcm", "token-123456")
    assert notes.register_device(TENANT, "fcm", "token-123456")["id"] == device["id"]  # idempotent
    with pytest.raises(NotFound):
        notes.delete_device(TENANT2, device["id"])  # not theirs
    notes.delete_device(TENANT, device["id"])
    with pytest.raises(NotFound):
        notes.delete_device(TENANT, device["id"])


def test_staff_see_an_unread_marker_until_they_open_or_act(svc, clock):
    case, _ = submit(svc)
    svc.act(DESK, "P1", case.case_id, "assign", {"assignee": "eng-1", "department": "engineering"})
    svc.act(TENANT, "P1", case.case_id, "message", {"text": "补充：晚上十一点还在响"})
    svc.act(TENANT, "P1", case.case_id, "message", {"text": "还有照片"})
    queued = svc.queue(DESK, "P1", filters={}, overdue=False, limit=10, cursor=None)[0][0]
    assert queued.unread_for_staff == 2 and queued.tenant_wrote_at
    tenant_case, _ = svc.get(TENANT, "P1", case.case_id)  # the tenant reading clears nothing
    assert tenant_case.unread_for_staff == 2
    opened, events = svc.get(DESK, "P1", case.case_id)
    assert opened.unread_for_staff == 0 and events[-1].action == "staff_read"
    again, events = svc.get(DESK, "P1", case.case_id)
    assert events[-1].action == "staff_read" and again.version == opened.version  # reading again writes nothing
    svc.act(TENANT, "P1", case.case_id, "message", {"text": "第三条"})
    acted = svc.act(DESK, "P1", case.case_id, "note", {"note": "已联系"})
    assert acted.unread_for_staff == 0

"""Being told, through the API and real protocols: the tenant's feed and read
marks, refusals, a phone registered as an SNS platform endpoint (moto) that
receives the notification as MessageStructure json, a disabled endpoint
removed, and Web Push: a local receiver holding the subscription's private
key gets the POST and decrypts its aes128gcm payload (no push service is
reachable here). The staff's unread marker on the queue and the case."""
from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import pytest

from chalicelib import config
from tests.api.helpers import call, case_url, read_case
from tests.conftest import make_token

TENANT = make_token("tenant", subject="tenant-1", name="李女士")
TENANT2 = make_token("tenant", subject="tenant-2", name="陳先生")
DESK = make_token("front_desk", subject="front_desk-1")
ADMIN = make_token("admin", properties=("P1", "P2"), subject="admin-1")
SUBMIT = {"unit": "3栋1201", "content": "空调不制冷，室内温度30度", "category": "air_conditioning"}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def configure_push(monkeypatch):
    """SNS platform applications in moto, a VAPID key and local Web Push: every
    notification route can succeed (also used by tests/security's worlds)."""
    sns = boto3.client("sns", region_name=config.region())
    apps = {"fcm": sns.create_platform_application(Name="td-fcm", Platform="GCM", Attributes={
        "PlatformCredential": "server-key"})["PlatformApplicationArn"],
            "apns": sns.create_platform_application(Name="td-apns", Platform="APNS", Attributes={
                "PlatformCredential": "key", "PlatformPrincipal": "cert"})["PlatformApplicationArn"]}
    monkeypatch.setenv("TD_PUSH_APPS", json.dumps(apps))
    from chalicelib.adapters.push import new_private_key
    monkeypatch.setenv("TD_VAPID_PRIVATE_KEY", new_private_key())
    monkeypatch.setenv("TD_WEBPUSH_ALLOW_LOCAL", "1")
    return sns


@pytest.fixture
def push_apps(aws, monkeypatch):
    return configure_push(monkeypatch)


def deliver(client):
    return client.lambda_.invoke("deliver_notifications", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])).payload


def endpoint_messages(arn):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends
    backend = sns_backends[DEFAULT_ACCOUNT_ID][config.region()]
    return [json.loads(m) for m in backend.platform_endpoints[arn].messages.values()]


def submitted(client, token=TENANT):
    status, body = call(client, "POST", "/v1/properties/P1/cases", token, SUBMIT)
    assert status == 201, body
    return body["case_id"]


def test_the_feed_lists_newest_first_with_unread_count_and_marks_read(client):
    cid = submitted(client)
    call(client, "POST", case_url(cid, "/assign"), DESK, {"assignee": "eng-1", "department": "engineering",
                                                        "note": "内部：给张师傅"})
    status, page = call(client, "GET", "/v1/me/notifications?limit=1", TENANT)
    assert status == 200 and page["unread_count"] == 2 and [i["kind"] for i in page["items"]] == ["assigned"]
    assert page["items"][0]["title"] == "已转交处理" and "张师傅" not in json.dumps(page, ensure_ascii=False)
    status, rest = call(client, "GET", f"/v1/me/notifications?cursor={page['next_cursor']}", TENANT)
    assert [i["kind"] for i in rest["items"]] == ["received"]
    assert rest["unread_count"] is None  # a later page: one Query, no count (the first page's stands)
    status, body = call(client, "POST", "/v1/me/notifications/read", TENANT, {"ids": [page["items"][0]["id"]]})
    assert status == 200 and body == {"marked": 1, "unread_count": 1}
    status, body = call(client, "POST", "/v1/me/notifications/read", TENANT, {"up_to": page["items"][0]["id"]})
    assert body == {"marked": 1, "unread_count": 0}


def test_refusals(client, push_apps):
    submitted(client)
    submitted(client, TENANT2)
    theirs = call(client, "GET", "/v1/me/notifications", TENANT2)[1]["items"][0]["id"]
    status, body = call(client, "POST", "/v1/me/notifications/read", TENANT, {"ids": [theirs]})
    assert status == 404 and body["code"] == "notification_not_found"
    assert call(client, "GET", "/v1/me/notifications", TENANT2)[1]["unread_count"] == 1
    for route in ("/v1/me/notifications", "/v1/me/preferences"):
        status, body = call(client, "GET", route, DESK)
        assert status == 403 and body["code"] == "forbidden"  # staff have no feed: the queue tells them
    status, body = call(client, "POST", "/v1/me/devices", TENANT, {"platform": "sms", "token": "abcdefgh"})
    assert status == 422 and body["details"]["field"] == "platform"
    status, body = call(client, "POST", "/v1/me/devices", TENANT, {"platform": "fcm", "token": "bad token ☃"})
    assert status == 422
    keys = {"p256dh": b64(b"\x04" + b"k" * 64), "auth": b64(b"a" * 16)}
    for endpoint in ("https://169.254.169.254/latest/meta-data/", "http://fcm.googleapis.com/fcm/send/x",
                     "https://internal.corp.example/push"):
        status, body = call(client, "POST", "/v1/me/webpush", TENANT, {"endpoint": endpoint, "keys": keys})
        assert status == 422 and body["code"] == "invalid_push_endpoint", endpoint
    status, body = call(client, "DELETE", "/v1/me/devices/0123456789abcdef01234567", TENANT)
    assert status == 404 and body["code"] == "device_not_found"
    status, body = call(client, "PUT", "/v1/me/preferences", TENANT, {"quiet_hours": {"from": "22:00", "to": "22:00"}})
    assert status == 422
    status, body = call(client, "GET", "/v1/me/notifications?cursor=abc", TENANT)
    assert status == 400 and body["code"] == "invalid_cursor"


def test_a_phone_gets_the_notification_through_its_sns_endpoint_in_the_tenants_language(client, push_apps):
    status, device = call(client, "POST", "/v1/me/devices", TENANT, {"platform": "fcm", "token": "fcm-token-1"})
    assert status == 201 and device["platform"] == "fcm"
    status, prefs = call(client, "PUT", "/v1/me/preferences", TENANT, {"lang": "zh-Hant",
                                                                       "channels": {"email": False}})
    assert status == 200 and prefs["lang"] == "zh-Hant"
    cid = submitted(client)
    result = deliver(client)
    assert result["delivered"] == 1
    (arn,) = [s["to"] for s in result["sent"] if s["channel"] == "push"]
    (message,) = endpoint_messages(arn)
    gcm = json.loads(message["GCM"])
    assert gcm["notification"] == {"title": "已收到您的案件", "body": f"案件 {cid} 已受理，我們會盡快處理。"}
    assert gcm["data"] == {"case_id": cid, "property_id": "P1", "kind": "received"}
    assert deliver(client)["sent"] == []  # delivered once
    # the phone is switched off for good: SNS disables the endpoint, and we forget it
    push_apps.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    call(client, "POST", case_url(cid, "/assign"), DESK, {"assignee": "eng-1", "department": "engineering"})
    assert deliver(client)["delivered"] == 1
    from chalicelib import runtime
    assert runtime.service().store.notify_settings("tenant-1")[1] == []
    status, _ = call(client, "DELETE", f"/v1/me/devices/{device['id']}", TENANT)
    assert status == 404


def test_registering_and_deleting_a_device(client, push_apps):
    status, device = call(client, "POST", "/v1/me/devices", TENANT, {"platform": "apns", "token": "a" * 64})
    assert status == 201
    status, _ = call(client, "DELETE", f"/v1/me/devices/{device['id']}", TENANT2)
    assert status == 404  # not theirs
    status, _ = call(client, "DELETE", f"/v1/me/devices/{device['id']}", TENANT)
    assert status == 204
    apns = config.push_applications()["apns"]
    assert push_apps.list_endpoints_by_platform_application(PlatformApplicationArn=apns)["Endpoints"] == []


class Receiver:
    """A push service stand-in on 127.0.0.1 holding the subscription's keys."""

    def __init__(self):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = b"0123456789abcdef"
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        self.keys = {"p256dh": b64(public), "auth": b64(self.auth)}
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(201)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/push/sub-1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def decrypt(self, body: bytes) -> dict:
        import http_ece
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


def test_web_push_reaches_a_local_receiver_that_decrypts_it(client, push_apps, receiver):
    status, key = call(client, "GET", "/v1/me/webpush", TENANT)
    assert status == 200 and len(base64.urlsafe_b64decode(key["public_key"] + "==")) == 65
    status, sub = call(client, "POST", "/v1/me/webpush", TENANT, {"endpoint": receiver.url, "keys": receiver.keys,
                                                                  "expirationTime": None})
    assert status == 201
    call(client, "PUT", "/v1/me/preferences", TENANT, {"lang": "en", "channels": {"email": False}})
    cid = submitted(client)
    result = deliver(client)
    assert result["delivered"] == 1 and [s["channel"] for s in result["sent"]] == ["webpush"]
    ((headers, body),) = receiver.received
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["content-encoding"] == "aes128gcm" and headers["authorization"].startswith("vapid t=")
    assert f"k={key['public_key']}" in headers["authorization"]
    assert receiver.decrypt(body) == {"title": "We received your case",
                                      "body": f"Case {cid} is registered; we are on it.", "kind": "received",
                                      "property_id": "P1", "case_id": cid}
    status, _ = call(client, "DELETE", f"/v1/me/webpush/{sub['id']}", TENANT)
    assert status == 204


def test_staff_see_the_unread_marker_in_the_queue_until_they_open_the_case(client):
    cid = submitted(client)
    call(client, "POST", case_url(cid, "/assign"), DESK, {"assignee": "eng-1", "department": "engineering"})
    status, _ = call(client, "POST", case_url(cid, "/messages"), TENANT, {"text": "补充：声音更大了"})
    assert status == 200
    queue = call(client, "GET", "/v1/properties/P1/queue", DESK)[1]["items"]
    assert queue[0]["unread_for_staff"] == 1 and queue[0]["tenant_wrote_at"]
    tenant_view = read_case(client, cid, TENANT)
    assert "unread_for_staff" not in tenant_view and "tenant_wrote_at" not in tenant_view
    assert all(e["action"] != "staff_read" for e in tenant_view["timeline"])
    assert read_case(client, cid, DESK)["unread_for_staff"] == 0
    assert call(client, "GET", "/v1/properties/P1/queue", DESK)[1]["items"][0]["unread_for_staff"] == 0


def test_a_later_page_speaks_the_language_the_first_page_did(client):
    for _ in range(2):
        submitted(client)
    assert call(client, "PUT", "/v1/me/preferences", TENANT, {"lang": "zh-Hant"})[0] == 200
    status, page = call(client, "GET", "/v1/me/notifications?limit=1", TENANT)
    assert status == 200 and page["unread_count"] == 2 and page["items"][0]["title"] == "已收到您的案件"
    status, rest = call(client, "GET", f"/v1/me/notifications?limit=1&cursor={page['next_cursor']}", TENANT)
    assert status == 200 and rest["items"][0]["title"] == "已收到您的案件" and rest["unread_count"] is None

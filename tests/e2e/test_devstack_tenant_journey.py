"""Issue 15's "done when", on the running local stack, as a tenant's app lives it:
the front desk of 港灣廣場 (P2) invites a new tenant who reads Traditional Chinese →
the tenant chooses a password and signs in through Cognito (moto, RS256) →
registers a phone (FCM → an SNS platform endpoint) and a browser (Web Push, a local
receiver that decrypts) → uploads a photo by presigned POST, completes it, submits a
case with it → the desk responds with a promised time → the feed, the phone and the
browser each get it in Traditional Chinese → an app polling with If-None-Match gets
304 → the tenant answers, and once resolved and called back, rates.

The watcher (escalation, reminders) runs on its own schedule and may add timeline
events at any moment: nothing here asserts a full timeline or an ETag across steps."""
from __future__ import annotations

import io
import json
import re
import time
from datetime import datetime, timedelta, timezone

import boto3
import requests

from tests.api.test_notify_api import Receiver
from tests.e2e.test_devstack import launch
from tests.e2e.test_devstack_signin import _cli_token

PASSWORD = "Lam-Sinsaang-2026!"
EMAIL = "lam.sinsaang@example.com.hk"
HK = timezone(timedelta(hours=8))


def _photo() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (200, 60, 40)).save(out, format="JPEG")
    return out.getvalue()


def _sign_in(stack, tmp_path) -> str:
    state = json.loads((tmp_path / "stack.json").read_text(encoding="utf-8"))["env"]
    aws = re.search(r"AWS \(moto\)\s+(http://\S+)", stack.output()).group(1)
    cognito = boto3.client("cognito-idp", endpoint_url=aws, region_name="ap-southeast-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    pool, client_id = state["TD_USER_POOL_ID"], state["TD_USER_POOL_CLIENT_IDS"].split(",")[0]
    # What the invitation mail leads to: the tenant chooses a password, then the app signs in.
    cognito.admin_set_user_password(UserPoolId=pool, Username=EMAIL, Password=PASSWORD, Permanent=True)
    tokens = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": EMAIL, "PASSWORD": PASSWORD})["AuthenticationResult"]
    return tokens["IdToken"]


def _conditional_get(stack, path: str, token: str) -> None:
    """GET, then GET again with the ETag: 304 with no body. The watcher may change the
    case between the two; then the second answer is a 200 with a new ETag: try again."""
    for _ in range(5):
        status, _, _, headers = _get_with_headers(stack, path, token)
        assert status == 200 and headers.get("ETag"), headers
        status, _, raw, _ = _get_with_headers(stack, path, token, {"If-None-Match": headers["ETag"]})
        if status == 304:
            assert raw == b""
            return
        assert status == 200
    raise AssertionError("never answered 304")


def _get_with_headers(stack, path, token, headers=None):
    answer = requests.get(stack.url + path, headers={"Authorization": f"Bearer {token}", **(headers or {})},
                          timeout=10)
    body = answer.json() if answer.content else {}
    return answer.status_code, body, answer.content, answer.headers


def test_invite_sign_in_photo_case_told_in_traditional_chinese_poll_answer_and_rate(tmp_path):
    for stack in launch(tmp_path):
        receiver = Receiver()
        try:
            _journey(stack, tmp_path, receiver)
        finally:
            receiver.server.shutdown()


def _journey(stack, tmp_path, receiver):
    admin = _cli_token(stack, "--role", "admin", "--property", "P2")
    desk = _cli_token(stack, "--role", "front_desk", "--property", "P2", "--name", "客務中心何小姐")

    # The front desk invites the tenant from the tenant record, in Traditional Chinese.
    status, _, _ = stack.call("PUT", "/v1/properties/P2/tenants/tenant-9", admin,
                              {"name": "林先生", "email": EMAIL, "unit": "L3-20 舖", "lang": "zh-Hant"})
    assert status == 200
    status, record, _ = stack.call("POST", "/v1/properties/P2/tenants/tenant-9/invite", desk, {})
    assert status == 201 and record["login"]["status"] == "invited", record

    tenant = _sign_in(stack, tmp_path)
    status, me, _ = stack.call("GET", "/v1/me", tenant)
    assert status == 200 and (me["subject"], me["role"], me["properties"]) == ("tenant-9", "tenant", ["P2"])

    # A phone and a browser: both are told from now on.
    status, device, _ = stack.call("POST", "/v1/me/devices", tenant, {"platform": "fcm", "token": "journey-fcm-1"})
    assert status == 201, device
    status, sub, _ = stack.call("POST", "/v1/me/webpush", tenant, {"endpoint": receiver.url, "keys": receiver.keys})
    assert status == 201, sub

    # A photo, the AWS way: presigned POST straight to S3, then completed (checked) by the API.
    photo = _photo()
    status, slot, _ = stack.call("POST", "/v1/properties/P2/uploads", tenant,
                                 {"content_type": "image/jpeg", "size": len(photo)})
    assert status == 201, slot
    posted = requests.post(slot["url"], data=slot["fields"], files={"file": ("冷氣.jpg", photo, "image/jpeg")},
                           timeout=10)
    assert posted.status_code == 204, posted.text
    status, done, _ = stack.call("POST", f"/v1/properties/P2/uploads/{slot['upload_id']}/complete", tenant, {})
    assert status == 200 and done["status"] == "complete", done
    status, case, _ = stack.call("POST", "/v1/properties/P2/cases", tenant, {
        "unit": "L3-20 舖", "title": "舖內冷氣滴水", "content": "舖內冷氣機一直滴水，地板濕滑，見相片。",
        "category": "air_conditioning", "attachments": [{"ref": done["ref"], "name": "冷氣滴水.jpg"}]},
        headers={"Idempotency-Key": "journey-submit-1"})
    assert status == 201, case
    case_id = case["case_id"]
    base = f"/v1/properties/P2/cases/{case_id}"
    status, got, _ = stack.call("GET", f"{base}/attachments/1", tenant)
    assert status == 200 and got["content_type"] == "image/jpeg", got
    assert requests.get(got["url"], timeout=10).content == photo

    # The desk responds with a promised time.
    promised = (datetime.now(HK) + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
    status, answered, _ = stack.call("POST", f"{base}/respond", desk, {
        "message": "工程部陳師傅明天下午上門檢查冷氣", "via": "app", "promised_by": promised.isoformat()})
    assert status == 200, answered
    local_due = promised.strftime("%Y-%m-%d %H:%M")  # P2's zone is Hong Kong's, the same offset
    expected_body = f"案件 {case_id}：工程部陳師傅明天下午上門檢查冷氣（預計 {local_due} 前解決）"

    # Told on every channel, in Traditional Chinese: the feed, the SNS endpoint, the Web Push receiver.
    def sns_lines() -> list[str]:
        return [line for line in stack.output().splitlines() if line.startswith("push | sns →")]

    deadline = time.monotonic() + 40
    bodies: list[str] = []
    while time.monotonic() < deadline:
        bodies = [receiver.decrypt(body)["body"] for _, body in receiver.received]
        if expected_body in bodies and any("「案件有了回覆」" in line for line in sns_lines()):
            break
        time.sleep(0.3)
    assert expected_body in bodies, (bodies, stack.output()[-3000:])
    told = sns_lines()
    assert any("「案件有了回覆」" in line and f"案件 {case_id}：" in line for line in told), told
    assert any("「已收到您的案件」" in line for line in told), told
    status, feed, _ = stack.call("GET", "/v1/me/notifications", tenant)
    assert status == 200
    responded = [i for i in feed["items"] if i["kind"] == "responded" and i["case_id"] == case_id]
    assert responded and responded[0]["title"] == "案件有了回覆" and responded[0]["body"] == expected_body, feed
    assert {"received", "responded"} <= {i["kind"] for i in feed["items"]} and feed["unread_count"] >= 2

    # The app polls cheaply: nothing changed → 304, no body.
    _conditional_get(stack, base, tenant)

    # The tenant answers; staff resolve and call back; the tenant rates.
    status, after_message, _ = stack.call("POST", f"{base}/messages", tenant, {"text": "好的，明天下午舖內有人。"},
                                          headers={"Idempotency-Key": "journey-message-1"})
    assert status == 200, after_message
    status, _, _ = stack.call("POST", f"{base}/resolve", desk, {"resolution": "更換去水喉，冷氣已不再滴水。"})
    assert status == 200
    status, _, _ = stack.call("POST", f"{base}/callback", desk, {"reached": True, "satisfied": True,
                                                                  "comment": "林先生確認已修好"})
    assert status == 200
    status, rated, _ = stack.call("POST", f"{base}/rating", tenant, {"score": 5, "comment": "師傅好快手👍"},
                                  headers={"Idempotency-Key": "journey-rating-1"})
    assert status == 200, rated

    status, seen, _ = stack.call("GET", base, tenant)
    assert status == 200 and seen["rating"]["comment"] == "師傅好快手👍"
    mine = [e["action"] for e in seen["timeline"] if e["action"] in ("message", "respond", "resolve", "callback",
                                                                      "rate")]
    assert mine == ["respond", "message", "resolve", "callback", "rate"], seen["timeline"]
    status, feed, _ = stack.call("GET", "/v1/me/notifications", tenant)
    kinds = {i["kind"] for i in feed["items"] if i["case_id"] == case_id}
    assert {"received", "responded", "resolved", "callback"} <= kinds, kinds

"""Being told on the running local stack: a tenant's phone (an SNS platform
endpoint in moto) and a browser's Web Push subscription (a local receiver
that decrypts the payload) each get the notification, in the tenant's
language, fired by the stack's delivery schedule and printed as ``push |``."""
from __future__ import annotations

import time

from tests.api.test_notify_api import Receiver
from tests.e2e.test_devstack import _token_from_banner, launch


def test_a_staff_response_reaches_the_tenants_phone_and_browser(tmp_path):
    for stack in launch(tmp_path):
        receiver = Receiver()
        try:
            tenant = _token_from_banner(stack, "TENANT")
            desk = _token_from_banner(stack, "DESK")
            status, _, _ = stack.call("PUT", "/v1/me/preferences", tenant, {"lang": "zh-Hant"})
            assert status == 200
            status, device, _ = stack.call("POST", "/v1/me/devices", tenant, {"platform": "fcm",
                                                                              "token": "e2e-fcm-token-1"})
            assert status == 201, device
            status, sub, _ = stack.call("POST", "/v1/me/webpush", tenant, {"endpoint": receiver.url,
                                                                           "keys": receiver.keys})
            assert status == 201, sub
            status, case, _ = stack.call("POST", "/v1/properties/P1/cases", tenant,
                                         {"unit": "3栋1201", "content": "电梯异响", "category": "public_facility"})
            assert status == 201, case
            status, _, _ = stack.call("POST", f"/v1/properties/P1/cases/{case['case_id']}/respond", desk,
                                      {"message": "工程部今天下午檢查電梯", "via": "app"})
            assert status == 200
            deadline = time.monotonic() + 30
            while (stack.output().count("push | sns →") < 2 or len(receiver.received) < 2) \
                    and time.monotonic() < deadline:
                time.sleep(0.2)
            out = stack.output()
            assert "「已收到您的案件」" in out and "「案件有了回覆」" in out, out[-3000:]
            assert "push | webpush → http://127.0.0.1" in out
            bodies = [receiver.decrypt(body)["body"] for _, body in receiver.received]
            assert f"案件 {case['case_id']}：工程部今天下午檢查電梯" in bodies, bodies
            status, feed, _ = stack.call("GET", "/v1/me/notifications", tenant)
            assert [i["kind"] for i in feed["items"][:2]] == ["responded", "received"]
            assert feed["items"][0]["title"] == "案件有了回覆" and feed["unread_count"] >= 2
        finally:
            receiver.server.shutdown()

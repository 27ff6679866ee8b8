"""The public web form on the running local stack: a visitor files with an email
and a phone, reads the code from the stack's `mail |` output (and sees it in an
`sms |` line), verifies, and the case is in the desk's queue as a verified web case."""
from __future__ import annotations

import re

from tests.e2e.test_devstack import _token_from_banner, stack  # noqa: F401 - the running-stack fixture
from tests.e2e.test_devstack_mail import wait_for


def test_a_visitor_files_verifies_by_the_mailed_code_and_the_desk_sees_a_web_case(stack):  # noqa: F811
    status, page, _ = stack.call("GET", "/v1/public/properties/P1", "")
    assert status == 200 and page["property_id"] == "P1"
    status, out, _ = stack.call("POST", "/v1/public/properties/P1/submissions", "", {
        "email": "fang.xiaojie@example.cn", "phone": "+8613800138000", "name": "方小姐", "place": "B1 美食广场",
        "content": "美食广场的空调太冷了，能调高一点吗？", "category": "air_conditioning", "lang": "zh-Hans"})
    assert status == 202, out
    output = wait_for(stack, "mail | sent → fang.xiaojie@example.cn")
    code = re.search(r"mail \| sent → fang\.xiaojie@example\.cn\s+「(\d{6}) ", output).group(1)
    sms = wait_for(stack, "sms | sent → +8613800138000")
    assert code in sms.split("sms | sent → +8613800138000", 1)[1].splitlines()[0]

    status, done, _ = stack.call("POST", f"/v1/public/properties/P1/submissions/{out['submission_id']}/verify", "",
                                 {"code": code})
    assert status == 201, done
    desk = _token_from_banner(stack, "DESK")
    status, queue, _ = stack.call("GET", "/v1/properties/P1/queue", desk)
    assert status == 200
    (case,) = [c for c in queue["items"] if c["case_id"] == done["case_id"]]
    assert case["channel"] == "web" and case["verified"] is True and case["unit"] == "B1 美食广场"
    wait_for(stack, f"mail | sent → fang.xiaojie@example.cn  「[{done['case_id']}]")

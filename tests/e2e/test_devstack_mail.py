"""An email becomes a case in the running local stack, and its acknowledgement
leaves through SES: the path a user follows with ``./dev mail FILE.eml``."""
from __future__ import annotations

import subprocess
import sys
import time
from email.header import Header
from email.mime.text import MIMEText

from tests.e2e.test_devstack import ROOT, stack  # noqa: F401 - the running-stack fixture


def gb2312_mail() -> bytes:
    msg = MIMEText("楼上卫生间漏水到我家天花板，已经一周了，请尽快处理。", "plain", "gb2312")
    msg["Subject"] = Header("投诉：楼上漏水", "gb2312")
    msg["From"] = f"{Header('李女士', 'gb2312').encode()} <li.nvshi@example.cn>"
    msg["To"] = "service@riverside.example"
    msg["Message-ID"] = "<e2e-gb2312-1@example.cn>"
    return msg.as_bytes()


def wait_for(stack, text: str, timeout: float = 15) -> str:  # noqa: F811
    deadline = time.monotonic() + timeout
    while text not in stack.output():
        assert time.monotonic() < deadline, f"{text!r} never appeared:\n{stack.output()[-3000:]}"
        time.sleep(0.2)
    return stack.output()


def test_dropped_email_becomes_a_verified_case_and_is_acknowledged(stack, tmp_path):  # noqa: F811
    eml = tmp_path / "complaint.eml"
    eml.write_bytes(gb2312_mail())
    dropped = subprocess.run([sys.executable, "-m", "devstack.mail", str(eml)], cwd=ROOT, env=stack.env,
                             capture_output=True, text=True, timeout=30)
    assert dropped.returncode == 0, dropped.stderr
    output = wait_for(stack, "mail | sent → li.nvshi@example.cn")
    case_id = output.split("mail | received → case ", 1)[1].split()[0]
    token = subprocess.run([sys.executable, "-m", "chalicelib.cli", "token", "--role", "front_desk", "--property",
                            "P1"], cwd=ROOT, env=stack.env, capture_output=True, text=True, check=True).stdout.strip()
    status, case, _ = stack.call("GET", f"/v1/properties/P1/cases/{case_id}", token)
    assert status == 200
    assert case["channel"] == "email" and case["written"] and case["verified"]
    assert case["title"] == "投诉：楼上漏水" and "天花板" in case["content"]
    assert case["reporter"]["tenant_id"] == "tenant-1"
    # Delivering the same message again changes nothing.
    subprocess.run([sys.executable, "-m", "devstack.mail", str(eml)], cwd=ROOT, env=stack.env, check=True,
                   capture_output=True, timeout=30)
    wait_for(stack, "mail | received → duplicate")
    assert stack.output().count("mail | sent → li.nvshi@example.cn") == 1  # one acknowledgement


def test_a_null_sender_bounce_dropped_locally_is_quarantined_and_never_answered(stack, tmp_path):  # noqa: F811
    """Nothing in this bounce's headers says "bounce": only its null envelope
    sender does, which ``./dev mail --mail-from '<>'`` records as SES would."""
    msg = MIMEText("您发给 zhao@example.cn 的邮件未能送达。", "plain", "utf-8")
    msg["Subject"] = Header("您的邮件", "utf-8")
    msg["From"] = "Mail System <notices@mx.example.cn>"
    msg["To"] = "service@riverside.example"
    msg["Message-ID"] = "<e2e-null-sender-1@mx.example.cn>"
    eml = tmp_path / "bounce.eml"
    eml.write_bytes(msg.as_bytes())
    dropped = subprocess.run([sys.executable, "-m", "devstack.mail", str(eml), "--mail-from", "<>"], cwd=ROOT,
                             env=stack.env, capture_output=True, text=True, timeout=30)
    assert dropped.returncode == 0, dropped.stderr
    wait_for(stack, "mail | received → quarantined auto_submitted")
    time.sleep(2)  # the sent-mail printer polls every second
    assert "mail | sent → notices@mx.example.cn" not in stack.output()

"""Slow on purpose (about a minute of real time): the local stack, left alone,
escalates a neglected case and mails the manager, with no manual step. The
state machine is the repo's ASL file executed by moto; ``--fast`` gives P1 a
one-minute hand-off window so the wait is short."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.e2e.test_devstack import ROOT, launch


@pytest.fixture
def fast_stack(tmp_path):
    yield from launch(tmp_path, "--fast")


def test_a_neglected_case_escalates_and_the_manager_is_mailed(fast_stack):
    token = subprocess.run([sys.executable, "-m", "chalicelib.cli", "token", "--role", "tenant", "--property", "P1",
                            "--subject", "tenant-1", "--name", "李女士"], cwd=ROOT, env=fast_stack.env,
                           capture_output=True, text=True, check=True).stdout.strip()
    status, case, _ = fast_stack.call("POST", "/v1/properties/P1/cases", token,
                                      {"unit": "3栋1201", "content": "电梯停在12楼不动，已经半小时了"})
    assert status == 201, case
    deadline = time.monotonic() + 150
    expected = f"mail | sent → manager@riverside.example  「[{case['case_id']}] 升级提醒：未在时限内移交责任人」"
    while expected not in fast_stack.output():
        assert time.monotonic() < deadline, fast_stack.output()[-3000:]
        time.sleep(1)
    desk = subprocess.run([sys.executable, "-m", "chalicelib.cli", "token", "--role", "front_desk", "--property",
                           "P1"], cwd=ROOT, env=fast_stack.env, capture_output=True, text=True,
                          check=True).stdout.strip()
    status, detail, _ = fast_stack.call("GET", f"/v1/properties/P1/cases/{case['case_id']}", desk)
    assert detail["tier"] == "manager"
    escalation = [e for e in detail["timeline"] if e["action"] == "escalate"][0]
    assert escalation["actor"]["id"] == "watcher" and escalation["data"]["deadline"] == "handoff"

"""End to end through the real local stack, as a developer runs it: ``python -m
devstack`` in a subprocess (moto server, ``chalice local``), spoken to over HTTP."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 25
# Full-width punctuation, a character outside the BMP (𠮷) and an emoji: the
# spots where an encoding slip (\u escapes, surrogates, NFC) would show.
CONTENT = "客厅空调不制冷，室内30℃🥵；请师傅带𠮷字牌的工具箱来。"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningStack:
    process: subprocess.Popen
    log: Path
    env: dict[str, str]
    url: str = ""

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def call(self, method: str, path: str, token: str, body: dict | None = None,
             headers: dict | None = None) -> tuple[int, dict, bytes]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw), raw
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw or b"{}"), raw


def launch(tmp_path, *extra: str, settings: dict[str, str] | None = None):
    """Start ``python -m devstack`` and yield it once its banner is out; killed after.
    ``settings``: environment variables the stack is started with (e.g. TD_HOSTED_UI_URL)."""
    port = _free_port()
    # The suite's own TD_* settings (conftest's test signing key) are not the
    # stack's, and the developer's key file is never touched: it goes to tmp.
    env = {name: value for name, value in os.environ.items() if not name.startswith("TD_")}
    env.update(TD_DEV_KEY_FILE=str(tmp_path / "dev-key"), PYTHONUNBUFFERED="1", **(settings or {}))
    log = tmp_path / "stack.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "devstack", "--port", str(port), "--moto-port", "0",
                                    *extra], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
    running = RunningStack(process, log, env)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "Ctrl-C stops everything" not in running.output():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the stack did not start (exit {process.poll()}):\n{running.output()}")
            time.sleep(0.1)
        running.url = re.search(r"API\s+(http://\S+)", running.output()).group(1)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def stack(tmp_path):
    yield from launch(tmp_path)


def _token_from_banner(stack: RunningStack, variable: str) -> str:
    return re.search(rf"export {variable}=(\S+)", stack.output()).group(1)


def _token_from_cli(stack: RunningStack, *args: str) -> str:
    """As the README says: python -m chalicelib.cli token ... reads the stack's key file."""
    done = subprocess.run([sys.executable, "-m", "chalicelib.cli", "token", *args], cwd=ROOT, env=stack.env,
                          capture_output=True, text=True, timeout=20, check=True)
    return done.stdout.strip()


def test_a_chinese_complaint_goes_from_submission_to_closed_through_the_local_stack(stack):
    tenant = _token_from_banner(stack, "TENANT")
    desk = _token_from_cli(stack, "--role", "front_desk", "--property", "P1", "--name", "前台小王")
    staff = _token_from_cli(stack, "--role", "dept_staff", "--property", "P1", "--name", "工程部张师傅")

    status, case, raw = stack.call("POST", "/v1/properties/P1/cases", tenant,
                                   {"unit": "3栋1201", "title": "空调不制冷", "content": CONTENT,
                                    "category": "air_conditioning"}, headers={"Idempotency-Key": "e2e-1"})
    assert status == 201, case
    assert CONTENT.encode("utf-8") in raw  # UTF-8 on the wire, not \u escapes
    base = f"/v1/properties/P1/cases/{case['case_id']}"

    steps = [
        (desk, "classify", {"kind": "complaint", "validity": "valid", "cause": "equipment_facility",
                            "department": "engineering"}),
        (desk, "assign", {"assignee": "dept_staff-1", "note": "请今天下午上门"}),
        (staff, "respond", {"message": "您好，张师傅下午2点上门检查。", "via": "phone"}),
        (staff, "resolve", {"resolution": "更换启动电容，制冷恢复正常。"}),
        (desk, "callback", {"reached": True, "satisfied": True, "comment": "业主确认正常"}),
        (tenant, "rating", {"score": 5, "comment": "师傅很专业👍"}),
        (desk, "close", {"summary": "已回访，业主满意。"}),
    ]
    for token, action, body in steps:
        status, case, _ = stack.call("POST", f"{base}/{action}", token, body)
        assert status == 200, (action, case)
    assert case["status"] == "closed"

    status, seen_by_staff, _ = stack.call("GET", base, desk)
    assert status == 200
    # The watcher's notices (e.g. the same-day report a promise beyond today sends the manager) land
    # whenever the engine runs: between any two steps. The staff's own steps keep their order.
    automatic = {"escalation_notified", "escalation_unrouted", "watch_renewed", "callback_reminder"}
    assert [e["action"] for e in seen_by_staff["timeline"] if e["action"] not in automatic] == [
        "submitted", "classify", "assign", "respond", "resolve", "callback", "rate", "close"]
    status, seen_by_tenant, raw = stack.call("GET", base, tenant)
    assert status == 200
    assert seen_by_tenant["content"] == CONTENT and CONTENT.encode("utf-8") in raw
    assert seen_by_tenant["rating"]["comment"] == "师傅很专业👍"
    assert [e["action"] for e in seen_by_tenant["timeline"]] == [  # classification stays internal
        "submitted", "assign", "respond", "resolve", "callback", "rate", "close"]

    # The seeded P1 queue: open cases, earliest deadline first, those without one last.
    status, queue, _ = stack.call("GET", "/v1/properties/P1/queue?limit=100", desk)
    assert status == 200
    items = queue["items"]
    assert items and all(i["status"] != "closed" for i in items)
    dues = [i["next_due"] or "~" for i in items]
    assert dues == sorted(dues)
    assert any(i["overdue"] for i in items)

    # Ctrl-C stops everything: exit 0, and nothing answers on the API port any more.
    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(15) == 0, stack.output()
    assert "Stopped." in stack.output()
    with pytest.raises(OSError):
        urllib.request.urlopen(stack.url + "/v1/health", timeout=2)

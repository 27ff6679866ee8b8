"""The benchmark scripts run, the DynamoDB request budget and the cost goal hold, and
the load run loses no case.

Request counts under moto are deterministic, so they are asserted; timings are
not, so the cold-start script is only smoke-tested (it prints a ratio line).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ACTIONS = ("classify", "assign", "respond", "resolve")
READ_ONLY = ("submit replay", "queue page (25)", "queue page overdue", "case detail", "tenant list own")


def _run(script: str, *args: str, timeout: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, str(REPO / "bench" / script), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def test_dynamo_request_budget():
    proc = _run("dynamo_calls.py", "--check", "--json", timeout=300)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, f"no output (exit {proc.returncode}): {proc.stderr[-3000:]}"
    fig = json.loads(lines[-1])
    warm, cold = fig["warm"], fig["cold"]
    missed = [g for g in fig["goals"] if not g["pass"]]
    assert not missed, missed
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert fig["all_pass"] is True

    # The goals, restated so a change to the script cannot quietly weaken them.
    assert warm["submit"]["writes"] == 1, warm["submit"]
    # With the watcher on (a state machine configured): one read (the duplicate Query beside
    # it, on the reader thread: no round trip of its own), one transaction, nothing else.
    assert warm["submit"]["calls"] == ["BatchGetItem", "∥Query", "TransactWriteItems"], warm["submit"]
    assert cold["submit"]["writes"] == 1, cold["submit"]
    assert warm["queue page (25)"]["calls"] == ["Query"], warm["queue page (25)"]
    assert warm["queue page overdue"]["calls"] == ["Query"], warm["queue page overdue"]
    assert all(f["scans"] == 0 for f in [*warm.values(), *cold.values()]), fig
    assert fig["run_scans"] == 0

    # The store's contract: every change and its audit event in one transaction;
    # reads and replays never write.
    for name in ("submit", "log walk-in", *ACTIONS):
        assert warm[name]["ops"].get("TransactWriteItems") == 1 and warm[name]["writes"] == 1, (name, warm[name])
    for name in READ_ONLY:
        assert warm[name]["writes"] == 0, (name, warm[name])
    # Everything measured, nothing but DynamoDB data-plane requests (but where another service does
    # the work: SNS registers a device, S3 holds the upload, Cognito the invited account).
    assert {"submit", "log walk-in", *ACTIONS, *READ_ONLY} <= set(warm)
    beside = {"register device": "sns:", "upload complete": "s3:", "invite": "cognito-idp:"}
    for name, f in [*warm.items(), *cold.items()]:
        assert all(c.startswith(beside[name]) for c in f["calls"] if ":" in c) if name in beside \
            else f["other"] == 0, (name, f)
    # The tenant API (issue 15): one Query per feed page, first or later; the tenant, key register,
    # diary and archive routes measured.
    assert warm["feed page"]["calls"] == ["Query"] and warm["feed later page"]["calls"] == ["Query"]
    assert {"mark read", "register device", "upload start", "upload complete", "invite", "keys out list",
            "lend a key", "logbook diary add", "archive phone lookup"} <= set(warm)


def test_cold_start_script_prints_a_ratio():
    proc = _run("cold_start.py", "--runs", "2", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"^ratio median\(app\)/median\(boto3\) = \d+\.\d+ .*goal ≤ 1\.5\s+(PASS|MISS)$",
                     proc.stdout, re.M), proc.stdout
    assert "import boto3" in proc.stdout and "import app" in proc.stdout
    assert "cumulative import time under `import app`" in proc.stdout, proc.stdout


def test_load_script_runs_against_the_local_stack_and_loses_no_case():
    """A short run: every level reports its figures (no verdicts), and every
    submission answered 201 under concurrency is in the table afterwards."""
    proc = _run("load.py", "--seconds", "2", "--concurrency", "1,4", timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for level in (1, 4):
        assert f"--- {level} concurrent ---" in out, out
    assert len(re.findall(r"^\(report\) throughput ours/floor = \d+\.\d+; submit p99 = [\d.]+ ms", out, re.M)) == 2
    assert not re.search(r"^(PASS|MISS)", out, re.M), out  # a report of the local stack: no verdict it cannot judge
    assert len(re.findall(r"ours/floor cannot exceed \d+\.\d+", out)) == 2, out
    assert re.search(r"^\s+[\d.]+ ms  StartExecution", out, re.M), out
    stored, answered = map(int, re.search(r"stored: (\d+) bench cases .*warm-up: (\d+)", out).groups())
    assert stored == answered > 0, out


def test_cost_script_stays_within_the_goal():
    proc = _run("cost.py", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    verdicts = re.findall(r"^\s+(PASS|MISS)\s+\$([\d.]+) per case \(goal ≤ \$0\.001\)", proc.stdout, re.M)
    assert [v for v, _ in verdicts] == ["PASS", "PASS"], proc.stdout
    assert all(float(dollars) <= 0.001 for _, dollars in verdicts)


def test_email_intake_script_prints_its_rates():
    proc = _run("email_intake.py", "--seconds", "1", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"^messages: \d+ in [\d.]+ s of intake time → [\d.]+ messages/s", proc.stdout, re.M), proc.stdout
    assert re.search(r"^parse\(\) alone: [\d.]+ messages/s", proc.stdout, re.M), proc.stdout


def test_submit_path_is_two_requests_and_the_rest_of_the_report_runs():
    """bench/submit_path.py: the request counts are deterministic and asserted; the CPU and
    simulated-latency figures are timings, only smoke-tested (they are printed, not judged here)."""
    proc = _run("submit_path.py", "--runs", "10", "--samples", "2000", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    fig = json.loads(proc.stdout.strip().splitlines()[-1])
    requests = fig["requests"]
    # A submit with the watcher on: one read, one transaction; the watcher starts off the path.
    assert requests["submit"] == ["BatchGetItem", "∥Query", "TransactWriteItems"]  # 2 round trips
    for action in ("classify", "assign", "respond", "resolve", "callback", "close", "classify major (new watcher)"):
        assert requests[action] == ["GetItem", "TransactWriteItems"], (action, requests[action])
    assert not any(c.startswith("stepfunctions:") or c == "DeleteItem"
                   for name, calls in requests.items() if "stream consumer" not in name for c in calls)
    assert requests["stream consumer, per watcher start (off the path)"] == ["stepfunctions:StartExecution",
                                                                             "DeleteItem"]
    assert fig["stream_calls"] == 2 * fig["stream_starts"]  # each outbox record: one start, one delete
    assert fig["cpu"]["submit_cpu_ms"] > 0 and fig["cpu"]["putitem_cpu_ms"] > 0 and fig["cpu"]["profile"]
    after, before = fig["latency"]["after"], fig["latency"]["before"]
    assert after["path"] == ["BatchGetItem", "∥Query", "TransactWriteItems"] and len(before["path"]) == 4
    assert 0 < after["p50"] <= after["p99"] and after["p99"] < before["p99"]
    assert [g["goal"] for g in fig["goals"]][0] == "submit: sequential AWS requests" and fig["goals"][0]["pass"]


def test_the_duplicate_finder_bench_reports_precision_recall_and_one_query_per_new_case():
    proc = _run("dedupe.py", "--json", "--check", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    fig = json.loads(proc.stdout.strip().splitlines()[-1])
    overall = fig["by_language"]["overall"]
    assert fig["pairs"] >= 200 and overall["precision"] >= 0.9 and overall["recall"] >= 0.8, fig
    assert {"zh-Hans", "zh-Hant", "en", "mixed"} <= set(fig["by_language"])
    d = fig["dynamodb_per_new_case"]
    assert (d["queries"], d["scans"]) == (1, 0) and d["operations"].count("TransactWriteItems") == 1, d
    assert d["suggested"], d  # the three earlier reports of the same problem

#!/usr/bin/env python
"""AWS requests and dollars per case, over one case's whole lifecycle.

One app case goes submit → classify → assign → respond → resolve → callback →
close through the real Chalice app (``chalice.test.Client``, stage ``local``,
wired by ``chalicelib.runtime`` with the watcher and callback reminders on),
against an in-process moto. Every botocore request made on the main thread is
recorded (``BaseClient._make_api_call``, as in bench/dynamo_calls.py), with
its parameters and answer, so DynamoDB capacity units can be counted:

- writes: 1 WRU per KB of each item put (item size from the request: names +
  values in UTF-8), 1 WRU for an update/delete (assumed ≤ 1 KB), and twice
  that for every item (Put, Update, Delete or ConditionCheck) in a
  TransactWriteItems;
- reads: per 4 KB of item data returned, 0.5 RRU eventually consistent, 1 RRU
  strongly consistent, 2 RRU transactional; a read that finds nothing still
  costs the minimum.

The case's watcher is moto's Step Functions running the repo's own ASL
(statemachines/case_watch.asl.json); its ``Check`` tasks are answered by the
real ``watch_tasks`` handler *after* the case is closed (the fake clock is in
the past, so moto would pass every Wait at once). Billed transitions are the
``*StateEntered`` events of ``get_execution_history``. That is the minimum
(every execution checks once and ends); on AWS each execution also wakes once
per deadline it waits for, so the estimate adds one check per deadline the
case ever had, at the measured transitions per check.

Watchers start from the meta table's stream (issue 18): after each API step the
stream's outbox records go to the real ``watch_stream`` consumer, one invocation
per batch (row ``stream``). Lambda: one invocation per API call, per watcher
check and per stream batch, 100 ms each (assumed) at each function's memory in
infra/functions.py. SQS: the Check's SendMessage plus the worker's receive and
delete (3 per check; the event source mapping's empty polls are not counted).
Prices: AWS list prices, us-east-1 (see PRICES). A report, not a test.

    python bench/cost.py [--json]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "AWS_SESSION_TOKEN",
              "TD_DEV_KEY_FILE", "TD_TABLE_PREFIX", "TD_CASES_TABLE", "TD_EVENTS_TABLE", "TD_META_TABLE",
              "TD_STATE_MACHINE_ARN", "TD_WATCH_QUEUE_URL", "TD_WATCH_DLQ_URL", "TD_REMINDER_QUEUE_ARN"):
    os.environ.pop(_name, None)
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "ap-southeast-1", "AWS_REGION": "ap-southeast-1",
    "TD_AUTH_SECRET": "tenantdesk-bench-signing-key-" + "x" * 40, "TD_AUTH_MODE": "local",
    "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR",
})
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PROPERTY = "P1"
T0 = datetime(2025, 6, 2, 2, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in Shanghai; in the past (see docstring)
ASL = REPO / "statemachines" / "case_watch.asl.json"
GOAL_PER_CASE = 0.001

PRICES = {  # USD, us-east-1 list prices
    "dynamodb_wru": 1.25 / 1e6, "dynamodb_rru": 0.25 / 1e6,
    "sfn_transition": 0.025 / 1000,
    "lambda_request": 0.20 / 1e6, "lambda_gb_s": 0.0000166667,
    "apigw_request": 3.50 / 1e6,
    "ses_message": 0.10 / 1000,
    "scheduler_invocation": 1.00 / 1e6,
    "sqs_request": 0.40 / 1e6,
}
LAMBDA_SECONDS = 0.1  # per invocation, assumed
# Memory per function (infra/functions.py MEMORY_MB): the API's, the watcher's Check's, the stream consumer's.
API_GB, CHECK_GB, STREAM_GB = 1.0, 0.5, 0.5
STREAM_STEP = "stream"  # watch_stream: starts the watcher from the outbox record, off the request path


# --- recording ------------------------------------------------------------------------------

class Recorder:
    """Records (service, operation, params, response) for requests made on the main thread."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict, Any]] = []
        self.active = False
        self._thread = threading.get_ident()
        self._original = None

    def install(self) -> None:
        from botocore.client import BaseClient
        original = self._original = BaseClient._make_api_call
        recorder = self

        def _make_api_call(client: Any, operation_name: str, api_params: dict) -> Any:
            try:
                response = original(client, operation_name, api_params)
            except Exception as exc:
                response = {"error": type(exc).__name__}
                raise
            finally:
                if recorder.active and threading.get_ident() == recorder._thread:
                    recorder.calls.append((client.meta.service_model.service_name, operation_name,
                                           api_params, response))
            return response

        BaseClient._make_api_call = _make_api_call

    def uninstall(self) -> None:
        if self._original is not None:
            from botocore.client import BaseClient
            BaseClient._make_api_call = self._original

    def measure(self, fn):
        self.calls, self.active = [], True
        try:
            return fn(), list(self.calls)
        finally:
            self.active = False


def _value_size(value: dict) -> int:
    (kind, v), = value.items()
    if kind in ("S", "N"):
        return len(str(v).encode("utf-8"))
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS"):
        return sum(len(str(x).encode("utf-8")) for x in v)
    if kind == "L":
        return 3 + sum(1 + _value_size(x) for x in v)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + 1 + _value_size(x) for k, x in v.items())
    return len(json.dumps(v))


def item_size(item: dict) -> int:
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in item.items())


def capacity(service: str, op: str, params: dict, response: Any) -> tuple[float, float, int]:
    """(WRU, RRU, largest item bytes written) of one DynamoDB request."""
    if service != "dynamodb":
        return 0.0, 0.0, 0
    response = response if isinstance(response, dict) else {}
    kb = lambda item: max(1, math.ceil(item_size(item) / 1024))  # noqa: E731
    units4 = lambda size: max(1, math.ceil(size / 4096))  # noqa: E731
    if op == "TransactWriteItems":
        wru, biggest = 0.0, 0
        for entry in params.get("TransactItems", []):
            if "Put" in entry:
                wru += 2 * kb(entry["Put"]["Item"])
                biggest = max(biggest, item_size(entry["Put"]["Item"]))
            else:
                wru += 2
        return wru, 0.0, biggest
    if op == "PutItem":
        return float(kb(params["Item"])), 0.0, item_size(params["Item"])
    if op in ("UpdateItem", "DeleteItem"):
        return 1.0, 0.0, 0
    if op == "BatchWriteItem":
        wru = 0.0
        for requests in params.get("RequestItems", {}).values():
            for r in requests:
                wru += kb(r["PutRequest"]["Item"]) if "PutRequest" in r else 1
        return wru, 0.0, 0
    per = lambda strong: 1.0 if strong else 0.5  # noqa: E731
    if op == "GetItem":
        return 0.0, per(params.get("ConsistentRead")) * units4(item_size(response.get("Item") or {})), 0
    if op == "BatchGetItem":
        rru = 0.0
        for table, request in params.get("RequestItems", {}).items():
            found = (response.get("Responses") or {}).get(table, [])
            sizes = [item_size(i) for i in found] + [0] * max(0, len(request.get("Keys", [])) - len(found))
            rru += sum(per(request.get("ConsistentRead")) * units4(s) for s in sizes)
        return 0.0, rru, 0
    if op in ("Query", "Scan"):
        size = sum(item_size(i) for i in response.get("Items", []))
        return 0.0, per(params.get("ConsistentRead")) * units4(size), 0
    if op == "TransactGetItems":
        return 0.0, sum(2.0 * units4(0) for _ in params.get("TransactItems", [])), 0
    return 0.0, 0.0, 0


# --- the scenario ---------------------------------------------------------------------------

class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class ScenarioError(Exception):
    pass


def stage_environment(stage: str) -> dict[str, str]:
    from chalice.cli.factory import CLIFactory
    try:
        config = CLIFactory(str(REPO)).create_config_obj(chalice_stage_name=stage)
    except RuntimeError:
        return {}
    return dict(config.scope(config.chalice_stage, "api_handler").environment_variables or {})


def run(stage: str = "local") -> dict[str, Any]:
    import boto3
    from chalice.test import Client
    from moto import mock_aws
    from moto.core.config import default_user_config

    os.environ.update(stage_environment(stage))
    from devstack.moto_compat import allow_concurrent_executions
    allow_concurrent_executions()
    saved_flag = default_user_config["stepfunctions"].get("execute_state_machine")
    default_user_config["stepfunctions"]["execute_state_machine"] = True
    recorder = Recorder()
    steps: list[tuple[str, list]] = []
    try:
        with mock_aws():
            from chalicelib import config, runtime
            from chalicelib.adapters.dynamodb import DynamoStore
            from chalicelib.adapters.models import bind, create_tables
            from chalicelib.http.identity import mint_token
            region = config.region()
            models = bind()
            create_tables(models)
            sqs = boto3.client("sqs", region_name=region)
            sfn = boto3.client("stepfunctions", region_name=region)
            scheduler = boto3.client("scheduler", region_name=region)
            ses = boto3.client("ses", region_name=region)
            ses.verify_domain_identity(Domain="riverside.example")
            ses.verify_email_identity(EmailAddress=config.mail_from())
            queue_url = sqs.create_queue(QueueName="tenantdesk-watch-tasks")["QueueUrl"]
            dlq_url = sqs.create_queue(QueueName="tenantdesk-watch-dead-letters")["QueueUrl"]
            rem_url = sqs.create_queue(QueueName="tenantdesk-reminders")["QueueUrl"]
            rem_arn = sqs.get_queue_attributes(QueueUrl=rem_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            scheduler.create_schedule_group(Name=config.schedule_group())
            arn = sfn.create_state_machine(name="tenantdesk-case-watch", definition=ASL.read_text(encoding="utf-8"),
                                           roleArn="arn:aws:iam::123456789012:role/tenantdesk-case-watch")[
                "stateMachineArn"]
            os.environ.update({"TD_STATE_MACHINE_ARN": arn, "TD_WATCH_QUEUE_URL": queue_url,
                               "TD_WATCH_DLQ_URL": dlq_url, "TD_REMINDER_QUEUE_ARN": rem_arn,
                               "TD_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/tenantdesk-scheduler"})
            DynamoStore(models).put_meta(f"PROPERTY#{PROPERTY}", "SETTINGS", {
                "name": "滨江花园 Riverside Garden", "email": "service@riverside.example",
                "departments": ["engineering", "security", "cleaning", "customer_service"],
                "contacts": {"manager": "manager@riverside.example", "director": "director@riverside.example",
                             "on_duty": "control-room@riverside.example", "front_desk": "desk@riverside.example"}})

            clock = Clock(T0)
            runtime.reset()
            runtime.set_clock(clock)
            secret = config.auth_secret()

            def mint(role: str, sub: str, name: str) -> str:
                return mint_token(secret, subject=sub, role=role, properties=[PROPERTY], name=name, now=T0,
                                  ttl_seconds=7 * 24 * 3600)

            tenant = mint("tenant", "tenant-1", "李女士")
            desk = mint("front_desk", "front_desk-1", "前台小王")
            staff = mint("dept_staff", "dept_staff-1", "工程部张师傅")
            from app import app
            from chalicelib.adapters.watch_stream import outbox_start, stream_filter
            from chalicelib.services.watch_stream import WatchStream
            from devstack.streams import StreamReader, deliver
            reader = StreamReader(boto3.client("dynamodb", region_name=region),
                                  boto3.client("dynamodbstreams", region_name=region), config.meta_table(),
                                  start="TRIM_HORIZON")

            def stream_starts(steps: list) -> None:
                """What Lambda's event source mapping does after a change: the outbox records
                on the meta table's stream go to watch_stream, which starts the watchers (one
                invocation per batch; reading the stream is free for Lambda triggers)."""
                records = []
                while batch := reader.read():
                    records += batch
                consumer = WatchStream(runtime.service(), outbox_start)
                lost, calls = recorder.measure(lambda: deliver(consumer.handle, records, reader.arn, region, None,
                                                               pattern=stream_filter()))
                if lost:
                    raise ScenarioError(f"the stream consumer failed on {lost}")
                if calls:
                    steps.append((STREAM_STEP, calls))
            recorder.install()
            with Client(app, stage_name=stage, project_dir=str(REPO)) as client:
                def call(method: str, path: str, token: str, body: Any, status: int, headers: dict | None = None):
                    h = {"Content-Type": "application/json", "Authorization": f"Bearer {token}", **(headers or {})}
                    resp = getattr(client.http, method.lower())(path, headers=h,
                                                                body=json.dumps(body, ensure_ascii=False).encode())
                    payload = json.loads(resp.body) if resp.body else None
                    if resp.status_code != status:
                        raise ScenarioError(f"{method} {path} answered {resp.status_code}: {payload}")
                    return payload

                base = f"/v1/properties/{PROPERTY}"
                case, calls = recorder.measure(lambda: call("POST", f"{base}/cases", tenant, {
                    "unit": "3栋1201", "title": "空调不制冷", "content": "客厅空调不制冷，室内30℃，老人孩子在家，请尽快派师傅。",
                    "category": "air_conditioning"}, 201, {"Idempotency-Key": "cost-1"}))
                steps.append(("submit", calls))
                stream_starts(steps)
                act = f"{base}/cases/{case['case_id']}"
                plan = [
                    (5, desk, "classify", {"kind": "complaint", "validity": "valid", "cause": "equipment_facility",
                                           "department": "engineering"}),
                    (10, desk, "assign", {"assignee": "dept_staff-1", "note": "请今天下午上门"}),
                    (30, staff, "respond", {"message": "您好，张师傅下午2点上门检查。", "via": "phone"}),
                    (120, staff, "resolve", {"resolution": "更换启动电容，制冷恢复正常。"}),
                    (150, desk, "callback", {"reached": True, "satisfied": True, "comment": "业主确认正常"}),
                    (155, desk, "close", {"summary": "已回访，业主满意。"}),
                ]
                for minutes, token, action, body in plan:
                    clock.now = T0 + timedelta(minutes=minutes)
                    result, calls = recorder.measure(  # measure calls it at once, in this iteration
                        lambda: call("POST", f"{act}/{action}", token, body, 200))  # noqa: B023
                    steps.append((action, calls))
                    stream_starts(steps)
                if result["status"] != "closed":
                    raise ScenarioError(f"the case ended {result['status']}")

                # The watcher: answer every Check with the real handler until no execution runs.
                checks = 0

                def drain() -> int:
                    done = 0
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        running = [e for e in sfn.list_executions(stateMachineArn=arn)["executions"]
                                   if e["status"] == "RUNNING"]
                        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get("Messages", [])
                        if not messages:
                            if not running:
                                return done
                            time.sleep(0.05)
                            continue
                        body = messages[0]["Body"]
                        event = client.events.generate_sqs_event(message_bodies=[body],
                                                                 queue_name="tenantdesk-watch-tasks")
                        client.lambda_.invoke("watch_tasks", event)
                        done += 1
                    raise ScenarioError("the watcher executions did not end within 30 s")

                checks, watch_calls = recorder.measure(drain)
                watch_calls = [c for c in watch_calls if c[:2] not in (("stepfunctions", "ListExecutions"),
                                                                       ("sqs", "ReceiveMessage"))]
                executions = sfn.list_executions(stateMachineArn=arn)["executions"]
                transitions, history = 0, Counter()
                for e in executions:
                    events = sfn.get_execution_history(executionArn=e["executionArn"], maxResults=1000)["events"]
                    for ev in events:
                        history[ev["type"]] += 1
                        if ev["type"].endswith("StateEntered"):
                            transitions += 1
                stored = DynamoStore(models).get_case(PROPERTY, case["case_id"])
                deadlines = sorted(stored.deadlines)
    finally:
        recorder.uninstall()
        default_user_config["stepfunctions"]["execute_state_machine"] = saved_flag
        from chalicelib import runtime
        runtime.reset()
    return {"steps": steps, "watch_calls": watch_calls, "checks": checks,
            "executions": [(e["name"], e["status"]) for e in executions],
            "transitions": transitions, "history": dict(history), "deadlines": deadlines}


# --- the bill -------------------------------------------------------------------------------

def bill(fig: dict[str, Any], check_calls: list) -> dict[str, Any]:
    rows = []
    totals = defaultdict(float)
    biggest = 0
    for name, calls in fig["steps"]:
        services = Counter()
        wru = rru = 0.0
        for service, op, params, response in calls:
            services[f"{service}:{op}"] += 1
            w, r, b = capacity(service, op, params, response)
            wru, rru, biggest = wru + w, rru + r, max(biggest, b)
        rows.append({"step": name, "requests": dict(services), "wru": wru, "rru": rru})
        totals["wru"] += wru
        totals["rru"] += rru
        for key, n in services.items():
            totals[key] += n
    return {"rows": rows, "totals": dict(totals), "biggest_item": biggest}


def dollars(fig: dict[str, Any], totals: dict[str, float], check_wru: float, check_rru: float,
            checks: int, transitions: int) -> list[tuple[str, str, float]]:
    api_calls = sum(1 for name, _ in fig["steps"] if name != STREAM_STEP)
    streams = len(fig["steps"]) - api_calls
    gb_s = (api_calls * API_GB + checks * CHECK_GB + streams * STREAM_GB) * LAMBDA_SECONDS
    ses = sum(n for k, n in totals.items() if k.startswith(("ses:", "sesv2:")))
    sched = int(sum(n for k, n in totals.items() if k.startswith("scheduler:") and not k.endswith("GetSchedule")))
    return [
        ("DynamoDB writes", f"{totals['wru'] + check_wru:g} WRU", (totals["wru"] + check_wru) * PRICES["dynamodb_wru"]),
        ("DynamoDB reads", f"{totals['rru'] + check_rru:g} RRU", (totals["rru"] + check_rru) * PRICES["dynamodb_rru"]),
        ("API Gateway (REST)", f"{api_calls} requests", api_calls * PRICES["apigw_request"]),
        ("Lambda requests", f"{api_calls} API + {checks} checks + {streams} stream",
         (api_calls + checks + streams) * PRICES["lambda_request"]),
        ("Lambda compute", f"{gb_s:g} GB-s", gb_s * PRICES["lambda_gb_s"]),
        ("Step Functions", f"{transitions} transitions", transitions * PRICES["sfn_transition"]),
        ("SQS (watch tasks)", f"{3 * checks} requests", 3 * checks * PRICES["sqs_request"]),
        ("EventBridge Scheduler", f"{sched} API calls, 0 invocations", 0.0),
        ("SES", f"{ses} mails", ses * PRICES["ses_message"]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="local")
    args = parser.parse_args()
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        fig = run(args.stage)
    except ScenarioError as exc:
        print(f"cost scenario went wrong, no figures: {exc}", file=sys.stderr)
        return 2
    b = bill(fig, [])
    print("AWS requests over one app case's lifecycle (chalice.test.Client on moto; main-thread botocore requests)")
    print()
    header = f"{'step':9} | {'WRU':>4} | {'RRU':>4} | requests"
    print(header)
    print("-" * 100)
    for r in b["rows"]:
        print(f"{r['step']:9} | {r['wru']:>4g} | {r['rru']:>4g} | "
              + ", ".join(f"{k}×{n}" if n > 1 else k for k, n in r["requests"].items()))
    t = b["totals"]
    print(f"{'total':9} | {t['wru']:>4g} | {t['rru']:>4g} |  largest item written {b['biggest_item']} bytes")
    wc_services = Counter(f"{svc}:{op}" for svc, op, _, _ in fig["watch_calls"])
    wc = [capacity(*c) for c in fig["watch_calls"]]
    check_wru, check_rru = sum(w for w, _, _ in wc), sum(r for _, r, _ in wc)
    print(f"{'checks':9} | {check_wru:>4g} | {check_rru:>4g} | "
          + ", ".join(f"{k}×{n}" if n > 1 else k for k, n in wc_services.items())
          + f"  (all {fig['checks']} watcher checks, answered by watch_tasks)")
    print()
    per_check = fig["transitions"] / fig["checks"] if fig["checks"] else 0
    print(f"watcher (measured): {len(fig['executions'])} execution(s) {fig['executions']}, {fig['checks']} check(s), "
          f"{fig['transitions']} state transitions ({per_check:.1f} per check)")
    print(f"  history events: {', '.join(f'{k}×{v}' for k, v in sorted(fig['history'].items()))}")
    wake = len(fig["deadlines"])
    est_checks = fig["checks"] + wake
    est_transitions = round(fig["transitions"] + wake * 3)  # Check, Decide, Sleep per extra wake
    print(f"watcher (estimate on AWS): + one wake per deadline the case had ({wake}: {', '.join(fig['deadlines'])})"
          f" → {est_checks} checks, {est_transitions} transitions (3 per extra wake: Sleep, Check, Decide)")
    rru_per_check = check_rru / fig["checks"] if fig["checks"] else 0.0
    print(f"  each check reads {rru_per_check:g} RRU (measured above), the same for every extra wake")
    print()
    for label, checks, transitions in (("measured minimum", fig["checks"], fig["transitions"]),
                                       ("estimate", est_checks, est_transitions)):
        lines = dollars(fig, t, check_wru, rru_per_check * checks, checks, transitions)
        total = sum(x for _, _, x in lines)
        print(f"Cost per case — {label} (us-east-1 list prices):")
        for name, qty, usd in lines:
            print(f"  {name:22} {qty:34} ${usd:.8f}   (${usd * 1000:.5f} per 1,000)")
        print(f"  {'total':22} {'':34} ${total:.8f}   (${total * 1000:.4f} per 1,000 cases)")
        print(f"  {'PASS' if total <= GOAL_PER_CASE else 'MISS'}  ${total:.6f} per case (goal ≤ ${GOAL_PER_CASE})")
        print()
    print(f"Assumptions: Lambda {int(LAMBDA_SECONDS * 1000)} ms per invocation at the function's memory (API "
          f"{int(API_GB * 1024)} MB, checks {int(CHECK_GB * 1024)} MB, stream consumer {int(STREAM_GB * 1024)} MB: "
          "infra/functions.py); the stream consumer's GetRecords are free (Lambda trigger); items "
          "sized from the request (names + UTF-8 values); update/delete/condition-check ≤ 1 KB; the reminder "
          "schedule is deleted by the callback before it fires (0 Scheduler invocations; create/delete are free "
          "API calls); SQS counts SendMessage + ReceiveMessage + DeleteMessage per check, not idle polling; "
          "CloudWatch logs/metrics, data transfer and free tiers are not included.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

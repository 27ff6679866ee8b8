#!/usr/bin/env python
"""Case submissions per second through the real local stack, against a bare DynamoDB floor.

Starts ``python -m devstack`` in a subprocess (moto server + ``chalice local``,
default seed, so the properties exist), with a throw-away signing key file.
Then, for ``--seconds``, ``--concurrency`` threads each submit cases as their
own tenant (``tenant-bench-N``, token from ``python -m chalicelib.cli token``)
over HTTP: ``POST /v1/properties/<P>/cases`` with a Chinese body and a fresh
Idempotency-Key, timing every request. Then the floor, against the same moto
server (the banner's ``AWS (moto)`` address): a bare DynamoDB ``PutItem`` loop
into a scratch table, same concurrency and duration, one boto3 client per
thread. Printed: submissions/s, p50/p95/p99, errors by status, the floor's
puts/s and p50/p99, and ours/floor. A report of the local stack, with no
verdict: the emulator spends several times a PutItem's CPU on each of a
submit's requests, which caps ours/floor whatever the product does; the
submit path's goals are judged by bench/submit_path.py, as AWS will see it.

Every case of one property shares that day's case-number counter, which is
optimistic-locked: concurrent submits race for it and the loser re-reads and
retries (``CaseService.submit``). The retries are not visible over HTTP except
as latency and as ``409 busy_retry`` answers, so ``--properties P1,P2`` spreads
the tenants over two properties (two counters) for comparison.

    python bench/load.py [--seconds 20] [--concurrency 8] [--properties P1]

All traffic goes to 127.0.0.1; the stack is always stopped (SIGINT, then kill).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # chalicelib.domain.quotas: the ceiling an operator may set
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 10.0
CONTENT = "楼道灯坏了，晚上很黑，老人上下楼不安全，请尽快派师傅维修。谢谢！"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Stack:
    """``python -m devstack`` in a subprocess, output to a log file."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.log = workdir / "stack.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TD_", "AWS_"))}
        self.env.update(TD_DEV_KEY_FILE=str(workdir / "dev-key"), PYTHONUNBUFFERED="1")
        self.process: subprocess.Popen | None = None
        self.api_url = self.aws_url = ""

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def start(self) -> None:
        port = free_port()
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "devstack", "--port", str(port), "--moto-port", "0"], cwd=REPO, env=self.env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while "Ctrl-C stops everything" not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not start (exit {self.process.poll()}):\n{self.output()[-3000:]}")
            time.sleep(0.1)
        text = self.output()
        self.api_url = re.search(r"API\s+(http://\S+)", text).group(1)
        self.aws_url = re.search(r"AWS \(moto\)\s+(http://\S+)", text).group(1)
        for url in (self.api_url, self.aws_url):
            if not url.startswith("http://127.0.0.1:"):
                raise RuntimeError(f"refusing to send load anywhere but 127.0.0.1: {url}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def token(self, subject: str, property_id: str, role: str = "tenant") -> str:
        done = subprocess.run([sys.executable, "-m", "chalicelib.cli", "token", "--role", role, "--property",
                               property_id, "--subject", subject, "--name", "压测住户"], cwd=REPO, env=self.env,
                              capture_output=True, text=True, timeout=30, check=True)
        return done.stdout.strip()

    def lift_quotas(self, property_id: str) -> None:
        """A bench tenant submits far more than a person would: raise the
        property's quotas to their ceiling, as an operator may, so the figures
        measure the submit path and not 429s."""
        from chalicelib.domain import quotas
        headers = {"Authorization": f"Bearer {self.token('bench-admin', property_id, 'admin')}",
                   "Content-Type": "application/json"}
        url = f"{self.api_url}/v1/properties/{property_id}"
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            settings = json.load(response)
        body = {key: settings[key] for key in ("name", "email", "contacts", "departments", "policy")
                if settings.get(key) is not None}
        body["quotas"] = dict.fromkeys(quotas.DEFAULTS, quotas.MAX_LIMIT)
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT", headers=headers)
        urllib.request.urlopen(request, timeout=30).close()


def submit_loop(url: str, token: str, property_id: str, worker: int, stop_at: float, out: dict) -> None:
    latencies, statuses = out["latencies"], out["statuses"]
    n = 0
    while time.monotonic() < stop_at:
        body = json.dumps({"unit": f"{worker + 1}栋{1201 + n}", "content": CONTENT, "category": "public_facility"},
                          ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(f"{url}/v1/properties/{property_id}/cases", data=body, method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json",
            "Idempotency-Key": f"load-{worker}-{n}-{uuid.uuid4().hex[:8]}"})
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            payload = error.read()
            status = error.code
            try:
                code = json.loads(payload or b"{}").get("code") or json.loads(payload).get("error", {}).get("code")
            except (ValueError, AttributeError):
                code = None
            if code:
                out["codes"][f"{status} {code}"] += 1
        except (urllib.error.URLError, OSError) as error:
            status = f"transport: {type(error).__name__}"
        elapsed = time.perf_counter() - t0
        statuses[status] += 1
        if status == 201:
            latencies.append(elapsed)
        n += 1


def floor_loop(endpoint: str, table: str, worker: int, stop_at: float, out: dict) -> None:
    import boto3
    from botocore.config import Config
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="ap-southeast-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=REQUEST_TIMEOUT))
    n = 0
    while time.monotonic() < stop_at:
        t0 = time.perf_counter()
        try:
            client.put_item(TableName=table, Item={
                "pk": {"S": f"w{worker}-{n}"}, "unit": {"S": f"{worker + 1}栋{1201 + n}"}, "content": {"S": CONTENT},
                "category": {"S": "public_facility"}})
            out["latencies"].append(time.perf_counter() - t0)
        except Exception as error:  # noqa: BLE001 - counted, reported
            out["errors"][type(error).__name__] += 1
        n += 1


def count_stored(ddb, banner: str) -> dict[str, int]:
    """Cases of the bench tenants actually in the cases table (moto only; a Scan is fine here)."""
    prefix = re.search(r"tables (\S+)-\*", banner).group(1)
    found: dict[str, int] = Counter()
    kwargs = {"TableName": f"{prefix}-cases", "FilterExpression": "begins_with(tenant_id, :t)",
              "ExpressionAttributeValues": {":t": {"S": "tenant-bench-"}},
              "ProjectionExpression": "property_id, case_id, tenant_id"}
    while True:
        page = ddb.scan(**kwargs)
        found["items"] += len(page["Items"])
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def cpu_seconds(pid: int) -> float | None:
    """User+system CPU of one process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def stack_processes(stack_pid: int) -> dict[str, int]:
    """The stack (moto server, workers) and its API child process."""
    found = {"stack (moto + workers)": stack_pid}
    try:
        children = Path(f"/proc/{stack_pid}/task/{stack_pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        found[f"API (chalice local, pid {child})"] = int(child)
    return found


def cpu_during(processes: dict[str, int], run):
    """Run ``run()`` and return its result and each process's CPU seconds meanwhile."""
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    result = run()
    used = {name: (cpu_seconds(pid) - before[name]) if before[name] is not None else None
            for name, pid in processes.items()}
    return result, used


def settle(pid: int, *, quiet: float = 0.15, limit: float = 90.0) -> float:
    """Wait until the stack process is quiet (under ``quiet`` of a core over a second):
    its stream worker starts the watchers of the cases just submitted after the
    requests have been answered (on AWS a separate Lambda does), and that backlog must
    not be counted against the next phase. Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        after = cpu_seconds(pid)
        if before is None or after is None or after - before < quiet:
            break
    return time.monotonic() - started


def run_threads(target, args_for, concurrency: int, seconds: float) -> tuple[dict, float]:
    out = {"latencies": [], "statuses": Counter(), "codes": Counter(), "errors": Counter()}
    started = time.monotonic()
    stop_at = started + seconds
    threads = [threading.Thread(target=target, args=(*args_for(i), stop_at, out), daemon=True)
               for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + REQUEST_TIMEOUT + 5)
    return out, time.monotonic() - started


def measure(stack: Stack, ddb, tokens: dict[int, str], assign: list[tuple[int, str]], concurrency: int,
            seconds: float) -> dict:
    """One level: ``concurrency`` tenants submitting for ``seconds``, then the
    PutItem floor with as many threads for as long; CPU of every process."""
    processes = {**stack_processes(stack.process.pid), "bench clients": os.getpid()}
    (ours, ours_elapsed), ours_cpu = cpu_during(processes, lambda: run_threads(
        submit_loop, lambda i: (stack.api_url, tokens[i], assign[i][1], i + 100 * concurrency), concurrency,
        seconds))
    settled = settle(stack.process.pid)
    table = f"bench-floor-{uuid.uuid4().hex[:8]}"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    (floor, floor_elapsed), floor_cpu = cpu_during(processes, lambda: run_threads(
        floor_loop, lambda i: (stack.aws_url, table, i), concurrency, seconds))
    ddb.delete_table(TableName=table)
    ok = ours["statuses"].get(201, 0)
    return {"concurrency": concurrency, "ours": ours, "ours_elapsed": ours_elapsed, "ours_cpu": ours_cpu, "ok": ok,
            "floor": floor, "floor_elapsed": floor_elapsed, "floor_cpu": floor_cpu,
            "rate": ok / ours_elapsed, "floor_rate": len(floor["latencies"]) / floor_elapsed, "settled": settled}


def emulator_costs(stack: Stack, ddb, n: int = 200) -> list[tuple[str, float]]:
    """The stack process's CPU per request, one request type at a time (one
    client, serial): what each of a submit's requests costs the emulator."""
    import boto3
    kw = {"endpoint_url": stack.aws_url, "region_name": "ap-southeast-1", "aws_access_key_id": "testing",
          "aws_secret_access_key": "testing"}
    sfn, sqs = boto3.client("stepfunctions", **kw), boto3.client("sqs", **kw)
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    queue = sqs.get_queue_url(QueueName="tenantdesk-watch-tasks")["QueueUrl"]
    table = f"bench-ops-{uuid.uuid4().hex[:8]}"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    body = {"S": CONTENT * 3}
    asleep = {"action": "wait", "until": "2099-01-01T00:00:00Z"}  # parked, as a new case's watcher is
    requests = [
        ("PutItem (the floor's request)", lambda i: ddb.put_item(TableName=table, Item={"pk": {"S": f"p{i}"},
                                                                                       "content": body})),
        ("BatchGetItem, 2 keys (counter, idempotency)", lambda i: ddb.batch_get_item(RequestItems={table: {"Keys": [
            {"pk": {"S": f"p{i}"}}, {"pk": {"S": f"q{i}"}}]}})),
        ("TransactWriteItems, 5 conditional puts", lambda i: ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": f"t{i}-{j}"}, "content": body},
                     "ConditionExpression": "attribute_not_exists(pk)"}} for j in range(5)])),
        ("StartExecution (the case's watcher)", lambda i: sfn.start_execution(
            stateMachineArn=machine, name=f"bench-{uuid.uuid4().hex}", input=json.dumps({
                "property_id": "BENCH", "case_id": f"c{i}", "gen": 1, "decision": asleep, "queue_url": queue,
                "dead_letter_url": queue}))),
        ("DeleteItem (the watcher's outbox record)", lambda i: ddb.delete_item(TableName=table,
                                                                              Key={"pk": {"S": f"p{i}"}})),
    ]
    costs = []
    for label, call in requests:
        time.sleep(0.5)
        before = cpu_seconds(stack.process.pid)
        for i in range(n):
            call(i)
        after = cpu_seconds(stack.process.pid)
        if before is None or after is None:
            return []
        costs.append((label, (after - before) * 1000 / n))
    for execution in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
        if execution["name"].startswith("bench-"):
            sfn.stop_execution(executionArn=execution["executionArn"])
    ddb.delete_table(TableName=table)
    return costs


def report(level: dict) -> tuple[float, float]:
    ms = lambda xs, q: percentile(xs, q) * 1000  # noqa: E731
    ours, floor = level["ours"], level["floor"]
    ratio = level["rate"] / level["floor_rate"] if level["floor_rate"] else float("nan")
    p99 = ms(ours["latencies"], .99)
    print(f"--- {level['concurrency']} concurrent ---")
    print(f"ours  : {level['ok']} cases created in {level['ours_elapsed']:.1f} s → {level['rate']:.1f} submissions/s; "
          f"latency of 201s p50 {ms(ours['latencies'], .5):.1f} ms, p95 {ms(ours['latencies'], .95):.1f} ms, "
          f"p99 {p99:.1f} ms, max {max(ours['latencies'], default=0) * 1000:.1f} ms")
    print(f"        answers: {', '.join(f'{k}×{v}' for k, v in sorted(ours['statuses'].items(), key=str))}"
          + (f"  (codes: {', '.join(f'{k}×{v}' for k, v in sorted(ours['codes'].items()))})" if ours["codes"] else ""))
    print(f"        the stack's stream worker finished starting their watchers {level['settled']:.0f} s after "
          "the last request (off the request path; on AWS the watch_stream Lambda)")
    print(f"floor : {len(floor['latencies'])} PutItem in {level['floor_elapsed']:.1f} s → {level['floor_rate']:.1f} "
          f"puts/s; p50 {ms(floor['latencies'], .5):.1f} ms, p99 {ms(floor['latencies'], .99):.1f} ms"
          + (f"; errors {dict(floor['errors'])}" if floor["errors"] else ""))
    for label, used, elapsed, done in (("ours ", level["ours_cpu"], level["ours_elapsed"], level["ok"]),
                                       ("floor", level["floor_cpu"], level["floor_elapsed"], len(floor["latencies"]))):
        parts = [f"{name} {secs / elapsed:.0%} of a core, {secs * 1000 / max(done, 1):.1f} ms/op"
                 for name, secs in used.items() if secs is not None]
        if parts:
            print(f"cpu {label}: " + "; ".join(parts))
    stack_name = next(iter(level["ours_cpu"]))
    ours_cpu, floor_cpu = level["ours_cpu"][stack_name], level["floor_cpu"][stack_name]
    if ours_cpu and floor_cpu and level["ok"] and floor["latencies"]:
        k = (ours_cpu / level["ok"]) / (floor_cpu / len(floor["latencies"]))
        print(f"        the emulator spends {k:.1f}× a PutItem's CPU on one submit: while its one core is the "
              f"bottleneck, ours/floor cannot exceed {1 / k:.2f}")
    # No verdict: on the emulator, ours/floor measures moto's CPU per request more than the app's
    # (see the per-request costs below); bench/submit_path.py judges the submit path as AWS sees it.
    print(f"(report) throughput ours/floor = {ratio:.2f}; submit p99 = {p99:.1f} ms on {os.cpu_count()} cores, "
          "local stack (bench/submit_path.py has the goals)")
    print()
    return ratio, p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per phase (ours, floor) and level")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated levels (default 1,8)")
    parser.add_argument("--properties", default="P1", help="comma-separated; tenants are spread round-robin "
                        "(default P1: every case races for one counter)")
    args = parser.parse_args()
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    properties = [p.strip() for p in args.properties.split(",") if p.strip()]
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]

    with tempfile.TemporaryDirectory(prefix="td-load-") as tmp:
        stack = Stack(Path(tmp))
        try:
            t0 = time.monotonic()
            stack.start()
            print(f"local stack up in {time.monotonic() - t0:.1f} s: API {stack.api_url}, moto {stack.aws_url}")
            for prop in properties:
                stack.lift_quotas(prop)
            assign = [(i, properties[i % len(properties)]) for i in range(max(levels))]
            tokens = {i: stack.token(f"tenant-bench-{i}", prop) for i, prop in assign}
            # One warm-up submit per worker (the API process's first request builds its clients).
            warm = {"latencies": [], "statuses": Counter(), "codes": Counter(), "errors": Counter()}
            for i, prop in assign:
                submit_loop(stack.api_url, tokens[i], prop, 10_000 + i, time.monotonic() + 0.001, warm)
            import boto3
            ddb = boto3.client("dynamodb", endpoint_url=stack.aws_url, region_name="ap-southeast-1",
                               aws_access_key_id="testing", aws_secret_access_key="testing")
            results = [measure(stack, ddb, tokens, assign, level, args.seconds) for level in levels]
            settle(stack.process.pid)
            costs = emulator_costs(stack, ddb)
            stored = count_stored(ddb, stack.output())
            log = stack.output()
            errors = Counter(line.strip()[:160] for line in log.splitlines()
                             if re.search(r"\b\w+(Error|Exception|Canceled)\b", line) and "Traceback" not in line)
        finally:
            stack.stop()

    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} — other processes on the machine skew "
          f"every figure")
    print(f"cores: {os.cpu_count()}; {args.seconds:.0f} s per phase; tenants over {', '.join(properties)}")
    print()
    for level in results:
        report(level)
    if costs:
        print("emulator CPU per request (stack process, one client, serial; 200 each):")
        for label, cost in costs:
            print(f"  {cost:5.2f} ms  {label}")
        print("  a submit makes two of them: BatchGetItem, TransactWriteItems; the stream consumer makes "
              "StartExecution and DeleteItem after it, off the request path (the local stack's worker)")
        print()
    answered = sum(r["ok"] for r in results) + warm["statuses"].get(201, 0)
    print(f"stored: {stored.get('items', 0)} bench cases in the cases table after the run; 201 answers incl. "
          f"warm-up: {answered}")
    if errors:
        print("stack log, most frequent error lines:")
        for line, n in errors.most_common(4):
            print(f"  {n:>4}× {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

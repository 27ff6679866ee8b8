#!/usr/bin/env python
"""The submit path as AWS will see it: requests, the app's CPU, simulated latency.

In process, no HTTP server, no emulator cost counted. Three parts:

1. **Sequential AWS requests** per submit and per case action, through the real
   Chalice app (``chalice.test.Client``) on in-process moto with the watcher on (a
   state machine configured), so anything the request path calls is seen. Every
   call the app makes is sequential (one request waits for the last), so the
   count is the number of round trips a tenant waits for. The watcher's start
   (StartExecution, DeleteItem of the outbox record) is counted apart: the
   meta table's stream consumer makes it, off the path.
2. **The application's CPU per submit** (JWT check, routing, JSON Schema
   validation, the domain, pynamodb/botocore serialisation, SigV4 signing,
   response parsing, logging), against a bare boto3 ``PutItem``'s client CPU in
   the same run and process. The HTTP layer is stubbed: botocore's
   ``Endpoint._send`` returns the response moto gave to the same operation in
   part 1 (recorded bytes), so serialising, signing and parsing all run and no
   emulator runs. ``time.process_time`` over ``--runs`` requests each, after a
   warm-up; the top costs from one cProfile run.
3. **Simulated latency on AWS**: each request's latency drawn from a log-normal
   distribution fitted to a p50 and a p99 per operation (``LATENCY_MS`` below,
   and where each figure comes from), plus the app's CPU from part 2 scaled to
   the API function's CPU share (``infra/functions.py MEMORY_MB``; Lambda gives
   one vCPU at 1,769 MB). p50/p99 of a submit *before* (StartExecution and
   DeleteItem on the path, as until issue 18) and *after* (the stream starts
   the watcher). API Gateway and Lambda's own invocation overhead are left out:
   they are the same before and after.

    python bench/submit_path.py [--runs 300] [--samples 200000] [--json]

A report: exit status 0, whatever the figures (``--check`` exits 1 on a missed goal).
"""
from __future__ import annotations

import argparse
import copy
import cProfile
import io
import json
import math
import os
import pstats
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import dynamo_calls as dc  # noqa: E402 - sets the process's safe AWS environment first

PROPERTY = dc.PROPERTY
GOAL_SUBMIT_REQUESTS = 2
GOAL_CPU_RATIO = 3.0
GOAL_P99_MS = 60.0
LAMBDA_FULL_VCPU_MB = 1769  # Lambda: one vCPU's worth of CPU at 1,769 MB, in proportion below

# Per-request latency on AWS, in the same region, as (p50, p99) milliseconds. Sources:
# - DynamoDB: AWS documents "single-digit millisecond" latency for GetItem/PutItem/Query at any
#   scale (DynamoDB developer guide, "What is Amazon DynamoDB?"); the 10-20 ms p99 is what
#   client-side measurements commonly show (e.g. AWS's own "Troubleshooting latency issues in
#   DynamoDB" knowledge-centre article tells you to expect occasional spikes and to look at
#   p99/max, and the SuccessfulRequestLatency metric). Single-item reads and writes: 4 / 15 ms.
# - TransactWriteItems: a two-phase write (the developer guide's "Amazon DynamoDB Transactions: How
#   it works" - every item is prepared, then committed, at twice the write capacity). No latency
#   is published; modelled as twice a single write: 8 / 30 ms. BatchGetItem reads its keys in
#   parallel: one read's figures plus a little, 5 / 18 ms.
# - Step Functions StartExecution (Standard): the issue's 20-40 ms (a control-plane-like API that
#   persists the execution before answering); modelled 25 / 45 ms.
# These are stated assumptions, not measurements: change them here and the figures follow.
LATENCY_MS: dict[str, tuple[float, float]] = {
    "GetItem": (4.0, 15.0), "PutItem": (4.0, 15.0), "DeleteItem": (4.0, 15.0), "UpdateItem": (4.0, 15.0),
    "Query": (5.0, 18.0), "BatchGetItem": (5.0, 18.0), "TransactWriteItems": (8.0, 30.0),
    "stepfunctions:StartExecution": (25.0, 45.0),
}
BEFORE = ["BatchGetItem", "TransactWriteItems", "stepfunctions:StartExecution", "DeleteItem"]
# Part 2's replayed requests may wait before their answer (--network-ms; time.sleep: the GIL
# released, as on a socket). With none (the default), a submit's two parallel reads compute at the
# same instant and fight for the GIL, which a request on AWS (~5 ms on the network) seldom does:
# the thread hop's CPU below is then a worst case. With 2 ms it is ~0, but the sleep's own system
# call costs CPU here (a bare PutItem 0.47 -> 0.67 ms), so every figure rises: hence 0.
NETWORK_MS = 0.0
ACTIONS = ("classify", "assign", "respond", "resolve", "callback", "close")


# --- part 1: requests, on moto, recording each operation's response ---------------------------------

class Recording:
    """Records every request's (service, operation) and, per operation, the last HTTP
    response botocore received (status, headers, body), to replay without moto."""

    def __init__(self) -> None:
        self.on = False
        self.calls: list[tuple[str, str]] = []
        self.responses: dict[tuple[str, str], tuple[int, dict, bytes]] = {}
        self.params: list[tuple[str, dict]] = []  # (operation, parameters) of DynamoDB calls while on

    def install(self) -> None:
        from botocore.endpoint import Endpoint
        original = Endpoint._do_get_response
        recording = self

        def _do_get_response(endpoint: Any, request: Any, operation_model: Any, context: Any) -> Any:
            result = original(endpoint, request, operation_model, context)
            service = operation_model.service_model.service_name
            if recording.on:
                parallel = threading.current_thread().name.startswith(dc.PARALLEL_THREAD_PREFIX)
                recording.calls.append((service, (dc.PARALLEL if parallel else "") + operation_model.name))
            (http, _parsed), error = result
            if error is None and http is not None and http.status_code < 300:
                recording.responses[(service, operation_model.name)] = (http.status_code, dict(http.headers),
                                                                        http.content)
            return result

        Endpoint._do_get_response = _do_get_response

        from botocore.client import BaseClient
        make_api_call = BaseClient._make_api_call

        def _make_api_call(client: Any, operation_name: str, api_params: dict) -> Any:
            if recording.on and client.meta.service_model.service_name == "dynamodb":
                recording.params.append((operation_name, copy.deepcopy(api_params)))
            return make_api_call(client, operation_name, api_params)

        BaseClient._make_api_call = _make_api_call

    def take(self, fn: Any) -> tuple[Any, list[str]]:
        self.calls, self.params, self.on = [], [], True
        try:
            result = fn()
        finally:
            self.on = False
        return result, [op if s == "dynamodb" else f"{s}:{op}" for s, op in dc.in_rounds(self.calls)]


def submit_body(n: int) -> dict[str, Any]:
    return {"unit": f"3栋{1200 + n % 50}", "content": f"空调不制冷，室内温度30度 / 冷氣不冷 #{n}",
            "category": "air_conditioning"}


def requests_part(recording: Recording) -> dict[str, Any]:
    """Part 1 (moto in process): the requests of a submit and each action, and of the
    stream consumer's start. Leaves moto's responses in ``recording``."""
    import boto3
    from chalice.test import Client

    from chalicelib import config, runtime
    from chalicelib.adapters.models import bind, create_tables
    from chalicelib.adapters.watch_stream import outbox_start, stream_filter
    from chalicelib.services.watch_stream import WatchStream
    from devstack.streams import StreamReader, deliver, matches
    models = bind()
    create_tables(models)
    sfn = boto3.client("stepfunctions", region_name=config.region())
    os.environ["TD_STATE_MACHINE_ARN"] = sfn.create_state_machine(
        name="tenantdesk-case-watch", definition=(REPO / "statemachines" / "case_watch.asl.json").read_text(),
        roleArn="arn:aws:iam::123456789012:role/case-watch")["stateMachineArn"]
    runtime.reset()
    runtime.set_clock(dc.BenchClock(dc.T0))
    reader = StreamReader(boto3.client("dynamodb", region_name=config.region()),
                          boto3.client("dynamodbstreams", region_name=config.region()),
                          config.meta_table(), start="TRIM_HORIZON")
    from app import app
    tok = dc._tokens()
    out: dict[str, Any] = {}
    with Client(app, stage_name="local", project_dir=str(REPO)) as client:
        api = dc.Api(client)
        api.call("PUT", f"/v1/properties/{PROPERTY}", tok["admin"], {
            "name": "滨江花园 Riverside Garden", "email": "service@riverside.example",
            "departments": ["engineering", "security", "cleaning", "customer_service"],
            "contacts": {"front_desk": "desk@riverside.example", "manager": "manager@riverside.example",
                         "director": "director@riverside.example", "on_duty": "control-room@riverside.example"}})
        base = f"/v1/properties/{PROPERTY}"
        api.call("POST", f"{base}/cases", tok["tenant"], submit_body(0), {"Idempotency-Key": "warm-0"}, 201)
        (_, case), out["submit"] = recording.take(lambda: api.call(
            "POST", f"{base}/cases", tok["tenant"], submit_body(1), {"Idempotency-Key": "bench-1"}, 201))
        out["_submit_params"] = list(recording.params)
        replies = {k: v for k, v in recording.responses.items()
                   if k[0] == "dynamodb" and k[1] in [c.removeprefix(dc.PARALLEL) for c in out["submit"]]}
        _, out["submit replay"] = recording.take(lambda: api.call(
            "POST", f"{base}/cases", tok["tenant"], submit_body(1), {"Idempotency-Key": "bench-1"}, 200))
        act = f"{base}/cases/{case['case_id']}"
        bodies = {"classify": (tok["front_desk"], {"kind": "complaint", "validity": "valid",
                                                   "cause": "equipment_facility", "department": "engineering"}),
                  "assign": (tok["front_desk"], {"assignee": "dept_staff-1"}),
                  "respond": (tok["dept_staff"], {"message": "师傅下午2点上门 / 師傅下午兩點上門"}),
                  "resolve": (tok["dept_staff"], {"resolution": "更换电容"}),
                  "callback": (tok["front_desk"], {"reached": True, "satisfied": True, "comment": "回访满意"}),
                  "close": (tok["front_desk"], {"summary": "已修复 / 已修復"})}
        for action in ACTIONS:
            token, body = bodies[action]
            _, out[action] = recording.take(lambda a=action, t=token, b=body: api.call("POST", f"{act}/{a}", t, b))
        # A major complaint needs a look at once: a new watcher generation, by the same path.
        (_, major), _ = recording.take(lambda: api.call(
            "POST", f"{base}/cases", tok["tenant"], submit_body(2), {"Idempotency-Key": "bench-2"}, 201))
        _, out["classify major (new watcher)"] = recording.take(lambda: api.call(
            "POST", f"{base}/cases/{major['case_id']}/classify", tok["front_desk"],
            {"kind": "complaint", "severity": "major", "department": "engineering"}))
        consumer = WatchStream(runtime.service(), outbox_start)
        records = []
        while batch := reader.read():
            records += batch
        lost, stream_calls = recording.take(lambda: deliver(consumer.handle, records, reader.arn, config.region(),
                                                            None, pattern=stream_filter()))
        if lost:
            raise dc.ScenarioError(f"the stream consumer failed: {lost}")
        starts = sum(1 for r in records if matches(r, stream_filter()))
        out["stream consumer, per watcher start (off the path)"] = stream_calls[:2]
        out["_stream_starts"] = starts
        out["_stream_calls"] = len(stream_calls)
        # A bare PutItem, for part 2's floor (its response recorded too).
        boto3.client("dynamodb", region_name=config.region()).put_item(
            TableName=config.meta_table(), Item={"pk": {"S": "BENCH"}, "sk": {"S": "floor"}, "data": {"S": "{}"}})
        # Part 2 replays exactly these: the submit's own answers, the consumer's, the floor's.
        out["_responses"] = {**{k: recording.responses[k] for k in (
            ("stepfunctions", "StartExecution"), ("dynamodb", "DeleteItem"), ("dynamodb", "PutItem"))}, **replies}
    return out


# --- part 2: CPU, with the HTTP layer replaying part 1's responses --------------------------------

class Replay:
    """botocore's Endpoint._send answering from the recorded responses: nothing leaves
    the process, every byte is serialised, signed and parsed as on AWS."""

    def __init__(self, responses: dict[tuple[str, str], tuple[int, dict, bytes]], wait_ms: float = 0.0):
        self.responses = responses
        self.wait_s = wait_ms / 1000

    def install(self) -> None:
        from botocore.awsrequest import AWSResponse
        from botocore.endpoint import Endpoint
        responses, wait_s = self.responses, self.wait_s

        class Raw:
            def __init__(self, body: bytes):
                self.body = body

            def stream(self, **_kw: Any) -> Any:
                yield self.body

        def _send(endpoint: Any, request: Any) -> Any:
            target = request.headers.get("X-Amz-Target", b"")
            target = target.decode() if isinstance(target, bytes) else target
            prefix, _, operation = target.partition(".")
            service = "stepfunctions" if prefix.startswith("AWSStepFunctions") else "dynamodb"
            status, headers, body = responses[(service, operation)]
            if wait_s:
                time.sleep(wait_s)  # the network: no CPU, the GIL released, as on a socket
            return AWSResponse(request.url, status, headers, Raw(body))

        Endpoint._send = _send


def cpu_part(runs: int, submit_requests: list[str], submit_params: list[tuple[str, dict]]) -> dict[str, Any]:
    """Part 2: per-submit CPU of the app, per-request CPU of a bare PutItem, a profile."""
    import boto3
    from chalice.test import Client

    # The service part 1 wired stays: a warm instance, its property settings cached (the
    # fixed clock never lets the 60 s cache expire), its clients built.
    from app import app
    from chalicelib import config, runtime
    tok = dc._tokens()
    table = config.meta_table()
    floor_client = boto3.client("dynamodb", region_name=config.region())
    with Client(app, stage_name="local", project_dir=str(REPO)) as client:
        api = dc.Api(client)
        base = f"/v1/properties/{PROPERTY}/cases"
        counter = iter(range(10, 10_000_000))

        def submit() -> None:
            n = next(counter)
            api.call("POST", base, tok["tenant"], submit_body(n), {"Idempotency-Key": f"cpu-{n}"}, 201)

        def put() -> None:
            floor_client.put_item(TableName=table, Item={"pk": {"S": "BENCH"}, "sk": {"S": "floor"},
                                                         "data": {"S": "{}"}})

        # The SDK's floor for this submit: the very requests it makes (part 1's parameters),
        # sent one after another on a bare boto3 client, with no app around them.
        from botocore import xform_name
        calls = [(getattr(floor_client, xform_name(op)), params) for op, params in submit_params]

        def floor() -> None:
            for method, params in calls:
                method(**params)

        def consumer_start() -> None:  # what the request path did before: StartExecution + DeleteItem
            from chalicelib.services.ports import WatchStart
            runtime.service().start_outbox(WatchStart(PROPERTY, "TD-20261123-0001", 1,
                                                      sleep_until="2026-11-23T02:10:00Z"), raise_errors=True)

        # The same submit with the duplicate Query on this thread rather than the reader
        # thread: what the parallel round trip's thread hop costs in CPU.
        from chalicelib.services import case_service
        threaded = case_service._together

        def on_one_thread(first: Any, second: Any) -> tuple[Any, Any]:
            return first(), second()

        def submit_sequential() -> None:
            case_service._together = on_one_thread
            try:
                submit()
            finally:
                case_service._together = threaded

        kinds = (("submit", submit), ("put", put), ("start", consumer_start), ("submit_sequential", submit_sequential),
                 ("floor", floor))
        for _name, fn in kinds:
            for _ in range(20):
                fn()
        rounds = 5  # interleaved, so all share the machine's noise
        per: dict[str, list[float]] = {name: [] for name, _fn in kinds}
        for _ in range(rounds):
            for name, fn in kinds:
                begin = time.process_time()
                for _ in range(max(1, runs // rounds)):
                    fn()
                per[name].append((time.process_time() - begin) / max(1, runs // rounds))
        figures = {name: statistics.median(values) * 1000 for name, values in per.items()}
        # Each of the submit's requests alone on the bare client (the floor's parts).
        floor_parts: dict[str, float] = {}
        for (op, _params), (method, params) in zip(submit_params, calls, strict=True):
            begin = time.process_time()
            for _ in range(runs):
                method(**params)
            floor_parts[op] = (time.process_time() - begin) / runs * 1000
        # The profile: this thread's CPU (time.thread_time), not wall time (a GIL wait
        # while the reader thread runs would show up as whatever call released the GIL),
        # of the one-thread submit, so that cProfile (one thread's) sees all of its work.
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        for _ in range(PROFILED):
            submit_sequential()
        profile.disable()
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)
    stats.sort_stats("tottime").print_stats(15)
    requests = len(submit_requests)
    return {"submit_cpu_ms": figures["submit"], "putitem_cpu_ms": figures["put"],
            "start_cpu_ms": figures["start"], "ratio": figures["submit"] / figures["put"],
            "requests_per_submit": requests, "submit_requests": [r.removeprefix(dc.PARALLEL) for r in submit_requests],
            "ratio_same_requests": figures["submit"] / (requests * figures["put"]),
            "submit_sequential_cpu_ms": figures["submit_sequential"],
            "sdk_floor_cpu_ms": figures["floor"], "sdk_floor_ratio": figures["floor"] / figures["put"],
            "sdk_floor_parts_ms": floor_parts,
            "layers": layers(stats), "profile": _trim_profile(text.getvalue())}


PROFILED = 100

# Own CPU time by layer, from the profile. A function is placed by its file; stdlib and
# built-in functions (json, dataclasses, copy, hashlib, strftime...) are charged to the
# layer of whoever called them, in proportion to the time each caller spent in them.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("JWT check (PyJWT, cryptography, chalicelib auth)", ("/jwt/", "/cryptography/", "chalicelib/http/auth",
                                                          "chalicelib/adapters/jwks", "chalicelib/domain/auth")),
    ("JSON Schema validation", ("/jsonschema", "/referencing/", "/rpds", "chalicelib/schemas", "/fastjsonschema")),
    ("similarity (dedupe: shingles, scores)", ("chalicelib/domain/dedupe", "chalicelib/services/dedupe",
                                               "chalicelib/domain/similar")),
    ("domain (cases, deadlines, escalation, views)", ("chalicelib/domain/",)),
    ("logging and metrics (Powertools, logging)", ("/aws_lambda_powertools/", "/logging/", "chalicelib/observability")),
    ("store adapters (items, key formats)", ("chalicelib/adapters/",)),
    ("pynamodb (attribute serialisation, models)", ("/pynamodb/",)),
    ("botocore: signing (SigV4)", ("botocore/auth.py", "/hmac.py", "botocore/signers.py")),
    ("botocore: user agent string", ("botocore/useragent.py",)),
    ("botocore: endpoint resolution", ("botocore/regions.py", "botocore/endpoint_provider.py")),
    ("botocore: serialise, parse, hooks, rest", ("/botocore/", "/jmespath/", "/dateutil/", "/urllib3/",
                                                 "/boto3/", "/s3transfer/")),
    ("services (case_service ...)", ("chalicelib/services/",)),
    ("HTTP: Chalice, routes, responses", ("/chalice/", "chalicelib/http/", "/app.py")),
    ("reader thread hop (concurrent.futures, threading)", ("/concurrent/futures/", "/threading.py")),
)


def _layer_of_file(filename: str) -> str | None:
    for name, needles in LAYERS:
        if any(n in filename for n in needles):
            return name
    return None


def layers(stats: pstats.Stats) -> dict[str, float]:
    """Each layer's share of a submit's own CPU time (see LAYERS), summing to 1."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    shares: dict[Any, dict[str, float]] = {}

    def share(func: Any, depth: int = 0) -> dict[str, float]:
        """How this function's time splits across layers (fractions summing to 1)."""
        if func in shares:
            return shares[func]
        layer = _layer_of_file(func[0])
        if layer is not None or depth > 40:
            out = {layer or "other": 1.0}
        else:
            _cc, _nc, _tt, _ct, callers = table[func]
            shares[func] = {"other": 1.0}  # a cycle's guard
            weights = {caller: v[3] for caller, v in callers.items() if caller in table}
            total = sum(weights.values())
            out = {}
            for caller, w in weights.items():
                for name, f in share(caller, depth + 1).items():
                    out[name] = out.get(name, 0.0) + f * (w / total if total else 1 / len(weights))
            out = out or {"other": 1.0}
        shares[func] = out
        return out

    totals: dict[str, float] = {}
    for func, (_cc, _nc, tt, _ct, _callers) in table.items():
        if "bench/" in func[0] or func[0].endswith("chalice/test.py"):
            continue  # the bench's own driver and the test client are not the app's
        for name, f in share(func).items():
            totals[name] = totals.get(name, 0.0) + tt * f
    whole = sum(totals.values()) or 1.0
    return dict(sorted(((k, v / whole) for k, v in totals.items()), key=lambda kv: -kv[1]))


def _trim_profile(text: str) -> list[str]:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("ncalls")), 0)
    out = []
    for line in lines[start:]:
        if not line.strip():
            continue
        out.append(line.replace(str(REPO) + "/", "").replace(sys.prefix + "/", "")[:150])
    return out


# --- part 3: simulated latency -------------------------------------------------------------------------

def lognormal(p50: float, p99: float) -> tuple[float, float]:
    """(mu, sigma) of the log-normal with these median and 99th percentile."""
    return math.log(p50), (math.log(p99) - math.log(p50)) / 2.3263478740408408


def rounds(path: list[str]) -> list[list[str]]:
    """The path's round trips: a parallel request ("∥X") joins the round before it."""
    out: list[list[str]] = []
    for op in path:
        if op.startswith(dc.PARALLEL) and out:
            out[-1].append(op.removeprefix(dc.PARALLEL))
        else:
            out.append([op.removeprefix(dc.PARALLEL)])
    return out


def simulate(path: list[str], cpu_ms: float, samples: int, seed: int = 18) -> dict[str, float]:
    """A submit's latency: the CPU plus, per round trip, the slowest of its requests."""
    rng = random.Random(seed)
    params = [[lognormal(*LATENCY_MS[op]) for op in ops] for ops in rounds(path)]
    totals = sorted(cpu_ms + sum(max(rng.lognormvariate(mu, sigma) for mu, sigma in ops) for ops in params)
                    for _ in range(samples))
    return {"p50": totals[len(totals) // 2], "p99": totals[int(len(totals) * 0.99)]}


def api_memory_mb() -> int:
    """The API function's memory (infra/functions.py), read without importing CDK."""
    import ast
    tree = ast.parse((REPO / "infra" / "functions.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "MEMORY_MB" for t in targets) and node.value is not None:
                return int(ast.literal_eval(node.value)["api_handler"])
    raise LookupError("MEMORY_MB not found in infra/functions.py")


def run(runs: int, samples: int, network_ms: float = NETWORK_MS) -> dict[str, Any]:
    from moto import mock_aws
    os.environ.update(dc.stage_environment("local"))
    recording = Recording()
    recording.install()
    with mock_aws():
        requests = requests_part(recording)
    Replay(requests["_responses"], network_ms).install()
    cpu = cpu_part(runs, requests["submit"], requests["_submit_params"])
    memory = api_memory_mb()
    scale = max(1.0, LAMBDA_FULL_VCPU_MB / memory)
    after_cpu = cpu["submit_cpu_ms"] * scale
    before_cpu = (cpu["submit_cpu_ms"] + cpu["start_cpu_ms"]) * scale
    after_path = list(requests["submit"])
    return {"requests": {k: v for k, v in requests.items() if not k.startswith("_")},
            "stream_starts": requests["_stream_starts"], "stream_calls": requests["_stream_calls"],
            "cpu": cpu, "api_memory_mb": memory, "cpu_scale": scale,
            "latency": {"before": {"path": BEFORE, **simulate(BEFORE, before_cpu, samples)},
                        "after": {"path": after_path, **simulate(after_path, after_cpu, samples)}},
            "latency_ms": {k: list(v) for k, v in LATENCY_MS.items()}, "runs": runs, "samples": samples,
            "network_ms": network_ms}


def goals(fig: dict[str, Any]) -> list[dict[str, Any]]:
    submit = fig["requests"]["submit"]
    p99 = fig["latency"]["after"]["p99"]
    ratio = fig["cpu"]["ratio"]
    return [
        {"goal": "submit: sequential AWS requests", "target": f"≤ {GOAL_SUBMIT_REQUESTS}",
         "actual": f"{len(rounds(submit))} ({'+'.join(submit)})", "pass": len(rounds(submit)) <= GOAL_SUBMIT_REQUESTS},
        {"goal": "app CPU per submit / bare PutItem client CPU", "target": f"≤ {GOAL_CPU_RATIO:g}×",
         "actual": f"{ratio:.1f}× (its requests alone, on a bare boto3 client: {fig['cpu']['sdk_floor_ratio']:.1f}×)",
         "pass": ratio <= GOAL_CPU_RATIO},
        {"goal": "simulated submit p99 on AWS (after)", "target": f"≤ {GOAL_P99_MS:g} ms",
         "actual": f"{p99:.1f} ms", "pass": p99 <= GOAL_P99_MS},
    ]


def print_report(fig: dict[str, Any], results: list[dict[str, Any]]) -> None:
    print("The submit path as AWS will see it (bench/submit_path.py)")
    print()
    print("1. Sequential AWS requests (real app, chalice.test.Client, moto in process, watcher on)")
    for name, calls in fig["requests"].items():
        print(f"   {name:52} {len(rounds(calls))}  {'+'.join(calls) or '-'}")
    print(f"   ({fig['stream_starts']} outbox records started by the stream consumer in "
          f"{fig['stream_calls']} requests, off every request path)")
    print()
    cpu = fig["cpu"]
    print(f"2. CPU in this process, HTTP layer replaying recorded responses (median of 5 rounds, "
          f"{fig['runs']} requests each kind)")
    print(f"   app, per submit (JWT, validation, domain, serialisation, signing): {cpu['submit_cpu_ms']:.2f} ms")
    print(f"   bare boto3 PutItem, client CPU per request:                       {cpu['putitem_cpu_ms']:.2f} ms")
    print(f"   ratio: {cpu['ratio']:.1f}× one bare PutItem (the goal's measure); "
          f"{cpu['ratio_same_requests']:.1f}× {cpu['requests_per_submit']} bare PutItems "
          f"(a submit makes {cpu['requests_per_submit']} requests: {', '.join(cpu['submit_requests'])})")
    print(f"   the duplicate Query on this thread instead of the reader thread: "
          f"{cpu['submit_sequential_cpu_ms']:.2f} ms per submit "
          f"(the thread hop costs {cpu['submit_cpu_ms'] - cpu['submit_sequential_cpu_ms']:+.2f} ms)")
    print(f"   the SDK's floor: the same {cpu['requests_per_submit']} requests (part 1's parameters) sent on a bare "
          f"boto3 client, no app: {cpu['sdk_floor_cpu_ms']:.2f} ms = {cpu['sdk_floor_ratio']:.1f}× a bare PutItem; "
          f"the app's own CPU above it: {cpu['submit_cpu_ms'] - cpu['sdk_floor_cpu_ms']:.2f} ms")
    print("     each alone: " + ", ".join(f"{op} {ms:.2f} ms ({ms / cpu['putitem_cpu_ms']:.1f}×)"
                                       for op, ms in cpu["sdk_floor_parts_ms"].items()))
    print(f"   the stream consumer's start, per record: {cpu['start_cpu_ms']:.2f} ms")
    print(f"   a submit's CPU by layer: share of the profile ({PROFILED} submits on one thread; stdlib time charged to "
          "its caller's layer), × the measured CPU per submit (cProfile inflates many-small-call code):")
    for name, share in cpu["layers"].items():
        print(f"     {share * 100:5.1f}%  ≈{share * cpu['submit_cpu_ms']:5.2f} ms  {name}")
    print(f"   top costs of {PROFILED} submits (cProfile, this thread's CPU, by own time):")
    for line in cpu["profile"]:
        print(f"     {line}")
    print()
    print(f"3. Simulated latency on AWS ({fig['samples']} draws; app CPU × {fig['cpu_scale']:.2f} for the API's "
          f"{fig['api_memory_mb']} MB)")
    print("   per request (p50, p99 ms): " + ", ".join(f"{k} {a:g}/{b:g}" for k, (a, b) in fig["latency_ms"].items()))
    for label in ("before", "after"):
        f = fig["latency"][label]
        print(f"   {label:6}  p50 {f['p50']:6.1f} ms   p99 {f['p99']:6.1f} ms   ({' → '.join(f['path'])})")
    print()
    print("Goals:")
    for r in results:
        print(f"  {'PASS' if r['pass'] else 'MISS'}  {r['goal']}: {r['actual']} (goal {r['target']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300, help="requests per CPU measurement (default 300)")
    parser.add_argument("--samples", type=int, default=200_000, help="latency draws (default 200000)")
    parser.add_argument("--network-ms", type=float, default=NETWORK_MS,
                        help=f"replayed requests wait this long, CPU-free (default {NETWORK_MS:g}; 0: none)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    parser.add_argument("--check", action="store_true", help="exit 1 if a goal is missed")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        fig = run(args.runs, args.samples, args.network_ms)
    except dc.ScenarioError as exc:
        print(f"bench scenario went wrong, no figures: {exc}", file=sys.stderr)
        return 2
    results = goals(fig)
    fig["goals"] = results
    if args.json:
        print(json.dumps(fig, ensure_ascii=False, sort_keys=True))
    else:
        print_report(fig, results)
    return 1 if args.check and not all(r["pass"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

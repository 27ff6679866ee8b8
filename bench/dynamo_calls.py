#!/usr/bin/env python
"""DynamoDB requests per API operation, through the real Chalice app under moto.

Every AWS request made by botocore (boto3 and pynamodb both go through
``botocore.client.BaseClient._make_api_call``) is recorded as
``(service, operation)`` while one HTTP request is served by
``chalice.test.Client``. Request counts are what DynamoDB bills and what adds
latency; this script is a report, not a timing.

Setup: an in-process ``moto.mock_aws``, the three tables, property P1, and 40
open cases seeded (without counting) three days earlier so the queue page is
full and the overdue page has work. The app is wired exactly as in production
(``chalicelib.runtime.service()``) with a fixed clock, and the Chalice stage's
environment variables (``--stage``, default ``local`` as in the tests) are set
for the whole process, as Lambda does, so the tables created here are the ones
the app binds to. The scenario runs twice: the first pass warms the process
(property settings cache, clients) and its first request, a tenant submit, is
reported as the *cold submit*; the second pass gives the warm figures.

    python bench/dynamo_calls.py [--json] [--check] [--seed N] [--stage local]

``--check`` exits 1 if any goal is missed; a scenario that goes wrong (an
unexpected HTTP status) exits 2 with a message. ``--seed N`` changes the
backlog (default 40 open cases).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

# Never reach real AWS or a developer's local stack, whatever the shell has set.
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "AWS_SESSION_TOKEN",
              "TD_DEV_KEY_FILE", "TD_TABLE_PREFIX", "TD_CASES_TABLE", "TD_EVENTS_TABLE", "TD_META_TABLE"):
    os.environ.pop(_name, None)
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "ap-southeast-1", "AWS_REGION": "ap-southeast-1",
    "TD_AUTH_SECRET": "tenantdesk-bench-signing-key-" + "x" * 40, "TD_AUTH_MODE": "local",
    "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING",
})
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

READ_OPS = frozenset({"GetItem", "BatchGetItem", "Query", "TransactGetItems"})
WRITE_OPS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
SCAN_OPS = frozenset({"Scan"})

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai
SEED_AT = T0 - timedelta(days=3)
SEED_CASES = 40
PROPERTY = "P1"
FILTERED = "queue filtered (info)"
LOCATED = "submit at a location"


class Recorder:
    """Patches BaseClient._make_api_call; records (service, operation) while on."""

    def __init__(self) -> None:
        self.active = False
        self.calls: list[tuple[str, str]] = []
        self.everything: list[tuple[str, str]] = []  # the whole run after table creation, for the Scan goal
        self._original = None

    def install(self) -> None:
        from botocore.client import BaseClient
        original = self._original = BaseClient._make_api_call
        recorder = self

        def _make_api_call(client: Any, operation_name: str, api_params: dict) -> Any:
            # A request on the submit's reader thread runs beside the request the path is
            # waiting for (case_service._together): marked "∥", it adds no round trip.
            mark = PARALLEL if threading.current_thread().name.startswith(PARALLEL_THREAD_PREFIX) else ""
            call = (client.meta.service_model.service_name, mark + operation_name)
            recorder.everything.append(call)
            if recorder.active:
                recorder.calls.append(call)
            return original(client, operation_name, api_params)

        BaseClient._make_api_call = _make_api_call

    def uninstall(self) -> None:
        if self._original is not None:
            from botocore.client import BaseClient
            BaseClient._make_api_call = self._original

    def measure(self, fn):
        self.calls, self.active = [], True
        try:
            result = fn()
        finally:
            self.active = False
        return result, in_rounds(self.calls)


PARALLEL = "∥"
PARALLEL_THREAD_PREFIX = "td-read"  # chalicelib/services/case_service.py PARALLEL_THREAD_PREFIX


def in_rounds(calls: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The calls in a stable order: a parallel request ("∥…") right after the request it
    ran beside, whichever thread happened to reach botocore first. The one parallel read
    the app makes goes beside a submit's first read, the BatchGetItem of its counter and
    idempotency record (case_service.create_as)."""
    parallel = [c for c in calls if c[1].startswith(PARALLEL)]
    sequential = [c for c in calls if not c[1].startswith(PARALLEL)]
    at = next((n + 1 for n, c in enumerate(sequential) if c[1] == "BatchGetItem"), min(1, len(sequential)))
    return sequential[:at] + parallel + sequential[at:]


def sequential(calls: list[str]) -> list[str]:
    """The requests a caller waits for one after the other (parallel ones dropped)."""
    return [c for c in calls if not c.startswith(PARALLEL)]


def tally(calls: list[tuple[str, str]]) -> dict[str, Any]:
    reads = writes = scans = other = 0
    for service, marked in calls:
        op = marked.removeprefix(PARALLEL)
        if service == "dynamodb" and op in READ_OPS:
            reads += 1
        elif service == "dynamodb" and op in WRITE_OPS:
            writes += 1
        elif service == "dynamodb" and op in SCAN_OPS:
            scans += 1
        else:
            other += 1
    names = Counter(op if service == "dynamodb" else f"{service}:{op}" for service, op in calls)
    return {"reads": reads, "writes": writes, "scans": scans, "other": other, "requests": len(calls),
            "ops": dict(names), "calls": [op if s == "dynamodb" else f"{s}:{op}" for s, op in calls]}


class ScenarioError(Exception):
    """The scenario did not go as scripted: the figures would mean nothing."""


def expect(ok: bool, what: Any) -> None:
    if not ok:
        raise ScenarioError(what)


class BenchClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Api:
    def __init__(self, client: Any):
        self.client = client

    def call(self, method: str, path: str, token: str, body: Any = None, headers: dict | None = None,
             status: int = 200) -> tuple[dict, Any]:
        h = {"Content-Type": "application/json", "Authorization": f"Bearer {token}", **(headers or {})}
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        resp = getattr(self.client.http, method.lower())(path, headers=h, body=data)
        payload = json.loads(resp.body) if resp.body else None
        expect(resp.status_code == status,
               f"{method} {path} answered {resp.status_code}, expected {status}: {payload}")
        return {k.lower(): v for k, v in (resp.headers or {}).items()}, payload


def stage_environment(stage: str) -> dict[str, str]:
    """The stage's environment variables from .chalice/config.json, read the way
    chalice.test.Client reads them (no config file: none)."""
    from chalice.cli.factory import CLIFactory
    try:
        config = CLIFactory(str(REPO)).create_config_obj(chalice_stage_name=stage)
    except RuntimeError:
        return {}
    return dict(config.scope(config.chalice_stage, "api_handler").environment_variables or {})


def _tokens() -> dict[str, str]:
    from chalicelib import config
    from chalicelib.http.identity import mint_token
    secret = config.auth_secret()

    def mint(role: str, sub: str, name: str) -> str:
        return mint_token(secret, subject=sub, role=role, properties=[PROPERTY], name=name, now=T0)

    return {"tenant": mint("tenant", "tenant-1", "李女士"), "front_desk": mint("front_desk", "front_desk-1", "前台小王"),
            "dept_staff": mint("dept_staff", "dept_staff-1", "工程部张师傅"),
            "shift_lead": mint("shift_lead", "lead-1", "领班小陈"), "admin": mint("admin", "admin-1", "系统管理员")}


BUCKET = "tenantdesk-bench-files"


def _tenant_api_environment() -> None:
    """What the tenant API's routes need, in moto (made before the app is wired, not counted):
    SNS platform applications and a VAPID key (devices, Web Push), a Cognito user pool
    (invitations), the files bucket (uploads)."""
    import boto3

    from chalicelib import config
    from chalicelib.adapters.push import new_private_key
    from devstack.identity import create_pool
    sns = boto3.client("sns", region_name=config.region())
    apps = {"fcm": sns.create_platform_application(Name="td-fcm", Platform="GCM", Attributes={
        "PlatformCredential": "server-key"})["PlatformApplicationArn"]}
    os.environ.update({"TD_PUSH_APPS": json.dumps(apps), "TD_VAPID_PRIVATE_KEY": new_private_key(),
                       "TD_MAIL_BUCKET": BUCKET})
    os.environ.update(create_pool(boto3.client("cognito-idp", region_name=config.region())))
    boto3.client("s3", region_name=config.region()).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": config.region()})


def _jpeg() -> bytes:
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def tenant_api_scenario(api: Api, tok: dict[str, str], tag: str, measure) -> dict[str, dict[str, Any]]:
    """Issue 14's and 15's routes: the tenant's feed and devices, uploads, an invitation,
    the key register, the shift diary, the archive's phone lookup."""
    import boto3
    base = f"/v1/properties/{PROPERTY}"
    info: dict[str, dict[str, Any]] = {}
    _, feed = measure("feed page", lambda: api.call("GET", "/v1/me/notifications?limit=10", tok["tenant"]))
    info["feed page"] = {"items": len(feed["items"]), "next_cursor": bool(feed["next_cursor"])}
    expect(feed["unread_count"] is not None and feed["next_cursor"], ("feed page", feed))
    _, later = measure("feed later page", lambda: api.call(
        "GET", f"/v1/me/notifications?limit=10&cursor={feed['next_cursor']}", tok["tenant"]))
    info["feed later page"] = {"items": len(later["items"]), "next_cursor": bool(later["next_cursor"])}
    _, marked = measure("mark read", lambda: api.call("POST", "/v1/me/notifications/read", tok["tenant"],
                                                      {"ids": [i["id"] for i in feed["items"][:3]]}))
    expect(marked["marked"] == 3, ("mark read", marked))
    measure("register device", lambda: api.call("POST", "/v1/me/devices", tok["tenant"],
                                                {"platform": "fcm", "token": f"bench-fcm-token-{tag}"}, None, 201))
    photo = _jpeg()
    _, slot = measure("upload start", lambda: api.call("POST", f"{base}/uploads", tok["tenant"],
                                                       {"content_type": "image/jpeg", "size": len(photo)}, None, 201))
    boto3.client("s3").put_object(Bucket=BUCKET, Key=slot["fields"]["key"], Body=photo, ContentType="image/jpeg")
    _, done = measure("upload complete", lambda: api.call(
        "POST", f"{base}/uploads/{slot['upload_id']}/complete", tok["tenant"], {}))
    expect(done["status"] == "complete", ("upload complete", done))
    api.call("PUT", f"{base}/tenants/tenant-{tag}", tok["admin"],
             {"name": "周太太", "email": f"zhou.{tag}@example.cn", "unit": "5栋802"})
    measure("invite", lambda: api.call("POST", f"{base}/tenants/tenant-{tag}/invite", tok["front_desk"], {},
                                       None, 201))
    _, key = measure("add key (info)", lambda: api.call("POST", f"{base}/keys", tok["shift_lead"],
                                                        {"unit": "3栋1201", "slot": f"A-{tag}"}, None, 201))
    due = (T0 + timedelta(hours=3)).isoformat()
    measure("lend a key", lambda: api.call("POST", f"{base}/keys/{key['key_id']}/lend", tok["shift_lead"], {
        "borrower": {"name": "工程部张师傅", "kind": "staff", "phone": "139 0000 0001"}, "purpose": "repair",
        "due": due}))
    _, out = measure("keys out list", lambda: api.call("GET", f"{base}/keys/out", tok["front_desk"]))
    info["keys out list"] = {"items": len(out["items"])}
    measure("logbook diary add", lambda: api.call("POST", f"{base}/shift/diary", tok["front_desk"],
                                                  {"text": "B2车库排水沟堵塞，已报工程部", "entry_id": f"bench-{tag}"},
                                                  None, 201))
    _, found = measure("archive phone lookup", lambda: api.call(
        "GET", f"{base}/archive/lookup?phone=13812345678", tok["front_desk"]))
    expect([r["resident_id"] for r in found["residents"]] == ["R1"], ("lookup", found))
    return info


def _seed(models: Any, count: int) -> None:
    """Open cases from three days ago, written through a separate service (not
    the one under test, whose caches stay cold) and not counted."""
    from chalicelib.adapters.dynamodb import DynamoStore
    from chalicelib.domain.auth import Principal
    from chalicelib.services.case_service import CaseService
    store = DynamoStore(models)
    store.put_meta(f"PROPERTY#{PROPERTY}", "SETTINGS", {
        "name": "滨江花园 Riverside Garden", "departments": ["engineering", "security", "cleaning", "customer_service"]})
    clock = BenchClock(SEED_AT)
    seeder = CaseService(store, clock)
    tenants = [Principal(f"tenant-{i}", "tenant", frozenset({PROPERTY}), name=f"住户{i}") for i in (1, 2)]
    # The owner archive's unit a located submit names (chalicelib/domain/archive.py; written, not counted).
    from chalicelib.adapters.archive_store import DynamoArchiveStore
    archive = DynamoArchiveStore(models)
    archive.put_structure(PROPERTY, "building", {"building_id": "B3", "name": "3栋"}, expected_version=None)
    archive.put_structure(PROPERTY, "unit", {"unit_id": "3-1201", "building_id": "B3", "number": "1201",
                                             "label": "3栋 1201", "rooms": [{"room_id": "kitchen", "name": "厨房"}]},
                          expected_version=None)
    for n in range(count):
        clock.now = SEED_AT + timedelta(minutes=7 * n)
        seeder.submit(tenants[n % 2], PROPERTY, {"unit": f"{n % 9 + 1}栋{1201 + n}", "content": f"第{n}号投诉：楼道灯不亮",
                                                 "category": "public_facility"}, None)


def scenario(api: Api, tok: dict[str, str], tag: str, measure) -> dict[str, dict[str, Any]]:
    """The operations, in order, on one fresh case. ``measure(name, fn)`` runs and records one request."""
    base = f"/v1/properties/{PROPERTY}"
    submit_body = {"unit": "3栋1201", "content": "空调不制冷，室内温度30度", "category": "air_conditioning"}
    key = {"Idempotency-Key": f"bench-submit-{tag}"}
    info: dict[str, dict[str, Any]] = {}

    _, case = measure("submit", lambda: api.call("POST", f"{base}/cases", tok["tenant"], submit_body, key, 201))
    cid = case["case_id"]
    info["submit"] = {"case_id": cid}
    headers, replay = measure("submit replay", lambda: api.call("POST", f"{base}/cases", tok["tenant"], submit_body,
                                                                key, 200))
    expect(replay["case_id"] == cid and headers.get("idempotent-replayed") == "true", ("replay", headers, replay))
    # A place picked from the owner archive: its check is one GetItem more, nothing else.
    _, located = measure(LOCATED, lambda: api.call("POST", f"{base}/cases", tok["tenant"], {
        "content": "厨房水管漏水", "location": {"unit_id": "3-1201", "room_id": "kitchen"},
        "category": "in_unit_repair"},  # categorised like the submit above: the same duplicate Query
        {"Idempotency-Key": f"bench-located-{tag}"}, 201))
    expect(located["location"]["label"] == "3栋 1201 厨房", ("located", located))
    _, walk_in = measure("log walk-in", lambda: api.call("POST", f"{base}/cases", tok["front_desk"], {
        "channel": "walk_in", "unit": "5栋802", "content": "楼下装修噪音，晚上十点还在施工",
        "reporter": {"name": "周先生", "phone": "138 0000 0000"}, "category": "noise_renovation"},
        {"Idempotency-Key": f"bench-walkin-{tag}"}, 201))
    info["log walk-in"] = {"case_id": walk_in["case_id"]}
    _, page = measure("queue page (25)", lambda: api.call("GET", f"{base}/queue", tok["front_desk"]))
    info["queue page (25)"] = {"items": len(page["items"]), "next_cursor": bool(page["next_cursor"])}
    _, page = measure("queue page overdue", lambda: api.call("GET", f"{base}/queue?overdue=true", tok["front_desk"]))
    info["queue page overdue"] = {"items": len(page["items"]), "next_cursor": bool(page["next_cursor"])}
    # Not in the goals: a filter on a non-key attribute is applied after the Query reads a page,
    # so a selective filter costs one Query per `limit` open cases until the page fills up.
    _, page = measure(FILTERED, lambda: api.call("GET", f"{base}/queue?department=engineering", tok["front_desk"]))
    info[FILTERED] = {"items": len(page["items"]), "next_cursor": bool(page["next_cursor"])}
    _, detail = measure("case detail", lambda: api.call("GET", f"{base}/cases/{cid}", tok["front_desk"]))
    info["case detail"] = {"timeline": len(detail["timeline"])}
    act = f"{base}/cases/{cid}"
    measure("classify", lambda: api.call("POST", f"{act}/classify", tok["front_desk"], {
        "kind": "complaint", "validity": "valid", "cause": "equipment_facility", "department": "engineering"}))
    measure("assign", lambda: api.call("POST", f"{act}/assign", tok["front_desk"], {"assignee": "dept_staff-1"}))
    measure("respond", lambda: api.call("POST", f"{act}/respond", tok["dept_staff"], {"message": "师傅下午2点上门"}))
    _, resolved = measure("resolve", lambda: api.call("POST", f"{act}/resolve", tok["dept_staff"],
                                                      {"resolution": "更换电容"}))
    expect(resolved["status"] == "resolved", ("resolve", resolved))
    _, mine = measure("tenant list own", lambda: api.call("GET", "/v1/me/cases", tok["tenant"]))
    info["tenant list own"] = {"items": len(mine["items"]), "next_cursor": bool(mine["next_cursor"])}
    # The tenant API's edges: a retried message, polling with If-None-Match and updated_since, the timeline's pages.
    message_key = {"Idempotency-Key": f"bench-message-{tag}"}
    measure("message", lambda: api.call("POST", f"{act}/messages", tok["tenant"], {"text": "今天下午在家"},
                                        message_key))
    headers, _ = measure("message replay", lambda: api.call("POST", f"{act}/messages", tok["tenant"],
                                                            {"text": "今天下午在家"}, message_key))
    expect(headers.get("idempotent-replayed") == "true", ("message replay", headers))
    headers, _ = api.call("GET", act, tok["tenant"])
    measure("case detail 304", lambda: api.call("GET", act, tok["tenant"], None, {"If-None-Match": headers["etag"]},
                                                304))
    _, since = measure("tenant list updated_since", lambda: api.call(
        "GET", "/v1/me/cases?updated_since=2026-11-23T00:00:00Z", tok["tenant"]))
    info["tenant list updated_since"] = {"items": len(since["items"]), "next_cursor": bool(since["next_cursor"])}
    _, timeline = measure("timeline page", lambda: api.call("GET", f"{act}/timeline?limit=5", tok["front_desk"]))
    info["timeline page"] = {"items": len(timeline["items"]), "next_cursor": bool(timeline["next_cursor"])}
    measure("public information", lambda: api.call("GET", f"{base}/public", tok["tenant"]))
    return info


def run(seed: int = SEED_CASES, stage: str = "local") -> dict[str, Any]:
    from chalice.test import Client
    from moto import mock_aws

    os.environ.update(stage_environment(stage))
    recorder = Recorder()
    with mock_aws():
        from chalicelib import runtime
        from chalicelib.adapters.models import bind, create_tables
        models = bind()
        create_tables(models)
        # The watcher on, as in production: a request path that started an execution (or
        # cleared its outbox record) would show here; since issue 18 the meta table's
        # stream does that, off the path (bench/submit_path.py counts it apart).
        import boto3

        from chalicelib import config
        os.environ["TD_STATE_MACHINE_ARN"] = boto3.client("stepfunctions", region_name=config.region()) \
            .create_state_machine(name="tenantdesk-case-watch", roleArn="arn:aws:iam::123456789012:role/watch",
                                  definition=(REPO / "statemachines" / "case_watch.asl.json").read_text())[
                "stateMachineArn"]
        recorder.install()
        try:
            _seed(models, seed)
            runtime.reset()
            runtime.set_clock(BenchClock(T0))  # fixed: the 60 s property cache never expires mid-run
            _tenant_api_environment()
            from app import app
            tok = _tokens()
            passes: list[dict[str, dict[str, Any]]] = []
            with Client(app, stage_name=stage, project_dir=str(REPO)) as client:
                api = Api(client)
                for tag in ("warmup", "warm"):
                    figures: dict[str, dict[str, Any]] = {}

                    def measure(name, fn, figures=figures):
                        result, calls = recorder.measure(fn)
                        figures[name] = tally(calls)
                        return result

                    if tag == "warmup":  # the archive's resident a phone lookup finds (not counted)
                        api.call("PUT", f"/v1/properties/{PROPERTY}/archive/residents/R1", tok["admin"], {
                            "unit_id": "3-1201", "name": "李女士", "role": "owner", "phones": ["138 1234 5678"]})
                    info = scenario(api, tok, tag, measure)
                    info.update(tenant_api_scenario(api, tok, tag, measure))
                    for name, extra in info.items():
                        figures[name]["result"] = extra
                    passes.append(figures)
        finally:
            recorder.uninstall()
            runtime.reset()
    cold, warm = passes
    whole_run = tally(recorder.everything)
    return {"warm": warm, "cold": {"submit": cold["submit"]}, "run_requests": whole_run["requests"],
            "run_scans": whole_run["scans"], "seeded_open_cases": seed, "stage": stage}


def goals(fig: dict[str, Any]) -> list[dict[str, Any]]:
    warm = fig["warm"]
    out = []

    def goal(name: str, target: str, actual: str, ok: bool) -> None:
        out.append({"goal": name, "target": target, "actual": actual, "pass": ok})

    for label, f in (("submit (warm)", warm["submit"]), ("submit (cold)", fig["cold"]["submit"])):
        goal(f"{label}: write requests", "1", str(f["writes"]), f["writes"] == 1)
    f = warm["submit"]
    goal("submit (warm), watcher on: sequential requests", "≤ 2 (BatchGetItem+TransactWriteItems)",
         "+".join(f["calls"]), sequential(f["calls"]) == ["BatchGetItem", "TransactWriteItems"])
    # Duplicates across channels: one Query on the dedupe index per new case (chalicelib/services/dedupe_service.py),
    # sent beside the submit's first read, so it adds no round trip.
    goal("submit (warm): duplicate look-up, beside the first read", "1 ∥Query",
         str(f["calls"].count(PARALLEL + "Query")), f["calls"].count(PARALLEL + "Query") == 1)
    for name in ("queue page (25)", "queue page overdue"):
        f = warm[name]
        goal(f"{name}: requests", "1 Query", "+".join(f["calls"]) or "none", f["calls"] == ["Query"])
    f = warm[LOCATED]
    goal(f"{LOCATED}: requests", "submit's + 1 GetItem",
         "+".join(f["calls"]), sorted(f["calls"]) == sorted([*warm["submit"]["calls"], "GetItem"]))
    for name in ("tenant list own", "tenant list updated_since"):
        f = warm[name]
        goal(f"{name}: requests", "1 Query", "+".join(f["calls"]) or "none", f["calls"] == ["Query"])
    for name in ("case detail", "case detail 304", "timeline page"):
        f = warm[name]  # the case, then one Query on its events (a 304 saves the bytes, not the reads)
        goal(f"{name}: requests", "GetItem+Query", "+".join(f["calls"]) or "none", f["calls"] == ["GetItem", "Query"])
    f = warm["message replay"]
    goal("message replay: writes", "0", str(f["writes"]), f["writes"] == 0)
    for name, target, want in (
            ("feed page", "1 Query", [["Query"]]),
            ("feed later page", "1 Query", [["Query"]]),
            ("mark read", "BatchGetItem+TransactWriteItems+Query", [["BatchGetItem", "TransactWriteItems", "Query"]]),
            ("register device", "1 PutItem", [["PutItem"]]),
            # the slot and the tenant's hourly upload quota, in one transaction
            ("upload start", "1 TransactWriteItems", [["TransactWriteItems"]]),
            # the slot read, the object checked in S3 (not DynamoDB), the slot marked complete
            ("upload complete", "GetItem+PutItem", [["GetItem", "PutItem"]]),
            # the tenant record (and property) read, the record with its login written; Cognito beside
            ("invite", "BatchGetItem+PutItem×2", [["BatchGetItem", "PutItem", "PutItem"]]),
            ("keys out list", "1 Query", [["Query"]]),
            ("lend a key", "GetItem+TransactWriteItems", [["GetItem", "TransactWriteItems"]]),
            ("logbook diary add", "1 PutItem", [["PutItem"]]),
            # the phone's index entry, the residents, the unit, the open cases of the unit: by key, ≤ 4 reads
            ("archive phone lookup", "≤ 4 reads, 0 writes", None)):
        f = warm[name]
        dynamo = [c for c in f["calls"] if ":" not in c]
        ok = dynamo in want if want is not None else (f["reads"] <= 4 and f["writes"] == 0 and f["scans"] == 0)
        goal(f"{name}: DynamoDB requests", target, "+".join(dynamo) or "none", ok)
    scans = sum(f["scans"] for f in warm.values()) + fig["cold"]["submit"]["scans"]
    goal("Scans, every operation", "0", str(scans), scans == 0)
    goal(f"Scans, whole run ({fig['run_requests']} requests incl. seeding and warm-up)", "0",
         str(fig["run_scans"]), fig["run_scans"] == 0)
    return out


def _detail(f: dict[str, Any]) -> str:
    text = ", ".join(f"{op}×{n}" if n > 1 else op for op, n in f["ops"].items()) or "-"
    extra = f.get("result") or {}
    if "items" in extra:
        text += f"  [{extra['items']} items{', has next cursor' if extra.get('next_cursor') else ''}]"
    return text


def print_table(fig: dict[str, Any], results: list[dict[str, Any]]) -> None:
    print(f"DynamoDB requests per API operation — real Chalice app (chalice.test.Client, stage {fig['stage']}) "
          "on moto mock_aws")
    print(f"{fig['seeded_open_cases']} open cases seeded (three days old, so overdue); warm = second pass of the "
          "scenario\n(property settings cached, clients built); '(info)' rows have no goal.")
    print()
    header = f"{'operation':22} | {'reads':>5} | {'writes':>6} | {'scans':>5} | {'other':>5} | detail"
    print(header)
    print("-" * len(header) + "-" * 40)
    rows = [(name, f) for name, f in fig["warm"].items()] + [("submit (cold)", fig["cold"]["submit"])]
    for name, f in rows:
        print(f"{name:22} | {f['reads']:>5} | {f['writes']:>6} | {f['scans']:>5} | {f['other']:>5} | {_detail(f)}")
    print()
    print("reads = GetItem/BatchGetItem/Query/TransactGetItems; writes = PutItem/UpdateItem/DeleteItem/"
          "BatchWriteItem/TransactWriteItems;\nother = any other request (e.g. DescribeTable, or another service).")
    print()
    print("Goals:")
    for r in results:
        print(f"  {'PASS' if r['pass'] else 'MISS'}  {r['goal']}: {r['actual']} (goal {r['target']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (one line) instead of a table")
    parser.add_argument("--check", action="store_true", help="exit 1 if any goal is missed")
    parser.add_argument("--seed", type=int, default=SEED_CASES, metavar="N",
                        help=f"open cases seeded before measuring (default {SEED_CASES})")
    parser.add_argument("--stage", default="local", help="Chalice stage whose environment the app runs with "
                        "(default local, as in the tests)")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # a non-UTF-8 terminal gets '?' rather than a crash
    try:
        fig = run(args.seed, args.stage)
    except ScenarioError as exc:
        print(f"bench scenario went wrong, no figures: {exc}", file=sys.stderr)
        return 2
    results = goals(fig)
    fig["goals"] = results
    fig["all_pass"] = all(r["pass"] for r in results)
    if args.json:
        print(json.dumps(fig, ensure_ascii=False, sort_keys=True))
    else:
        print_table(fig, results)
    return 1 if args.check and not fig["all_pass"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""The authorisation matrix, generated from the route table.

For every protected route in ``openapi.ROUTES`` (so a new route is covered as
soon as it is listed there), every role in ``auth.ROLES`` and two scopes (the
token is scoped to the resource's property P1, or only to another property
P2), a *valid* request is made against real resources, and the status must be
the one ``auth.PERMISSIONS`` implies:

* role not allowed                      -> 403 ``forbidden`` (role is checked first)
* role allowed, token for P2 only       -> 404 (never reveal another property's data)
* role allowed, own property            -> not 401/403/404 (2xx, or 409 for a state conflict)

Department scope: the resources belong to the engineering department, and staff
below manager (``auth.DEPARTMENT_SCOPED_ROLES``) are tried twice in P1, as
engineering (own department: as above) and as security (another department):
every change to a case (a POST under ``{case_id}``, drafting a reply included)
is 403 ``outside_department``; reads stay property-wide.

Routes without a property in the path (``/v1/me``, ``/v1/me/cases``,
``/v1/approvals``) are checked on role alone. A second tenant of the same
property gets 404 on the first tenant's case. Bad tokens get 401 on one route
of each method.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from chalicelib.domain.auth import DEPARTMENT_SCOPED_ROLES, PERMISSIONS, ROLES, STAFF_ROLES
from chalicelib.http.identity import TOKEN_AUDIENCE, TOKEN_ISSUER
from chalicelib.http.openapi import ROUTES
from chalicelib.schemas import SCHEMAS
from tests.api.helpers import call
from tests.conftest import T0, TEST_SECRET, contacts_of, make_token

OWN, OTHER = "P1", "P2"
OTHER_DEPT = "P1 as security"  # own property, another department than the resources'
DEPT, OTHER_DEPARTMENT = "engineering", "security"
CASES = "/v1/properties/{property_id}/cases"
MAIL_BUCKET = "tenantdesk-matrix-mail"  # where stored attachments live (set for the world below)
SHIFT_END = "2026-11-23T00:00:00Z"  # the shift that ended last before T0 (08:00 Shanghai)

PROTECTED = sorted((method, path) for (method, path), (_s, permission, _b, _st) in ROUTES.items() if permission)

# A minimal valid body per schema name (checked against the schema below, so it cannot rot).
BODIES: dict[str, dict] = {
    # The public web form (no token; tests/api/test_public_form_api.py covers it).
    "PublicSubmission": {"email": "visitor@example.cn", "place": "大堂", "content": "大堂的灯坏了"},
    "VerifySubmission": {"code": "123456"},
    "PutProperty": {"name": "滨江花园 Riverside Garden", "email": "service@riverside.example",
                    "contacts": contacts_of("riverside.example"),
                    "departments": ["engineering", "security", "cleaning", "customer_service"]},
    "PutTenant": {"name": "李女士", "email": "li.nvshi@example.cn"},
    "SubmitCase": {"unit": "3栋1201", "content": "空调不制冷，室内温度30度",  # with a stored photo: attachment 1
                   "attachments": [{"ref": f"s3://{MAIL_BUCKET}/attachments/P1/matrix/1-photo.jpg",
                                    "name": "photo.jpg", "content_type": "image/jpeg"}]},
    "LogCase": {"channel": "phone", "unit": "大堂", "content": "访客反映电梯异响",
                "reporter": {"name": "陈先生", "phone": "138 0000 0000"}},
    "Classify": {"kind": "complaint"},
    "Assign": {"assignee": "eng-1", "department": "engineering"},
    "Start": {},
    "Note": {"note": "内部备注"},
    "Respond": {"message": "已安排师傅上门"},
    "Resolve": {"resolution": "已更换压缩机"},
    "Callback": {"reached": True, "satisfied": True},
    "Escalate": {"reason": "业主第三次投诉"},
    "Close": {},
    "Answer": {"message": "物业费可以在App缴纳"},
    "Explain": {"message": "此事不属于物业责任范围"},
    "ConfirmInvalid": {},
    "RejectInvalid": {"reason": "属于物业服务范围"},
    "Reopen": {"reason": "还是不制冷"},
    "MovePromise": {"promised_by": "2026-11-25T10:00:00+08:00", "reason": "配件明天到"},
    "AwaitTenant": {"reason": "question", "message": "请问几点方便入户？"},
    "Resume": {},
    "CloseUnreachable": {},
    "Message": {"text": "补充照片"},
    "Rate": {"score": 4},
    "Confirm": {"satisfied": True, "comment": "满意"},
    "DraftReply": {"body": "您好，已修复。"},
    "ReviseReply": {"body": "您好，已修复（修订）。"},
    "ApproveReply": {},
    "MarkPosted": {},
    "ReturnReply": {"comment": "请补充维修时间"},
    "ProduceHandover": {},
    "SendReport": {},
    "PutReportSchedules": {"schedules": [{"schedule_id": "matrix-weekly", "report": "weekly",
                                          "recipients": ["manager@riverside.example"], "lang": "zh-Hans"}]},
    "SignHandover": {"side": "customer_service"},
    "AddDiaryEntry": {"text": "3栋电梯困人，已通知工程部", "urgent": True},
    "CorrectDiaryEntry": {"text": "3栋2号电梯困人，已救出"},
    "MarkChecklist": {"items": [{"id": "desk", "mark": "ok"}]},
    "RefuseHandover": {"reason": "钥匙柜少了一把钥匙"},
    "AnswerRefusal": {"note": "钥匙借给工程部了"},
    "ReviewHandover": {"comment": "已审阅"},
    "StartUpload": {"content_type": "image/jpeg", "size": 64},
    "CompleteUpload": {},
    "InviteTenant": {"unit": "3栋1201"},
    "DeactivateTenant": {"reason": "搬离"},
    "AddKey": {"unit": "3栋1201", "slot": "A-12"},
    "EditKey": {"note": "备用钥匙两把"},
    "LendKey": {"borrower": {"name": "工程部张师傅", "kind": "staff"}, "purpose": "repair",
                "due": "2026-11-23T17:00:00+08:00"},
    "ReturnKey": {},
    "KeyReason": {"reason": "钥匙齿断了"},
    "ReplaceKey": {"copies": 1},
    "EntryPermission": {"granted": True, "slots": [{"from": "2026-11-24T14:00", "to": "2026-11-24T17:00"}]},
    "PutBuilding": {"name": "3栋"},
    "PutArea": {"name": "大堂"},
    "PutUnit": {"building_id": "B3", "number": "1201", "rooms": [{"room_id": "kitchen", "name": "厨房"}]},
    "PutResident": {"unit_id": "3-1201", "name": "李女士", "role": "owner", "phones": ["138 1234 5678"]},
    "AddRenovation": {"started_on": "2024-03-01", "contractor": "美家装饰"},
    "LocateCase": {"location": {"unit_id": "3-1201", "room_id": "kitchen"}},
    # The world's first tenant case (the clock is fixed): each later fresh case of the same tenant,
    # unit and text is its suggested duplicate (classified with a category, below).
    "DuplicateTarget": {"target": "TD-20261123-0001"},
    "MarkNotificationsRead": {"up_to": "~"},
    "RegisterDevice": {"platform": "fcm", "token": "matrix-fcm-token"},
    "SubscribeWebPush": {"endpoint": "https://fcm.googleapis.com/fcm/send/matrix",
                         "keys": {"p256dh": "BA" + "a" * 85, "auth": "a" * 22}},
    "PutPreferences": {"quiet_hours": {"from": "22:00", "to": "07:00"}, "lang": "zh-Hant"},
    "Empty": {},
    "AddLibraryEntry": {"title": "空调不制冷", "problem": "室温30度", "what_worked": "补充冷媒",
                        "category": "air_conditioning"},
    "EditLibraryEntry": {"lessons": "夏季前巡检"},
    "LibraryStep": {},
    "UseLibraryEntry": {"entry_id": "L0"},  # World.library_entry() puts the approved entry's id here
}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60  # what the uploads in the matrix "post"

LETTER = {"channel": "email", "unit": "3栋1201", "title": "书面投诉", "content": "楼上漏水一周无人处理。",
          "reporter": {"name": "李女士", "email": "li.nvshi@example.cn"}, "department": DEPT}


# Steps (action, body), taken by an admin, that bring a fresh tenant case to a state where
# the route's action is legal, so an allowed call must succeed (2xx), not merely be a 409.
_ASSIGNED = [("assign", {"assignee": "eng-1", "department": "engineering"})]
_STARTED = _ASSIGNED + [("start", {})]
_RESOLVED = _STARTED + [("resolve", {"resolution": "已更换压缩机"})]
PREPARE: dict[str, list[tuple[str, dict]]] = {
    "start": _ASSIGNED,
    "respond": _ASSIGNED,
    "resolve": _STARTED,
    "callback": _RESOLVED,
    "close": _RESOLVED + [("callback", {"reached": True, "satisfied": True})],
    "reopen": _RESOLVED,
    "rating": _RESOLVED,
    "confirm": _RESOLVED,
    "answer": [("classify", {"kind": "consultation"})],
    "explain": [("classify", {"kind": "complaint", "validity": "invalid"}), ("confirm_invalid", {})],
    "confirm_invalid": [("classify", {"kind": "complaint", "validity": "invalid"})],
    "reject_invalid": [("classify", {"kind": "complaint", "validity": "invalid"})],
    "promise": [("classify", {"kind": "request"})] + _ASSIGNED + [("respond", {"message": "下午上门"})],
    "await-tenant": _ASSIGNED,
    "resume": _ASSIGNED + [("await-tenant", {"reason": "question"})],
    "close-unreachable": _RESOLVED + [("callback", {"reached": False})] * 3,
}
# The key register: steps (action, body) an admin takes on a fresh key so the route's action is legal.
KEY_PREPARE: dict[str, list[tuple[str, dict]]] = {
    "return": [("lend", {"borrower": {"name": "工程部张师傅", "kind": "staff"}, "purpose": "repair",
                         "due": "2026-11-23T17:00:00+08:00"})],
    "replace": [("damaged", {"reason": "钥匙齿断了"})],
}
# In working time (T0 is Monday 10:00 in Shanghai) the cabinet is the shift lead's: the
# front desk and the control room hold key.issue for after hours, and are refused now.
LEAD_IN_WORKING_TIME = {("POST", "/v1/properties/{property_id}/keys/{key_id}/lend"): {"front_desk", "security"}}

# Allowed calls that may still answer 409 for a reason of state, not of authority.
MAY_CONFLICT = {
    ("POST", CASES.replace("/cases", "") + "/handovers/{shift_end}/sign"),  # a side signs once: already_signed
    ("POST", CASES + "/{case_id}/replies/{reply_id}/posted"),  # the reply is an email, not a letter
    # The logbook's order and sides follow the handover's time and state (08:00: the control room
    # hands over): not_outgoing_side, not_incoming_side, outgoing_signs_first, not_refused, not_accepted.
    ("PUT", CASES.replace("/cases", "") + "/handovers/{shift_end}/checklist"),
    # Report schedules are versioned: the second allowed role writes over version 0 (report_schedules_version_conflict).
    ("PUT", CASES.replace("/cases", "") + "/report-schedules"),
    ("POST", CASES.replace("/cases", "") + "/handovers/{shift_end}/refuse"),
    ("POST", CASES.replace("/cases", "") + "/handovers/{shift_end}/answer"),
    ("POST", CASES.replace("/cases", "") + "/handovers/{shift_end}/review"),
}


def _is_create_case(method: str, path: str) -> bool:
    return (method, path) == ("POST", CASES)


def permission_for(method: str, path: str, role: str) -> str:
    """The permission the route applies to ``role``. POST .../cases is one route
    with two rules: tenants submit (case.submit), staff log (case.log)."""
    permission = ROUTES[(method, path)][1]
    if _is_create_case(method, path) and role in STAFF_ROLES:
        return "case.log"
    return permission


def body_for(method: str, path: str, role: str) -> dict | None:
    schema = ROUTES[(method, path)][2]
    if schema is None:
        return None
    if _is_create_case(method, path) and role in STAFF_ROLES:
        schema = "LogCase"
    if schema == "SignHandover" and role == "security":
        return {"side": "control_room"}  # each side is signed by its own people
    return BODIES[schema]


def changes_a_case(method: str, path: str) -> bool:
    """A change to one case (its lifecycle, or drafting its reply): department-scoped.
    Acting on an existing reply is the author's or an approver's, checked by its own rules."""
    return method == "POST" and "{case_id}" in path and "{reply_id}" not in path


def scopes_for(role: str) -> tuple[str, ...]:
    return (OWN, OTHER, OTHER_DEPT) if role in DEPARTMENT_SCOPED_ROLES else (OWN, OTHER)


def expected(method: str, path: str, role: str, scope: str) -> int | None:
    """403 / 404, or None for "allowed" (any 2xx, or 409)."""
    if role not in PERMISSIONS[permission_for(method, path, role)]:
        return 403
    if "{property_id}" in path and scope == OTHER:
        return 404
    if scope == OTHER_DEPT and changes_a_case(method, path):
        return 403
    if role in LEAD_IN_WORKING_TIME.get((method, path), ()):
        return 403
    return None


def token_for(role: str, scope: str) -> str:
    # tenant-1 owns the tenant case; staff subjects differ from the reply's author (dept_staff-1),
    # so an approver is never refused for approving their own reply. Staff are of the
    # resources' department, except in the other-department scope.
    subject = "tenant-1" if role == "tenant" else f"{role}-matrix"
    if role == "tenant":
        return make_token(role, properties=(OWN if scope == OTHER_DEPT else scope,), subject=subject)
    if scope == OTHER_DEPT:
        return make_token(role, properties=(OWN,), subject=subject, name=f"{role} matrix",
                          department=OTHER_DEPARTMENT)
    return make_token(role, properties=(scope,), subject=subject, name=f"{role} matrix", department=DEPT)


class World:
    """Real resources in P1, built only as a route needs them (a fresh set after an
    allowed call changed them): a tenant case of tenant-1, an email case with a
    pending written reply, a produced handover."""

    def __init__(self, client):
        self.client = client
        self.desk = make_token("front_desk", properties=(OWN,), subject="front_desk-1")
        self.tenant_case = self.email_case = self.reply = self.shift_end = self.entry = self.upload = self.key_id = None
        self.device = self.subscription = self.schedule_id = self.library = None

    def _upload_as(self, token: str) -> str:
        """An upload of ``token``'s holder with its file in place (as S3 stores a presigned POST's)."""
        import boto3
        s, slot = call(self.client, "POST", f"/v1/properties/{OWN}/uploads", token, BODIES["StartUpload"])
        assert s == 201, slot
        s3 = boto3.client("s3", region_name="ap-southeast-1")
        try:
            s3.create_bucket(Bucket=MAIL_BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"})
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        s3.put_object(Bucket=MAIL_BUCKET, Key=slot["fields"]["key"], Body=JPEG, ContentType="image/jpeg")
        return slot["upload_id"]

    def build(self, path: str) -> None:
        c = self.client
        if "{case_id}" in path and "/replies" not in path or path.endswith("/me/cases"):
            s, case = call(c, "POST", f"/v1/properties/{OWN}/cases", make_token("tenant", subject="tenant-1"),
                           BODIES["SubmitCase"])
            assert s == 201, case
            self.tenant_case = case["case_id"]
            # The front desk says whose it is: engineering's (not yet assigned to anyone).
            s, out = call(c, "POST", f"/v1/properties/{OWN}/cases/{self.tenant_case}/classify", self.desk,
                          {"department": DEPT, **({"category": "air_conditioning"} if "/duplicate/" in path else {})})
            assert s == 200, out
        if "/replies" in path or path == "/v1/approvals":
            s, letter = call(c, "POST", f"/v1/properties/{OWN}/cases", self.desk, LETTER)
            assert s == 201, letter
            self.email_case = letter["case_id"]
            s, reply = call(c, "POST", f"/v1/properties/{OWN}/cases/{self.email_case}/replies",
                            make_token("dept_staff", subject="dept_staff-1", department=DEPT), BODIES["DraftReply"])
            assert s == 201 and reply["status"] == "pending", reply
            self.reply = reply["reply_id"]
        if "{entry_id}" in path:
            self.entry = self.add_entry(self.desk)
        if "{upload_id}" in path:
            self.upload = self._upload_as(make_token("tenant", subject="tenant-1"))
        if "/tenants/{tenant_id}/" in path:  # invite, deactivate: a registered tenant of P1
            s, out = call(c, "PUT", f"/v1/properties/{OWN}/tenants/tenant-1", make_token("admin", subject="admin-prep"),
                          BODIES["PutTenant"])
            assert s == 200, out
        if "{key_id}" in path:
            s, key = call(c, "POST", f"/v1/properties/{OWN}/keys", make_token("admin", subject="admin-prep"),
                          BODIES["AddKey"])
            assert s == 201, key
            self.key_id = key["key_id"]
        if "/archive" in path or path.endswith("/locate"):
            # The owner archive of P1: building B3, unit 3-1201 (a kitchen), the lobby, resident R1.
            admin = make_token("admin", properties=(OWN,), subject="admin-archive")
            base = f"/v1/properties/{OWN}/archive"
            for url, body in ((f"{base}/buildings/B3", BODIES["PutBuilding"]),
                              (f"{base}/units/3-1201", BODIES["PutUnit"]), (f"{base}/areas/lobby", BODIES["PutArea"]),
                              (f"{base}/residents/R1", BODIES["PutResident"])):
                s, out = call(c, "PUT", url, admin, body)
        if path == "/v1/me/tenant":  # tenant-1 is registered at both properties, as each scope reads its own
            admin = make_token("admin", properties=(OWN, OTHER), subject="admin-prep")
            for pid in (OWN, OTHER):
                s, out = call(c, "PUT", f"/v1/properties/{pid}/tenants/tenant-1", admin,
                              {"name": "李女士", "email": f"li.{pid.lower()}@example.cn", "unit": "3栋1201"})
                assert s == 200, out
        if "{device_id}" in path:  # the tenant's phone (registering again is idempotent)
            s, device = call(c, "POST", "/v1/me/devices", make_token("tenant", subject="tenant-1"),
                             BODIES["RegisterDevice"])
            assert s == 201, device
            self.device = device["id"]
        if "{subscription_id}" in path:
            s, sub = call(c, "POST", "/v1/me/webpush", make_token("tenant", subject="tenant-1"),
                          BODIES["SubscribeWebPush"])
            assert s == 201, sub
            self.subscription = sub["id"]
        if "{schedule_id}" in path and self.schedule_id is None:  # a report schedule of P1
            s, out = call(c, "PUT", f"/v1/properties/{OWN}/report-schedules", make_token("admin", subject="admin-prep"),
                          BODIES["PutReportSchedules"])
            assert s == 200, out
            self.schedule_id = "matrix-weekly"
        if "{library_id}" in path or path.endswith("/library-used"):
            self.library = self.library_entry(path.endswith("/library-used"))
        if "{shift_end}" in path:
            s, doc = call(c, "POST", f"/v1/properties/{OWN}/handovers", self.desk, {})
            assert s in (200, 201) and doc["shift_end"] == SHIFT_END, doc
            self.shift_end = doc["shift_end"]

    def library_entry(self, approved: bool = False, pending: bool = False) -> str:
        """A library entry of P1 written by the front desk (never a matrix caller's own),
        pending approval or approved (its id then in the UseLibraryEntry body)."""
        base = f"/v1/properties/{OWN}/library"
        s, entry = call(self.client, "POST", base, self.desk, BODIES["AddLibraryEntry"])
        assert s == 201, entry
        entry_id = entry["entry_id"]
        if approved or pending:
            s, out = call(self.client, "POST", f"{base}/{entry_id}/submit", self.desk, {})
            assert s == 200, out
        if approved:
            s, out = call(self.client, "POST", f"{base}/{entry_id}/approve",
                          make_token("admin", properties=(OWN,), subject="admin-prep"), {})
            assert s == 200, out
            BODIES["UseLibraryEntry"]["entry_id"] = entry_id
        return entry_id

    def add_entry(self, token: str) -> str:
        s, entry = call(self.client, "POST", f"/v1/properties/{OWN}/shift/diary", token, BODIES["AddDiaryEntry"])
        assert s == 201, entry
        return entry["entry_id"]

    def prepare(self, path: str, role: str) -> None:
        """Fresh resources in a state where an allowed ``role`` can succeed on ``path``."""
        self.build(path)
        if "{entry_id}" in path:
            self.entry = self.add_entry(token_for(role, OWN))  # only its author corrects an entry
        action = path.rsplit("/", 1)[-1]
        admin = make_token("admin", properties=(OWN,), subject="admin-prep")
        if "{case_id}" in path and "/replies" not in path:
            for step, body in PREPARE.get(action, []):
                s, out = call(self.client, "POST", f"/v1/properties/{OWN}/cases/{self.tenant_case}/{step}", admin,
                              body)
                assert s == 200, (step, out)
        if "{upload_id}" in path:  # only its owner completes an upload: the caller's own
            self.upload = self._upload_as(token_for(role, OWN))
        if "{key_id}" in path:
            for step, body in KEY_PREPARE.get(action, []):
                s, out = call(self.client, "POST", f"/v1/properties/{OWN}/keys/{self.key_id}/{step}", admin, body)
                assert s == 200, (step, out)
        if "{library_id}" in path or path.endswith("/library-used"):
            self.library = self.library_entry(approved=action == "library-used",
                                              pending=action in ("approve", "return"))
        if action == "revise":
            # only the author revises a returned reply: the caller drafts it, another approver returns it
            base = f"/v1/properties/{OWN}/cases/{self.email_case}/replies"
            # (drafted in the resources' department; the author may revise it from any)
            s, reply = call(self.client, "POST", base, token_for(role, OWN), BODIES["DraftReply"])
            assert s == 201, reply
            self.reply = reply["reply_id"]
            s, out = call(self.client, "POST", f"{base}/{self.reply}/return", admin, BODIES["ReturnReply"])
            assert s == 200, out

    def url(self, path: str) -> str:
        case = self.email_case if "/replies" in path else self.tenant_case
        values = {"property_id": OWN, "case_id": case, "reply_id": self.reply, "tenant_id": "tenant-1",
                  "shift_end": self.shift_end, "day": "2026-11-22", "month": "2026-11", "n": "1",
                  "entry_id": self.entry, "upload_id": self.upload, "key_id": self.key_id,
                  "building_id": "B3", "unit_id": "3-1201", "area_id": "lobby", "resident_id": "R1",
                  "device_id": self.device, "subscription_id": self.subscription,
                  "submission_id": "pending-1", "schedule_id": self.schedule_id, "library_id": self.library}
        for name, value in values.items():
            if "{" + name + "}" in path:
                assert value, f"World.build made no {name} for {path}"
                path = path.replace("{" + name + "}", value)
        assert "{" not in path, f"no value for a path parameter in {path}: add it to World"
        if path.endswith("/archive/lookup"):
            path += "?phone=13812345678"  # the one query parameter a route requires
        return path


@pytest.fixture
def world(client, mailbox, monkeypatch):
    from tests.api.test_notify_api import configure_push
    monkeypatch.setenv("TD_MAIL_BUCKET", MAIL_BUCKET)
    from tests.cognito_pool import make_pool
    make_pool(monkeypatch)  # tenants are invited into it
    configure_push(monkeypatch)  # so a tenant's device and Web Push routes can succeed
    return World(client)


def test_every_protected_route_has_a_valid_body_and_a_known_permission():
    import fastjsonschema
    assert len(PROTECTED) >= 30
    assert MAY_CONFLICT <= set(PROTECTED), MAY_CONFLICT - set(PROTECTED)
    # the department scope is exercised: dept_staff may change cases, only their department's
    assert [(m, p) for m, p in PROTECTED if changes_a_case(m, p) and "dept_staff" in PERMISSIONS[permission_for(
        m, p, "dept_staff")]], "no department-scoped route in the matrix"
    suffixes = {p.rsplit("/", 1)[-1] for _m, p in PROTECTED}
    assert set(PREPARE) <= suffixes, set(PREPARE) - suffixes
    for method, path in PROTECTED:
        for role in ROLES:
            assert permission_for(method, path, role) in PERMISSIONS, (method, path)
            body = body_for(method, path, role)
            schema = ROUTES[(method, path)][2]
            if body is not None:
                name = "LogCase" if _is_create_case(method, path) and role in STAFF_ROLES else schema
                fastjsonschema.compile(SCHEMAS[name])(body)


@pytest.mark.parametrize("method,path", PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_authorization_matrix(world, method, path):
    world.build(path)
    failures = []
    for role in ROLES:
        for scope in scopes_for(role):
            want = expected(method, path, role, scope)
            if want is None and method != "GET":
                world.prepare(path, role)
            status, body = call(world.client, method, world.url(path), token_for(role, scope),
                                body_for(method, path, role))
            if want == 403:
                allowed = role in PERMISSIONS[permission_for(method, path, role)]
                code = "outside_department" if allowed else "forbidden"
                if allowed and role in LEAD_IN_WORKING_TIME.get((method, path), ()):
                    code = "lead_issues_keys"
                ok = status == 403 and isinstance(body, dict) and body.get("code") == code
            elif want == 404:
                ok = status == 404
            elif (method, path) in MAY_CONFLICT:
                ok = status < 400 or status == 409
            else:
                ok = status < 400
            if not ok:
                failures.append(f"{role}@{scope}: expected {want or '2xx'}, got {status} {body}")
    assert not failures, f"{method} {path}:\n" + "\n".join(failures)


# --- a tenant sees only their own cases -------------------------------------------------

TENANT_CASE_ROUTES = [(m, p) for m, p in PROTECTED
                      if "{case_id}" in p and "tenant" in PERMISSIONS[permission_for(m, p, "tenant")]]


def test_tenant_case_routes_are_the_expected_ones():
    assert {p.rsplit("/", 1)[-1] for _m, p in TENANT_CASE_ROUTES} >= {"{case_id}", "messages", "rating", "reopen"}


@pytest.mark.parametrize("method,path", TENANT_CASE_ROUTES, ids=[f"{m} {p}" for m, p in TENANT_CASE_ROUTES])
def test_another_tenant_of_the_same_property_gets_404(world, method, path):
    world.build(path)
    other = make_token("tenant", properties=(OWN,), subject="tenant-2")
    status, body = call(world.client, method, world.url(path), other, body_for(method, path, "tenant"))
    assert status == 404, body
    # and the owner is not refused
    status, body = call(world.client, method, world.url(path), make_token("tenant", subject="tenant-1"),
                        body_for(method, path, "tenant"))
    assert status < 400 or status == 409, body


def test_another_tenant_does_not_see_the_case_in_their_list(world):
    world.build("/v1/me/cases")
    status, page = call(world.client, "GET", "/v1/me/cases", make_token("tenant", subject="tenant-2"))
    assert status == 200 and page["items"] == []
    status, page = call(world.client, "GET", "/v1/me/cases", make_token("tenant", subject="tenant-1"))
    assert status == 200 and [c["case_id"] for c in page["items"]] == [world.tenant_case]


# --- bad tokens ---------------------------------------------------------------------------

def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**overrides) -> dict:
    iat = int(T0.timestamp())
    claims = {"sub": "admin-1", "role": "admin", "props": ["P1", "P2"], "iat": iat, "exp": iat + 3600,
              "iss": TOKEN_ISSUER, "aud": TOKEN_AUDIENCE}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(claims: dict, secret: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    import jwt
    return jwt.encode(claims, secret, algorithm=algorithm)


BAD_TOKENS = {
    "expired": lambda: make_token("admin", properties=("P1", "P2"),
                                  now=datetime(2026, 1, 1, tzinfo=timezone.utc)),
    "wrong_signature": lambda: _signed(_claims(), secret="another-key-" + "y" * 50),
    "tampered_payload": lambda: (lambda t: ".".join([t.split(".")[0], _b64(_claims(role="admin", sub="x")),
                                                    t.split(".")[2]]))(make_token("tenant")),
    "alg_none": lambda: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}.",
    "alg_hs512": lambda: _signed(_claims(), algorithm="HS512"),
    "missing_sub": lambda: _signed(_claims(sub=None)),
    "missing_role": lambda: _signed(_claims(role=None)),
    "missing_props": lambda: _signed(_claims(props=None)),
    "missing_exp": lambda: _signed(_claims(exp=None)),
    "wrong_audience": lambda: _signed(_claims(aud="someone-else")),
    "wrong_issuer": lambda: _signed(_claims(iss="someone-else")),
    "unknown_role": lambda: _signed(_claims(role="root")),
    "future_iat": lambda: _signed(_claims(iat=int(T0.timestamp()) + 86400, exp=int(T0.timestamp()) + 90000)),
    "garbage": lambda: "not.a.token",
    "garbage_no_dots": lambda: "garbage",
    "non_ascii": lambda: "令牌.令牌.令牌",
}

# One protected route of each method the route table uses.
ONE_PER_METHOD = {method: next(p for m, p in PROTECTED if m == method) for method in sorted({m for m, _ in PROTECTED})}


def test_bad_tokens_are_401_on_one_route_of_each_method(world):
    assert set(ONE_PER_METHOD) >= {"GET", "POST", "PUT"}
    failures = []
    for method, path in ONE_PER_METHOD.items():
        world.build(path)
        url, body = world.url(path), body_for(method, path, "admin")
        for name, make in BAD_TOKENS.items():
            status, answer = call(world.client, method, url, make(), body)
            if status != 401 or not isinstance(answer, dict) or answer.get("code") not in (
                    "invalid_token", "token_expired", "missing_token"):
                failures.append(f"{method} {path} {name}: {status} {answer}")
        for header in ("", "Bearer", "Basic YWRtaW46YWRtaW4=", "Token " + make_token("admin")):
            resp = getattr(world.client.http, method.lower())(
                url, headers={"Content-Type": "application/json", "Authorization": header},
                body=json.dumps(body).encode() if body is not None else b"")
            if resp.status_code != 401:
                failures.append(f"{method} {path} header {header[:12]!r}: {resp.status_code}")
        status, answer = call(world.client, method, url, None, body)
        if status != 401:
            failures.append(f"{method} {path} no token: {status} {answer}")
    assert not failures, "\n".join(failures)

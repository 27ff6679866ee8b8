"""The OpenAPI 3 document of the API, built from one route table.

``ROUTES`` names every route's method, path, permission and body schema; a
test compares it with the routes Chalice actually registered, so the document
and the app cannot drift. Request bodies reuse ``schemas.SCHEMAS``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.domain import cases
from chalicelib.domain.auth import PERMISSIONS
from chalicelib.http.routes_console import ASSETS
from chalicelib.schemas import SCHEMAS

CASE = "/v1/properties/{property_id}/cases/{case_id}"
REPLY = CASE + "/replies/{reply_id}"

# (method, path) -> (summary, permission or None for public, body schema or None, success status)
ROUTES: dict[tuple[str, str], tuple[str, str | None, str | None, int]] = {
    ("GET", "/v1/health"): ("Liveness check", None, None, 200),
    ("GET", "/v1/openapi.json"): ("This document", None, None, 200),
    ("GET", "/v1/me"): ("The caller's identity, role and properties", "case.read", None, 200),
    ("GET", "/v1/me/permissions"): (
        "The permission names the caller's role holds (for a client's navigation; the API decides each call)",
        "case.read", None, 200),
    ("GET", "/v1/properties/{property_id}"): ("Property settings and deadline policy", "policy.read", None, 200),
    ("PUT", "/v1/properties/{property_id}"): ("Create or update a property and its policy", "policy.write",
                                              "PutProperty", 200),
    ("POST", "/v1/properties/{property_id}/cases"): (
        "Submit a case (tenant: SubmitCase) or log a phone/walk-in/letter case (staff: LogCase). "
        "Send an Idempotency-Key header to make retries safe.", "case.submit", "SubmitCase", 201),
    ("GET", "/v1/me/cases"): ("The tenant's own cases, newest first", "case.list_own", None, 200),
    ("GET", "/v1/properties/{property_id}/queue"): ("Open cases sorted by next deadline", "queue.read", None, 200),
    ("GET", CASE): ("A case with its timeline", "case.read", None, 200),
    ("GET", CASE + "/attachments/{n}"): ("A short-lived URL of the case's n-th stored attachment (from 1), and "
                                         "of its thumbnail (thumbnail_url, null until made)", "case.read", None, 200),
    ("POST", "/v1/properties/{property_id}/uploads"): (
        "Start a photo upload: a presigned POST (url, fields) for one file of the declared type and size "
        "(JPEG, PNG, HEIC, WebP up to 10 MB; MP4 up to 20 MB)", "upload.create", "StartUpload", 201),
    ("POST", "/v1/properties/{property_id}/uploads/{upload_id}/complete"): (
        "Check the uploaded file (size, type by its first bytes); returns the ref to attach", "upload.complete",
        "CompleteUpload", 200),
    ("POST", CASE + "/classify"): ("Classify kind, validity, severity, category, cause, department",
                                   "case.classify", "Classify", 200),
    ("POST", CASE + "/assign"): ("Hand the case to its responsible owner", "case.assign", "Assign", 200),
    ("POST", CASE + "/start"): ("The owner starts work", "case.start", "Start", 200),
    ("POST", CASE + "/notes"): ("Internal note (staff only)", "case.note", "Note", 200),
    ("POST", CASE + "/respond"): ("Reply to the tenant through any channel", "case.respond", "Respond", 200),
    ("POST", CASE + "/resolve"): ("Mark resolved; starts the callback window", "case.resolve", "Resolve", 200),
    ("POST", CASE + "/callback"): ("Record a follow-up callback", "case.callback", "Callback", 200),
    ("POST", CASE + "/escalate"): ("Raise the case one tier", "case.escalate", "Escalate", 200),
    ("POST", CASE + "/close"): ("Close after the callback", "case.close", "Close", 200),
    ("POST", CASE + "/answer"): ("Answer a consultation and close it", "case.answer", "Answer", 200),
    ("POST", CASE + "/explain"): ("Explain an invalid complaint a manager confirmed, and close it", "case.explain",
                                  "Explain", 200),
    ("POST", CASE + "/confirm_invalid"): ("Manager: confirm the front desk's proposal that a complaint is invalid",
                                          "case.confirm_invalid", "ConfirmInvalid", 200),
    ("POST", CASE + "/reject_invalid"): ("Manager: reject the proposal that a complaint is invalid (it is valid)",
                                         "case.reject_invalid", "RejectInvalid", 200),
    ("POST", CASE + "/reopen"): ("Reopen: the tenant says it is not fixed", "case.reopen", "Reopen", 200),
    ("POST", CASE + "/promise"): ("Move the time promised to the tenant, with the reason they are told",
                                  "case.move_promise", "MovePromise", 200),
    ("POST", CASE + "/await-tenant"): ("Wait on the tenant: the windows in force pause", "case.await_tenant",
                                       "AwaitTenant", 200),
    ("POST", CASE + "/resume"): ("End the wait on the tenant: the windows run again", "case.resume", "Resume", 200),
    ("POST", CASE + "/close-unreachable"): ("A manager closes a case whose tenant no callback reached",
                                            "case.close_unreachable", "CloseUnreachable", 200),
    ("POST", CASE + "/messages"): ("Tenant adds a message or photo reference", "case.message", "Message", 200),
    ("POST", CASE + "/rating"): ("Tenant rates the handling (1-5)", "case.rate", "Rate", 200),
    ("PUT", "/v1/properties/{property_id}/tenants/{tenant_id}"): (
        "Register a tenant's email address (matches their mail to them)", "policy.write", "PutTenant", 200),
    ("POST", CASE + "/replies"): ("Draft a written reply (waits for approval)", "reply.draft", "DraftReply", 201),
    ("GET", CASE + "/replies"): ("The case's written replies", "reply.read", None, 200),
    ("POST", REPLY + "/approve"): ("Approve a reply (not your own); an email is sent at once", "reply.approve",
                                   "ApproveReply", 200),
    ("POST", REPLY + "/return"): ("Return a reply to its author with a comment", "reply.approve", "ReturnReply",
                                  200),
    ("POST", REPLY + "/revise"): ("The author revises a returned reply", "reply.draft", "ReviseReply", 200),
    ("POST", REPLY + "/posted"): ("An approved letter reply was posted (empty body or {})", "reply.post",
                                  "MarkPosted", 200),
    ("GET", "/v1/approvals"): ("Replies waiting for your approval, oldest first", "reply.approve", None, 200),
    ("GET", "/v1/properties/{property_id}/quarantine"): ("Quarantined inbound mail, newest first",
                                                         "mail.quarantine", None, 200),
    ("GET", "/v1/quarantine/unrouted"): ("Quarantined mail no property's inbox received, newest first (admins)",
                                         "mail.unrouted", None, 200),
    ("GET", "/v1/properties/{property_id}/handovers"): (
        "Shift handover summaries, newest first, with who signed", "report.read", None, 200),
    ("POST", "/v1/properties/{property_id}/handovers"): (
        "Produce the summary of the shift that ended last (before `at`, if given); idempotent: "
        "200 with the stored one if it exists", "handover.sign", "ProduceHandover", 201),
    ("GET", "/v1/properties/{property_id}/handovers/{shift_end}"): (
        "One handover summary (shift_end like 2026-11-23T10:00:00Z) with its signatures", "report.read", None, 200),
    ("POST", "/v1/properties/{property_id}/handovers/{shift_end}/sign"): (
        "Sign a handover for one side: the outgoing side first (checklist complete), then the incoming side "
        "accepts, by another person (409 outgoing_signs_first, already_signed, same_signer, checklist_incomplete, "
        "refusal_unanswered)", "handover.sign", "SignHandover", 200),
    ("PUT", "/v1/properties/{property_id}/handovers/{shift_end}/checklist"): (
        "The outgoing side marks checklist items ok (√) or not_ok (×, a note required)", "handover.sign",
        "MarkChecklist", 200),
    ("POST", "/v1/properties/{property_id}/handovers/{shift_end}/refuse"): (
        "The incoming side refuses the handover with a reason; the manager is mailed at once", "handover.sign",
        "RefuseHandover", 200),
    ("POST", "/v1/properties/{property_id}/handovers/{shift_end}/answer"): (
        "The outgoing side answers a refusal, then signs again", "handover.sign", "AnswerRefusal", 200),
    ("POST", "/v1/properties/{property_id}/handovers/{shift_end}/review"): (
        "The shift lead reviews and signs an accepted handover, once", "handover.review", "ReviewHandover", 200),
    ("GET", "/v1/properties/{property_id}/shift"): (
        "The shift running now: who hands over at its end, its diary and checklist so far", "report.read", None,
        200),
    ("POST", "/v1/properties/{property_id}/shift/diary"): (
        "Add an entry to the current shift's work diary (entry_id: a retry stores it once)", "handover.diary",
        "AddDiaryEntry", 201),
    ("PUT", "/v1/properties/{property_id}/shift/diary/{entry_id}"): (
        "Correct your own diary entry while the shift runs; the old wording is kept", "handover.diary",
        "CorrectDiaryEntry", 200),
    ("GET", "/v1/properties/{property_id}/stats/daily/{day}"): (
        "Statistics of a property-local day (YYYY-MM-DD)", "report.read", None, 200),
    ("GET", "/v1/properties/{property_id}/stats/monthly/{month}"): (
        "Monthly rollup of the daily statistics (YYYY-MM)", "report.read", None, 200),
}

# Onboarding and sign-in (chalicelib/http/routes_signin.py).
ROUTES.update({
    ("POST", "/v1/properties/{property_id}/tenants/{tenant_id}/invite"): (
        "Invite a registered tenant to sign in: a Cognito account in the tenants' group, scoped to this property "
        "and tenant id by the system, invitation by mail (by SMS when `phone` is given). 201 created; 200 "
        "resent (Idempotent-Replayed). 409 account_active, email_in_use, account_disabled, tenant_inactive",
        "tenant.invite", "InviteTenant", 201),
    ("POST", "/v1/properties/{property_id}/tenants/{tenant_id}/deactivate"): (
        "The tenant moved out: their account is disabled and signed out everywhere (refresh tokens revoked), "
        "the record marked inactive; their cases stay", "tenant.deactivate", "DeactivateTenant", 200),
})

# The key register (seed 000 篇2; chalicelib/http/routes_keys.py).
KEYS = "/v1/properties/{property_id}/keys"
KEY = KEYS + "/{key_id}"
ROUTES.update({
    ("GET", KEYS): ("The property's key register (`state` to filter)", "key.read", None, 200),
    ("POST", KEYS): ("Add a key to the cabinet (key_id given, or the next K<nnn>); 409 key_exists",
                     "key.manage", "AddKey", 201),
    ("GET", KEYS + "/out"): ("Keys out, overdue first, with borrower and due time", "key.read", None, 200),
    ("GET", KEY): ("A key with its history (every loan, return and change); 404 unknown_key", "key.read", None, 200),
    ("PUT", KEY): ("Correct a key's unit, slot or note (copies change only by loss and replacement)",
                   "key.manage", "EditKey", 200),
    ("POST", KEY + "/lend"): (
        "Lend a key in the cabinet (409 key_not_in_cabinet). In working time only the shift lead or above "
        "(403 lead_issues_keys); for a case, the tenant's entry permission is needed (409 entry_refused, "
        "entry_permission_missing unless emergency with a reason)", "key.issue", "LendKey", 200),
    ("POST", KEY + "/return"): ("The key is back: time and receiver (409 key_not_lent)", "key.return",
                                "ReturnKey", 200),
    ("POST", KEY + "/damaged"): ("A damaged key, withdrawn at once", "key.report", "KeyReason", 200),
    ("POST", KEY + "/lost"): ("A lost key: a lock-change case is made, the manager and security are mailed",
                              "key.report", "KeyReason", 200),
    ("POST", KEY + "/replace"): ("Manager: new keys for a damaged key, or a lost one after its lock change "
                                 "(409 lock_not_changed)", "key.replace", "ReplaceKey", 200),
    ("POST", KEY + "/retire"): ("Take a key off the register", "key.manage", "KeyReason", 200),
    ("POST", CASE + "/entry-permission"): (
        "The tenant (or the front desk for them) grants or refuses entry with the spare key, with up to 5 "
        "preferred time slots", "case.entry_permission", "EntryPermission", 200),
})

# The owner archive (chalicelib/http/routes_archive.py; chalicelib/domain/archive.py).
ARCHIVE = "/v1/properties/{property_id}/archive"
ROUTES.update({
    ("GET", ARCHIVE + "/buildings"): ("The property's buildings", "archive.read", None, 200),
    ("GET", ARCHIVE + "/buildings/{building_id}"): ("A building with its units", "archive.read", None, 200),
    ("PUT", ARCHIVE + "/buildings/{building_id}"): ("Create or change a building (versioned, audited)",
                                                    "archive.write", "PutBuilding", 200),
    ("GET", ARCHIVE + "/units/{unit_id}"): ("A unit with its residents in the service view", "archive.read", None,
                                            200),
    ("PUT", ARCHIVE + "/units/{unit_id}"): ("Create or change a unit (flat or shop) and its rooms", "archive.write",
                                            "PutUnit", 200),
    ("GET", ARCHIVE + "/areas"): ("The property's public areas", "archive.read", None, 200),
    ("PUT", ARCHIVE + "/areas/{area_id}"): ("Create or change a public area", "archive.write", "PutArea", 200),
    ("GET", ARCHIVE + "/locations"): ("Every place a case can be located at (ids and labels, for pickers)",
                                      "archive.read", None, 200),
    ("GET", ARCHIVE + "/residents/{resident_id}"): (
        "A resident: the service view (masked phones; front desk, staff), or the full record (managers and up; "
        "each full read is on the access log). view=full by a role without archive.read_full is 403",
        "archive.read", None, 200),
    ("PUT", ARCHIVE + "/residents/{resident_id}"): (
        "Create or change a resident or shop tenant; moved_out ends them (kept, never deleted)", "archive.write",
        "PutResident", 200),
    ("POST", ARCHIVE + "/residents/{resident_id}/renovations"): ("Add a renovation record", "archive.write",
                                                                 "AddRenovation", 201),
    ("GET", ARCHIVE + "/lookup"): ("A caller's phone number (any format): the residents (service view) and their "
                                   "open cases", "archive.read", None, 200),
    ("GET", ARCHIVE + "/access-log"): ("Who read which full record, when, from which route; newest first",
                                       "archive.access_log", None, 200),
    ("POST", CASE + "/locate"): ("Match the case's free-text unit to a place in the archive (audited)",
                                 "case.locate", "LocateCase", 200),
})

# The staff console's page and assets (public: the page holds no data; the API checks every call).
ROUTES.update({
    ("GET", "/console"): ("Staff console page", None, None, 200),
    ("GET", "/console/{name}"): ("Staff console asset (a fixed list of files)", None, None, 200),
})

_ERROR = {"type": "object", "required": ["code", "message"],
          "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}}
_DEADLINE = {"type": "object", "properties": {"due": {"type": "string", "format": "date-time"},
                                              "met_at": {"type": ["string", "null"]},
                                              "met_on_time": {"type": ["boolean", "null"]},
                                              "overdue": {"type": "boolean"}}}
# Actions a caller takes through the API (the rest are the system's own records).
_ACTIONS = [a for a in cases.ACTIONS if f"case.{a}" in PERMISSIONS]
_PERMISSIONS = {"type": "object", "required": ["role", "permissions"],
                "properties": {"role": {"type": "string"},
                               "permissions": {"type": "array", "items": {"type": "string",
                                                                          "enum": sorted(PERMISSIONS)}}}}
_CASE = {"type": "object", "required": ["property_id", "case_id", "status", "version", "content"],
         "properties": {"property_id": {"type": "string"}, "case_id": {"type": "string"},
                        "status": {"type": "string", "enum": list(cases.STATUSES)},
                        "version": {"type": "integer"}, "content": {"type": "string"},
                        "deadlines": {"type": "object", "additionalProperties": _DEADLINE},
                        "next_due": {"type": ["string", "null"]}, "overdue": {"type": "boolean"},
                        "actions": {"type": "array", "items": {"type": "string", "enum": _ACTIONS},
                                    "description": "On a single case (read, created or acted on): the actions "
                                                   "the caller may take on it now, by role, property, department "
                                                   "scope, status and the written-reply rule. Absent in lists."},
                        "timeline": {"type": "array", "items": {"type": "object"}}}}
_PAGE = {"type": "object", "required": ["items"],
         "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}},
                        "next_cursor": {"type": ["string", "null"]}}}

def _limit(high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": high}


def _choice(values: Any) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(values)}


_CURSOR = {"type": "string", "description": "next_cursor of the previous page"}
# GET query parameters as the views parse them (web.query_int/query_choice/query_bool); 400 otherwise.
_QUERY: dict[str, dict[str, dict[str, Any]]] = {
    "/v1/me/cases": {"limit": _limit(100), "cursor": _CURSOR},
    "/v1/approvals": {"limit": _limit(100)},
    "/v1/properties/{property_id}/quarantine": {"limit": _limit(100), "cursor": _CURSOR},
    "/v1/quarantine/unrouted": {"limit": _limit(100), "cursor": _CURSOR},
    "/v1/properties/{property_id}/handovers": {"limit": _limit(50), "cursor": _CURSOR, "unreviewed": {
        "type": "boolean", "description": "only handovers the shift lead has not reviewed (a page may be short)"}},
    "/v1/properties/{property_id}/keys": {"state": _choice(("in_cabinet", "lent", "damaged", "lost", "retired"))},
    ARCHIVE + "/residents/{resident_id}": {"view": _choice(("full", "service"))},
    ARCHIVE + "/lookup": {"phone": {"type": "string", "minLength": 3, "maxLength": 30,
                                    "description": "required; any format: 138 1234 5678, +86-138-1234-5678; "
                                                   "422 invalid_phone"}},
    ARCHIVE + "/access-log": {"limit": _limit(100), "cursor": _CURSOR},
    "/v1/properties/{property_id}/queue": {
        "status": _choice(cases.OPEN_STATUSES), "kind": _choice(cases.KINDS), "category": _choice(cases.CATEGORIES),
        "channel": _choice(cases.CHANNELS), "tier": _choice(cases.TIERS), "department": {"type": "string"},
        "overdue": {"type": "boolean"}, "limit": _limit(100), "cursor": _CURSOR},
}
_CASE_PAGES = ("/v1/me/cases", "/v1/properties/{property_id}/queue")
# Query parameters a route cannot do without (a GET that validates its input answers 422 otherwise).
_REQUIRED_QUERY = {(ARCHIVE + "/lookup", "phone")}


_VALUE_PARAMETERS = ("tenant_id", "shift_end", "day", "month", "building_id", "unit_id", "area_id", "resident_id")

# Routes with an application quota (chalicelib/domain/quotas.py): the property's
# settings may override the limits (PutProperty ``quotas``).
_RATE_LIMITED = {
    ("POST", "/v1/properties/{property_id}/cases"): "a tenant's cases per hour (cases_per_tenant_per_hour; "
                                                    "staff-logged cases are not limited)",
    ("POST", CASE + "/messages"): "messages per case per minute (messages_per_case_per_minute)",
}


def _console_assets() -> dict[str, str]:
    return ASSETS


def _console_types(path: str) -> list[str]:
    assets = _console_assets()
    return list(assets.values()) if "{name}" in path else [assets["index.html"]]


def _response_schema(path: str, method: str) -> dict[str, Any]:
    # Replies, approvals (replies) and quarantined mail are not cases, paged or not.
    if "/replies" in path or "/approvals" in path or "/quarantine" in path or "/tenants/" in path:
        return {"type": "object"}
    if path == "/v1/me/permissions":
        return {"$ref": "#/components/schemas/Permissions"}
    if path in _CASE_PAGES:
        return {"$ref": "#/components/schemas/CasePage"}
    if "/cases" in path and not path.endswith("/me/cases"):
        return {"$ref": "#/components/schemas/Case"}
    return {"type": "object"}


def _operation(method: str, path: str) -> dict[str, Any]:
    summary, permission, schema, status = ROUTES[(method, path)]
    op: dict[str, Any] = {
        "summary": summary,
        "operationId": f"{method.lower()}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
        "parameters": [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                       for n in ("property_id", "case_id", "reply_id", "tenant_id", "shift_end", "day", "month",
                                 "upload_id", "name", "key_id", "building_id", "unit_id", "area_id", "resident_id")
                       if "{" + n + "}" in path]
        + [{"name": n, "in": "query", "required": (path, n) in _REQUIRED_QUERY, "schema": query_schema}
           for n, query_schema in (_QUERY.get(path, {}) if method == "GET" else {}).items()],
        "responses": {str(status): {"description": "success", "content": {
            "application/json": {"schema": _response_schema(path, method)}}}},
    }
    if permission:
        op["security"] = [{"cognito": ["openid"]}, {"localBearer": []}]
        op["x-permission"] = permission
        for code in ("401", "403", "404"):
            op["responses"][code] = {"$ref": "#/components/responses/Error"}
    if permission and method != "GET":  # an action on something in the wrong state (e.g. posting a pending reply)
        op["responses"]["409"] = {"$ref": "#/components/responses/Error"}
    # A malformed query or value path parameter (tenant id, shift_end, day, month) is a 400.
    if (method == "GET" and path in _QUERY) or any("{" + n + "}" in path for n in _VALUE_PARAMETERS):
        op["responses"]["400"] = {"$ref": "#/components/responses/Error"}
    if method == "GET" and any(p == path for p, _ in _REQUIRED_QUERY):
        op["responses"]["422"] = {"$ref": "#/components/responses/Error"}
    if path.startswith("/console"):  # the console's files, not JSON; an unknown file name is a 404
        op["responses"][str(status)] = {"description": "the file", "content": {
            media: {"schema": {"type": "string"}} for media in sorted({t.split(";")[0] for t in _console_types(path)})}}
        if "{name}" in path:
            op["parameters"][0]["schema"] = {"type": "string", "enum": sorted(_console_assets())}
            op["responses"]["404"] = {"$ref": "#/components/responses/Error"}
    if (method, path) in _RATE_LIMITED:
        op["responses"]["429"] = {
            "description": f"rate_limited: quota of {_RATE_LIMITED[(method, path)]} used up; nothing was stored",
            "headers": {"Retry-After": {"description": "seconds until the quota's window ends",
                                        "schema": {"type": "integer", "minimum": 1}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if schema:
        body_schema: dict[str, Any] = {"$ref": f"#/components/schemas/{schema}"}
        if schema == "SubmitCase":
            body_schema = {"oneOf": [body_schema, {"$ref": "#/components/schemas/LogCase"}]}
            op["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                     "schema": {"type": "string", "maxLength": 128}})
            op["responses"]["200"] = {"description": "idempotent replay: the case created by the first request",
                                      "content": {"application/json": {"schema": _response_schema(path, method)}}}
        if schema == "InviteTenant":
            op["responses"]["200"] = {"description": "invited again before the first sign-in: the invitation was "
                                                     "resent (Idempotent-Replayed: true)",
                                      "content": {"application/json": {"schema": _response_schema(path, method)}}}
        if schema in ("InviteTenant", "DeactivateTenant"):  # no user pool configured: sign_in_not_configured
            op["responses"]["503"] = {"$ref": "#/components/responses/Error"}
        if schema == "ProduceHandover":
            op["responses"]["200"] = {"description": "the summary of that shift was already produced: the stored one",
                                      "content": {"application/json": {"schema": _response_schema(path, method)}}}
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body_schema}}}
        for code in ("400", "409", "413", "422"):
            op["responses"][code] = {"$ref": "#/components/responses/Error"}
    return op


# Sign-in (chalicelib/http/identity.py, infra/identity.py). The hosted UI's URLs depend on the
# deployment: {domain} is the stack's HostedUiUrl output (tenantdesk-<stage>-<account>), {region} its region.
HOSTED_UI = "https://{domain}.auth.{region}.amazoncognito.com"
SECURITY_SCHEMES: dict[str, Any] = {
    "cognito": {
        "type": "oauth2",
        "description": "Cognito user pool sign-in. Send the **ID token** as `Authorization: Bearer <id token>` "
                       "(it carries the role and scope; an access token is refused with 401 invalid_token). "
                       "Native apps: the hosted UI's authorization code flow with PKCE (S256), app client "
                       "`tenantdesk-<stage>-app` (public, no secret), redirect `tenantdesk://auth`; or SRP "
                       "(USER_SRP_AUTH) from an SDK. Replace {domain} and {region} with the deployment's.",
        "flows": {"authorizationCode": {
            "authorizationUrl": HOSTED_UI + "/oauth2/authorize", "tokenUrl": HOSTED_UI + "/oauth2/token",
            "refreshUrl": HOSTED_UI + "/oauth2/token",
            "scopes": {"openid": "sign in (required)", "email": "the email address", "profile": "name and locale"}}},
    },
    "localBearer": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "The local stack only: an HS256 developer token (`python -m chalicelib.cli token ...`, or "
                       "the `export` lines `./dev run` prints), or the local user pool's ID token "
                       "(`python -m devstack.signin <email>`). Never accepted on AWS.",
    },
}
SIGNING_IN = """## Signing in

1. **Onboarding.** A tenant does not sign up: the front desk registers them
   (`PUT /v1/properties/{property_id}/tenants/{tenant_id}`) and invites them
   (`POST …/tenants/{tenant_id}/invite`). Cognito mails (or texts) a temporary password; the
   account's property and tenant id are set by the system and no app can change them.
2. **First sign-in.** The app signs in with the email and the temporary password and answers
   Cognito's `NEW_PASSWORD_REQUIRED` challenge with the tenant's own password.
3. **Signing in.** Either the hosted UI: open `{authorizationUrl}?response_type=code&client_id=<app client>
   &redirect_uri=tenantdesk://auth&scope=openid+email+profile&code_challenge=<S256 of a verifier>
   &code_challenge_method=S256`, then exchange the code at `{tokenUrl}` with `grant_type=authorization_code`
   and the `code_verifier`; or SRP (`InitiateAuth` `USER_SRP_AUTH`) with an AWS SDK (Amplify).
4. **Calling the API.** `Authorization: Bearer <IdToken>`. ID tokens last 30 minutes.
5. **Refreshing.** `InitiateAuth` `REFRESH_TOKEN_AUTH` (or `{tokenUrl}` with `grant_type=refresh_token`)
   with the refresh token (30 days). A tenant who moved out is deactivated: refreshing fails, sign in fails.
6. **Locally** (`./dev run`) the same pool runs on moto: `InitiateAuth` `USER_PASSWORD_AUTH` with the demo
   users the stack prints; the API verifies the pool's RS256 tokens with its JWKS as on AWS.

Errors: `401 missing_token`, `invalid_token` (wrong pool, app client or token kind, bad signature),
`token_expired` (refresh and retry)."""


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path in ROUTES:
        paths.setdefault(path, {})[method.lower()] = _operation(method, path)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tenantdesk API", "version": "1.0.0",
                 "description": "Complaint handling for property managers. Errors are JSON "
                                "{code, message, details?} with a machine-readable code.\n\n" + SIGNING_IN},
        "paths": paths,
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": {**SCHEMAS, "Case": _CASE, "CasePage": _PAGE, "Permissions": _PERMISSIONS,
                        "Error": _ERROR},
            "responses": {"Error": {"description": "error", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        },
    }

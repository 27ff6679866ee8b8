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
    ("GET", CASE + "/attachments/{n}"): ("A short-lived URL of the case's n-th stored attachment (from 1)",
                                         "case.read", None, 200),
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
        "Sign a handover for one side, once (409 already_signed)", "handover.sign", "SignHandover", 200),
    ("GET", "/v1/properties/{property_id}/stats/daily/{day}"): (
        "Statistics of a property-local day (YYYY-MM-DD)", "report.read", None, 200),
    ("GET", "/v1/properties/{property_id}/stats/monthly/{month}"): (
        "Monthly rollup of the daily statistics (YYYY-MM)", "report.read", None, 200),
}

# Being told (chalicelib/http/routes_notify.py): tenants only; staff get 403 forbidden.
ROUTES.update({
    ("GET", "/v1/me/notifications"): (
        "The tenant's notifications, newest first, in their language, with unread_count", "notify.read", None, 200),
    ("POST", "/v1/me/notifications/read"): (
        "Mark notifications read: ids (all the caller's, else 404 notification_not_found) and/or up_to",
        "notify.read", "MarkNotificationsRead", 200),
    ("POST", "/v1/me/devices"): ("Register a phone for push (FCM or APNs token; an SNS platform endpoint)",
                                 "notify.settings", "RegisterDevice", 201),
    ("DELETE", "/v1/me/devices/{device_id}"): ("Forget a registered phone (empty body or {})", "notify.settings",
                                               "Empty", 204),
    ("GET", "/v1/me/webpush"): ("The VAPID public key (applicationServerKey) for a browser's push subscription",
                                "notify.settings", None, 200),
    ("POST", "/v1/me/webpush"): ("Store a browser's Web Push subscription (a known push service, https)",
                                 "notify.settings", "SubscribeWebPush", 201),
    ("DELETE", "/v1/me/webpush/{subscription_id}"): ("Forget a Web Push subscription (empty body or {})",
                                                     "notify.settings", "Empty", 204),
    ("GET", "/v1/me/preferences"): ("Notification channels, quiet hours and language", "notify.settings", None,
                                    200),
    ("PUT", "/v1/me/preferences"): ("Set notification channels, quiet hours (property-local) and language",
                                    "notify.settings", "PutPreferences", 200),
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
    "/v1/me/notifications": {"limit": _limit(100), "cursor": _CURSOR},
    "/v1/approvals": {"limit": _limit(100)},
    "/v1/properties/{property_id}/quarantine": {"limit": _limit(100), "cursor": _CURSOR},
    "/v1/quarantine/unrouted": {"limit": _limit(100), "cursor": _CURSOR},
    "/v1/properties/{property_id}/handovers": {"limit": _limit(50), "cursor": _CURSOR},
    "/v1/properties/{property_id}/queue": {
        "status": _choice(cases.OPEN_STATUSES), "kind": _choice(cases.KINDS), "category": _choice(cases.CATEGORIES),
        "channel": _choice(cases.CHANNELS), "tier": _choice(cases.TIERS), "department": {"type": "string"},
        "overdue": {"type": "boolean"}, "limit": _limit(100), "cursor": _CURSOR},
}
_CASE_PAGES = ("/v1/me/cases", "/v1/properties/{property_id}/queue")


_VALUE_PARAMETERS = ("tenant_id", "shift_end", "day", "month")

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
                                 "name", "device_id", "subscription_id")
                       if "{" + n + "}" in path]
        + [{"name": n, "in": "query", "required": False, "schema": query_schema}
           for n, query_schema in (_QUERY.get(path, {}) if method == "GET" else {}).items()],
        "responses": {str(status): {"description": "success", "content": {
            "application/json": {"schema": _response_schema(path, method)}}}},
    }
    if permission:
        op["security"] = [{"bearer": []}]
        op["x-permission"] = permission
        for code in ("401", "403", "404"):
            op["responses"][code] = {"$ref": "#/components/responses/Error"}
    if permission and method != "GET":  # an action on something in the wrong state (e.g. posting a pending reply)
        op["responses"]["409"] = {"$ref": "#/components/responses/Error"}
    # A malformed query or value path parameter (tenant id, shift_end, day, month) is a 400.
    if (method == "GET" and path in _QUERY) or any("{" + n + "}" in path for n in _VALUE_PARAMETERS):
        op["responses"]["400"] = {"$ref": "#/components/responses/Error"}
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
        if schema == "ProduceHandover":
            op["responses"]["200"] = {"description": "the summary of that shift was already produced: the stored one",
                                      "content": {"application/json": {"schema": _response_schema(path, method)}}}
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body_schema}}}
        for code in ("400", "409", "413", "422"):
            op["responses"][code] = {"$ref": "#/components/responses/Error"}
    return op


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path in ROUTES:
        paths.setdefault(path, {})[method.lower()] = _operation(method, path)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tenantdesk API", "version": "1.0.0",
                 "description": "Complaint handling for property managers. Errors are JSON "
                                "{code, message, details?} with a machine-readable code."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {**SCHEMAS, "Case": _CASE, "CasePage": _PAGE, "Permissions": _PERMISSIONS,
                        "Error": _ERROR},
            "responses": {"Error": {"description": "error", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        },
    }

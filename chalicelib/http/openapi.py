"""The OpenAPI 3 document of the API, built from one route table.

``ROUTES`` names every route's method, path, permission and body schema; a
test compares it with the routes Chalice actually registered, so the document
and the app cannot drift. Request bodies reuse ``schemas.SCHEMAS``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.domain import cases
from chalicelib.domain.auth import PERMISSIONS, ROLES
from chalicelib.domain.public import PHONE_KINDS, WEEKDAYS
from chalicelib.http.routes_app import ASSETS as APP_ASSETS
from chalicelib.http.routes_console import ASSETS
from chalicelib.http.routes_public import ASSETS as FORM_ASSETS
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
    ("GET", "/v1/me/cases"): ("The tenant's own cases, newest first (updated_since: only those changed since)",
                              "case.list_own", None, 200),
    ("GET", "/v1/properties/{property_id}/queue"): ("Open cases sorted by next deadline", "queue.read", None, 200),
    ("GET", CASE): ("A case with the latest timeline events (timeline_cursor pages back through the older ones)",
                    "case.read", None, 200),
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

# Report schedules per property (chalicelib/http/routes_report_mail.py).
ROUTES.update({
    ("GET", "/v1/properties/{property_id}/report-schedules"): (
        "The property's report schedules (who gets which report when, in which language)", "report.schedule",
        None, 200),
    ("PUT", "/v1/properties/{property_id}/report-schedules"): (
        "Replace the report schedules (version read; 409 report_schedules_version_conflict, 422 "
        "invalid_report_schedule); each becomes a recurring schedule in the property's zone "
        "(\"scheduler\": \"pending\" when the Scheduler could not be reached: synced within minutes)",
        "report.schedule", "PutReportSchedules", 200),
    ("POST", "/v1/properties/{property_id}/report-schedules/{schedule_id}/send"): (
        "Mail the schedule's report now, for the period a fire now would name (201; 200 already_sent)",
        "report.schedule", "SendReport", 201),
})

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

# The case library (chalicelib/http/routes_library.py; chalicelib/domain/library.py), per property.
LIBRARY = "/v1/properties/{property_id}/library"
LIBRARY_ENTRY = LIBRARY + "/{library_id}"
ROUTES.update({
    ("GET", LIBRARY): ("The library: approved entries by category, newest and most used first (the training "
                       "view); `status` (draft, pending, approved, retired, all) for entries by the state of "
                       "their newest version; `category` to filter", "library.read", None, 200),
    ("POST", LIBRARY): ("A draft entry, or (`case_id`) a closed case proposed for the library: prefilled from "
                        "the case with tenant data masked (409 case_not_closed)", "library.write",
                        "AddLibraryEntry", 201),
    ("GET", LIBRARY_ENTRY): ("An entry (the approved version, and the newer draft if any) with every version; "
                             "404 unknown_entry", "library.read", None, 200),
    ("PUT", LIBRARY_ENTRY): ("Edit: a new version, a draft again (staff keep reading the approved one)",
                             "library.write", "EditLibraryEntry", 200),
    ("POST", LIBRARY_ENTRY + "/submit"): ("Ask for approval (409 not_draft)", "library.write", "LibraryStep", 200),
    ("POST", LIBRARY_ENTRY + "/approve"): (
        "Manager: approve the pending version; never the author's own (403 own_entry); 422 tenant_data_left "
        "while the text carries the source case's reporter, contact or unit", "library.approve", "LibraryStep", 200),
    ("POST", LIBRARY_ENTRY + "/return"): ("Manager: back to draft (409 not_pending)", "library.approve",
                                          "LibraryStep", 200),
    ("POST", LIBRARY_ENTRY + "/retire"): ("Manager: take the entry out of the library", "library.approve",
                                          "LibraryStep", 200),
    ("GET", CASE + "/library-suggestions"): ("Approved entries of the case's category like the case, best first",
                                             "library.read", None, 200),
    ("POST", CASE + "/library-used"): ("This entry helped with the case: `used_entry` on the case, one more use "
                                       "of the entry (once per case; 409 entry_not_approved)", "library.write",
                                       "UseLibraryEntry", 200),
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
    ("POST", CASE + "/duplicate/link"): ("The case follows an owner case (the same problem, another reporter)",
                                         "case.link_duplicate", "DuplicateTarget", 200),
    ("POST", CASE + "/duplicate/merge"): ("The same reporter's duplicate closes as merged into the target",
                                          "case.merge_duplicate", "DuplicateTarget", 200),
    ("POST", CASE + "/duplicate/dismiss"): ("A suggested duplicate is not one: the suggestion is dropped",
                                            "case.dismiss_duplicate", "DuplicateTarget", 200),
    ("POST", CASE + "/locate"): ("Match the case's free-text unit to a place in the archive (audited)",
                                 "case.locate", "LocateCase", 200),
})

# The tenant API's edges (chalicelib/http/routes_edges.py).
ROUTES.update({
    ("GET", CASE + "/timeline"): ("A page of the case's timeline, older than the cursor, in order", "case.read",
                                  None, 200),
    ("GET", "/v1/properties/{property_id}/public"): (
        "What the property tells its tenants: name, hours, categories (three languages), phone numbers",
        "property.read_public", None, 200),
    ("GET", "/v1/me/tenant"): ("The caller's own tenant record", "tenant.read_own", None, 200),
})

# Being told (chalicelib/http/routes_notify.py): tenants only; staff get 403 forbidden.
ROUTES.update({
    ("GET", "/v1/me/notifications"): (
        "The tenant's notifications, newest first, in their language; the first page (no cursor) has "
        "unread_count, a later page has unread_count null (the first page's count stands). One DynamoDB "
        "Query per page", "notify.read", None, 200),
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

# The tenant app (a PWA, chalicelib/http/routes_app.py): public like the console's files.
ROUTES.update({
    ("GET", "/app"): ("Tenant app: redirects to /app/index.html, inside the service worker's scope", None, None, 302),
    ("GET", "/app/config.json"): ("How the tenant app signs in here (mode, user pool endpoint, app client)",
                                  None, None, 200),
    ("GET", "/app/{name}"): ("Tenant app file (a fixed list: page, modules, service worker, manifest, icon)",
                             None, None, 200),
})

# The public web form (routes_public.py): no token; limited per address and per contact.
ROUTES.update({
    ("GET", "/p/{property_id}"): ("The public web form's page (visitors; no data in it)", None, None, 200),
    ("GET", "/public/{name}"): ("The public web form's script and style (a fixed list of files)", None, None, 200),
    ("GET", "/v1/public/properties/{property_id}"): (
        "A property's public information for the web form (name, hours, categories, phones); 404 unknown property",
        None, None, 200),
    ("POST", "/v1/public/properties/{property_id}/submissions"): (
        "A visitor files a complaint or request: 202 with submission_id; a 6-digit code goes to the email (and "
        "phone, where SMS is configured). Nothing is a case until verified; unverified submissions expire in 30 "
        "minutes. 429 with Retry-After per source address per hour and per contact per day",
        None, "PublicSubmission", 202),
    ("POST", "/v1/public/properties/{property_id}/submissions/{submission_id}/verify"): (
        "The code: 201 with the new web case's number (200 on a repeat); 422 wrong_code with attempts_left, "
        "code_attempts_used_up after 5; 410 submission_expired", None, "VerifySubmission", 201),
    ("GET", "/v1/properties/{property_id}/qr"): (
        "The complaint box: an SVG QR code opening the web form (area / unit / building query fills the place)",
        "property.qr", None, 200),
})

# The tenant app's own steps (chalicelib/http/routes_tenant.py): answering the callback, the places to choose.
ROUTES.update({
    ("POST", CASE + "/confirm"): (
        "The tenant answers the follow-up callback on their resolved case (satisfied true/false, comment, optional "
        "score): the callback reached by the tenant in the app; callback_done. Not satisfied: a manager closes",
        "case.confirm", "Confirm", 200),
    ("GET", "/v1/me/places"): (
        "The places the tenant's new case may name (location): their own units from the owner archive and the "
        "property's public areas, labels and ids only; business: a shop tenant's (show 'affects my business')",
        "places.read_own", None, 200),
})

# --- operation ids: what a generated client calls each operation ------------------
# A route without one here gets a camelCase id made from its method and path; name it.
OPERATION_IDS: dict[tuple[str, str], str] = {
    ("GET", "/v1/health"): "health",
    ("GET", "/v1/openapi.json"): "getOpenApiDocument",
    ("GET", "/v1/me"): "getMe",
    ("GET", "/v1/me/permissions"): "listMyPermissions",
    ("GET", "/v1/me/tenant"): "getMyTenantRecord",
    ("GET", "/v1/me/cases"): "listMyCases",
    ("GET", "/v1/properties/{property_id}"): "getProperty",
    ("PUT", "/v1/properties/{property_id}"): "putProperty",
    ("GET", "/v1/properties/{property_id}/public"): "getPropertyPublicInfo",
    ("PUT", "/v1/properties/{property_id}/tenants/{tenant_id}"): "putTenant",
    ("POST", "/v1/properties/{property_id}/cases"): "submitCase",
    ("GET", "/v1/properties/{property_id}/queue"): "listQueue",
    ("GET", CASE): "getCase",
    ("GET", CASE + "/timeline"): "listCaseTimeline",
    ("GET", CASE + "/attachments/{n}"): "getAttachmentUrl",
    ("POST", CASE + "/classify"): "classifyCase",
    ("POST", CASE + "/assign"): "assignCase",
    ("POST", CASE + "/start"): "startCase",
    ("POST", CASE + "/notes"): "addNote",
    ("POST", CASE + "/respond"): "respondToCase",
    ("POST", CASE + "/resolve"): "resolveCase",
    ("POST", CASE + "/callback"): "recordCallback",
    ("POST", CASE + "/escalate"): "escalateCase",
    ("POST", CASE + "/close"): "closeCase",
    ("POST", CASE + "/answer"): "answerConsultation",
    ("POST", CASE + "/explain"): "explainInvalidComplaint",
    ("POST", CASE + "/confirm_invalid"): "confirmInvalid",
    ("POST", CASE + "/reject_invalid"): "rejectInvalid",
    ("POST", CASE + "/reopen"): "reopenCase",
    ("POST", CASE + "/promise"): "movePromise",
    ("POST", CASE + "/await-tenant"): "awaitTenant",
    ("POST", CASE + "/resume"): "resumeCase",
    ("POST", CASE + "/close-unreachable"): "closeUnreachable",
    ("POST", CASE + "/messages"): "addMessage",
    ("POST", CASE + "/rating"): "rateCase",
    ("POST", CASE + "/replies"): "draftReply",
    ("GET", CASE + "/replies"): "listReplies",
    ("POST", REPLY + "/approve"): "approveReply",
    ("POST", REPLY + "/return"): "returnReply",
    ("POST", REPLY + "/revise"): "reviseReply",
    ("POST", REPLY + "/posted"): "markReplyPosted",
    ("GET", "/v1/approvals"): "listApprovals",
    ("GET", "/v1/properties/{property_id}/quarantine"): "listQuarantinedMail",
    ("GET", "/v1/quarantine/unrouted"): "listUnroutedMail",
    ("GET", "/v1/properties/{property_id}/handovers"): "listHandovers",
    ("POST", "/v1/properties/{property_id}/handovers"): "produceHandover",
    ("GET", "/v1/properties/{property_id}/handovers/{shift_end}"): "getHandover",
    ("POST", "/v1/properties/{property_id}/handovers/{shift_end}/sign"): "signHandover",
    ("GET", "/v1/properties/{property_id}/stats/daily/{day}"): "getDailyStats",
    ("GET", "/v1/properties/{property_id}/stats/monthly/{month}"): "getMonthlyStats",
    ("GET", "/console"): "getConsole",
    ("GET", "/console/{name}"): "getConsoleAsset",
    ("GET", "/app"): "getTenantApp",
    ("GET", "/app/config.json"): "getTenantAppConfig",
    ("GET", "/app/{name}"): "getTenantAppAsset",
    ("POST", CASE + "/confirm"): "confirmCallback",
    ("GET", "/v1/me/places"): "listMyPlaces",
}

# The response body of each route's success, by component name (see COMPONENTS); unnamed: a plain object.
RESPONSE_SCHEMAS: dict[tuple[str, str], str] = {
    ("GET", "/v1/me"): "Me",
    ("GET", "/v1/me/permissions"): "Permissions",
    ("GET", "/v1/me/tenant"): "TenantRecord",
    ("GET", "/v1/me/cases"): "CasePage",
    ("GET", "/v1/properties/{property_id}/queue"): "CasePage",
    ("GET", "/v1/properties/{property_id}/public"): "PropertyPublic",
    ("GET", CASE + "/timeline"): "TimelinePage",
    ("GET", CASE + "/attachments/{n}"): "AttachmentUrl",
    ("POST", CASE + "/replies"): "Reply",
    ("GET", CASE + "/replies"): "ReplyList",
    ("GET", "/v1/approvals"): "ReplyList",
    ("GET", "/v1/properties/{property_id}/handovers"): "HandoverPage",
    ("POST", "/v1/properties/{property_id}/handovers"): "Handover",
    ("GET", "/v1/properties/{property_id}/handovers/{shift_end}"): "Handover",
    ("POST", "/v1/properties/{property_id}/handovers/{shift_end}/sign"): "Handover",
    ("GET", "/v1/properties/{property_id}/quarantine"): "QuarantinePage",
    ("GET", "/v1/quarantine/unrouted"): "QuarantinePage",
    # The case library (routes_library.py): entries, not cases, also under a case's path.
    ("GET", LIBRARY): "LibraryList", ("POST", LIBRARY): "LibraryEntry", ("GET", LIBRARY_ENTRY): "LibraryEntry",
    ("PUT", LIBRARY_ENTRY): "LibraryEntry", ("POST", LIBRARY_ENTRY + "/submit"): "LibraryEntry",
    ("POST", LIBRARY_ENTRY + "/approve"): "LibraryEntry", ("POST", LIBRARY_ENTRY + "/return"): "LibraryEntry",
    ("POST", LIBRARY_ENTRY + "/retire"): "LibraryEntry", ("GET", CASE + "/library-suggestions"): "LibraryList",
    ("POST", CASE + "/library-used"): "LibraryEntry",
}
for _key in ROUTES:
    if _key[1].startswith(REPLY):
        RESPONSE_SCHEMAS.setdefault(_key, "Reply")
    elif _key[1].startswith(CASE) and _key not in RESPONSE_SCHEMAS:
        RESPONSE_SCHEMAS[_key] = "Case"
RESPONSE_SCHEMAS[("POST", "/v1/properties/{property_id}/cases")] = "Case"

# GETs answered with an ETag; If-None-Match with it: 304, no body (web.conditional).
CONDITIONAL: frozenset[tuple[str, str]] = frozenset({
    ("GET", CASE), ("GET", CASE + "/timeline"), ("GET", "/v1/me/cases"), ("GET", "/v1/properties/{property_id}/queue"),
    ("GET", "/v1/properties/{property_id}/public"), ("GET", "/v1/me/tenant")})

# Writes that take an Idempotency-Key header: a retry is answered as the first was, Idempotent-Replayed: true.
IDEMPOTENT: frozenset[tuple[str, str]] = frozenset(
    {("POST", "/v1/properties/{property_id}/cases"), ("POST", "/v1/properties/{property_id}/uploads")}
    | {(m, p) for (m, p), (_s, permission, _b, _st) in ROUTES.items()
       if m == "POST" and p.startswith(CASE + "/") and permission and permission.startswith("case.")})


# --- component schemas ----------------------------------------------------------------

def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
_NTIME = {"type": ["string", "null"], "format": "date-time"}
_OBJ = {"type": "object"}

_ERROR = {"type": "object", "required": ["code", "message"],
          "properties": {"code": {"type": "string", "description": "machine-readable; stable across languages"},
                         "message": {"type": "string", "description": "for people, in the caller's language "
                                     "(Accept-Language, else the token's; zh-Hans, zh-Hant or en)"},
                         "developer_message": {"type": "string", "description": "specifics, in English; may change"},
                         "details": {"type": "object", "description": "e.g. field, current_version"}}}
_DEADLINE = {"type": "object", "required": ["due"],
             "properties": {"due": _TIME, "met_at": _NTIME, "met_on_time": {"type": ["boolean", "null"]},
                            "overdue": {"type": "boolean"}, "paused": {"type": "boolean"}}}
# Actions a caller takes through the API (the rest are the system's own records).
_ACTIONS = [a for a in cases.ACTIONS if f"case.{a}" in PERMISSIONS]
_PERMISSIONS = {"type": "object", "required": ["role", "permissions"],
                "properties": {"role": _ref("Role"),
                               "permissions": {"type": "array", "items": {"type": "string",
                                                                          "enum": sorted(PERMISSIONS)}}}}
_ENUMS: dict[str, tuple[str, ...] | list[str]] = {
    "Status": cases.STATUSES, "Kind": cases.KINDS, "Category": cases.CATEGORIES, "Channel": cases.CHANNELS,
    "Tier": cases.TIERS, "Severity": cases.SEVERITIES, "Cause": cases.CAUSES, "Validity": cases.VALIDITIES,
    "Lang": cases.LANGS, "Role": ROLES, "CaseAction": _ACTIONS,
}
_TENANT_SEES = "Tenants see it on their own cases."
_STAFF_ONLY = "Staff only (absent from a tenant's view)."
_CASE: dict[str, Any] = {
    "type": "object",
    "description": "A case as the caller sees it: staff see every field; a tenant the allow-list of "
                   "chalicelib/domain/views.py (fields marked staff only are absent).",
    "required": ["property_id", "case_id", "status", "version", "unit", "title", "content", "channel", "reporter",
                 "contact", "lang", "written", "kind", "category", "created_at", "updated_at", "deadlines",
                 "next_due", "overdue"],
    "properties": {
        "property_id": _STR, "case_id": {"type": "string", "description": "TD-YYYYMMDD-NNNN"},
        "status": _ref("Status"), "version": {"type": "integer", "description": "send it back to pin a change"},
        "unit": _STR, "title": _STR, "content": _STR, "channel": _ref("Channel"),
        "reporter": {"type": "object", "properties": {"tenant_id": _STR, "name": _STR, "phone": _STR, "email": _STR}},
        "contact": _STR, "lang": _ref("Lang"), "written": {"type": "boolean"},
        "kind": _nullable(_ref("Kind")), "category": _nullable(_ref("Category")),
        "severity": _ref("Severity"),
        "cause": _nullable(_ref("Cause")), "validity": _nullable(_ref("Validity")),
        "department": _NSTR, "assignee": _NSTR, "tier": _ref("Tier"),
        "validity_confirmed": {"type": "boolean"}, "recorder": _NSTR, "verified": {"type": "boolean"},
        "rating": _nullable({"type": "object", "properties": {"score": {"type": "integer", "minimum": 1,
                                                                         "maximum": 5},
                                                               "comment": _STR, "at": _TIME}}),
        "callback": _nullable({**_OBJ, "description": "staff see the follow-up's record; a tenant sees only "
                               "their own answer from the app (satisfied, comment, at, channel)"}),
        "business_affected": {"type": "boolean", "description": "the tenant said it affects their shop's business "
                              "(their word; the desk's classification defaults cause business_affected). "
                              + _TENANT_SEES},
        "created_at": _TIME, "updated_at": _TIME, "closed_at": _NTIME,
        "deadlines": {"type": "object", "additionalProperties": _ref("Deadline"),
                      "description": "by window name: handoff, response, feedback, promise, callback, ..."},
        "promise": _nullable({"type": "object", "required": ["due"],
                              "properties": {"due": _TIME, "moves": {"type": "integer"}}}),
        "waiting": _nullable({"type": "object", "properties": {"since": _TIME, "reason": _STR}}),
        "next_due": _NTIME, "overdue": {"type": "boolean"}, "repeat_of": _NSTR,
        "location": _nullable({"type": "object", "description": "where it happened, from the owner archive: "
                               "a tenant sees the label only",
                               "properties": {"kind": _STR, "building_id": _STR, "unit_id": _STR, "room_id": _STR,
                                              "area_id": _STR, "label": _STR}}),
        "occurred_at": _NTIME,
        "unread_for_staff": {"type": "integer", "description": "messages, ratings and reopenings from the tenant no "
                             "staff member has read yet. " + _STAFF_ONLY},
        "tenant_wrote_at": {**_NTIME, "description": "when the tenant last wrote. " + _STAFF_ONLY},
        "possible_duplicates": {"type": "array", "description": "suggested duplicates / repeats found on submit "
                                "(case_id, score, kind, same_reporter). " + _STAFF_ONLY,
                                "items": {"type": "object", "properties": {
                                    "case_id": _STR, "score": {"type": "number"}, "kind": _STR,
                                    "same_reporter": {"type": "boolean"}}}},
        "follows": {**_NSTR, "description": "the owner case this linked case follows. " + _STAFF_ONLY},
        "followers": {"type": "array", "items": _STR, "description": "linked cases following this one. " + _STAFF_ONLY},
        "merged_into": {**_NSTR, "description": "the case this one was merged into (its tenant sees it)"},
        "merged": {"type": "array", "description": "cases merged into this one, with their text and attachment "
                   "references. " + _STAFF_ONLY, "items": _OBJ},
        "entry_permission": _nullable({"type": "object", "description": "the tenant's word on entering the unit "
                                       "with the spare key (the key register)",
                                       "properties": {"granted": {"type": "boolean"}, "note": _STR, "at": _TIME,
                                                      "by": _OBJ,
                                                      "slots": {"type": "array", "items": {
                                                          "type": "object",
                                                          "properties": {"from": _STR, "to": _STR}}}}}),
        "actions": {"type": "array", "items": _ref("CaseAction"),
                    "description": "On a single case (read, created or acted on): the actions "
                                   "the caller may take on it now, by role, property, department "
                                   "scope, status and the written-reply rule. Absent in lists."},
        "timeline": {"type": "array", "items": _ref("TimelineItem"),
                     "description": "GET case only: the latest events, in order"},
        "timeline_cursor": {"type": ["string", "null"],
                            "description": "GET case only: pass to GET .../timeline?cursor= for older events"},
    },
}
for _name in ("severity", "department", "assignee", "tier", "validity_confirmed", "recorder", "verified",
              "cause", "validity"):
    _CASE["properties"][_name] = {**_CASE["properties"][_name], "description": _STAFF_ONLY}
# An enum's own schema cannot take a description beside "$ref" in every generator: wrap it.
for _name, _schema in list(_CASE["properties"].items()):
    if "$ref" in _schema and len(_schema) > 1:
        _CASE["properties"][_name] = {"allOf": [{"$ref": _schema["$ref"]}], "description": _schema["description"]}

_TIMELINE_ITEM = {"type": "object", "required": ["seq", "at", "action", "actor", "data"],
                  "properties": {"seq": {"type": "integer"}, "at": _TIME,
                                 "action": {"type": "string",
                                            "description": "submitted, assign, respond, message, ..."},
                                 "actor": {"type": "object", "required": ["role"],
                                           "properties": {"id": {"type": "string", "description": _STAFF_ONLY},
                                                          "role": _STR, "name": _STR}},
                                 "data": {"type": "object", "description": "what the event says; for tenants only "
                                                                            "the fields written for them"},
                                 "changes": {"type": "object", "description": _STAFF_ONLY},
                                 "tenant_sees": {"type": ["array", "null"], "items": _STR,
                                                 "description": "staff only: the data fields the tenant reads "
                                                                "of this event; null: not on their timeline"}}}


def _page_of(item: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"type": "object", "required": ["items", "next_cursor"], "description": description,
            "properties": {"items": {"type": "array", "items": item},
                           "next_cursor": {"type": ["string", "null"],
                                           "description": "pass as ?cursor= for the next page; null: no more"}}}


_REPLY = {"type": "object", "required": ["reply_id", "property_id", "case_id", "status", "medium", "version"],
          "properties": {"reply_id": _STR, "property_id": _STR, "case_id": _STR,
                         "status": {"type": "string", "enum": ["pending", "returned", "approved", "sending", "sent",
                                                               "uncertain", "posted"]},
                         "medium": {"type": "string", "enum": ["email", "letter"]}, "subject": _NSTR, "body": _STR,
                         "lang": _NSTR, "author": _STR, "author_name": _NSTR, "approver": _NSTR,
                         "approved_at": _NTIME, "return_comment": _NSTR, "attempts": {"type": "integer"},
                         "last_error": _NSTR, "sent_at": _NTIME, "provider_message_id": _NSTR,
                         "created_at": _NTIME, "updated_at": _NTIME,
                         "history": {"type": "array", "items": _OBJ}, "version": {"type": "integer"}}}
_SIGNATURE = _nullable({"type": "object", "required": ["side", "by", "at"],
                        "properties": {"side": _STR, "at": _TIME, "comment": _STR,
                                       "by": {"type": "object", "properties": {"id": _STR, "name": _STR,
                                                                               "role": _STR}},
                                       "digest": {"type": "string", "description": "of the summary signed"}}})
_HANDOVER = {"type": "object", "required": ["property_id", "shift_end"],
             "description": "A shift handover summary; the full summary (GET one) adds its sections "
                            "(open cases, escalations, ...), each {count, items, truncated}.",
             "properties": {"property_id": _STR, "timezone": _STR, "shift_start": _NSTR, "shift_end": _STR,
                            "shift_start_local": _NSTR, "shift_end_local": _NSTR, "next_handover": _NSTR,
                            "produced_at": _NSTR, "counts": {"type": "object", "additionalProperties":
                                                             {"type": "integer"}},
                            "signatures": {"type": "object", "properties": {"customer_service": _SIGNATURE,
                                                                            "control_room": _SIGNATURE}},
                            "signed": {"type": "boolean"}}}
_ME = {"type": "object", "required": ["subject", "role", "properties", "lang"],
       "properties": {"subject": _STR, "role": _ref("Role"), "properties": {"type": "array", "items": _STR},
                      "name": _STR, "lang": _ref("Lang"), "department": _NSTR}}
_LABELS = {"type": "object", "required": list(cases.LANGS), "properties": dict.fromkeys(cases.LANGS, _STR)}
_PROPERTY_PUBLIC = {
    "type": "object", "required": ["property_id", "name", "timezone", "hours", "categories", "phones"],
    "properties": {
        "property_id": _STR, "name": _STR, "timezone": _STR,
        "hours": {"type": "object", "required": ["work_days", "work_start", "work_end"],
                  "properties": {"work_days": {"type": "array", "items": {"type": "string", "enum": list(WEEKDAYS)}},
                                 "work_start": {"type": "string", "description": "HH:MM, property-local"},
                                 "work_end": {"type": "string", "description": "HH:MM, property-local"},
                                 "holidays": {"type": "array", "items": {"type": "string", "format": "date"}},
                                 "extra_working_days": {"type": "array", "items": {"type": "string",
                                                                                     "format": "date"}},
                                 "service_24h": {"type": "boolean",
                                                 "description": "the on-duty desk takes cases after hours"}}},
        "categories": {"type": "array", "items": {"type": "object", "required": ["category", "labels"],
                                                  "properties": {"category": _ref("Category"),
                                                                 "labels": _ref("Labels")}}},
        "phones": {"type": "object", "properties": dict.fromkeys(PHONE_KINDS, _STR)},
    }}
_TENANT_RECORD = {"type": "object", "required": ["tenant_id", "property_id"],
                  "properties": {"tenant_id": _STR, "property_id": _STR, "name": _NSTR, "unit": _NSTR,
                                 "email": _NSTR, "lang": _nullable(_ref("Lang"))}}
_ATTACHMENT_URL = {"type": "object", "required": ["url", "expires_in"],
                   "properties": {"url": _STR, "expires_in": {"type": "integer"}, "name": _NSTR,
                                  "content_type": _NSTR}}

_LIBRARY_ENTRY = {"type": "object", "required": ["entry_id", "property_id", "status", "title", "category", "lang",
                                                "uses", "version"],
                  "description": "a case library entry as staff read it: the approved text (the newest before "
                                 "approval); `draft`: a newer version not yet approved; `score`: in suggestions",
                  "properties": {"entry_id": _STR, "property_id": _STR, "title": _STR, "category": _STR, "lang": _STR,
                                 "status": {"type": "string", "enum": ["draft", "pending", "approved", "retired"]},
                                 "uses": {"type": "integer"}, "version": {"type": "integer"},
                                 "score": {"type": "number"}, "counted": {"type": "boolean"}}}

COMPONENTS: dict[str, dict[str, Any]] = {
    "LibraryEntry": _LIBRARY_ENTRY,
    "LibraryList": {"type": "object", "required": ["items"],
                    "properties": {"items": {"type": "array", "items": _ref("LibraryEntry")}}},
    **{name: {"type": "string", "enum": list(values)} for name, values in _ENUMS.items()},
    "Case": _CASE, "CasePage": _page_of(_ref("Case"), "cases; each without actions or timeline"),
    "Deadline": _DEADLINE, "TimelineItem": _TIMELINE_ITEM,
    "TimelinePage": _page_of(_ref("TimelineItem"), "older events, in order; next_cursor: older still"),
    "Reply": _REPLY, "ReplyList": {"type": "object", "required": ["items"],
                                   "properties": {"items": {"type": "array", "items": _ref("Reply")}}},
    "Handover": _HANDOVER, "HandoverPage": _page_of(_ref("Handover")),
    "QuarantinePage": _page_of(_OBJ, "quarantined mail records, newest first"),
    "Permissions": _PERMISSIONS, "Me": _ME, "Labels": _LABELS, "PropertyPublic": _PROPERTY_PUBLIC,
    "TenantRecord": _TENANT_RECORD, "AttachmentUrl": _ATTACHMENT_URL, "Error": _ERROR,
}


def _limit(high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": high}


def _choice(values: Any) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(values)}


_CURSOR = {"type": "string", "description": "next_cursor of the previous page"}
# GET query parameters as the views parse them (web.query_int/query_choice/query_bool); 400 otherwise.
_QUERY: dict[str, dict[str, dict[str, Any]]] = {
    "/v1/me/cases": {"limit": _limit(100), "cursor": _CURSOR,
                     "updated_since": {"type": "string", "format": "date-time",
                                       "description": "only cases changed at or after this instant (with offset)"}},
    "/v1/me/tenant": {"property_id": {"type": "string", "description": "which, when the token names several"}},
    CASE + "/timeline": {"limit": _limit(100), "cursor": {
        "type": "string", "description": "timeline_cursor of the case, or next_cursor of the previous page"}},
    "/v1/me/notifications": {"limit": _limit(100), "cursor": _CURSOR},
    "/v1/approvals": {"limit": _limit(100)},
    "/v1/properties/{property_id}/quarantine": {"limit": _limit(100), "cursor": _CURSOR},
    "/v1/quarantine/unrouted": {"limit": _limit(100), "cursor": _CURSOR},
    "/v1/properties/{property_id}/handovers": {"limit": _limit(50), "cursor": _CURSOR, "unreviewed": {
        "type": "boolean", "description": "only handovers the shift lead has not reviewed (a page may be short)"}},
    "/v1/properties/{property_id}/keys": {"state": _choice(("in_cabinet", "lent", "damaged", "lost", "retired"))},
    ARCHIVE + "/residents/{resident_id}": {"view": _choice(("full", "service"))},
    LIBRARY: {"status": _choice(("visible", "draft", "pending", "approved", "retired", "all")),
              "category": _choice(cases.CATEGORIES)},
    ARCHIVE + "/lookup": {"phone": {"type": "string", "minLength": 3, "maxLength": 30,
                                    "description": "required; any format: 138 1234 5678, +86-138-1234-5678; "
                                                   "422 invalid_phone"}},
    ARCHIVE + "/access-log": {"limit": _limit(100), "cursor": _CURSOR},
    "/v1/properties/{property_id}/queue": {
        "status": _choice(cases.OPEN_STATUSES), "kind": _choice(cases.KINDS), "category": _choice(cases.CATEGORIES),
        "channel": _choice(cases.CHANNELS), "tier": _choice(cases.TIERS), "department": {"type": "string"},
        "overdue": {"type": "boolean"}, "limit": _limit(100), "cursor": _CURSOR},
}
# Query parameters a route cannot do without (a GET that validates its input answers 422 otherwise).
_QUERY["/v1/properties/{property_id}/qr"] = {k: {"type": "string", "maxLength": 40} for k in ("area", "unit",
                                                                                              "building")}
_REQUIRED_QUERY = {(ARCHIVE + "/lookup", "phone")}


_VALUE_PARAMETERS = ("tenant_id", "shift_end", "day", "month", "building_id", "unit_id", "area_id", "resident_id")

# Routes with an application quota (chalicelib/domain/quotas.py): the property's
# settings may override the limits (PutProperty ``quotas``).
_RATE_LIMITED = {
    ("POST", "/v1/properties/{property_id}/cases"): "a tenant's cases per hour (cases_per_tenant_per_hour; "
                                                    "staff-logged cases are not limited)",
    ("POST", CASE + "/messages"): "messages per case per minute (messages_per_case_per_minute)",
    ("POST", "/v1/public/properties/{property_id}/submissions"): (
        "web-form submissions per source address per hour (public_submissions_per_ip_per_hour) and per contact "
        "per day (public_submissions_per_contact_per_day)"),
}


def _console_assets() -> dict[str, str]:
    return ASSETS


def _app_assets() -> dict[str, str]:
    return APP_ASSETS


def _console_types(path: str) -> list[str]:
    assets = _app_assets() if path.startswith("/app") else _console_assets()
    return list(assets.values()) if "{name}" in path else [assets["index.html"]]


# --- standard responses: one place for every status a route can answer ----------------------

_HEADERS = {
    "ETag": {"description": "strong tag of this representation; send it back as If-None-Match",
             "schema": {"type": "string"}},
    "Location": {"description": "where the created resource is", "schema": {"type": "string"}},
    "Idempotent-Replayed": {"description": "true: a retry of an earlier request with this Idempotency-Key; "
                                           "nothing was changed again", "schema": {"type": "string", "enum": ["true"]}},
    "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer", "minimum": 1}},
    "Content-Language": {"description": "the language of the error's message", "schema": _ref("Lang")},
}
# Shared request headers (components/parameters).
PARAMETERS: dict[str, dict[str, Any]] = {
    "IfNoneMatch": {"name": "If-None-Match", "in": "header", "required": False,
                    "description": "the ETag you have: 304 while it is current",
                    "schema": {"type": "string", "maxLength": 1000}},
    "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "retry safely: the same key and body is done once, and answered again with "
                                      "Idempotent-Replayed: true; a different body is 422 idempotency_key_reused. "
                                      "Scoped to the caller, kept 24 hours.",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 128,
                                  "pattern": "^[\\x21-\\x7e]+$"}},
}


def _header(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/headers/{name}"}


# Shared error responses (components/responses), by status.
ERROR_RESPONSES: dict[str, tuple[str, str]] = {
    "400": ("BadRequest", "malformed: invalid_json, invalid_query, invalid_cursor, invalid_idempotency_key, ..."),
    "401": ("Unauthorized", "no token, or one that does not verify (missing_token, invalid_token, token_expired)"),
    "403": ("Forbidden", "the caller's role may not do this (forbidden, outside_department, ...)"),
    "404": ("NotFound", "missing, or not visible to the caller (never says which)"),
    "405": ("MethodNotAllowed", "the path does not take this method (method_not_allowed)"),
    "409": ("Conflict", "the resource's state does not allow it (version_conflict, illegal_transition, ...)"),
    "410": ("Gone", "the public web form's submission expired or never existed (submission_expired)"),
    "413": ("PayloadTooLarge", "the body is too large"),
    "415": ("UnsupportedMediaType", "the body is not application/json"),
    "422": ("Unprocessable", "well-formed but breaks a rule (validation_error with details.field, "
                             "idempotency_key_reused, ...)"),
    "429": ("TooManyRequests", "a quota is used up for now; nothing was stored"),
    "503": ("ServiceBusy", "AWS throttled us; nothing was written; retry after Retry-After (service_busy)"),
}
_WITH_RETRY_AFTER = ("429", "503")


def _error_responses() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, (name, description) in ERROR_RESPONSES.items():
        headers = {"Content-Language": _header("Content-Language")}
        if status in _WITH_RETRY_AFTER:
            headers["Retry-After"] = _header("Retry-After")
        out[name] = {"description": description, "headers": headers,
                     "content": {"application/json": {"schema": _ref("Error")}}}
    out["NotModified"] = {"description": "not modified: the If-None-Match tag is still current (no body)",
                          "headers": {"ETag": _header("ETag")}}
    return out


def error(status: str) -> dict[str, Any]:
    """The shared response for an error status (``ERROR_RESPONSES``)."""
    return {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}


def standard_responses(method: str, path: str, *, protected: bool, body: bool, query: bool = False,
                       conditional: bool = False, idempotent: bool = False,
                       rate_limited: str | None = None) -> dict[str, Any]:
    """The statuses every route of its kind can answer besides its success: a
    helper for routes added elsewhere (``_operation`` uses it for all of ROUTES).
    ``protected``: needs a token (401/403/404, 503 when AWS throttles);
    ``body``: takes JSON (400/409/413/415/422); ``query``: parses query or
    value path parameters (400); ``conditional``: 304 on If-None-Match;
    ``idempotent``: takes an Idempotency-Key (400 when malformed, 422 reused);
    ``rate_limited``: what quota (429 with Retry-After)."""
    out: dict[str, Any] = {"405": error("405")}
    if protected:
        out.update({"401": error("401"), "403": error("403"), "404": error("404"), "503": error("503")})
        if method != "GET":  # an action on something in the wrong state (e.g. posting a pending reply)
            out["409"] = error("409")
    if query or idempotent:
        out["400"] = error("400")
    if body:
        out.update({code: error(code) for code in ("400", "409", "413", "415", "422")})
    if idempotent:
        out["422"] = error("422")
    if conditional:
        out["304"] = {"$ref": "#/components/responses/NotModified"}
    if rate_limited:
        out["429"] = {"description": f"rate_limited: quota of {rate_limited} used up; nothing was stored",
                      "headers": {"Retry-After": _header("Retry-After"),
                                  "Content-Language": _header("Content-Language")},
                      "content": {"application/json": {"schema": _ref("Error")}}}
    return dict(sorted(out.items()))


def _operation_id(method: str, path: str) -> str:
    if (method, path) in OPERATION_IDS:
        return OPERATION_IDS[(method, path)]
    words = [w for w in path.replace("{", "").replace("}", "").replace("-", "_").split("/") if w and w != "v1"]
    parts = [p for w in words for p in w.split("_")]
    return method.lower() + "".join(p[:1].upper() + p[1:] for p in parts)


def _json(schema: dict[str, Any], description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


def _public_form_responses(path: str, op: dict[str, Any], responses: dict[str, Any]) -> None:
    """The public web form's page and files (not JSON), its QR code (SVG), and its statuses."""
    def text(media: list[str], what: str) -> dict[str, Any]:
        return {"description": what, "content": {m: {"schema": {"type": "string"}} for m in sorted(set(media))}}
    if path == "/p/{property_id}":
        responses["200"] = text(["text/html"], "the form's page")
    elif path == "/public/{name}":
        responses["200"] = text([t.split(";")[0] for t in FORM_ASSETS.values()], "the file")
        op["parameters"][0]["schema"] = {"type": "string", "enum": sorted(n for n in FORM_ASSETS if n != "form.html")}
        responses["404"] = error("404")
    elif path == "/v1/properties/{property_id}/qr":
        responses["200"] = text(["image/svg+xml"], "the QR code; its <title> is the URL it opens")
        responses["200"]["content"]["application/json"] = {"schema": {  # Accept: application/json
            "type": "object", "required": ["url", "label", "svg"],
            "properties": {"url": {"type": "string"}, "label": {"type": "string"}, "svg": {"type": "string"}}}}
        responses["200"]["content"] = dict(sorted(responses["200"]["content"].items()))
        responses["422"] = error("422")  # an area / unit / building the archive does not hold
    elif path.startswith("/v1/public/"):
        responses["404"] = error("404")  # property_not_found
        if path.endswith("/verify"):
            responses["410"] = error("410")


def _operation(method: str, path: str) -> dict[str, Any]:
    summary, permission, schema, status = ROUTES[(method, path)]
    key = (method, path)
    name = RESPONSE_SCHEMAS.get(key)
    result: dict[str, Any] = _ref(name) if name else {"type": "object"}
    conditional, idempotent = key in CONDITIONAL, key in IDEMPOTENT
    op: dict[str, Any] = {
        "summary": summary,
        "operationId": _operation_id(method, path),
        "parameters": [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                       for n in ("property_id", "case_id", "reply_id", "tenant_id", "shift_end", "day", "month",
                                 "upload_id", "name", "n", "key_id", "entry_id", "building_id", "unit_id", "area_id",
                                 "resident_id", "device_id", "subscription_id", "submission_id", "schedule_id",
                                 "library_id")
                       if "{" + n + "}" in path]
        + [{"name": n, "in": "query", "required": (path, n) in _REQUIRED_QUERY, "schema": query_schema}
           for n, query_schema in (_QUERY.get(path, {}) if method == "GET" else {}).items()],
    }
    success_headers: dict[str, Any] = {}
    if conditional:
        success_headers["ETag"] = _header("ETag")
        op["parameters"].append({"$ref": "#/components/parameters/IfNoneMatch"})
    if status == 201:
        success_headers["Location"] = _header("Location")
    responses = {str(status): _json(result, "success", success_headers or None)}
    if idempotent:
        op["parameters"].append({"$ref": "#/components/parameters/IdempotencyKey"})
        replay_headers = {"Idempotent-Replayed": _header("Idempotent-Replayed")}
        if status == 201:
            replay_headers["Location"] = _header("Location")
            responses["200"] = _json(result, "idempotent replay: the case created by the first request",
                                     replay_headers)
        else:
            responses["200"] = _json(result, "success; on a replay (Idempotent-Replayed: true) the case as it is "
                                     "now, nothing changed again", replay_headers)
    value_params = any("{" + n + "}" in path for n in _VALUE_PARAMETERS)
    responses.update(standard_responses(
        method, path, protected=bool(permission), body=bool(schema), idempotent=idempotent,
        query=(method == "GET" and path in _QUERY) or value_params, conditional=conditional,
        rate_limited=_RATE_LIMITED.get(key)))
    if method == "GET" and any(p == path for p, _ in _REQUIRED_QUERY):  # a required query parameter missing
        responses["422"] = error("422")
    if not permission:  # public: no token, no storage
        responses = {k: v for k, v in responses.items() if k not in ("401", "403", "503")}
    if permission:
        op["security"] = [{"cognito": ["openid"]}, {"localBearer": []}]
        op["x-permission"] = permission
    if path == "/app":  # a redirect into the service worker's scope
        responses = {"302": {"description": "to /app/index.html", "headers": {"Location": _header("Location")}},
                     "405": error("405")}
    elif path.startswith(("/console", "/app/{")):  # the console's or app's files, not JSON; unknown name: 404
        responses[str(status)] = {"description": "the file", "content": {
            # the web app manifest is JSON (an object); every other file is text
            media: {"schema": {"type": "object"} if media.endswith("json") else {"type": "string"}}
            for media in sorted({t.split(";")[0] for t in _console_types(path)})}}
        if "{name}" in path:
            assets = _app_assets() if path.startswith("/app") else _console_assets()
            op["parameters"][0]["schema"] = {"type": "string", "enum": sorted(assets)}
            responses["404"] = error("404")
    _public_form_responses(path, op, responses)
    if schema:
        body_schema: dict[str, Any] = _ref(schema)
        if schema == "SubmitCase":
            body_schema = {"oneOf": [body_schema, _ref("LogCase")]}
        if schema == "InviteTenant":
            responses["200"] = _json(result, "invited again before the first sign-in: the invitation was resent",
                                     {"Idempotent-Replayed": _header("Idempotent-Replayed")})
        if schema in ("InviteTenant", "DeactivateTenant"):  # no user pool configured: sign_in_not_configured
            responses["503"] = error("503")
        if schema == "ProduceHandover":
            responses["200"] = _json(result, "the summary of that shift was already produced: the stored one",
                                     {"Idempotent-Replayed": _header("Idempotent-Replayed"),
                                      "Location": _header("Location")})
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body_schema}}}
    op["responses"] = dict(sorted(responses.items()))
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


CONVENTIONS = """Errors are JSON `{code, message, developer_message?, details?}`: `code` is stable,
`message` is in the caller's language (Accept-Language: zh-CN/zh-SG -> zh-Hans,
zh-TW/zh-HK/zh-MO -> zh-Hant, en; else the token's language).

Polling cheaply: GETs of a case, its timeline and the case lists carry an `ETag`;
send it back as `If-None-Match` and get `304` while nothing changed.
`GET /v1/me/cases?updated_since=` lists only cases changed since an instant."""


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path in ROUTES:
        paths.setdefault(path, {})[method.lower()] = _operation(method, path)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tenantdesk API", "version": "1.0.0",
                 "description": "Complaint handling for property managers.\n\n" + SIGNING_IN + "\n\n" + CONVENTIONS},
        "servers": [{"url": "/", "description": "this deployment (the API's own origin)"},
                    {"url": "http://127.0.0.1:8000", "description": "the local stack (./dev run)"}],
        "paths": paths,
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": {**SCHEMAS, **COMPONENTS},
            "responses": _error_responses(),
            "parameters": PARAMETERS,
            "headers": _HEADERS,
        },
    }

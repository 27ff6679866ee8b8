"""JSON Schemas of every request body, used twice: to validate input, and in
the OpenAPI document, so the two cannot disagree.

Validation runs on fastjsonschema, the engine Powertools' validation utility
uses. We compile each schema once per container and keep it: Powertools'
``validate()`` recompiles the schema on every call, which costs milliseconds on
every request for nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from chalicelib.domain import cases, keys, library, quotas, uploads
from chalicelib.domain.errors import ValidationFailed

_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_.:@-]+$"}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 2000}
_SHORT = {"type": "string", "maxLength": 200}
_EMAIL = {"type": "string", "maxLength": 254, "pattern": r"^[^@\s<>()\[\],;:\\\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"}
# Every integer has both bounds: an unbounded one (10**400) passes "integer"
# and then fails in DynamoDB (38 digits at most) as a 500.
MAX_VERSION = 1_000_000
MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024
_VERSION = {"type": "integer", "minimum": 1, "maximum": MAX_VERSION,
            "description": "the case version you saw; 409 if it moved"}
_ATTACHMENTS = {
    "type": "array", "maxItems": 10,
    "items": {"type": "object", "additionalProperties": False, "required": ["ref"],
              "properties": {"ref": {"type": "string", "minLength": 1, "maxLength": 1024},
                             "name": _SHORT, "content_type": {"type": "string", "maxLength": 100},
                             "size": {"type": "integer", "minimum": 0, "maximum": MAX_ATTACHMENT_BYTES}}},
}


def _enum(values: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


_NOTIFICATION_ID = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[\x21-\x7e]+$"}
# The time promised to the tenant: a date-time with its offset (the domain checks it lies ahead).
_PROMISED_BY = {"type": "string", "minLength": 10, "maxLength": 40,
                "description": "ISO 8601 date and time with offset, e.g. 2026-11-24T18:00:00+08:00"}

_KEY_VERSION = {"type": "integer", "minimum": 1, "maximum": MAX_VERSION,
                "description": "the key version you saw; 409 if it moved"}
_CASE_ID = {"type": "string", "minLength": 1, "maxLength": 40, "pattern": r"^[A-Za-z0-9-]+$"}
_LOCAL_TIME = {"type": "string", "minLength": 10, "maxLength": 40,
               "description": "the property's local date and time, e.g. 2026-11-24T14:00 (an offset is honoured)"}
# The owner archive (chalicelib/domain/archive.py): ids, and a case's location picked from it.
_ARCHIVE_ID = {"type": "string", "minLength": 1, "maxLength": 40, "pattern": r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"}
_LOCATION = {"type": "object", "additionalProperties": False, "minProperties": 1,
             "description": "a place in the property's archive (GET .../archive/locations): a unit (with a room), "
                            "a building, or a public area; 422 unknown_location when the archive has none",
             "properties": {"building_id": _ARCHIVE_ID, "unit_id": _ARCHIVE_ID, "room_id": _ARCHIVE_ID,
                            "area_id": _ARCHIVE_ID}}
_OCCURRED_AT = {"type": "string", "minLength": 10, "maxLength": 40,
                "description": "when it happened: ISO 8601 with offset, not in the future"}
_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
_PHONE = {"type": "string", "minLength": 3, "maxLength": 30, "pattern": r"^\(?\+?[0-9 ()./\-]+$"}
_DAY = {"type": "string", "maxLength": 10, "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_ARCHIVE_VERSION = {"type": "integer", "minimum": 1, "maximum": MAX_VERSION,
                    "description": "the record version you saw; 409 if it moved"}

_CLASSIFICATION = {
    "kind": _enum(cases.KINDS), "validity": _enum(cases.VALIDITIES), "severity": _enum(cases.SEVERITIES),
    "category": _enum(cases.CATEGORIES), "cause": _enum(cases.CAUSES), "department": _ID,
}

# The parts of SES's "Received" notification we rely on; anything else is not ours.
_SES_NOTIFICATION = {
    "type": "object",
    "required": ["notificationType", "mail", "receipt"],
    "properties": {
        "notificationType": {"const": "Received"},
        "mail": {"type": "object", "required": ["messageId", "timestamp"],
                 "properties": {"messageId": {"type": "string", "minLength": 1, "maxLength": 200},
                                "timestamp": {"type": "string", "minLength": 10, "maxLength": 40},
                                "source": {"type": "string", "maxLength": 320}}},
        "receipt": {"type": "object", "required": ["recipients", "action"],
                    "properties": {
                        "recipients": {"type": "array", "maxItems": 50,
                                       "items": {"type": "string", "maxLength": 320}},
                        "action": {"type": "object", "required": ["type", "bucketName", "objectKey"],
                                   "properties": {"type": {"const": "S3"},
                                                  "bucketName": {"type": "string", "minLength": 3, "maxLength": 63},
                                                  "objectKey": {"type": "string", "minLength": 1,
                                                                "maxLength": 1024}}}}},
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    # The public web form (chalicelib/domain/public_form.py): a visitor, no account.
    "PublicSubmission": _body(["content"], {
        "email": _EMAIL, "phone": _PHONE, "name": {"type": "string", "maxLength": 100},
        "place": {**_SHORT, "description": "where it is, free text; or a location from the QR link"},
        "location": _LOCATION, "content": _TEXT, "category": _enum(cases.CATEGORIES),
        "lang": {**_enum(["zh-Hans", "zh-Hant", "en"]), "description": "the visitor's language (mail, updates)"}}),
    "VerifySubmission": _body(["code"], {"code": {"type": "string", "pattern": r"^[0-9]{6}$"}}),
    "SubmitCase": _body(["content"], {
        "channel": {**_enum(cases.TENANT_CHANNELS), "default": "app"},
        "unit": {**_SHORT, "description": "free text; required unless a location is given"}, "title": _SHORT,
        "location": _LOCATION, "occurred_at": _OCCURRED_AT,
        "content": {"type": "string", "minLength": 1, "maxLength": cases.MAX_CONTENT},
        "contact": _SHORT, "category": _enum(cases.CATEGORIES), "kind": _enum(cases.KINDS),
        "lang": _enum(cases.LANGS), "attachments": _ATTACHMENTS,
        "repeat_of": {**_ID, "description": "the closed case this problem repeats (past its reopen period)"},
        "business_affected": {"type": "boolean", "default": False,
                              "description": "it affects the tenant's shop's business: the desk's classification "
                                             "then defaults to cause business_affected (1-hour reply)"},
    }),
    "LogCase": _body(["channel", "content", "reporter"], {
        "channel": _enum(cases.STAFF_CHANNELS),
        "unit": {**_SHORT, "description": "free text; required unless a location is given"}, "title": _SHORT,
        "location": _LOCATION, "occurred_at": _OCCURRED_AT,
        "content": {"type": "string", "minLength": 1, "maxLength": cases.MAX_CONTENT},
        "contact": _SHORT, "lang": _enum(cases.LANGS), "attachments": _ATTACHMENTS,
        "reporter": {"type": "object", "additionalProperties": False, "required": ["name"],
                     "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100},
                                    "phone": {"type": "string", "maxLength": 40,
                                              "pattern": r"^[0-9+()\- ]*$"},
                                    "email": _EMAIL, "tenant_id": _ID}},
        **_CLASSIFICATION,
    }),
    "Classify": _body([], {**_CLASSIFICATION, "reason": _TEXT, "version": _VERSION}),
    "Assign": _body(["assignee"], {"assignee": _ID, "department": _ID, "note": _TEXT, "version": _VERSION}),
    "Start": _body([], {"version": _VERSION}),
    "Respond": _body(["message"], {"message": _TEXT, "via": _enum(cases.RESPONSE_VIA), "version": _VERSION,
                                   "promised_by": _PROMISED_BY}),
    "MovePromise": _body(["promised_by", "reason"], {"promised_by": _PROMISED_BY, "reason": _TEXT,
                                                    "version": _VERSION}),
    "AwaitTenant": _body(["reason"], {"reason": _enum(cases.AWAIT_REASONS), "message": _TEXT, "version": _VERSION}),
    "Resume": _body([], {"note": _TEXT, "version": _VERSION}),
    "CloseUnreachable": _body([], {"summary": {"type": "string", "maxLength": 2000}, "version": _VERSION}),
    "Resolve": _body(["resolution"], {"resolution": _TEXT, "version": _VERSION}),
    "Callback": _body(["reached"], {"reached": {"type": "boolean"}, "satisfied": {"type": "boolean"},
                                    "comment": {"type": "string", "maxLength": 2000}, "version": _VERSION}),
    "Close": _body([], {"summary": {"type": "string", "maxLength": 2000}, "reason": _TEXT, "version": _VERSION}),
    "Answer": _body(["message"], {"message": _TEXT, "via": _enum(cases.RESPONSE_VIA), "version": _VERSION}),
    "Explain": _body(["message"], {"message": _TEXT, "via": _enum(cases.RESPONSE_VIA), "version": _VERSION}),
    "ConfirmInvalid": _body([], {"reason": _TEXT, "version": _VERSION}),
    "RejectInvalid": _body(["reason"], {"reason": _TEXT, "version": _VERSION}),
    "Reopen": _body(["reason"], {"reason": _TEXT, "version": _VERSION}),
    "Escalate": _body(["reason"], {"reason": _TEXT, "version": _VERSION}),
    "Note": _body(["note"], {"note": _TEXT, "version": _VERSION}),
    "Message": _body([], {"text": {"type": "string", "maxLength": 2000}, "attachments": _ATTACHMENTS}),
    "Rate": _body(["score"], {"score": {"type": "integer", "minimum": 1, "maximum": 5},
                              "comment": {"type": "string", "maxLength": 2000}}),
    # The tenant answers the follow-up callback in the app (chalicelib/domain/cases.py confirm).
    "Confirm": _body(["satisfied"], {"satisfied": {"type": "boolean"},
                                     "comment": {"type": "string", "maxLength": cases.MAX_CONFIRM_COMMENT},
                                     "score": {"type": "integer", "minimum": 1, "maximum": 5},
                                     "version": _VERSION}),
    "DraftReply": _body(["body"], {"subject": _SHORT, "body": {"type": "string", "minLength": 1, "maxLength": 10000}}),
    "ReviseReply": _body(["body"], {"subject": _SHORT, "body": {"type": "string", "minLength": 1, "maxLength": 10000},
                                    "version": _VERSION}),
    "ApproveReply": _body([], {"version": _VERSION}),
    "MarkPosted": _body([], {}),
    "ReturnReply": _body(["comment"], {"comment": _TEXT, "version": _VERSION}),
    "SesNotification": _SES_NOTIFICATION,
    # What the case-watch state machine's Check state puts on the watch queue.
    "WatchTask": {"type": "object", "required": ["token", "property_id", "case_id", "gen"],
                  "properties": {"token": {"type": "string", "minLength": 1, "maxLength": 2048},
                                 "property_id": _ID, "case_id": {"type": "string", "pattern": r"^TD-\d{8}-\d{4,6}$"},
                                 "gen": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
                                 "execution": {"type": "string"},
                                 "started": {"type": "string", "maxLength": 40}}},
    "PutTenant": _body(["name", "email"], {"name": {"type": "string", "minLength": 1, "maxLength": 100},
                                           "email": _EMAIL, "unit": _SHORT, "lang": _enum(cases.LANGS)}),
    "PutProperty": _body(["name"], {"name": {"type": "string", "minLength": 1, "maxLength": 200},
                                    "email": _EMAIL,
                                    "contacts": {"type": "object", "additionalProperties": False,
                                                 "properties": dict.fromkeys(
                                                     ("front_desk", "manager", "director", "on_duty",
                                                      # optional: overdue keys go to the shift lead (領班),
                                                      # else to the front desk
                                                      "shift_lead"), _EMAIL)},
                                    "departments": {"type": "array", "maxItems": 50, "items": _ID},
                                    # Per department, its own people for the ladder's tiers (tier 2:
                                    # the department's manager); checked in domain/properties.py.
                                    "department_contacts": {"type": "object", "maxProperties": 50,
                                                            "additionalProperties": {"type": "object"}},
                                    "policy": {"type": "object"}, "lang": _enum(cases.LANGS),
                                    # The shift-handover checklist, [{id, text}]; checked in domain/logbook.py.
                                    "handover_checklist": {"type": "array", "maxItems": 30, "items": {
                                        "type": "object", "additionalProperties": False, "required": ["id", "text"],
                                        "properties": {"id": {"type": "string", "maxLength": 40},
                                                       "text": {"type": "string", "maxLength": 200}}}},
                                    "staff_addresses": {"type": "array", "maxItems": 200, "uniqueItems": True,
                                                        "items": _EMAIL},
                                    # Published to tenants (GET /v1/properties/{id}/public).
                                    "phones": {"type": "object", "additionalProperties": False,
                                               "properties": dict.fromkeys(
                                                   ("front_desk", "on_duty", "emergency"),
                                                   {"type": "string", "minLength": 3, "maxLength": 30,
                                                    "pattern": r"^[0-9+() -]+$"})},
                                    "quotas": {"type": "object", "additionalProperties": False, "properties": {
                                        name: {"type": "integer", "minimum": 1, "maximum": quotas.MAX_LIMIT,
                                               "description": f"default {default}; 429 rate_limited beyond it"}
                                        for name, default in quotas.DEFAULTS.items()}}}),
    # Onboarding (chalicelib/services/onboarding.py): each field defaults to the tenant record's.
    "InviteTenant": _body([], {"email": _EMAIL, "unit": _SHORT, "lang": _enum(cases.LANGS),
                               "name": {"type": "string", "minLength": 1, "maxLength": 100},
                               "phone": {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$",
                                         "description": "E.164; the invitation goes by SMS"}}),
    "DeactivateTenant": _body([], {"reason": {"type": "string", "maxLength": 500}}),
    "PutBuilding": _body(["name"], {"name": _NAME, "name_en": _NAME, "version": _ARCHIVE_VERSION}),
    "PutArea": _body(["name"], {"name": _NAME, "name_en": _NAME, "version": _ARCHIVE_VERSION}),
    "PutUnit": _body(["building_id", "number"], {
        "building_id": _ARCHIVE_ID, "number": {"type": "string", "minLength": 1, "maxLength": 40},
        "floor": {"type": "string", "maxLength": 10}, "shop_name": _NAME,
        "rooms": {"type": "array", "maxItems": 30, "items": _body(["room_id", "name"], {
            "room_id": _ARCHIVE_ID, "name": _NAME})},
        "version": _ARCHIVE_VERSION}),
    "PutResident": _body(["unit_id", "name", "role"], {
        "unit_id": _ARCHIVE_ID, "name": _NAME, "role": _enum(("owner", "occupant", "shop_tenant")),
        "phones": {"type": "array", "maxItems": 5, "items": _PHONE}, "email": _EMAIL,
        "lang": _enum(cases.LANGS), "tenant_id": _ID,
        "contacts": {"type": "array", "maxItems": 20, "items": _body(["name", "relation"], {
            "name": _NAME, "relation": {"type": "string", "minLength": 1, "maxLength": 40}, "phone": _PHONE})},
        "moved_in": _DAY, "moved_out": _DAY, "notes": {"type": "string", "maxLength": 2000},
        "version": _ARCHIVE_VERSION}),
    "AddRenovation": _body(["started_on", "contractor"], {
        "started_on": _DAY, "ended_on": _DAY, "contractor": {"type": "string", "minLength": 1, "maxLength": 200},
        "permit_no": {"type": "string", "maxLength": 60}, "notes": {"type": "string", "maxLength": 2000}}),
    "LocateCase": _body(["location"], {"location": _LOCATION, "version": _VERSION}),
    # Duplicates (chalicelib/domain/dedupe.py): the other case of a link, merge or dismissal.
    "DuplicateTarget": _body(["target"], {"target": {**_ID, "description": "the owner / target / suggested case"}}),
    "ProduceHandover": _body([], {"at": {"type": "string", "minLength": 1, "maxLength": 40}}),
    # Report schedules (domain/report_schedules.py checks the content: 422 invalid_report_schedule).
    "PutReportSchedules": _body(["schedules"], {
        "version": {"type": "integer", "minimum": 0, "maximum": 1_000_000_000,
                    "description": "the version read; 0 when there are none"},
        "schedules": {"type": "array", "maxItems": 10, "items": {
            "type": "object", "additionalProperties": False, "required": ["schedule_id", "report", "recipients"],
            "properties": {
                "schedule_id": {"type": "string", "minLength": 1, "maxLength": 32},
                "report": {"enum": ["daily", "weekly", "monthly"]},
                "recipients": {"type": "array", "minItems": 1, "maxItems": 20,
                               "items": {"type": "string", "minLength": 3, "maxLength": 254}},
                "time": {"type": "string", "maxLength": 5, "description": "HH:MM, property-local"},
                "weekday": {"type": "string", "maxLength": 3, "description": "MON..SUN (weekly)"},
                "day": {"type": "integer", "minimum": 1, "maximum": 28, "description": "1..28 (monthly)"},
                "lang": {"enum": ["zh-Hans", "zh-Hant", "en"]},
                "enabled": {"type": "boolean"}}}}}),
    "SendReport": _body([], {}),
    # The type is checked by the domain (422 unsupported_content_type), the size against the type's limit.
    "StartUpload": _body(["content_type", "size"], {
        "content_type": {"type": "string", "minLength": 1, "maxLength": 100,
                         "description": "one of " + ", ".join(uploads.CONTENT_TYPES)},
        "size": {"type": "integer", "minimum": 1, "maximum": MAX_ATTACHMENT_BYTES,
                 "description": "the file's size in bytes (images at most 10 MB, video/mp4 20 MB)"},
        "case_id": {"type": "string", "pattern": r"^TD-\d{8}-\d{4,6}$",
                    "description": "the case the photo is for; without it, a draft for a new case"}}),
    "CompleteUpload": _body([], {}),
    "SignHandover": _body(["side"], {"side": _enum(("customer_service", "control_room")),
                                     "role": _enum(("outgoing", "incoming")),
                                     "comment": {"type": "string", "maxLength": 1000}}),
    # The shift-handover logbook (chalicelib/domain/logbook.py checks the rest: 422 with the field).
    "AddDiaryEntry": _body(["text"], {"text": {"type": "string", "minLength": 1, "maxLength": 1000},
                                      "case_id": _ID, "urgent": {"type": "boolean"},
                                      "entry_id": {**_ID, "description": "the client's id: a retry stores it once"}}),
    "CorrectDiaryEntry": _body([], {"text": {"type": "string", "minLength": 1, "maxLength": 1000},
                                    "urgent": {"type": "boolean"},
                                    "version": {**_VERSION, "description": "the entry version you saw"}}),
    "MarkChecklist": _body(["items"], {"items": {"type": "array", "minItems": 1, "maxItems": 30, "items": {
        "type": "object", "additionalProperties": False, "required": ["id", "mark"],
        "properties": {"id": {"type": "string", "minLength": 1, "maxLength": 40}, "mark": _enum(("ok", "not_ok")),
                       "note": {"type": "string", "maxLength": 1000}}}}}),
    "RefuseHandover": _body(["reason"], {"reason": {"type": "string", "minLength": 1, "maxLength": 1000}}),
    "AnswerRefusal": _body(["note"], {"note": {"type": "string", "minLength": 1, "maxLength": 1000}}),
    "ReviewHandover": _body([], {"comment": {"type": "string", "maxLength": 1000}}),
    # The key register (chalicelib/domain/keys.py checks what a schema cannot).
    "AddKey": _body(["unit", "slot"], {"key_id": {"type": "string", "minLength": 1, "maxLength": 32,
                                                  "pattern": keys.KEY_ID.pattern},
                                       "unit": _SHORT, "slot": {"type": "string", "maxLength": 50},
                                       "copies": {"type": "integer", "minimum": 1, "maximum": keys.MAX_COPIES},
                                       "note": {"type": "string", "maxLength": 500}}),
    "EditKey": _body([], {"unit": _SHORT, "slot": {"type": "string", "maxLength": 50},
                          "note": {"type": "string", "maxLength": 500}, "version": _KEY_VERSION}),
    "LendKey": _body(["borrower", "purpose", "due"], {
        "borrower": _body(["name", "kind"], {"name": {"type": "string", "minLength": 1, "maxLength": 100},
                                             "kind": _enum(keys.BORROWER_KINDS),
                                             "phone": {"type": "string", "maxLength": 40}}),
        "purpose": _enum(keys.PURPOSES), "case_id": _CASE_ID,
        "due": {"type": "string", "minLength": 10, "maxLength": 40,
                "description": "expected return, ISO 8601 with offset, e.g. 2026-11-23T17:00:00+08:00"},
        "emergency": {"type": "boolean", "description": "a case without the tenant's permission on record"},
        "reason": {"type": "string", "maxLength": 500}, "note": {"type": "string", "maxLength": 500},
        "version": _KEY_VERSION}),
    "ReturnKey": _body([], {"damaged": {"type": "boolean"}, "note": {"type": "string", "maxLength": 500},
                            "version": _KEY_VERSION}),
    "KeyReason": _body(["reason"], {"reason": {"type": "string", "minLength": 1, "maxLength": 500},
                                    "version": _KEY_VERSION}),
    "ReplaceKey": _body(["copies"], {"copies": {"type": "integer", "minimum": 1, "maximum": keys.MAX_COPIES},
                                     "note": {"type": "string", "maxLength": 500}, "version": _KEY_VERSION}),
    "EntryPermission": _body(["granted"], {
        "granted": {"type": "boolean"},
        "slots": {"type": "array", "maxItems": cases.MAX_ENTRY_SLOTS, "items": _body(["from", "to"], {
            "from": _LOCAL_TIME, "to": _LOCAL_TIME})},
        "note": {"type": "string", "maxLength": 500}, "version": _VERSION}),
    # Being told (chalicelib/http/routes_notify.py).
    "Empty": _body([], {}),  # DELETE: no fields; a malformed body is still refused
    "MarkNotificationsRead": _body([], {"ids": {"type": "array", "maxItems": 100, "uniqueItems": True,
                                                "items": _NOTIFICATION_ID},
                                        "up_to": {**_NOTIFICATION_ID, "description": "this id and every older one"}}),
    "RegisterDevice": _body(["platform", "token"], {
        "platform": _enum(("fcm", "apns")),
        "token": {"type": "string", "minLength": 8, "maxLength": 4096, "pattern": r"^[\x21-\x7e]+$",
                  "description": "the FCM registration token or APNs device token"}}),
    "SubscribeWebPush": _body(["endpoint", "keys"], {
        "endpoint": {"type": "string", "minLength": 8, "maxLength": 2048,
                     "description": "PushSubscription.endpoint: https on a known push service"},
        "keys": _body(["p256dh", "auth"], {"p256dh": {"type": "string", "minLength": 1, "maxLength": 200},
                                           "auth": {"type": "string", "minLength": 1, "maxLength": 100}}),
        "expirationTime": {"type": ["number", "null"], "minimum": 0, "maximum": 2 ** 53 - 1}}),
    "PutPreferences": _body([], {
        "channels": {"type": "object", "additionalProperties": False,
                     "properties": dict.fromkeys(("push", "webpush", "email"), {"type": "boolean"})},
        "quiet_hours": {"oneOf": [{"type": "null"}, _body(["from", "to"], {
            "from": {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "to": {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"}})],
            "description": "property-local HH:MM; may cross midnight (22:00 to 07:00)"},
        "lang": {"oneOf": [{"type": "null"}, _enum(cases.LANGS)]}}),
}

# The case library (chalicelib/domain/library.py; chalicelib/http/routes_library.py).
_LIBRARY_TEXT: dict[str, Any] = {name: {"type": "string", "maxLength": library.TEXT_MAX[name]}
                                 for name in library.TEXT_FIELDS}
_LIBRARY_CONTENT: dict[str, Any] = {
    **_LIBRARY_TEXT, "category": _enum(cases.CATEGORIES), "lang": _enum(cases.LANGS),
    "tags": {"type": "array", "maxItems": library.MAX_TAGS,
             "items": {"type": "string", "minLength": 1, "maxLength": library.TAG_MAX}}}
_ENTRY_VERSION = {"type": "integer", "minimum": 1, "maximum": MAX_VERSION,
                  "description": "the entry version you saw; 409 if it moved"}
SCHEMAS.update({
    "AddLibraryEntry": _body([], {**_LIBRARY_CONTENT, "case_id": {
        **_CASE_ID, "description": "propose this closed case: the text is prefilled from it, tenant data masked"}}),
    "EditLibraryEntry": _body([], {**_LIBRARY_CONTENT, "note": {"type": "string", "maxLength": 200},
                                   "version": _ENTRY_VERSION}),
    "LibraryStep": _body([], {"version": _ENTRY_VERSION}),
    "UseLibraryEntry": _body(["entry_id"], {"entry_id": {"type": "string", "minLength": 1, "maxLength": 40,
                                                         "pattern": library.ENTRY_ID.pattern}}),
})


@cache
def _validator(name: str) -> Callable[[Any], Any]:
    import fastjsonschema  # first use only: keeps cold start small
    return fastjsonschema.compile(SCHEMAS[name])


def validate(name: str, data: Any) -> dict[str, Any]:
    """Validate a request body against its schema, or raise a 422 naming the field."""
    import fastjsonschema
    try:
        return _validator(name)(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        field = (exc.name or "").replace("data.", "", 1).replace("data", "", 1)
        details: dict[str, Any] = {"field": field or None, "rule": exc.rule}
        if exc.rule == "required":
            details["required"] = list(exc.rule_definition or [])
        raise ValidationFailed(exc.message.replace("data.", "", 1).replace("data ", "body ", 1),
                               details=details) from None

"""JSON shapes of cases and events for the two audiences: staff see
everything; a tenant sees only what is listed here.

What a tenant sees is an allow-list, decided per field, in this one module:
a field or an event type not named below is internal. Staff free text (an
assignment note, a callback comment, a closing summary, an internal note) is
internal unless it is written *for* the tenant: a response, a resolution, an
answer or explanation, a written reply. The console labels those fields
"visible to tenant" (``TENANT_FACING_INPUTS`` is what it labels).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain import auth, cases, deadlines
from chalicelib.domain.cases import Case, Event, iso
from chalicelib.domain.errors import Forbidden, NotFound

# Case fields a tenant sees on their own case.
TENANT_CASE_FIELDS: frozenset[str] = frozenset({
    "property_id", "case_id", "status", "version", "unit", "title", "content", "channel", "reporter", "contact",
    "lang", "written", "kind", "category", "rating", "created_at", "updated_at", "closed_at", "deadlines",
    "next_due", "overdue",
    # Their own earlier case this one repeats (they named it, or their mail answered it).
    "repeat_of",
    # The time promised to them (due, how often moved) and since when the case waits on them.
    "promise", "waiting",
    # What the tenant may do on their case now (reopen, message, rate): the
    # names of actions, computed for them (``case_actions``), nothing internal.
    "actions",
    # Their word on entering the unit with the spare key (granted, slots, note, when).
    "entry_permission",
    # Where and when it happened: the place's label only (TENANT_LOCATION_FIELDS), the time they gave.
    "location", "occurred_at",
    # Their own word that it affects their shop's business (not the desk's cause).
    "business_affected",
    # Their own answer to the follow-up, when they gave it in the app (TENANT_CALLBACK_FIELDS).
    "callback",
    # The case staff merged theirs into (the same problem they reported twice): "merged into TD-…".
    "merged_into",
})
# Of the callback: only what the tenant answered themselves in the app (``confirm``);
# staff's call records (who called, their comment, attempts) stay internal.
TENANT_CALLBACK_FIELDS: frozenset[str] = frozenset({"satisfied", "comment", "at", "channel"})
# Of a case's archive location (chalicelib/domain/archive.py): the tenant reads
# its label, never the archive's ids.
TENANT_LOCATION_FIELDS: frozenset[str] = frozenset({"label"})
# Of the reporter: who they are and how to reach them, as given; nothing staff added.
TENANT_REPORTER_FIELDS: frozenset[str] = frozenset({"tenant_id", "name", "phone", "email"})

# Events a tenant sees on their case's timeline, and of each, the data fields
# they see. An action not listed (classify, note, escalate, start, the
# watcher's records, policy_changed: deadlines recomputed after the property's
# policy changed...) is not shown at all.
TENANT_EVENT_DATA: dict[str, frozenset[str]] = {
    # the complaint as received (a location: shown as the case's own field, label only)
    "submitted": frozenset({"channel", "content", "unit", "attachments", "repeat_of", "occurred_at",
                            "business_affected"}),
    "assign": frozenset(),  # that it was handed on; the hand-off note is internal
    "respond": frozenset({"message", "via", "promised_by"}),
    "move_promise": frozenset({"promised_by", "previous", "reason"}),  # the reason is written for the tenant
    "await_tenant": frozenset({"reason", "message"}),  # the question put to them
    "resume": frozenset(),
    "close_unreachable": frozenset({"reason"}),
    "resolve": frozenset({"resolution"}),
    "answer": frozenset({"message", "via"}),
    "explain": frozenset({"message", "via"}),
    "written_reply": frozenset({"medium", "subject", "message"}),  # the approved reply as sent
    "callback": frozenset(),  # that they were called; the caller's comment is internal
    "close": frozenset(),  # the closing summary is internal
    "reopen": frozenset(),  # staff's reason is internal; the tenant's own is below
    "message": frozenset({"text", "attachments"}),  # only tenants write messages
    "rate": frozenset({"score", "comment"}),  # only tenants rate
    "confirm": frozenset({"satisfied", "comment", "score", "channel"}),  # only tenants confirm the callback
    "entry_permission": frozenset({"granted", "slots", "note", "on_behalf"}),  # their word on entering the unit
    # The unit entered with a key of the register (lent) and the key back (returned):
    # who and when (the event's time), never the cabinet slot or who issued it.
    "key_entry": frozenset({"stage", "key_id", "borrower"}),
    # Their case was merged into another of theirs (chalicelib/domain/dedupe.py); links,
    # suggestions and what was merged in are staff-only.
    "merge": frozenset({"merged_into"}),
    # Their case was linked to another reporter's case of the same problem: that it is
    # handled together (the owner case, another tenant's, is not named).
    "link": frozenset(),
}
# The actions on a tenant's timeline: the filter of the Query that pages it.
TENANT_TIMELINE_ACTIONS: frozenset[str] = frozenset(TENANT_EVENT_DATA)
# Fields shown only when the tenant wrote the event themselves (their own words).
TENANT_OWN_EVENT_DATA: dict[str, frozenset[str]] = {
    "reopen": frozenset({"reason"}),
}

# Staff inputs (action -> field) whose text reaches the tenant: the console marks them.
TENANT_FACING_INPUTS: dict[str, frozenset[str]] = {
    "respond": frozenset({"message"}), "resolve": frozenset({"resolution"}), "answer": frozenset({"message"}),
    "explain": frozenset({"message"}), "move_promise": frozenset({"reason"}), "await_tenant": frozenset({"message"}),
}


def case_actions(principal: auth.Principal, case: Case, *, now: datetime, policy: deadlines.Policy) -> list[str]:
    """The actions ``principal`` may take on ``case`` at ``now``, in ``cases.ACTIONS``
    order: their role and property (``auth.authorize``), their department scope
    (``auth.authorize_on_case``), the case's status and the written-reply
    rule (``cases.lifecycle_allows``), and the property's ``policy`` (a closed
    case is reopened only until ``cases.reopen_until``). The console offers
    exactly these; the API still decides each call (a stale page gets its 409)."""
    found = []
    for action in cases.ACTIONS:
        permission = f"case.{action}"
        if permission not in auth.PERMISSIONS:
            continue  # the system's own records (written_reply): nobody's to take
        try:
            auth.authorize(principal, permission, case.property_id)
            auth.authorize_on_case(principal, department=case.department, assignee=case.assignee)
        except (Forbidden, NotFound):
            continue
        if not cases.lifecycle_allows(case, action):
            continue
        if action == "reopen" and (until := cases.reopen_until(case, policy)) is not None and now > until:
            continue  # past the reopen period: the API refuses it (409 reopen_period_over)
        found.append(action)
    return found


def case_view(case: Case, *, now: datetime, staff: bool, actions: list[str] | None = None) -> dict[str, Any]:
    """A case as ``staff`` or its tenant sees it; ``actions`` (see
    ``case_actions``) is included when given, for the one reading it."""
    due = case.next_due()
    view: dict[str, Any] = {
        "property_id": case.property_id, "case_id": case.case_id, "status": case.status, "version": case.version,
        "unit": case.unit, "title": case.title, "content": case.content, "channel": case.channel,
        "reporter": case.reporter, "contact": case.contact, "lang": case.lang, "written": case.written,
        "kind": case.kind, "category": case.category, "severity": case.severity, "cause": case.cause,
        "validity": case.validity, "department": case.department, "assignee": case.assignee, "tier": case.tier,
        "validity_confirmed": case.validity_confirmed,  # staff only: "invalid" unconfirmed is a proposal
        "recorder": case.recorder, "verified": case.verified, "rating": case.rating, "callback": case.callback,
        "created_at": iso(case.created_at), "updated_at": iso(case.updated_at or case.created_at),
        "closed_at": iso(case.closed_at) if case.closed_at else None,
        "deadlines": {name: {**d.to_dict(), "overdue": d.overdue(now) and not case.paused(name),
                             "paused": case.paused(name)} for name, d in case.deadlines.items()},
        "promise": ({"due": case.promise["due"], "moves": case.promise.get("moves", 0)} if case.promise else None),
        "waiting": ({"since": case.pause["at"], "reason": case.pause["reason"]} if case.pause else None),
        "next_due": iso(due) if due else None,
        "overdue": bool(due and now > due),
        "repeat_of": case.repeat_of,
        "entry_permission": ({k: v for k, v in case.entry_permission.items() if staff or k != "by"}
                             if case.entry_permission else None),
        "location": dict(case.location) if case.location else None,
        "occurred_at": iso(case.occurred_at) if case.occurred_at else None,
        # Staff only: the tenant wrote and no staff member has read it yet (queue and case).
        "unread_for_staff": case.unread_for_staff, "tenant_wrote_at": case.tenant_wrote_at,
        "business_affected": case.business_affected,
        # Duplicates (chalicelib/domain/duplicates.py): suggestions, links and merges are
        # staff-only; the tenant sees only ``merged_into``.
        "possible_duplicates": list(case.possible_duplicates), "follows": case.follows,
        "followers": list(case.followers), "merged_into": case.merged_into, "merged": list(case.merged),
    }
    if actions is not None:
        view["actions"] = list(actions)
    if staff:
        return view
    view = {name: value for name, value in view.items() if name in TENANT_CASE_FIELDS}
    view["reporter"] = {k: v for k, v in (case.reporter or {}).items() if k in TENANT_REPORTER_FIELDS}
    if case.location:
        view["location"] = {k: v for k, v in case.location.items() if k in TENANT_LOCATION_FIELDS}
    own = case.callback if case.callback and case.callback.get("by_tenant") else None
    view["callback"] = {k: v for k, v in own.items() if k in TENANT_CALLBACK_FIELDS} if own else None
    if any(s.get("case_id") == case.repeat_of and not s.get("same_reporter") for s in case.possible_duplicates):
        view["repeat_of"] = None  # a repeat found of another reporter's case (duplicates.py): not theirs to see
    return view


def tenant_sees(event: Event) -> bool:
    """Whether the event appears on the tenant's timeline at all."""
    return event.action in TENANT_EVENT_DATA


def _tenant_allowed(event: Event) -> frozenset[str]:
    allowed = TENANT_EVENT_DATA.get(event.action, frozenset())
    if event.actor.role == "tenant":
        allowed = allowed | TENANT_OWN_EVENT_DATA.get(event.action, frozenset())
    return allowed


def _tenant_data(event: Event) -> dict[str, Any]:
    allowed = _tenant_allowed(event)
    return {k: v for k, v in (event.data or {}).items() if k in allowed}


def tenant_visibility(event: Event) -> list[str] | None:
    """For staff: which of the event's data fields its tenant reads (sorted), or
    None when the event is not on the tenant's timeline at all. The console marks
    the tenant-visible parts of a timeline sentence with it."""
    if not tenant_sees(event):
        return None
    return sorted(k for k in (event.data or {}) if k in _tenant_allowed(event))


def event_view(event: Event, *, staff: bool) -> dict[str, Any]:
    if staff:
        return {"seq": event.seq, "at": iso(event.at), "action": event.action,
                "actor": {"id": event.actor.id, "role": event.actor.role, "name": event.actor.name},
                "data": event.data, "changes": event.changes, "tenant_sees": tenant_visibility(event)}
    return {"seq": event.seq, "at": iso(event.at), "action": event.action,
            "actor": {"role": event.actor.role, "name": event.actor.name}, "data": _tenant_data(event)}

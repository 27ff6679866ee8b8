"""JSON shapes of cases and events for the two audiences: staff see
everything; a tenant sees their case without internal judgements or notes."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.cases import Case, Event, iso

_STAFF_ONLY = ("validity", "recorder", "assignee", "tier", "verified", "department", "callback")


def case_view(case: Case, *, now: datetime, staff: bool) -> dict[str, Any]:
    due = case.next_due()
    view: dict[str, Any] = {
        "property_id": case.property_id, "case_id": case.case_id, "status": case.status, "version": case.version,
        "unit": case.unit, "title": case.title, "content": case.content, "channel": case.channel,
        "reporter": case.reporter, "contact": case.contact, "lang": case.lang, "written": case.written,
        "kind": case.kind, "category": case.category, "severity": case.severity, "cause": case.cause,
        "validity": case.validity, "department": case.department, "assignee": case.assignee, "tier": case.tier,
        "recorder": case.recorder, "verified": case.verified, "rating": case.rating, "callback": case.callback,
        "created_at": iso(case.created_at), "updated_at": iso(case.updated_at or case.created_at),
        "closed_at": iso(case.closed_at) if case.closed_at else None,
        "deadlines": {name: {**d.to_dict(), "overdue": d.overdue(now)} for name, d in case.deadlines.items()},
        "next_due": iso(due) if due else None,
        "overdue": bool(due and now > due),
    }
    if not staff:
        for name in _STAFF_ONLY:
            view.pop(name)
    return view


def event_view(event: Event, *, staff: bool) -> dict[str, Any]:
    view: dict[str, Any] = {"seq": event.seq, "at": iso(event.at), "action": event.action,
                            "actor": {"id": event.actor.id, "role": event.actor.role, "name": event.actor.name},
                            "data": event.data}
    if staff:
        view["changes"] = event.changes
    else:
        view["actor"] = {"role": event.actor.role, "name": event.actor.name}
    return view

"""Shift handover between customer service and the security control room:
pure rules, no AWS, no clock.

The operator hands over at the property's ``policy.handover_times``
(property-local; 08:00 and 18:00 unless the property says otherwise, e.g. a
mall staffed 10:00-22:00 hands over at 10:00 and 22:00), every day (weekends
and holidays too: a shopping mall never closes). The summary of a
handover covers the shift that just ended, ``[previous handover, this
handover)``. Every instant in and out is timezone-aware; results are in UTC.

What a summary holds (see :func:`build_summary`):

* ``opened``        cases created in the shift;
* ``open_now``      every case still open at ``now`` (count by status) and the
                    ``OPEN_LIST_SIZE`` most urgent, by next deadline;
* ``overdue``       open cases with an unmet deadline in the past;
* ``escalated``     cases with an ``escalate`` audit event in the shift;
* ``callbacks_due`` open cases whose follow-up callback is unmet and due
                    before the next handover (already overdue ones included);
* ``after_hours``   complaints and requests created in the shift outside
                    working time (``not deadlines.is_working_time``). A case
                    nobody has classified yet (``kind`` null) is included: an
                    unclassified night-time case is exactly what the day shift
                    must see. Consultations are not.

"Now" parts (``open_now``, ``overdue``, ``callbacks_due``) describe the
state when the summary is produced (``produced_at``); the shift parts
(``opened``, ``escalated``, ``after_hours``) are exact history of the window.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from chalicelib.domain import deadlines
from chalicelib.domain.cases import Case, Event, iso

OPEN_LIST_SIZE = 20  # "the oldest/most urgent 20 by next deadline"
ITEM_CAP = 100  # longest list kept per section; counts are always complete
TITLE_CHARS = 60
KEY_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # a handover's id: its shift end in UTC, e.g. 2026-11-23T10:00:00Z

_NO_DUE = datetime.max.replace(tzinfo=timezone.utc)


def _aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime not allowed: {at!r}")


def key_of(instant: datetime) -> str:
    """The canonical spelling of a shift end: UTC, whole seconds, ``Z``."""
    _aware(instant)
    return instant.astimezone(timezone.utc).strftime(KEY_FORMAT)


# --- shift boundaries ---------------------------------------------------------

def handover_instants(first_day: date, last_day: date, policy: deadlines.Policy,
                      times: Sequence[time] | None = None) -> list[datetime]:
    """Every handover from ``first_day`` to ``last_day`` (local dates, inclusive), in UTC, ascending.
    ``times`` (property-local) default to the property's ``policy.handover_times``.

    Built with ``combine`` in the property's zone, so a DST change shifts the
    UTC instant and never the local wall-clock time."""
    found: set[datetime] = set()
    times = policy.handover_times if times is None else times
    day = first_day
    while day <= last_day:
        for t in times:
            found.add(datetime.combine(day, t, tzinfo=policy.tz).astimezone(timezone.utc))
        day += timedelta(days=1)
    return sorted(found)


def shift_window(at: datetime, policy: deadlines.Policy,
                 times: Sequence[time] | None = None) -> tuple[datetime, datetime]:
    """``(start, end)`` of the shift that ended most recently at or before ``at``:
    ``end`` is the latest handover ``<= at`` and ``start`` the one before it."""
    _aware(at)
    local_day = at.astimezone(policy.tz).date()
    past = [i for i in handover_instants(local_day - timedelta(days=2), local_day + timedelta(days=1), policy, times)
            if i <= at]
    return past[-2], past[-1]


def next_handover(at: datetime, policy: deadlines.Policy, times: Sequence[time] | None = None) -> datetime:
    """The first handover strictly after ``at``."""
    _aware(at)
    local_day = at.astimezone(policy.tz).date()
    return next(i for i in handover_instants(local_day - timedelta(days=1), local_day + timedelta(days=2), policy,
                                             times) if i > at)


def handovers_between(after: datetime, upto: datetime, policy: deadlines.Policy,
                      times: Sequence[time] | None = None) -> list[datetime]:
    """Handovers in ``(after, upto]``, ascending: those a scheduler still owes."""
    _aware(after)
    _aware(upto)
    if upto <= after:
        return []
    first = after.astimezone(policy.tz).date() - timedelta(days=1)
    last = upto.astimezone(policy.tz).date() + timedelta(days=1)
    return [i for i in handover_instants(first, last, policy, times) if after < i <= upto]


# --- listing a case -----------------------------------------------------------

def title_of(case: Case) -> str:
    """The case's title, or the first ``TITLE_CHARS`` characters of its content, unchanged."""
    return case.title if case.title.strip() else case.content[:TITLE_CHARS]


def is_overdue(case: Case, now: datetime) -> bool:
    """An open case with an unmet deadline in the past."""
    due = case.next_due()
    return due is not None and now > due


def overdue_windows(case: Case, now: datetime) -> list[str]:
    if not case.is_open:
        return []
    return sorted(name for name, d in case.deadlines.items() if d.overdue(now))


def case_item(case: Case, now: datetime) -> dict[str, Any]:
    """One listed case: the fields both sides need to pick it up."""
    due = case.next_due()
    return {"property_id": case.property_id, "case_id": case.case_id, "unit": case.unit, "title": title_of(case),
            "status": case.status, "kind": case.kind, "category": case.category, "tier": case.tier,
            "created_at": iso(case.created_at), "next_due": iso(due) if due else None,
            "overdue": is_overdue(case, now)}


def escalation_tier(event: Event) -> str:
    """The tier an ``escalate`` event moved the case to. The deadline watcher
    (chalicelib/domain/escalation.py) also escalates a case already with the director: the
    tier does not change then, and its escalation record names the tier."""
    moved = (event.changes.get("tier") or {}).get("to")
    if moved:
        return str(moved)
    records = (event.changes.get("escalations") or {}).get("to") or {}
    record = records.get(event.data.get("deadline")) if isinstance(records, dict) else None
    if isinstance(record, dict) and record.get("tier"):
        return str(record["tier"])
    return "unchanged"


def _section(items: list[dict[str, Any]], cap: int) -> dict[str, Any]:
    return {"count": len(items), "items": items[:cap], "truncated": len(items) > cap}


def _urgency(case: Case) -> tuple[datetime, datetime, str]:
    return case.next_due() or _NO_DUE, case.created_at, case.case_id


def unique_latest(cases: Iterable[Case]) -> list[Case]:
    """One copy of each case, the newest version if it was read twice."""
    by_key: dict[str, Case] = {}
    for case in cases:
        seen = by_key.get(case.key)
        if seen is None or case.version > seen.version:
            by_key[case.key] = case
    return list(by_key.values())


def _is_after_hours_intake(case: Case, policy: deadlines.Policy) -> bool:
    return case.kind != "consultation" and not deadlines.is_working_time(case.created_at, policy)


# --- the summary ----------------------------------------------------------------

def build_summary(*, property_id: str, policy: deadlines.Policy, shift_start: datetime, shift_end: datetime,
                  now: datetime, cases: Iterable[Case], events: Mapping[str, Sequence[Event]],
                  item_cap: int = ITEM_CAP, open_list_size: int = OPEN_LIST_SIZE,
                  keys_out: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The handover summary of ``[shift_start, shift_end)`` as seen at ``now``.

    ``cases`` must hold every case created in the shift and every case open
    now (more does no harm: each section selects its own); ``events`` maps
    ``case.key`` to that case's audit trail, and must cover every case that
    could have been escalated in the shift. Lists are capped at ``item_cap``
    (``truncated`` says so); counts are always complete. ``keys_out``: the keys
    of the register out at the shift's end (``keys.handover_items``: key, unit,
    borrower, due, overdue), a section of its own when given."""
    for at in (shift_start, shift_end, now):
        _aware(at)
    if shift_end <= shift_start:
        raise ValueError("shift_end must be after shift_start")
    upcoming = next_handover(shift_end, policy)
    everything = unique_latest(cases)
    in_shift = sorted((c for c in everything if shift_start <= c.created_at < shift_end),
                      key=lambda c: (c.created_at, c.case_id))
    open_cases = sorted((c for c in everything if c.is_open), key=_urgency)

    by_status: dict[str, int] = {}
    for case in open_cases:
        by_status[case.status] = by_status.get(case.status, 0) + 1

    overdue = []
    for case in open_cases:
        late = overdue_windows(case, now)
        if late:
            overdue.append({**case_item(case, now), "overdue_deadlines": late})

    callbacks = []
    for case in sorted(open_cases, key=lambda c: (c.deadlines["callback"].due if "callback" in c.deadlines
                                                  else _NO_DUE, c.case_id)):
        callback = case.deadlines.get("callback")
        if callback is not None and callback.met_at is None and callback.due < upcoming:
            callbacks.append({**case_item(case, now), "callback_due": iso(callback.due),
                              "callback_attempts": (case.callback or {}).get("attempts", 0)})

    escalated = []
    by_key = {c.key: c for c in everything}
    for key, trail in events.items():
        escalated_case = by_key.get(key)
        if escalated_case is None:
            continue
        steps = [e for e in trail if e.action == "escalate" and shift_start <= e.at < shift_end]
        if steps:
            steps.sort(key=lambda e: (e.at, e.seq))
            escalated.append({**case_item(escalated_case, now), "escalations": [
                {"at": iso(e.at), "from": (e.changes.get("tier") or {}).get("from"), "to": escalation_tier(e),
                 "by": {"id": e.actor.id, "role": e.actor.role, "name": e.actor.name},
                 "reason": e.data.get("reason"), "automatic": bool(e.data.get("automatic")),
                 "deadline": e.data.get("deadline")} for e in steps]})
    escalated.sort(key=lambda item: (item["escalations"][0]["at"], item["case_id"]))

    after_hours = [case_item(c, now) for c in in_shift if _is_after_hours_intake(c, policy)]

    sections = {
        "opened": _section([case_item(c, now) for c in in_shift], item_cap),
        "open_now": {**_section([case_item(c, now) for c in open_cases], min(open_list_size, item_cap)),
                     "by_status": dict(sorted(by_status.items()))},
        "overdue": _section(overdue, item_cap),
        "escalated": _section(escalated, item_cap),
        "callbacks_due": _section(callbacks, item_cap),
        "after_hours": _section(after_hours, item_cap),
    }
    if keys_out is not None:
        sections["keys_out"] = _section(list(keys_out), item_cap)
    return {
        "property_id": property_id,
        "timezone": policy.timezone,
        "shift_start": key_of(shift_start),
        "shift_end": key_of(shift_end),
        "shift_start_local": shift_start.astimezone(policy.tz).isoformat(),
        "shift_end_local": shift_end.astimezone(policy.tz).isoformat(),
        "next_handover": key_of(upcoming),
        "produced_at": iso(now),
        "counts": {name: section["count"] for name, section in sections.items()},
        **sections,
    }

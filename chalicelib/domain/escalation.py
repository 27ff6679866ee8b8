"""The deadline watcher's rules: what to do about a case at a given moment.

One Step Functions execution per case (statemachines/case_watch.asl.json)
loops: ask ``decide`` what to do, do it, then wait until the time it names.
Every decision is made from the case as stored *now*, so a deadline that
moved (reclassified, reopened, cause changed) is honoured: an escalation
fires only for a deadline that still applies. Pure rules: no AWS, no clock.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.domain import deadlines
from chalicelib.domain.cases import (
    MAJOR_TIER,
    TIERS,
    Actor,
    Case,
    Change,
    _apply,
    iso,
    parse_iso,
    resume_clock,
    tier_above,
)

WATCHER = Actor("watcher", "system", "Deadline watcher")
# How long a higher tier has to act on a missed deadline before the next tier
# hears of it is the property's ``policy.escalation_step`` (chalicelib/domain/deadlines.py).
# An open case with no pending deadline (e.g. responded, awaiting resolution) is
# still looked at daily, so a missed change never leaves it unwatched for long.
HEARTBEAT = timedelta(hours=24)


@dataclass(frozen=True)
class Decision:
    action: str                  # "done" | "wait" | "escalate" | "notify" | "remind" | "return_to_desk"
    until: datetime | None = None
    key: str | None = None       # the deadline (or "major") the action is about


def _fire_at(case: Case, name: str, policy: deadlines.Policy) -> datetime | None:
    """When the watcher must act on deadline ``name``, or None if it need not."""
    deadline = case.deadlines[name]
    if deadline.met_at is not None:
        return None
    record = case.escalations.get(name)
    if record is None or record.get("due") != iso(deadline.due):
        return deadline.due  # never escalated for this deadline as it now stands
    if tier_above(case.tier) is None:
        return None  # already with the director: the queue shows it overdue
    return deadlines.escalation_due(parse_iso(record["at"]), policy)


def _major_raise_at(case: Case, policy: deadlines.Policy) -> datetime | None:
    """When the watcher raises a major complaint to the director because its
    manager has not judged it (None: judged, raised already, or not major)."""
    record = case.escalations.get("major")
    if record is None or record.get("decided") or case.tier != MAJOR_TIER:
        return None
    return deadlines.escalation_due(parse_iso(record["at"]), policy)


def decide(case: Case, *, gen: int, now: datetime, policy: deadlines.Policy) -> Decision:
    """The next thing the watcher of generation ``gen`` does for ``case``."""
    if not case.is_open or gen != case.watch_gen:
        return Decision("done")  # closed, or a newer watcher has taken over
    for key, record in sorted(case.escalations.items()):
        if not record.get("notified") and not record.get("unrouted"):
            return Decision("notify", key=key)
    times = []
    if case.status == "awaiting_tenant":
        # The windows are paused; only the wait itself can run out.
        waiting = case.deadlines["waiting"].due
        if waiting <= now:
            return Decision("return_to_desk", key="waiting")
        return Decision("wait", until=min(waiting, now + HEARTBEAT))
    major_at = _major_raise_at(case, policy)
    if major_at is not None:
        if major_at <= now:
            return Decision("escalate", key="major")
        times.append(major_at)
    remind_at = _remind_at(case, policy)
    if remind_at is not None and now < case.deadlines["promise"].due:  # past it, the escalation says more
        if remind_at <= now:
            return Decision("remind", key="promise")
        times.append(remind_at)
    for name in sorted(case.deadlines):
        fire_at = _fire_at(case, name, policy)
        if fire_at is None:
            continue
        if fire_at <= now:
            return Decision("escalate", key=name)
        times.append(fire_at)
    return Decision("wait", until=min(times + [now + HEARTBEAT]))


def _remind_at(case: Case, policy: deadlines.Policy) -> datetime | None:
    """When to remind the owner of the promised time (None: not, or done, or too late)."""
    promise = case.deadlines.get("promise")
    if promise is None or promise.met_at is not None:
        return None
    if (case.escalations.get("promise_reminder") or {}).get("due") == iso(promise.due):
        return None  # reminded of this promise as it now stands
    if (case.escalations.get("promise") or {}).get("due") == iso(promise.due):
        return None  # already escalated as missed
    return promise.due - policy.promise_reminder_lead


def remind_promise(case: Case, now: datetime, policy: deadlines.Policy) -> Change:
    """The promised time is near: tell the tier holding the case (no tier is raised)."""
    def mutate(c: Case) -> dict[str, Any]:
        due = c.deadlines["promise"].due
        c.escalations["promise_reminder"] = {"count": 0, "tier": c.tier, "at": iso(now), "due": iso(due),
                                             "notified": False}
        return {"notice": "promise_reminder", "due": iso(due)}
    return _apply(case, "watch_notice", WATCHER, now, policy, mutate)


def return_to_desk(case: Case, now: datetime, policy: deadlines.Policy) -> Change:
    """A case waited on the tenant longer than the policy allows: it comes back
    (its windows run again) and the front desk is told, to chase the tenant."""
    def mutate(c: Case) -> dict[str, Any]:
        data = resume_clock(c, now, policy)
        c.escalations["waiting"] = {"count": 0, "tier": "front_desk", "at": iso(now), "notified": False}
        return {"notice": "awaiting_tenant_expired", **data}
    return _apply(case, "watch_notice", WATCHER, now, policy, mutate)


def next_check(case: Case, policy: deadlines.Policy, now: datetime) -> datetime | None:
    """When the current watcher next needs to look at the case (None: never)."""
    decision = decide(case, gen=case.watch_gen, now=now, policy=policy)
    if decision.action == "done":
        return None
    return decision.until or now


def needs_new_watcher(before: Case | None, after: Case, policy: deadlines.Policy, now: datetime) -> bool:
    """True when the running execution would look too late: the change made a
    deadline earlier (or added an escalation notice), and it is waiting for the
    old time. A new generation starts; the old one ends at its next look."""
    if not after.is_open:
        return False
    if before is None:
        return True
    wanted = next_check(after, policy, now)
    scheduled = next_check(before, policy, now)
    return wanted is not None and (scheduled is None or wanted < scheduled - timedelta(seconds=1))


def escalate_missed(case: Case, key: str, now: datetime, policy: deadlines.Policy) -> Change:
    """A deadline passed unmet: raise the case one tier (front desk, manager,
    director) and remember it, so the same miss is not escalated twice.
    ``key`` "major": the manager has not judged a major complaint within the
    escalation step, so it goes up to the director (``raise_major``)."""
    if key == "major":
        return raise_major(case, now, policy)

    def mutate(c: Case) -> dict[str, Any]:
        previous = c.escalations.get(key) or {}
        same_miss = previous.get("due") == iso(c.deadlines[key].due)
        count = (previous.get("count", 0) if same_miss else 0) + 1
        # The n-th step of one miss reaches the n-th tier above the front desk, never
        # lower than the case is: two deadlines missed together (hand-off and reply)
        # or a major complaint already with its manager do not climb twice at once.
        c.tier = max(c.tier, TIERS[min(count, len(TIERS) - 1)], key=TIERS.index)
        c.escalations[key] = {"count": count, "tier": c.tier,
                              "at": iso(now), "due": iso(c.deadlines[key].due), "notified": False}
        return {"reason": "missed_deadline", "deadline": key, "due": iso(c.deadlines[key].due),
                "automatic": True}
    return _apply(case, "escalate", WATCHER, now, policy, mutate)


def raise_major(case: Case, now: datetime, policy: deadlines.Policy) -> Change:
    """The department manager has not acted on a major complaint within the
    escalation step (counted in working time): the director takes it and is told."""
    def mutate(c: Case) -> dict[str, Any]:
        previous = c.escalations["major"]
        c.tier = tier_above(c.tier) or c.tier
        c.escalations["major"] = {"count": previous.get("count", 0) + 1, "tier": c.tier, "at": iso(now),
                                  "notified": False, "decided": "automatic"}
        return {"reason": "major_not_judged", "deadline": "major", "automatic": True}
    return _apply(case, "escalate", WATCHER, now, policy, mutate)


# A Standard execution may run for one year at most: well before that, a
# watcher hands over to a fresh generation (see WatchService.check).
RENEW_AFTER = timedelta(days=330)


def needs_renewal(started: datetime | None, now: datetime) -> bool:
    return started is not None and now - started >= RENEW_AFTER


def renew(case: Case, now: datetime, policy: deadlines.Policy) -> Change:
    """The next watcher generation takes over (the running one ends at its next look)."""
    def mutate(c: Case) -> dict[str, Any]:
        c.watch_gen += 1
        return {"gen": c.watch_gen, "reason": "execution_age"}
    return _apply(case, "watch_renewed", WATCHER, now, policy, mutate)


def mark_notified(case: Case, key: str, recipients: list[str], now: datetime,
                  policy: deadlines.Policy, *, deferred_to: str | None = None) -> Change:
    """Record who was told about an escalation (or a major complaint), and
    ``deferred_to``: the tier owner who, off duty, hears of it in the morning
    digest instead (``deferred_owner``, ``morning_digest``)."""
    def mutate(c: Case) -> dict[str, Any]:
        record = dict(c.escalations[key])
        record["notified"] = True
        record["recipients"] = recipients
        record["notified_at"] = iso(now)
        data = {"about": key, "recipients": recipients, "tier": record.get("tier")}
        if deferred_to:
            record["deferred_to"] = data["deferred_to"] = deferred_to
        c.escalations[key] = record
        return data
    return _apply(case, "escalation_notified", WATCHER, now, policy, mutate)


def mark_unrouted(case: Case, key: str, now: datetime, policy: deadlines.Policy) -> Change:
    """Nobody could be told (the property has no address for the tier, nor an
    on-duty desk): say so on the trail, never "notified"."""
    def mutate(c: Case) -> dict[str, Any]:
        record = dict(c.escalations[key])
        record.update(notified=False, unrouted=True, recipients=[])
        c.escalations[key] = record
        return {"about": key, "recipients": [], "tier": record.get("tier"), "reason": "no_recipient"}
    return _apply(case, "escalation_unrouted", WATCHER, now, policy, mutate)


# --- who is told, by day and by night -------------------------------------------
# The one home of "who hears of what": an escalation (``recipients``), a due
# follow-up call (``callback_reminder_recipient``) and a shift handover
# (``handover_recipients``). The addresses are the property's ``contacts``: one
# per tier of the ladder (``TIERS``, chalicelib/domain/cases.py) and ``on_duty``, the
# on-duty desk in the security control room, who stands in after hours.
#
# Every tier of the ladder and the after-hours desk needs an address, or an
# escalation would reach nobody (see ``missing_contacts``).
REQUIRED_CONTACTS = (*TIERS, "on_duty")
# A department may name its own people for the ladder's tiers (property setting
# ``department_contacts: {"engineering": {"manager": ...}}``): tier 2 is the
# manager of the case's department. The on-duty desk is the property's.
DEPARTMENT_CONTACT_TIERS = TIERS


def contacts_for(contacts: dict[str, str], department_contacts: dict[str, dict[str, str]],
                 department: str | None) -> dict[str, str]:
    """The addresses for a case of ``department``: its department's own, falling
    back to the property's ``contacts`` for any tier the department leaves out."""
    own = department_contacts.get(department or "") or {}
    return {**contacts, **{tier: a for tier, a in own.items() if tier in DEPARTMENT_CONTACT_TIERS and a}}


def missing_contacts(contacts: dict[str, str]) -> list[str]:
    """The contacts a property's settings leave without an address."""
    return [name for name in REQUIRED_CONTACTS if not (contacts.get(name) or "").strip()]


def _urgent(case: Case, key: str) -> bool:
    """A major complaint reaching its department manager: the one matter the
    on-duty desk reports to the manager at once, whatever the hour (seed 000
    篇3 3.3, "立即向各自經理領導匯報"; seed 003 4.7.1)."""
    return key == "major" and case.escalations[key].get("tier") == MAJOR_TIER


def recipients(case: Case, key: str, contacts: dict[str, str], policy: deadlines.Policy,
               now: datetime) -> list[str]:
    """Who hears of an escalation (``contacts``: ``contacts_for`` the case's
    department). In working time, the tier now holding the case. After hours,
    the on-duty desk (the security control room): nobody off duty is mailed at
    02:00; the tier owner gets it in the morning digest (``deferred_owner``).
    The exception is urgent: a major complaint reaches its department manager at
    once through the on-duty desk, day or night; the manager judges whether the
    director hears of it (or the watcher raises it after the escalation step)."""
    tier = case.escalations[key].get("tier", case.tier)
    if deadlines.is_working_time(now, policy):
        people = [contacts.get(tier)]
    else:
        people = [contacts.get("on_duty")]
        if _urgent(case, key):
            people.append(contacts.get(tier))
    found = [p for p in people if p]
    return list(dict.fromkeys(found)) or [c for c in (contacts.get("on_duty"), contacts.get("front_desk")) if c]


def deferred_owner(case: Case, key: str, contacts: dict[str, str], policy: deadlines.Policy,
                   now: datetime, told: list[str]) -> str | None:
    """The tier owner who was not mailed because it is after hours, and hears of
    the case in the morning digest instead (None in working time, or when told)."""
    if deadlines.is_working_time(now, policy):
        return None
    owner = contacts.get(case.escalations[key].get("tier", case.tier))
    return owner if owner and owner not in told else None


def overnight_since(at: datetime, policy: deadlines.Policy) -> datetime:
    """The close of the last working day before ``at``'s local date (Monday
    08:00 -> Friday 18:00): the night (or weekend) a morning digest covers."""
    day = at.astimezone(policy.tz).date()
    for _ in range(deadlines.MAX_SCAN_DAYS):
        day -= timedelta(days=1)
        if deadlines.is_working_day(day, policy):
            break
    return datetime.combine(day, policy.work_end, tzinfo=policy.tz).astimezone(timezone.utc)


def starts_working_day(shift_start: datetime, shift_end: datetime, policy: deadlines.Policy) -> bool:
    """Whether the handover at ``shift_end`` is the first of a working day in
    working time: the one that carries the morning digest."""
    if not deadlines.is_working_time(shift_end, policy):
        return False
    local = shift_end.astimezone(policy.tz)
    opened = datetime.combine(local.date(), policy.work_start, tzinfo=policy.tz).astimezone(timezone.utc)
    return shift_start < opened


def morning_digest(cases: list[Case], since: datetime, until: datetime) -> dict[str, list[dict[str, Any]]]:
    """What moved to each tier owner while they were off duty: address -> one
    item per escalation deferred to them (``mark_notified``'s ``deferred_to``)
    in ``[since, until)``, of cases still open, oldest first."""
    found: dict[str, list[dict[str, Any]]] = {}
    for case in sorted(cases, key=lambda c: c.case_id):
        if not case.is_open:
            continue
        for key, record in sorted(case.escalations.items()):
            owner, at = record.get("deferred_to"), record.get("notified_at")
            if not owner or not at or not since <= parse_iso(at) < until:
                continue
            found.setdefault(owner, []).append({
                "case_id": case.case_id, "unit": case.unit, "about": key, "tier": record.get("tier"),
                "department": case.department, "at": at, "content": case.content[:80]})
    for items in found.values():
        items.sort(key=lambda i: (i["at"], i["case_id"]))
    return found


def callback_reminder_recipient(contacts: dict[str, str]) -> str | None:
    """Who is reminded of a due follow-up call: the front desk, who makes it
    (the on-duty desk when the property names no front desk)."""
    return contacts.get("front_desk") or contacts.get("on_duty") or None


def handover_recipients(contacts: dict[str, str]) -> list[str]:
    """Who gets a shift handover summary: both sides that sign it, customer
    service (the front desk) and the security control room (the on-duty desk)."""
    return [a for a in dict.fromkeys((contacts.get("front_desk"), contacts.get("on_duty"))) if a]


def wake_time(at: datetime) -> str:
    """When to look again, as RFC 3339 in whole seconds, rounded up: never early
    (the form a Step Functions Wait state's TimestampPath takes)."""
    at = at.astimezone(timezone.utc)
    seconds = math.ceil(at.timestamp())
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

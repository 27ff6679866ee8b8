"""The case and its lifecycle: pure rules, no AWS, no HTTP, no clock.

Every action is a function of (case, actor, params, now, policy) that returns a
``Change``: the new case and the audit event describing what moved. Storage
writes both in one transaction; nothing here knows how.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from chalicelib.domain import deadlines
from chalicelib.domain.auth import STAFF_ROLES
from chalicelib.domain.errors import Conflict, Forbidden, IllegalTransition, ValidationFailed

KINDS = ("consultation", "complaint", "request")
CHANNELS = ("app", "web", "email", "phone", "walk_in", "letter")
TENANT_CHANNELS = ("app", "web")
STAFF_CHANNELS = ("phone", "walk_in", "letter", "email")
# A visitor without an account, through the public web form (chalicelib/domain/public_form.py).
VISITOR_CHANNELS = ("web",)
WRITTEN_CHANNELS = frozenset({"email", "letter"})
CATEGORIES = (
    "air_conditioning", "security", "cleaning", "noise_renovation", "public_facility",
    "in_unit_repair", "parking", "pest", "mail_parcel", "landscaping", "service_attitude",
    "billing", "other",
)
VALIDITIES = ("valid", "invalid")
SEVERITIES = ("general", "major")
CAUSES = ("business_affected", "outside_control", "equipment_facility", "other")
TIERS = ("front_desk", "manager", "director")
STATUSES = ("received", "routed", "in_progress", "responded", "awaiting_tenant", "resolved", "callback_done",
            "closed")
OPEN_STATUSES = frozenset(STATUSES) - {"closed"}
RESPONSE_VIA = ("app", "phone", "in_person", "email", "sms", "letter")
# Kinds whose response, when it does not resolve, promises the tenant a time (seed 001, 003 4.7.1).
PROMISING_KINDS = frozenset({"complaint", "request"})
# Why staff wait on the tenant: a question asked, the tenant not reached, access to the unit needed.
AWAIT_REASONS = ("question", "unreachable", "access")
# How a manager closes a case the callback could not end: nobody reached after
# the policy's attempts, or a tenant not satisfied whose case is closed anyway.
MANAGER_CLOSE_REASONS = ("unreachable", "unsatisfied")
MANAGER_ROLES = frozenset({"manager", "director", "admin"})
# No promise, even a moved one, lies further ahead: a typo (year 9999) must be a 4xx, not a date overflow later.
MAX_PROMISE_AHEAD = timedelta(days=366)
# Working statuses a wait on the tenant may start from (and returns to).
WAITABLE = frozenset({"routed", "in_progress", "responded"})
LANGS = ("zh-Hans", "zh-Hant", "en")
MAX_CONTENT = 5000
# How far back a caller's "it happened at" may lie: older is a typo, not an event.
MAX_OCCURRED_BEFORE = timedelta(days=366)

# Which statuses each action may start from. One table, so the lifecycle is
# readable in one place; ``_guard`` turns a miss into a 409.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "classify": OPEN_STATUSES,
    "assign": frozenset({"received", "routed", "in_progress", "responded", "awaiting_tenant"}),
    "start": frozenset({"routed"}),
    # received: the front desk answers on the phone before any hand-off, and
    # resolves on the spot what it can (seed 001: 能当时解决当时解决); the
    # hand-off window is then met (``recompute_deadlines``).
    "respond": frozenset({"received", "routed", "in_progress", "responded"}),
    "resolve": frozenset({"received", "in_progress", "responded"}),
    "callback": frozenset({"resolved"}),
    # The tenant answers the follow-up in the app (``confirm``): the callback, by them.
    "confirm": frozenset({"resolved"}),
    "close": frozenset({"callback_done"}),
    "answer": frozenset({"received", "routed", "in_progress", "responded"}),  # responded: a written reply went out
    "explain": frozenset({"received", "routed", "in_progress", "responded"}),
    # The department manager confirms or rejects the front desk's "invalid" (seed 003 4.5.1).
    "confirm_invalid": frozenset({"received", "routed", "in_progress", "responded"}),
    "reject_invalid": frozenset({"received", "routed", "in_progress", "responded"}),
    "reopen": frozenset({"resolved", "callback_done", "closed"}),  # closed: within policy.reopen_period
    "escalate": OPEN_STATUSES,
    "note": frozenset(STATUSES),
    "message": OPEN_STATUSES,
    "rate": frozenset({"resolved", "callback_done", "closed"}),
    "written_reply": frozenset(STATUSES),
    "escalation_notified": OPEN_STATUSES,  # the watcher records who it told (chalicelib/domain/escalation.py)
    "escalation_unrouted": OPEN_STATUSES,  # the watcher found nobody to tell (chalicelib/domain/escalation.py)
    "watch_renewed": OPEN_STATUSES,  # the watcher hands over to a fresh execution (chalicelib/domain/escalation.py)
    "policy_changed": OPEN_STATUSES,  # the property's policy changed: deadlines recomputed (``policy_changed``)
    "move_promise": frozenset({"in_progress", "responded", "awaiting_tenant"}),
    "await_tenant": WAITABLE,
    "resume": frozenset({"awaiting_tenant"}),
    "close_unreachable": frozenset({"resolved"}),
    # The watcher's notices that raise no tier: a promise about to fall due, a
    # wait on the tenant that ran out (chalicelib/domain/escalation.py).
    "watch_notice": OPEN_STATUSES,
    # The tenant (or the front desk for them) allows or refuses entry with the spare
    # key, while the work is still to do (a resolved case needs no entry).
    "entry_permission": frozenset({"received", "routed", "in_progress", "responded", "awaiting_tenant"}),
    # A key of the register was lent for the case / came back (chalicelib/domain/keys.py):
    # the system's record, also after the case closed (a key returned late).
    "key_entry": frozenset(STATUSES),
    # Staff match a case's free-text unit to a place in the owner archive (chalicelib/domain/archive.py).
    "locate": frozenset(STATUSES),
    # The case library (chalicelib/domain/library.py): the case was proposed as an entry, an entry helped.
    "library_proposed": frozenset(STATUSES),
    "used_entry": frozenset(STATUSES),
    "staff_read": frozenset(STATUSES),  # a staff member opened a case the tenant wrote on (``staff_read``)
}


@dataclass(frozen=True)
class Actor:
    """Who did something: a tenant, a staff member, or the system itself."""

    id: str
    role: str
    name: str = ""


@dataclass
class Deadline:
    due: datetime
    met_at: datetime | None = None

    def overdue(self, now: datetime) -> bool:
        return self.met_at is None and now > self.due

    def to_dict(self) -> dict[str, Any]:
        return {"due": iso(self.due), "met_at": iso(self.met_at) if self.met_at else None,
                "met_on_time": (self.met_at <= self.due) if self.met_at else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Deadline:
        return cls(due=parse_iso(data["due"]), met_at=parse_iso(data["met_at"]) if data.get("met_at") else None)


@dataclass
class Case:
    property_id: str
    case_id: str
    unit: str
    reporter: dict[str, Any]  # {"tenant_id"?, "name", "phone"?, "email"?}
    contact: str
    channel: str
    content: str
    created_at: datetime
    recorder: str | None = None
    title: str = ""
    category: str | None = None
    kind: str | None = None
    validity: str | None = None
    # "invalid" is the front desk's proposal until a manager confirms it
    # (``confirm_invalid``); only a confirmed invalid complaint is explained away.
    validity_confirmed: bool = False
    severity: str = "general"
    cause: str | None = None
    department: str | None = None
    assignee: str | None = None
    tier: str = "front_desk"
    status: str = "received"
    lang: str = "zh-Hans"
    written: bool = False
    verified: bool = True
    clock_start: datetime | None = None  # response window start; moves on reopen
    routed_at: datetime | None = None
    diagnosed_at: datetime | None = None  # work started or the cause named (the commercial plan's diagnosis)
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    callback_done_at: datetime | None = None
    closed_at: datetime | None = None
    callback: dict[str, Any] | None = None
    rating: dict[str, Any] | None = None
    mail_thread: list[str] = field(default_factory=list)  # message ids of the email conversation, oldest first
    # The deadline watcher (see chalicelib/domain/escalation.py): which Step Functions
    # execution generation is current, and the escalations it has made, by
    # deadline name ("handoff", "response", "callback") or "major".
    watch_gen: int = 1
    escalations: dict[str, dict[str, Any]] = field(default_factory=dict)
    deadlines: dict[str, Deadline] = field(default_factory=dict)
    # Windows a reopen replaced, as {"name", "due", "met_at"}: the statistics keep
    # every window a case had (chalicelib/domain/stats.py), not only the current ones.
    earlier_deadlines: list[dict[str, Any]] = field(default_factory=list)
    # The closed case this one repeats: the tenant's problem came back after the
    # reopen period (``reopen_until``), so it is a new case that points back.
    repeat_of: str | None = None
    # The time promised to the tenant by a response that did not resolve:
    # {"due", "at", "by", "moves"} (ISO times), None until promised; a reopen clears it.
    promise: dict[str, Any] | None = None
    # While awaiting the tenant: {"at", "from" (the status to return to),
    # "reason", "windows" (the unmet windows it paused)}.
    pause: dict[str, Any] | None = None
    # The tenant's word on entering the unit with the company's spare key (seed 000 篇2):
    # {"granted", "slots": [{"from", "to"}], "note", "at", "by"}; None: not asked yet.
    entry_permission: dict[str, Any] | None = None
    # Where it happened, from the owner archive (chalicelib/domain/archive.py
    # resolve_location): {"kind", "building_id"?, "unit_id"?, "room_id"?,
    # "area_id"?, "label"}; None for a free-text ``unit`` only (email, unknown callers).
    location: dict[str, Any] | None = None
    # When the event happened, as the caller says (never after receipt); None: not given.
    occurred_at: datetime | None = None
    version: int = 0
    updated_at: datetime | None = None
    # Staff are told when the tenant writes (``staff_attention``): how many of the
    # tenant's messages, ratings or reopenings no staff member has seen, and when
    # the last came. Staff-only fields (chalicelib/domain/views.py).
    unread_for_staff: int = 0
    tenant_wrote_at: str | None = None
    # The tenant says it affects their shop's business (the app's checkbox, the web form's):
    # their word, not a classification; ``classify`` takes cause business_affected from it
    # when the classifier names no cause (``default_cause``).
    business_affected: bool = False
    # Duplicates and repeats across channels (chalicelib/domain/duplicates.py and dedupe.py):
    # the suggestions found on submit ({"case_id", "score", "kind", "same_reporter"}, staff
    # only), the owner case a linked case follows and the cases following an owner (staff
    # only), the case this one was merged into (its tenant sees it) and the cases merged
    # into this one ({"case_id", "attachments", "messages"}, staff only).
    possible_duplicates: list[dict[str, Any]] = field(default_factory=list)
    follows: str | None = None
    followers: list[str] = field(default_factory=list)
    merged_into: str | None = None
    merged: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.property_id}#{self.case_id}"

    @property
    def tenant_id(self) -> str | None:
        return self.reporter.get("tenant_id")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def paused(self, name: str) -> bool:
        """Whether deadline ``name`` is paused now (the case awaits the tenant)."""
        return self.pause is not None and name != "waiting"

    def next_due(self) -> datetime | None:
        """The earliest unmet deadline of an open case: what the queue sorts by.
        While the case awaits the tenant, its windows are paused: only the
        limit of the wait itself is due."""
        if not self.is_open:
            return None
        pending = [d.due for name, d in self.deadlines.items() if d.met_at is None and not self.paused(name)]
        return min(pending) if pending else None


@dataclass
class Event:
    """One line of the audit trail: written in the same transaction as the change."""

    seq: int
    at: datetime
    actor: Actor
    action: str
    changes: dict[str, dict[str, Any]]
    data: dict[str, Any]


@dataclass
class Change:
    case: Case
    event: Event


@lru_cache(maxsize=64)
def iso(value: datetime) -> str:
    """UTC, to the microsecond. Cached: a submit formats the same instant ~20 times
    (equal datetimes are the same instant, whatever their zone, so one answer fits all)."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Deadline):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")


def _clean_text(value: str | None, field_name: str, *, max_len: int, required: bool = True) -> str:
    text = (value or "")
    if required and not text.strip():
        raise ValidationFailed(f"{field_name} must not be empty", details={"field": field_name})
    if len(text) > max_len:
        raise ValidationFailed(f"{field_name} is longer than {max_len} characters", details={"field": field_name})
    return text


# --- creation ---------------------------------------------------------------

def new_case(*, property_id: str, case_id: str, actor: Actor, params: dict[str, Any], now: datetime,
             policy: deadlines.Policy) -> Change:
    """A case as received. ``params`` is a validated submission (tenant) or a
    staff log entry; ``actor`` is the tenant or the staff member recording it."""
    _require_aware(now)
    channel = params.get("channel") or ("app" if actor.role == "tenant" else "")
    allowed = (TENANT_CHANNELS if actor.role == "tenant" else VISITOR_CHANNELS if actor.role == "visitor"
               else STAFF_CHANNELS)
    if channel not in allowed:
        raise ValidationFailed(f"channel must be one of {', '.join(allowed)}", details={"field": "channel"})
    content = _clean_text(params.get("content"), "content", max_len=MAX_CONTENT)
    reporter = dict(params.get("reporter") or {})
    if actor.role == "tenant":
        reporter["tenant_id"] = actor.id
        reporter.setdefault("name", actor.name)
        recorder = None
    else:
        if not (reporter.get("name") or "").strip():
            raise ValidationFailed("a logged case needs the caller's name", details={"field": "reporter.name"})
        if channel in ("phone", "walk_in") and not (reporter.get("phone") or params.get("contact")):
            raise ValidationFailed("a phone or walk-in case needs the caller's phone",
                                   details={"field": "reporter.phone"})
        recorder = actor.id
    contact = params.get("contact") or reporter.get("phone") or reporter.get("email") or ""
    location = params.get("location")
    if location is not None and not location.get("label"):
        raise ValueError("a case's location is resolved against the archive first (archive.resolve_location)")
    case = Case(
        property_id=property_id, case_id=case_id,
        unit=_clean_text(params.get("unit") or (location or {}).get("label"), "unit", max_len=200),
        reporter=reporter, contact=contact, channel=channel, content=content,
        title=_clean_text(params.get("title"), "title", max_len=200, required=False),
        created_at=now, recorder=recorder,
        category=params.get("category"), kind=params.get("kind"),
        lang=params.get("lang") or "zh-Hans",
        written=channel in WRITTEN_CHANNELS,
        verified=params.get("verified", True),
        mail_thread=[params["mail_message_id"]] if params.get("mail_message_id") else [],
        repeat_of=params.get("repeat_of"),
        location=location, occurred_at=occurred_time(params.get("occurred_at"), now),
        business_affected=params.get("business_affected") is True,
        clock_start=now, version=0, updated_at=now,
    )
    if actor.role != "tenant":
        # Staff logging a call may classify at once; tenants cannot judge severity.
        for name in ("validity", "severity", "cause", "department"):
            if params.get(name) is not None:
                setattr(case, name, params[name])
        if case.cause:
            case.diagnosed_at = now  # the caller's cause was judged as it was logged
    if case.severity == "major":
        take_major(case, now)
    recompute_deadlines(case, policy)
    data: dict[str, Any] = {"channel": channel, "content": content, "unit": case.unit,
                            "attachments": params.get("attachments") or []}
    if case.repeat_of:
        data["repeat_of"] = case.repeat_of
    if case.location:
        data["location"] = case.location
    if case.occurred_at:
        data["occurred_at"] = iso(case.occurred_at)
    if case.business_affected:
        data["business_affected"] = True
    event = Event(seq=1, at=now, actor=actor, action="submitted", changes={}, data=data)
    case.version = 1
    return Change(case, event)


def occurred_time(value: Any, now: datetime) -> datetime | None:
    """When the event happened (``occurred_at``, optional): an ISO date and time
    with its offset, not after ``now`` (the case's receipt) and at most
    ``MAX_OCCURRED_BEFORE`` earlier; else ``ValidationFailed`` naming the field."""
    if value in (None, ""):
        return None
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed("occurred_at must be an ISO 8601 date and time with its offset",
                               details={"field": "occurred_at"}) from None
    if at.tzinfo is None:
        raise ValidationFailed("occurred_at needs its UTC offset (e.g. +08:00)", details={"field": "occurred_at"})
    if at > now:
        raise ValidationFailed("occurred_at is in the future", code="occurred_in_future",
                               details={"field": "occurred_at"})
    if at < now - MAX_OCCURRED_BEFORE:
        raise ValidationFailed("occurred_at is more than a year ago", details={"field": "occurred_at"})
    return at.astimezone(timezone.utc)


# --- the escalation ladder ------------------------------------------------------
# The one home of the tier order (``TIERS``), of "one tier up" and of "a major
# complaint goes to the manager"; the watcher (chalicelib/domain/escalation.py) and staff's
# escalate action both climb through ``tier_above``. Who is *told* at each tier,
# by day and by night, lives in chalicelib/domain/escalation.py (recipients).

MAJOR_TIER = "manager"


def tier_above(tier: str) -> str | None:
    """The next tier up the ladder (front desk, department manager, director), or None at the top."""
    index = TIERS.index(tier)
    return TIERS[index + 1] if index + 1 < len(TIERS) else None


def take_major(case: Case, now: datetime) -> None:
    """A major complaint goes straight to the department manager (never lower;
    a director keeps it), who judges whether to raise it to the director
    (seed 003 4.7.1, "經部門經理判斷上報給總監"; see ``mark_major``)."""
    if TIERS.index(case.tier) < TIERS.index(MAJOR_TIER):
        case.tier = MAJOR_TIER
    mark_major(case, now)


def mark_major(case: Case, now: datetime) -> None:
    """The tier now holding a major complaint is told at once: the watcher sends
    that notice (``notified`` flips when it has). The manager's judgement is
    awaited (``decided``, see ``note_major_decision``); without it the watcher
    raises the case to the director after the policy's escalation step
    (chalicelib/domain/escalation.py)."""
    if "major" not in case.escalations:
        case.escalations["major"] = {"count": 0, "tier": case.tier, "at": iso(now), "notified": False}


# Who judges a major complaint: its department manager, or anyone above.
MAJOR_DECIDERS = frozenset({"manager", "director", "admin"})


def note_major_decision(case: Case, actor: Actor, now: datetime) -> None:
    """Any action a manager (or above) takes on a major complaint is their
    judgement of it: raising it (``escalate``) or keeping it and acting. Either
    way the watcher no longer raises it by itself."""
    record = case.escalations.get("major")
    if record is not None and actor.role in MAJOR_DECIDERS and not record.get("decided"):
        case.escalations["major"] = {**record, "decided": iso(now), "decided_by": actor.id}


# --- deadlines --------------------------------------------------------------

def recompute_deadlines(case: Case, policy: deadlines.Policy) -> None:
    """Derive every deadline from the facts on the case, so that none goes stale
    when the case is reclassified, reopened or its cause changes. Met times are
    facts and are kept."""
    start = case.clock_start or case.created_at
    # Which fact meets each window, and from when it counts: deadlines.tracked_windows.
    acknowledged = min((t for t in (case.routed_at, case.responded_at) if t is not None), default=None)
    counted: dict[str, tuple[datetime, datetime | None]] = {
        "response": (start, case.responded_at), "feedback": (start, case.responded_at),
        "acknowledge": (case.created_at, acknowledged), "diagnosis": (case.created_at, case.diagnosed_at),
        "plan": (start, case.responded_at),
    }
    result: dict[str, Deadline] = {
        "handoff": Deadline(deadlines.add_window(case.created_at, policy.handoff, policy), case.routed_at),
    }
    for name, window in deadlines.tracked_windows(policy, case.kind, case.cause).items():
        begin, met = counted[name]
        result[name] = Deadline(deadlines.add_window(begin, window, policy), met)
    if case.routed_at is None and case.responded_at is not None:
        # Answered at the desk (a consultation, an invalid complaint explained,
        # a call answered or resolved on the spot): nobody else needed it handed over.
        result["handoff"].met_at = case.responded_at
    if case.resolved_at is not None:
        result["callback"] = Deadline(deadlines.add_window(case.resolved_at, policy.callback, policy),
                                      case.callback_done_at)
    if case.promise is not None:
        result["promise"] = Deadline(parse_iso(case.promise["due"]), case.resolved_at)
    if case.pause is not None:
        result["waiting"] = Deadline(deadlines.add_window(parse_iso(case.pause["at"]), policy.awaiting_tenant,
                                                          policy))
    case.deadlines = result


# --- actions ----------------------------------------------------------------

def invalid_proposed(case: Case) -> bool:
    """The front desk classified the complaint invalid; no manager has confirmed it yet."""
    return case.kind == "complaint" and case.validity == "invalid" and not case.validity_confirmed


def invalid_confirmed(case: Case) -> bool:
    """A manager confirmed the complaint invalid (outside the service promise, seed 003 4.5.3)."""
    return case.kind == "complaint" and case.validity == "invalid" and case.validity_confirmed


# What the case itself must be, beyond its status, for an action: checked by
# ``_guard`` (so ``lifecycle_allows`` and the ``actions`` a client is offered
# agree with the 409), as (condition, message).
REQUIRES: dict[str, tuple[Callable[[Case], bool], str]] = {
    "confirm_invalid": (invalid_proposed, "only a complaint the front desk proposed as invalid is confirmed invalid"),
    "reject_invalid": (invalid_proposed,
                       "only a complaint the front desk proposed as invalid is rejected back to valid"),
    "explain": (invalid_confirmed, "only a complaint a manager confirmed invalid is explained and closed"),
}


def _guard(case: Case, action: str) -> None:
    if case.status not in ALLOWED_FROM[action]:
        raise IllegalTransition(
            f"cannot {action} a case that is {case.status}",
            details={"status": case.status, "action": action,
                     "allowed_from": sorted(ALLOWED_FROM[action])})
    if action in REQUIRES and not REQUIRES[action][0](case):
        # A proposal waiting for the manager is its own code: the client says "ask the manager".
        code = "invalid_not_confirmed" if action == "explain" and invalid_proposed(case) else None
        raise IllegalTransition(REQUIRES[action][1], code=code, details={
            "kind": case.kind, "validity": case.validity, "validity_confirmed": case.validity_confirmed,
            "action": action})
    if action in NEEDS_WRITTEN_REPLY and written_reply_outstanding(case):
        raise IllegalTransition(
            f"a written complaint gets an approved written reply before it can {action}",
            code="written_reply_required",
            details={"channel": case.channel, "action": action, "status": case.status})


def lifecycle_allows(case: Case, action: str) -> bool:
    """Whether the case as it stands lets ``action`` be taken now: its status
    (``ALLOWED_FROM``), what the case must be (``REQUIRES``) and the written-reply
    rule, exactly as ``_guard`` checks them. What the caller's role and scope allow is chalicelib/domain/auth.py's."""
    try:
        _guard(case, action)
    except IllegalTransition:
        return False
    return True


# --- written cases (the operator's rule: a written complaint gets a written
# reply after a leader's approval) ------------------------------------------------
#
# A written (email, letter) case's response window is met only by an approved
# written reply that went out: an email sent, a letter marked posted
# (``written_reply`` below). A phone call or a visit is still recorded on the
# trail but meets nothing. The case cannot be resolved until that reply has
# gone out, so neither can it be called back or closed: resolving is where the
# handling is reported done and the callback window starts, and the callback
# asks the tenant to confirm a handling whose answer, for a written complaint,
# is the approved reply. ``answer`` and ``explain`` close in one step, so they
# wait for it too; ``close`` is listed as well for cases resolved before this rule.

NEEDS_WRITTEN_REPLY = frozenset({"resolve", "answer", "explain", "close", "close_unreachable"})


def meets_response_window(case: Case, action: str) -> bool:
    """Whether ``action`` (a response to the tenant) meets the case's response window."""
    return action == "written_reply" or not case.written


def written_reply_outstanding(case: Case) -> bool:
    """A written case whose current response window has no approved written
    reply yet (``responded_at`` of a written case is set only by one; reopening
    starts a fresh window that needs its own)."""
    return case.written and case.responded_at is None


_TRACKED = ("status", "kind", "validity", "severity", "category", "cause", "department", "assignee", "tier",
            "validity_confirmed", "deadlines", "rating", "callback", "escalations", "promise", "pause", "location",
            "business_affected")


def _apply(case: Case, action: str, actor: Actor, now: datetime, policy: deadlines.Policy,
           mutate: Callable[[Case], dict[str, Any] | None]) -> Change:
    _require_aware(now)
    _guard(case, action)
    before = copy.deepcopy(case)
    after = copy.deepcopy(case)
    data = mutate(after) or {}
    staff_attention(after, actor, action, now)
    note_major_decision(after, actor, now)
    recompute_deadlines(after, policy)
    after.version = before.version + 1
    after.updated_at = now
    changes = {}
    for name in _TRACKED:
        old, new = _plain(getattr(before, name)), _plain(getattr(after, name))
        if old != new:
            changes[name] = {"from": old, "to": new}
    return Change(after, Event(seq=after.version, at=now, actor=actor, action=action, changes=changes, data=data))


# --- staff are told when the tenant writes ---------------------------------------

# What a tenant writes on their case that staff should read.
TENANT_WRITES = frozenset({"message", "rate", "reopen", "confirm"})


def staff_attention(case: Case, actor: Actor, action: str, now: datetime) -> None:
    """The unread marker (mutates ``case``): a tenant's message, rating or
    reopening adds one; any staff action on the case clears it (they acted
    on it, so they saw it). The system's own writes leave it as it is."""
    if actor.role == "tenant" and action in TENANT_WRITES:
        case.unread_for_staff += 1
        case.tenant_wrote_at = iso(now)
    elif actor.role in STAFF_ROLES:
        case.unread_for_staff = 0


def staff_read(case: Case, actor: Actor, now: datetime) -> Change | None:
    """A staff member opened a case with unread tenant writing: the marker is
    cleared, with an internal event saying who read it. None when nothing is
    unread (opening a case writes nothing then). Not an action: nothing else
    about the case changes, and a manager reading a major complaint has not
    yet judged it (``note_major_decision`` is not applied)."""
    _require_aware(now)
    if case.unread_for_staff == 0 or actor.role not in STAFF_ROLES:
        return None
    after = copy.deepcopy(case)
    after.unread_for_staff = 0
    after.version = case.version + 1
    event = Event(seq=after.version, at=now, actor=actor, action="staff_read",
                  changes={"unread_for_staff": {"from": case.unread_for_staff, "to": 0}}, data={})
    return Change(after, event)


def classify(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """Set kind, validity, severity, category, cause, department. A major
    complaint goes straight to the manager tier."""
    def mutate(c: Case) -> dict[str, Any]:
        for name in ("kind", "validity", "severity", "category", "cause", "department"):
            if name in params:
                setattr(c, name, params[name])
        c.cause = default_cause(c, params)
        if c.kind != "complaint":
            c.validity = None
        if (c.kind, c.validity) != (case.kind, case.validity):
            c.validity_confirmed = False  # a new judgement is the front desk's proposal again
        if c.kind == "complaint" and c.severity == "major":
            take_major(c, now)
        if c.cause and c.diagnosed_at is None:
            c.diagnosed_at = now
        return {"reason": params.get("reason")} if params.get("reason") else {}
    if not any(name in params for name in ("kind", "validity", "severity", "category", "cause", "department")):
        raise ValidationFailed("nothing to classify", details={"field": "kind"})
    if params.get("validity") and params.get("kind", case.kind) != "complaint":
        raise ValidationFailed("only complaints are judged valid or invalid", details={"field": "validity"})
    return _apply(case, "classify", actor, now, policy, mutate)


def default_cause(case: Case, params: dict[str, Any]) -> str | None:
    """The cause a classification leaves on ``case``: the one it names, else the
    case's own, else ``business_affected`` when the tenant said it affects their
    business (the 1-hour reply window, deadlines.response_window). The desk
    names another cause to overrule the tenant's word."""
    if params.get("cause") or case.cause:
        return params.get("cause") or case.cause
    return "business_affected" if case.business_affected else None


def assign(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """Hand the case to its responsible owner: this meets the 10-minute hand-off."""
    def mutate(c: Case) -> dict[str, Any]:
        c.assignee = params["assignee"]
        if params.get("department"):
            c.department = params["department"]
        if not c.department:
            raise ValidationFailed("a case is routed to a department: set department", details={"field": "department"})
        if c.status == "received":
            c.status = "routed"
        if c.routed_at is None:
            c.routed_at = now
        return {"note": params["note"]} if params.get("note") else {}
    return _apply(case, "assign", actor, now, policy, mutate)


def start(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    def mutate(c: Case) -> None:
        c.status = "in_progress"
        c.diagnosed_at = c.diagnosed_at or now  # starting work follows a diagnosis
    return _apply(case, "start", actor, now, policy, mutate)


def respond(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """A reply to the tenant, through any channel: a logged phone call counts
    as much as an app message, so the response window is met either way;
    except on a written case, where it is recorded and only an approved written
    reply meets the window (see ``meets_response_window``). An email or letter
    to a written case goes through the approval (``replies``), never this."""
    via = params.get("via", "app")
    if case.written and via in WRITTEN_CHANNELS:
        raise ValidationFailed(f"a written reply by {via} needs a manager's approval: draft it as a reply",
                               code="written_reply_required", details={"field": "via", "via": via})

    def mutate(c: Case) -> dict[str, Any]:
        c.status = "responded"
        if c.responded_at is None and meets_response_window(c, "respond"):
            c.responded_at = now
        data = {"message": params["message"], "via": via}
        if c.promise is not None:
            if params.get("promised_by"):
                raise ValidationFailed("the case already has a promised time: move it, with a reason",
                                       code="promise_exists", details={"field": "promised_by"})
        elif c.kind in PROMISING_KINDS or params.get("promised_by"):
            due = _promised_time(c, params, now, policy)
            c.promise = {"due": iso(due), "at": iso(now), "by": actor.id, "moves": 0}
            report_if_not_solved_today(c, due, now, policy)
            data["promised_by"] = iso(due)
        return data
    return _apply(case, "respond", actor, now, policy, mutate)


# --- the promised time (seed 001 "需上报确定大致时间告知业主", 003 4.7.1 "告知预计解决时间") ---
# A response that does not resolve tells the tenant when it will be: a
# complaint or a request always carries that time (the category's limit in the
# policy when staff name none); the watcher reminds the owner before it and
# escalates a missed one like any window ("promise" in ``recompute_deadlines``).

def _promised_time(case: Case, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> datetime:
    limit = deadlines.add_window(now, policy.promise_limit(case.category), policy)
    if not params.get("promised_by"):
        return limit
    due = _future_time(params["promised_by"], now)
    if due > limit:
        raise ValidationFailed("the promised time lies beyond the limit for this category",
                               code="promise_too_late", details={"field": "promised_by", "limit": iso(limit)})
    return due


def _future_time(value: Any, now: datetime) -> datetime:
    try:
        due = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        due = None
    if due is None or due.tzinfo is None:
        raise ValidationFailed("promised_by is a date and time with its offset, e.g. 2026-11-24T18:00:00+08:00",
                               code="invalid_promise", details={"field": "promised_by"})
    if due <= now:
        raise ValidationFailed("the promised time must lie in the future", code="invalid_promise",
                               details={"field": "promised_by"})
    if due > now + MAX_PROMISE_AHEAD:
        raise ValidationFailed("the promised time is more than a year ahead", code="invalid_promise",
                               details={"field": "promised_by"})
    return due.astimezone(timezone.utc)


def report_if_not_solved_today(case: Case, due: datetime, now: datetime, policy: deadlines.Policy) -> None:
    """003 4.7.1: a problem that cannot be solved in the short term is reported
    to the supervisor (the tier above) the same day: a promise beyond today's
    close of business says so. The watcher sends the notice."""
    close_of_day = datetime.combine(now.astimezone(policy.tz).date(), policy.work_end, tzinfo=policy.tz)
    if due > close_of_day:
        case.escalations["same_day_report"] = {"count": 0, "tier": tier_above(case.tier) or case.tier,
                                               "at": iso(now), "due": iso(due), "notified": False}


def move_promise(case: Case, actor: Actor, params: dict[str, Any], now: datetime,
                 policy: deadlines.Policy) -> Change:
    """Move the promised time, with the reason the tenant is told."""
    if case.promise is None:
        raise IllegalTransition("the case has no promised time to move", code="no_promise",
                                details={"action": "move_promise", "status": case.status})
    due = _future_time(params.get("promised_by"), now)

    def mutate(c: Case) -> dict[str, Any]:
        assert c.promise is not None
        previous = c.promise["due"]
        c.promise = {**c.promise, "due": iso(due), "moves": int(c.promise.get("moves", 0)) + 1}
        return {"promised_by": iso(due), "previous": previous, "reason": params["reason"]}
    return _apply(case, "move_promise", actor, now, policy, mutate)


# --- waiting on the tenant -------------------------------------------------------
# Staff asked a question, could not reach the tenant, or need access to the
# unit: the windows in force (the response window, the promise) pause until the
# tenant answers (a message, in the app or by mail) or staff resume; a wait
# longer than the policy's ``awaiting_tenant`` comes back to the front desk
# (chalicelib/domain/escalation.py).

def await_tenant(case: Case, actor: Actor, params: dict[str, Any], now: datetime,
                 policy: deadlines.Policy) -> Change:
    """The case waits on the tenant: its unmet windows stop counting."""
    def mutate(c: Case) -> dict[str, Any]:
        windows = [name for name in ("response", "promise") if name in c.deadlines and c.deadlines[name].met_at is None]
        c.pause = {"at": iso(now), "from": c.status, "reason": params["reason"], "windows": windows}
        c.status = "awaiting_tenant"
        return {"reason": params["reason"], "message": params.get("message", "")}
    return _apply(case, "await_tenant", actor, now, policy, mutate)


def resume_clock(case: Case, now: datetime, policy: deadlines.Policy) -> dict[str, Any]:
    """End the wait on ``case`` (mutated): it returns to the status it waited
    in, and each window the wait paused is due later by the working time waited
    (a wait from Friday evening to Monday morning costs the owner nothing, and
    gives them no weekend either)."""
    pause = case.pause
    if pause is None:
        return {}
    waited = max(now - parse_iso(pause["at"]), timedelta(0))
    working = deadlines.working_time_between(parse_iso(pause["at"]), now, policy)
    if "response" in pause["windows"]:
        case.clock_start = deadlines.add_working_time(case.clock_start or case.created_at, working, policy)
    if "promise" in pause["windows"] and case.promise is not None:
        case.promise = {**case.promise,
                        "due": iso(deadlines.add_working_time(parse_iso(case.promise["due"]), working, policy))}
    case.status = pause["from"]
    case.pause = None
    return {"waited_seconds": int(waited.total_seconds())}


def resume(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """Staff end the wait (the tenant answered by phone, access was given)."""
    def mutate(c: Case) -> dict[str, Any]:
        return {**resume_clock(c, now, policy), **({"note": params["note"]} if params.get("note") else {})}
    return _apply(case, "resume", actor, now, policy, mutate)


def resolve(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """Resolution starts the follow-up callback window."""
    def mutate(c: Case) -> dict[str, Any]:
        c.status = "resolved"
        c.resolved_at = now
        c.callback_done_at = None
        if c.responded_at is None:
            c.responded_at = now  # a resolution reported to the tenant is a response
        return {"resolution": params["resolution"]}
    return _apply(case, "resolve", actor, now, policy, mutate)


def record_callback(case: Case, actor: Actor, params: dict[str, Any], now: datetime,
                    policy: deadlines.Policy) -> Change:
    """Every resolved case gets a follow-up call. A call that did not reach the
    tenant is recorded too, and the case waits for the next attempt."""
    def mutate(c: Case) -> dict[str, Any]:
        attempts = (c.callback or {}).get("attempts", 0) + 1
        c.callback = {"reached": params["reached"], "satisfied": params.get("satisfied"),
                      "comment": params.get("comment", ""), "attempts": attempts, "by": actor.id,
                      "at": iso(now)}
        if params["reached"]:
            c.status = "callback_done"
            c.callback_done_at = now
        return {"reached": params["reached"], "satisfied": params.get("satisfied"),
                "comment": params.get("comment", "")}
    if params["reached"] and params.get("satisfied") is None:
        raise ValidationFailed("a callback that reached the tenant records whether they were satisfied",
                               details={"field": "satisfied"})
    return _apply(case, "callback", actor, now, policy, mutate)


MAX_CONFIRM_COMMENT = 2000


def confirm(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """The tenant answers the follow-up in the app (seed 000/003: every resolved
    case is called back, the result and the tenant's rating recorded): the
    callback, reached, by the tenant themselves (channel ``app``). It moves the
    case to ``callback_done`` and meets the callback window exactly as
    ``record_callback`` does; a "not satisfied" answer leaves the case to a
    manager (``close``). An optional ``score`` rates the handling too (once:
    409 ``already_rated``)."""
    satisfied = params.get("satisfied")
    if not isinstance(satisfied, bool):
        raise ValidationFailed("satisfied is true or false", details={"field": "satisfied"})
    comment = _clean_text(params.get("comment"), "comment", max_len=MAX_CONFIRM_COMMENT, required=False)
    score = params.get("score")
    if score is not None and (not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5):
        raise ValidationFailed("score is 1 to 5", details={"field": "score"})
    if score is not None and case.rating is not None:
        raise Conflict("this case has already been rated", code="already_rated")

    def mutate(c: Case) -> dict[str, Any]:
        attempts = (c.callback or {}).get("attempts", 0) + 1
        c.callback = {"reached": True, "satisfied": satisfied, "comment": comment, "attempts": attempts,
                      "by": actor.id, "at": iso(now), "channel": "app", "by_tenant": True}
        c.status = "callback_done"
        c.callback_done_at = now
        data: dict[str, Any] = {"reached": True, "satisfied": satisfied, "comment": comment, "channel": "app"}
        if score is not None:
            c.rating = {"score": score, "comment": comment, "at": iso(now)}
            data["score"] = score
        return data
    return _apply(case, "confirm", actor, now, policy, mutate)


def close(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """Close after the callback. A tenant who was not satisfied is not closed
    on the desk's say: a manager decides (reopen, or close with a reason)."""
    unsatisfied = case.status == "callback_done" and (case.callback or {}).get("satisfied") is False
    if unsatisfied and actor.role not in MANAGER_ROLES:
        raise Forbidden("the tenant was not satisfied: a manager decides to reopen or close with a reason",
                        code="manager_decision_required", details={"action": "close"})
    if unsatisfied and not (params.get("reason") or "").strip():
        raise ValidationFailed("closing over an unsatisfied callback needs a reason", details={"field": "reason"})

    def mutate(c: Case) -> dict[str, Any]:
        c.status = "closed"
        c.closed_at = now
        return {"summary": params.get("summary", ""), **({"reason": params["reason"]} if unsatisfied else {})}
    return _apply(case, "close", actor, now, policy, mutate)


def close_unreachable(case: Case, actor: Actor, params: dict[str, Any], now: datetime,
                      policy: deadlines.Policy) -> Change:
    """A manager closes a case whose tenant the callback could not reach after
    the policy's number of attempts (``callback_attempts``)."""
    attempts = int((case.callback or {}).get("attempts", 0))
    if attempts < policy.callback_attempts or (case.callback or {}).get("reached"):
        raise IllegalTransition(f"close as unreachable after {policy.callback_attempts} unanswered callbacks",
                                code="callback_attempts_remaining",
                                details={"attempts": attempts, "required": policy.callback_attempts})

    def mutate(c: Case) -> dict[str, Any]:
        c.status = "closed"
        c.closed_at = now
        return {"reason": "unreachable", "attempts": attempts, "summary": params.get("summary", "")}
    return _apply(case, "close_unreachable", actor, now, policy, mutate)


def answer(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """A consultation is answered at once and closed."""
    if case.kind != "consultation":
        raise IllegalTransition("only a consultation is answered and closed at once; classify it first",
                                details={"kind": case.kind, "action": "answer"})

    return _reply_and_close(case, "answer", actor, params, now, policy)


def explain(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """An invalid complaint (outside the service promise), once a manager has
    confirmed it so (``confirm_invalid``), is explained to the tenant and closed."""
    return _reply_and_close(case, "explain", actor, params, now, policy)


def confirm_invalid(case: Case, actor: Actor, params: dict[str, Any], now: datetime,
                    policy: deadlines.Policy) -> Change:
    """The department manager checks the front desk's "invalid" and confirms it
    (seed 003 4.5.1: 待部門經理核實情況,從而判定是否為有效投訴): the complaint may now
    be explained to the tenant and closed. Who may is chalicelib/domain/auth.py's."""
    def mutate(c: Case) -> dict[str, Any]:
        c.validity_confirmed = True
        return {"reason": params["reason"]} if params.get("reason") else {}
    return _apply(case, "confirm_invalid", actor, now, policy, mutate)


def reject_invalid(case: Case, actor: Actor, params: dict[str, Any], now: datetime,
                   policy: deadlines.Policy) -> Change:
    """The manager finds the complaint within the service promise: it is a valid
    complaint after all, handled like any other."""
    def mutate(c: Case) -> dict[str, Any]:
        c.validity = "valid"
        c.validity_confirmed = False
        return {"reason": params["reason"]}
    return _apply(case, "reject_invalid", actor, now, policy, mutate)


def _reply_and_close(case: Case, action: str, actor: Actor, params: dict[str, Any], now: datetime,
                     policy: deadlines.Policy) -> Change:
    """The reply given at the desk is the response, and the case is done."""
    def mutate(c: Case) -> dict[str, Any]:
        c.status = "closed"
        c.responded_at = c.responded_at or now
        c.closed_at = now
        return {"message": params["message"], "via": params.get("via", "app")}
    return _apply(case, action, actor, now, policy, mutate)


def reopen_until(case: Case, policy: deadlines.Policy) -> datetime | None:
    """Until when a closed case may be reopened (``policy.reopen_period`` after
    it closed); None for a case that is not closed."""
    if case.status != "closed" or case.closed_at is None:
        return None
    return deadlines.add_window(case.closed_at, policy.reopen_period, policy)


def require_repeatable(old: Case) -> None:
    """A new case may name ``old`` as ``repeat_of`` only once ``old`` is closed:
    an open case takes a message, or is reopened (422 ``repeat_of_open_case``)."""
    if old.status != "closed":
        raise ValidationFailed("repeat_of names a case that is not closed: add a message or reopen it",
                               code="repeat_of_open_case", details={"field": "repeat_of", "status": old.status})


def reopen(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """The tenant says it is not fixed: work resumes and a fresh response window
    starts now; the old callback window no longer applies. A closed case is
    reopened within the property's ``reopen_period``; later, the problem is a
    new case that names this one as ``repeat_of`` (409 ``reopen_period_over``).
    The windows the reopen replaces are kept in ``earlier_deadlines``."""
    until = reopen_until(case, policy)
    if until is not None and now > until:
        raise IllegalTransition(
            "this case was closed too long ago to reopen: submit a new case that repeats it",
            code="reopen_period_over",
            details={"status": case.status, "action": "reopen", "closed_at": iso(case.closed_at or now),
                     "reopen_until": iso(until), "repeat_of": case.case_id})

    def mutate(c: Case) -> dict[str, Any]:
        reopened_from = c.status
        if c.routed_at is None and c.responded_at is not None:
            # Answered at the desk (a consultation, an explained complaint): that
            # hand-off was met then and stays met, or it would turn "missed" now.
            c.routed_at = c.responded_at
        for name in ("response", "callback"):
            d = c.deadlines.get(name)
            # A window met, or missed by now, stays on the record; one not yet due never applied.
            if d is not None and (d.met_at is not None or d.due < now):
                c.earlier_deadlines.append({"name": name, "due": iso(d.due),
                                            "met_at": iso(d.met_at) if d.met_at else None})
        c.status = "in_progress"
        c.clock_start = now
        c.promise = None  # the new window gets its own response and promise
        c.responded_at = None
        c.resolved_at = None
        c.callback_done_at = None
        c.callback = None
        c.closed_at = None
        return {"reason": params["reason"], "reopened_from": reopened_from}
    return _apply(case, "reopen", actor, now, policy, mutate)


def escalate(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """Raise the case one tier: front desk, department manager, director."""
    if tier_above(case.tier) is None and case.status in ALLOWED_FROM["escalate"]:
        raise IllegalTransition("the case is already with the director", details={"tier": case.tier,
                                                                                  "action": "escalate"})

    def mutate(c: Case) -> dict[str, Any]:
        c.tier = tier_above(c.tier) or c.tier
        major = c.escalations.get("major")
        if major is not None and major.get("tier") != c.tier:
            # A major complaint raised (the manager's judgement): the watcher tells the new tier.
            c.escalations["major"] = {**major, "count": major.get("count", 0) + 1, "tier": c.tier, "at": iso(now),
                                      "notified": False}
        return {"reason": params["reason"]}
    return _apply(case, "escalate", actor, now, policy, mutate)


def note(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """An internal note: staff only, never shown to the tenant. Staff mail on a
    case's thread arrives as one (``via`` email, ``from`` its address, attachments)."""
    extra = {k: params[k] for k in ("via", "from", "attachments") if params.get(k)}
    return _apply(case, "note", actor, now, policy, lambda c: {"note": params["note"], **extra})


def message(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """The tenant adds to their case: text and/or photo references. On a case
    awaiting them it is the answer: the windows resume, and the holder of the
    case is told (a new item for the owner)."""
    if not (params.get("text") or "").strip() and not params.get("attachments"):
        raise ValidationFailed("a message needs text or an attachment", details={"field": "text"})

    def mutate(c: Case) -> dict[str, Any]:
        data = {"text": params.get("text", ""), "attachments": params.get("attachments") or []}
        if c.status == "awaiting_tenant":
            resume_clock(c, now, policy)
            c.escalations["tenant_answered"] = {"count": 0, "tier": c.tier, "at": iso(now), "notified": False}
            data["resumed"] = True
        return data
    return _apply(case, "message", actor, now, policy, mutate)


def rate(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """The tenant rates the handling once, after resolution."""
    if case.rating is not None:
        raise Conflict("this case has already been rated", code="already_rated")

    def mutate(c: Case) -> dict[str, Any]:
        c.rating = {"score": params["score"], "comment": params.get("comment", ""), "at": iso(now)}
        return {"score": params["score"], "comment": params.get("comment", "")}
    return _apply(case, "rate", actor, now, policy, mutate)


def written_reply(case: Case, actor: Actor, params: dict[str, Any], now: datetime,
                  policy: deadlines.Policy) -> Change:
    """An approved written reply left (email sent, letter posted): that is a
    response to the tenant, recorded with its message id."""
    def mutate(c: Case) -> dict[str, Any]:
        if params.get("message_id"):
            c.mail_thread.append(params["message_id"])
        if c.status in ("routed", "in_progress"):
            c.status = "responded"
        if c.responded_at is None:
            c.responded_at = now
        return {key: params.get(key) for key in ("reply_id", "medium", "subject", "message", "message_id",
                                                  "approver")}
    return _apply(case, "written_reply", actor, now, policy, mutate)


def locate(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """Staff match the case to a place in the owner archive: an email's or an
    unknown caller's free-text ``unit`` stays as written, the ``location`` (already
    resolved, ``archive.resolve_location``) is set or corrected. Audited: the
    event keeps the free text and the location before."""
    location = params.get("location")
    if not isinstance(location, dict) or not location.get("label"):
        raise ValueError("locate takes a location resolved against the archive (archive.resolve_location)")

    def mutate(c: Case) -> dict[str, Any]:
        data = {"location": location, "previous": c.location, "unit": c.unit}
        c.location = dict(location)
        return data
    return _apply(case, "locate", actor, now, policy, mutate)


def policy_changed(case: Case, actor: Actor, now: datetime, policy: deadlines.Policy) -> Change | None:
    """The property's policy changed (``actor`` changed it): the open case's
    deadlines are derived again under the new ``policy``, so a shortened window
    counts now, not after some unrelated edit. None when no deadline moved
    (nothing to write). Met times are facts and stay; an internal event."""
    if not case.is_open:
        return None
    change = _apply(case, "policy_changed", actor, now, policy, lambda c: {"reason": "policy_changed"})
    return change if "deadlines" in change.event.changes else None


# --- entering the unit with the spare key (seed 000 篇2 6.0) ---------------------------

MAX_ENTRY_SLOTS = 5


def _local_time(value: Any, field_name: str, policy: deadlines.Policy) -> datetime:
    """A slot's end: a local date-time of the property (an offset, if given, is honoured)."""
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(f"{field_name} is a date and time, e.g. 2026-11-24T14:00",
                               code="invalid_slot", details={"field": field_name}) from None
    return at.replace(tzinfo=policy.tz) if at.tzinfo is None else at


def entry_slots(params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> list[dict[str, str]]:
    """The preferred time slots: at most ``MAX_ENTRY_SLOTS``, each ``from`` before
    ``to``, in the future and within a year; stored as local times with their offset."""
    slots = params.get("slots") or []
    if not isinstance(slots, list) or len(slots) > MAX_ENTRY_SLOTS:
        raise ValidationFailed(f"at most {MAX_ENTRY_SLOTS} time slots", code="invalid_slot",
                               details={"field": "slots"})
    found = []
    for n, slot in enumerate(slots):
        name = f"slots[{n}]"
        if not isinstance(slot, dict):
            raise ValidationFailed("a slot is {from, to}", code="invalid_slot", details={"field": name})
        start = _local_time(slot.get("from"), f"{name}.from", policy)
        end = _local_time(slot.get("to"), f"{name}.to", policy)
        if not start < end:
            raise ValidationFailed("a slot ends after it starts", code="invalid_slot", details={"field": name})
        if start <= now:
            raise ValidationFailed("a slot must start in the future", code="invalid_slot", details={"field": name})
        if end > now + MAX_PROMISE_AHEAD:
            raise ValidationFailed("a slot is more than a year ahead", code="invalid_slot", details={"field": name})
        found.append({"from": start.astimezone(policy.tz).isoformat(), "to": end.astimezone(policy.tz).isoformat()})
    return found


def entry_permission(case: Case, actor: Actor, params: dict[str, Any], now: datetime,
                     policy: deadlines.Policy) -> Change:
    """The tenant (their own case) or the front desk on their behalf grants or
    refuses entry to the unit with the company's spare key, with preferred time
    slots. Given again, the newer word replaces the older; both stay on the trail."""
    granted = params.get("granted")
    if not isinstance(granted, bool):
        raise ValidationFailed("granted is true or false", details={"field": "granted"})
    slots = entry_slots(params, now, policy)
    if not granted and slots:
        raise ValidationFailed("a refusal has no time slots", code="invalid_slot", details={"field": "slots"})
    note = _clean_text(params.get("note"), "note", max_len=500, required=False)

    def mutate(c: Case) -> dict[str, Any]:
        c.entry_permission = {"granted": granted, "slots": slots, "note": note, "at": iso(now),
                              "by": {"id": actor.id, "role": actor.role, "name": actor.name}}
        return {"granted": granted, "slots": slots, "note": note, "on_behalf": actor.role != "tenant"}
    return _apply(case, "entry_permission", actor, now, policy, mutate)


def key_entry(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
    """A key of the register was lent for this case (the unit is entered) or came
    back: recorded on the case's trail; the tenant sees who and when
    (chalicelib/domain/views.py), never the cabinet slot."""
    data = {k: params[k] for k in ("stage", "key_id", "borrower", "slot", "loan_id", "emergency", "reason", "issued_by")
            if params.get(k) is not None}
    return _apply(case, "key_entry", actor, now, policy, lambda c: data)


def library_record(action: str) -> Callable[..., Change]:
    """The case library's records on the case's trail (staff only): the case was
    proposed for the library (``entry_id``), or a library entry helped with it."""
    def record(case: Case, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy) -> Change:
        data = {k: params[k] for k in ("entry_id", "title", "version") if params.get(k) is not None}
        return _apply(case, action, actor, now, policy, lambda c: data)
    return record


ACTIONS: dict[str, Callable[..., Change]] = {
    "classify": classify, "assign": assign, "start": start, "respond": respond, "resolve": resolve,
    "callback": record_callback, "confirm": confirm, "close": close, "answer": answer, "explain": explain,
    "reopen": reopen,
    "escalate": escalate, "note": note, "message": message, "rate": rate, "written_reply": written_reply,
    "confirm_invalid": confirm_invalid, "reject_invalid": reject_invalid,
    "move_promise": move_promise, "await_tenant": await_tenant, "resume": resume,
    "close_unreachable": close_unreachable, "entry_permission": entry_permission, "key_entry": key_entry,
    "locate": locate,
    "library_proposed": library_record("library_proposed"), "used_entry": library_record("used_entry"),
}

# What a tenant sees of each action lives in chalicelib/domain/views.py (an allow-list per field).

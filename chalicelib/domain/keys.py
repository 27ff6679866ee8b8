"""The key register of the customer-service office (seed 000 篇2 客服部鑰匙管理制度):
pure rules, no AWS, no HTTP, no clock (``now`` is always passed in).

1.0 the office keeps the units' keys; 2.0 whoever takes one signs the register
and the lead on duty (當班經理領班) issues it; 3.0 in working time the cabinet is
the shift lead's (領班); 4.0 a damaged key is withdrawn at once; 5.0 a lost key is
reported to the manager and the security department and the lock is changed,
copies are never made in-house; 6.0 an owner using the company's spare key goes
through the security department.

Every change is a function of (key, actor, params, now) returning a
``KeyChange``: the new key and the history entry saying who did what, when.
Storage writes both in one transaction, conditional on the key's version.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.domain import deadlines
from chalicelib.domain.cases import Actor, iso, parse_iso
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed

STATES = ("in_cabinet", "lent", "damaged", "lost", "retired")
PURPOSES = ("case", "repair", "owner", "other")
BORROWER_KINDS = ("staff", "contractor", "owner")
# 3.0: in working time the cabinet is the shift lead's; their superiors may issue too.
LEAD_ROLES = frozenset({"shift_lead", "manager", "director", "admin"})
MAX_COPIES = 20
MAX_LOAN = timedelta(days=30)
LOST_REASON_MAX = 500
KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
# A case whose lock change is done: the new lock's keys may go into the cabinet.
LOCK_CHANGED_STATUSES = frozenset({"resolved", "callback_done", "closed"})


@dataclass
class Key:
    property_id: str
    key_id: str
    unit: str  # the unit or area it opens
    slot: str  # cabinet slot / key number
    copies: int
    state: str = "in_cabinet"
    note: str = ""
    # The loan while lent: {"loan_id", "borrower": {"name", "kind", "phone"}, "purpose",
    # "case_id"?, "lent_at", "due", "issued_by": {...}, "emergency"?, "reason"?, "overdue_notified_at"?}
    loan: dict[str, Any] | None = None
    lock_change_case: str | None = None  # the lock-change task of a lost key
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0

    @property
    def due(self) -> datetime | None:
        return parse_iso(self.loan["due"]) if self.loan else None

    def overdue(self, now: datetime) -> bool:
        due = self.due
        return self.state == "lent" and due is not None and now > due

    def to_dict(self) -> dict[str, Any]:
        return {"property_id": self.property_id, "key_id": self.key_id, "unit": self.unit, "slot": self.slot,
                "copies": self.copies, "state": self.state, "note": self.note, "loan": copy.deepcopy(self.loan),
                "lock_change_case": self.lock_change_case,
                "created_at": iso(self.created_at) if self.created_at else None,
                "updated_at": iso(self.updated_at) if self.updated_at else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any], version: int) -> Key:
        return cls(property_id=data["property_id"], key_id=data["key_id"], unit=data.get("unit", ""),
                   slot=data.get("slot", ""), copies=int(data.get("copies", 1)), state=data.get("state", "in_cabinet"),
                   note=data.get("note", ""), loan=data.get("loan"), lock_change_case=data.get("lock_change_case"),
                   created_at=parse_iso(data["created_at"]) if data.get("created_at") else None,
                   updated_at=parse_iso(data["updated_at"]) if data.get("updated_at") else None, version=version)


@dataclass
class Entry:
    """One line of a key's history (the 鑰匙領用登記表 and every change to the register)."""

    seq: int
    at: datetime
    actor: Actor
    action: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": iso(self.at), "action": self.action,
                "actor": {"id": self.actor.id, "role": self.actor.role, "name": self.actor.name}, "data": self.data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        actor = data.get("actor") or {}
        return cls(seq=int(data["seq"]), at=parse_iso(data["at"]), action=data["action"],
                   actor=Actor(actor.get("id", ""), actor.get("role", ""), actor.get("name", "")),
                   data=data.get("data") or {})


@dataclass
class KeyChange:
    key: Key
    entry: Entry


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")


def _text(params: dict[str, Any], name: str, *, max_len: int = 200, required: bool = True) -> str:
    value = params.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationFailed(f"{name} must not be empty", details={"field": name})
    if len(text) > max_len:
        raise ValidationFailed(f"{name} is longer than {max_len} characters", details={"field": name})
    return text


def _copies(params: dict[str, Any], default: int | None = None) -> int:
    value = params.get("copies", default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COPIES:
        raise ValidationFailed(f"copies is a whole number from 1 to {MAX_COPIES}", details={"field": "copies"})
    return value


def _actor(actor: Actor) -> dict[str, str]:
    return {"id": actor.id, "role": actor.role, "name": actor.name}


def _not_in(key: Key, action: str, code: str, message: str) -> Conflict:
    return Conflict(message, code=code, details={"key_id": key.key_id, "state": key.state, "action": action})


def _apply(key: Key, actor: Actor, action: str, now: datetime, data: dict[str, Any], **changes: Any) -> KeyChange:
    _aware(now)
    after = copy.deepcopy(key)
    for name, value in changes.items():
        setattr(after, name, value)
    after.version = key.version + 1
    after.updated_at = now
    if key.state != after.state:
        data = {**data, "state": {"from": key.state, "to": after.state}}
    return KeyChange(after, Entry(after.version, now, actor, action, data))


# --- the register ----------------------------------------------------------------

def valid_key_id(value: str) -> str:
    if not isinstance(value, str) or not KEY_ID.match(value):
        raise ValidationFailed("a key id is 1 to 32 letters, digits or _.- (starting with a letter or digit)",
                               details={"field": "key_id"})
    return value


def new_key(*, property_id: str, key_id: str, actor: Actor, params: dict[str, Any], now: datetime) -> KeyChange:
    """A key taken into the cabinet."""
    _aware(now)
    key = Key(property_id=property_id, key_id=valid_key_id(key_id), unit=_text(params, "unit"),
              slot=_text(params, "slot", max_len=50), copies=_copies(params, 1),
              note=_text(params, "note", max_len=500, required=False), created_at=now, updated_at=now, version=1)
    return KeyChange(key, Entry(1, now, actor, "added", {"unit": key.unit, "slot": key.slot, "copies": key.copies,
                                                         "note": key.note}))


def edit(key: Key, actor: Actor, params: dict[str, Any], now: datetime) -> KeyChange:
    """Correct what the register says of a key: the unit it opens, its slot, a note.
    The number of copies is not edited: it falls on a loss and rises only on a
    manager's replacement after a lock change (5.0: no copies are made in-house)."""
    if key.state == "retired":
        raise _not_in(key, "edit", "key_retired", "a retired key is no longer edited")
    changes = {}
    for name, max_len in (("unit", 200), ("slot", 50), ("note", 500)):
        if name in params:
            value = _text(params, name, max_len=max_len, required=name != "note")
            if value != getattr(key, name):
                changes[name] = value
    if not changes:
        raise ValidationFailed("nothing to change", details={"field": "unit"})
    data = {name: {"from": getattr(key, name), "to": value} for name, value in changes.items()}
    return _apply(key, actor, "edited", now, data, **changes)


# --- lending (2.0, 3.0) --------------------------------------------------------------

def may_issue(role: str, at: datetime, policy: deadlines.Policy) -> None:
    """Who may hand a key out at ``at``. In the property's working time the key
    cabinet is the shift lead's (3.0 每天工作時間,鑰匙柜由客服部領班負責管理): only the lead
    or a superior issues (2.0 由當班經理領班發放). Out of working time there is no
    lead on duty, and the front desk or the security control room on duty keeps
    the cabinet and issues, so a burst pipe at night can still be reached; the
    register records who issued every key."""
    if deadlines.is_working_time(at, policy) and role not in LEAD_ROLES:
        raise Forbidden("in working time keys are issued by the shift lead (領班) on duty or a manager",
                        code="lead_issues_keys", details={"working_time": True})


def check_entry_permission(permission: dict[str, Any] | None, params: dict[str, Any]) -> dict[str, Any]:
    """A key lent for a case enters the tenant's unit: only with their permission.
    Refused: never (409 ``entry_refused``). None recorded: only in an emergency,
    said so with a reason that goes on the record (409 ``entry_permission_missing``
    otherwise). Returns what the loan records of it."""
    if permission is not None and not permission.get("granted"):
        raise Conflict("the tenant refused entry to the unit with the spare key", code="entry_refused",
                       details={"case_id": params.get("case_id")})
    if permission is None:
        reason = (params.get("reason") or "").strip() if isinstance(params.get("reason"), str) else ""
        if not params.get("emergency") or not reason:
            raise Conflict("the tenant has not given permission to enter: record it on the case, or lend in an "
                           "emergency with a reason", code="entry_permission_missing",
                           details={"case_id": params.get("case_id")})
        return {"emergency": True, "reason": reason}
    return {"entry_permission_at": permission.get("at")}


def lend(key: Key, actor: Actor, params: dict[str, Any], now: datetime, policy: deadlines.Policy,
         *, loan_id: str, entry: dict[str, Any] | None = None) -> KeyChange:
    """Issue a key from the cabinet: who took it (name, staff/contractor/owner,
    phone), for what (a case of this property, a repair, an owner, other), until
    when (required, in the future). Only a key in the cabinet is lent (409)."""
    may_issue(actor.role, now, policy)
    if key.state != "in_cabinet":
        raise _not_in(key, "lend", "key_not_in_cabinet", f"the key is {key.state}, not in the cabinet")
    borrower = params.get("borrower") or {}
    name = _text(borrower, "name", max_len=100)
    kind = borrower.get("kind")
    if kind not in BORROWER_KINDS:
        raise ValidationFailed(f"borrower.kind is one of {', '.join(BORROWER_KINDS)}",
                               details={"field": "borrower.kind"})
    phone = _text(borrower, "phone", max_len=40, required=kind != "staff")
    purpose = params.get("purpose")
    if purpose not in PURPOSES:
        raise ValidationFailed(f"purpose is one of {', '.join(PURPOSES)}", details={"field": "purpose"})
    if (purpose == "case") != bool(params.get("case_id")):
        raise ValidationFailed("a key lent for a case names the case (case_id), and only then",
                               details={"field": "case_id"})
    if purpose == "case" and entry is None:
        raise ValueError("a loan for a case needs the tenant's entry permission checked first")
    due = parse_due(params.get("due"), now, policy)
    loan: dict[str, Any] = {"loan_id": loan_id, "borrower": {"name": name, "kind": kind, "phone": phone},
                            "purpose": purpose, "lent_at": iso(now), "due": iso(due), "issued_by": _actor(actor),
                            "note": _text(params, "note", max_len=500, required=False)}
    if purpose == "case":
        loan["case_id"] = params["case_id"]
    if entry:
        loan.update(entry)
    return _apply(key, actor, "lent", now, {"loan": copy.deepcopy(loan)}, state="lent", loan=loan)


def parse_due(value: Any, now: datetime, policy: deadlines.Policy) -> datetime:
    """The expected return: an ISO date-time, the property's local time unless it
    carries an offset, after ``now`` and within ``MAX_LOAN`` (a typo must be a
    422, not a key out for a year)."""
    try:
        due = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        due = None
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=policy.tz)
    if due is None:
        raise ValidationFailed("due is a date and time, e.g. 2026-11-23T17:00 (local) or with its offset",
                               code="invalid_due", details={"field": "due"})
    if due <= now:
        raise ValidationFailed("the expected return must lie in the future", code="invalid_due",
                               details={"field": "due"})
    if due > now + MAX_LOAN:
        raise ValidationFailed(f"a key is lent for at most {MAX_LOAN.days} days", code="invalid_due",
                               details={"field": "due"})
    return due.astimezone(timezone.utc)


def return_key(key: Key, actor: Actor, params: dict[str, Any], now: datetime) -> KeyChange:
    """The key is back: when and who received it. Back damaged: withdrawn at
    once (4.0). A key that is not out cannot be returned (409, nothing changes)."""
    if key.state != "lent" or key.loan is None:
        raise _not_in(key, "return", "key_not_lent", f"the key is {key.state}: it is not out")
    damaged = bool(params.get("damaged"))
    loan = {**key.loan, "returned_at": iso(now), "received_by": _actor(actor),
            "late": now > parse_iso(key.loan["due"])}
    data = {"loan": loan, "note": _text(params, "note", max_len=500, required=False), "damaged": damaged}
    return _apply(key, actor, "returned", now, data, state="damaged" if damaged else "in_cabinet", loan=None)


def mark_overdue_notified(key: Key, actor: Actor, now: datetime, recipients: list[str]) -> KeyChange:
    """The lead was told the key is overdue: recorded on the loan, so they are told once."""
    assert key.loan is not None
    loan = {**key.loan, "overdue_notified_at": iso(now)}
    return _apply(key, actor, "overdue_notified", now, {"loan_id": key.loan["loan_id"], "due": key.loan["due"],
                                                         "recipients": recipients}, loan=loan)


def needs_overdue_notice(key: Key, now: datetime) -> bool:
    return key.overdue(now) and key.loan is not None and not key.loan.get("overdue_notified_at")


# --- damage, loss, replacement, retirement (4.0, 5.0) -----------------------------------

def report_damaged(key: Key, actor: Actor, params: dict[str, Any], now: datetime) -> KeyChange:
    """A damaged key is withdrawn at once and never lent until replaced. A lent
    key found damaged is returned as damaged (``return_key``)."""
    if key.state != "in_cabinet":
        raise _not_in(key, "damaged", "key_not_in_cabinet",
                      f"the key is {key.state}: a key in the cabinet is reported damaged (a lent one on return)")
    return _apply(key, actor, "damaged", now, {"reason": _text(params, "reason", max_len=500)}, state="damaged")


def report_lost(key: Key, actor: Actor, params: dict[str, Any], now: datetime, *, lock_change_case: str,
                notified: list[str]) -> KeyChange:
    """A lost key (from the cabinet or while lent): one copy fewer, the lock is to
    be changed (the task is ``lock_change_case``), manager and security told."""
    data: dict[str, Any] = {"reason": check_lost(key, params), "lock_change_case": lock_change_case,
                            "notified": notified, "copies": {"from": key.copies, "to": max(key.copies - 1, 0)}}
    if key.loan is not None:
        data["loan"] = {**key.loan, "lost_at": iso(now)}
    return _apply(key, actor, "lost", now, data, state="lost", loan=None, copies=max(key.copies - 1, 0),
                  lock_change_case=lock_change_case)


def check_lost(key: Key, params: dict[str, Any]) -> str:
    """Before a lock-change case is made for a loss: the key can be lost now and
    the report is one ``report_lost`` accepts (so a refused report makes no case).
    The reason, trimmed."""
    if key.state not in ("in_cabinet", "lent"):
        raise _not_in(key, "lost", "key_not_lost_state", f"the key is {key.state}: it cannot be lost now")
    return _text(params, "reason", max_len=LOST_REASON_MAX)


def replace(key: Key, actor: Actor, params: dict[str, Any], now: datetime, *,
            lock_case_status: str | None = None) -> KeyChange:
    """A manager puts new keys in the cabinet: a damaged key replaced, or a lost
    one's new lock fitted (its lock-change case resolved: 409 ``lock_not_changed``
    before). The only way ``copies`` rises."""
    if key.state not in ("damaged", "lost"):
        raise _not_in(key, "replace", "key_not_replaceable", f"the key is {key.state}: only a damaged or lost key "
                                                             "is replaced")
    if key.state == "lost" and key.lock_change_case and lock_case_status not in LOCK_CHANGED_STATUSES:
        raise Conflict("the lock has not been changed yet: resolve the lock-change case first",
                       code="lock_not_changed", details={"lock_change_case": key.lock_change_case,
                                                         "status": lock_case_status})
    copies = _copies(params)
    data = {"copies": {"from": key.copies, "to": copies}, "note": _text(params, "note", max_len=500, required=False),
            "lock_change_case": key.lock_change_case}
    return _apply(key, actor, "replaced", now, data, state="in_cabinet", copies=copies, lock_change_case=None)


def retire(key: Key, actor: Actor, params: dict[str, Any], now: datetime) -> KeyChange:
    """Take a key off the register (the unit's lock replaced by the owner, the unit merged)."""
    if key.state in ("lent", "retired"):
        raise _not_in(key, "retire", "key_lent" if key.state == "lent" else "key_retired",
                      f"the key is {key.state}: it cannot be retired now")
    return _apply(key, actor, "retired", now, {"reason": _text(params, "reason", max_len=500)}, state="retired")


# --- who is told ------------------------------------------------------------------------

def security_recipient(contacts: dict[str, str], department_contacts: dict[str, dict[str, str]]) -> str | None:
    """The security department (保安部): its manager if the property names one,
    else the security control room (the on-duty desk)."""
    own = department_contacts.get("security") or {}
    return own.get("manager") or contacts.get("on_duty") or None


def lead_recipient(contacts: dict[str, str]) -> str | None:
    """The shift lead's address, else the front desk's (the lead is one of them)."""
    return contacts.get("shift_lead") or contacts.get("front_desk") or None


def loss_recipients(contacts: dict[str, str], department_contacts: dict[str, dict[str, str]]) -> list[str]:
    """5.0: the manager and the security department, both."""
    found = [contacts.get("manager"), security_recipient(contacts, department_contacts)]
    return list(dict.fromkeys(a for a in found if a))


# --- views ------------------------------------------------------------------------------

def key_view(key: Key, now: datetime) -> dict[str, Any]:
    view = key.to_dict()
    view["version"] = key.version
    view["overdue"] = key.overdue(now)
    return view


def out_view(keys: Iterable[Key], now: datetime) -> list[dict[str, Any]]:
    """Keys out, overdue first, each by its due time."""
    lent = [k for k in keys if k.state == "lent" and k.loan]
    lent.sort(key=lambda k: (not k.overdue(now), k.loan["due"] if k.loan else "", k.key_id))
    return [key_view(k, now) for k in lent]


def handover_items(keys: Iterable[Key], shift_end: datetime) -> list[dict[str, Any]]:
    """Keys out at the end of a shift, for its handover: key, unit, borrower, due,
    overdue then. Keys lent after the shift ended are the next shift's."""
    items = []
    for key in keys:
        if key.state != "lent" or key.loan is None or parse_iso(key.loan["lent_at"]) >= shift_end:
            continue
        due = parse_iso(key.loan["due"])
        items.append({"key_id": key.key_id, "unit": key.unit, "slot": key.slot,
                      "borrower": key.loan["borrower"]["name"], "purpose": key.loan["purpose"],
                      "case_id": key.loan.get("case_id"), "due": iso(due), "overdue": shift_end > due})
    items.sort(key=lambda i: (not i["overdue"], i["due"], i["key_id"]))
    return items

"""The shift-handover logbook (seed 000 篇3 客服部交接班管理制度): pure rules, no AWS, no clock.

A logbook belongs to one handover, named by its shift end (``handover.key_of``).
It holds the property's checklist marked √ (``ok``) or × (``not_ok``, with a
note) by the outgoing side (2.1), the signatures in order, refusals and their
answers, and the shift lead's review (2.3, 4.2). The shift's work diary
(1.3, 1.4) is kept beside it, one entry at a time (:func:`new_entry`).

Signing order (1.2, 1.6, 1.7)::

    open ──sign(outgoing)──> outgoing_signed ──sign(incoming)──> accepted ──review──> (reviewed)
      ^                          │
      │                       refuse(reason)
      │                          v
    answered <──answer(note)── refused

The outgoing side signs first, once the checklist is complete and the shift is
over; then the incoming side accepts, by another person. The incoming side may
refuse with a reason instead (the manager is told); the outgoing side answers
and signs again before the incoming side can accept. Anything out of order is a
409 with a code, and changes nothing.

The two sides are customer service and the security control room, and which one
hands over alternates with the time (3.1, 3.2): at the day's first handover
(08:00) the control room hands the night over to customer service; at the next
(18:00) customer service hands the book to the control room (:func:`sides_at`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from chalicelib.domain import deadlines
from chalicelib.domain.cases import iso, parse_iso
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.domain.handover import key_of

SIDES = ("customer_service", "control_room")
ROLES = ("outgoing", "incoming")
STATES = ("open", "outgoing_signed", "refused", "answered", "accepted")
MARKS = ("ok", "not_ok")
MAX_CHECKLIST = 30
MAX_ITEM_TEXT = 200
MAX_TEXT = 1000  # a diary entry, a note, a reason
MAX_ENTRIES = 200  # diary entries per shift

# The seed's checks (1.1 工作臺, 1.5 設備, 篇2 鑰匙櫃, 1.4 工作日記), in the property's language.
DEFAULT_CHECKLIST: dict[str, tuple[tuple[str, str], ...]] = {
    "zh-Hans": (("desk", "工作台整洁"), ("equipment", "设备运行正常"), ("key_cabinet", "钥匙柜核对"),
                ("diary_read", "交接本已阅")),
    "zh-Hant": (("desk", "工作臺整潔"), ("equipment", "設備運行正常"), ("key_cabinet", "鑰匙櫃核對"),
                ("diary_read", "交接本已閱")),
    "en": (("desk", "Desk tidy"), ("equipment", "Equipment working"), ("key_cabinet", "Key cabinet checked"),
           ("diary_read", "Logbook read")),
}
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")

# Which role holds which side (the security control room's staff sign its side only).
_SIDE_OF_ROLE = {"security": "control_room", "front_desk": "customer_service", "shift_lead": "customer_service",
                 "manager": "customer_service", "director": "customer_service", "admin": "customer_service"}


def _invalid(field_name: str, message: str, code: str = "validation_error") -> ValidationFailed:
    return ValidationFailed(message, code=code, details={"field": field_name})


# --- the checklist -----------------------------------------------------------------

def default_checklist(lang: str | None) -> list[dict[str, str]]:
    """The checklist a property gets when its settings name none, in its language."""
    return [{"id": i, "text": text} for i, text in DEFAULT_CHECKLIST.get(lang or "", DEFAULT_CHECKLIST["zh-Hans"])]


def checklist_from_settings(value: Any) -> list[dict[str, str]] | None:
    """A property's ``handover_checklist`` setting checked: 1..30 items ``{id, text}``,
    ids lower-case ``[a-z0-9_-]`` and unique, text 1..200 characters; None when
    unset. Anything else is 422 ``invalid_checklist`` with ``details.field``."""
    if value is None:
        return None
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_CHECKLIST:
        raise _invalid("handover_checklist", f"handover_checklist must be a list of 1..{MAX_CHECKLIST} items",
                       "invalid_checklist")
    seen: set[str] = set()
    items = []
    for n, item in enumerate(value):
        name = f"handover_checklist.{n}"
        if not isinstance(item, dict) or set(item) - {"id", "text"}:
            raise _invalid(name, "an item is {id, text}", "invalid_checklist")
        item_id, text = item.get("id"), item.get("text")
        if not isinstance(item_id, str) or not 0 < len(item_id) <= 40 or set(item_id) - _ID_CHARS:
            raise _invalid(f"{name}.id", "id: 1..40 characters a-z, 0-9, _ or -", "invalid_checklist")
        if item_id in seen:
            raise _invalid(f"{name}.id", f"id {item_id!r} repeats", "invalid_checklist")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_ITEM_TEXT:
            raise _invalid(f"{name}.text", f"text: 1..{MAX_ITEM_TEXT} characters", "invalid_checklist")
        seen.add(item_id)
        items.append({"id": item_id, "text": text.strip()})
    return items


# --- who hands over to whom ----------------------------------------------------------

def sides_at(shift_end: datetime, policy: deadlines.Policy) -> tuple[str, str]:
    """``(outgoing, incoming)`` at the handover ending at ``shift_end``. The sides
    alternate through the property's handover times: at the first of the day the
    control room hands the night over to customer service (3.1), at the next
    customer service hands the book to the control room (3.2), and so on."""
    local = shift_end.astimezone(policy.tz).time().replace(second=0, microsecond=0)
    times = sorted(t.replace(second=0, microsecond=0) for t in policy.handover_times)
    index = times.index(local) if local in times else _nearest(times, local)
    return ("control_room", "customer_service") if index % 2 == 0 else ("customer_service", "control_room")


def _nearest(times: Sequence[time], local: time) -> int:
    # A shift end that is no longer one of the policy's times (the policy changed since): the last time before it.
    earlier = [n for n, t in enumerate(times) if t <= local]
    return earlier[-1] if earlier else len(times) - 1


def side_of(role: str) -> str | None:
    """The side a staff role signs for; None for roles that sign neither."""
    return _SIDE_OF_ROLE.get(role)


# --- recipients -------------------------------------------------------------------------

def refusal_recipients(contacts: Mapping[str, str]) -> list[str]:
    """A refused handover goes to the property's manager at once (1.6 報上級領導處理)."""
    return [a for a in (contacts.get("manager"),) if a]


def urgent_recipients(contacts: Mapping[str, str],
                      department_contacts: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Urgent items at a handover go to both departments' managers at once (3.3):
    customer service's (the property's ``manager``) and the security department's
    (its ``department_contacts`` manager, else the control room's desk, ``on_duty``)."""
    security = (department_contacts.get("security") or {}).get("manager") or contacts.get("on_duty")
    return [a for a in dict.fromkeys((contacts.get("manager"), security)) if a]


# --- the diary -----------------------------------------------------------------------------

def _text(value: Any, field_name: str, *, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _invalid(field_name, f"{field_name} must be text")
    value = value.strip()
    if required and not value:
        raise _invalid(field_name, f"{field_name} is required", f"{field_name}_required")
    if len(value) > MAX_TEXT:
        raise _invalid(field_name, f"{field_name} is longer than {MAX_TEXT} characters")
    return str(value)


def new_entry(*, entry_id: str, text: str, case_id: str | None, urgent: bool, author: dict[str, str],
              at: datetime, shift_end: datetime) -> dict[str, Any]:
    """A diary entry written at ``at`` into the shift ending at ``shift_end``."""
    if not at < shift_end:
        raise Conflict("this shift is over: write in the current shift's diary", code="shift_over")
    return {"entry_id": entry_id, "at": iso(at), "author": dict(author), "text": _text(text, "text"),
            "case_id": case_id or None, "urgent": bool(urgent), "corrections": []}


def correct_entry(entry: dict[str, Any], *, text: str | None, urgent: bool | None, by: dict[str, str],
                  at: datetime, shift_end: datetime) -> dict[str, Any]:
    """The entry corrected by its author while the shift runs; the previous wording
    stays in ``corrections`` (who, when, what it said). Entries are never deleted."""
    if by.get("id") != (entry.get("author") or {}).get("id"):
        raise Forbidden("only the author corrects a diary entry", code="not_author")
    if not at < shift_end:
        raise Conflict("the shift is over: its diary is closed", code="shift_over")
    new_text = entry["text"] if text is None else _text(text, "text")
    new_urgent = entry["urgent"] if urgent is None else bool(urgent)
    if new_text == entry["text"] and new_urgent == entry["urgent"]:
        return entry
    previous = {"at": iso(at), "by": dict(by), "text": entry["text"], "urgent": entry["urgent"]}
    return {**entry, "text": new_text, "urgent": new_urgent, "corrections": [*entry.get("corrections", []), previous]}


# --- the logbook -------------------------------------------------------------------------------

@dataclass
class Logbook:
    """One handover's logbook. ``version`` is the stored version (0: not stored yet)."""

    property_id: str
    shift_end: str  # handover.key_of(shift end)
    outgoing: str
    incoming: str
    checklist: list[dict[str, str]]
    state: str = "open"
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)
    signatures: list[dict[str, Any]] = field(default_factory=list)  # in the order signed, re-signs included
    refusals: list[dict[str, Any]] = field(default_factory=list)
    review: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    urgent_reported: list[str] = field(default_factory=list)  # items already reported to the managers (3.3)
    version: int = 0

    @classmethod
    def new(cls, property_id: str, shift_end: datetime, policy: deadlines.Policy,
            checklist: Sequence[Mapping[str, str]]) -> Logbook:
        outgoing, incoming = sides_at(shift_end, policy)
        return cls(property_id, key_of(shift_end), outgoing, incoming, [dict(i) for i in checklist])

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Logbook:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return {"property_id": self.property_id, "shift_end": self.shift_end, "outgoing": self.outgoing,
                "incoming": self.incoming, "checklist": self.checklist, "state": self.state, "marks": self.marks,
                "signatures": self.signatures, "refusals": self.refusals, "review": self.review,
                "history": self.history, "urgent_reported": self.urgent_reported}

    # --- helpers
    def _record(self, action: str, by: dict[str, str], at: datetime, **data: Any) -> None:
        self.history.append({"at": iso(at), "by": dict(by), "action": action, **data})

    def _signers(self, role: str) -> set[str]:
        found = {s["by"]["id"] for s in self.signatures if s["role"] == role}
        if role == "incoming":
            found |= {r["by"]["id"] for r in self.refusals}
        else:
            found |= {r["answer"]["by"]["id"] for r in self.refusals if r.get("answer")}
        return found

    def _not_the_other_side(self, role: str, by: dict[str, str]) -> None:
        other = "incoming" if role == "outgoing" else "outgoing"
        if by["id"] in self._signers(other):
            raise Conflict("the two sides of a handover are two different people", code="same_signer",
                           details={"role": role})

    def side_role(self, side: str) -> str:
        """``outgoing`` or ``incoming`` for one of the two sides."""
        if side not in SIDES:
            raise _invalid("side", f"side must be one of {', '.join(SIDES)}")
        return "outgoing" if side == self.outgoing else "incoming"

    def missing_marks(self) -> list[str]:
        return [i["id"] for i in self.checklist if i["id"] not in self.marks]

    def urgent_items(self, diary: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Urgent diary entries and checklist items marked ×, as reported (3.3)."""
        found = [{"item": f"entry:{e['entry_id']}", "text": e["text"], "case_id": e.get("case_id")}
                 for e in diary if e.get("urgent")]
        texts = {i["id"]: i["text"] for i in self.checklist}
        found += [{"item": f"check:{item_id}", "text": f"× {texts.get(item_id, item_id)}: {m.get('note', '')}"}
                  for item_id, m in self.marks.items() if m.get("mark") == "not_ok"]
        return found

    # --- actions
    def mark(self, marks: Sequence[Mapping[str, Any]], by: dict[str, str], at: datetime) -> None:
        """The outgoing side marks checklist items √ or × (a note required for ×),
        before it signs (and again after a refusal, to put things right)."""
        if self.state in ("outgoing_signed", "accepted"):
            raise Conflict("the outgoing side has signed: the checklist is closed", code="logbook_signed",
                           details={"state": self.state})
        known = {i["id"] for i in self.checklist}
        changed = []
        for n, item in enumerate(marks):
            item_id, mark = item.get("id"), item.get("mark")
            if item_id not in known:
                raise _invalid(f"items.{n}.id", f"no checklist item {item_id!r}", "unknown_checklist_item")
            if mark not in MARKS:
                raise _invalid(f"items.{n}.mark", "mark is ok or not_ok")
            note = _text(item.get("note"), f"items.{n}.note", required=False)
            if mark == "not_ok" and not note:
                raise _invalid(f"items.{n}.note", "a × needs a note saying what is wrong", "note_required")
            changed.append((str(item_id), {"mark": mark, "note": note, "by": dict(by), "at": iso(at)}))
        for item_id, value in changed:
            self.marks[item_id] = value
        self._record("checklist", by, at, items=[{"id": i, "mark": v["mark"], "note": v["note"]} for i, v in changed])

    def sign(self, role: str, by: dict[str, str], at: datetime, comment: str = "") -> None:
        """Sign for ``role``: the outgoing side first (checklist complete, shift over),
        then the incoming side accepts."""
        comment = _text(comment, "comment", required=False)
        end = parse_iso(self.shift_end)
        if role == "outgoing":
            if self.state in ("outgoing_signed", "accepted"):
                raise Conflict("the outgoing side has already signed this handover", code="already_signed",
                               details={"role": role, "state": self.state})
            if self.state == "refused":
                raise Conflict("the incoming side refused: answer the refusal, then sign again",
                               code="refusal_unanswered")
            if at < end:
                raise Conflict("the shift is not over yet", code="shift_not_over",
                               details={"shift_end": self.shift_end})
            missing = self.missing_marks()
            if missing:
                raise Conflict("mark every checklist item √ or × before signing", code="checklist_incomplete",
                               details={"missing": missing})
            self._not_the_other_side(role, by)
            self.state = "outgoing_signed"
        else:
            if self.state == "accepted":
                raise Conflict("the incoming side has already accepted this handover", code="already_signed",
                               details={"role": role, "state": self.state})
            if self.state == "refused":
                raise Conflict("the refusal is not answered yet", code="refusal_unanswered")
            if self.state != "outgoing_signed":
                raise Conflict("the outgoing side signs first", code="outgoing_signs_first",
                               details={"state": self.state})
            self._not_the_other_side(role, by)
            self.state = "accepted"
        side = self.outgoing if role == "outgoing" else self.incoming
        self.signatures.append({"role": role, "side": side, "by": dict(by), "at": iso(at), "comment": comment})
        self._record("sign", by, at, role=role, side=side, comment=comment)

    def refuse(self, by: dict[str, str], at: datetime, reason: str) -> None:
        """The incoming side refuses to take over, with a reason (1.6)."""
        reason = _text(reason, "reason")
        if self.state == "refused":
            raise Conflict("this handover is already refused", code="already_refused")
        if self.state == "accepted":
            raise Conflict("the incoming side has already accepted this handover", code="already_signed")
        if self.state != "outgoing_signed":
            raise Conflict("the outgoing side signs first", code="outgoing_signs_first", details={"state": self.state})
        self._not_the_other_side("incoming", by)
        self.state = "refused"
        self.refusals.append({"by": dict(by), "at": iso(at), "reason": reason, "answer": None})
        self._record("refuse", by, at, reason=reason)

    def answer(self, by: dict[str, str], at: datetime, note: str) -> None:
        """The outgoing side answers the refusal; it then signs again."""
        note = _text(note, "note")
        if self.state != "refused":
            raise Conflict("there is no refusal to answer", code="not_refused", details={"state": self.state})
        self._not_the_other_side("outgoing", by)
        self.refusals[-1] = {**self.refusals[-1], "answer": {"by": dict(by), "at": iso(at), "note": note}}
        self.state = "answered"
        self._record("answer", by, at, note=note)

    def do_review(self, by: dict[str, str], at: datetime, comment: str = "") -> None:
        """The shift lead reviews and signs an accepted handover (2.3, 4.2), once."""
        comment = _text(comment, "comment", required=False)
        if self.review is not None:
            raise Conflict("this handover has been reviewed", code="already_reviewed",
                           details={"review": self.review})
        if self.state != "accepted":
            raise Conflict("only an accepted handover is reviewed", code="not_accepted",
                           details={"state": self.state})
        self.review = {"by": dict(by), "at": iso(at), "comment": comment}
        self._record("review", by, at, comment=comment)

    def latest_by_side(self) -> dict[str, dict[str, Any] | None]:
        """Each side's latest signature (None: not signed)."""
        found: dict[str, dict[str, Any] | None] = dict.fromkeys(SIDES)
        for signature in self.signatures:
            found[signature["side"]] = signature
        return found

    @property
    def needs_attention(self) -> bool:
        """Shown in red: not accepted yet (unsigned, refused) or not reviewed."""
        return self.state != "accepted" or self.review is None

"""The case library and knowledge base (seed 003 4.11: cases used in training;
seed 002: a knowledge base): pure rules, no AWS, no HTTP, no clock (``now``
is always passed in).

An entry is what staff learned from a case: the problem, its cause, what
worked, what to say to the tenant (the only tenant-facing text), and the
lessons; a category (the case categories), tags, and the language it is
written in (zh-Hans, zh-Hant or en). Its life: ``draft`` -> ``pending``
(submitted for approval) -> ``approved`` (-> ``retired``). Every edit makes a
new version; staff read the approved version while a newer one is drafted, and
every version is kept. The author never approves their own entry; only a
manager or above approves (``auth.PERMISSIONS["library.approve"]``).

Tenant data never reaches the library: a draft proposed from a case is
prefilled through :func:`redact` (phone numbers, email addresses, unit
numbers, names and the reporter's own contact masked), and :func:`approve`
refuses while the text still carries the source case's reporter, contact or
unit (:func:`leaks`).

The library is kept per property (a staff member sees their properties'
entries, as with every other record).
"""
from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.domain import similarity
from chalicelib.domain.cases import CATEGORIES, LANGS, Actor, Case, Event, iso, parse_iso
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed

STATUSES = ("draft", "pending", "approved", "retired")
TEXT_FIELDS = ("title", "problem", "cause", "what_worked", "tenant_text", "lessons")
REQUIRED_FIELDS = ("title", "problem", "what_worked")
TEXT_MAX = {"title": 120, "problem": 2000, "cause": 2000, "what_worked": 2000, "tenant_text": 2000,
            "lessons": 2000}
MAX_TAGS = 10
TAG_MAX = 30
# Statuses of a case whose story is complete enough to teach from.
PROPOSABLE_STATUSES = frozenset({"callback_done", "closed"})
SUGGESTIONS = 5
ENTRY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
MIN_SCORE = 0.08  # below this an entry shares too little with the case to be worth a look

# --------------------------------------------------------------------------- redaction

_MASKS = {
    "zh-Hans": {"phone": "[电话]", "email": "[邮箱]", "unit": "[房号]", "name": "[姓名]", "someone": "某"},
    "zh-Hant": {"phone": "[電話]", "email": "[郵箱]", "unit": "[房號]", "name": "[姓名]", "someone": "某"},
    "en": {"phone": "[phone]", "email": "[email]", "unit": "[unit]", "name": "[name]", "someone": "X"},
}
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# A run of digits with the separators people write in phone numbers; a phone has 7 or more digits.
# "138xxxx8000" / "138****8000": a number written half-masked is still a number.
_PHONE = re.compile(r"(?<![A-Za-z0-9-])\+?\(?\d[\d ().*xX-]{5,}[\dxX*](?![A-Za-z0-9-])")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_UNIT_PATTERNS = (
    # 3-1201, B2-015, 12-3-801
    re.compile(r"(?<![A-Za-z0-9-])[A-Za-z]{0,2}\d{1,3}(?:-\d{1,4})?-\d{2,5}[A-Za-z]?(?![A-Za-z0-9-])"),
    # 3栋1201, 3號樓2單元1201室, 5座12楼, B座1201
    re.compile(r"[A-Za-z0-9一二三四五六七八九十]+\s*(?:栋|棟|号楼|號樓|幢|座)\s*"
               r"(?:\d+\s*(?:单元|單元))?\s*(?:\d+\s*(?:楼|樓|层|層)\s*)?\d*\s*(?:室|号|號|房)?"),
    # 1201室, 801房
    re.compile(r"\d{3,5}\s*(?:室|房)"),
    # Unit 12B, Flat 5A, Room 1201, Apt. 3, Shop L2-15
    re.compile(r"(?i)\b(?:unit|flat|room|apt\.?|apartment|suite|shop)\s*#?\s*[A-Za-z]?\d+[A-Za-z]?(?:-\d+)?\b"),
)
_ZH_HONORIFIC = re.compile(rf"[{_CJK}](?=(?:先生|女士|小姐|太太|阿姨|师傅|師傅|老师|老師|经理|經理))")
_EN_HONORIFIC = re.compile(r"\b(Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-zA-Z'-]+")


def _masks(lang: str) -> dict[str, str]:
    return _MASKS.get(lang, _MASKS["zh-Hans"])


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def _phone(match: re.Match[str]) -> bool:
    run = match.group(0).strip()
    return not _DATE.match(run) and len(re.sub(r"[^\dxX*]", "", run)) >= 7 and len(_digits(run)) >= 3


def case_secrets(case: Case) -> dict[str, list[str]]:
    """What of the source case must never reach the library: the reporter's
    name, phone and email, the contact given, and the unit."""
    reporter = case.reporter or {}
    found: dict[str, list[str]] = {"name": [], "phone": [], "email": [], "unit": []}
    if reporter.get("name"):
        found["name"].append(str(reporter["name"]))
    if reporter.get("phone"):
        found["phone"].append(str(reporter["phone"]))
    if reporter.get("email"):
        found["email"].append(str(reporter["email"]))
    contact = (case.contact or "").strip()
    if contact:
        found["email" if "@" in contact else "phone"].append(contact)
    if (case.unit or "").strip():
        found["unit"].append(case.unit.strip())
    if case.location and case.location.get("unit_id"):
        found["unit"].append(str(case.location["unit_id"]))
    return {k: sorted(set(v)) for k, v in found.items()}


def redact(text: str, secrets: dict[str, list[str]] | None = None, lang: str = "zh-Hans") -> str:
    """``text`` with tenant data masked: the given ``secrets`` (the source case's
    reporter, contact, unit: ``case_secrets``) wherever they appear, then any
    email address, phone number (7+ digits, however written), unit number and
    honorific name ("李女士" -> "某女士", "Mr Smith" -> "[name]")."""
    masks = _masks(lang)
    out = text or ""
    for kind in ("email", "unit", "name"):
        for value in sorted((secrets or {}).get(kind, []), key=len, reverse=True):
            if len(value.strip()) >= 2:
                out = re.sub(re.escape(value.strip()), masks[kind], out, flags=re.IGNORECASE)
    out = _EMAIL.sub(masks["email"], out)
    out = _PHONE.sub(lambda m: masks["phone"] if _phone(m) else m.group(0), out)
    for pattern in _UNIT_PATTERNS:
        out = pattern.sub(lambda m: masks["unit"] if re.search(r"\d", m.group(0)) else m.group(0), out)
    out = _ZH_HONORIFIC.sub(masks["someone"], out)
    out = _EN_HONORIFIC.sub(masks["name"], out)
    return out


def leaks(text: str, secrets: dict[str, list[str]]) -> list[str]:
    """Which kinds of the source case's tenant data (``case_secrets``) ``text``
    still carries: a name or email as written, a unit with or without spaces,
    a phone by its digits however they are grouped."""
    found = []
    lowered = (text or "").lower()
    compact = re.sub(r"\s+", "", lowered)
    digits = _digits(text)
    for kind in ("name", "email", "unit"):
        for value in secrets.get(kind, []):
            v = re.sub(r"\s+", "", value.lower())
            if len(v) >= 2 and v in compact:
                found.append(kind)
                break
    for value in secrets.get("phone", []):
        d = _digits(value)
        if len(d) >= 7 and (d in digits or d[-8:] in digits):
            found.append("phone")
            break
    return found


# --------------------------------------------------------------------------- the entry


@dataclass
class Version:
    """One version of an entry's text, as its author wrote it."""

    number: int
    content: dict[str, Any]  # TEXT_FIELDS, "category", "tags", "lang"
    author: dict[str, str]  # {"id", "role", "name"}
    at: datetime
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "content": copy.deepcopy(self.content), "author": dict(self.author),
                "at": iso(self.at), "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Version:
        return cls(number=int(data["number"]), content=dict(data.get("content") or {}),
                   author=dict(data.get("author") or {}), at=parse_iso(data["at"]), note=data.get("note", ""))


@dataclass
class LibraryEntry:
    property_id: str
    entry_id: str
    status: str  # of the newest version: draft | pending | approved | retired
    current: dict[str, Any]  # the newest version's content
    current_version: int
    created_by: dict[str, str]
    created_at: datetime
    source_case: str | None = None
    # What staff read: the approved version's number and content (None until approved).
    approved_version: int | None = None
    approved: dict[str, Any] | None = None
    approved_by: dict[str, str] | None = None
    approved_at: datetime | None = None
    submitted_by: dict[str, str] | None = None  # who asked for approval of the pending version
    uses: int = 0  # "this helped", counted by storage (an atomic ADD), not by this class
    updated_at: datetime | None = None
    version: int = 0  # storage's optimistic-lock version
    redacted: list[str] = field(default_factory=list)  # what was masked when proposed from the case

    @property
    def visible(self) -> bool:
        """Staff see it (training view, suggestions): an approved version, not retired."""
        return self.approved is not None and self.status != "retired"

    @property
    def category(self) -> str:
        return str((self.approved or self.current).get("category", "other"))

    def to_dict(self) -> dict[str, Any]:
        return {"property_id": self.property_id, "entry_id": self.entry_id, "status": self.status,
                "current": copy.deepcopy(self.current), "current_version": self.current_version,
                "created_by": dict(self.created_by), "created_at": iso(self.created_at),
                "source_case": self.source_case, "approved_version": self.approved_version,
                "approved": copy.deepcopy(self.approved), "approved_by": self.approved_by,
                "approved_at": iso(self.approved_at) if self.approved_at else None,
                "submitted_by": self.submitted_by,
                "updated_at": iso(self.updated_at) if self.updated_at else None, "redacted": list(self.redacted)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], version: int, uses: int = 0) -> LibraryEntry:
        return cls(property_id=data["property_id"], entry_id=data["entry_id"], status=data["status"],
                   current=dict(data.get("current") or {}), current_version=int(data.get("current_version", 1)),
                   created_by=dict(data.get("created_by") or {}), created_at=parse_iso(data["created_at"]),
                   source_case=data.get("source_case"), approved_version=data.get("approved_version"),
                   approved=data.get("approved"), approved_by=data.get("approved_by"),
                   approved_at=parse_iso(data["approved_at"]) if data.get("approved_at") else None,
                   submitted_by=data.get("submitted_by"),
                   updated_at=parse_iso(data["updated_at"]) if data.get("updated_at") else None,
                   version=version, uses=uses, redacted=list(data.get("redacted") or []))


@dataclass
class EntryChange:
    """An entry as it is after a step, and the version that step wrote (None: no new text)."""

    entry: LibraryEntry
    new_version: Version | None
    action: str


def _who(actor: Actor) -> dict[str, str]:
    return {"id": actor.id, "role": actor.role, "name": actor.name}


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")


def content_of(params: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The entry's text from a request: every text field (a field left out keeps
    ``base``'s), category, tags and language checked."""
    merged: dict[str, Any] = dict(base or {})
    for name in TEXT_FIELDS:
        if name in params:
            value = params[name]
            if not isinstance(value, str):
                raise ValidationFailed(f"{name} must be text", details={"field": name})
            value = value.strip()
            if len(value) > TEXT_MAX[name]:
                raise ValidationFailed(f"{name} is too long", details={"field": name})
            merged[name] = value
    for name in REQUIRED_FIELDS:
        if not merged.get(name):
            raise ValidationFailed(f"{name} is required", details={"field": name})
    for name in TEXT_FIELDS:
        merged.setdefault(name, "")
    category = params.get("category", merged.get("category"))
    if category not in CATEGORIES:
        raise ValidationFailed("unknown category", details={"field": "category"})
    merged["category"] = category
    lang = params.get("lang", merged.get("lang", "zh-Hans"))
    if lang not in LANGS:
        raise ValidationFailed("lang must be zh-Hans, zh-Hant or en", details={"field": "lang"})
    merged["lang"] = lang
    tags = params.get("tags", merged.get("tags", []))
    if not isinstance(tags, list) or len(tags) > MAX_TAGS or not all(
            isinstance(t, str) and 0 < len(t.strip()) <= TAG_MAX for t in tags):
        raise ValidationFailed(f"tags: up to {MAX_TAGS} words of up to {TAG_MAX} characters",
                               details={"field": "tags"})
    merged["tags"] = list(dict.fromkeys(t.strip() for t in tags))
    return merged


def new_entry(*, property_id: str, entry_id: str, actor: Actor, params: dict[str, Any], now: datetime,
              source_case: str | None = None, redacted: Iterable[str] = ()) -> EntryChange:
    """A draft, version 1, written by ``actor``."""
    _aware(now)
    content = content_of(params)
    entry = LibraryEntry(property_id=property_id, entry_id=entry_id, status="draft", current=content,
                         current_version=1, created_by=_who(actor), created_at=now, source_case=source_case,
                         updated_at=now, redacted=sorted(set(redacted)))
    return EntryChange(entry, Version(1, copy.deepcopy(content), _who(actor), now, "created"), "created")


# A proposal's cause starts from the case's classified cause (domain/cases.CAUSES) and the staff's notes.
CAUSE_WORDS: dict[str, dict[str, str]] = {
    "business_affected": {"zh-Hans": "影响租户经营", "zh-Hant": "影響租戶經營", "en": "Affected the tenant's business"},
    "outside_control": {"zh-Hans": "非我方原因", "zh-Hant": "非我方原因", "en": "Outside our control"},
    "equipment_facility": {"zh-Hans": "设备设施原因", "zh-Hant": "設備設施原因", "en": "Equipment or facility"},
}
CAUSE_SEPARATOR = {"zh-Hans": "。", "zh-Hant": "。", "en": "."}


def draft_from_case(case: Case, events: Iterable[Event] = (), lang: str | None = None
                    ) -> tuple[dict[str, Any], list[str]]:
    """A proposal's text prefilled from ``case`` and its trail (the complaint as
    the problem, the classified cause and the staff's notes as the cause, the
    resolution as what worked, the answer or response as what was said to the
    tenant, the closing summary as a lesson) with tenant data
    masked (``redact``); and which kinds of the case's own data were masked."""
    lang = lang if lang in LANGS else case.lang if case.lang in LANGS else "zh-Hans"
    secrets = case_secrets(case)
    said = worked = lessons = ""
    notes: list[str] = []
    for event in events:
        if event.action == "resolve":
            worked = str(event.data.get("resolution") or worked)
        elif event.action in ("answer", "explain", "respond"):
            said = str(event.data.get("message") or said)
        elif event.action == "close":
            lessons = str(event.data.get("summary") or lessons)
        elif event.action in ("note", "assign", "start") and event.data.get("note") and not event.data.get("via"):
            notes.append(str(event.data["note"]))  # staff's own words while they found the cause (not mail)
    label = CAUSE_WORDS.get(case.cause or "", {}).get(lang, "")
    cause = "\n".join(part for part in (label and f"{label}{CAUSE_SEPARATOR[lang]}", *notes) if part)
    raw = {"title": (case.title or case.content)[:40], "problem": case.content, "cause": cause,
           "what_worked": worked or said, "tenant_text": said, "lessons": lessons}
    masked = {k: redact(v, secrets, lang)[:TEXT_MAX[k]] for k, v in raw.items()}
    found = sorted({kind for v in raw.values() for kind in leaks(v, secrets)})
    masked["title"] = masked["title"] or "-"
    masked["what_worked"] = masked["what_worked"] or "-"
    return {**masked, "category": case.category or "other", "lang": lang, "tags": []}, found


def require_proposable(case: Case) -> None:
    if case.status not in PROPOSABLE_STATUSES:
        raise Conflict("only a case whose callback is done (or closed) is proposed for the library",
                       code="case_not_closed", details={"status": case.status})


def edit(entry: LibraryEntry, actor: Actor, params: dict[str, Any], now: datetime) -> EntryChange:
    """A new version (a draft again; staff keep reading the approved one)."""
    _aware(now)
    if entry.status == "retired":
        raise Conflict("a retired entry is not edited", code="entry_retired")
    content = content_of(params, entry.current)
    after = copy.deepcopy(entry)
    after.current_version += 1
    after.current = content
    after.status = "draft"
    after.submitted_by = None
    after.updated_at = now
    note = str(params.get("note") or "")[:200]
    return EntryChange(after, Version(after.current_version, copy.deepcopy(content), _who(actor), now, note), "edited")


def submit(entry: LibraryEntry, actor: Actor, now: datetime) -> EntryChange:
    """Ask a manager to approve the newest version."""
    _aware(now)
    if entry.status != "draft":
        raise Conflict("only a draft is submitted for approval", code="not_draft", details={"status": entry.status})
    after = copy.deepcopy(entry)
    after.status, after.submitted_by, after.updated_at = "pending", _who(actor), now
    return EntryChange(after, None, "submitted")


def approve(entry: LibraryEntry, actor: Actor, now: datetime, *, versions: Iterable[Version],
            secrets: dict[str, list[str]] | None = None) -> EntryChange:
    """A manager (``library.approve``) approves the pending version: never its
    author nor the entry's creator, and never while its text still carries the
    source case's reporter, contact or unit (``secrets``: ``case_secrets``)."""
    _aware(now)
    if entry.status != "pending":
        raise Conflict("only an entry pending approval is approved", code="not_pending",
                       details={"status": entry.status})
    authors = {entry.created_by.get("id")} | {v.author.get("id") for v in versions
                                              if v.number == entry.current_version}
    if actor.id in authors:
        raise Forbidden("the author of an entry does not approve it", code="own_entry")
    found = sorted({kind for name in TEXT_FIELDS for kind in leaks(entry.current.get(name, ""), secrets or {})})
    if found:
        raise ValidationFailed("the text still contains the case's tenant data: remove it first",
                               code="tenant_data_left", details={"found": found})
    after = copy.deepcopy(entry)
    after.status = "approved"
    after.approved_version = entry.current_version
    after.approved = copy.deepcopy(entry.current)
    after.approved_by, after.approved_at, after.updated_at = _who(actor), now, now
    return EntryChange(after, None, "approved")


def send_back(entry: LibraryEntry, actor: Actor, now: datetime) -> EntryChange:
    """A manager returns a pending version to draft (it is edited, then submitted again)."""
    _aware(now)
    if entry.status != "pending":
        raise Conflict("only an entry pending approval is returned", code="not_pending",
                       details={"status": entry.status})
    after = copy.deepcopy(entry)
    after.status, after.submitted_by, after.updated_at = "draft", None, now
    return EntryChange(after, None, "returned")


def retire(entry: LibraryEntry, actor: Actor, now: datetime) -> EntryChange:
    _aware(now)
    if entry.status == "retired":
        raise Conflict("the entry is already retired", code="entry_retired")
    after = copy.deepcopy(entry)
    after.status, after.updated_at = "retired", now
    return EntryChange(after, None, "retired")


# --------------------------------------------------------------------------- reading


def staff_view(entry: LibraryEntry) -> dict[str, Any]:
    """An entry as staff read it: the approved text (or the newest, before approval)."""
    shown = entry.approved if entry.approved is not None else entry.current
    return {"entry_id": entry.entry_id, "property_id": entry.property_id, "status": entry.status,
            "visible": entry.visible, **copy.deepcopy(shown),
            "approved_version": entry.approved_version, "current_version": entry.current_version,
            "draft": copy.deepcopy(entry.current) if entry.current_version != entry.approved_version else None,
            "source_case": entry.source_case, "created_by": entry.created_by,
            "created_at": iso(entry.created_at), "approved_by": entry.approved_by,
            "approved_at": iso(entry.approved_at) if entry.approved_at else None,
            "submitted_by": entry.submitted_by, "uses": entry.uses, "version": entry.version,
            "redacted": list(entry.redacted)}


def training_order(entries: Iterable[LibraryEntry]) -> list[LibraryEntry]:
    """Visible entries by category, then newest (approved) and most used first."""
    shown = [e for e in entries if e.visible]
    shown.sort(key=lambda e: (e.approved_at.timestamp() if e.approved_at else 0.0, e.uses), reverse=True)
    shown.sort(key=lambda e: CATEGORIES.index(e.category) if e.category in CATEGORIES else len(CATEGORIES))
    return shown


def entry_text(content: dict[str, Any]) -> str:
    return " ".join(str(content.get(k, "")) for k in ("title", "problem", "cause", "what_worked")) + " " + " ".join(
        content.get("tags", []))


def suggest(case: Case, entries: Iterable[LibraryEntry], *,
            limit: int = SUGGESTIONS) -> list[tuple[float, LibraryEntry]]:
    """Approved entries of the case's category ranked by ``similarity`` of the
    case's title and content to the entry's text (more uses break ties)."""
    features = similarity.shingles(f"{case.title} {case.content}")
    ranked = []
    for entry in entries:
        if not entry.visible or entry.category != case.category or entry.approved is None:
            continue
        score = similarity.similarity(features, similarity.shingles(entry_text(entry.approved)))
        if score >= MIN_SCORE:
            ranked.append((round(score, 3), entry))
    ranked.sort(key=lambda pair: (pair[0], pair[1].uses), reverse=True)
    return ranked[:limit]

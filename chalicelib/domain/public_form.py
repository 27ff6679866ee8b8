"""The public web form (``/p/{property}``): a visitor without an account files
a complaint or request, and a one-time code sent to the contact they gave
proves the contact is theirs before anything becomes a case.

Design (why a pending submission is *not* a case): a submission waits as a
record of its own (``Submission``), with a TTL, until its code is confirmed;
only then is the case created, as a ``web`` case with ``verified: true``.
So the desk's queue, the 10-minute hand-off window, the watcher, the day's case
numbers and the statistics only ever see contacts that answered: an unverified
submission never starts a window nobody can meet, never escalates to a manager
at night, never takes a case number, and simply expires (DynamoDB TTL). The case's
clock starts when it is verified, which is when the desk can first act on it.
The front desk sees the verified case like an unknown email sender's: no tenant
account (no ``tenant_id``), the reporter's name and contact as given, the place
as free text or the archive's label.

Pure: no AWS, no wall clock (``now`` is passed in), no randomness of its own
(the caller passes a random source, so tests are exact).
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import cases
from chalicelib.domain.errors import DomainError, ValidationFailed

CODE_DIGITS = 6
MAX_ATTEMPTS = 5
# An unverified submission lives this long (its code with it); DynamoDB's TTL
# deletes it later, and every read checks the time itself.
PENDING_TTL = timedelta(minutes=30)
MAX_CONTENT = 2000
MAX_PLACE = 200
MAX_NAME = 100
LANGS = ("zh-Hans", "zh-Hant", "en")
# The actor a verified submission's case is created by: the visitor, through the form.
VISITOR = cases.Actor("public-form", "visitor", "Web form")

_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\\\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")


class SubmissionExpired(DomainError):
    """The submission's time ran out (or it never existed): file it again."""

    status = 410
    code = "submission_expired"


@dataclass(frozen=True)
class Submission:
    """A visitor's pending complaint or request, until its code is confirmed."""

    property_id: str
    submission_id: str
    created_at: datetime
    expires_at: datetime
    code_hash: str
    salt: str
    contact: dict[str, str]  # {"email"?, "phone"?}
    name: str
    place: str
    location: dict[str, Any] | None
    content: str
    category: str | None
    lang: str
    attempts: int = 0
    case_id: str | None = None  # set once verified
    version: int = 0
    sent_to: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.case_id is not None

    def attempts_left(self) -> int:
        return max(0, MAX_ATTEMPTS - self.attempts)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["created_at"], d["expires_at"] = cases.iso(self.created_at), cases.iso(self.expires_at)
        d.pop("version")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], version: int = 0) -> Submission:
        data = {k: v for k, v in d.items() if k in cls.__dataclass_fields__ and k != "version"}
        data["created_at"], data["expires_at"] = cases.parse_iso(d["created_at"]), cases.parse_iso(d["expires_at"])
        return cls(**data, version=version)


# --- codes --------------------------------------------------------------------

def new_code(randbelow: Callable[[int], int]) -> str:
    """A 6-digit code, leading zeros kept (``randbelow``: ``secrets.randbelow``)."""
    return f"{randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(code: str, salt: str) -> str:
    """Codes are stored only as a salted hash (a leaked table row gives no code)."""
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def code_matches(sub: Submission, code: str) -> bool:
    """Compared in constant time."""
    return hmac.compare_digest(hash_code(code, sub.salt), sub.code_hash)


# --- the visitor's input ------------------------------------------------------

def normalise_contact(params: dict[str, Any]) -> dict[str, str]:
    """The contact the code goes to: an email (lower-cased domain) or a phone
    number (digits and a leading +). At least one; both allowed."""
    out: dict[str, str] = {}
    email = (params.get("email") or "").strip()
    phone = re.sub(r"[\s().\-]", "", params.get("phone") or "")
    if email:
        if not _EMAIL.match(email) or len(email) > 254:
            raise ValidationFailed("email is not an email address", details={"field": "email"})
        local, _, domain = email.rpartition("@")
        out["email"] = f"{local}@{domain.lower()}"
    if phone:
        if not _PHONE.match(phone):
            raise ValidationFailed("phone is not a phone number", details={"field": "phone"})
        out["phone"] = phone
    if not out:
        raise ValidationFailed("give an email address or a phone number so we can reach you",
                               code="contact_required", details={"field": "email"})
    return out


def contact_key(contact: dict[str, str]) -> str:
    """What the per-contact daily limit counts: the email, else the phone (hashed:
    counter keys need not carry a visitor's address)."""
    value = contact.get("email", "").lower() or contact.get("phone", "")
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def pick_lang(requested: str | None, accept_language: str | None) -> str:
    """The visitor's language: what the page sent, else Accept-Language, else Simplified Chinese."""
    if requested is not None and requested in LANGS:
        return requested
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
            return "zh-Hant"
        if tag.startswith("zh"):
            return "zh-Hans"
        if tag.startswith("en"):
            return "en"
    return "zh-Hans"


def new_submission(*, property_id: str, submission_id: str, params: dict[str, Any], location: dict[str, Any] | None,
                   code: str, salt: str, now: datetime) -> Submission:
    """A validated pending submission holding only the hash of ``code``."""
    contact = normalise_contact(params)
    content = (params.get("content") or "").strip()
    if not content:
        raise ValidationFailed("content must not be empty", details={"field": "content"})
    if len(content) > MAX_CONTENT:
        raise ValidationFailed(f"content is longer than {MAX_CONTENT} characters", details={"field": "content"})
    place = (params.get("place") or "").strip()[:MAX_PLACE] or (location or {}).get("label", "")
    if not place:
        raise ValidationFailed("say where it is", code="place_required", details={"field": "place"})
    category = params.get("category")
    if category is not None and category not in cases.CATEGORIES:
        raise ValidationFailed("unknown category", details={"field": "category"})
    name = (params.get("name") or "").strip()[:MAX_NAME]
    return Submission(property_id=property_id, submission_id=submission_id, created_at=now,
                      expires_at=now + PENDING_TTL, code_hash=hash_code(code, salt), salt=salt, contact=contact,
                      name=name, place=place, location=location, content=content, category=category,
                      lang=str(params["lang"]) if params.get("lang") in LANGS else "zh-Hans")


def check(sub: Submission | None, code: str, now: datetime) -> tuple[Submission, bool]:
    """One try at the code: (the submission as it now stands, whether it matched).
    Expired, unknown or used-up submissions are refused before the code is compared,
    so a sixth try learns nothing."""
    if sub is None or now >= sub.expires_at:
        raise SubmissionExpired("this submission has expired; please fill in the form again")
    if sub.attempts >= MAX_ATTEMPTS:
        raise ValidationFailed("too many wrong codes; please fill in the form again", code="code_attempts_used_up",
                               details={"attempts_left": 0})
    if code_matches(sub, code):
        return sub, True
    return replace(sub, attempts=sub.attempts + 1), False


def wrong_code(sub: Submission) -> ValidationFailed:
    left = sub.attempts_left()
    if left == 0:
        return ValidationFailed("too many wrong codes; please fill in the form again", code="code_attempts_used_up",
                                details={"attempts_left": 0})
    return ValidationFailed(f"the code is not right; {left} tries left", code="wrong_code",
                            details={"field": "code", "attempts_left": left})


def case_params(sub: Submission) -> dict[str, Any]:
    """What the verified submission's case is made of: a ``web`` case from a
    visitor (no tenant account), verified, in the visitor's language."""
    reporter: dict[str, Any] = {"name": sub.name or sub.contact.get("email") or sub.contact.get("phone", ""),
                                "visitor": True, **sub.contact}
    params: dict[str, Any] = {"channel": "web", "content": sub.content, "unit": sub.place, "reporter": reporter,
                              "contact": sub.contact.get("email") or sub.contact.get("phone", ""),
                              "lang": sub.lang, "verified": True, "title": sub.content.splitlines()[0][:60]}
    if sub.category:
        params["category"] = sub.category
    if sub.location:
        params["location"] = sub.location
    return params


def mask(contact: dict[str, str]) -> list[str]:
    """Where the code went, as the page may show it (``l***@example.cn``, ``+86*******78``)."""
    shown = []
    if contact.get("email"):
        local, _, domain = contact["email"].rpartition("@")
        shown.append(f"{local[:1]}***@{domain}")
    if contact.get("phone"):
        p = contact["phone"]
        shown.append(p[:3] + "*" * max(0, len(p) - 5) + p[-2:])
    return shown


# The code's message, in the visitor's language (the subject carries the code:
# a phone's notification shows it without opening the mail).
CODE_TEXTS = {
    "zh-Hans": ("{code} 是您的验证码（{prop}）", "您好！\n\n您在{prop}的网页表单提交了投诉/报事。验证码：{code}\n"
                "30 分钟内有效。如非本人操作，请忽略本邮件。"),
    "zh-Hant": ("{code} 是您的驗證碼（{prop}）", "您好！\n\n您在{prop}的網頁表單提交了投訴/報事。驗證碼：{code}\n"
                "30 分鐘內有效。如非本人操作，請忽略本郵件。"),
    "en": ("{code} is your verification code ({prop})", "Hello,\n\nYou filed a complaint or request on {prop}'s "
           "web form. Your code: {code}\nIt is valid for 30 minutes. If this was not you, ignore this message."),
}
CONFIRM_TEXTS = {
    "zh-Hans": ("[{case}] 已受理：{prop}", "您好！\n\n您的投诉/报事已受理，编号 {case}。我们会通过本邮箱告诉您进展。"),
    "zh-Hant": ("[{case}] 已受理：{prop}", "您好！\n\n您的投訴/報事已受理，編號 {case}。我們會透過本郵箱告訴您進展。"),
    "en": ("[{case}] received: {prop}", "Hello,\n\nWe have your complaint or request, number {case}. "
           "We will tell you how it goes at this address."),
}


def code_message(lang: str, code: str, prop_name: str) -> tuple[str, str]:
    subject, body = CODE_TEXTS.get(lang, CODE_TEXTS["zh-Hans"])
    return subject.format(code=code, prop=prop_name), body.format(code=code, prop=prop_name)


def confirm_message(lang: str, case_id: str, prop_name: str) -> tuple[str, str]:
    subject, body = CONFIRM_TEXTS.get(lang, CONFIRM_TEXTS["zh-Hans"])
    return subject.format(case=case_id, prop=prop_name), body.format(case=case_id, prop=prop_name)

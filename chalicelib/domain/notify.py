"""Being told: which case events become a notification for the tenant, with
what words (zh-Hans, zh-Hant, en), and when a delivery may go (quiet hours).

One home for the rule. A notification is made from a case's audit event, in
the same transaction as the change (the store writes it beside the event,
keyed by the event's ``seq``: a retried write can never make two), and it
carries only what the tenant sees of that event: its fields come from
``views.event_view(event, staff=False)``, the tenant's allow-list, so a
notification can never say more than the tenant's own timeline does.

Pure: no AWS, no clock; times are passed in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from chalicelib.domain import views
from chalicelib.domain.cases import LANGS, Case, Change, iso, parse_iso
from chalicelib.domain.errors import ValidationFailed

# action -> (kind, the event's tenant-visible fields the words use). An action
# not listed tells the tenant nothing (notes, classification, escalation, the
# watcher's records, the tenant's own message, rating or reopen).
NOTIFY: dict[str, tuple[str, frozenset[str]]] = {
    "submitted": ("received", frozenset({"channel"})),
    "assign": ("assigned", frozenset()),
    "await_tenant": ("question", frozenset({"reason", "message"})),
    "respond": ("responded", frozenset({"message", "promised_by"})),
    "move_promise": ("promise_moved", frozenset({"promised_by", "reason"})),
    "resolve": ("resolved", frozenset({"resolution"})),
    "callback": ("callback", frozenset()),
    "written_reply": ("written_reply", frozenset({"medium", "subject"})),
    "reopen": ("reopened", frozenset()),
    "answer": ("answered", frozenset({"message"})),
    "explain": ("explained", frozenset({"message"})),
    "close": ("closed", frozenset()),
    "close_unreachable": ("closed", frozenset()),
    # Duplicates (chalicelib/domain/dedupe.py): staff merged the tenant's case into another
    # of theirs ("merged into TD-…"), or linked it to another reporter's case of the same
    # problem (the tenant is told it is handled together; the owner case is not named).
    "merge": ("merged", frozenset({"merged_into"})),
    "link": ("linked", frozenset()),
}
# A tenant is told of their own actions only when it is the acknowledgement of what they sent.
OWN_ACTIONS_TOLD = frozenset({"submitted"})
# Mall visitors who report through the public web form have no account, feed or app: they are told by
# mail, at the address they verified with the form's code, of every step after the acknowledgement
# (which the form's confirmation mail was). Their recipient id is the case's own, never a tenant's.
VISITOR_PREFIX = "visitor:"
VISITOR_NOT_TOLD = frozenset({"received"})
KINDS: tuple[str, ...] = tuple(sorted({kind for kind, _ in NOTIFY.values()}))
CHANNELS = ("push", "webpush", "email")
PUSH_BODY_MAX = 180


@dataclass(frozen=True)
class Notification:
    """What the tenant is told about one event of one of their cases."""

    tenant_id: str
    property_id: str
    case_id: str
    seq: int
    at: datetime
    kind: str
    params: dict[str, Any]
    lang: str  # the case's language: the words' language unless the tenant chose another

    def to_dict(self) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id, "property_id": self.property_id, "case_id": self.case_id,
                "seq": self.seq, "at": iso(self.at), "kind": self.kind, "params": dict(self.params),
                "lang": self.lang}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notification:
        return cls(tenant_id=data["tenant_id"], property_id=data["property_id"], case_id=data["case_id"],
                   seq=int(data["seq"]), at=parse_iso(data["at"]), kind=data["kind"],
                   params=dict(data.get("params") or {}), lang=data.get("lang") or "zh-Hans")


def recipient(case: Case) -> str | None:
    """Who is told of the case's steps: its tenant, or the verified visitor who
    reported it through the web form (``VISITOR_PREFIX`` + the case's key); None: nobody."""
    if case.tenant_id:
        return case.tenant_id
    reporter = case.reporter or {}
    if reporter.get("visitor") and reporter.get("email") and case.verified:
        return f"{VISITOR_PREFIX}{case.key}"
    return None


def is_visitor(recipient_id: str) -> bool:
    return recipient_id.startswith(VISITOR_PREFIX)


def for_change(change: Change) -> Notification | None:
    """The notification a stored change makes, or None when the tenant is not told."""
    event, case = change.event, change.case
    rule = NOTIFY.get(event.action)
    tenant_id = recipient(case)
    if rule is None or not tenant_id:
        return None
    if event.actor.id == tenant_id and event.action not in OWN_ACTIONS_TOLD:
        return None
    kind, fields = rule
    if is_visitor(tenant_id) and kind in VISITOR_NOT_TOLD:
        return None
    visible = views.event_view(event, staff=False)["data"]
    params = {name: visible[name] for name in sorted(fields) if visible.get(name) not in (None, "")}
    return Notification(tenant_id=tenant_id, property_id=case.property_id, case_id=case.case_id, seq=event.seq,
                        at=event.at, kind=kind, params=params, lang=case.lang if case.lang in LANGS else "zh-Hans")


# --- the words --------------------------------------------------------------------

_TITLES: dict[str, dict[str, str]] = {
    "received": {"zh-Hans": "已收到您的案件", "zh-Hant": "已收到您的案件", "en": "We received your case"},
    "assigned": {"zh-Hans": "已转交处理", "zh-Hant": "已轉交處理", "en": "Handed to the team"},
    "question": {"zh-Hans": "需要您的回复", "zh-Hant": "需要您的回覆", "en": "We need your reply"},
    "responded": {"zh-Hans": "案件有了回复", "zh-Hant": "案件有了回覆", "en": "A reply on your case"},
    "promise_moved": {"zh-Hans": "预计解决时间有变", "zh-Hant": "預計解決時間有變", "en": "New expected time"},
    "resolved": {"zh-Hans": "案件已处理完毕", "zh-Hant": "案件已處理完畢", "en": "Your case is resolved"},
    "callback": {"zh-Hans": "回访", "zh-Hant": "回訪", "en": "Follow-up call"},
    "written_reply": {"zh-Hans": "书面答复已发出", "zh-Hant": "書面答覆已發出", "en": "Written reply sent"},
    "reopened": {"zh-Hans": "案件已重新处理", "zh-Hant": "案件已重新處理", "en": "Your case is reopened"},
    "answered": {"zh-Hans": "您的咨询已答复", "zh-Hant": "您的諮詢已答覆", "en": "Your question is answered"},
    "explained": {"zh-Hans": "关于您的投诉", "zh-Hant": "關於您的投訴", "en": "About your complaint"},
    "closed": {"zh-Hans": "案件已结案", "zh-Hant": "案件已結案", "en": "Your case is closed"},
    "merged": {"zh-Hans": "案件已合并", "zh-Hant": "案件已合併", "en": "Cases merged"},
    "linked": {"zh-Hans": "案件合并处理", "zh-Hant": "案件合併處理", "en": "Handled together"},
}
_BODIES: dict[str, dict[str, str]] = {
    "received": {"zh-Hans": "案件 {case_id} 已受理，我们会尽快处理。",
                 "zh-Hant": "案件 {case_id} 已受理，我們會盡快處理。",
                 "en": "Case {case_id} is registered; we are on it."},
    "assigned": {"zh-Hans": "案件 {case_id} 已转交负责人员处理。",
                 "zh-Hant": "案件 {case_id} 已轉交負責人員處理。",
                 "en": "Case {case_id} is now with the person responsible."},
    "question": {"zh-Hans": "关于案件 {case_id}，{reason}{message}",
                 "zh-Hant": "關於案件 {case_id}，{reason}{message}",
                 "en": "About case {case_id}: {reason}{message}"},
    "responded": {"zh-Hans": "案件 {case_id}：{message}{promise}",
                  "zh-Hant": "案件 {case_id}：{message}{promise}",
                  "en": "Case {case_id}: {message}{promise}"},
    "promise_moved": {"zh-Hans": "案件 {case_id} 预计 {promised_by} 前解决。{reason}",
                      "zh-Hant": "案件 {case_id} 預計 {promised_by} 前解決。{reason}",
                      "en": "Case {case_id} is now expected by {promised_by}. {reason}"},
    "resolved": {"zh-Hans": "案件 {case_id} 已处理：{resolution}",
                 "zh-Hant": "案件 {case_id} 已處理：{resolution}",
                 "en": "Case {case_id} is resolved: {resolution}"},
    "callback": {"zh-Hans": "客服中心已就案件 {case_id} 的处理结果与您回访联系。",
                 "zh-Hant": "客服中心已就案件 {case_id} 的處理結果與您回訪聯繫。",
                 "en": "Customer service followed up with you on case {case_id}."},
    "written_reply": {"zh-Hans": "案件 {case_id} 的书面答复已{medium}：{subject}",
                      "zh-Hant": "案件 {case_id} 的書面答覆已{medium}：{subject}",
                      "en": "Our written reply on case {case_id} was {medium}: {subject}"},
    "reopened": {"zh-Hans": "案件 {case_id} 已重新开始处理。",
                 "zh-Hant": "案件 {case_id} 已重新開始處理。",
                 "en": "Work on case {case_id} has started again."},
    "answered": {"zh-Hans": "案件 {case_id}：{message}", "zh-Hant": "案件 {case_id}：{message}",
                 "en": "Case {case_id}: {message}"},
    "explained": {"zh-Hans": "案件 {case_id}：{message}", "zh-Hant": "案件 {case_id}：{message}",
                  "en": "Case {case_id}: {message}"},
    "closed": {"zh-Hans": "案件 {case_id} 已结案，感谢您的反馈。",
               "zh-Hant": "案件 {case_id} 已結案，感謝您的反饋。",
               "en": "Case {case_id} is closed. Thank you for telling us."},
    "merged": {"zh-Hans": "案件 {case_id} 已并入案件 {into}。", "zh-Hant": "案件 {case_id} 已併入案件 {into}。",
               "en": "Case {case_id} was merged into case {into}."},
    "linked": {"zh-Hans": "案件 {case_id} 与其他住户反映的同一问题一并处理，处理完毕后会通知您。",
               "zh-Hant": "案件 {case_id} 與其他住戶反映的同一問題一併處理，處理完畢後會通知您。",
               "en": "Case {case_id} is being handled together with the same problem reported by others; "
                     "we will tell you when it is resolved."},
}
_REASONS = {
    "question": {"zh-Hans": "我们有问题想请您确认：", "zh-Hant": "我們有問題想請您確認：", "en": "we have a question: "},
    "unreachable": {"zh-Hans": "我们未能联系上您，请回复。", "zh-Hant": "我們未能聯繫上您，請回覆。",
                    "en": "we could not reach you; please reply. "},
    "access": {"zh-Hans": "我们需要进入您的单元，请告知方便的时间。", "zh-Hant": "我們需要進入您的單位，請告知方便的時間。",
               "en": "we need access to your unit; please tell us when suits you. "},
}
_PROMISE = {"zh-Hans": "（预计 {due} 前解决）", "zh-Hant": "（預計 {due} 前解決）", "en": " (expected by {due})"}
_MEDIUM = {"email": {"zh-Hans": "通过邮件发送", "zh-Hant": "透過電郵發送", "en": "emailed"},
           "letter": {"zh-Hans": "邮寄", "zh-Hant": "郵寄", "en": "posted"}}


def pick_lang(*choices: str | None) -> str:
    """The first of ``choices`` that is one of ours (the tenant's preference, the case's), else zh-Hans."""
    return next((c for c in choices if c in LANGS), "zh-Hans")


def _local(value: str, tz: str) -> str:
    return parse_iso(value).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def render(n: Notification, lang: str, tz: str) -> dict[str, str]:
    """Title and body of ``n`` in ``lang``; times in the property's zone ``tz``."""
    lang = pick_lang(lang)
    p = n.params
    into = p.get("merged_into") or p.get("into", "")
    values: dict[str, str] = {"case_id": n.case_id, "message": str(p.get("message", "")),
                              "resolution": str(p.get("resolution", "")), "subject": str(p.get("subject", "")),
                              "reason": str(p.get("reason", "")), "into": str(into),
                              "promise": "", "promised_by": "", "medium": ""}
    if p.get("promised_by"):
        values["promised_by"] = _local(p["promised_by"], tz)
        values["promise"] = _PROMISE[lang].format(due=values["promised_by"])
    if n.kind == "question":
        values["reason"] = _REASONS.get(str(p.get("reason")), _REASONS["question"])[lang]
    if n.kind == "written_reply":
        values["medium"] = _MEDIUM.get(str(p.get("medium")), _MEDIUM["email"])[lang]
    body = _BODIES[n.kind][lang].format(**values).strip()
    return {"title": _TITLES[n.kind][lang], "body": body}


def already_mailed(n: Notification) -> bool:
    """Whether the event was itself a mail to the tenant (the acknowledgement of
    an emailed case, an emailed written reply): no second mail about it."""
    return ((n.kind == "received" and n.params.get("channel") == "email")
            or (n.kind == "written_reply" and n.params.get("medium") == "email"))


def short(text: str, limit: int = PUSH_BODY_MAX) -> str:
    """A push's body: at most ``limit`` characters (the feed has the whole text)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- the tenant's choices: channels, quiet hours, language --------------------------

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Preferences:
    channels: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(CHANNELS, True))
    quiet_from: str | None = None  # "HH:MM", property-local
    quiet_to: str | None = None
    lang: str | None = None

    def to_dict(self) -> dict[str, Any]:
        quiet = {"from": self.quiet_from, "to": self.quiet_to} if self.quiet_from and self.quiet_to else None
        return {"channels": {c: bool(self.channels.get(c, True)) for c in CHANNELS}, "quiet_hours": quiet,
                "lang": self.lang}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Preferences:
        """Validated: times are HH:MM, ``from`` differs from ``to``, the language is one of ours."""
        data = data or {}
        channels = {c: bool((data.get("channels") or {}).get(c, True)) for c in CHANNELS}
        quiet = data.get("quiet_hours") or None
        start = end = None
        if quiet:
            start, end = quiet.get("from"), quiet.get("to")
            for name, value in (("from", start), ("to", end)):
                if not isinstance(value, str) or not _HHMM.match(value):
                    raise ValidationFailed("quiet hours are HH:MM, property-local",
                                           details={"field": f"quiet_hours.{name}"})
            if start == end:
                raise ValidationFailed("quiet hours must not start and end at the same time",
                                       details={"field": "quiet_hours.to"})
        lang = data.get("lang")
        if lang is not None and lang not in LANGS:
            raise ValidationFailed("lang is one of zh-Hans, zh-Hant, en", details={"field": "lang"})
        return cls(channels=channels, quiet_from=start, quiet_to=end, lang=lang)


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def deliver_at(now: datetime, prefs: Preferences, tz: str) -> datetime:
    """When a delivery due ``now`` may go: at once, or, inside the tenant's
    quiet hours (property-local, possibly across midnight: 22:00-07:00), at
    their end. The feed is not delayed; only push, Web Push and email are."""
    if not (prefs.quiet_from and prefs.quiet_to):
        return now
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    start, end = _hhmm(prefs.quiet_from), _hhmm(prefs.quiet_to)
    clock = local.time()
    crosses = start > end
    inside = (start <= clock < end) if not crosses else (clock >= start or clock < end)
    if not inside:
        return now
    day = local.date()
    if crosses and clock >= start:
        day = day + timedelta(days=1)
    # Wall-clock end in the zone (a DST gap shifts it by the zone's rules).
    return datetime.combine(day, end, tzinfo=zone).astimezone(now.tzinfo)


# --- Web Push endpoints: only real push services (no request to arbitrary hosts) ------

PUSH_SERVICE_HOSTS = ("fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com")
PUSH_SERVICE_SUFFIXES = (".notify.windows.com", ".push.apple.com")
LOCAL_HOSTS = frozenset({"127.0.0.1"})


def check_push_endpoint(url: str, *, allow_local: bool) -> str:
    """A Web Push subscription's endpoint, if it is a known push service over
    https (else 422 ``invalid_push_endpoint``): the sender POSTs to it, so an
    arbitrary host would let a caller aim our requests anywhere (SSRF).
    ``allow_local`` (the local stack, tests) also admits http://127.0.0.1."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        host, port, parts = "", None, urlsplit("")
    ok = False
    if parts.scheme == "https" and port in (None, 443) and not parts.username and not parts.password:
        ok = host in PUSH_SERVICE_HOSTS or host.endswith(PUSH_SERVICE_SUFFIXES)
    if allow_local and parts.scheme in ("http", "https") and host in LOCAL_HOSTS:
        ok = True
    if not ok:
        raise ValidationFailed("the endpoint is not a push service we deliver to", code="invalid_push_endpoint",
                               details={"field": "endpoint"})
    return url

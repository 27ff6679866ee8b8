"""The words of outgoing mail, in the tenant's language (zh-Hans, zh-Hant, en)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

_ACK_SUBJECT = {
    "zh-Hans": "[{case_id}] 我们已收到您的来信",
    "zh-Hant": "[{case_id}] 我們已收到您的來信",
    "en": "[{case_id}] We have received your message",
}
_ACK_BODY = {
    "zh-Hans": ("{name}您好：\n\n我们已收到您的来信，案件编号 {case_id}。\n"
                "我们将在 {due} 前给您书面答复。回复本邮件即可补充信息，请保留邮件标题中的编号。\n\n{property}客户服务中心"),
    "zh-Hant": ("{name}您好：\n\n我們已收到您的來信，案件編號 {case_id}。\n"
                "我們將在 {due} 前給您書面答覆。回覆本郵件即可補充資料，請保留郵件標題中的編號。\n\n{property}客戶服務中心"),
    "en": ("Dear {name},\n\nWe have received your message; your case number is {case_id}.\n"
           "We will reply in writing by {due}. To add anything, reply to this email and keep the number in "
           "the subject.\n\n{property} Customer Service"),
}
_REPLY_SUBJECT = {
    "zh-Hans": "[{case_id}] 关于您来信的书面答复",
    "zh-Hant": "[{case_id}] 關於您來信的書面答覆",
    "en": "[{case_id}] Our written reply to your message",
}
_REPLY_FOOTER = {
    "zh-Hans": "\n\n——\n案件编号 {case_id}。如有疑问，请直接回复本邮件。\n{property}客户服务中心",
    "zh-Hant": "\n\n——\n案件編號 {case_id}。如有疑問，請直接回覆本郵件。\n{property}客戶服務中心",
    "en": "\n\n--\nCase {case_id}. If anything is unclear, just reply to this email.\n{property} Customer Service",
}
_UNIT_UNKNOWN = {"zh-Hans": "（邮件未注明位置）", "zh-Hant": "（郵件未註明位置）", "en": "(location not given in email)"}
_DEAR = {"zh-Hans": "住户", "zh-Hant": "住戶", "en": "tenant"}


_TRADITIONAL_ZONES = frozenset({"Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei"})
_SIMPLIFIED_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Urumqi", "Asia/Singapore",
                               "PRC"})


def property_lang(lang: str | None, timezone: str) -> str:
    """A property's language for mail written in none of ours (Japanese,
    Korean, ...): its setting, else what is read where it stands (Hong Kong,
    Macau, Taipei: Traditional; mainland China, Singapore: Simplified; elsewhere
    English)."""
    if lang in _ACK_SUBJECT:
        return lang
    if timezone in _TRADITIONAL_ZONES:
        return "zh-Hant"
    return "zh-Hans" if timezone in _SIMPLIFIED_ZONES else "en"


def _lang(lang: str) -> str:
    return lang if lang in _ACK_SUBJECT else "zh-Hans"


def local_time(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def ack_subject(lang: str, case_id: str) -> str:
    return _ACK_SUBJECT[_lang(lang)].format(case_id=case_id)


def our_subjects() -> tuple[str, ...]:
    """The words of every subject we send tenants, without the case reference
    (``我们已收到您的来信``): a tenant's reply carries them, and they are ours, not
    the tenant's (chalicelib/mail/subjects.py ``case_title``)."""
    return tuple(t.replace("[{case_id}]", "").strip() for t in (*_ACK_SUBJECT.values(), *_REPLY_SUBJECT.values()))


def ack_text(lang: str, *, case_id: str, name: str, due: str, property_name: str) -> str:
    lang = _lang(lang)
    return _ACK_BODY[lang].format(case_id=case_id, name=name or _DEAR[lang], due=due, property=property_name)


def reply_subject(lang: str, case_id: str, title: str = "") -> str:
    subject = _REPLY_SUBJECT[_lang(lang)].format(case_id=case_id)
    return f"{subject}：{title}" if title and lang != "en" else (f"{subject}: {title}" if title else subject)


def with_reference(subject: str, case_id: str) -> str:
    """Every outgoing subject carries the case reference, so replies thread."""
    return subject if case_id in subject else f"[{case_id}] {subject}"


def reply_text(lang: str, case_id: str, body: str, property_name: str) -> str:
    return body.rstrip() + _REPLY_FOOTER[_lang(lang)].format(case_id=case_id, property=property_name)


def unit_unknown(lang: str) -> str:
    return _UNIT_UNKNOWN[_lang(lang)]


_SECTIONS = (("opened", "本班新增 Opened"), ("open_now", "仍未办结 Still open"), ("overdue", "已超时 Overdue"),
             ("escalated", "本班升级 Escalated"), ("callbacks_due", "待回访 Callbacks due"),
             ("after_hours", "非工作时间受理 After hours"))


def handover_subject(property_name: str, doc: dict) -> str:
    return f"交接班摘要 Handover {property_name} {doc['shift_end_local'][:16].replace('T', ' ')}"


def handover_text(doc: dict) -> str:
    """The summary as plain text: counts, then each section's cases."""
    lines = [f"{doc['shift_start_local'][:16].replace('T', ' ')} – {doc['shift_end_local'][:16].replace('T', ' ')}"
             f" ({doc['timezone']})", ""]
    for key, label in _SECTIONS:
        section = doc.get(key) or {}
        lines.append(f"{label}: {section.get('count', 0)}")
        for item in section.get("items", [])[:20]:
            lines.append(f"  - {item['case_id']} {item.get('unit', '')} {item.get('title', '')} "
                         f"[{item.get('status', '')}]")
    lines += ["", "请双方在系统中签收 / Both sides please sign off in the console."]
    return "\n".join(lines)


# --- escalations (chalicelib/services/case_watch.py) ---------------------------------
_ESC_TEXT = {
    "zh-Hans": ("[{case_id}] 升级提醒：{what}", "案件 {case_id}（{unit}）{what}，现由{tier}负责。\n\n内容：{content}\n期限：{due}"),
    "zh-Hant": ("[{case_id}] 升級提醒：{what}", "案件 {case_id}（{unit}）{what}，現由{tier}負責。\n\n內容：{content}\n期限：{due}"),
    "en": ("[{case_id}] Escalated: {what}", "Case {case_id} ({unit}): {what}; it is now with the {tier}.\n\n"
                                           "Content: {content}\nDeadline: {due}"),
}
_ESC_WHAT = {
    "zh-Hans": {"handoff": "未在时限内移交责任人", "response": "未在时限内答复", "callback": "未按时回访", "major": "重大投诉",
                "feedback": "未在1个工作日内反馈", "acknowledge": "未在时限内确认受理", "diagnosis": "未在时限内完成初步诊断",
                "plan": "未在时限内通报处理方案",
                "promise": "未在告知业主的时间内解决", "promise_reminder": "告知业主的解决时间将到",
                "same_day_report": "当天不能解决，上报主管", "waiting": "等待业主回复超时，转回前台",
                "tenant_answered": "业主已回复"},
    "zh-Hant": {"handoff": "未在時限內移交責任人", "response": "未在時限內答覆", "callback": "未按時回訪", "major": "重大投訴",
                "feedback": "未在1個工作日內反饋", "acknowledge": "未在時限內確認受理", "diagnosis": "未在時限內完成初步診斷",
                "plan": "未在時限內通報處理方案",
                "promise": "未在告知業主的時間內解決", "promise_reminder": "告知業主的解決時間將到",
                "same_day_report": "當天不能解決，上報主管", "waiting": "等待業主回覆逾時，轉回前台",
                "tenant_answered": "業主已回覆"},
    "en": {"handoff": "not handed over in time", "response": "not answered in time",
           "callback": "follow-up call overdue", "major": "major complaint",
           "feedback": "no feedback within 1 working day", "acknowledge": "not acknowledged in time",
           "diagnosis": "not diagnosed in time", "plan": "plan not given to the tenant in time",
           "promise": "not solved by the time promised to the tenant",
           "promise_reminder": "the time promised to the tenant is near",
           "same_day_report": "cannot be solved today: reported to the supervisor",
           "waiting": "waited on the tenant too long: back to the front desk",
           "tenant_answered": "the tenant answered"},
}
_ESC_TIER = {"zh-Hans": {"front_desk": "前台", "manager": "部门经理", "director": "总监"},
             "zh-Hant": {"front_desk": "前台", "manager": "部門經理", "director": "總監"},
             "en": {"front_desk": "front desk", "manager": "department manager", "director": "director"}}


# The watcher's notices that raise no tier are reminders, not escalations: their subject says so.
NOTICE_KEYS = frozenset({"promise_reminder", "same_day_report", "tenant_answered", "waiting"})
_NOTICE_SUBJECT = {"zh-Hans": "[{case_id}] 提醒：{what}", "zh-Hant": "[{case_id}] 提醒：{what}",
                   "en": "[{case_id}] Reminder: {what}"}


def escalation_mail(lang: str, *, key: str, tier: str, case_id: str, unit: str, content: str,
                    due: str) -> tuple[str, str]:
    """Subject and text of the mail that tells the people now holding a case it was
    escalated, or (``NOTICE_KEYS``) reminds them of it."""
    lang = lang if lang in _ESC_TEXT else "zh-Hans"
    subject, body = _ESC_TEXT[lang]
    if key in NOTICE_KEYS:
        subject = _NOTICE_SUBJECT[lang]
    what = _ESC_WHAT[lang][key]
    values = {"case_id": case_id, "unit": unit, "what": what, "content": content[:300],
              "tier": _ESC_TIER[lang].get(tier, tier), "due": due}
    return subject.format(**values), body.format(**values)

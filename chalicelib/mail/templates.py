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


# --- the front office's staff notices (services/key_service.py, services/logbook_service.py) ---------
# In the property's language (``property_lang``): the people of one property read one language.
# Each notice: (subject, text), formatted with the values the service passes.
_STAFF_NOTICES = {
    "handover_refused": {
        "zh-Hans": ("[{property}] 交接班被拒绝 {when}", "{when} 的交接班被接班方拒绝，请经理跟进。\n\n{who}：{reason}"),
        "zh-Hant": ("[{property}] 交接班被拒絕 {when}", "{when} 的交接班被接班方拒絕，請經理跟進。\n\n{who}：{reason}"),
        "en": ("[{property}] Handover refused {when}",
               "The incoming side refused the handover of {when}; please follow it up.\n\n{who}: {reason}"),
    },
    "handover_urgent": {
        "zh-Hans": ("[{property}] 交接班紧急事项 {when}", "{when} 交接时发现以下紧急事项，请立即处理：\n\n{items}"),
        "zh-Hant": ("[{property}] 交接班緊急事項 {when}", "{when} 交接時發現以下緊急事項，請立即處理：\n\n{items}"),
        "en": ("[{property}] Urgent at handover {when}",
               "Urgent items at the handover of {when}; please deal with them at once:\n\n{items}"),
    },
    "key_lost": {
        "zh-Hans": ("[{key_id}] 钥匙遗失：{unit}", "{content}\n换锁任务：{case_id}"),
        "zh-Hant": ("[{key_id}] 鑰匙遺失：{unit}", "{content}\n換鎖任務：{case_id}"),
        "en": ("[{key_id}] Key lost: {unit}", "{content}\nLock-change case: {case_id}"),
    },
    "key_owner_spare": {
        "zh-Hans": ("[{key_id}] 业主使用备用钥匙（{unit}）",
                    "业主 {owner}（{phone}）领用了公司备用钥匙 {key_id}（{unit}），预计 {due} 前归还；发放人：{by}。"
                    "请保安部办理相关手续。"),
        "zh-Hant": ("[{key_id}] 業主使用備用鑰匙（{unit}）",
                    "業主 {owner}（{phone}）領用了公司備用鑰匙 {key_id}（{unit}），預計 {due} 前歸還；發放人：{by}。"
                    "請保安部辦理相關手續。"),
        "en": ("[{key_id}] Owner uses the spare key ({unit})",
               "Owner {owner} ({phone}) took the company's spare key {key_id} ({unit}), due back {due}; "
               "issued by {by}. Security, please complete the formalities."),
    },
    "key_overdue": {
        "zh-Hans": ("[{key_id}] 钥匙逾期未还：{unit}",
                    "钥匙 {key_id}（{unit}）应于 {due} 归还，至今未还。借用人：{name}（{phone}），用途：{purpose}。"),
        "zh-Hant": ("[{key_id}] 鑰匙逾期未還：{unit}",
                    "鑰匙 {key_id}（{unit}）應於 {due} 歸還，至今未還。借用人：{name}（{phone}），用途：{purpose}。"),
        "en": ("[{key_id}] Key overdue: {unit}",
               "Key {key_id} ({unit}) was due back {due} and is still out. Borrower: {name} ({phone}); "
               "purpose: {purpose}."),
    },
}
_KEY_PURPOSE = {"zh-Hans": {"case": "案件入户", "repair": "维修", "owner": "业主使用", "other": "其他"},
                "zh-Hant": {"case": "案件入戶", "repair": "維修", "owner": "業主使用", "other": "其他"},
                "en": {"case": "entry for a case", "repair": "repair", "owner": "owner's use", "other": "other"}}
_LOCK_CHANGE = {
    "zh-Hans": ("换锁：钥匙 {key_id} 遗失（{unit}）",
                "钥匙 {key_id}（{unit}，柜位 {slot}）遗失，须尽快更换门锁（客服部钥匙管理制度 5.0，不得自行配制钥匙）。"
                "报告人：{by}。情况：{reason}"),
    "zh-Hant": ("換鎖：鑰匙 {key_id} 遺失（{unit}）",
                "鑰匙 {key_id}（{unit}，櫃位 {slot}）遺失，須盡快更換門鎖（客服部鑰匙管理制度 5.0，決不許自行配制鑰匙）。"
                "報告人：{by}。情況：{reason}"),
    "en": ("Lock change: key {key_id} lost ({unit})",
           "Key {key_id} ({unit}, cabinet slot {slot}) is lost: change the lock as soon as possible (key rules 5.0; "
           "no copies are made in-house). Reported by {by}: {reason}"),
}
STAFF_NOTICES = frozenset(_STAFF_NOTICES)


def staff_notice(lang: str, kind: str, **values: str) -> tuple[str, str]:
    """Subject and text of a front-office notice to staff (``STAFF_NOTICES``)."""
    subject, text = _STAFF_NOTICES[kind][_lang(lang)]
    return subject.format(**values), text.format(**values)


def key_purpose(lang: str, purpose: str) -> str:
    return _KEY_PURPOSE[_lang(lang)].get(purpose, purpose)


def lock_change_case(lang: str, **values: str) -> tuple[str, str]:
    """Title and content of the lock-change case a lost key makes (and of its notice)."""
    title, content = _LOCK_CHANGE[_lang(lang)]
    return title.format(**values), content.format(**values)

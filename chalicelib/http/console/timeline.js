// A case's timeline as sentences in the staff member's language: every event type the
// domain records (chalicelib/domain/cases.py ALLOWED_FROM, plus "submitted") has a template
// `tl.<action>` in all three languages below (tests/domain/test_timeline_templates.py
// fails for a type without one). Times are the property's local time; durations read
// "2 小时 50 分"; the parts the tenant reads (the API's `tenant_sees`) are marked; a stored
// image attachment shows as a thumbnail. Safety rule as in app.js: text only, never HTML.
import { addStrings, t, label, getLang } from "/console/i18n.js";
import { h, state, tz, api, caseUrl, errorText } from "/console/ui.js";

// Templates: {name} is replaced by a value (a string or a node). Fragments (tl.f.*) and
// the labels of values the sentences use (via, await reasons, ...) live here too.
addStrings({
  en: {
    "tl.system": "System", "tl.today": "Today", "tl.tenant_sees": "tenant sees", "tl.internal": "internal",
    "tl.submitted": "case received via {channel}{unit}",
    "tl.classify": "classified: {what}",
    "tl.assign": "assigned to {assignee}{department}",
    "tl.start": "started work",
    "tl.note": "added an internal note",
    "tl.respond": "replied to the tenant by {via}{promise}",
    "tl.move_promise": "moved the promised time from {from} to {to}",
    "tl.await_tenant": "now waiting on the tenant: {reason}",
    "tl.resume": "resumed work after waiting {waited}",
    "tl.close_unreachable": "closed: the tenant could not be reached ({attempts} attempts)",
    "tl.resolve": "marked the case resolved",
    "tl.callback": "called the tenant back: {result}",
    "tl.close": "closed the case",
    "tl.answer": "answered the consultation by {via}",
    "tl.explain": "explained by {via} why the complaint is not valid",
    "tl.confirm_invalid": "confirmed the complaint is not valid",
    "tl.reject_invalid": "rejected \"not valid\": the complaint is valid",
    "tl.reopen": "reopened the case",
    "tl.escalate": "escalated to {tier}",
    "tl.escalate.missed": "{deadline} overdue by {late}, escalated to {tier}",
    "tl.escalate.major": "major complaint not judged in time, escalated to {tier}",
    "tl.message": "the tenant wrote{resumed}",
    "tl.rate": "rated the handling {score}/5",
    "tl.written_reply": "written reply sent by {medium}: {subject}",
    "tl.escalation_notified": "notified {who} ({tier}){deferred}",
    "tl.escalation_unrouted": "escalated to {tier}, but nobody could be notified",
    "tl.watch_renewed": "deadline watch handed over to run #{gen}",
    "tl.policy_changed": "deadlines recomputed: the property's policy changed",
    "tl.watch_notice": "deadline notice",
    "tl.watch_notice.promise_reminder": "the promised time {due} is near",
    "tl.watch_notice.awaiting_tenant_expired": "waiting on the tenant ran out after {waited}; work resumes",
    "tl.entry_permission": "entry with the spare key allowed{slots}{behalf}",
    "tl.entry_permission.refused": "entry with the spare key refused{behalf}",
    "tl.key_entry": "key {key} lent to {borrower}",
    "tl.key_entry.returned": "key {key} returned",
    "tl.locate": "located at {place}",
    "tl.staff_read": "read what the tenant wrote",
    "tl.link": "linked to {other}: the same problem, another reporter; this case follows it",
    "tl.linked": "{other} now follows this case (the same problem, another reporter)",
    "tl.merge": "merged into {other} (the same reporter's duplicate) and closed",
    "tl.merged_in": "{other} merged into this case",
    "tl.dismiss_duplicate": "{other} is not a duplicate of this case",
    "tl.confirm": "answered the follow-up in the app: {result}{score}", "tl.f.score": ", rated {score}/5",
    "tl.library_proposed": "proposed the case for the case library ({entry})", "tl.used_entry": "library entry {entry} helped with this case",
    "tl.f.unit": " · unit {unit}", "tl.f.department": " ({department})", "tl.f.promise": ", promised by {due}",
    "tl.f.deferred": "; {who} hears of it in the morning digest", "tl.f.slots": " ({slots})",
    "tl.f.behalf": " (recorded for the tenant)", "tl.f.resumed": " (the wait ends)", "tl.f.sep": ", ",
    "tl.cb.satisfied": "reached, satisfied", "tl.cb.unsatisfied": "reached, not satisfied", "tl.cb.unreached": "not reached",
    "tl.d.day": "{n} d", "tl.d.hour": "{n} h", "tl.d.min": "{n} min", "tl.d.join": " ",
    "via.app": "the app", "via.phone": "phone", "via.in_person": "in person", "via.email": "email", "via.sms": "SMS",
    "via.letter": "letter", "await.question": "a question for them", "await.unreachable": "they cannot be reached",
    "await.access": "access to the unit",
    // English words for codes the console elsewhere shows as they are (read through lab()).
    "tl.deadline.handoff": "hand-off", "tl.deadline.response": "response", "tl.deadline.callback": "callback",
    "tl.deadline.consultation": "consultation answer", "tl.deadline.feedback": "feedback", "tl.deadline.promise": "promise",
    "tl.deadline.major": "major-complaint judgement",
    "tl.tier.front_desk": "front desk", "tl.tier.manager": "manager", "tl.tier.director": "director",
    "tl.role.security": "control room", "tl.role.front_desk": "front desk", "tl.role.manager": "manager",
    "tl.role.director": "director", "tl.role.dept_staff": "department staff", "tl.role.admin": "admin", "tl.role.tenant": "tenant",
    "tl.channel.walk_in": "walk-in",
    "tl.contact.on_duty": "the on-duty room", "tl.contact.front_desk": "the front desk", "tl.contact.manager": "the manager",
    "tl.contact.director": "the director",
  },
  "zh-Hans": {
    "tl.system": "系统", "tl.today": "今天", "tl.tenant_sees": "住户可见", "tl.internal": "内部",
    "tl.submitted": "经{channel}受理{unit}",
    "tl.classify": "分类：{what}",
    "tl.assign": "指派给 {assignee}{department}",
    "tl.start": "开始处理",
    "tl.note": "添加内部备注",
    "tl.respond": "通过{via}答复业主{promise}",
    "tl.move_promise": "将承诺时间从 {from} 调整到 {to}",
    "tl.await_tenant": "等待业主：{reason}",
    "tl.resume": "等待 {waited} 后恢复处理",
    "tl.close_unreachable": "联系不上业主（{attempts} 次），结案",
    "tl.resolve": "处理完毕",
    "tl.callback": "回访业主：{result}",
    "tl.close": "结案",
    "tl.answer": "通过{via}解答咨询",
    "tl.explain": "通过{via}向业主解释：不属有效投诉",
    "tl.confirm_invalid": "确认为无效投诉",
    "tl.reject_invalid": "驳回无效判定：属有效投诉",
    "tl.reopen": "重新打开案件",
    "tl.escalate": "升级至{tier}",
    "tl.escalate.missed": "{deadline}已超时 {late}，升级至{tier}",
    "tl.escalate.major": "重大投诉未按时研判，升级至{tier}",
    "tl.message": "业主留言{resumed}",
    "tl.rate": "评价处理结果 {score}/5",
    "tl.written_reply": "书面答复已通过{medium}发出：{subject}",
    "tl.escalation_notified": "已通知{who}（{tier}）{deferred}",
    "tl.escalation_unrouted": "升级至{tier}，但无人可通知",
    "tl.watch_renewed": "时限监控已交给第 {gen} 次运行",
    "tl.policy_changed": "物业政策变更，时限已重新计算",
    "tl.watch_notice": "时限提醒",
    "tl.watch_notice.promise_reminder": "承诺时间 {due} 即将到期",
    "tl.watch_notice.awaiting_tenant_expired": "等待业主 {waited} 已到期，恢复处理",
    "tl.entry_permission": "同意用备用钥匙入户{slots}{behalf}",
    "tl.entry_permission.refused": "不同意用备用钥匙入户{behalf}",
    "tl.key_entry": "钥匙 {key} 借给 {borrower}",
    "tl.key_entry.returned": "钥匙 {key} 已归还",
    "tl.locate": "定位到 {place}",
    "tl.staff_read": "已阅读业主留言",
    "tl.link": "关联到 {other}：同一问题、不同报告人；本案随其处理",
    "tl.linked": "{other} 关联到本案（同一问题、不同报告人）",
    "tl.merge": "合并到 {other}（同一报告人的重复投诉）并关闭",
    "tl.merged_in": "{other} 已合并到本案",
    "tl.dismiss_duplicate": "{other} 不是本案的重复",
    "tl.confirm": "在 App 中答复回访：{result}{score}", "tl.f.score": "，评分 {score}/5",
    "tl.library_proposed": "将本案提交案例库（{entry}）", "tl.used_entry": "案例库条目 {entry} 对本案有帮助",
    "tl.f.unit": "，房号 {unit}", "tl.f.department": "（{department}）", "tl.f.promise": "，承诺 {due} 前解决",
    "tl.f.deferred": "；{who}将在早间汇总中获悉", "tl.f.slots": "（{slots}）",
    "tl.f.behalf": "（代业主登记）", "tl.f.resumed": "（等待结束）", "tl.f.sep": "，",
    "tl.cb.satisfied": "已联系上，满意", "tl.cb.unsatisfied": "已联系上，不满意", "tl.cb.unreached": "未联系上",
    "tl.d.day": "{n} 天", "tl.d.hour": "{n} 小时", "tl.d.min": "{n} 分", "tl.d.join": " ",
    "via.app": "App", "via.phone": "电话", "via.in_person": "当面", "via.email": "邮件", "via.sms": "短信", "via.letter": "信函",
    "await.question": "需业主答复问题", "await.unreachable": "联系不上业主", "await.access": "需业主开门",
    "deadline.major": "重大投诉研判",
    "tl.contact.on_duty": "监控室", "tl.contact.front_desk": "前台", "tl.contact.manager": "经理", "tl.contact.director": "总监",
  },
  "zh-Hant": {
    "tl.system": "系統", "tl.today": "今天", "tl.tenant_sees": "住戶可見", "tl.internal": "內部",
    "tl.submitted": "經{channel}受理{unit}",
    "tl.classify": "分類：{what}",
    "tl.assign": "指派給 {assignee}{department}",
    "tl.start": "開始處理",
    "tl.note": "新增內部備註",
    "tl.respond": "透過{via}答覆業主{promise}",
    "tl.move_promise": "將承諾時間從 {from} 調整到 {to}",
    "tl.await_tenant": "等待業主：{reason}",
    "tl.resume": "等待 {waited} 後恢復處理",
    "tl.close_unreachable": "聯絡不上業主（{attempts} 次），結案",
    "tl.resolve": "處理完畢",
    "tl.callback": "回訪業主：{result}",
    "tl.close": "結案",
    "tl.answer": "透過{via}解答諮詢",
    "tl.explain": "透過{via}向業主解釋：不屬有效投訴",
    "tl.confirm_invalid": "確認為無效投訴",
    "tl.reject_invalid": "駁回無效判定：屬有效投訴",
    "tl.reopen": "重新開啟個案",
    "tl.escalate": "升級至{tier}",
    "tl.escalate.missed": "{deadline}已逾時 {late}，升級至{tier}",
    "tl.escalate.major": "重大投訴未按時研判，升級至{tier}",
    "tl.message": "業主留言{resumed}",
    "tl.rate": "評價處理結果 {score}/5",
    "tl.written_reply": "書面答覆已透過{medium}發出：{subject}",
    "tl.escalation_notified": "已通知{who}（{tier}）{deferred}",
    "tl.escalation_unrouted": "升級至{tier}，但無人可通知",
    "tl.watch_renewed": "時限監控已交給第 {gen} 次運行",
    "tl.policy_changed": "物業政策變更，時限已重新計算",
    "tl.watch_notice": "時限提醒",
    "tl.watch_notice.promise_reminder": "承諾時間 {due} 即將到期",
    "tl.watch_notice.awaiting_tenant_expired": "等待業主 {waited} 已到期，恢復處理",
    "tl.entry_permission": "同意用備用鑰匙入戶{slots}{behalf}",
    "tl.entry_permission.refused": "不同意用備用鑰匙入戶{behalf}",
    "tl.key_entry": "鑰匙 {key} 借給 {borrower}",
    "tl.key_entry.returned": "鑰匙 {key} 已歸還",
    "tl.locate": "定位到 {place}",
    "tl.staff_read": "已閱讀業主留言",
    "tl.link": "關聯到 {other}：同一問題、不同報告人；本案隨其處理",
    "tl.linked": "{other} 關聯到本案（同一問題、不同報告人）",
    "tl.merge": "合併到 {other}（同一報告人的重複投訴）並關閉",
    "tl.merged_in": "{other} 已合併到本案",
    "tl.dismiss_duplicate": "{other} 不是本案的重複",
    "tl.confirm": "在 App 中答覆回訪：{result}{score}", "tl.f.score": "，評分 {score}/5",
    "tl.library_proposed": "將本案提交案例庫（{entry}）", "tl.used_entry": "案例庫條目 {entry} 對本案有幫助",
    "tl.f.unit": "，單位 {unit}", "tl.f.department": "（{department}）", "tl.f.promise": "，承諾 {due} 前解決",
    "tl.f.deferred": "；{who}將在早間匯總中獲悉", "tl.f.slots": "（{slots}）",
    "tl.f.behalf": "（代業主登記）", "tl.f.resumed": "（等待結束）", "tl.f.sep": "，",
    "tl.cb.satisfied": "已聯絡上，滿意", "tl.cb.unsatisfied": "已聯絡上，不滿意", "tl.cb.unreached": "未聯絡上",
    "tl.d.day": "{n} 天", "tl.d.hour": "{n} 小時", "tl.d.min": "{n} 分", "tl.d.join": " ",
    "via.app": "App", "via.phone": "電話", "via.in_person": "當面", "via.email": "電郵", "via.sms": "短訊", "via.letter": "信函",
    "await.question": "需業主答覆問題", "await.unreachable": "聯絡不上業主", "await.access": "需業主開門",
    "deadline.major": "重大投訴研判",
    "tl.contact.on_duty": "監控室", "tl.contact.front_desk": "前台", "tl.contact.manager": "經理", "tl.contact.director": "總監",
  },
});

// "2 小时 50 分" / "2 h 50 min" (days from 1 day on; minutes dropped from 2 days on).
export function duration(seconds) {
  let s = Math.max(0, Math.round(Math.abs(Number(seconds) || 0) / 60)) * 60;
  const d = Math.floor(s / 86400); s %= 86400;
  const hh = Math.floor(s / 3600); const mm = Math.floor((s % 3600) / 60);
  const part = (key, n) => t(key).replace("{n}", String(n));
  const parts = [];
  if (d) parts.push(part("tl.d.day", d));
  if (hh) parts.push(part("tl.d.hour", hh));
  if (mm && d < 2) parts.push(part("tl.d.min", mm));
  return parts.length ? parts.join(t("tl.d.join")) : part("tl.d.min", 0);
}

function zoned(iso, options) {
  const d = new Date(iso);
  if (isNaN(d)) return String(iso || "");
  return new Intl.DateTimeFormat(getLang(), { timeZone: tz(), hour12: false, ...options }).format(d);
}
export const clock = (iso) => zoned(iso, { hour: "2-digit", minute: "2-digit" });
export const day = (iso) => zoned(iso, { year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" });
const when = (iso) => zoned(iso, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });

// A template with its {slots} filled: an array of strings and nodes for h().
export function fill(key, values = {}) {
  const out = [];
  const template = t(key);
  let last = 0;
  for (const m of template.matchAll(/\{(\w+)\}/g)) {
    out.push(template.slice(last, m.index));
    const v = values[m[1]];
    out.push(v === undefined || v === null ? "" : v);
    last = m.index + m[0].length;
  }
  out.push(template.slice(last));
  return out.filter((x) => x !== "");
}
const frag = (key, values) => fill(key, values);
// An enum value's words: English has its own here (tl.<group>.<value>), Chinese the console's labels.
function lab(group, value) {
  if (getLang() === "en" && value) { const key = `tl.${group}.${value}`; const s = t(key); if (s !== key) return s; }
  return label(group, value);
}
const strong = (text) => h("strong", {}, text);

// Who an escalation notice went to: the property's contact name for the address, else the address.
function recipientName(address) {
  const contacts = state.property?.contacts || {};
  const role = address in contacts ? address : Object.keys(contacts).find((k) => contacts[k] === address);
  if (!role) return address;
  const key = `tl.contact.${role}`;
  return t(key) === key ? role : t(key);
}

// event -> [template key, values]. One entry per event type; the Python test checks
// each type the domain can record has its `tl.<type>` template.
const SENTENCES = {
  submitted: (e) => ["tl.submitted", { channel: lab("channel", e.data.channel),
    unit: e.data.unit ? frag("tl.f.unit", { unit: e.data.unit }) : "" }],
  classify: (e) => ["tl.classify", { what: ["kind", "validity", "severity", "category", "cause", "department"]
    .filter((k) => e.changes?.[k]).map((k) => (k === "department" ? e.changes[k].to : label(k, e.changes[k].to)) || "—")
    .join(t("tl.f.sep")) || "—" }],
  assign: (e, c) => ["tl.assign", { assignee: strong(e.changes?.assignee?.to || c.assignee || "—"),
    department: e.changes?.department?.to ? frag("tl.f.department", { department: e.changes.department.to }) : "" }],
  start: () => ["tl.start", {}],
  note: () => ["tl.note", {}],
  respond: (e) => ["tl.respond", { via: label("via", e.data.via), promise: e.data.promised_by
    ? frag("tl.f.promise", { due: strong(when(e.data.promised_by)) }) : "" }],
  move_promise: (e) => ["tl.move_promise", { from: e.data.previous ? when(e.data.previous) : "—", to: strong(when(e.data.promised_by)) }],
  await_tenant: (e) => ["tl.await_tenant", { reason: label("await", e.data.reason) }],
  resume: (e) => ["tl.resume", { waited: strong(duration(e.data.waited_seconds)) }],
  close_unreachable: (e) => ["tl.close_unreachable", { attempts: String(e.data.attempts ?? "—") }],
  resolve: () => ["tl.resolve", {}],
  callback: (e) => ["tl.callback", { result: t(!e.data.reached ? "tl.cb.unreached" : e.data.satisfied ? "tl.cb.satisfied" : "tl.cb.unsatisfied") }],
  close: () => ["tl.close", {}],
  answer: (e) => ["tl.answer", { via: label("via", e.data.via) }],
  explain: (e) => ["tl.explain", { via: label("via", e.data.via) }],
  confirm_invalid: () => ["tl.confirm_invalid", {}],
  reject_invalid: () => ["tl.reject_invalid", {}],
  reopen: () => ["tl.reopen", {}],
  escalate: (e, c) => {
    const tier = strong(lab("tier", e.changes?.tier?.to || c.tier));
    if (e.data.reason === "missed_deadline" && e.data.due) {
      return ["tl.escalate.missed", { deadline: lab("deadline", e.data.deadline), tier,
        late: strong(duration((new Date(e.at) - new Date(e.data.due)) / 1000)) }];
    }
    if (e.data.reason === "major_not_judged") return ["tl.escalate.major", { tier }];
    return ["tl.escalate", { tier }];
  },
  message: (e) => ["tl.message", { resumed: e.data.resumed ? t("tl.f.resumed") : "" }],
  rate: (e) => ["tl.rate", { score: strong(String(e.data.score)) }],
  written_reply: (e) => ["tl.written_reply", { medium: label("via", e.data.medium), subject: e.data.subject || "—" }],
  escalation_notified: (e) => ["tl.escalation_notified", { who: strong((e.data.recipients || []).map(recipientName).join(t("tl.f.sep")) || "—"),
    tier: lab("tier", e.data.tier), deferred: e.data.deferred_to ? frag("tl.f.deferred", { who: recipientName(e.data.deferred_to) }) : "" }],
  escalation_unrouted: (e) => ["tl.escalation_unrouted", { tier: strong(lab("tier", e.data.tier)) }],
  watch_renewed: (e) => ["tl.watch_renewed", { gen: String(e.data.gen ?? "") }],
  policy_changed: () => ["tl.policy_changed", {}],
  watch_notice: (e) => (e.data.notice === "promise_reminder" ? ["tl.watch_notice.promise_reminder", { due: strong(when(e.data.due)) }]
    : e.data.notice === "awaiting_tenant_expired" ? ["tl.watch_notice.awaiting_tenant_expired", { waited: strong(duration(e.data.waited_seconds)) }]
      : ["tl.watch_notice", {}]),
  entry_permission: (e) => [e.data.granted ? "tl.entry_permission" : "tl.entry_permission.refused", {
    slots: e.data.granted && (e.data.slots || []).length ? frag("tl.f.slots", { slots: e.data.slots.join(t("tl.f.sep")) }) : "",
    behalf: e.data.on_behalf ? t("tl.f.behalf") : "" }],
  key_entry: (e) => [e.data.stage === "returned" ? "tl.key_entry.returned" : "tl.key_entry",
    { key: strong(e.data.key_id || "—"), borrower: e.data.borrower || "—" }],
  locate: (e) => ["tl.locate", { place: strong(e.data.location?.label || "—") }],
  staff_read: () => ["tl.staff_read", {}],
  link: (e) => ["tl.link", { other: strong(e.data.owner || "—") }],
  linked: (e) => ["tl.linked", { other: strong(e.data.follower || "—") }],
  merge: (e) => ["tl.merge", { other: strong(e.data.merged_into || "—") }],
  merged_in: (e) => ["tl.merged_in", { other: strong(e.data.case_id || "—") }],
  dismiss_duplicate: (e) => ["tl.dismiss_duplicate", { other: strong(e.data.case_id || "—") }],
  confirm: (e) => ["tl.confirm", { result: t(e.data.satisfied ? "tl.cb.satisfied" : "tl.cb.unsatisfied"),
    score: e.data.score ? frag("tl.f.score", { score: strong(String(e.data.score)) }) : "" }],
  library_proposed: (e) => ["tl.library_proposed", { entry: strong(e.data.title || e.data.entry_id || "—") }],
  used_entry: (e) => ["tl.used_entry", { entry: strong(e.data.title || e.data.entry_id || "—") }],
};
export const EVENT_TYPES = Object.keys(SENTENCES);

// Free text an event carries, in the order shown under its sentence.
const TEXTS = ["content", "text", "message", "resolution", "reason", "note", "comment", "summary"];
// Events whose `reason` is a code the sentence already says (await_tenant: question/unreachable/access).
const CODED_REASON_OF = new Set(["await_tenant", "close_unreachable", "watch_renewed", "escalation_unrouted", "policy_changed"]);
const CODED_REASONS = new Set(["missed_deadline", "major_not_judged", "execution_age", "no_recipient", "policy_changed", "unreachable"]);

function mark(tenantSees) {
  return tenantSees
    ? h("span", { class: "badge visibility tenant-visible", dataset: { visibility: "tenant" } }, t("tl.tenant_sees"))
    : h("span", { class: "muted visibility", dataset: { visibility: "internal" } }, t("tl.internal"));
}

function actorName(e) {
  const a = e.actor || {};
  if (a.role === "system") return t("tl.system");
  return a.name || a.id || lab("role", a.role);
}

function sentence(e, c) {
  const make = SENTENCES[e.action];
  if (!make) return [label("action", e.action)];  // an event type newer than this page
  try {
    const [key, values] = make({ ...e, data: e.data || {} }, c);
    return fill(key, values);
  } catch {
    return [label("action", e.action)];
  }
}

// Stored attachments, numbered as the API numbers them (all events' attachments in order, from 1).
function thumbnail(c, a, n) {
  const ref = String(a.ref || "");
  const name = a.name || ref.split("/").pop() || ref;
  const node = h("span", { class: "tl-attachment", title: name });
  if (!ref.startsWith("s3://")) { node.append(h("span", { class: "muted" }, name)); return node; }
  const isImage = (a.content_type || "").startsWith("image/") || /\.(png|jpe?g|gif|webp|heic)$/i.test(name);
  const open = async () => {
    try {
      const got = await api("GET", `${caseUrl(c.case_id)}/attachments/${n}`);
      if (isImage || (got.content_type || "").startsWith("image/")) {
        node.replaceChildren(h("a", { href: got.url, target: "_blank", rel: "noopener noreferrer" },
          h("img", { class: "thumb", src: got.url, alt: name, referrerpolicy: "no-referrer" })));
      } else {
        window.open(got.url, "_blank", "noopener,noreferrer");
      }
    } catch (x) { node.append(h("span", { class: "form-error" }, errorText(x))); }
  };
  node.append(h("button", { type: "button", class: "secondary tl-open" , onclick: open }, "📎 ", name));
  if (isImage) open();
  return node;
}

export function timelineNode(c) {
  const list = h("ol", { class: "timeline", id: "timeline" });
  let n = 0; let lastDay = "";
  for (const e of c.timeline || []) {
    const data = e.data || {};
    const seen = e.tenant_sees;  // null: not on the tenant's timeline; else its visible fields
    const thisDay = day(e.at);
    if (thisDay !== lastDay) { list.append(h("li", { class: "tl-day" }, thisDay)); lastDay = thisDay; }
    const texts = TEXTS.filter((k) => typeof data[k] === "string" && data[k].trim() && !(k === "reason" && CODED_REASONS.has(data[k]))
      && !(k === "content" && e.action === "submitted") && !(k === "reason" && CODED_REASON_OF.has(e.action)))
      .map((k) => h("div", { class: "tl-text", dataset: { field: k } }, h("span", { class: "tl-quote" }, data[k]), " ",
        mark(Array.isArray(seen) && seen.includes(k))));
    const files = (data.attachments || []).map((a) => { n += 1; return thumbnail(c, a, n); });
    list.append(h("li", { class: `tl-event ev-${e.action}`, dataset: { action: e.action, seq: e.seq, tenant: seen ? "yes" : "no" } },
      h("div", { class: "tl-line" },
        h("time", { class: "tl-time", datetime: e.at, title: when(e.at) }, clock(e.at)), " ",
        h("span", { class: "tl-actor", dataset: { role: e.actor?.role || "" } }, actorName(e)), t("tl.f.sep") === "，" ? "：" : ": ",
        h("span", { class: "tl-sentence" }, sentence(e, c)), " ",
        seen ? mark(true) : ""),
      texts, files.length ? h("div", { class: "tl-files" }, files) : ""));
  }
  return list;
}

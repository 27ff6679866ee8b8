// The key register (seed 000 篇2 客服部鑰匙管理制度): #/keys lists the cabinet with the
// keys out first (borrower and a countdown to the due time, overdue in red);
// #/keys/<id> shows one key, its history and the forms its state allows; a case
// page shows the tenant's entry permission (casePanel). The API decides every call
// (who issues in working time, entry permission, states): the page shows its answer.
import { addStrings } from "/console/i18n.js";
import {
  may, h, clear, main, fmt, countdown, api, P, caseUrl, errorText, page, casePanel, t, label, hooks,
} from "/console/ui.js";


const PURPOSES = ["repair", "case", "owner", "other"];
const KINDS = ["staff", "contractor", "owner"];

addStrings({
  en: {
    keys: "Keys", keys_out: "Keys out", register: "Register", no_keys: "No keys.", none_out: "No key is out.",
    key_id: "Key", slot: "Slot", copies: "Copies", state: "State", borrower: "Borrower", purpose: "Purpose",
    due_back: "Due back", lent_at: "Lent", issued_by: "Issued by", history: "History", add_key: "Add a key",
    key_id_hint: "(empty: next number)", borrower_kind: "Borrower is", phone: "Phone", case_id: "Case",
    emergency: "Emergency (no permission on record)", lend: "Lend", return_key: "Return", damaged_back: "Came back damaged",
    report_damaged: "Report damaged", report_lost: "Report lost", replace: "Replace (manager)", retire: "Retire",
    edit_key: "Edit", lock_change_case: "Lock-change case", overdue: "overdue", key_saved: "Saved.",
    entry_permission: "Entry with the spare key", entry_granted: "Entry allowed", entry_refused: "Entry refused",
    entry_none: "Not asked yet", slots: "Preferred time slots", slot_from: "From", slot_to: "To",
    grant: "Allow", refuse: "Refuse", record_entry: "Record the tenant's word",
    "key_state.in_cabinet": "in cabinet", "key_state.lent": "lent", "key_state.damaged": "damaged",
    "key_state.lost": "lost", "key_state.retired": "retired",
    "key_purpose.case": "case", "key_purpose.repair": "repair", "key_purpose.owner": "owner", "key_purpose.other": "other",
    "key_kind.staff": "staff", "key_kind.contractor": "contractor", "key_kind.owner": "owner",
    "key_action.added": "added", "key_action.edited": "edited", "key_action.lent": "lent", "key_action.returned": "returned",
    "key_action.damaged": "reported damaged", "key_action.lost": "reported lost", "key_action.replaced": "replaced",
    "key_action.retired": "retired", "key_action.overdue_notified": "overdue: shift lead told",
    "action.entry_permission": "Entry permission", "action.key_entry": "Key entry",
  },
  "zh-Hans": {
    keys: "钥匙", keys_out: "借出中的钥匙", register: "钥匙登记", no_keys: "暂无钥匙。", none_out: "没有借出的钥匙。",
    key_id: "钥匙编号", slot: "柜位", copies: "数量", state: "状态", borrower: "借用人", purpose: "用途",
    due_back: "应还时间", lent_at: "借出时间", issued_by: "发放人", history: "记录", add_key: "登记钥匙",
    key_id_hint: "（留空自动编号）", borrower_kind: "借用人身份", phone: "电话", case_id: "案件编号",
    emergency: "紧急情况（无业主许可）", lend: "借出", return_key: "归还", damaged_back: "归还时已损坏",
    report_damaged: "报告损坏", report_lost: "报告遗失", replace: "更换（经理）", retire: "注销",
    edit_key: "修改", lock_change_case: "换锁任务", overdue: "逾期", key_saved: "已保存。",
    entry_permission: "备用钥匙入户许可", entry_granted: "同意入户", entry_refused: "拒绝入户",
    entry_none: "尚未征询", slots: "方便的时间段", slot_from: "从", slot_to: "到",
    grant: "同意", refuse: "拒绝", record_entry: "记录业主意见",
    "key_state.in_cabinet": "在柜", "key_state.lent": "借出", "key_state.damaged": "损坏",
    "key_state.lost": "遗失", "key_state.retired": "已注销",
    "key_purpose.case": "案件", "key_purpose.repair": "维修", "key_purpose.owner": "业主使用", "key_purpose.other": "其他",
    "key_kind.staff": "员工", "key_kind.contractor": "外包/施工方", "key_kind.owner": "业主",
    "key_action.added": "登记", "key_action.edited": "修改", "key_action.lent": "借出", "key_action.returned": "归还",
    "key_action.damaged": "报告损坏", "key_action.lost": "报告遗失", "key_action.replaced": "更换",
    "key_action.retired": "注销", "key_action.overdue_notified": "逾期：已通知领班",
    "action.entry_permission": "入户许可", "action.key_entry": "钥匙入户",
  },
  "zh-Hant": {
    keys: "鑰匙", keys_out: "借出中的鑰匙", register: "鑰匙登記", no_keys: "暫無鑰匙。", none_out: "沒有借出的鑰匙。",
    key_id: "鑰匙編號", slot: "櫃位", copies: "數量", state: "狀態", borrower: "借用人", purpose: "用途",
    due_back: "應還時間", lent_at: "借出時間", issued_by: "發放人", history: "記錄", add_key: "登記鑰匙",
    key_id_hint: "（留空自動編號）", borrower_kind: "借用人身份", phone: "電話", case_id: "案件編號",
    emergency: "緊急情況（無業主許可）", lend: "借出", return_key: "歸還", damaged_back: "歸還時已損壞",
    report_damaged: "報告損壞", report_lost: "報告遺失", replace: "更換（經理）", retire: "註銷",
    edit_key: "修改", lock_change_case: "換鎖任務", overdue: "逾期", key_saved: "已保存。",
    entry_permission: "備用鑰匙入戶許可", entry_granted: "同意入戶", entry_refused: "拒絕入戶",
    entry_none: "尚未徵詢", slots: "方便的時間段", slot_from: "從", slot_to: "到",
    grant: "同意", refuse: "拒絕", record_entry: "記錄業主意見",
    "key_state.in_cabinet": "在櫃", "key_state.lent": "借出", "key_state.damaged": "損壞",
    "key_state.lost": "遺失", "key_state.retired": "已註銷",
    "key_purpose.case": "案件", "key_purpose.repair": "維修", "key_purpose.owner": "業主使用", "key_purpose.other": "其他",
    "key_kind.staff": "員工", "key_kind.contractor": "外判/施工方", "key_kind.owner": "業主",
    "key_action.added": "登記", "key_action.edited": "修改", "key_action.lent": "借出", "key_action.returned": "歸還",
    "key_action.damaged": "報告損壞", "key_action.lost": "報告遺失", "key_action.replaced": "更換",
    "key_action.retired": "註銷", "key_action.overdue_notified": "逾期：已通知領班",
    "action.entry_permission": "入戶許可", "action.key_entry": "鑰匙入戶",
  },
});

const keysUrl = (id) => `${P()}/keys${id ? "/" + encodeURIComponent(id) : ""}`;
const stateBadge = (s) => h("span", { class: `badge key-${s}`, dataset: { state: s } }, label("key_state", s));
const input = (name, attrs = {}) => h("label", {}, t(attrs.label || name) + (attrs.required ? " *" : ""),
  h("input", { name, id: `key-${name}`, type: attrs.type || "text", required: attrs.required, min: attrs.min,
    max: attrs.max, value: attrs.value }));
const select = (name, values, group, lbl = name) => h("label", {}, t(lbl),
  h("select", { name, id: `key-${name}` }, values.map((v) => h("option", { value: v }, label(group, v)))));

function dueCell(k) {
  if (k.state !== "lent" || !k.loan) return h("td", {}, "—");
  return h("td", {}, k.loan.borrower?.name || "", " · ", fmt(k.loan.due), " ", countdown(k.loan.due),
    k.overdue ? h("span", { class: "late" }, " ", t("overdue")) : "");
}

function keyRow(k) {
  return h("tr", { class: k.overdue ? "overdue" : "", dataset: { key: k.key_id } },
    h("td", {}, h("a", { href: `#/keys/${encodeURIComponent(k.key_id)}` }, k.key_id)),
    h("td", {}, k.unit), h("td", {}, k.slot), h("td", {}, String(k.copies)), h("td", {}, stateBadge(k.state)), dueCell(k));
}

function keyTable(id, items, empty) {
  if (!items.length) return h("p", { class: "muted", id: `${id}-empty` }, t(empty));
  return h("table", { id }, h("thead", {}, h("tr", {}, ["key_id", "unit", "slot", "copies", "state", "borrower"]
    .map((k) => h("th", {}, t(k))))), h("tbody", {}, items.map(keyRow)));
}

// A form posting to ``path`` with the fields' values; numbers and checkboxes typed, blanks left out.
function form(id, title, fields, path, method, shape, onDone) {
  const err = h("div", { class: "form-error" });
  const node = h("form", { class: "action", id, onsubmit: async (e) => {
    e.preventDefault();
    err.textContent = "";
    const body = {};
    for (const el of node.elements) {
      if (!el.name) continue;
      if (el.type === "checkbox") { if (el.checked) body[el.name] = true; }
      else if (el.type === "number") { if (el.value) body[el.name] = Number(el.value); }
      else if (el.value.trim()) body[el.name] = el.value.trim();
    }
    try { onDone(await api(method, path, shape ? shape(body) : body)); } catch (x) { err.textContent = errorText(x); }
  } }, fields, h("button", { type: "submit", id: `${id}-submit` }, t(title)), err);
  return h("details", { class: "action", id: `${id}-box` }, h("summary", {}, t(title)), node);
}

async function viewRegister() {
  if (!may("key.read")) { clear(main()).append(h("p", {}, t("forbidden_view"))); return; }
  const [all, out] = await Promise.all([api("GET", keysUrl()), api("GET", `${keysUrl()}/out`)]);
  const add = may("key.manage") ? form("add-key", "add_key", [
    h("label", {}, t("key_id"), " ", h("span", { class: "muted" }, t("key_id_hint")), h("input", { name: "key_id", id: "key-key_id" })),
    input("unit", { required: true }), input("slot", { required: true }),
    input("copies", { type: "number", min: 1, max: 20, value: 1 }), input("note")],
  keysUrl(), "POST", null, (k) => hooks.navigate(`#/keys/${encodeURIComponent(k.key_id)}`)) : "";
  clear(main()).append(h("h1", {}, t("keys")),
    h("div", { class: "card" }, h("h2", {}, t("keys_out")), keyTable("keys-out", out.items, "none_out")),
    h("div", { class: "card" }, h("h2", {}, t("register")), keyTable("keys-register", all.items, "no_keys"), add));
}

function loanFields(k) {
  if (!k.loan) return [];
  const l = k.loan;
  return [["borrower", `${l.borrower?.name || ""} (${label("key_kind", l.borrower?.kind)}) ${l.borrower?.phone || ""}`],
    ["purpose", label("key_purpose", l.purpose) + (l.case_id ? ` ${l.case_id}` : "")],
    ["lent_at", fmt(l.lent_at)], ["due_back", h("span", {}, fmt(l.due), " ", countdown(l.due))],
    ["issued_by", l.issued_by?.name || l.issued_by?.id || ""]];
}

async function viewKey(id) {
  if (!may("key.read")) { clear(main()).append(h("p", {}, t("forbidden_view"))); return; }
  const k = await api("GET", keysUrl(id));
  const reload = () => viewKey(id);
  const act = (segment) => `${keysUrl(id)}/${segment}`;
  const withVersion = (body) => ({ ...body, version: k.version });
  const forms = [];
  if (k.state === "in_cabinet" && may("key.issue")) {
    forms.push(form("lend-key", "lend", [
      input("name", { label: "borrower", required: true }), select("kind", KINDS, "key_kind", "borrower_kind"),
      input("phone"), select("purpose", PURPOSES, "key_purpose"), input("case_id"),
      input("due", { label: "due_back", type: "datetime-local", required: true }),
      h("label", { class: "inline" }, h("input", { type: "checkbox", name: "emergency", id: "key-emergency" }), t("emergency")),
      input("reason"), input("note")], act("lend"), "POST",
    (b) => withVersion({ borrower: { name: b.name, kind: b.kind, ...(b.phone ? { phone: b.phone } : {}) },
      purpose: b.purpose, due: b.due, ...(b.case_id ? { case_id: b.case_id } : {}),
      ...(b.emergency ? { emergency: true } : {}), ...(b.reason ? { reason: b.reason } : {}),
      ...(b.note ? { note: b.note } : {}) }), reload));
  }
  if (k.state === "lent" && may("key.return")) {
    forms.push(form("return-key", "return_key", [
      h("label", { class: "inline" }, h("input", { type: "checkbox", name: "damaged", id: "key-damaged" }), t("damaged_back")),
      input("note")], act("return"), "POST", withVersion, reload));
  }
  if (k.state === "in_cabinet" && may("key.report")) {
    forms.push(form("damaged-key", "report_damaged", [input("reason", { required: true })], act("damaged"), "POST", withVersion, reload));
  }
  if (["in_cabinet", "lent"].includes(k.state) && may("key.report")) {
    forms.push(form("lost-key", "report_lost", [input("reason", { required: true })], act("lost"), "POST", withVersion, reload));
  }
  if (["damaged", "lost"].includes(k.state) && may("key.replace")) {
    forms.push(form("replace-key", "replace", [input("copies", { type: "number", min: 1, max: 20, value: 1, required: true }),
      input("note")], act("replace"), "POST", withVersion, reload));
  }
  if (!["lent", "retired"].includes(k.state) && may("key.manage")) {
    forms.push(form("edit-key", "edit_key", [input("unit", { value: k.unit }), input("slot", { value: k.slot }),
      input("note", { value: k.note })], keysUrl(id), "PUT", withVersion, reload));
    forms.push(form("retire-key", "retire", [input("reason", { required: true })], act("retire"), "POST", withVersion, reload));
  }
  const fields = [["key_id", k.key_id], ["unit", k.unit], ["slot", k.slot], ["copies", String(k.copies)],
    ["state", stateBadge(k.state)], ...loanFields(k),
    ["lock_change_case", k.lock_change_case ? h("a", { href: `#/case/${encodeURIComponent(k.lock_change_case)}` }, k.lock_change_case) : "—"],
    ["note", k.note || "—"]];
  const history = h("ol", { class: "timeline", id: "key-history" }, (k.history || []).slice().reverse().map((e) => h("li", {},
    h("strong", {}, label("key_action", e.action)), " ",
    h("span", { class: "muted" }, fmt(e.at), " · ", e.actor?.name || e.actor?.id || "", " (", e.actor?.role || "", ")"),
    h("div", {}, describeEntry(e.data)))));
  clear(main()).append(
    h("h1", {}, h("a", { href: "#/keys" }, t("keys")), " / ", h("span", { id: "key-id" }, k.key_id), " ",
      h("span", { id: "key-state", dataset: { state: k.state } }, stateBadge(k.state)),
      k.overdue ? h("span", { class: "late" }, " ", t("overdue")) : ""),
    h("div", { class: "grid2" },
      h("div", {}, h("div", { class: "card" }, h("dl", { class: "fields", id: "key-fields" },
        fields.flatMap(([name, value]) => [h("dt", {}, t(name)), h("dd", { dataset: { field: name } }, value)]))),
      h("div", { class: "card" }, h("h2", {}, t("history")), history)),
      h("div", {}, h("div", { class: "card" }, h("h2", {}, t("actions")), forms))));
}

function describeEntry(data) {
  const parts = [];
  const loan = data?.loan;
  if (loan) parts.push(`${loan.borrower?.name || ""} · ${label("key_purpose", loan.purpose)}${loan.case_id ? " " + loan.case_id : ""} · ${t("due_back")} ${fmt(loan.due)}`);
  if (loan?.received_by) parts.push(`${t("return_key")}: ${loan.received_by.name || loan.received_by.id}`);
  for (const name of ["reason", "note", "unit", "slot", "lock_change_case"]) {
    const v = data?.[name];
    if (v && typeof v === "string") parts.push(`${t(name)}: ${v}`);
  }
  if (data?.copies && typeof data.copies === "object") parts.push(`${t("copies")}: ${data.copies.from} → ${data.copies.to}`);
  if (data?.notified?.length) parts.push(`→ ${data.notified.join(", ")}`);
  return parts.join(" · ");
}

page("keys", { perm: "key.read", label: "keys", render: (arg) => (arg ? viewKey(arg) : viewRegister()) });

// ---------------------------------------------------------------- the case page
function entryText(p) {
  if (!p) return t("entry_none");
  const slots = (p.slots || []).map((s) => `${fmt(s.from)} – ${fmt(s.to)}`).join("; ");
  return `${p.granted ? t("entry_granted") : t("entry_refused")}${slots ? " · " + slots : ""}${p.note ? " · " + p.note : ""}`;
}

casePanel((c, reload) => {
  const box = h("div", { class: "card", id: "entry-permission" }, h("h2", {}, t("entry_permission")),
    h("p", { id: "entry-permission-state", dataset: { granted: c.entry_permission ? String(c.entry_permission.granted) : "" } },
      entryText(c.entry_permission)));
  if (!(c.actions || []).includes("entry_permission")) return box;
  const rows = [0, 1, 2, 3, 4].map((n) => h("div", { class: "slot-row" },
    h("label", {}, t("slot_from"), h("input", { type: "datetime-local", id: `slot-from-${n}` })),
    h("label", {}, t("slot_to"), h("input", { type: "datetime-local", id: `slot-to-${n}` }))));
  const err = h("div", { class: "form-error" });
  const granted = h("select", { id: "entry-granted" }, h("option", { value: "true" }, t("grant")),
    h("option", { value: "false" }, t("refuse")));
  const note = h("input", { type: "text", id: "entry-note" });
  const submit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    const slots = [0, 1, 2, 3, 4].map((n) => ({ from: document.getElementById(`slot-from-${n}`).value,
      to: document.getElementById(`slot-to-${n}`).value })).filter((s) => s.from || s.to);
    const body = { granted: granted.value === "true", version: c.version, ...(note.value.trim() ? { note: note.value.trim() } : {}) };
    if (body.granted && slots.length) body.slots = slots;
    try { await api("POST", `${caseUrl(c.case_id)}/entry-permission`, body); reload(); } catch (x) { err.textContent = errorText(x); }
  };
  box.append(h("details", { class: "action", id: "action-entry_permission" }, h("summary", {}, t("record_entry")),
    h("form", { class: "action", id: "form-entry_permission", onsubmit: submit },
      h("label", {}, t("entry_permission"), granted), h("p", { class: "muted" }, t("slots")), rows,
      h("label", {}, t("note"), " ", h("span", { class: "muted visibility" }, t("visible_to_tenant")), note),
      h("button", { type: "submit", id: "submit-entry_permission" }, t("record_entry")), err)));
  return box;
});



// The shift-handover logbook (seed 000 篇3): the handovers list (unsigned, refused and
// unreviewed ones in red), one handover's checklist, diary, summary, signatures in order,
// refusal and answer, review, and the forms for each step. The API decides who may do
// what and in which order; the page only hides forms that cannot apply.
// Safety rule as everywhere: API values are inserted as text, never as HTML.
import { addStrings } from "/console/i18n.js";
import { state, may, h, clear, main, fmt, api, P, errorText, newKey, page, t, label } from "/console/ui.js";

addStrings({
  en: {
    lb_current_shift: "Current shift", lb_diary: "Work diary", lb_add_entry: "Add to the diary", lb_text: "Text",
    lb_case_id: "Case number", lb_urgent: "Urgent", lb_checklist: "Checklist", lb_mark: "Mark checklist",
    lb_signing: "Signatures in order", lb_refusals: "Refusals", lb_answer: "Answer", lb_refuse: "Refuse",
    lb_review: "Review", lb_reviewed: "Reviewed", lb_unreviewed: "not reviewed", lb_only_unreviewed: "only unreviewed",
    lb_outgoing: "Outgoing", lb_incoming: "Incoming", lb_state: "State", lb_no_entries: "No entries yet.",
    lb_corrected: "corrected", lb_summary: "Summary", lb_history: "History",
    "lb.open": "not signed", "lb.outgoing_signed": "outgoing signed", "lb.refused": "refused",
    "lb.answered": "answered, sign again", "lb.accepted": "accepted",
    "lb.ok": "√ ok", "lb.not_ok": "× not ok", "lb.customer_service": "Customer service",
    "lb.control_room": "Control room",
  },
  "zh-Hans": {
    lb_current_shift: "本班", lb_diary: "工作日记", lb_add_entry: "写入交接本", lb_text: "内容", lb_case_id: "案件编号",
    lb_urgent: "紧急", lb_checklist: "交接检查", lb_mark: "登记检查结果", lb_signing: "签字顺序", lb_refusals: "拒绝接班",
    lb_answer: "答复", lb_refuse: "拒绝接班", lb_review: "领班审阅", lb_reviewed: "已审阅", lb_unreviewed: "未审阅",
    lb_only_unreviewed: "只看未审阅", lb_outgoing: "交班方", lb_incoming: "接班方", lb_state: "状态",
    lb_no_entries: "暂无记录。", lb_corrected: "已更正", lb_summary: "摘要", lb_history: "记录",
    "lb.open": "未签字", "lb.outgoing_signed": "交班已签", "lb.refused": "拒绝接班", "lb.answered": "已答复，待重签",
    "lb.accepted": "已接班", "lb.ok": "√ 正常", "lb.not_ok": "× 不正常", "lb.customer_service": "客服部",
    "lb.control_room": "监控室",
  },
  "zh-Hant": {
    lb_current_shift: "本班", lb_diary: "工作日記", lb_add_entry: "寫入交接本", lb_text: "內容", lb_case_id: "案件編號",
    lb_urgent: "緊急", lb_checklist: "交接檢查", lb_mark: "登記檢查結果", lb_signing: "簽署順序", lb_refusals: "拒絕接班",
    lb_answer: "答覆", lb_refuse: "拒絕接班", lb_review: "領班審閱", lb_reviewed: "已審閱", lb_unreviewed: "未審閱",
    lb_only_unreviewed: "只看未審閱", lb_outgoing: "交班方", lb_incoming: "接班方", lb_state: "狀態",
    lb_no_entries: "暫無記錄。", lb_corrected: "已更正", lb_summary: "摘要", lb_history: "記錄",
    "lb.open": "未簽署", "lb.outgoing_signed": "交班已簽", "lb.refused": "拒絕接班", "lb.answered": "已答覆，待重簽",
    "lb.accepted": "已接班", "lb.ok": "√ 正常", "lb.not_ok": "× 不正常", "lb.customer_service": "客服部",
    "lb.control_room": "監控室",
  },
});

const url = (end) => `${P()}/handovers/${encodeURIComponent(end)}`;
// The side the caller signs for, from the permissions the API granted.
const mySide = () => (may("handover.sign.control_room") ? "control_room"
  : may("handover.sign.customer_service") ? "customer_service" : null);
const who = (by) => (by ? by.name || by.id : "");

function stateLabel(d) {
  const text = [label("lb", d.state)];
  if (d.state === "accepted" && !d.reviewed) text.push(t("lb_unreviewed"));
  return h("span", { class: `state-label${d.needs_attention ? " attention" : ""}`, dataset: { state: d.state } },
    text.join(" · "));
}

function form(id, fields, submit, onsubmit) {
  const err = h("div", { class: "form-error" });
  const node = h("form", { class: "stack", id, onsubmit: async (e) => {
    e.preventDefault();
    try { await onsubmit(node); } catch (x) { err.textContent = errorText(x); }
  } }, fields, h("button", { type: "submit", id: `${id}-submit` }, submit), err);
  return node;
}
const field = (name, text, input) => h("label", {}, text, input);

function diaryList(entries) {
  if (!entries?.length) return h("p", { class: "muted" }, t("lb_no_entries"));
  return h("ul", { class: "plain", id: "diary" }, entries.map((e) => h("li", { class: e.urgent ? "attention" : "",
    dataset: { entry: e.entry_id, urgent: e.urgent ? "yes" : "no" } }, `${fmt(e.at)} ${who(e.author)}: `, e.text,
  e.case_id ? [" ", h("a", { href: `#/case/${encodeURIComponent(e.case_id)}` }, e.case_id)] : "",
  e.urgent ? ` [${t("lb_urgent")}]` : "", e.corrections?.length ? ` (${t("lb_corrected")})` : "")));
}

function diaryForm(after) {
  return form("diary-form", [
    field("text", t("lb_text"), h("textarea", { name: "text", id: "diary-text", required: true, maxlength: 1000 })),
    field("case_id", `${t("lb_case_id")} ${t("optional")}`, h("input", { type: "text", name: "case_id", id: "diary-case" })),
    h("label", {}, h("input", { type: "checkbox", name: "urgent", id: "diary-urgent" }), " ", t("lb_urgent")),
  ], t("lb_add_entry"), async (node) => {
    const body = { text: node.elements.text.value.trim(), urgent: node.elements.urgent.checked, entry_id: newKey() };
    if (node.elements.case_id.value.trim()) body.case_id = node.elements.case_id.value.trim();
    await api("POST", `${P()}/shift/diary`, body);
    after();
  });
}

// ---------------------------------------------------------------- the list
async function viewHandovers() {
  const only = sessionStorage.getItem("td.unreviewed") === "1";
  const [list, shift] = await Promise.all([api("GET", `${P()}/handovers${only ? "?unreviewed=true" : ""}`),
    api("GET", `${P()}/shift`)]);
  const err = h("div", { class: "form-error" });
  const produce = may("handover.sign") ? h("button", { type: "button", id: "produce-handover", onclick: async () => {
    try { const doc = await api("POST", `${P()}/handovers`, {}); location.hash = `#/handover/${encodeURIComponent(doc.shift_end)}`; }
    catch (x) { err.textContent = errorText(x); }
  } }, t("produce_handover")) : "";
  const toggle = h("label", {}, h("input", { type: "checkbox", id: "only-unreviewed", checked: only, onchange: (e) => {
    sessionStorage.setItem("td.unreviewed", e.target.checked ? "1" : "0"); viewHandovers();
  } }), " ", t("lb_only_unreviewed"));
  const rows = (list.items || []).map((d) => h("tr", { class: d.needs_attention ? "attention" : "",
    dataset: { shiftEnd: d.shift_end, state: d.state, reviewed: d.reviewed ? "yes" : "no" } },
  h("td", {}, h("a", { href: `#/handover/${encodeURIComponent(d.shift_end)}` }, `${fmt(d.shift_start)} → ${fmt(d.shift_end)}`)),
  h("td", {}, `${label("lb", d.outgoing)} → ${label("lb", d.incoming)}`), h("td", {}, stateLabel(d)),
  h("td", {}, d.review ? `${t("lb_reviewed")} ${who(d.review.by)}` : t("lb_unreviewed")),
  h("td", {}, Object.entries(d.counts || {}).map(([k, v]) => `${k} ${v}`).join(" · "))));
  const current = h("div", { class: "card", id: "current-shift" },
    h("h2", {}, t("lb_current_shift"), " ", `${fmt(shift.shift_start)} → ${fmt(shift.shift_end)}`, " · ",
      `${t("lb_outgoing")}: ${label("lb", shift.outgoing)}`),
    h("h3", {}, t("lb_diary")), diaryList(shift.diary), may("handover.diary") ? diaryForm(viewHandovers) : "");
  clear(main()).append(h("h1", {}, t("handovers"), " · ", state.pid), current, h("p", {}, produce, " ", toggle), err,
    rows.length ? h("table", { id: "handovers" }, h("thead", {}, h("tr", {}, ["shift", "lb_outgoing", "lb_state", "lb_review", "counts"]
      .map((k) => h("th", {}, t(k))))), h("tbody", {}, rows)) : h("p", { class: "muted" }, t("no_handovers")));
}

// ---------------------------------------------------------------- one handover
async function viewHandover(end) {
  const doc = await api("GET", url(end));
  const again = () => viewHandover(end);
  const side = mySide();
  const outgoingTurn = ["open", "answered"].includes(doc.state) && side === doc.outgoing;
  const incomingTurn = doc.state === "outgoing_signed" && side === doc.incoming;
  const canMark = ["open", "refused", "answered"].includes(doc.state) && side === doc.outgoing;

  const checklist = h("table", { id: "checklist" }, h("tbody", {}, doc.checklist.map((i) => h("tr", {
    class: i.mark === "not_ok" ? "attention" : "", dataset: { item: i.id, mark: i.mark || "" } },
  h("td", {}, i.mark === "ok" ? "√" : i.mark === "not_ok" ? "×" : "—"), h("td", {}, i.text), h("td", {}, i.note || ""),
  h("td", { class: "muted" }, i.by ? `${who(i.by)} ${fmt(i.at)}` : "")))));
  const markForm = canMark ? form("checklist-form", doc.checklist.map((i) => h("div", { class: "row" },
    field(`mark-${i.id}`, i.text, h("select", { name: `mark-${i.id}`, id: `mark-${i.id}` },
      ["ok", "not_ok"].map((m) => h("option", { value: m, selected: (i.mark || "ok") === m }, label("lb", m))))),
    h("input", { type: "text", name: `note-${i.id}`, id: `note-${i.id}`, placeholder: t("note"), value: i.note || "" }))),
  t("lb_mark"), async (node) => {
    const items = doc.checklist.map((i) => {
      const note = node.elements[`note-${i.id}`].value.trim();
      return { id: i.id, mark: node.elements[`mark-${i.id}`].value, ...(note ? { note } : {}) };
    });
    await api("PUT", `${url(end)}/checklist`, { items });
    again();
  }) : "";

  const signing = h("ol", { id: "signing" }, (doc.signing || []).map((s) => h("li", { dataset: { role: s.role, side: s.side } },
    `${t(s.role === "outgoing" ? "lb_outgoing" : "lb_incoming")} · ${label("lb", s.side)} · ${who(s.by)} · ${fmt(s.at)}`,
    s.comment ? ` · ${s.comment}` : "")));
  const refusals = (doc.refusals || []).length ? h("div", { class: "card attention-card", id: "refusals" }, h("h2", {}, t("lb_refusals")),
    h("ul", { class: "plain" }, doc.refusals.map((r) => h("li", {}, `${fmt(r.at)} ${who(r.by)}: `, h("span", { class: "refusal-reason" }, r.reason),
      r.answer ? h("div", { class: "refusal-answer" }, `${t("lb_answer")} · ${who(r.answer.by)} ${fmt(r.answer.at)}: `, r.answer.note) : "")))) : "";

  const forms = [];
  if (outgoingTurn || incomingTurn) {
    forms.push(form("sign-form", [h("input", { type: "hidden", name: "side", value: side }),
      field("comment", t("comment"), h("input", { type: "text", name: "comment", id: "sign-comment" }))],
    `${t("sign")} (${t(outgoingTurn ? "lb_outgoing" : "lb_incoming")})`, async (node) => {
      const comment = node.elements.comment.value.trim();
      await api("POST", `${url(end)}/sign`, { side, ...(comment ? { comment } : {}) });
      again();
    }));
  }
  if (incomingTurn) {
    forms.push(form("refuse-form", [field("reason", t("reason"), h("input", { type: "text", name: "reason", id: "refuse-reason" }))],
      t("lb_refuse"), async (node) => { await api("POST", `${url(end)}/refuse`, { reason: node.elements.reason.value }); again(); }));
  }
  if (doc.state === "refused" && side === doc.outgoing) {
    forms.push(form("answer-form", [field("note", t("note"), h("input", { type: "text", name: "note", id: "answer-note" }))],
      t("lb_answer"), async (node) => { await api("POST", `${url(end)}/answer`, { note: node.elements.note.value }); again(); }));
  }
  if (may("handover.review") && doc.state === "accepted" && !doc.review) {
    forms.push(form("review-form", [field("comment", t("comment"), h("input", { type: "text", name: "comment", id: "review-comment" }))],
      t("lb_review"), async (node) => {
        const comment = node.elements.comment.value.trim();
        await api("POST", `${url(end)}/review`, comment ? { comment } : {});
        again();
      }));
  }

  const sections = Object.entries(doc).filter(([, v]) => v && typeof v === "object" && Array.isArray(v.items));
  clear(main()).append(
    h("h1", {}, t("handovers"), " · ", `${fmt(doc.shift_start)} → ${fmt(doc.shift_end)}`),
    h("p", {}, h("a", { href: "#/handovers" }, "← ", t("back"))),
    h("div", { class: "card", id: "handover-state", dataset: { state: doc.state, outgoing: doc.outgoing, incoming: doc.incoming } }, h("h2", {}, t("lb_state"), " ", stateLabel(doc)),
      h("p", {}, `${t("lb_outgoing")}: ${label("lb", doc.outgoing)} → ${t("lb_incoming")}: ${label("lb", doc.incoming)}`),
      doc.review ? h("p", { id: "review" }, `${t("lb_reviewed")} · ${who(doc.review.by)} · ${fmt(doc.review.at)} ${doc.review.comment || ""}`) : ""),
    refusals,
    h("div", { class: "card" }, h("h2", {}, t("lb_checklist")), checklist, markForm),
    h("div", { class: "card" }, h("h2", {}, t("lb_diary")), diaryList(doc.diary)),
    h("div", { class: "card" }, h("h2", {}, t("lb_signing")), signing, forms),
    h("div", { class: "card" }, h("h2", {}, t("lb_summary")),
      sections.map(([name, s]) => h("div", {}, h("h3", {}, `${name} (${s.count})`),
        h("ul", { class: "plain" }, s.items.map((i) => h("li", {}, h("a", { href: `#/case/${encodeURIComponent(i.case_id)}` }, i.case_id), " ",
          label("status", i.status), " ", i.unit || "", " ", i.title || "", i.overdue ? h("span", { class: "late" }, " ⚠") : "")))))),
    h("div", { class: "card" }, h("h2", {}, t("lb_history")), h("ul", { class: "plain", id: "history" },
      (doc.history || []).map((x) => h("li", {}, `${fmt(x.at)} ${who(x.by)} ${x.action}`,
        x.reason ? ` · ${x.reason}` : "", x.note ? ` · ${x.note}` : "", x.to ? ` → ${x.to.join(", ")}` : "")))));
}

page("handovers", { perm: "report.read", label: "handovers", render: viewHandovers });
page("handover", { perm: "report.read", nav: false, render: viewHandover });

// The case library (chalicelib/domain/library.py): #/library is the training view
// (approved entries by category, newest and most used first), with the drafts, the
// approvals waiting for a manager and a form for a new entry; #/library/<id> shows an
// entry, its draft, its versions and the steps the caller may take. On a case page
// (casePanel): entries like the case ("this helped", answer a consultation from one)
// and, on a case whose callback is done, "propose for the library". The API decides
// every call (approval never by the author, tenant data left in the text): the page
// shows its answer. API values are inserted as text, never as HTML.
import { addStrings } from "/console/i18n.js";
import { may, h, clear, main, fmt, api, P, caseUrl, errorText, page, casePanel, t, label, hooks } from "/console/ui.js";

const TEXT_FIELDS = ["title", "problem", "cause", "what_worked", "tenant_text", "lessons"];
const LANG_CODES = ["zh-Hans", "zh-Hant", "en"];
const CATEGORIES = ["air_conditioning", "security", "cleaning", "noise_renovation", "public_facility",
  "in_unit_repair", "parking", "pest", "mail_parcel", "landscaping", "service_attitude", "billing", "other"];

addStrings({
  en: {
    library: "Library", library_training: "Case library", library_pending: "Waiting for approval",
    library_drafts: "Drafts", library_new: "New entry", library_empty: "No approved entry yet.",
    library_none: "None.", "lib.title": "Title", "lib.problem": "Problem", "lib.cause": "Cause",
    "lib.what_worked": "What worked", "lib.tenant_text": "What to say to the tenant", "lib.lessons": "Lessons",
    "lib.tags": "Tags (comma separated)", "lib.lang": "Written in", "lib.category": "Category", "lib.uses": "Used",
    "lib.approved_at": "Approved", "lib.source_case": "From case", "lib.status": "Status", "lib.versions": "Versions",
    "lib.draft": "Newer draft (not yet approved)", "lib.note": "What changed", "lib.redacted": "Masked from the case",
    "lib.edit": "Edit (a new version)", "lib.submit": "Submit for approval", "lib.approve": "Approve",
    "lib.return": "Return to draft", "lib.retire": "Retire", "lib.suggestions": "From the case library",
    "lib.no_suggestions": "No library entry like this case.", "lib.helped": "This helped",
    "lib.helped_done": "Recorded: this helped", "lib.answer_from": "Answer the tenant with this",
    "lib.propose": "Propose for the library", "lib.classify_first": "Classify the case to see library entries.",
    "lib.score": "match", "lib_status.draft": "draft", "lib_status.pending": "waiting for approval",
    "lib_status.approved": "approved", "lib_status.retired": "retired", "lib_lang.zh-Hans": "简体中文",
    "lib_lang.zh-Hant": "繁體中文", "lib_lang.en": "English", "lib_all": "All categories",
    "action.used_entry": "Library entry helped", "action.library_proposed": "Proposed for the library",
  },
  "zh-Hans": {
    library: "案例库", library_training: "案例库（培训）", library_pending: "待审批", library_drafts: "草稿",
    library_new: "新建案例", library_empty: "还没有已审批的案例。", library_none: "无。",
    "lib.title": "标题", "lib.problem": "问题", "lib.cause": "原因", "lib.what_worked": "有效的做法",
    "lib.tenant_text": "对住户的说法", "lib.lessons": "经验教训", "lib.tags": "标签（逗号分隔）", "lib.lang": "书写语言",
    "lib.category": "类别", "lib.uses": "使用次数", "lib.approved_at": "审批时间", "lib.source_case": "来源案件",
    "lib.status": "状态", "lib.versions": "版本", "lib.draft": "较新的草稿（尚未审批）", "lib.note": "修改说明",
    "lib.redacted": "已从案件中隐去", "lib.edit": "修改（生成新版本）", "lib.submit": "提交审批", "lib.approve": "批准",
    "lib.return": "退回草稿", "lib.retire": "停用", "lib.suggestions": "案例库参考",
    "lib.no_suggestions": "案例库中没有类似的案例。", "lib.helped": "这条有帮助", "lib.helped_done": "已记录：这条有帮助",
    "lib.answer_from": "用这条答复住户", "lib.propose": "推荐到案例库", "lib.classify_first": "案件分类后显示案例库参考。",
    "lib.score": "相似度", "lib_status.draft": "草稿", "lib_status.pending": "待审批", "lib_status.approved": "已审批",
    "lib_status.retired": "已停用", "lib_lang.zh-Hans": "简体中文", "lib_lang.zh-Hant": "繁體中文", "lib_lang.en": "English",
    lib_all: "全部类别", "action.used_entry": "参考了案例库", "action.library_proposed": "已推荐到案例库",
  },
  "zh-Hant": {
    library: "案例庫", library_training: "案例庫（培訓）", library_pending: "待審批", library_drafts: "草稿",
    library_new: "新建案例", library_empty: "還沒有已審批的案例。", library_none: "無。",
    "lib.title": "標題", "lib.problem": "問題", "lib.cause": "原因", "lib.what_worked": "有效的做法",
    "lib.tenant_text": "對住戶的說法", "lib.lessons": "經驗教訓", "lib.tags": "標籤（逗號分隔）", "lib.lang": "書寫語言",
    "lib.category": "類別", "lib.uses": "使用次數", "lib.approved_at": "審批時間", "lib.source_case": "來源案件",
    "lib.status": "狀態", "lib.versions": "版本", "lib.draft": "較新的草稿（尚未審批）", "lib.note": "修改說明",
    "lib.redacted": "已從案件中隱去", "lib.edit": "修改（產生新版本）", "lib.submit": "提交審批", "lib.approve": "批准",
    "lib.return": "退回草稿", "lib.retire": "停用", "lib.suggestions": "案例庫參考",
    "lib.no_suggestions": "案例庫中沒有類似的案例。", "lib.helped": "這條有幫助", "lib.helped_done": "已記錄：這條有幫助",
    "lib.answer_from": "用這條答覆住戶", "lib.propose": "推薦到案例庫", "lib.classify_first": "案件分類後顯示案例庫參考。",
    "lib.score": "相似度", "lib_status.draft": "草稿", "lib_status.pending": "待審批", "lib_status.approved": "已審批",
    "lib_status.retired": "已停用", "lib_lang.zh-Hans": "简体中文", "lib_lang.zh-Hant": "繁體中文", "lib_lang.en": "English",
    lib_all: "全部類別", "action.used_entry": "參考了案例庫", "action.library_proposed": "已推薦到案例庫",
  },
});

const libUrl = (id) => `${P()}/library${id ? "/" + encodeURIComponent(id) : ""}`;
const statusBadge = (s) => h("span", { class: `badge lib-${s}`, dataset: { status: s } }, t(`lib_status.${s}`));

function entryFields(e, id) {
  const rows = TEXT_FIELDS.filter((f) => f !== "title" && e[f]).map((f) => [t(`lib.${f}`), e[f]]);
  if ((e.tags || []).length) rows.push([t("lib.tags").split(/[（(]/)[0], e.tags.join(" · ")]);
  return h("dl", { class: "fields", id }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function entryCard(e) {
  return h("div", { class: "card library-entry", dataset: { entry: e.entry_id, category: e.category } },
    h("h3", {}, h("a", { href: `#/library/${encodeURIComponent(e.entry_id)}`, class: "entry-title" }, e.title), " ",
      h("span", { class: "muted" }, label("category", e.category), " · ", t(`lib_lang.${e.lang}`), " · ",
        t("lib.uses"), " ", h("span", { class: "entry-uses" }, String(e.uses)),
        e.approved_at ? ` · ${fmt(e.approved_at)}` : "")),
    entryFields(e));
}

function entryList(id, items) {
  if (!items.length) return h("p", { class: "muted", id: `${id}-empty` }, t("library_none"));
  return h("ul", { class: "plain", id }, items.map((e) => h("li", { dataset: { entry: e.entry_id } },
    h("a", { href: `#/library/${encodeURIComponent(e.entry_id)}` }, e.title), " ", statusBadge(e.status),
    h("span", { class: "muted" }, " ", label("category", e.category), " · ", e.created_by?.name || e.created_by?.id || ""))));
}

// Text fields, category, language and tags; ``e`` prefills them (an edit).
function contentFields(prefix, e = {}) {
  const area = (f) => h("label", {}, t(`lib.${f}`) + (["title", "problem", "what_worked"].includes(f) ? " *" : ""),
    f === "tenant_text" ? h("span", { class: "muted visibility" }, " ", t("visible_to_tenant")) : "",
    f === "title" ? h("input", { name: f, id: `${prefix}-${f}`, value: e[f] || "" })
      : h("textarea", { name: f, id: `${prefix}-${f}`, rows: 3 }, e[f] || ""));
  return [...TEXT_FIELDS.map(area),
    h("label", {}, t("lib.category"), h("select", { name: "category", id: `${prefix}-category` },
      CATEGORIES.map((c) => h("option", { value: c, selected: c === (e.category || "other") }, label("category", c))))),
    h("label", {}, t("lib.lang"), h("select", { name: "lang", id: `${prefix}-lang` },
      LANG_CODES.map((l) => h("option", { value: l, selected: l === (e.lang || "zh-Hans") }, t(`lib_lang.${l}`))))),
    h("label", {}, t("lib.tags"), h("input", { name: "tags", id: `${prefix}-tags`, value: (e.tags || []).join(", ") }))];
}

function formContent(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.name === "tags") body.tags = el.value.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
    else body[el.name] = el.value.trim();
  }
  return body;
}

function stepForm(id, title, fields, send, onDone) {
  const err = h("div", { class: "form-error" });
  const node = h("form", { class: "action", id, onsubmit: async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    try { onDone(await send(node)); } catch (x) { err.textContent = errorText(x); }
  } }, fields, h("button", { type: "submit", id: `${id}-submit` }, t(title)), err);
  return fields.length ? h("details", { class: "action", id: `${id}-box` }, h("summary", {}, t(title)), node) : node;
}

async function viewLibrary() {
  if (!may("library.read")) { clear(main()).append(h("p", {}, t("forbidden_view"))); return; }
  const [shown, pending, drafts] = await Promise.all([api("GET", libUrl()), api("GET", `${libUrl()}?status=pending`),
    may("library.write") ? api("GET", `${libUrl()}?status=draft`) : Promise.resolve({ items: [] })]);
  const filter = h("select", { id: "library-category", "aria-label": t("lib.category"), onchange: () => {
    for (const card of document.querySelectorAll("#library-entries .library-entry")) {
      card.hidden = !!filter.value && card.dataset.category !== filter.value;
    }
  } }, h("option", { value: "" }, t("lib_all")), CATEGORIES.map((c) => h("option", { value: c }, label("category", c))));
  const groups = CATEGORIES.filter((c) => shown.items.some((e) => e.category === c)).map((c) => h("section", {},
    h("h2", {}, label("category", c)), shown.items.filter((e) => e.category === c).map(entryCard)));
  const add = may("library.write") ? stepForm("library-add", "library_new", contentFields("library-add"),
    (f) => api("POST", libUrl(), formContent(f)), (e) => hooks.navigate(`#/library/${encodeURIComponent(e.entry_id)}`)) : "";
  clear(main()).append(h("h1", {}, t("library_training")),
    h("div", { class: "grid2" },
      h("div", { id: "library-entries" }, filter, groups.length ? groups : h("p", { class: "muted", id: "library-empty" }, t("library_empty"))),
      h("div", {},
        h("div", { class: "card" }, h("h2", {}, t("library_pending")), entryList("library-pending", pending.items)),
        may("library.write") ? h("div", { class: "card" }, h("h2", {}, t("library_drafts")), entryList("library-drafts", drafts.items)) : "",
        add ? h("div", { class: "card" }, add) : "")));
}

async function viewEntry(id) {
  if (!may("library.read")) { clear(main()).append(h("p", {}, t("forbidden_view"))); return; }
  const e = await api("GET", libUrl(id));
  const reload = () => viewEntry(id);
  const step = (segment) => () => api("POST", `${libUrl(id)}/${segment}`, { version: e.version });
  const forms = [];
  const current = e.draft || e;
  if (e.status !== "retired" && may("library.write")) {
    forms.push(stepForm("library-edit", "lib.edit", [...contentFields("library-edit", current),
      h("label", {}, t("lib.note"), h("input", { name: "note", id: "library-edit-note" }))],
    (f) => api("PUT", libUrl(id), { ...formContent(f), version: e.version }), reload));
  }
  if (e.status === "draft" && may("library.write")) forms.push(stepForm("library-submit", "lib.submit", [], step("submit"), reload));
  if (e.status === "pending" && may("library.approve")) {
    forms.push(stepForm("library-approve", "lib.approve", [], step("approve"), reload));
    forms.push(stepForm("library-return", "lib.return", [], step("return"), reload));
  }
  if (e.status !== "retired" && may("library.approve")) forms.push(stepForm("library-retire", "lib.retire", [], step("retire"), reload));
  const meta = [["lib.status", statusBadge(e.status)], ["lib.category", label("category", e.category)],
    ["lib.lang", t(`lib_lang.${e.lang}`)], ["lib.uses", String(e.uses)],
    ["lib.approved_at", e.approved_at ? `${fmt(e.approved_at)} · ${e.approved_by?.name || e.approved_by?.id || ""}` : "—"],
    ["lib.source_case", e.source_case ? h("a", { href: `#/case/${encodeURIComponent(e.source_case)}` }, e.source_case) : "—"],
    ["lib.redacted", (e.redacted || []).join(", ") || "—"]];
  const versions = h("ol", { class: "timeline", id: "library-versions" }, (e.versions || []).slice().reverse().map((v) =>
    h("li", { dataset: { version: String(v.number) } }, h("strong", {}, `v${v.number} `, v.content?.title || ""), " ",
      h("span", { class: "muted" }, fmt(v.at), " · ", v.author?.name || v.author?.id || "", v.note ? ` · ${v.note}` : ""))));
  clear(main()).append(
    h("h1", {}, h("a", { href: "#/library" }, t("library")), " / ", h("span", { id: "library-title" }, e.title), " ",
      h("span", { id: "library-status", dataset: { status: e.status } }, statusBadge(e.status))),
    h("div", { class: "grid2" },
      h("div", {},
        h("div", { class: "card" }, h("dl", { class: "fields", id: "library-meta" },
          meta.flatMap(([k, v]) => [h("dt", {}, t(k)), h("dd", {}, v)]))),
        h("div", { class: "card" }, entryFields(e, "library-shown")),
        e.draft ? h("div", { class: "card", id: "library-draft" }, h("h2", {}, t("lib.draft")), h("h3", {}, e.draft.title), entryFields(e.draft)) : "",
        h("div", { class: "card" }, h("h2", {}, t("lib.versions")), versions)),
      h("div", {}, h("div", { class: "card" }, h("h2", {}, t("actions")), forms))));
}

page("library", { perm: "library.read", label: "library", render: (arg) => (arg ? viewEntry(arg) : viewLibrary()) });

// ---------------------------------------------------------------- the case page
function suggestion(c, e, reload) {
  const li = h("li", { class: "library-suggestion", dataset: { entry: e.entry_id } },
    h("a", { href: `#/library/${encodeURIComponent(e.entry_id)}` }, e.title), " ",
    h("span", { class: "muted" }, t("lib.score"), " ", `${Math.round(e.score * 100)}%`, " · ", t("lib.uses"), " ", String(e.uses)),
    h("div", {}, e.what_worked));
  const err = h("div", { class: "form-error" });
  if (may("library.write")) {
    const helped = h("button", { type: "button", class: "secondary library-helped", onclick: async () => {
      err.textContent = "";
      try { await api("POST", `${caseUrl(c.case_id)}/library-used`, { entry_id: e.entry_id }); helped.disabled = true; helped.textContent = t("lib.helped_done"); } catch (x) { err.textContent = errorText(x); }
    } }, t("lib.helped"));
    li.append(helped);
  }
  if ((c.actions || []).includes("answer") && e.tenant_text) {
    const text = h("textarea", { class: "library-answer-text", rows: 3 }, e.tenant_text);
    li.append(h("details", { class: "action library-answer" }, h("summary", {}, t("lib.answer_from")),
      h("form", { class: "action", onsubmit: async (ev) => {
        ev.preventDefault();
        err.textContent = "";
        try {
          await api("POST", `${caseUrl(c.case_id)}/answer`, { version: c.version, message: text.value.trim() });
          if (may("library.write")) await api("POST", `${caseUrl(c.case_id)}/library-used`, { entry_id: e.entry_id });
          reload();
        } catch (x) { err.textContent = errorText(x); }
      } }, h("label", {}, t("message"), " ", h("span", { class: "muted visibility" }, t("visible_to_tenant")), text),
      h("button", { type: "submit", class: "library-answer-submit" }, t("lib.answer_from")))));
  }
  li.append(err);
  return li;
}

casePanel((c, reload) => {
  if (!may("library.read")) return "";
  const list = h("div", { id: "library-suggestions" });
  const box = h("div", { class: "card", id: "library-panel" }, h("h2", {}, t("lib.suggestions")), list);
  if (!c.category) list.append(h("p", { class: "muted" }, t("lib.classify_first")));
  else {
    api("GET", `${caseUrl(c.case_id)}/library-suggestions`).then((out) => {
      clear(list).append(out.items.length ? h("ul", { class: "plain" }, out.items.map((e) => suggestion(c, e, reload)))
        : h("p", { class: "muted", id: "library-no-suggestions" }, t("lib.no_suggestions")));
    }).catch((x) => { clear(list).append(h("p", { class: "form-error" }, errorText(x))); });
  }
  if (["callback_done", "closed"].includes(c.status) && may("library.write")) {
    const err = h("div", { class: "form-error" });
    box.append(h("button", { type: "button", id: "library-propose", onclick: async () => {
      err.textContent = "";
      try {
        const e = await api("POST", libUrl(), { case_id: c.case_id });
        hooks.navigate(`#/library/${encodeURIComponent(e.entry_id)}`);
      } catch (x) { err.textContent = errorText(x); }
    } }, t("lib.propose")), err);
  }
  return box;
});

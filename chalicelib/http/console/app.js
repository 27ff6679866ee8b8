// Tenantdesk staff console: plain ES module, no build step.
// Safety rule: every value that comes from the API (tenants' words above all) is
// inserted with textContent / createElement; innerHTML is never used.
import { t, label, setLang, getLang } from "/console/i18n.js";
import { barChart } from "/console/charts.js";
import {
  state, may, hooks, PAGES, h, append, clear, $, main, options, tz, fmt, localParts, countdown, ApiError, api, P,
  caseUrl, errorText, showError, newKey, CASE_PANELS, QUEUE_MARKS,
} from "/console/ui.js";
import "/console/keys.js";
import { timelineNode } from "/console/timeline.js";
import "/console/dedupe.js";

// Pages in modules of their own register themselves (ui.js page()); importing them here
// puts them in the navigation and the router. (ui.js also holds may(): the API decides.)
import "/console/logbook.js";
import "/console/qr.js";
import "/console/reports.js";
import "/console/library.js";
import "/console/flags.js";
import { locationPicker, locateForm, zonedIso } from "/console/archive.js";

// Enumerations (chalicelib/domain/cases.py).
const KINDS = ["consultation", "complaint", "request"];
const CATEGORIES = ["air_conditioning", "security", "cleaning", "noise_renovation", "public_facility", "in_unit_repair",
  "parking", "pest", "mail_parcel", "landscaping", "service_attitude", "billing", "other"];
const CHANNELS = ["app", "web", "email", "phone", "walk_in", "letter"];
const OPEN_STATUSES = ["received", "routed", "in_progress", "responded", "awaiting_tenant", "resolved", "callback_done"];
// chalicelib/domain/cases.py AWAIT_REASONS: why staff wait on the tenant.
const AWAIT_REASONS = ["question", "unreachable", "access"];
const TIERS = ["front_desk", "manager", "director"];
const VALIDITIES = ["valid", "invalid"];
const SEVERITIES = ["general", "major"];
const CAUSES = ["business_affected", "outside_control", "equipment_facility", "other"];
const VIA = ["app", "phone", "in_person", "email", "sms", "letter"];

// ---------------------------------------------------------------- sign in
const DEMO = [
  ["DESK", "前台小王 · front_desk · P1"], ["STAFF", "工程部张师傅 · dept_staff · P1"],
  ["MANAGER", "王经理 · manager · P1"], ["DIRECTOR", "赵总监 · director · P1"], ["SECURITY", "监控室值班员老陈 · security · P1"], ["ADMIN", "系统管理员 · admin · P1,P2"],
];
function tokenFrom(text) {
  const s = (text || "").trim();
  const m = s.match(/(?:export\s+\w+=)?["']?([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)["']?/);
  return m ? m[1] : s;
}
function viewSignIn(message) {
  stopTimers();
  const area = h("textarea", { id: "token", autofocus: true, spellcheck: "false", placeholder: "export DESK=eyJ…" });
  const err = h("div", { class: "form-error", id: "signin-error" }, message || "");
  const form = h("form", { class: "stack signin", id: "signin-form", onsubmit: async (e) => {
    e.preventDefault();
    state.token = tokenFrom(area.value);
    if (!state.token) return;
    sessionStorage.setItem("td.token", state.token);
    try { await loadMe(); navigate("#/queue"); }
    catch (x) { err.textContent = errorText(x); }
  } },
  h("label", {}, t("token"), area),
  h("p", { class: "muted" }, t("token_help")),
  h("button", { type: "submit", id: "signin" }, t("signin")), err);
  area.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } });
  const demo = h("div", { class: "card" }, h("h2", {}, t("demo_users")), h("p", { class: "muted" }, t("demo_pick")),
    h("ul", { class: "plain" }, DEMO.map(([v, who]) => h("li", {}, h("button", { type: "button", class: "secondary",
      onclick: () => { area.value = `export ${v}=`; area.focus(); } }, v), " ", who))));
  clear(main()).append(h("h1", {}, t("signin")), h("div", { class: "grid2" }, h("div", { class: "card" }, form), demo));
  renderHeader();
  area.focus();
}
async function loadMe() {
  const [me, granted] = await Promise.all([api("GET", "/v1/me"), api("GET", "/v1/me/permissions")]);
  state.me = { ...me, permissions: granted.permissions };
  if (!state.me.properties.includes(state.pid)) state.pid = state.me.properties[0] || "";
  sessionStorage.setItem("td.property", state.pid);
  await loadProperty();
}
async function loadProperty() {
  state.property = null;
  if (state.pid && may("policy.read")) {
    try { state.property = await api("GET", P()); } catch (e) { showError(e); }
  }
}
function signOut(go = true) {
  state.token = ""; state.me = null; state.property = null;
  sessionStorage.removeItem("td.token");
  if (go) navigate("#/");
}

// ---------------------------------------------------------------- header
const VIEWS = [
  ["queue", "queue.read"], ["log", "case.log"], ["approvals", "reply.approve"],
  ["dashboard", "report.read"], ["quarantine", "mail.quarantine"],
];
const VIEW_LABEL = { queue: "queue", log: "log_case", approvals: "approvals", handovers: "handovers", dashboard: "dashboard",
  quarantine: "quarantine" };
function renderHeader() {
  const nav = clear($("#nav"));
  const who = clear($("#who"));
  document.documentElement.lang = getLang();
  if (!state.me) return;
  const current = (location.hash.split("/")[1] || "queue");
  const entries = [...VIEWS.map(([view, perm]) => [view, perm, VIEW_LABEL[view]]),
    ...PAGES.filter((p) => p.nav).map((p) => [p.name, p.perm, p.label])];
  for (const [view, perm, text] of entries) {
    if (!may(perm)) continue;
    nav.append(h("a", { href: `#/${view}`, id: `nav-${view}`, class: current === view ? "active" : "" }, t(text)));
  }
  const props = h("select", { id: "property", "aria-label": t("property"), onchange: async (e) => {
    state.pid = e.target.value; sessionStorage.setItem("td.property", state.pid); await loadProperty(); route();
  } }, state.me.properties.map((p) => h("option", { value: p, selected: p === state.pid }, p)));
  who.append(h("span", { id: "me-name" }, state.me.name || state.me.subject), " · ",
    h("span", { id: "me-role", dataset: { role: state.me.role } }, label("role", state.me.role)), " · ",
    state.property ? h("span", { id: "property-name" }, state.property.name) : "", props,
    h("button", { type: "button", class: "secondary", id: "signout", onclick: () => signOut() }, t("signout")));
}

// ---------------------------------------------------------------- router
function stopTimers() { state.timers.forEach(clearInterval); state.timers = []; caseKeys = null; }
async function route() {
  stopTimers();
  showError(null);
  if (!state.token) return viewSignIn();
  if (!state.me) {
    try { await loadMe(); } catch (e) { return viewSignIn(errorText(e)); }
  }
  const [, view = "queue", arg] = location.hash.split("/");
  renderHeader();
  const views = { queue: viewQueue, case: viewCase, log: viewLog, approvals: viewApprovals,
    dashboard: viewDashboard, quarantine: viewQuarantine,
    ...Object.fromEntries(PAGES.map((p) => [p.name, p.render])) };
  const fn = views[view] || viewQueue;
  clear(main()).append(h("p", { class: "muted" }, t("loading")));
  try { await fn(arg ? decodeURIComponent(arg) : undefined); } catch (e) {
    if (e instanceof ApiError && e.status === 401) return viewSignIn(errorText(e));
    showError(e);
  }
}
window.addEventListener("hashchange", route);
// Setting a new hash fires hashchange, which routes: routing here as well rendered every view
// twice, and the second sign-in form replaced one the user had already typed into.
function navigate(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}
hooks.unauthorized = () => signOut(false);
hooks.navigate = navigate;

// ---------------------------------------------------------------- queue
const queueState = { filters: {}, cursors: [] };
function tierBadge(tier) { return tier ? h("span", { class: `badge tier-${tier}` }, label("tier", tier)) : "—"; }
function statusBadge(status) { return h("span", { class: `badge st-${status}`, dataset: { status } }, label("status", status)); }

async function viewQueue() {
  if (!may("queue.read")) { clear(main()).append(h("p", {}, t("forbidden_view"))); return; }
  const f = queueState.filters;
  const depts = state.property?.departments || [];
  const sel = (name, values, group) => h("label", {}, t(name), h("select", { name, id: `filter-${name}` },
    options(values, group, { selected: f[name] || "" })));
  const form = h("form", { class: "filters", id: "queue-filters", onchange: () => {
    const data = new FormData(form);
    queueState.filters = Object.fromEntries([...data.entries()].filter(([, v]) => v));
    queueState.cursors = [];
    load();
  }, onsubmit: (e) => { e.preventDefault(); load(); } },
  sel("status", OPEN_STATUSES, "status"), sel("kind", KINDS, "kind"), sel("category", CATEGORIES, "category"),
  sel("channel", CHANNELS, "channel"), sel("tier", TIERS, "tier"), sel("department", depts, null),
  h("label", { class: "inline" }, h("input", { type: "checkbox", name: "overdue", value: "true", id: "filter-overdue",
    checked: f.overdue === "true" }), t("overdue_only")),
  h("button", { type: "submit", class: "secondary", id: "queue-refresh" }, t("refresh")));
  const body = h("tbody", { id: "queue-rows" });
  const pager = h("div", { class: "pager" });
  // Columns a tablet leaves out (app.css hides .col-opt below 1100 px): the row's title cell still names them.
  const OPTIONAL = new Set(["kind", "channel", "department"]);
  const NARROW = new Set(["tier", "unit", "assignee"]);  // below 900 px: named under the title instead
  const table = h("table", { id: "queue" }, h("thead", {}, h("tr", {}, ["case", "next_due", "status", "tier", "kind",
    "category", "channel", "unit", "title", "department", "assignee"].map((k) => h("th", { class: `col-${k}${OPTIONAL.has(k) ? " col-opt" : ""}${NARROW.has(k) ? " col-opt2" : ""}` }, t(k))))), body);
  clear(main()).append(h("h1", {}, t("queue"), " · ", state.pid), form, h("div", { class: "table-wrap" }, table), pager);

  async function load() {
    const params = new URLSearchParams({ ...queueState.filters, limit: "25" });
    const cursor = queueState.cursors[queueState.cursors.length - 1];
    if (cursor) params.set("cursor", cursor);
    let page;
    try { page = await api("GET", `${P()}/queue?${params}`); showError(null); } catch (e) { showError(e); return; }
    clear(body);
    if (!page.items.length) body.append(h("tr", {}, h("td", { colspan: 11, class: "muted" }, t("no_cases"))));
    for (const c of page.items) {
      // What needs a look: the tenant wrote and no staff member read it; the case waits on the tenant.
      const unread = c.unread_for_staff ? h("span", { class: "badge unread queue-unread", title: fmt(c.tenant_wrote_at),
        dataset: { unread: c.unread_for_staff } }, t("unread_messages").replace("{n}", c.unread_for_staff)) : "";
      const waiting = c.waiting ? h("span", { class: "badge waiting queue-waiting", title: fmt(c.waiting.since),
        dataset: { reason: c.waiting.reason } }, t("waiting_on_tenant"), " · ", label("await", c.waiting.reason)) : "";
      const promised = c.promise ? h("span", { class: "badge promised", title: fmt(c.promise.due) }, t("promised"), " ", fmt(c.promise.due)) : "";
      const rowClass = [c.overdue ? "overdue" : "", c.unread_for_staff ? "unread" : "", c.waiting ? "waiting" : ""].filter(Boolean).join(" ");
      body.append(h("tr", { class: rowClass, dataset: { caseId: c.case_id } },
        h("td", { class: "col-case" }, h("a", { href: `#/case/${encodeURIComponent(c.case_id)}` }, c.case_id)),
        h("td", {}, countdown(c.next_due)), h("td", {}, statusBadge(c.status)), h("td", { class: "col-opt2" }, tierBadge(c.tier)),
        h("td", { class: "col-opt" }, label("kind", c.kind)), h("td", {}, label("category", c.category)),
        h("td", { class: "col-opt" }, label("channel", c.channel)), h("td", { class: "col-opt2" }, c.unit || "—"),
        h("td", { class: "col-title" }, h("span", { class: "title-text" }, c.title || c.content.slice(0, 80)),
          h("div", { class: "row-sub narrow-only muted" }, c.unit || "—", " · ", c.tier ? tierBadge(c.tier) : "", " · ", c.assignee || "—"),
          unread || waiting || promised ? h("div", { class: "row-marks" }, unread, waiting, promised) : "", QUEUE_MARKS.map((mark) => mark(c))),
        h("td", { class: "col-opt" }, c.department || "—"), h("td", { class: "col-opt2" }, c.assignee || "—")));
    }
    clear(pager);
    if (queueState.cursors.length) pager.append(h("button", { type: "button", class: "secondary", id: "queue-first",
      onclick: () => { queueState.cursors = []; load(); } }, t("first_page")));
    if (page.next_cursor) pager.append(h("button", { type: "button", class: "secondary", id: "queue-next",
      onclick: () => { queueState.cursors.push(page.next_cursor); load(); } }, t("next_page")));
  }
  await load();
  state.timers.push(setInterval(load, 30000));
}

// ---------------------------------------------------------------- case page
// action -> [route segment, fields]; field: [name, type, choices?, required?]. A form is offered
// only when the case's `actions` (from the API) name it.
const ACTIONS = {
  classify: ["classify", [["kind", "select", KINDS], ["validity", "select", VALIDITIES],
    ["severity", "select", SEVERITIES], ["category", "select", CATEGORIES], ["cause", "select", CAUSES],
    ["department", "dept"], ["reason", "text"]]],
  assign: ["assign", [["assignee", "line", null, true], ["department", "dept"], ["note", "text"]]],
  start: ["start", []],
  note: ["notes", [["note", "text", null, true]]],
  // promised_by: the time the tenant is told (ISO with offset, e.g. 2026-11-24T18:00+08:00); empty: the category's limit.
  respond: ["respond", [["message", "text", null, true], ["via", "select", VIA], ["promised_by", "line"]]],
  move_promise: ["promise", [["promised_by", "line", null, true], ["reason", "text", null, true]]],
  await_tenant: ["await-tenant", [["reason", "select", AWAIT_REASONS], ["message", "text"]]],
  resume: ["resume", [["note", "text"]]],
  close_unreachable: ["close-unreachable", [["summary", "text"]]],
  resolve: ["resolve", [["resolution", "text", null, true]]],
  callback: ["callback", [["reached", "check"], ["satisfied", "check"], ["comment", "text"]]],
  escalate: ["escalate", [["reason", "text", null, true]]],
  close: ["close", [["summary", "text"], ["reason", "text"]]],
  answer: ["answer", [["message", "text", null, true], ["via", "select", VIA]]],
  explain: ["explain", [["message", "text", null, true], ["via", "select", VIA]]],
  confirm_invalid: ["confirm_invalid", [["reason", "text"]]],
  reject_invalid: ["reject_invalid", [["reason", "text", null, true]]],
  reopen: ["reopen", [["reason", "text", null, true]]],
};

// A mirror of chalicelib/domain/views.py TENANT_FACING_INPUTS: staff text the tenant reads.
// Every other text a form takes is internal (views.py decides; this only labels).
const TENANT_FACING = { respond: ["message"], resolve: ["resolution"], answer: ["message"], explain: ["message"], move_promise: ["reason"], await_tenant: ["message"] };

function visibility(tenantSees) {
  return tenantSees
    ? h("span", { class: "badge visibility tenant-visible", dataset: { visibility: "tenant" } }, t("visible_to_tenant"))
    : h("span", { class: "muted visibility", dataset: { visibility: "internal" } }, t("internal_only"));
}

function field([name, type, choices, required], prefix) {
  const id = `${prefix}-${name}`;
  if (type === "check") return h("label", { class: "inline" }, h("input", { type: "checkbox", name, id }), t(name));
  let input;
  if (type === "select") input = h("select", { name, id, required }, options(choices, ["via"].includes(name) ? null : name));
  else if (type === "dept") input = h("select", { name, id }, options(state.property?.departments || [], null));
  else if (type === "line") input = h("input", { type: "text", name, id, required });
  else input = h("textarea", { name, id, required, rows: 2 });
  const tag = type === "text" ? [" ", visibility((TENANT_FACING[prefix] || []).includes(name))] : [];
  return h("label", {}, t(name) + (required ? " *" : ""), ...tag, input);
}

function formBody(form, fields) {
  const body = {};
  for (const [name, type] of fields) {
    const input = form.elements[name];
    if (type === "check") body[name] = input.checked;
    else if (input.value.trim()) body[name] = input.value.trim();
  }
  return body;
}

function actionForm(c, action, onDone) {
  const [segment, fields] = ACTIONS[action];
  const err = h("div", { class: "form-error" });
  const form = h("form", { class: "action", id: `form-${action}`, onsubmit: async (e) => {
    e.preventDefault();
    err.textContent = "";
    try {
      const updated = await api("POST", `${caseUrl(c.case_id)}/${segment}`, { version: c.version, ...formBody(form, fields) });
      onDone(updated);
    } catch (x) { err.textContent = errorText(x); }
  } }, fields.map((f) => field(f, action)), h("button", { type: "submit", id: `submit-${action}` }, t(`action.${action}`)), err);
  return h("details", { class: "action", id: `action-${action}` }, h("summary", {}, t(`action.${action}`)), form);
}

// Attachment n (from 1) of a case. Only files the system stores (s3://...) are
// loaded, through a short-lived URL the API gives an authorised caller; a link
// (stored before links were refused) is shown as text and never fetched.
function attachmentNode(c, a, n) {
  const ref = String(a.ref || "");
  const name = a.name || ref.split("/").pop() || ref;
  if (!ref.startsWith("s3://")) {
    return h("li", { class: "attachment-link" }, name, " ", h("span", { class: "muted" }, ref, " · ", t("not_stored")));
  }
  const li = h("li", { class: "attachment-stored" }, name, " ");
  const open = h("button", { type: "button", class: "secondary open-attachment", onclick: async () => {
    try {
      const got = await api("GET", `${caseUrl(c.case_id)}/attachments/${n}`);
      if ((got.content_type || a.content_type || "").startsWith("image/")) {
        li.querySelector("img")?.remove();
        li.append(h("img", { class: "attachment", src: got.url, alt: name, referrerpolicy: "no-referrer" }));
      } else {
        window.open(got.url, "_blank", "noopener,noreferrer");
      }
    } catch (x) { li.append(h("span", { class: "form-error" }, errorText(x))); }
  } }, t("open_file"));
  li.append(open);
  return li;
}

// A case read carries its latest events; staff read the whole timeline, older pages first.
async function wholeTimeline(caseId, c) {
  let timeline = c.timeline || [], cursor = c.timeline_cursor;
  while (cursor) {
    const page = await api("GET", `${caseUrl(caseId)}/timeline?limit=100&cursor=${encodeURIComponent(cursor)}`);
    timeline = [...page.items, ...timeline];
    cursor = page.next_cursor;
  }
  return { ...c, timeline, timeline_cursor: null };
}

// ---------------------------------------------------------------- the case page's groups
// Fields in groups; a field with nothing in it is not shown (a group with nothing, neither).
const GROUPS = [
  ["g_reporter", ["reporter", "contact", "lang", "written", "verified", "repeat_of"]],
  ["g_location", ["location", "unit", "occurred_at"]],
  ["g_classification", ["kind", "category", "severity", "cause", "validity", "validity_confirmed", "channel"]],
  ["g_assignment", ["department", "assignee", "tier", "recorder"]],
  ["g_deadlines", ["next_due", "promise", "waiting"]],
  ["g_outcome", ["rating", "callback"]],
  ["g_record", ["created_at", "updated_at", "closed_at", "version"]],
];
const isEmpty = (v) => v === null || v === undefined || v === "" || v === false ||
  (Array.isArray(v) && !v.length) || (typeof v === "object" && !Array.isArray(v) && !Object.values(v).some((x) => !isEmpty(x)));

function fieldValue(c, k) {
  const v = c[k];
  if (k === "tier") return tierBadge(v);
  if (k === "location") return v?.label || "—";
  if (k === "next_due") return countdown(v);
  if (k === "repeat_of") return h("a", { href: `#/case/${encodeURIComponent(v)}` }, v);
  if (["kind", "category", "channel", "severity", "validity", "cause"].includes(k)) return label(k, v);
  if (k.endsWith("_at")) return fmt(v);
  if (k === "promise") return [fmt(v.due), v.moves ? ` (${v.moves}×)` : ""];
  if (k === "waiting") return [label("await", v.reason), " · ", fmt(v.since)];
  if (typeof v === "string") return v;
  if (k === "reporter" || k === "contact") {
    // Who and how to reach them; ids (tenant_id) stay out of the way.
    return Object.entries(v).filter(([name, x]) => name !== "tenant_id" && !isEmpty(x) && typeof x !== "object")
      .map(([, x]) => String(x)).join(" · ");
  }
  if (k === "callback") {
    return [v.reached ? t("reached") : `${t("reached")}: ${t("no")}`, v.reached ? ` · ${t("satisfied")}: ${v.satisfied ? t("yes") : t("no")}` : "",
      v.comment ? ` · ${v.comment}` : "", v.at ? ` · ${fmt(v.at)}` : ""];
  }
  if (k === "rating" && typeof v === "object") return [`${v.score ?? "—"}/5`, v.comment ? ` · ${v.comment}` : ""];
  if (typeof v === "boolean") return v ? t("yes") : t("no");
  if (v && typeof v === "object") return Object.entries(v).map(([a, b]) => `${a}: ${typeof b === "object" ? JSON.stringify(b) : b}`).join(" · ");
  return String(v);
}

function groupedFields(c) {
  const groups = GROUPS.map(([name, keys]) => {
    // "Invalid" not yet confirmed by a manager is a proposal: say so (no) as well as yes.
    const shown = keys.filter((k) => (k === "validity_confirmed" ? c.validity === "invalid" : !isEmpty(c[k])));
    if (!shown.length) return null;
    return h("section", { class: "field-group", dataset: { group: name } }, h("h3", {}, t(name)),
      h("dl", { class: "fields" }, shown.flatMap((k) => [h("dt", {}, t(k)), h("dd", { dataset: { field: k } }, fieldValue(c, k))])));
  });
  return h("div", { class: "card groups", id: "case-fields" }, groups);
}

// ---------------------------------------------------------------- the next step
// The procedure's next step for this status, first of these the case's `actions` (the API:
// this caller's role and the case) names; every other action is behind "More actions".
const NEXT_STEP = {
  received: ["confirm_invalid", "classify", "assign", "answer", "respond"],
  routed: ["confirm_invalid", "start", "respond", "answer"],
  in_progress: ["respond", "resolve", "answer"],
  responded: ["resolve", "answer"],
  awaiting_tenant: ["resume"],
  resolved: ["callback"],
  callback_done: ["close"],
  closed: [],
};
export function nextStep(c) {
  const allowed = c.actions || [];
  let order = NEXT_STEP[c.status] || [];
  // Received and already classified: the hand-off comes next.
  if (c.status === "received" && c.kind && c.category) order = order.filter((a) => a !== "classify").concat(["classify"]);
  if (c.kind === "consultation") order = ["answer", ...order.filter((a) => a !== "answer")];
  return order.find((a) => allowed.includes(a) && ACTIONS[a]) || null;
}

// Keyboard shortcuts on the case page (not while typing in a field). n: the next step.
const SHORTCUTS = [["n", "next"], ["c", "classify"], ["a", "assign"], ["s", "start"], ["r", "respond"], ["v", "resolve"],
  ["b", "callback"], ["m", "note"], ["e", "escalate"], ["w", "await_tenant"], ["?", "help"]];
let caseKeys = null;  // the open case page's handler: set by viewCase, cleared when another page renders
function typing(target) {
  return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}
document.addEventListener("keydown", (e) => {
  if (!caseKeys || e.ctrlKey || e.metaKey || e.altKey || e.isComposing || typing(e.target)) return;
  if (!location.hash.startsWith("#/case/")) { caseKeys = null; return; }
  caseKeys(e);
});

function openAction(action) {
  const box = document.getElementById(`action-${action}`);
  if (!box) return false;
  const more = box.closest("#more-actions");
  if (more) more.open = true;
  box.open = true;
  box.scrollIntoView({ block: "nearest" });
  (box.querySelector("input, select, textarea") || box.querySelector("button[type=submit]"))?.focus();
  return true;
}

async function viewCase(caseId) {
  let c = await wholeTimeline(caseId, await api("GET", caseUrl(caseId)));
  const reload = async () => { c = await wholeTimeline(c.case_id, await api("GET", caseUrl(c.case_id))); render(t("saved")); };
  const render = (notice) => {
    const deadlines = h("table", { id: "deadlines" }, h("thead", {}, h("tr", {}, ["deadlines", "due", "next_due", "met_at"].map((k) => h("th", {}, t(k))))),
      h("tbody", {}, Object.entries(c.deadlines || {}).map(([name, d]) => h("tr", { class: d.overdue ? "overdue" : "" },
        h("td", {}, label("deadline", name)), h("td", {}, fmt(d.due)), h("td", {}, d.met_at ? "✓" : countdown(d.due)),
        h("td", {}, d.met_at ? `${fmt(d.met_at)} ${d.met_on_time ? "✓" : "✗"}` : "—")))));
    const attachments = (c.timeline || []).flatMap((e) => e.data?.attachments || []);
    // The API lists what this caller may do on this case now (role, scope, status, written-reply rule).
    const next = nextStep(c);
    const forms = Object.fromEntries(Object.keys(ACTIONS).filter((a) => (c.actions || []).includes(a))
      .map((a) => [a, actionForm(c, a, reload)]));
    if ((c.actions || []).includes("locate")) forms.locate = locateForm(c, reload);
    const others = Object.keys(forms).filter((a) => a !== next);
    const keyOf = Object.fromEntries(SHORTCUTS.map(([k, a]) => [a, k]));
    if (next) forms[next].classList.add("primary-form");
    const help = h("div", { class: "card shortcuts", id: "shortcuts", hidden: true }, h("h3", {}, t("shortcuts")),
      h("dl", { class: "fields" }, SHORTCUTS.filter(([, a]) => a === "help" || a === "next" ? true : forms[a]).flatMap(([k, a]) => [
        h("dt", {}, h("kbd", {}, k)), h("dd", { dataset: { shortcut: k } }, a === "help" ? t("shortcuts") : a === "next" ? t("next_step") : t(`action.${a}`))])),
      h("p", { class: "muted" }, t("shortcuts_hint")));
    const actionsCard = h("div", { class: "card", id: "actions-card" }, h("h2", {}, t("actions")),
      next ? h("div", { id: "next-step" },
        h("button", { type: "button", class: "primary", id: "primary-action", dataset: { action: next }, onclick: () => { if (forms[next].open) forms[next].open = false; else openAction(next); } },
          t(`action.${next}`), " ", h("kbd", {}, "n")), forms[next]) : h("p", { class: "muted", id: "no-next-step" }, t("no_next_step")),
      others.length ? h("details", { id: "more-actions" }, h("summary", {}, t("more_actions"), ` (${others.length})`),
        others.map((a) => { if (keyOf[a]) forms[a].querySelector("summary")?.append(" ", h("kbd", {}, keyOf[a])); return forms[a]; })) : "",
      h("p", { class: "muted" }, h("kbd", {}, "?"), " ", t("shortcuts_hint_short")), help);
    caseKeys = (e) => {
      if (e.key === "?") { help.hidden = !help.hidden; e.preventDefault(); return; }
      if (e.key === "Escape") { help.hidden = true; return; }
      const hit = SHORTCUTS.find(([k]) => k === e.key.toLowerCase() && e.key.length === 1);
      if (!hit) return;
      const action = hit[1] === "next" ? next : hit[1];
      if (action && forms[action] && openAction(action)) e.preventDefault();
    };
    const unread = c.unread_for_staff ? h("span", { class: "badge unread", id: "case-unread" }, t("unread_messages").replace("{n}", c.unread_for_staff)) : "";
    clear(main()).append(
      h("h1", {}, h("span", { id: "case-id" }, c.case_id), " ", h("span", { id: "case-status", dataset: { status: c.status } }, statusBadge(c.status)),
        " ", c.overdue ? h("span", { class: "late" }, "⚠ ", countdown(c.next_due)) : countdown(c.next_due), " ", unread),
      notice ? h("p", { class: "ok", id: "notice" }, notice) : "",
      h("div", { class: "grid2 case-page" },
        h("div", {},
          h("div", { class: "card" }, h("h2", { id: "case-title" }, c.title || "—"), h("div", { class: "content", id: "case-content" }, c.content)),
          groupedFields(c),
          h("div", { class: "card" }, h("h2", {}, t("timeline")), timelineNode(c)),
          Object.keys(c.deadlines || {}).length ? h("div", { class: "card" }, h("h2", {}, t("deadlines")), deadlines) : "",
          attachments.length ? h("div", { class: "card" }, h("h2", {}, t("attachments")), h("ul", { class: "plain", id: "attachments" }, attachments.map((a, i) => attachmentNode(c, a, i + 1)))) : ""),
        h("div", {},
          actionsCard,
          CASE_PANELS.map((panel) => panel(c, () => viewCase(c.case_id))),
          c.written && may("reply.read") ? h("div", { class: "card" }, h("h2", {}, t("replies")), repliesBox) : "")));
    if (c.written && may("reply.read")) renderReplies(c, repliesBox);
  };
  const repliesBox = h("div", { id: "replies" });
  render();
}

function replyStatus(r) { return h("span", { class: `badge st-${r.status} reply-status`, dataset: { status: r.status } }, label("reply", r.status)); }

function replyButtons(r, after) {
  const err = h("div", { class: "form-error" });
  const out = h("div", { class: "reply-actions" });
  const base = `/v1/properties/${encodeURIComponent(r.property_id)}/cases/${encodeURIComponent(r.case_id)}/replies/${encodeURIComponent(r.reply_id)}`;
  const act = async (segment, body) => {
    err.textContent = "";
    try { after(await api("POST", `${base}/${segment}`, body)); } catch (x) { err.textContent = errorText(x); }
  };
  if (r.status === "pending" && may("reply.approve") && r.author !== state.me.subject) {
    const comment = h("input", { type: "text", class: "return-comment", placeholder: t("return_comment") });
    out.append(h("button", { type: "button", class: "approve", onclick: () => act("approve", { version: r.version }) }, t("approve")), " ",
      comment, h("button", { type: "button", class: "secondary return", onclick: () => {
        if (!comment.value.trim()) { err.textContent = t("return_comment"); return; }
        act("return", { version: r.version, comment: comment.value.trim() });
      } }, t("return")));
  }
  if (r.status === "returned" && may("reply.draft") && r.author === state.me.subject) {
    // The author rewrites a returned draft and submits it for approval again.
    const subject = h("input", { type: "text", name: "subject", value: r.subject || "" });
    const body = h("textarea", { name: "body", required: true, rows: 4, value: r.body || "" });
    out.append(h("details", { class: "action revise", open: true }, h("summary", {}, t("revise")),
      h("form", { class: "stack", onsubmit: (e) => {
        e.preventDefault();
        act("revise", { version: r.version, subject: subject.value.trim() || undefined, body: body.value });
      } }, h("label", {}, t("subject"), subject), h("label", {}, t("body") + " *", body),
      h("button", { type: "submit", class: "resubmit" }, t("resubmit")))));
  }
  if (r.status === "approved" && r.medium === "letter" && may("reply.post")) {
    out.append(h("button", { type: "button", class: "posted", onclick: () => act("posted", undefined) }, t("mark_posted")));
  }
  out.append(err);
  return out;
}

function replyItem(r, { withCase = false } = {}) {
  const li = h("li", { class: "reply", dataset: { replyId: r.reply_id } });
  const fill = (reply) => {
    clear(li).append(
      h("div", {}, replyStatus(reply), " ", h("strong", {}, reply.subject || "—"), " ",
        withCase ? h("a", { href: `#/case/${encodeURIComponent(reply.case_id)}`, class: "case-link" }, reply.property_id, " ", reply.case_id) : "",
        h("span", { class: "muted" }, " ", reply.author_name || reply.author, " · ", fmt(reply.created_at), reply.sent_at ? ` · ${label("reply", "sent")} ${fmt(reply.sent_at)}` : "")),
      h("div", { class: "content" }, reply.body),
      reply.return_comment ? h("div", { class: "late" }, t("return_comment"), ": ", reply.return_comment) : "",
      replyButtons(reply, fill));
  };
  fill(r);
  return li;
}

async function renderReplies(c, box) {
  const list = await api("GET", `${caseUrl(c.case_id)}/replies`);
  const items = list.items || [];
  const ul = h("ul", { class: "plain", id: "reply-list" }, items.length ? items.map((r) => replyItem(r)) : h("li", { class: "muted" }, t("no_replies")));
  const err = h("div", { class: "form-error" });
  const form = h("form", { class: "stack", id: "reply-form", onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api("POST", `${caseUrl(c.case_id)}/replies`, formBody(form, [["subject"], ["body"]]));
      renderReplies(c, box);
    } catch (x) { err.textContent = errorText(x); }
  } }, h("label", {}, t("subject"), h("input", { type: "text", name: "subject" })),
  h("label", {}, t("body") + " *", " ", visibility(true), h("textarea", { name: "body", required: true, rows: 4 })),
  h("button", { type: "submit" }, t("draft_reply")), err);
  clear(box).append(ul, may("reply.draft") ? h("details", { class: "action" }, h("summary", {}, t("draft_reply")), form) : "");
}

// ---------------------------------------------------------------- log a case

async function viewLog() {
  if (!may("case.log")) { clear(main()).append(h("p", {}, t("forbidden_view"))); return; }
  let key = newKey();
  const err = h("div", { class: "form-error", id: "log-error" });
  const name = h("input", { type: "text", id: "log-name", name: "name", required: true, autofocus: true, autocomplete: "off" });
  const content = h("textarea", { id: "log-content", name: "content", required: true, rows: 4 });
  // Where and when (owner archive, console/archive.js): a picked place, else the free-text unit.
  const picker = await locationPicker();
  const form = h("form", { class: "stack", id: "log-form", onsubmit: async (e) => {
    e.preventDefault();
    err.textContent = "";
    const v = (n) => form.elements[n].value.trim();
    const body = { channel: v("channel"), content: v("content"), reporter: { name: v("name") } };
    if (v("unit")) body.unit = v("unit");
    if (picker.value()) body.location = picker.value();
    if (v("occurred_at")) body.occurred_at = zonedIso(v("occurred_at"));
    if (v("phone")) body.reporter.phone = v("phone");
    for (const n of ["title", "kind", "category"]) if (v(n)) body[n] = v(n);
    try {
      const c = await api("POST", `${P()}/cases`, body, { "Idempotency-Key": key });
      key = newKey();
      location.hash = `#/case/${encodeURIComponent(c.case_id)}`;
    } catch (x) { err.textContent = errorText(x); }
  } },
  h("label", {}, t("channel"), h("select", { id: "log-channel", name: "channel" }, options(["phone", "walk_in", "letter"], "channel", { blank: false }))),
  h("label", {}, t("reporter_name") + " *", name),
  h("label", {}, t("reporter_phone"), h("input", { type: "tel", id: "log-phone", name: "phone", autocomplete: "off" })),
  h("label", {}, t("pick_location"), picker.node),
  h("label", {}, t("unit"), h("input", { type: "text", id: "log-unit", name: "unit" })),
  h("label", {}, t("occurred_at") + " " + t("optional"), h("input", { type: "datetime-local", id: "log-occurred", name: "occurred_at" })),
  h("label", {}, t("title") + " " + t("optional"), h("input", { type: "text", id: "log-title", name: "title" })),
  h("label", {}, t("content") + " *", content),
  h("label", {}, t("kind") + " " + t("optional"), h("select", { id: "log-kind", name: "kind" }, options(KINDS, "kind"))),
  h("label", {}, t("category") + " " + t("optional"), h("select", { id: "log-category", name: "category" }, options(CATEGORIES, "category"))),
  h("p", { class: "muted" }, t("log_hint")),
  h("button", { type: "submit", id: "log-submit" }, t("submit")), err);
  content.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); } });
  clear(main()).append(h("h1", {}, t("log_case"), " · ", state.pid), h("div", { class: "card" }, form));
  name.focus();
}

// ---------------------------------------------------------------- approvals
async function viewApprovals() {
  if (!may("reply.approve")) { clear(main()).append(h("p", {}, t("forbidden_view"))); return; }
  const list = await api("GET", "/v1/approvals?limit=50");
  const items = list.items || [];
  clear(main()).append(h("h1", {}, t("approvals")),
    h("ul", { class: "plain card", id: "approvals" }, items.length ? items.map((r) => replyItem(r, { withCase: true })) : h("li", { class: "muted" }, t("no_approvals"))));
}

// ---------------------------------------------------------------- quarantined mail
// Mail that did not become a case (spam or virus verdicts, failed SPF and DKIM,
// auto-replies, unparseable): what to check when a tenant says "I emailed you".
function quarantineTable(id, url) {
  const rows = h("tbody", { id: `${id}-rows` });
  const pager = h("div", { class: "pager" });
  const table = h("table", { class: "card", id }, h("thead", {}, h("tr", {}, ["received_at", "from", "subject", "reason", "s3_key"]
    .map((k) => h("th", {}, t(k))))), rows);
  const load = async (cursor) => {
    const page = await api("GET", `${url}?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const m of page.items || []) {
      rows.append(h("tr", { class: "quarantined", dataset: { reason: m.reason } }, h("td", {}, fmt(m.received_at)),
        h("td", {}, m.from || "—"), h("td", {}, m.subject || "—"),
        h("td", {}, label("quarantine", m.reason), m.detail ? h("div", { class: "muted" }, m.detail) : ""),
        h("td", { class: "muted" }, m.key || "")));
    }
    if (!rows.firstChild) rows.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, t("no_quarantine"))));
    clear(pager);
    if (page.next_cursor) pager.append(h("button", { type: "button", class: "secondary", id: `${id}-next`,
      onclick: () => load(page.next_cursor) }, t("next_page")));
  };
  return { node: h("div", {}, table, pager), load };
}

async function viewQuarantine() {
  if (!may("mail.quarantine")) { clear(main()).append(h("p", {}, t("forbidden_view"))); return; }
  const mine = quarantineTable("quarantine", `${P()}/quarantine`);
  const parts = [h("h1", {}, t("quarantine"), " · ", state.pid), mine.node];
  // Admins also see mail that reached no property's inbox (a mistyped address).
  const unrouted = may("mail.unrouted") ? quarantineTable("unrouted", "/v1/quarantine/unrouted") : null;
  if (unrouted) parts.push(h("h2", {}, t("unrouted")), unrouted.node);
  clear(main()).append(...parts);
  await mine.load();
  if (unrouted) await unrouted.load();
}

// ---------------------------------------------------------------- dashboard
function statCharts(s) {
  const pct = (x) => (x === null || x === undefined ? null : Math.round(x * 1000) / 10);
  const cats = Object.entries(s.by_category || {}).map(([k, v]) => ({ label: label("category", k), value: v }));
  const onTime = Object.entries(s.on_time || {}).map(([k, v]) => ({ label: label("deadline", k), value: pct(v.rate) ?? 0,
    shown: v.rate === null ? "—" : `${pct(v.rate)}%`,
    detail: v.rate === null ? "—" : `${pct(v.rate)}% (${v.met_on_time}/${v.due}; late ${v.met_late}, missed ${v.missed}, pending ${v.pending})` }));
  const tiers = TIERS.map((k) => ({ label: label("tier", k), value: (s.escalations?.by_tier || {})[k] || 0 }));
  const avg = s.ratings?.average;
  const cb = [{ label: t("callback"), value: pct(s.callbacks?.rate) ?? 0, shown: s.callbacks?.rate == null ? "—" : `${pct(s.callbacks.rate)}%` },
    { label: t("rating"), value: avg ? avg * 20 : 0, shown: avg ? `${avg.toFixed(1)}/5` : "—",
      detail: avg ? `${avg.toFixed(2)} / 5 (${s.ratings.count})` : "—" }];
  const scores = ["1", "2", "3", "4", "5"].map((k) => ({ label: `${k}★`, value: (s.ratings?.by_score || {})[k] || 0 }));
  const card = (title, svg) => h("div", { class: "card" }, h("h2", {}, title), svg);
  return h("div", { class: "charts" },
    card(t("by_category"), barChart(cats)), card(t("on_time"), barChart(onTime, { max: 100, valueW: 56 })),
    card(t("escalations_by_tier"), barChart(tiers)), card(t("callbacks_ratings"), barChart(cb, { max: 100, valueW: 56 })),
    card(t("ratings_by_score"), barChart(scores)));
}

async function viewDashboard() {
  const { day, month } = localParts();
  const [daily, monthly] = await Promise.all([api("GET", `${P()}/stats/daily/${day}`),
    api("GET", `${P()}/stats/monthly/${month}`)]);
  const head = (title, s) => h("p", {}, h("strong", {}, title), ` · ${t("received")} ${s.received ?? 0} (${t("after_hours")} ${s.received_after_hours ?? 0}) · `,
    `${t("escalations")} ${s.escalations?.total ?? 0}`);
  clear(main()).append(h("h1", {}, t("dashboard"), " · ", state.pid, " · ", tz()),
    h("section", { id: "daily" }, h("h2", {}, `${t("today")} ${day}`), head(t("today"), daily), statCharts(daily)),
    h("section", { id: "monthly" }, h("h2", {}, `${t("this_month")} ${month}`), head(t("this_month"), monthly), statCharts(monthly)));
}

// ---------------------------------------------------------------- start
const langSelect = $("#lang");
setLang(localStorage.getItem("td.lang") || (navigator.language?.startsWith("en") ? "en" : "zh-Hans"));
langSelect.value = getLang();
langSelect.addEventListener("change", () => { setLang(langSelect.value); localStorage.setItem("td.lang", getLang()); route(); });
route();

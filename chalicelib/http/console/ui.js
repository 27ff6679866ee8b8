// Shared helpers of the staff console's pages: state, DOM, time, the API, and the
// page registry. A page module (keys.js, logbook.js, archive.js, ...) imports these,
// calls page(...) to add itself to the navigation and the router, and carries its
// own strings with addStrings (i18n.js). Safety rule as in app.js: API values are
// inserted as text (createElement / textContent), never as HTML.
import { t, label, getLang } from "/console/i18n.js";

// ---------------------------------------------------------------- state
export const state = {
  token: sessionStorage.getItem("td.token") || "",
  me: null,
  pid: sessionStorage.getItem("td.property") || "",
  property: null,
  timers: [],
};

// ---------------------------------------------------------------- DOM helpers
// h("div", {class: "x", onclick: fn}, "text", child, ...): strings become text nodes.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "value") node.value = value;
    else if (key === "checked") node.checked = !!value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
export function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
export const $ = (sel) => document.querySelector(sel);
export const main = () => $("#main");

export function options(values, group, { blank = true, selected = "" } = {}) {
  const out = blank ? [h("option", { value: "" }, t("all"))] : [];
  for (const v of values) out.push(h("option", { value: v, selected: v === selected }, group ? label(group, v) : v));
  return out;
}

// ---------------------------------------------------------------- time
export function tz() { return state.property?.policy?.timezone || "Asia/Shanghai"; }
export function fmt(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  return new Intl.DateTimeFormat(getLang(), { timeZone: tz(), year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false }).format(d);
}
export function localParts(date = new Date()) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: tz(), year: "numeric",
    month: "2-digit", day: "2-digit" }).formatToParts(date).map((p) => [p.type, p.value]));
  return { day: `${parts.year}-${parts.month}-${parts.day}`, month: `${parts.year}-${parts.month}` };
}
export function remaining(iso) {
  const ms = new Date(iso) - Date.now();
  const late = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400); s %= 86400;
  const hh = String(Math.floor(s / 3600)).padStart(2, "0");
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return { late, text: `${late ? "−" : ""}${d ? d + "d " : ""}${hh}:${mm}:${ss}` };
}
export function countdown(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  const node = h("span", { class: "countdown", dataset: { due: iso }, title: fmt(iso) });
  tick(node);
  return node;
}
export function tick(node) {
  const r = remaining(node.dataset.due);
  node.textContent = r.text;
  node.classList.toggle("late", r.late);
}
setInterval(() => document.querySelectorAll("[data-due]").forEach(tick), 1000);

// ---------------------------------------------------------------- API
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || `http_${status}`;
    this.field = body?.details?.field || "";  // which field a 4xx is about (the message is in the caller's language)
  }
}
export async function api(method, path, body, headers = {}) {
  const init = { method, headers: { Authorization: `Bearer ${state.token}`, ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) {
    if (response.status === 401) { hooks.unauthorized(); }
    throw new ApiError(response.status, data);
  }
  return data;
}
export const P = () => `/v1/properties/${encodeURIComponent(state.pid)}`;
export const caseUrl = (id) => `${P()}/cases/${encodeURIComponent(id)}`;

export function errorText(err) {
  if (!(err instanceof ApiError)) return String(err);
  return `${err.status} ${err.code}: ${err.message}${err.field ? ` (${err.field})` : ""}`;
}
export function showError(err) {
  const box = $("#error");
  if (!err) { box.hidden = true; box.textContent = ""; return; }
  box.textContent = errorText(err);
  box.hidden = false;
}


// The API says what the caller may do: GET /v1/me/permissions lists the role's
// permission names (for navigation), and a case carries the actions the caller
// may take on it now. Nothing here mirrors chalicelib/domain/auth.py; the API decides.
export const may = (perm) => !!state.me && (state.me.permissions || []).includes(perm);

// app.js sets what a 401 does (sign out) and how to go to a page.
export const hooks = { unauthorized: () => {}, navigate: (hash) => { location.hash = hash; } };

export function newKey() { return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`; }

// ---------------------------------------------------------------- pages
// page("keys", {perm: "key.read", label: "keys", render: async (arg) => {...}, nav: true}):
// a view at #/keys (and #/keys/<arg>), in the navigation when the caller holds perm.
export const PAGES = [];
export function page(name, { perm, label: labelKey = name, render, nav = true }) {
  PAGES.push({ name, perm, label: labelKey, render, nav });
}
export { t, label };

// Panels other modules add to a case page (app.js viewCase shows each, in order):
// casePanel((c, reload) => node). keys.js adds the tenant's entry permission.
export const CASE_PANELS = [];
export function casePanel(render) { CASE_PANELS.push(render); }

// Marks other modules add to a queue row's title cell (app.js viewQueue shows each, in order):
// queueMark((c) => node | null), e.g. "possible duplicate of TD-…".
export const QUEUE_MARKS = [];
export function queueMark(render) { QUEUE_MARKS.push(render); }

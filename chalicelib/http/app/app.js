// The tenant app: hash-routed pages built with DOM calls. Every value from the
// API goes in as text (textContent / text nodes), never as markup.
import * as api from "/app/api.js";
import * as drafts from "/app/drafts.js";
import { icon } from "/app/icons.js";
import { resize } from "/app/photo.js";
import { LANGS, getLang, setLang, t, when } from "/app/i18n.js";

const $ = (sel) => document.querySelector(sel);
const main = $("#main");

// h("p", {class: "x"}, "text", child): strings become text nodes.
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const field = (id, label, input) => h("div", { class: "field" }, h("label", { for: id }, label), input);

let me = null, tenant = null, info = null, places = null, placesRead = null, extras = Promise.resolve();

// The places a new case may name (GET /v1/me/places): read once the first page is drawn (not
// competing with the case list), kept for offline use; a failed read is tried again next time.
function loadPlaces() {
  if (!me) return Promise.resolve(null);
  placesRead = placesRead || api.myPlaces(me.properties[0]).then((p) => (places = p))
    .catch(() => { placesRead = null; return places; });
  return placesRead;
}

function showError(err) {
  const box = $("#error");
  const text = err && err.status === 0 ? t("offline") : (err && (t(err.code) !== err.code ? t(err.code) : err.message)) || t("error");
  box.textContent = text;
  box.hidden = false;
}
const clearError = () => { $("#error").hidden = true; $("#error").textContent = ""; };

// Each page draws itself only while its address is still the current one: a
// slow answer for a page the tenant already left never replaces the next page.
function pager() {
  const at = location.hash;
  return (...args) => { if (location.hash === at) render(...args); };
}

function render(title, ...content) {
  clearError();
  // Optional parts are null when absent: never drawn (replaceChildren would write "null").
  main.replaceChildren(h("h1", { id: "page-title", tabindex: "-1" }, title), ...content.filter((c) => c !== null && c !== undefined && c !== false));
  $("#page-title").focus();
}

function nav() {
  const items = [["#/cases", "cases", "nav-cases"], ["#/new", "new_case", "nav-new"],
                 ["#/notifications", "notifications", "nav-notifications"], ["#/settings", "settings", "nav-settings"]];
  const current = location.hash.split("/").slice(0, 2).join("/");
  $("#nav").replaceChildren(...(api.signedIn() ? items.map(([href, key, id]) =>
    h("a", { href, id, "aria-current": current === href ? "page" : null }, t(key))) : []));
  $("#brand").textContent = t("app");
}

// --- sign in -----------------------------------------------------------------------
async function signInPage() {
  const page = pager();
  const cfg = await api.signInConfig().catch(() => ({ mode: "none" }));
  const parts = [];
  if (cfg.mode === "password") {
    const form = h("form", { id: "signin-form", class: "card" },
      field("signin-email", t("email"), h("input", { id: "signin-email", type: "email", autocomplete: "username", required: true })),
      field("signin-password", t("password"), h("input", { id: "signin-password", type: "password", autocomplete: "current-password", required: true })),
      h("button", { id: "signin", type: "submit", class: "primary" }, t("signin")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try { await api.signInWithPassword($("#signin-email").value.trim(), $("#signin-password").value); await start(); }
      catch (err) { showError(err); }
    });
    parts.push(form);
  } else if (cfg.mode === "hosted_ui") {
    parts.push(h("button", { id: "signin-hosted", class: "primary", onclick: () => api.startHostedSignIn() }, t("hosted")));
  }
  if (cfg.developer_token) {
    const form = h("form", { id: "token-form", class: "card" },
      field("token", t("dev_token"), h("textarea", { id: "token", rows: "3", autocomplete: "off", spellcheck: "false" })),
      h("button", { id: "use-token", type: "submit" }, t("use_token")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try { api.useDeveloperToken($("#token").value); await start(); } catch (err) { showError(err); }
    });
    parts.push(form);
  }
  page(t("signin"), ...parts);
}

// --- my cases ------------------------------------------------------------------------
const statusBadge = (s) => h("span", { class: "status s-" + s, "data-status": s }, t("s_" + s));

async function casesPage() {
  const page = pager();
  page(t("cases"), h("p", {}, t("loading")));
  const [list, notes, waiting] = await Promise.all([api.myCases(), api.feed().catch(() => ({ items: [] })), drafts.all()]);
  const unread = new Set(notes.items.filter((n) => !n.read).map((n) => n.case_id));
  const items = list.items.map((c) => {
    const due = c.promise ? c.promise.due : c.next_due;
    return h("li", { class: "case", "data-case": c.case_id },
      h("a", { href: `#/case/${encodeURIComponent(c.property_id)}/${encodeURIComponent(c.case_id)}` },
        h("span", { class: "case-title" }, c.title || c.content.slice(0, 40)),
        unread.has(c.case_id) ? h("span", { class: "unread", "aria-label": t("unread") }, "●") : null),
      h("div", { class: "meta" }, statusBadge(c.status), h("span", { class: "case-id" }, c.case_id)),
      due && !["resolved", "callback_done", "closed"].includes(c.status)
        ? h("div", { class: "meta due" }, (c.promise ? t("promised") : t("next_due")) + ": ", h("time", { datetime: due }, when(due))) : null);
  });
  const pending = waiting.length ? h("section", { id: "drafts", class: "card" }, h("h2", {}, t("drafts_waiting")),
    h("ul", {}, waiting.map((d) => h("li", { class: "draft" }, d.body.title || d.body.content)))) : null;
  page(t("cases"), pending, items.length ? h("ul", { id: "case-list", class: "list" }, items) : h("p", {}, t("no_cases")));
}

// --- one case ------------------------------------------------------------------------
function eventText(e) {
  const d = e.data || {};
  return d.message || d.text || d.content || d.resolution || d.reason || d.comment || "";
}

async function casePage(pid, cid) {
  const page = pager();
  page(cid, h("p", {}, t("loading")));
  const [c, tl] = await Promise.all([api.getCase(pid, cid), api.timeline(pid, cid)]);
  let n = 0;
  const events = tl.items.map((e) => {
    const photos = ((e.data || {}).attachments || []).map(() => {
      const k = ++n;
      const img = h("img", { class: "photo", alt: t("photo") + " " + k, loading: "lazy" });
      api.attachment(pid, cid, k).then((a) => { img.src = a.thumbnail_url || a.url; }).catch(() => img.remove());
      return img;
    });
    const extra = e.action === "rate" ? `${e.data.score} ★ ` : e.action === "entry_permission"
      ? (e.data.granted ? t("entry_granted") : t("entry_refused")) + " " : e.action === "confirm"
      ? (e.data.satisfied ? t("satisfied") : t("not_satisfied")) + (e.data.score ? ` · ${e.data.score} ★` : "") + " " : "";
    return h("li", { class: "event ev-" + e.action, "data-action": e.action },
      h("div", { class: "meta" }, h("strong", {}, t("a_" + e.action) !== "a_" + e.action ? t("a_" + e.action) : e.action),
        " · ", (e.actor && e.actor.name) || "", " · ", h("time", { datetime: e.at }, when(e.at))),
      h("p", { class: "event-text" }, extra, eventText(e)), photos.length ? h("div", { class: "photos" }, photos) : null);
  });
  const actions = c.actions || [];
  const reload = () => casePage(pid, cid);
  const parts = [
    h("p", { class: "case-head" }, statusBadge(c.status), " ", h("span", { id: "case-title" }, c.title || ""),
      c.business_affected ? h("span", { id: "business-flag", class: "status flag" }, t("business_flag")) : null),
    c.location ? h("p", { class: "meta", id: "case-place" }, t("place") + ": " + c.location.label) : null,
    c.promise ? h("p", { class: "meta" }, t("promised") + ": ", h("time", { datetime: c.promise.due }, when(c.promise.due))) : null,
  ];
  const question = [...tl.items].reverse().find((e) => e.action === "await_tenant");
  if (c.status === "awaiting_tenant" && question) {
    parts.push(h("div", { class: "card question", role: "note" }, h("h2", {}, t("question")), h("p", { id: "question" }, question.data.message || "")));
  }
  if (actions.includes("entry_permission")) parts.push(entryForm(pid, cid, c, reload));
  if (actions.includes("message")) parts.push(messageForm(pid, cid, c.status === "awaiting_tenant", reload));
  if (actions.includes("confirm")) parts.push(confirmForm(pid, cid, c, reload));
  else if (actions.includes("rate")) parts.push(rateForm(pid, cid, reload));
  if (c.callback) parts.push(h("p", { id: "callback-answer" }, t("your_answer") + ": " + (c.callback.satisfied ? t("satisfied") : t("not_satisfied"))));
  if (c.rating) parts.push(h("p", { id: "rating" }, t("rated") + ": " + c.rating.score + " ★"));
  parts.push(h("h2", {}, t("timeline")), h("ol", { id: "timeline", class: "list" }, events));
  page(c.case_id, ...parts);
  // what this page shows is read now
  const notes = await api.feed().catch(() => ({ items: [] }));
  const ids = notes.items.filter((x) => !x.read && x.case_id === cid).map((x) => x.id);
  if (ids.length) api.markRead({ ids }).catch(() => {});
}

function messageForm(pid, cid, answering, done) {
  const form = h("form", { id: "message-form", class: "card" },
    field("message-text", answering ? t("answer") : t("message"), h("textarea", { id: "message-text", rows: "3", required: true, maxlength: "2000" })),
    h("button", { id: "message-send", type: "submit", class: "primary" }, t("send")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try { await api.message(pid, cid, { text: $("#message-text").value }); await done(); } catch (err) { showError(err); }
  });
  return form;
}

function slotRow(i) {
  return h("fieldset", { class: "slot" }, h("legend", {}, t("slot") + " " + (i + 1)),
    field(`slot-from-${i}`, t("from"), h("input", { id: `slot-from-${i}`, type: "datetime-local", class: "slot-from" })),
    field(`slot-to-${i}`, t("to"), h("input", { id: `slot-to-${i}`, type: "datetime-local", class: "slot-to" })));
}

function entryForm(pid, cid, c, done) {
  const slots = h("div", { id: "slots" }, slotRow(0));
  const current = c.entry_permission;
  const form = h("form", { id: "entry-form", class: "card" },
    h("fieldset", {}, h("legend", {}, t("entry")),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "granted", value: "yes", id: "entry-yes", checked: !current || current.granted }), t("grant")),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "granted", value: "no", id: "entry-no", checked: current && !current.granted }), t("refuse"))),
    slots,
    h("button", { type: "button", id: "add-slot", onclick: () => { if (slots.children.length < 5) slots.append(slotRow(slots.children.length)); } }, t("add_slot")),
    field("entry-note", t("note"), h("input", { id: "entry-note", type: "text", maxlength: "500" })),
    h("button", { id: "entry-save", type: "submit", class: "primary" }, t("save")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const granted = $("#entry-yes").checked;
    const body = { granted, version: c.version };
    if (granted) body.slots = [...slots.children].map((s) => ({ from: s.querySelector(".slot-from").value, to: s.querySelector(".slot-to").value }))
      .filter((s) => s.from && s.to);
    const note = $("#entry-note").value.trim();
    if (note) body.note = note;
    try { await api.entryPermission(pid, cid, body); await done(); } catch (err) { showError(err); }
  });
  return form;
}

// The follow-up callback answered here (POST .../confirm): satisfied or not, a comment, a score if not rated yet.
function confirmForm(pid, cid, c, done) {
  const stars = c.rating ? [] : [1, 2, 3, 4, 5].map((s) => h("label", { class: "star" },
    h("input", { type: "radio", name: "confirm-score", value: String(s), id: "confirm-score-" + s }), `${s} ${t("stars")}`));
  const form = h("form", { id: "confirm-form", class: "card" },
    h("h2", {}, t("confirm")), h("p", {}, t("confirm_intro")),
    h("fieldset", {}, h("legend", {}, t("confirm")),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "satisfied", value: "yes", id: "confirm-yes", required: true }), t("satisfied")),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "satisfied", value: "no", id: "confirm-no" }), t("not_satisfied"))),
    stars.length ? h("fieldset", {}, h("legend", {}, t("score_optional")), stars) : null,
    field("confirm-comment", t("comment"), h("textarea", { id: "confirm-comment", rows: "2", maxlength: "2000" })),
    h("button", { id: "confirm-send", type: "submit", class: "primary" }, t("confirm_send")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    // No version: the watcher's own records (notices, reminders) move it at any time, and the
    // answer needs none; the server refuses it once the case is no longer resolved.
    const body = { satisfied: $("#confirm-yes").checked };
    const score = form.querySelector("input[name=confirm-score]:checked");
    if (score) body.score = Number(score.value);
    const comment = $("#confirm-comment").value.trim();
    if (comment) body.comment = comment;
    try { await api.confirmCallback(pid, cid, body); await done(); } catch (err) { showError(err); }
  });
  return form;
}

function rateForm(pid, cid, done) {
  const stars = [1, 2, 3, 4, 5].map((s) => h("label", { class: "star" },
    h("input", { type: "radio", name: "score", value: String(s), id: "score-" + s, required: true }), `${s} ${t("stars")}`));
  const form = h("form", { id: "rate-form", class: "card" },
    h("fieldset", {}, h("legend", {}, t("rate")), stars),
    field("rate-comment", t("comment"), h("textarea", { id: "rate-comment", rows: "2", maxlength: "2000" })),
    h("button", { id: "rate-send", type: "submit", class: "primary" }, t("rate")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const score = Number(form.querySelector("input[name=score]:checked").value);
    const comment = $("#rate-comment").value.trim();
    try { await api.rate(pid, cid, comment ? { score, comment } : { score }); await done(); } catch (err) { showError(err); }
  });
  return form;
}

// --- new case ------------------------------------------------------------------------
async function sendDraft(draft) {
  const attachments = [];
  for (const [i, blob] of (draft.photos || []).entries()) attachments.push(await api.uploadPhoto(draft.property_id, blob, `photo-${i + 1}.jpg`));
  const body = attachments.length ? { ...draft.body, attachments } : draft.body;
  return api.submitCase(draft.property_id, body, draft.key); // the key chosen when it was written
}

export async function flushDrafts() {
  if (!api.signedIn()) return [];
  const sent = await drafts.sendAll(sendDraft).catch((err) => { showError(err); return []; });
  if (sent.length) {
    const note = $("#status");
    note.textContent = t("draft_sent") + ": " + sent.map((c) => c.case_id).join(", ");
    if (location.hash.startsWith("#/cases")) casesPage().catch(showError);
  }
  return sent;
}

async function newCasePage() {
  const page = pager();
  await Promise.all([extras, loadPlaces()]);
  const categories = (info && info.categories) || [];
  const photos = [];
  const previews = h("div", { id: "previews", class: "photos" });
  const grid = h("div", { class: "categories", role: "radiogroup", "aria-labelledby": "cat-label" },
    categories.map((c) => h("label", { class: "cat" },
      h("input", { type: "radio", name: "category", value: c.category, id: "cat-" + c.category }),
      icon(c.category), h("span", {}, (c.labels && c.labels[getLang()]) || c.category))));
  const camera = h("input", { id: "photo-input", type: "file", accept: "image/*", capture: "environment", multiple: true });
  camera.addEventListener("change", async () => {
    for (const file of camera.files) {
      try {
        const { blob, width, height } = await resize(file);
        photos.push(blob);
        previews.append(h("img", { class: "photo", src: URL.createObjectURL(blob), alt: t("photo") + " " + photos.length,
          "data-width": String(width), "data-height": String(height), "data-bytes": String(blob.size) }));
      } catch (err) { showError(err); }
    }
    camera.value = "";
  });
  // Where: the tenant's own units and the public areas from the archive (GET /v1/me/places), or free text.
  const items = (places && places.items) || [];
  const option = (p) => h("option", { value: String(items.indexOf(p)) },
    p.kind === "area" && getLang() === "en" && p.label_en ? p.label_en : p.label);
  const own = items.filter((p) => p.own), areas = items.filter((p) => !p.own);
  const placeSelect = h("select", { id: "case-place" },
    own.length ? h("optgroup", { label: t("place_own") }, own.map(option)) : null,
    areas.length ? h("optgroup", { label: t("place_areas") }, areas.map(option)) : null,
    h("option", { value: "" }, t("place_other")));
  // Their own unit first when the archive knows one; else "somewhere else" with the unit of their tenant record.
  placeSelect.value = own.length ? String(items.indexOf(own[0])) : "";
  const unitInput = h("input", { id: "case-unit", type: "text", maxlength: "200", value: own.length ? "" : (tenant && tenant.unit) || "" });
  const unitField = field("case-unit", items.length ? t("unit_other") : t("unit"), unitInput);
  const showUnit = () => { unitField.hidden = Boolean(items.length && placeSelect.value !== ""); };
  placeSelect.addEventListener("change", showUnit);
  // Only a shop tenant is asked (the archive says so); when the app cannot tell (not linked, offline), everyone.
  const askBusiness = !places || !places.linked || places.business;
  const form = h("form", { id: "case-form", class: "card" },
    h("p", { id: "cat-label", class: "label" }, t("category")), grid,
    items.length ? field("case-place", t("place"), placeSelect) : null, unitField,
    field("case-title", t("title"), h("input", { id: "case-title", type: "text", maxlength: "200" })),
    field("case-content", t("content"), h("textarea", { id: "case-content", rows: "4", required: true, maxlength: "4900" })),
    field("photo-input", t("take_photo"), camera), previews,
    askBusiness ? h("label", { class: "choice" }, h("input", { type: "checkbox", id: "case-business" }), t("business")) : null,
    h("button", { id: "case-submit", type: "submit", class: "primary" }, t("submit")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = form.querySelector("input[name=category]:checked");
    const body = { content: $("#case-content").value, lang: getLang(), channel: "app" };
    if (chosen) body.category = chosen.value;
    // The tenant's word, on the case; the desk's classification then defaults to cause business_affected.
    if ($("#case-business") && $("#case-business").checked) body.business_affected = true;
    const place = items.length && placeSelect.value !== "" ? items[Number(placeSelect.value)] : null;
    if (place) body.location = Object.fromEntries(["building_id", "unit_id", "room_id", "area_id"].filter((k) => place[k]).map((k) => [k, place[k]]));
    for (const [k, id] of [["unit", "#case-unit"], ["title", "#case-title"]]) { const v = $(id).value.trim(); if (v && !(k === "unit" && place)) body[k] = v; }
    const draft = { key: api.newKey(), property_id: me.properties[0], body, photos: [...photos], at: Date.now() };
    $("#case-submit").disabled = true;
    $("#case-submit").textContent = t("sending");
    try {
      const c = await sendDraft(draft);
      location.hash = `#/case/${encodeURIComponent(c.property_id)}/${encodeURIComponent(c.case_id)}`;
    } catch (err) {
      if (err.status !== 0) { showError(err); $("#case-submit").disabled = false; $("#case-submit").textContent = t("submit"); return; }
      await drafts.save(draft); // offline: kept with its key, sent when the network returns
      page(t("new_case"), h("p", { id: "draft-saved", role: "status" }, t("saved_offline")));
      navigator.serviceWorker && navigator.serviceWorker.ready.then((r) => r.sync && r.sync.register("drafts")).catch(() => {});
    }
  });
  showUnit();
  page(t("new_case"), form);
}

// --- notifications -------------------------------------------------------------------
async function notificationsPage() {
  const page = pager();
  const data = await api.feed();
  const items = data.items.map((n) => h("li", { class: "note" + (n.read ? "" : " is-unread"), "data-id": n.id },
    h("a", { href: `#/case/${encodeURIComponent(n.property_id)}/${encodeURIComponent(n.case_id)}` }, h("strong", {}, n.title)),
    h("p", {}, n.body), h("div", { class: "meta" }, h("time", { datetime: n.at }, when(n.at)),
      n.read ? null : h("button", { class: "small", onclick: async () => { await api.markRead({ ids: [n.id] }); notificationsPage(); } }, t("mark_read")))));
  const unread = data.items.filter((n) => !n.read);
  page(t("notifications"),
    unread.length ? h("button", { id: "mark-all", onclick: async () => { await api.markRead({ up_to: unread[0].id }); notificationsPage(); } }, t("mark_all")) : null,
    items.length ? h("ul", { id: "feed", class: "list" }, items) : h("p", {}, t("no_notifications")));
}

// --- settings ------------------------------------------------------------------------
async function settingsPage() {
  const page = pager();
  const prefs = await api.preferences();
  const box = (ch) => h("label", { class: "choice" }, h("input", { type: "checkbox", id: "ch-" + ch, checked: prefs.channels[ch] }), t("ch_" + ch));
  const q = prefs.quiet_hours;
  const langSelect = h("select", { id: "pref-lang" }, LANGS.map((l) => h("option", { value: l, selected: l === (prefs.lang || getLang()) }, ({ "zh-Hans": "简体中文", "zh-Hant": "繁體中文", en: "English" })[l])));
  const form = h("form", { id: "settings-form", class: "card" },
    h("fieldset", {}, h("legend", {}, t("channels")), box("push"), box("webpush"), box("email")),
    h("fieldset", {}, h("legend", {}, t("quiet")),
      h("label", { class: "choice" }, h("input", { type: "checkbox", id: "quiet-on", checked: Boolean(q) }), t("quiet_on")),
      field("quiet-from", t("from"), h("input", { id: "quiet-from", type: "time", value: q ? q.from : "22:00" })),
      field("quiet-to", t("to"), h("input", { id: "quiet-to", type: "time", value: q ? q.to : "07:00" }))),
    field("pref-lang", t("language"), langSelect),
    h("button", { id: "settings-save", type: "submit", class: "primary" }, t("save")),
    h("p", { id: "settings-status", role: "status" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { channels: { push: $("#ch-push").checked, webpush: $("#ch-webpush").checked, email: $("#ch-email").checked },
      quiet_hours: $("#quiet-on").checked ? { from: $("#quiet-from").value, to: $("#quiet-to").value } : null, lang: $("#pref-lang").value };
    try {
      await api.putPreferences(body);
      setLang(body.lang); $("#lang").value = body.lang; nav(); await settingsPage();
      $("#settings-status").textContent = t("saved");
    } catch (err) { showError(err); }
  });
  const push = h("button", { id: "enable-push", type: "button", onclick: enablePush }, t("enable_push"));
  page(t("settings"), form, h("div", { class: "card" }, push, h("p", { id: "push-status", role: "status" })),
    h("button", { id: "signout", type: "button", onclick: () => { api.signOut(); me = null; route(); } }, t("signout")));
}

async function enablePush() {
  const status = $("#push-status");
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) { status.textContent = t("push_unavailable"); return; }
  try {
    if ((await Notification.requestPermission()) !== "granted") { status.textContent = t("push_unavailable"); return; }
    const { public_key } = await api.webPushKey();
    const key = Uint8Array.from(atob(public_key.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((public_key.length + 3) % 4)), (ch) => ch.charCodeAt(0));
    const reg = await navigator.serviceWorker.ready;
    const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    const json = sub.toJSON();
    await api.subscribeWebPush({ endpoint: json.endpoint, keys: json.keys });
    status.textContent = t("push_on");
  } catch (err) { status.textContent = t("push_unavailable"); }
}

// --- routing -------------------------------------------------------------------------
async function route() {
  nav();
  if (!api.signedIn()) { if (!location.hash.startsWith("#/signin")) history.replaceState(null, "", "#/signin"); return signInPage(); }
  const [, name, a, b] = location.hash.split("/").map(decodeURIComponent);
  try {
    if (!me) await start(false);
    if (name === "case" && a && b) return await casePage(a, b);
    if (name === "new") return await newCasePage();
    if (name === "notifications") return await notificationsPage();
    if (name === "settings") return await settingsPage();
    if (name !== "cases") { history.replaceState(null, "", "#/cases"); nav(); }
    return await casesPage();
  } catch (err) {
    if (!api.signedIn()) return route();
    showError(err);
  }
}

async function start(go = true) {
  me = await api.me();
  if (me.role !== "tenant") { api.signOut(); me = null; throw new api.ApiError(403, "error", "tenants only"); }
  // The tenant record and the property's categories are needed by the new-case page only: not waited for here.
  extras = Promise.all([api.myTenant().catch(() => null), api.publicInfo(me.properties[0]).catch(() => null)])
    .then(([tr, pi]) => { tenant = tr; info = pi; });
  placesRead = null; places = null;
  $("#who").textContent = me.name || "";
  flushDrafts();
  if (go) { if (location.hash.startsWith("#/signin") || !location.hash) location.hash = "#/cases"; else route(); }
}

async function boot() {
  setLang(getLang());
  const langSelect = $("#lang");
  langSelect.value = getLang();
  langSelect.addEventListener("change", () => { setLang(langSelect.value); route(); });
  const q = new URLSearchParams(location.search);
  if (q.get("code")) {
    try { await api.finishHostedSignIn(q); } catch (err) { showError(err); }
    history.replaceState(null, "", location.pathname + "#/cases");
  }
  window.addEventListener("hashchange", route);
  window.addEventListener("online", flushDrafts);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
    navigator.serviceWorker.addEventListener("message", (e) => { if (e.data === "flush-drafts") flushDrafts(); });
  }
  await route();
  document.body.dataset.ready = "1";
  performance.mark("app-ready"); // bench/app_weight.py reads it: the first page drawn
  loadPlaces();
}

boot();

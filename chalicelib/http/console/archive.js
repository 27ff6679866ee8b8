// The owner archive (seed 001 文档管理): buildings → units → residents, a phone lookup for
// the caller on the line, and the location picker the log-a-case form and the case page use.
// What a reader sees is the API's decision: the front desk gets the service view (masked
// phones), managers the full record, each full read on the access log.
import { addStrings } from "/console/i18n.js";
import { state, may, h, clear, main, fmt, api, P, caseUrl, errorText, page, t, label } from "/console/ui.js";

addStrings({
  en: {
    archive: "Owner archive", buildings: "Buildings", units: "Units", areas: "Public areas", residents: "Residents",
    lookup_phone: "Caller's phone", lookup: "Look up", open_cases: "Open cases", no_results: "Nobody with this number.",
    confidential: "Confidential: this full record is shown to managers only, and this read is on the access log.",
    service_view: "Service view: what the front desk needs to serve the caller (phones masked).",
    access_log: "Access log", location: "Location", occurred_at: "Happened at", pick_location: "Location from the archive",
    no_location: "(free text only)", floor: "Floor", number: "No.", shop_name: "Shop", rooms: "Rooms", phones: "Phones",
    email: "Email", contacts: "Family / staff", renovations: "Renovations", history: "History", moved_in: "Moved in",
    moved_out: "Moved out", current: "Current", record: "Record", route: "Route", by: "By", at: "At",
    contractor: "Contractor", permit_no: "Permit", "action.locate": "Match to an archive location",
    "resident_role.owner": "Owner", "resident_role.occupant": "Occupant", "resident_role.shop_tenant": "Shop tenant",
    full_record: "Full record", unit_label: "Unit",
  },
  "zh-Hans": {
    archive: "业主档案", buildings: "楼栋", units: "房号", areas: "公共区域", residents: "住户",
    lookup_phone: "来电号码", lookup: "查找", open_cases: "未结案件", no_results: "没有登记这个号码的住户。",
    confidential: "保密：完整档案仅经理及以上可见，本次查阅已记入查阅记录。",
    service_view: "服务视图：前台接待所需信息（电话已隐去中间位）。",
    access_log: "查阅记录", location: "位置", occurred_at: "发生时间", pick_location: "档案中的位置",
    no_location: "（仅文字地址）", floor: "楼层", number: "房号", shop_name: "店铺", rooms: "房间", phones: "电话",
    email: "邮箱", contacts: "家庭成员 / 店员", renovations: "装修资料", history: "修改记录", moved_in: "入住",
    moved_out: "迁出", current: "在住", record: "档案", route: "接口", by: "查阅人", at: "时间",
    contractor: "施工单位", permit_no: "装修许可证号", "action.locate": "匹配档案位置",
    "resident_role.owner": "业主", "resident_role.occupant": "住户", "resident_role.shop_tenant": "商户",
    full_record: "完整档案", unit_label: "房号",
  },
  "zh-Hant": {
    archive: "業主檔案", buildings: "樓棟", units: "單位", areas: "公共區域", residents: "住戶",
    lookup_phone: "來電號碼", lookup: "查找", open_cases: "未結個案", no_results: "沒有登記這個號碼的住戶。",
    confidential: "保密：完整檔案僅經理及以上可見，本次查閱已記入查閱紀錄。",
    service_view: "服務視圖：前台接待所需資料（電話已隱去中間位）。",
    access_log: "查閱紀錄", location: "位置", occurred_at: "發生時間", pick_location: "檔案中的位置",
    no_location: "（僅文字地址）", floor: "樓層", number: "單位號", shop_name: "店舖", rooms: "房間", phones: "電話",
    email: "電郵", contacts: "家庭成員 / 店員", renovations: "裝修資料", history: "修改紀錄", moved_in: "入住",
    moved_out: "遷出", current: "現住", record: "檔案", route: "介面", by: "查閱人", at: "時間",
    contractor: "施工單位", permit_no: "裝修許可證號", "action.locate": "配對檔案位置",
    "resident_role.owner": "業主", "resident_role.occupant": "住戶", "resident_role.shop_tenant": "商戶",
    full_record: "完整檔案", unit_label: "單位",
  },
});

const A = () => `${P()}/archive`;
const link = (arg, text) => h("a", { href: `#/archive/${encodeURIComponent(arg)}` }, text);
const back = () => h("p", {}, link("", `← ${t("archive")}`));

// ---------------------------------------------------------------- the location picker
// A <select> of every place in the archive (GET .../archive/locations); value() is the
// location a case takes ({unit_id, room_id} / {building_id} / {area_id}) or undefined.
export async function locationPicker(id = "log-location") {
  const select = h("select", { id, name: "location" }, h("option", { value: "" }, t("no_location")));
  const items = [];
  if (may("archive.read")) {
    try { items.push(...(await api("GET", `${A()}/locations`)).items); } catch { /* no archive: free text only */ }
  }
  items.forEach((x, i) => select.append(h("option", { value: String(i), dataset: { kind: x.kind } },
    x.kind === "unit" && !x.room_id ? `▸ ${x.label}` : x.label)));
  const value = () => {
    const x = items[Number(select.value)];
    if (select.value === "" || !x) return undefined;
    const out = {};
    for (const k of ["building_id", "unit_id", "room_id", "area_id"]) if (x[k] && !(k === "building_id" && x.unit_id)) out[k] = x[k];
    return out;
  };
  return { node: select, value, label: () => items[Number(select.value)]?.label };
}

// "2026-11-23T09:30" typed in the property's time zone -> ISO with that zone's offset.
export function zonedIso(local) {
  if (!local) return undefined;
  const tz = state.property?.policy?.timezone || "Asia/Shanghai";
  const guess = new Date(`${local}:00Z`);
  const name = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "longOffset" })
    .formatToParts(guess).find((p) => p.type === "timeZoneName")?.value || "GMT";
  const offset = name === "GMT" ? "+00:00" : name.replace("GMT", "");
  return `${local}:00${offset}`;
}

// The case page's form for the locate action (offered when the case's `actions` name it).
export function locateForm(c, onDone) {
  const err = h("div", { class: "form-error" });
  const box = h("details", { class: "action", id: "action-locate" }, h("summary", {}, t("action.locate")));
  locationPicker("locate-location").then((picker) => {
    const form = h("form", { class: "action", id: "form-locate", onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = "";
      try { onDone(await api("POST", `${caseUrl(c.case_id)}/locate`, { version: c.version, location: picker.value() })); }
      catch (x) { err.textContent = errorText(x); }
    } }, h("label", {}, t("pick_location"), picker.node), h("button", { type: "submit", id: "submit-locate" }, t("action.locate")), err);
    box.append(form);
  });
  return box;
}

// ---------------------------------------------------------------- the archive page
function lookupBox() {
  const input = h("input", { type: "tel", id: "archive-phone", autocomplete: "off", placeholder: "138 1234 5678" });
  const out = h("div", { id: "lookup-results" });
  const form = h("form", { class: "filters", id: "lookup-form", onsubmit: async (e) => {
    e.preventDefault();
    clear(out);
    try {
      const found = await api("GET", `${A()}/lookup?phone=${encodeURIComponent(input.value)}`);
      if (!found.residents.length) out.append(h("p", { class: "muted" }, t("no_results")));
      out.append(h("ul", { class: "plain", id: "lookup-residents" }, found.residents.map((r) => h("li", { class: "resident", dataset: { residentId: r.resident_id } },
        link(`r.${r.resident_id}`, r.name), " · ", label("resident_role", r.role), " · ", r.unit_label, " · ", (r.phones || []).join(", "), " · ", r.lang || ""))));
      out.append(h("h3", {}, t("open_cases")), h("ul", { class: "plain", id: "lookup-cases" }, found.open_cases.length
        ? found.open_cases.map((c) => h("li", { dataset: { caseId: c.case_id } }, h("a", { href: `#/case/${encodeURIComponent(c.case_id)}` }, c.case_id),
          " ", label("status", c.status), " · ", c.location?.label || c.unit || "", " · ", c.title || ""))
        : h("li", { class: "muted" }, "—")));
    } catch (x) { out.append(h("p", { class: "form-error" }, errorText(x))); }
  } }, h("label", {}, t("lookup_phone"), input), h("button", { type: "submit", id: "lookup-submit" }, t("lookup")));
  return h("div", { class: "card" }, form, out);
}

async function viewIndex() {
  const [buildings, areas] = await Promise.all([api("GET", `${A()}/buildings`), api("GET", `${A()}/areas`)]);
  clear(main()).append(h("h1", {}, t("archive"), " · ", state.pid), lookupBox(),
    h("div", { class: "grid2" },
      h("div", { class: "card" }, h("h2", {}, t("buildings")), h("ul", { class: "plain", id: "buildings" },
        buildings.items.map((b) => h("li", { dataset: { buildingId: b.building_id } }, link(`b.${b.building_id}`, b.name), b.name_en ? ` · ${b.name_en}` : "")))),
      h("div", { class: "card" }, h("h2", {}, t("areas")), h("ul", { class: "plain", id: "areas" },
        areas.items.map((a) => h("li", { dataset: { areaId: a.area_id } }, a.name, a.name_en ? ` · ${a.name_en}` : ""))))),
    may("archive.access_log") ? h("p", {}, link("log", t("access_log"))) : "");
}

async function viewBuilding(id) {
  const b = await api("GET", `${A()}/buildings/${encodeURIComponent(id)}`);
  clear(main()).append(h("h1", {}, t("archive"), " · ", b.name), back(),
    h("table", { class: "card", id: "units" }, h("thead", {}, h("tr", {}, ["floor", "number", "shop_name", "rooms"].map((k) => h("th", {}, t(k))))),
      h("tbody", {}, b.units.map((u) => h("tr", { dataset: { unitId: u.unit_id } }, h("td", {}, u.floor || "—"),
        h("td", {}, link(`u.${u.unit_id}`, u.number)), h("td", {}, u.shop_name || "—"),
        h("td", {}, (u.rooms || []).map((r) => r.name).join("、") || "—"))))));
}

async function viewUnit(id) {
  const u = await api("GET", `${A()}/units/${encodeURIComponent(id)}`);
  clear(main()).append(h("h1", {}, t("archive"), " · ", u.label), h("p", {}, link(`b.${u.building_id}`, `← ${t("units")}`)),
    h("p", { class: "muted" }, t("service_view")),
    h("table", { class: "card", id: "residents" }, h("thead", {}, h("tr", {}, ["residents", "role", "phones", "lang", "current"].map((k) => h("th", {}, t(k))))),
      h("tbody", {}, u.residents.map((r) => h("tr", { class: r.current ? "" : "muted", dataset: { residentId: r.resident_id } },
        h("td", {}, link(`r.${r.resident_id}`, r.name)), h("td", {}, label("resident_role", r.role)),
        h("td", {}, (r.phones || []).join(", ")), h("td", {}, r.lang || "—"),
        h("td", {}, r.current ? t("yes") : `${t("moved_out")} ${r.moved_out}`))))));
}

const dl = (pairs) => h("dl", { class: "fields" }, pairs.flatMap(([k, v]) => [h("dt", {}, t(k)), h("dd", { dataset: { field: k } }, v ?? "—")]));

async function viewResident(id) {
  const r = await api("GET", `${A()}/residents/${encodeURIComponent(id)}`);
  const full = r.view === "full";
  const parts = [h("h1", {}, r.name, " · ", r.unit_label), h("p", {}, link(`u.${r.unit_id}`, `← ${r.unit_label}`)),
    h("p", { class: full ? "late" : "muted", id: "view-note", dataset: { view: r.view } }, full ? `🔒 ${t("confidential")}` : t("service_view")),
    h("div", { class: "card" }, dl([["role", label("resident_role", r.role)], ["phones", (r.phones || []).join(", ")],
      ["lang", r.lang], ["moved_in", r.moved_in], ["moved_out", r.moved_out], ...(full ? [["email", r.email]] : [])]))];
  if (full) {
    parts.push(h("div", { class: "card" }, h("h2", {}, t("contacts")), h("ul", { class: "plain", id: "contacts" },
      (r.contacts || []).map((c) => h("li", {}, c.name, " · ", c.relation, c.phone ? ` · ${c.phone}` : "")))),
    h("div", { class: "card" }, h("h2", {}, t("renovations")), h("ul", { class: "plain", id: "renovations" },
      (r.renovations || []).map((x) => h("li", {}, `${x.started_on} → ${x.ended_on || "…"} · `, x.contractor, x.permit_no ? ` · ${t("permit_no")} ${x.permit_no}` : "", x.notes ? ` · ${x.notes}` : "")))),
    h("div", { class: "card" }, h("h2", {}, t("history")), h("ol", { class: "timeline" },
      (r.history || []).map((e) => h("li", {}, fmt(e.at), " · ", e.by?.name || e.by?.id, " · ", e.action, " · ", Object.keys(e.changes || {}).join(", "))))));
  }
  clear(main()).append(...parts);
}

async function viewAccessLog() {
  const log = await api("GET", `${A()}/access-log?limit=100`);
  clear(main()).append(h("h1", {}, t("access_log"), " · ", state.pid), back(),
    h("table", { class: "card", id: "access-log" }, h("thead", {}, h("tr", {}, ["at", "by", "record", "route"].map((k) => h("th", {}, t(k))))),
      h("tbody", {}, log.items.map((e) => h("tr", {}, h("td", {}, fmt(e.at)), h("td", {}, e.by?.name || e.by?.id, " (", label("role", e.by?.role), ")"),
        h("td", {}, e.record?.name || "", " · ", e.record?.resident_id || ""), h("td", { class: "muted" }, e.route))))));
}

page("archive", {
  perm: "archive.read",
  label: "archive",
  render: async (arg = "") => {
    const [kind, ...rest] = arg.split(".");
    const id = rest.join(".");
    if (kind === "b") return viewBuilding(id);
    if (kind === "u") return viewUnit(id);
    if (kind === "r") return viewResident(id);
    if (kind === "log") return viewAccessLog();
    return viewIndex();
  },
});

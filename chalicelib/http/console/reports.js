// Reports (#/reports): this month's report figures (satisfaction, reopen rate, on time per
// window and department, top categories with shares, after-hours volume) as charts and
// tables, and for management the property's report schedules (who gets which report when,
// in which language): add, remove, save, send now. The API decides who may; the mail
// itself carries the same tables (chalicelib/mail/report_mail.py).
import { addStrings } from "/console/i18n.js";
import { barChart } from "/console/charts.js";
import { duplicatesCard } from "/console/dupstats.js";
import { h, clear, main, api, P, errorText, page, t, label, may, localParts, tz } from "/console/ui.js";

addStrings({
  en: { reports: "Reports", report_figures: "This month's figures", satisfaction: "Satisfaction",
    reopen_rate: "Reopen rate", after_hours_share: "After hours", top_categories: "Top categories",
    on_time_window: "On time by window", on_time_dept: "On time by department", share: "Share",
    report_schedules: "Report schedules", rs_id: "Name", rs_report: "Report", rs_recipients: "Recipients (comma-separated)",
    rs_weekday: "Weekday", rs_day: "Day of month", rs_time: "Local time", rs_lang: "Language", rs_add: "Add",
    rs_save: "Save schedules", rs_saved: "Saved.", rs_sync_pending: "Saved. The schedule service did not answer; the schedules are synced within a few minutes.", rs_remove: "Remove", rs_send: "Send now", rs_sent: "Sent",
    rs_already: "Already sent for this period", rs_none: "No report schedules yet.",
    rs_daily: "Daily", rs_weekly: "Weekly", rs_monthly: "Monthly" },
  "zh-Hans": { reports: "报表", report_figures: "本月指标", satisfaction: "满意率", reopen_rate: "重开率",
    after_hours_share: "非工作时间", top_categories: "投诉类别排行", on_time_window: "按时率（按时限）",
    on_time_dept: "按时率（按部门）", share: "占比", report_schedules: "报表发送计划", rs_id: "名称",
    rs_report: "报表", rs_recipients: "收件人（逗号分隔）", rs_weekday: "星期", rs_day: "每月几号", rs_time: "当地时间",
    rs_lang: "语言", rs_add: "添加", rs_save: "保存计划", rs_saved: "已保存。", rs_sync_pending: "已保存。定时服务暂未响应，计划将在几分钟内同步。", rs_remove: "删除", rs_send: "立即发送",
    rs_sent: "已发送", rs_already: "本期已发送过", rs_none: "还没有报表计划。", rs_daily: "日报", rs_weekly: "周报",
    rs_monthly: "月报" },
  "zh-Hant": { reports: "報表", report_figures: "本月指標", satisfaction: "滿意率", reopen_rate: "重開率",
    after_hours_share: "非工作時間", top_categories: "投訴類別排行", on_time_window: "按時率（按時限）",
    on_time_dept: "按時率（按部門）", share: "佔比", report_schedules: "報表發送計劃", rs_id: "名稱",
    rs_report: "報表", rs_recipients: "收件人（逗號分隔）", rs_weekday: "星期", rs_day: "每月幾號", rs_time: "當地時間",
    rs_lang: "語言", rs_add: "新增", rs_save: "儲存計劃", rs_saved: "已儲存。", rs_sync_pending: "已儲存。排程服務暫未回應，計劃將在幾分鐘內同步。", rs_remove: "刪除", rs_send: "立即發送",
    rs_sent: "已發送", rs_already: "本期已發送過", rs_none: "還沒有報表計劃。", rs_daily: "日報", rs_weekly: "週報",
    rs_monthly: "月報" },
});

const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 1000) / 10}%`);
const WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
const LANGS = ["zh-Hans", "zh-Hant", "en"];

function figures(s) {
  const rows = [[t("satisfaction"), pct(s.satisfaction?.rate), `${s.satisfaction?.satisfied ?? 0}/${s.satisfaction?.answers ?? 0}`],
    [t("reopen_rate"), pct(s.reopen_rate?.rate), `${s.reopen_rate?.reopened ?? 0}/${s.reopen_rate?.resolved ?? 0}`],
    [t("after_hours_share"), pct(s.after_hours?.share), `${s.after_hours?.received ?? 0}/${s.received ?? 0}`]];
  const summary = h("table", { id: "report-summary" }, h("tbody", {}, rows.map(([k, v, d]) =>
    h("tr", { dataset: { figure: k } }, h("th", {}, k), h("td", {}, v), h("td", { class: "muted" }, d)))));
  const top = h("table", { id: "report-top" }, h("thead", {}, h("tr", {}, h("th", {}, t("category")), h("th", {}, "#"),
    h("th", {}, t("share")))), h("tbody", {}, (s.top_categories || []).map((r) => h("tr", { dataset: { category: r.category } },
    h("td", {}, label("category", r.category)), h("td", {}, String(r.count)), h("td", {}, pct(r.share))))));
  const windows = Object.entries(s.on_time_by_window || {}).map(([k, v]) => ({ label: label("deadline", k),
    value: v.rate === null ? 0 : Math.round(v.rate * 1000) / 10, shown: pct(v.rate) }));
  const depts = h("table", { id: "report-departments" }, h("tbody", {}, Object.entries(s.on_time_by_department || {})
    .flatMap(([dept, ws]) => Object.entries(ws).filter(([, b]) => b.due).map(([w, b]) =>
      h("tr", {}, h("td", {}, dept), h("td", {}, label("deadline", w)), h("td", {}, `${b.met_on_time}/${b.due}`),
        h("td", {}, pct(b.rate)))))));
  return h("div", { class: "cards" },
    h("div", { class: "card" }, h("h2", {}, t("report_figures")), summary),
    h("div", { class: "card" }, h("h2", {}, t("top_categories")), top),
    h("div", { class: "card" }, h("h2", {}, t("on_time_window")), barChart(windows, { max: 100, unit: "%" })),
    h("div", { class: "card" }, h("h2", {}, t("on_time_dept")), depts));
}

function schedulesEditor(initial) {
  let version = initial.version;
  const items = initial.schedules.map(({ expression, timezone, ...s }) => s);
  const status = h("p", { id: "rs-status", role: "status" });
  const list = h("tbody", { id: "rs-rows" });
  const draw = () => {
    clear(list);
    if (!items.length) list.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, t("rs_none"))));
    for (const s of items) {
      const when = s.report === "weekly" ? `${s.weekday} ${s.time}` : s.report === "monthly" ? `${s.day} · ${s.time}` : s.time;
      list.append(h("tr", { dataset: { scheduleId: s.schedule_id } }, h("td", {}, s.schedule_id),
        h("td", {}, t(`rs_${s.report}`)), h("td", {}, `${when} (${tz()}) · ${s.lang}`), h("td", {}, s.recipients.join(", ")),
        h("td", {}, h("button", { type: "button", class: "secondary rs-send", onclick: () => send(s.schedule_id) }, t("rs_send")),
          h("button", { type: "button", class: "secondary rs-remove", onclick: () => {
            items.splice(items.indexOf(s), 1); draw(); } }, t("rs_remove")))));
    }
  };
  const send = async (id) => {
    try {
      const r = await api("POST", `${P()}/report-schedules/${encodeURIComponent(id)}/send`);
      status.textContent = r.sent ? `${t("rs_sent")}: ${r.period} → ${r.sent.join(", ")}` : `${t("rs_already")} (${r.period})`;
    } catch (e) { status.textContent = errorText(e); }
  };
  const field = (name, control) => h("label", {}, t(name), control);
  const form = h("form", { id: "rs-form", class: "filters", onsubmit: (e) => {
    e.preventDefault();
    const d = Object.fromEntries(new FormData(form).entries());
    const s = { schedule_id: d.schedule_id.trim(), report: d.report, time: d.time, lang: d.lang,
      recipients: d.recipients.split(/[,，;\s]+/).filter(Boolean) };
    if (s.report === "weekly") s.weekday = d.weekday;
    if (s.report === "monthly") s.day = Number(d.day);
    items.push(s); draw(); form.reset();
  } },
  field("rs_id", h("input", { name: "schedule_id", id: "rs-id", required: true, pattern: "[a-z0-9][a-z0-9-]{0,31}" })),
  field("rs_report", h("select", { name: "report", id: "rs-report" }, ["daily", "weekly", "monthly"].map((r) =>
    h("option", { value: r }, t(`rs_${r}`))))),
  field("rs_recipients", h("input", { name: "recipients", id: "rs-recipients", required: true, size: 30 })),
  field("rs_weekday", h("select", { name: "weekday", id: "rs-weekday" }, WEEKDAYS.map((d) => h("option", { value: d }, d)))),
  field("rs_day", h("input", { name: "day", id: "rs-day", type: "number", min: 1, max: 28, value: 25 })),
  field("rs_time", h("input", { name: "time", id: "rs-time", type: "time", value: "08:30", required: true })),
  field("rs_lang", h("select", { name: "lang", id: "rs-lang" }, LANGS.map((l) => h("option", { value: l }, l)))),
  h("button", { type: "submit", id: "rs-add" }, t("rs_add")));
  const save = h("button", { type: "button", id: "rs-save", onclick: async () => {
    try {
      const saved = await api("PUT", `${P()}/report-schedules`, { schedules: items, version });
      version = saved.version;
      status.textContent = t(saved.scheduler === "pending" ? "rs_sync_pending" : "rs_saved");
      status.dataset.version = String(version);
    } catch (e) { status.textContent = errorText(e); }
  } }, t("rs_save"));
  draw();
  return h("section", { id: "report-schedules" }, h("h2", {}, t("report_schedules")),
    h("table", {}, h("tbody", {}), list), form, save, status);
}

async function view() {
  const root = clear(main());
  const { month } = localParts();
  const monthly = await api("GET", `${P()}/stats/monthly/${month}`);
  root.append(h("h1", {}, t("reports"), " · ", month, " · ", tz()), figures(monthly), duplicatesCard(monthly));
  if (may("report.schedule")) root.append(schedulesEditor(await api("GET", `${P()}/report-schedules`)));
}

page("reports", { perm: "report.read", label: "reports", render: view });

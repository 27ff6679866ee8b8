// Duplicates and repeats on the Reports page (issue 17): the duplicate rate overall and by
// channel, the repeat rate by category and the units/areas with repeats, from the statistics
// API's ``duplicates`` block (chalicelib/domain/stats.py duplicate_figures): this month's
// finished days, or today so far (the monthly figures include a day once it is over).
// The scheduled report mail carries the same tables (chalicelib/mail/report_mail.py).
import { addStrings } from "/console/i18n.js";
import { barChart } from "/console/charts.js";
import { h, clear, api, P, errorText, t, label, localParts } from "/console/ui.js";

addStrings({
  en: { dup_figures: "Duplicates and repeats", dup_period_month: "This month", dup_period_today: "Today so far",
    dup_rate: "Duplicate rate", dup_repeat_rate: "Repeat rate", dup_by_channel: "Duplicates by channel",
    dup_repeat_category: "Repeats by category", dup_repeat_units: "Units and areas with repeats",
    dup_unit: "Unit / area", dup_received: "Cases", dup_count: "Duplicates", dup_repeats: "Repeats",
    dup_no_units: "No unit had a repeat." },
  "zh-Hans": { dup_figures: "重复受理与重复发生", dup_period_month: "本月", dup_period_today: "今日（截至现在）",
    dup_rate: "重复受理率", dup_repeat_rate: "重复发生率", dup_by_channel: "重复受理（按渠道）",
    dup_repeat_category: "重复发生（按类别）", dup_repeat_units: "有重复发生的单元/区域", dup_unit: "单元/区域",
    dup_received: "件数", dup_count: "重复件数", dup_repeats: "重复发生件数", dup_no_units: "没有单元重复发生。" },
  "zh-Hant": { dup_figures: "重複受理與重複發生", dup_period_month: "本月", dup_period_today: "今日（截至現在）",
    dup_rate: "重複受理率", dup_repeat_rate: "重複發生率", dup_by_channel: "重複受理（按渠道）",
    dup_repeat_category: "重複發生（按類別）", dup_repeat_units: "有重複發生的單位/區域", dup_unit: "單位/區域",
    dup_received: "件數", dup_count: "重複件數", dup_repeats: "重複發生件數", dup_no_units: "沒有單位重複發生。" },
});

const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 1000) / 10}%`);
// A place as compared (duplicates.place_key): the typed unit, else the archive's id.
const place = (key) => (key.startsWith("text:") ? key.slice(5) : key);

function table(id, head, rows) {
  return h("table", { id }, h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))), h("tbody", {}, rows));
}

function figures(d) {
  const row = (attrs, name, f, part) => h("tr", { dataset: attrs }, h("td", {}, name), h("td", {}, String(f.received ?? 0)),
    h("td", {}, String(f[part] ?? 0)), h("td", {}, pct(f.rate)));
  const channels = Object.entries(d.by_channel || {}).filter(([, f]) => f.received);
  const categories = Object.entries(d.repeats_by_category || {}).filter(([, f]) => f.received);
  const units = Object.entries(d.repeats_by_unit || {}).filter(([, f]) => f.repeats)
    .sort(([a, x], [b, y]) => y.repeats - x.repeats || a.localeCompare(b));
  return [
    h("table", { id: "dup-summary" }, h("tbody", {}, [
      h("tr", { dataset: { figure: "duplicate_rate" } }, h("th", {}, t("dup_rate")), h("td", {}, pct(d.duplicate_rate)),
        h("td", { class: "muted" }, `${d.duplicates ?? 0}/${d.received ?? 0}`)),
      h("tr", { dataset: { figure: "repeat_rate" } }, h("th", {}, t("dup_repeat_rate")), h("td", {}, pct(d.repeat_rate)),
        h("td", { class: "muted" }, `${d.repeats ?? 0}/${d.received ?? 0}`))])),
    h("h3", {}, t("dup_by_channel")),
    barChart(channels.map(([c, f]) => ({ label: label("channel", c), value: f.rate === null ? 0 : Math.round(f.rate * 1000) / 10,
      shown: pct(f.rate), detail: `${f.duplicates}/${f.received}` })), { max: 100, unit: "%" }),
    table("dup-channels", [t("channel"), t("dup_received"), t("dup_count"), t("dup_rate")],
      channels.map(([c, f]) => row({ channel: c }, label("channel", c), f, "duplicates"))),
    h("h3", {}, t("dup_repeat_category")),
    table("dup-categories", [t("category"), t("dup_received"), t("dup_repeats"), t("dup_repeat_rate")],
      categories.map(([c, f]) => row({ category: c }, label("category", c), f, "repeats"))),
    h("h3", {}, t("dup_repeat_units")),
    units.length ? table("dup-units", [t("dup_unit"), t("dup_received"), t("dup_repeats"), t("dup_repeat_rate")],
      units.map(([u, f]) => row({ unit: u }, place(u), f, "repeats"))) : h("p", { id: "dup-units", class: "muted" }, t("dup_no_units")),
  ];
}

// The card: the month's figures (the document the page already read), or today's on choice.
export function duplicatesCard(monthly) {
  const body = h("div", { id: "dup-figures" });
  const show = (doc, period) => { clear(body).append(...figures(doc.duplicates || {})); body.dataset.period = period; };
  const period = h("select", { id: "dup-period", onchange: async () => {
    if (period.value === "month") return show(monthly, "month");
    try { show(await api("GET", `${P()}/stats/daily/${localParts().day}`), "today"); } catch (e) { clear(body).append(h("p", {}, errorText(e))); }
  } }, h("option", { value: "month" }, t("dup_period_month")), h("option", { value: "today" }, t("dup_period_today")));
  show(monthly, "month");
  return h("div", { class: "card", id: "report-duplicates" }, h("h2", {}, t("dup_figures"), " ", period), body);
}

// The complaint box (#/qr): a QR code for the property, or one of its archive's
// areas / buildings / units, that opens the public web form (/p/<property>) with the
// place filled in. The server draws it (GET .../qr, SVG); the page shows it as an
// image (data: URL: an <img> never runs anything) and prints it. Front desk and up.
import { addStrings } from "/console/i18n.js";
import { h, clear, main, api, P, errorText, page, t, state } from "/console/ui.js";
import { locationPicker } from "/console/archive.js";

addStrings({
  en: { qr: "QR complaint box", qr_intro: "Print and post it: visitors scan it to file a complaint or request, the place filled in.",
    qr_make: "Make the code", qr_print: "Print", qr_whole: "(the whole property)" },
  "zh-Hans": { qr: "二维码投诉箱", qr_intro: "打印张贴：访客扫码即可投诉或报事，地点自动填好。", qr_make: "生成二维码",
    qr_print: "打印", qr_whole: "（整个物业）" },
  "zh-Hant": { qr: "二維碼投訴箱", qr_intro: "列印張貼：訪客掃碼即可投訴或報事，地點自動填好。", qr_make: "產生二維碼",
    qr_print: "列印", qr_whole: "（整個物業）" },
});

async function view() {
  const root = clear(main());
  const picker = await locationPicker("qr-location");
  picker.node.options[0].textContent = t("qr_whole");
  const out = h("figure", { id: "qr-out" });
  const status = h("p", { id: "qr-error", role: "alert" });
  const make = async () => {
    status.textContent = "";
    const where = picker.value() || {};
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(where)) if (k !== "room_id") query.set(k.replace(/_id$/, ""), v);
    const qs = query.toString() ? `?${query}` : "";
    const response = await fetch(`${P()}/qr${qs}`, { headers: { Authorization: `Bearer ${state.token}` } });
    if (!response.ok) {
      let data = null;
      try { data = await response.json(); } catch { data = null; }
      status.textContent = errorText({ status: response.status, ...(data || {}) });
      return;
    }
    const svg = await response.text();
    const url = (new DOMParser().parseFromString(svg, "image/svg+xml").querySelector("title") || {}).textContent || "";
    clear(out).append(
      h("img", { id: "qr-image", alt: url, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}` }),
      h("figcaption", { id: "qr-url" }, url, h("br"), picker.label() || ""));
  };
  root.append(h("h2", {}, t("qr")), h("p", {}, t("qr_intro")),
    h("label", { for: "qr-location" }, t("location") || ""), picker.node,
    h("button", { type: "button", id: "qr-make", onclick: make }, t("qr_make")),
    h("button", { type: "button", id: "qr-print", onclick: () => window.print() }, t("qr_print")),
    status, out);
  await make();
}

page("qr", { perm: "property.qr", label: "qr", render: view });

// The public web form (/p/{property}): a visitor files a complaint or request,
// confirms the 6-digit code sent to their email or phone, and gets the case number.
// Everything the visitor or the API writes goes into the page as text (textContent), never as HTML.
const T = {
  "zh-Hans": { intro: "无需注册。请留下邮箱或手机号码，我们会发送验证码确认后受理。", email: "邮箱", phone: "手机号码",
    name: "称呼（可选）", place: "地点", category: "类别", content: "内容", send: "提交", code: "验证码（6 位数字）",
    confirm: "确认", sentTo: "验证码已发送至：", done: "已受理，您的编号：", choose: "（请选择）",
    needContact: "请留下邮箱或手机号码。", needContent: "请填写内容。", failed: "提交失败，请稍后再试。" },
  "zh-Hant": { intro: "無需註冊。請留下電郵或手機號碼，我們會傳送驗證碼確認後受理。", email: "電郵", phone: "手機號碼",
    name: "稱呼（可選）", place: "地點", category: "類別", content: "內容", send: "提交", code: "驗證碼（6 位數字）",
    confirm: "確認", sentTo: "驗證碼已傳送至：", done: "已受理，您的編號：", choose: "（請選擇）",
    needContact: "請留下電郵或手機號碼。", needContent: "請填寫內容。", failed: "提交失敗，請稍後再試。" },
  en: { intro: "No account needed. Leave an email or phone number; we send a code to confirm it.", email: "Email",
    phone: "Phone", name: "Name (optional)", place: "Where", category: "Category", content: "What happened",
    send: "Send", code: "Code (6 digits)", confirm: "Confirm", sentTo: "We sent a code to: ",
    done: "Received. Your number: ", choose: "(choose)", needContact: "Leave an email or a phone number.",
    needContent: "Say what happened.", failed: "Could not send; try again later." },
};
const LANG_NAMES = { "zh-Hans": "简体", "zh-Hant": "繁體", en: "English" };
const $ = (id) => document.getElementById(id);
const propertyId = decodeURIComponent(location.pathname.split("/")[2] || "");
const query = new URLSearchParams(location.search);
let lang = T[document.documentElement.lang] ? document.documentElement.lang : "zh-Hans";
let info = null;
let submissionId = null;
let place = null; // {area_id | unit_id | building_id} from the QR link

for (const kind of ["area", "unit", "building"]) {
  if (query.get(kind)) place = { [`${kind}_id`]: query.get(kind) };
}

function render() {
  document.documentElement.lang = lang;
  const t = T[lang];
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t[el.dataset.t];
  $("intro").textContent = t.intro;
  $("prop-name").textContent = info ? info.name : "";
  const nav = $("langs");
  nav.replaceChildren(...Object.keys(T).map((code) => {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = LANG_NAMES[code]; b.lang = code;
    b.setAttribute("aria-pressed", String(code === lang));
    b.addEventListener("click", () => { lang = code; render(); });
    return b;
  }));
  const select = $("category");
  const chosen = select.value;
  const options = [new Option(t.choose, "")];
  for (const c of (info && info.categories) || []) options.push(new Option(c.labels[lang] || c.category, c.category));
  select.replaceChildren(...options);
  select.value = chosen;
}

function showError(text) { $("error").textContent = text || ""; }

async function post(path, body) {
  const resp = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json",
    "Accept-Language": lang }, body: JSON.stringify(body) });
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  return { status: resp.status, data };
}

$("file").addEventListener("submit", async (event) => {
  event.preventDefault();
  const t = T[lang];
  const body = { lang, content: $("content").value.trim() };
  for (const f of ["email", "phone", "name", "place", "category"]) {
    const v = $(f).value.trim();
    if (v) body[f] = v;
  }
  if (place) body.location = place;
  if (!body.email && !body.phone) return showError(t.needContact);
  if (!body.content) return showError(t.needContent);
  showError("");
  const { status, data } = await post(`/v1/public/properties/${encodeURIComponent(propertyId)}/submissions`, body);
  if (status !== 202) return showError((data && data.message) || t.failed);
  submissionId = data.submission_id;
  $("sent-to").textContent = t.sentTo + data.sent_to.join(", ");
  $("file").hidden = true;
  $("verify").hidden = false;
  $("code").focus();
});

$("verify").addEventListener("submit", async (event) => {
  event.preventDefault();
  const t = T[lang];
  const { status, data } = await post(`/v1/public/properties/${encodeURIComponent(propertyId)}/submissions/`
    + `${encodeURIComponent(submissionId)}/verify`, { code: $("code").value.trim() });
  if (status !== 201 && status !== 200) {
    const left = data && data.details && data.details.attempts_left;
    return showError(((data && data.message) || t.failed) + (left ? ` (${left})` : ""));
  }
  showError("");
  $("verify").hidden = true;
  $("done").hidden = false;
  $("done-text").textContent = t.done;
  $("case-id").textContent = data.case_id;
});

async function start() {
  const resp = await fetch(`/v1/public/properties/${encodeURIComponent(propertyId)}`,
    { headers: { "Accept-Language": lang } });
  if (resp.ok) info = await resp.json();
  render();
  if (!resp.ok) { $("file").hidden = true; showError((await resp.json().catch(() => ({}))).message || T[lang].failed); }
}

render();
start();

// Duplicates and repeats across channels (chalicelib/domain/dedupe.py): a queue row says
// "possible duplicate of TD-…" (queueMark); the case page lists the suggestions with
// link / merge / dismiss, the owner a linked case follows, its followers, what was merged
// in, and where a merged case went (casePanel). The API decides every call.
import { addStrings } from "/console/i18n.js";
import { h, api, caseUrl, errorText, may, casePanel, queueMark, t } from "/console/ui.js";

addStrings({
  en: {
    dup_title: "Duplicates", dup_of: "possible duplicate of", repeat_of_mark: "repeat of", dup_none: "No duplicate suggested.",
    dup_link: "Link (follows it)", dup_merge: "Merge into it", dup_dismiss: "Not a duplicate",
    dup_same_reporter: "same reporter", dup_score: "similarity", dup_follows: "Follows", dup_followers: "Followed by",
    dup_merged_into: "Merged into", dup_merged: "Merged in",
  },
  "zh-Hans": {
    dup_title: "重复案件", dup_of: "疑似重复：", repeat_of_mark: "重复发生：", dup_none: "没有疑似重复的案件。",
    dup_link: "关联（跟随该案件）", dup_merge: "合并到该案件", dup_dismiss: "不是重复",
    dup_same_reporter: "同一报告人", dup_score: "相似度", dup_follows: "跟随", dup_followers: "跟随此案件的",
    dup_merged_into: "已合并到", dup_merged: "已合并的案件",
  },
  "zh-Hant": {
    dup_title: "重複案件", dup_of: "疑似重複：", repeat_of_mark: "重複發生：", dup_none: "沒有疑似重複的案件。",
    dup_link: "關聯（跟隨該案件）", dup_merge: "合併到該案件", dup_dismiss: "不是重複",
    dup_same_reporter: "同一報告人", dup_score: "相似度", dup_follows: "跟隨", dup_followers: "跟隨此案件的",
    dup_merged_into: "已合併到", dup_merged: "已合併的案件",
  },
});

const open = (id) => h("a", { href: `#/case/${encodeURIComponent(id)}`, class: "case-link" }, id);

queueMark((c) => {
  const dup = (c.possible_duplicates || []).find((d) => d.kind === "duplicate");
  if (!dup || c.merged_into || c.follows) return null;
  return h("span", { class: "badge dup-mark", dataset: { target: dup.case_id } }, ` ${t("dup_of")} ${dup.case_id}`);
});

casePanel((c, reload) => {
  const suggestions = c.possible_duplicates || [];
  if (!suggestions.length && !c.follows && !(c.followers || []).length && !c.merged_into && !(c.merged || []).length
      && !c.repeat_of) return null;
  const err = h("div", { class: "form-error", id: "dup-error" });
  const act = (what, target) => async () => {
    err.textContent = "";
    try { await api("POST", `${caseUrl(c.case_id)}/duplicate/${what}`, { target }); reload(); }
    catch (x) { err.textContent = errorText(x); }
  };
  const button = (what, perm, target, text) => (may(perm) ? h("button", {
    type: "button", class: what === "dismiss" ? "secondary" : "", id: `dup-${what}-${target}`, onclick: act(what, target),
  }, text) : "");
  const rows = suggestions.map((d) => h("li", { class: "dup-suggestion", dataset: { target: d.case_id, kind: d.kind } },
    `${d.kind === "repeat" ? t("repeat_of_mark") : t("dup_of")} `, open(d.case_id),
    ` (${t("dup_score")} ${Math.round(d.score * 100)}%${d.same_reporter ? `, ${t("dup_same_reporter")}` : ""}) `,
    d.kind === "duplicate" && !c.merged_into && !c.follows ? [
      button("link", "case.link_duplicate", d.case_id, t("dup_link")),
      d.same_reporter ? button("merge", "case.merge_duplicate", d.case_id, t("dup_merge")) : "",
    ] : "",
    button("dismiss", "case.dismiss_duplicate", d.case_id, t("dup_dismiss"))));
  return h("div", { class: "card", id: "duplicates" }, h("h2", {}, t("dup_title")),
    c.merged_into ? h("p", { id: "dup-merged-into" }, `${t("dup_merged_into")} `, open(c.merged_into)) : "",
    c.follows ? h("p", { id: "dup-follows" }, `${t("dup_follows")} `, open(c.follows)) : "",
    (c.followers || []).length ? h("p", { id: "dup-followers" }, `${t("dup_followers")}: `,
      c.followers.map((id, n) => [n ? ", " : "", open(id)])) : "",
    (c.merged || []).length ? h("div", { id: "dup-merged" }, h("p", {}, `${t("dup_merged")}:`),
      h("ul", {}, c.merged.map((m) => h("li", {}, open(m.case_id), ` — ${m.content}`,
        (m.attachments || []).length ? ` (${m.attachments.length} 📎)` : "",
        (m.messages || []).map((text) => h("div", { class: "muted merged-message" }, text)))))) : "",
    suggestions.length ? h("ul", { id: "dup-suggestions" }, rows) : "",
    err);
});

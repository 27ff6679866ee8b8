// The tenant's own flags on a case (issue 16): "affects my shop's business" as a badge in
// the queue and on the case page, and the classify form's cause preselected to
// business_affected (the API defaults it too: chalicelib/domain/cases.py default_cause).
// The tenant's answer to the follow-up from the app is the timeline's "confirm".
import { h, casePanel, queueMark, t } from "/console/ui.js";
import { addStrings } from "/console/i18n.js";

addStrings({
  en: { business_affected: "Affects business", business_affected_note: "The tenant says it affects their shop's business: "
    + "reply within the business window (cause business_affected unless you name another).",
  "action.confirm": "Tenant answered the callback (app)" },
  "zh-Hans": { business_affected: "影响营业", business_affected_note: "租户表示影响店铺营业：按影响营业时限答复"
    + "（未另选原因时，原因即为“影响营业”）。", "action.confirm": "租户在 App 确认回访" },
  "zh-Hant": { business_affected: "影響營業", business_affected_note: "租戶表示影響店鋪營業：按影響營業時限答覆"
    + "（未另選原因時，原因即為「影響營業」）。", "action.confirm": "租戶在 App 確認回訪" },
});

const badge = () => h("span", { class: "badge business-affected", dataset: { flag: "business_affected" } },
  t("business_affected"));

queueMark((c) => (c.business_affected ? badge() : null));

casePanel((c) => {
  if (!c.business_affected) return null;
  // The classify form is drawn with the page: once it is, its cause starts at business_affected.
  if (!c.cause) {
    setTimeout(() => {
      const cause = document.querySelector("#form-classify select[name=cause]");
      if (cause && !cause.value) cause.value = "business_affected";
    });
  }
  return h("div", { class: "card", id: "business-affected" }, badge(), " ", t("business_affected_note"));
});

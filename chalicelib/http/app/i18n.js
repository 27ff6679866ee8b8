// The app's words in 简体 / 繁體 / English. Every value from the API is shown as text next to these.
export const LANGS = ["zh-Hans", "zh-Hant", "en"];
const T = {
  app: ["租户服务", "租戶服務", "Tenant service"],
  signin: ["登录", "登入", "Sign in"], signout: ["退出", "登出", "Sign out"],
  email: ["邮箱", "電郵", "Email"], password: ["密码", "密碼", "Password"],
  hosted: ["用物业账号登录", "用物業帳號登入", "Sign in with your account"],
  dev_token: ["开发者令牌（仅本地）", "開發者令牌（僅本地）", "Developer token (local only)"],
  use_token: ["使用令牌", "使用令牌", "Use token"],
  signin_failed: ["登录失败：邮箱或密码不正确", "登入失敗：電郵或密碼不正確", "Sign-in failed: wrong email or password"],
  invalid_token: ["令牌无效", "令牌無效", "That token is not valid"],
  cases: ["我的案件", "我的個案", "My cases"], new_case: ["新建", "新增", "New"],
  notifications: ["通知", "通知", "Notifications"], settings: ["设置", "設定", "Settings"],
  no_cases: ["还没有案件。", "還沒有個案。", "No cases yet."],
  next_due: ["下一个时限", "下一個時限", "Next promised time"], promised: ["承诺时间", "承諾時間", "Promised by"],
  unread: ["未读", "未讀", "Unread"], loading: ["加载中…", "載入中…", "Loading…"],
  offline: ["网络不可用", "網絡不可用", "You are offline"],
  category: ["类别", "類別", "Category"], unit: ["单元", "單位", "Unit"], title: ["标题", "標題", "Title"],
  content: ["描述问题", "描述問題", "What is wrong?"], photos: ["照片", "相片", "Photos"],
  take_photo: ["拍照 / 选择照片", "拍照 / 選擇相片", "Take or choose photos"],
  business: ["影响我店铺的营业", "影響我店鋪的營業", "Affects my shop's business"],
  business_flag: ["影响营业", "影響營業", "Affects business"],
  place: ["地点", "地點", "Where"], place_other: ["其他地点（请填写）", "其他地點（請填寫）", "Somewhere else (type it)"],
  place_own: ["我的单元", "我的單位", "My units"], place_areas: ["公共区域", "公共區域", "Public areas"],
  unit_other: ["地点说明", "地點說明", "Where exactly"],
  confirm: ["处理结果回访", "處理結果回訪", "Follow-up: are you satisfied?"],
  confirm_intro: ["物业已处理完毕，请确认结果。", "物業已處理完畢，請確認結果。", "Staff have marked this resolved. Please confirm."],
  satisfied: ["满意", "滿意", "Satisfied"], not_satisfied: ["不满意", "不滿意", "Not satisfied"],
  score_optional: ["评分（可选）", "評分（可選）", "Score (optional)"], confirm_send: ["提交回访", "提交回訪", "Send answer"],
  your_answer: ["您的回访意见", "您的回訪意見", "Your answer"],
  submit: ["提交", "提交", "Submit"], sending: ["提交中…", "提交中…", "Sending…"],
  saved_offline: ["已离线保存，联网后自动提交。", "已離線儲存，連網後自動提交。",
                  "Saved on this phone: it will be sent when you are back online."],
  drafts_waiting: ["待提交草稿", "待提交草稿", "Drafts waiting to be sent"],
  draft_sent: ["草稿已提交", "草稿已提交", "Draft sent"],
  status: ["状态", "狀態", "Status"], timeline: ["进度", "進度", "Timeline"],
  message: ["留言", "留言", "Message"], send: ["发送", "發送", "Send"],
  answer: ["回答物业的问题", "回答物業的問題", "Answer the question"],
  question: ["物业的问题", "物業的問題", "The question"],
  entry: ["允许用备用钥匙入户？", "允許用備用鎖匙入戶？", "May staff enter with the spare key?"],
  grant: ["同意", "同意", "Yes, grant entry"], refuse: ["不同意", "不同意", "No, refuse"],
  slot: ["方便的时间段", "方便的時間段", "Convenient time"], from: ["从", "由", "From"], to: ["到", "至", "To"],
  add_slot: ["再加一个时间段", "再加一個時間段", "Add another time"], note: ["备注", "備註", "Note"],
  entry_saved: ["已记录您的意见", "已記錄您的意見", "Your answer is recorded"],
  entry_granted: ["已同意入户", "已同意入戶", "Entry granted"], entry_refused: ["已拒绝入户", "已拒絕入戶", "Entry refused"],
  rate: ["评价", "評價", "Rate"], stars: ["星", "星", "stars"], comment: ["评语", "評語", "Comment"],
  rated: ["您的评价", "您的評價", "Your rating"],
  mark_all: ["全部标为已读", "全部標為已讀", "Mark all read"], mark_read: ["标为已读", "標為已讀", "Mark read"],
  no_notifications: ["没有通知。", "沒有通知。", "No notifications."],
  channels: ["通知方式", "通知方式", "Channels"], ch_push: ["手机推送", "手機推送", "Phone push"],
  ch_webpush: ["浏览器推送", "瀏覽器推送", "Browser push"], ch_email: ["邮件", "郵件", "Email"],
  quiet: ["免打扰时段", "免打擾時段", "Quiet hours"], quiet_on: ["开启免打扰", "開啟免打擾", "Use quiet hours"],
  language: ["语言", "語言", "Language"], save: ["保存", "儲存", "Save"], saved: ["已保存", "已儲存", "Saved"],
  enable_push: ["在本机开启推送", "在本機開啟推送", "Turn on notifications on this device"],
  push_on: ["推送已开启", "推送已開啟", "Notifications are on"],
  push_unavailable: ["此浏览器无法推送", "此瀏覽器無法推送", "This browser cannot receive push"],
  back: ["返回", "返回", "Back"], photo: ["照片", "相片", "Photo"],
  error: ["出错了", "出錯了", "Something went wrong"],
  s_received: ["已受理", "已受理", "Received"], s_routed: ["已移交", "已移交", "Handed on"],
  s_in_progress: ["处理中", "處理中", "In progress"], s_responded: ["已答复", "已答覆", "Answered"],
  s_awaiting_tenant: ["等待您回复", "等待您回覆", "Waiting for you"], s_resolved: ["已解决", "已解決", "Resolved"],
  s_callback_done: ["已回访", "已回訪", "Called back"], s_closed: ["已关闭", "已關閉", "Closed"],
  a_submitted: ["您提交了案件", "您提交了個案", "You reported it"], a_assign: ["已移交负责人", "已移交負責人", "Handed to the person in charge"],
  a_respond: ["物业答复", "物業答覆", "Reply"], a_await_tenant: ["物业提问", "物業提問", "Question for you"],
  a_message: ["留言", "留言", "Message"], a_resolve: ["已解决", "已解決", "Resolved"],
  a_answer: ["物业解答", "物業解答", "Answer"], a_move_promise: ["承诺时间调整", "承諾時間調整", "Promised time moved"],
  a_entry_permission: ["入户意见", "入戶意見", "Entry permission"], a_rate: ["评价", "評價", "Rating"],
  a_close: ["已关闭", "已關閉", "Closed"], a_resume: ["继续处理", "繼續處理", "Work resumed"],
  a_callback: ["物业回访", "物業回訪", "Follow-up call"], a_confirm: ["您的回访意见", "您的回訪意見", "Your follow-up answer"],
  a_merge: ["已并入您的另一案件", "已併入您的另一案件", "Merged into your other case"],
  a_link: ["与他人反映的同一问题一并处理", "與他人反映的同一問題一併處理", "Handled together with the same problem reported by others"],
};

function guess() {
  const nav = (navigator.language || "").toLowerCase();
  if (/^zh-(tw|hk|mo|hant)/.test(nav)) return "zh-Hant";
  return nav.startsWith("zh") ? "zh-Hans" : "en";
}
let lang = LANGS.includes(localStorage.getItem("td.lang")) ? localStorage.getItem("td.lang") : guess();

export const getLang = () => lang;
export function setLang(next) {
  if (!LANGS.includes(next)) return;
  lang = next; localStorage.setItem("td.lang", next); document.documentElement.lang = next;
}
export function t(key) {
  const row = T[key];
  return row ? row[LANGS.indexOf(lang)] : key;
}
export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
}

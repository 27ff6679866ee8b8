"""The error catalogue: every error ``code`` the API answers with, and its
message in the three languages we write (zh-Hans, zh-Hant, en). The one place
a client-facing error text lives: ``web.localize`` picks the caller's language
(Accept-Language, else the token's) for every error response; the code never
changes. A new code needs its three messages here (tests/api/test_error_language.py
finds every ``code="..."`` in chalicelib and fails otherwise).

Messages are short and general (what happened, what to do); the specifics
(which field, which status) are in the error's ``details``.
"""
from __future__ import annotations

LANGS = ("zh-Hans", "zh-Hant", "en")
FALLBACK_LANG = "en"

# code -> (zh-Hans, zh-Hant, en)
_MESSAGES: dict[str, tuple[str, str, str]] = {
    # generic (the error classes' own codes, and the edge's)
    "bad_request": ("请求格式不正确。", "請求格式不正確。", "The request is malformed."),
    "unauthorized": ("需要登录。", "需要登入。", "You need to sign in."),
    "forbidden": ("您没有权限执行此操作。", "您沒有權限執行此操作。", "You are not allowed to do this."),
    "not_found": ("找不到该资源。", "找不到該資源。", "Not found."),
    "conflict": ("请求与当前状态冲突。", "請求與目前狀態衝突。", "The request conflicts with the current state."),
    "illegal_transition": ("案件当前的状态不允许此操作。", "案件目前的狀態不允許此操作。",
                           "The case's status does not allow this action."),
    "version_conflict": ("案件已被他人修改，请刷新后重试。", "案件已被他人修改，請重新整理後再試。",
                         "Someone else changed the case; reload and try again."),
    "payload_too_large": ("请求内容过大。", "請求內容過大。", "The request body is too large."),
    "validation_error": ("提交的内容不符合要求，请检查标出的字段。", "提交的內容不符合要求，請檢查標示的欄位。",
                         "Some of what you sent is not valid; check the field named."),
    "rate_limited": ("操作过于频繁，请稍后再试。", "操作過於頻繁，請稍後再試。",
                     "Too many requests; try again later."),
    "service_busy": ("系统繁忙，请稍后重试。", "系統繁忙，請稍後再試。", "We are busy; retry in a moment."),
    "internal_error": ("系统出错了，请稍后再试。", "系統出錯了，請稍後再試。", "Something went wrong on our side."),
    "unsupported_media_type": ("请以 JSON 格式发送（Content-Type: application/json）。",
                               "請以 JSON 格式傳送（Content-Type: application/json）。",
                               "Send JSON (Content-Type: application/json)."),
    "method_not_allowed": ("此地址不支持该请求方法。", "此地址不支援該請求方法。",
                           "This method is not allowed here."),
    # sign-in
    "missing_token": ("请先登录（缺少访问令牌）。", "請先登入（缺少存取權杖）。", "Sign in first (no access token)."),
    "invalid_token": ("登录凭证无效，请重新登录。", "登入憑證無效，請重新登入。",
                      "Your sign-in is not valid; sign in again."),
    "token_expired": ("登录已过期，请重新登录。", "登入已過期，請重新登入。", "Your sign-in has expired; sign in again."),
    "auth_not_configured": ("登录服务暂不可用。", "登入服務暫不可用。", "Sign-in is not available right now."),
    # input
    "invalid_json": ("请求内容不是有效的 JSON。", "請求內容不是有效的 JSON。", "The body is not valid JSON."),
    "invalid_query": ("查询参数不正确。", "查詢參數不正確。", "A query parameter is not valid."),
    "invalid_path": ("地址中的参数不正确。", "網址中的參數不正確。", "A value in the path is not valid."),
    "invalid_cursor": ("分页游标无效，请从第一页重新开始。", "分頁游標無效，請從第一頁重新開始。",
                       "The cursor is not valid; start again from the first page."),
    "invalid_idempotency_key": ("Idempotency-Key 须为 1 至 128 个可见 ASCII 字符。",
                                "Idempotency-Key 須為 1 至 128 個可見 ASCII 字元。",
                                "Idempotency-Key must be 1 to 128 visible ASCII characters."),
    "idempotency_key_reused": ("该 Idempotency-Key 已用于另一个请求。", "該 Idempotency-Key 已用於另一個請求。",
                               "This Idempotency-Key was used for a different request."),
    "invalid_day": ("日期格式应为 YYYY-MM-DD。", "日期格式應為 YYYY-MM-DD。", "The day must be YYYY-MM-DD."),
    "invalid_month": ("月份格式应为 YYYY-MM。", "月份格式應為 YYYY-MM。", "The month must be YYYY-MM."),
    "invalid_shift_end": ("交班时间格式不正确。", "交班時間格式不正確。", "The shift end is not a valid time."),
    "invalid_notification": ("无法识别的通知。", "無法識別的通知。", "The notification is not one we understand."),
    # not found
    "case_not_found": ("找不到该案件。", "找不到該案件。", "No such case."),
    "property_not_found": ("找不到该物业。", "找不到該物業。", "No such property."),
    "reply_not_found": ("找不到该书面答复。", "找不到該書面回覆。", "No such reply."),
    "attachment_not_found": ("找不到该附件。", "找不到該附件。", "No such attachment."),
    "handover_not_found": ("找不到该交班记录。", "找不到該交班記錄。", "No such handover."),
    "tenant_not_found": ("您尚未登记为该物业的住户。", "您尚未登記為該物業的住戶。",
                         "You are not registered as a tenant of this property."),
    # duplicates (chalicelib/domain/dedupe.py)
    "target_not_found": ("找不到目标案件。", "找不到目標案件。", "No such target case."),
    "same_case": ("不能与同一案件关联或合并。", "不能與同一案件關聯或合併。",
                  "A case is linked or merged with another case of its property."),
    "already_merged": ("该案件已合并到其他案件。", "該案件已合併到其他案件。", "That case was already merged."),
    "already_linked": ("该案件已关联，一个案件只能跟随一个主案件。", "該案件已關聯，一個案件只能跟隨一個主案件。",
                       "A case follows one owner, and an owner follows nobody."),
    "not_open": ("只有处理中的案件可以关联或合并。", "只有處理中的案件可以關聯或合併。",
                 "Only open cases are linked or merged."),
    "has_followers": ("有其他案件跟随此案件，不能合并。", "有其他案件跟隨此案件，不能合併。",
                      "Other cases follow this one; it is not merged away."),
    "not_same_reporter": ("只有同一报告人的案件可以合并，其他人的请关联。", "只有同一報告人的案件可以合併，其他人的請關聯。",
                          "Only the same reporter's cases are merged; link another reporter's."),
    "not_suggested": ("该案件不在此案件的疑似重复列表中。", "該案件不在此案件的疑似重複列表中。",
                      "That case is not suggested as a duplicate of this one."),
    # cases
    "unknown_case": ("所引用的案件不是您的案件。", "所引用的案件不是您的案件。", "That case is not one of yours."),
    "unknown_tenant": ("该住户未在本物业登记。", "該住戶未在本物業登記。", "That tenant is not registered here."),
    "repeat_of_open_case": ("原案件仍在处理中，请在原案件中补充信息。", "原案件仍在處理中，請在原案件中補充資料。",
                            "That case is still open; add a message to it instead."),
    "attachment_not_stored": ("附件必须是系统中已保存的文件。", "附件必須是系統中已儲存的檔案。",
                              "Attachments must be files stored with us."),
    "already_rated": ("您已经评价过这个案件。", "您已經評價過這個案件。", "You have already rated this case."),
    "reopen_period_over": ("已超过可重新打开的期限，请提交新的投诉。", "已超過可重新開啟的期限，請提交新的投訴。",
                           "The reopen period is over; submit a new case."),
    "busy_retry": ("同时提交的请求太多，请重试。", "同時提交的請求太多，請再試。", "Too many requests at once; try again."),
    "outside_department": ("该案件属于其他部门，且未指派给您。", "該案件屬於其他部門，且未指派給您。",
                           "This case belongs to another department and is not assigned to you."),
    "invalid_not_confirmed": ("经理尚未确认该投诉无效。", "經理尚未確認該投訴無效。",
                              "A manager has not confirmed this complaint invalid yet."),
    "written_reply_required": ("书面投诉须先发出经批准的书面答复。", "書面投訴須先發出經批准的書面回覆。",
                               "A written complaint needs an approved written reply first."),
    "manager_decision_required": ("此操作须由经理决定。", "此操作須由經理決定。", "A manager must decide this."),
    "callback_attempts_remaining": ("回访次数未满，暂不能按联系不上结案。", "回訪次數未滿，暫不能按聯絡不上結案。",
                                    "Not all callback attempts were made yet."),
    "invalid_promise": ("承诺时间不正确。", "承諾時間不正確。", "The promised time is not valid."),
    "promise_too_late": ("承诺时间超过了该类问题的处理时限。", "承諾時間超過了該類問題的處理時限。",
                         "The promised time is later than this category allows."),
    "promise_exists": ("已经承诺过处理时间，请改用修改承诺。", "已經承諾過處理時間，請改用修改承諾。",
                       "A time was promised already; move the promise instead."),
    "no_promise": ("尚未承诺处理时间。", "尚未承諾處理時間。", "No time has been promised yet."),
    # written replies
    "not_a_written_case": ("只有书面投诉（邮件、信函）才有书面答复。", "只有書面投訴（電郵、信函）才有書面回覆。",
                           "Only written cases (email, letter) get written replies."),
    "not_the_author": ("只有起草人可以修改该答复。", "只有起草人可以修改該回覆。", "Only the reply's author may revise it."),
    "own_reply": ("不能批准自己起草的答复。", "不能批准自己起草的回覆。", "You cannot approve your own reply."),
    "not_a_letter": ("该答复不是信函。", "該回覆不是信函。", "This reply is not a letter."),
    "not_an_email_reply": ("该答复不是邮件。", "該回覆不是電郵。", "This reply is not an email."),
    "reply_version_conflict": ("答复已被他人修改，请刷新后重试。", "回覆已被他人修改，請重新整理後再試。",
                               "Someone else changed the reply; reload and try again."),
    "lease_active": ("该答复正在发送中。", "該回覆正在發送中。", "The reply is being sent right now."),
    # properties and reports
    "invalid_policy": ("时限设置不正确。", "時限設定不正確。", "The policy is not valid."),
    "invalid_quotas": ("限额设置不正确。", "限額設定不正確。", "The quotas are not valid."),
    "invalid_department_contacts": ("部门联系人设置不正确。", "部門聯絡人設定不正確。",
                                    "The department contacts are not valid."),
    "escalation_contact_missing": ("每一级升级和值班岗都需要邮件地址。", "每一級升級和值班崗都需要電郵地址。",
                                   "Every escalation tier and the on-duty desk need an email address."),
    "already_signed": ("这一方已经签过交班记录。", "這一方已經簽過交班記錄。", "This side has signed already."),
    "same_signer": ("交接双方须由不同的人签名。", "交接雙方須由不同的人簽名。",
                    "The two sides must be signed by different people."),
    "day_not_over": ("这一天还没有结束。", "這一天還沒有結束。", "That day is not over yet."),
    # photos and files (chalicelib/domain/uploads.py)
    "unsupported_content_type": ("不支持该文件类型：可上传 JPEG、PNG、HEIC、WebP 照片或 MP4 短视频。",
                                 "不支援該檔案類型：可上傳 JPEG、PNG、HEIC、WebP 相片或 MP4 短片。",
                                 "This file type is not accepted: JPEG, PNG, HEIC, WebP photos or MP4 videos."),
    "upload_too_large": ("文件太大。", "檔案太大。", "The file is too large."),
    "upload_rejected": ("上传的文件与声明的类型或大小不符，已删除。", "上傳的檔案與聲明的類型或大小不符，已刪除。",
                        "The uploaded file does not match its declared type or size; it was deleted."),
    "upload_not_received": ("还没有收到上传的文件。", "尚未收到上傳的檔案。", "The file has not arrived yet."),
    "upload_not_found": ("找不到该上传。", "找不到該上傳。", "No such upload."),
    "upload_not_attachable": ("该上传不能附在这个案件上。", "該上傳不能附在這個案件上。",
                              "This upload cannot be attached here."),
    # sign-in and onboarding (chalicelib/services/onboarding.py)
    "account_active": ("该租户已经登录过，无需再次邀请。", "該租戶已登入過，無需再次邀請。",
                       "The tenant has signed in already; no invitation needed."),
    "account_disabled": ("该账号已停用。", "該帳號已停用。", "The account is disabled."),
    "email_in_use": ("该邮件地址已被另一位租户使用。", "該電郵地址已被另一位租戶使用。",
                     "Another tenant uses this email address."),
    "tenant_inactive": ("该租户已迁出。", "該租戶已遷出。", "The tenant has moved out."),
    "invalid_account_details": ("登录服务不接受该邮件地址或电话号码。", "登入服務不接受該電郵地址或電話號碼。",
                                "The sign-in service refused this email address or phone number."),
    "sign_in_not_configured": ("本环境没有配置登录服务。", "本環境沒有設定登入服務。",
                               "Sign-in is not configured here."),
    "service_unavailable": ("服务暂时不可用，请稍后再试。", "服務暫時不可用，請稍後再試。",
                            "The service is unavailable; try again later."),
    # the key register (chalicelib/domain/keys.py)
    "unknown_key": ("钥匙登记册里没有这把钥匙。", "鑰匙登記冊裡沒有這把鑰匙。", "No such key in the register."),
    "key_exists": ("该钥匙编号已经登记。", "該鑰匙編號已經登記。", "A key with this number is registered already."),
    "key_not_in_cabinet": ("这把钥匙不在钥匙柜里，不能借出。", "這把鑰匙不在鑰匙櫃內，不能借出。",
                           "The key is not in the cabinet; it cannot be lent."),
    "key_not_lent": ("这把钥匙没有借出，无需归还。", "這把鑰匙沒有借出，無需歸還。", "The key is not out."),
    "lead_issues_keys": ("工作时间内只有当班领班（或经理以上）可以发放钥匙。",
                         "工作時間內只有當班領班（或經理以上）可以發放鑰匙。",
                         "In working hours only the shift lead (or a manager) issues keys."),
    "lock_not_changed": ("换锁完成之前不能补发钥匙。", "換鎖完成之前不能補發鑰匙。",
                         "New keys only after the lock has been changed."),
    "entry_refused": ("租户不同意用备用钥匙入户。", "租戶不同意用備用鑰匙入屋。",
                      "The tenant refused entry with the spare key."),
    "entry_permission_missing": ("租户还没有同意入户；紧急情况请注明原因。", "租戶尚未同意入屋；緊急情況請註明原因。",
                                 "The tenant has not allowed entry; in an emergency give a reason."),
    "invalid_slot": ("时间段不正确：须在将来，且结束晚于开始。", "時段不正確：須在將來，且結束晚於開始。",
                     "The time slot is not valid: it must be in the future and end after it starts."),
    "invalid_due": ("应还时间不正确：须在将来。", "應還時間不正確：須在將來。",
                    "The due time is not valid: it must be in the future."),
    # the handover logbook (chalicelib/domain/logbook.py)
    "checklist_incomplete": ("交班检查项还没有逐项标记。", "交班檢查項目尚未逐項標記。",
                             "Mark every checklist item first."),
    "shift_not_over": ("这一班还没有结束。", "這一班尚未結束。", "The shift is not over yet."),
    "shift_over": ("这一班已经结束，不能再修改。", "這一班已經結束，不能再修改。",
                   "The shift is over; it can no longer be changed."),
    "outgoing_signs_first": ("须由交班人先签名。", "須由交班人先簽名。", "The outgoing side signs first."),
    "logbook_signed": ("交接记录已经签署。", "交接記錄已經簽署。", "The logbook is signed already."),
    "already_refused": ("接班人已经拒绝接班。", "接班人已經拒絕接班。", "The incoming side has refused already."),
    "not_refused": ("接班人没有拒绝接班。", "接班人沒有拒絕接班。", "The handover was not refused."),
    "refusal_unanswered": ("交班人须先答复拒绝接班的理由。", "交班人須先答覆拒絕接班的理由。",
                           "The outgoing side must answer the refusal first."),
    "not_accepted": ("交接还没有完成，不能审阅。", "交接尚未完成，不能審閱。",
                     "The handover is not accepted yet; it cannot be reviewed."),
    "already_reviewed": ("领班已经审阅过。", "領班已經審閱過。", "The shift lead has reviewed it already."),
    "entry_not_found": ("找不到这条工作日记。", "找不到這條工作日記。", "No such diary entry."),
    "entry_id_taken": ("该日记编号已被使用。", "該日記編號已被使用。", "This diary entry id is taken."),
    "not_author": ("只有记录人本人可以修改这条日记。", "只有記錄人本人可以修改這條日記。",
                   "Only its author may correct this entry."),
    "diary_version_conflict": ("日记已被他人修改，请刷新后重试。", "日記已被他人修改，請重新整理後再試。",
                               "Someone else changed the entry; reload and try again."),
    # report schedules (chalicelib/domain/report_schedules.py)
    "invalid_report_schedule": ("报表计划有误，请检查标出的字段。", "報表計劃有誤，請檢查標出的欄位。",
                                "A report schedule is not valid; check the field named."),
    "report_schedules_version_conflict": ("报表计划已被他人修改，请刷新后重试。", "報表計劃已被他人修改，請重新整理後再試。",
                                          "Someone else changed the report schedules; reload and try again."),
    "report_schedule_not_found": ("找不到该报表计划。", "找不到該報表計劃。", "No such report schedule."),
    "report_sync_busy": ("报表计划正被同时修改，请稍后重试。", "報表計劃正被同時修改，請稍後再試。",
                         "The report schedules are being changed at this moment; try again shortly."),
    # the owner archive (chalicelib/domain/archive.py)
    # the public web form
    "submission_expired": ("提交已过期，请重新填写表单。", "提交已過期，請重新填寫表單。",
                           "This submission has expired; please fill in the form again."),
    "wrong_code": ("验证码不正确，请重试。", "驗證碼不正確，請再試。", "The code is not right; try again."),
    "code_attempts_used_up": ("验证码错误次数过多，请重新填写表单。", "驗證碼錯誤次數過多，請重新填寫表單。",
                              "Too many wrong codes; please fill in the form again."),
    "contact_required": ("请留下邮箱或手机号码，以便我们联系您。", "請留下電郵或手機號碼，以便我們聯絡您。",
                         "Give an email address or a phone number so we can reach you."),
    "place_required": ("请说明发生的地点。", "請說明發生的地點。", "Say where it is."),
    "unknown_location": ("业主档案里没有这个位置。", "業主檔案裡沒有這個位置。", "The archive has no such place."),
    "unknown_building": ("业主档案里没有这栋楼。", "業主檔案裡沒有這棟樓。", "The archive has no such building."),
    "unknown_unit": ("业主档案里没有这个单元。", "業主檔案裡沒有這個單位。", "The archive has no such unit."),
    "building_not_found": ("找不到这栋楼。", "找不到這棟樓。", "No such building."),
    "unit_not_found": ("找不到这个单元。", "找不到這個單位。", "No such unit."),
    "resident_not_found": ("找不到这位住户。", "找不到這位住戶。", "No such resident."),
    "resident_ended": ("该住户已迁出，记录只读。", "該住戶已遷出，記錄唯讀。",
                       "The resident has moved out; the record is read-only."),
    "invalid_phone": ("电话号码不正确。", "電話號碼不正確。", "The phone number is not valid."),
    "invalid_id": ("编号格式不正确。", "編號格式不正確。", "The id is not valid."),
    "duplicate_id": ("编号重复。", "編號重複。", "The id is used twice."),
    "invalid_date": ("日期不正确。", "日期不正確。", "The date is not valid."),
    "occurred_in_future": ("发生时间不能晚于现在。", "發生時間不能晚於現在。", "The event time cannot be in the future."),
    # tenant notifications (chalicelib/domain/notify.py)
    "notification_not_found": ("找不到该通知。", "找不到該通知。", "No such notification."),
    "device_not_found": ("找不到该设备。", "找不到該裝置。", "No such device."),
    "subscription_not_found": ("找不到该浏览器订阅。", "找不到該瀏覽器訂閱。", "No such browser subscription."),
    "invalid_device_token": ("设备推送令牌不正确。", "裝置推送令牌不正確。", "The device's push token is not valid."),
    "invalid_push_endpoint": ("不接受该推送地址。", "不接受該推送地址。", "This push endpoint is not accepted."),
    "invalid_push_keys": ("推送订阅的密钥不正确。", "推送訂閱的密鑰不正確。", "The push subscription's keys are not valid."),
    "push_unavailable": ("本环境没有配置手机推送。", "本環境沒有設定手機推送。", "Mobile push is not configured here."),
    "webpush_unavailable": ("本环境没有配置浏览器推送。", "本環境沒有設定瀏覽器推送。", "Web Push is not configured here."),
    # the case library (chalicelib/domain/library.py)
    "unknown_entry": ("案例库中没有该条目。", "案例庫中沒有該條目。", "No such entry in this property's library."),
    "entry_exists": ("该条目编号已存在。", "該條目編號已存在。", "An entry with this id exists."),
    "case_not_closed": ("只有回访完成或已结案的案件才能推荐到案例库。", "只有回訪完成或已結案的案件才能推薦到案例庫。",
                        "Only a case whose callback is done, or that is closed, is proposed for the library."),
    "not_draft": ("只有草稿可以提交审批。", "只有草稿可以提交審批。", "Only a draft is submitted for approval."),
    "not_pending": ("该条目不在待审批状态。", "該條目不在待審批狀態。", "The entry is not waiting for approval."),
    "own_entry": ("作者不能审批自己的条目。", "作者不能審批自己的條目。", "The author of an entry does not approve it."),
    "tenant_data_left": ("内容中仍有该案件住户的姓名、电话或房号，请先删除。", "內容中仍有該案件住戶的姓名、電話或房號，請先刪除。",
                         "The text still contains the case's tenant data (name, phone or unit): remove it first."),
    "entry_not_approved": ("只有已审批的条目才能记录使用。", "只有已審批的條目才能記錄使用。",
                           "Only an approved entry is recorded as used."),
    "entry_retired": ("该条目已停用。", "該條目已停用。", "The entry is retired."),
}

MESSAGES: dict[str, dict[str, str]] = {code: dict(zip(LANGS, texts, strict=True))
                                       for code, texts in _MESSAGES.items()}

# Accept-Language tags -> our languages. Script subtags win; then regions.
_HANT_REGIONS = frozenset({"tw", "hk", "mo"})


def language_of(tag: str) -> str | None:
    """One Accept-Language range as one of our languages, or None."""
    parts = tag.strip().lower().replace("_", "-").split("-")
    if not parts or not parts[0]:
        return None
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    rest = set(parts[1:])
    if "hant" in rest:
        return "zh-Hant"
    if "hans" in rest:
        return "zh-Hans"
    return "zh-Hant" if rest & _HANT_REGIONS else "zh-Hans"  # zh, zh-CN, zh-SG, ...


def negotiate(header: str | None) -> str | None:
    """The caller's preferred language of ours from an Accept-Language header
    (q-values honoured, ``q=0`` refused, earlier wins a tie); None when it
    names none of ours (then the token's language applies)."""
    if not header or len(header) > 500:
        return None
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(header.split(",")):
        tag, *params = item.split(";")
        q = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = language_of(tag)
        if lang is None or not 0 < q <= 1:
            continue
        if best is None or q > best[0] or (q == best[0] and position < best[1]):
            best = (q, position, lang)
    return best[2] if best else None


def message(code: str, lang: str) -> str | None:
    """The code's message in ``lang`` (one of ``LANGS``), None for a code not catalogued."""
    texts = MESSAGES.get(code)
    return None if texts is None else texts.get(lang, texts[FALLBACK_LANG])

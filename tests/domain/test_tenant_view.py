"""What a tenant sees of their case, for every action the lifecycle has.

Every transition in ``cases.ACTIONS`` and every event type that can appear on
a trail (``cases.ALLOWED_FROM``, plus "submitted") is walked with real rules.
Staff text meant to stay internal carries the marker ``INTERNAL``; text written
for the tenant carries ``FOR-TENANT``. The tenant's view must hold no internal
marker, show every text written for them, and hold only allow-listed fields.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from chalicelib.domain import cases, deadlines, escalation
from chalicelib.domain.cases import Actor
from chalicelib.domain.views import (
    TENANT_CASE_FIELDS,
    TENANT_EVENT_DATA,
    TENANT_OWN_EVENT_DATA,
    TENANT_REPORTER_FIELDS,
    case_view,
    event_view,
    tenant_sees,
)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
POLICY = deadlines.Policy.from_dict({})
DESK = Actor("front_desk-1", "front_desk", "前台小王")
ENGINEER = Actor("dept_staff-1", "dept_staff", "工程部张师傅")
MANAGER = Actor("manager-1", "manager", "王经理")
TENANT = Actor("tenant-1", "tenant", "李女士")
MANAGER = Actor("manager-1", "manager", "王经理")
POLICY_AUTHOR = Actor("manager-2", "manager", "INTERNAL-policy-author")


class Trail:
    """One case moved through actions, keeping every event."""

    def __init__(self, actor: Actor, params: dict):
        self.now = T0
        change = cases.new_case(property_id="P1", case_id="TD-20261123-0001", actor=actor, params=params, now=T0,
                                policy=POLICY)
        self.case, self.events = change.case, [change.event]

    def apply(self, fn, *args) -> Trail:
        self.now += timedelta(minutes=5)
        change = fn(self.case, *args)
        self.case = change.case
        self.events.append(change.event)
        return self

    def act(self, action: str, actor: Actor, **params) -> Trail:
        return self.apply(lambda c: cases.ACTIONS[action](c, actor, params, self.now, POLICY))


def _logged_call() -> Trail:
    return Trail(DESK, {"channel": "phone", "unit": "3栋1201", "content": "业主来电：空调不制冷",
                        "reporter": {"name": "李女士", "phone": "138 0000 0000", "tenant_id": "tenant-1",
                                     "contacts": {"manager": "INTERNAL-reporter-contact@example.cn"}},
                        "kind": "complaint", "severity": "major", "cause": "equipment_facility",
                        "validity": "valid", "department": "engineering"})


def trails() -> list[Trail]:
    """Every action, by staff with internal text wherever a field allows it."""
    full = (_logged_call()
            .act("classify", DESK, category="air_conditioning", reason="INTERNAL-classify-reason")
            .act("assign", DESK, assignee="dept_staff-1", department="engineering", note="INTERNAL-assign-note")
            .act("start", ENGINEER)
            .act("note", ENGINEER, note="INTERNAL-note")
            .act("respond", ENGINEER, message="FOR-TENANT-respond", via="phone")
            .act("escalate", DESK, reason="INTERNAL-escalate-reason")
            .act("message", TENANT, text="补充照片 tenant-message", attachments=[{"ref": "attachments/P1/x/1-a.jpg"}])
            .act("resolve", ENGINEER, resolution="FOR-TENANT-resolve")
            .act("callback", DESK, reached=False, comment="INTERNAL-callback-missed")
            .act("reopen", DESK, reason="INTERNAL-staff-reopen-reason")
            .act("resolve", ENGINEER, resolution="FOR-TENANT-resolve-again")
            .act("callback", DESK, reached=True, satisfied=True, comment="INTERNAL-callback-comment")
            .act("rate", TENANT, score=5, comment="tenant-rating")
            .act("written_reply", DESK, reply_id="R20261123000000abcd", medium="email", subject="FOR-TENANT-subject",
                 message="FOR-TENANT-written-reply", message_id="<INTERNAL-msgid@tenantdesk>",
                 approver="INTERNAL-approver")
            .act("close", DESK, summary="INTERNAL-close-summary"))
    reopened = (Trail(TENANT, {"unit": "3栋1201", "content": "楼道灯坏了"})
                .act("assign", DESK, assignee="dept_staff-1", department="engineering")
                .act("start", ENGINEER).act("resolve", ENGINEER, resolution="FOR-TENANT-fixed")
                .act("reopen", TENANT, reason="tenant-reopen-reason"))
    reopened.apply(lambda c: escalation.renew(c, reopened.now, POLICY))
    major = full.case.escalations and "major" in full.case.escalations
    assert major
    # the watcher's records (escalation_notified) on an open case
    escalated = _logged_call()
    escalated.apply(lambda c: escalation.mark_notified(c, "major", ["INTERNAL-director@example.cn"], escalated.now,
                                                  POLICY, deferred_to="INTERNAL-manager@example.cn"))
    # ... and the one that found nobody to tell (escalation_unrouted)
    unrouted = _logged_call()
    unrouted.apply(lambda c: escalation.mark_unrouted(c, "major", unrouted.now, POLICY))
    answered = (Trail(TENANT, {"unit": "3栋1201", "content": "物业费怎么交？"})
                .act("classify", DESK, kind="consultation", reason="INTERNAL-reason")
                .act("answer", DESK, message="FOR-TENANT-answer")
                # the case library (chalicelib/domain/library.py): staff's records, never the tenant's
                .act("used_entry", DESK, entry_id="INTERNAL-L1", title="INTERNAL-entry-title", version=2)
                .act("library_proposed", DESK, entry_id="INTERNAL-L2", title="INTERNAL-proposed-title"))
    explained = (Trail(TENANT, {"unit": "3栋1201", "content": "隔壁装修太吵"})
                 .act("classify", DESK, kind="complaint", validity="invalid", reason="INTERNAL-reason")
                 .act("confirm_invalid", MANAGER, reason="INTERNAL-confirm-reason")
                 .act("explain", DESK, message="FOR-TENANT-explain", via="phone"))
    # the front desk's proposal the manager turned down: the tenant never learns it was proposed
    rejected = (Trail(TENANT, {"unit": "3栋1201", "content": "大堂地面湿滑"})
                .act("classify", DESK, kind="complaint", validity="invalid", reason="INTERNAL-proposal")
                .act("reject_invalid", MANAGER, reason="INTERNAL-reject-reason"))
    # the problem came back after closing: the tenant reopens within the period; an engineer's
    # mail on the thread is an internal note; later, a new case repeats the old one
    back = (Trail(TENANT, {"unit": "3栋1201", "content": "楼道灯又坏了"})
            .act("classify", DESK, kind="consultation")
            .act("answer", DESK, message="FOR-TENANT-answer-before-reopen")
            .act("reopen", TENANT, reason="tenant-reopen-after-close"))
    back.apply(lambda c: cases.staff_read(c, DESK, back.now))  # the desk opened it: the unread marker clears
    staff_mail = {"note": "INTERNAL-staff-mail-note", "via": "email", "from": "INTERNAL-engineer@example.cn",
                  "attachments": [{"ref": "attachments/P1/x/1-INTERNAL.jpg"}]}
    back.act("note", Actor("INTERNAL-engineer@example.cn", "staff_mail", "INTERNAL-engineer"), **staff_mail)
    repeat = Trail(TENANT, {"unit": "3栋1201", "content": "楼道灯第三次坏了", "repeat_of": "TD-20261101-0001"})
    # the property's policy changed (a shorter reply window): deadlines recomputed, an internal record
    shortened = _logged_call()
    shorter = deadlines.Policy.from_dict({"windows": {"reply_equipment_facility": {"amount": 1,
                                                                                   "unit": "working_days"}}})
    shortened.apply(lambda c: cases.policy_changed(c, POLICY_AUTHOR, shortened.now, shorter))
    # A promise moved, a wait on the tenant (answered, and one resumed by staff
    # after the watcher's reminder), and a case closed as unreachable.
    waited = (Trail(TENANT, {"unit": "3栋1201", "content": "卫生间漏水"})
              .act("classify", DESK, kind="complaint", validity="valid", cause="equipment_facility")
              .act("assign", DESK, assignee="dept_staff-1", department="engineering")
              .act("respond", ENGINEER, message="FOR-TENANT-respond-promise", via="phone")
              .act("move_promise", ENGINEER, promised_by="2026-11-30T10:00:00+08:00", reason="FOR-TENANT-move")
              .act("await_tenant", ENGINEER, reason="access", message="FOR-TENANT-question")
              .act("message", TENANT, text="tenant-answer")
              .act("await_tenant", ENGINEER, reason="unreachable")
              .act("resume", ENGINEER, note="INTERNAL-resume-note"))
    waited.apply(lambda c: escalation.remind_promise(c, waited.now, POLICY))
    unreachable = (Trail(TENANT, {"unit": "3栋1201", "content": "门禁卡失效"})
                   .act("assign", DESK, assignee="dept_staff-1", department="engineering")
                   .act("start", ENGINEER).act("resolve", ENGINEER, resolution="FOR-TENANT-card")
                   .act("callback", DESK, reached=False, comment="INTERNAL-cb-1")
                   .act("callback", DESK, reached=False, comment="INTERNAL-cb-2")
                   .act("callback", DESK, reached=False, comment="INTERNAL-cb-3")
                   .act("close_unreachable", MANAGER, summary="INTERNAL-unreachable-summary"))
    # Entry with the spare key (seed 000 篇2): the tenant's word, the front desk's on their
    # behalf, and a key of the register lent for the case and returned.
    entered = (Trail(TENANT, {"unit": "3栋1201", "content": "厨房漏水，我在出差"})
               .act("entry_permission", TENANT, granted=True, note="tenant-entry-note",
                    slots=[{"from": "2026-11-24T14:00", "to": "2026-11-24T17:00"}])
               .act("entry_permission", DESK, granted=True, note="FOR-TENANT-entry-note")
               .act("key_entry", DESK, stage="lent", key_id="K-1201", borrower="工程部张师傅",
                    slot="INTERNAL-slot-A3", loan_id="INTERNAL-loan", issued_by={"name": "INTERNAL-issuer"})
               .act("key_entry", DESK, stage="returned", key_id="K-1201", borrower="工程部张师傅",
                    slot="INTERNAL-slot-A3", loan_id="INTERNAL-loan"))
    # An app case with its place picked from the archive and the time it happened; later the
    # front desk corrects the place (locate): the tenant reads the label, never the archive's ids.
    located = (Trail(TENANT, {"content": "厨房水管漏水", "occurred_at": "2026-11-23T09:30:00+08:00",
                              "location": LOCATION_PICKED})
               .act("locate", DESK, location=LOCATION_MATCHED))
    # A shop tenant's case that affects their business; the desk's call misses them, and the
    # tenant answers the follow-up in the app themselves (confirm): they see their own answer only.
    confirmed = (Trail(TENANT, {"unit": "L2-15", "content": "店门口冷气坏了", "business_affected": True})
                 .act("classify", DESK, kind="complaint", validity="valid")
                 .act("assign", DESK, assignee="dept_staff-1", department="engineering")
                 .act("start", ENGINEER).act("resolve", ENGINEER, resolution="FOR-TENANT-cooling-fixed")
                 .act("callback", DESK, reached=False, comment="INTERNAL-confirm-callback-missed")
                 .act("confirm", TENANT, satisfied=False, comment="tenant-confirm-comment", score=2))
    return [full, reopened, escalated, unrouted, answered, explained, rejected, back, repeat, shortened, waited,
            unreachable, entered, confirmed, located]


LOCATION_PICKED = {"kind": "unit", "building_id": "INTERNAL-b3", "unit_id": "INTERNAL-3-1201",
                   "label": "FOR-TENANT-3栋 1201"}
LOCATION_MATCHED = {**LOCATION_PICKED, "room_id": "INTERNAL-kitchen", "label": "FOR-TENANT-3栋 1201 厨房"}


def tenant_view(trail: Trail) -> dict:
    view = case_view(trail.case, now=trail.now, staff=False)
    view["timeline"] = [event_view(e, staff=False) for e in trail.events if tenant_sees(e)]
    return view


def test_the_walk_covers_every_action_and_every_event_type():
    walked = {e.action for t in trails() for e in t.events}
    assert walked == {"submitted"} | set(cases.ACTIONS) | set(cases.ALLOWED_FROM)


def test_tenant_view_holds_no_internal_staff_text_after_any_action():
    staff_text = ""
    for trail in trails():
        text = json.dumps(tenant_view(trail), ensure_ascii=False)
        assert "INTERNAL" not in text, text
        staff_text += json.dumps(case_view(trail.case, now=trail.now, staff=True), ensure_ascii=False) + json.dumps(
            [event_view(e, staff=True) for e in trail.events], ensure_ascii=False, default=str)
    # the walk did write internal text, and staff still see all of it
    for marker in ("INTERNAL-assign-note", "INTERNAL-callback-comment", "INTERNAL-close-summary", "INTERNAL-note",
                   "INTERNAL-staff-reopen-reason", "INTERNAL-director@example.cn", "INTERNAL-manager@example.cn",
                   "INTERNAL-approver",
                   "INTERNAL-confirm-reason", "INTERNAL-reject-reason", "INTERNAL-staff-mail-note",
                   "INTERNAL-engineer@example.cn"):
        assert marker in staff_text, marker


def test_tenant_sees_every_text_written_for_them_and_their_own_words():
    seen = " ".join(json.dumps(tenant_view(t), ensure_ascii=False) for t in trails())
    for text in ("FOR-TENANT-respond", "FOR-TENANT-resolve", "FOR-TENANT-resolve-again", "FOR-TENANT-written-reply",
                 "FOR-TENANT-subject", "FOR-TENANT-answer", "FOR-TENANT-explain", "FOR-TENANT-fixed",
                 "tenant-message", "tenant-rating", "tenant-reopen-reason", "业主来电：空调不制冷",
                 "tenant-reopen-after-close", "TD-20261101-0001", "FOR-TENANT-3栋 1201 厨房",
                 "FOR-TENANT-cooling-fixed", "tenant-confirm-comment",
                 "2026-11-23T01:30:00.000000Z"):
        assert text in seen, text


def test_tenant_view_holds_only_allow_listed_fields():
    for trail in trails():
        view = tenant_view(trail)
        assert set(view) - {"timeline"} <= TENANT_CASE_FIELDS
        assert set(view["reporter"]) <= TENANT_REPORTER_FIELDS
        for event in view["timeline"]:
            assert set(event) == {"seq", "at", "action", "actor", "data"}
            assert set(event["actor"]) == {"role", "name"}
            allowed = TENANT_EVENT_DATA[event["action"]]
            if event["actor"]["role"] == "tenant":
                allowed |= TENANT_OWN_EVENT_DATA.get(event["action"], frozenset())
            assert set(event["data"]) <= allowed, event


def test_internal_actions_do_not_appear_on_the_tenants_timeline():
    shown = {e["action"] for t in trails() for e in tenant_view(t)["timeline"]}
    assert not shown & {"classify", "note", "escalate", "start", "escalation_notified", "escalation_unrouted",
                        "watch_renewed", "confirm_invalid", "reject_invalid"}
    assert {"submitted", "assign", "respond", "resolve", "callback", "close", "answer", "explain", "written_reply",
            "message", "rate", "reopen"} <= shown


def test_the_tenant_sees_the_location_label_and_when_it_happened_not_the_archive_ids():
    located = trails()[-1]
    view = tenant_view(located)
    assert view["location"] == {"label": "FOR-TENANT-3栋 1201 厨房"}
    assert view["occurred_at"] == "2026-11-23T01:30:00.000000Z"
    assert [e["action"] for e in view["timeline"]] == ["submitted"]  # matching the place is staff's own record
    staff = case_view(located.case, now=located.now, staff=True)
    assert staff["location"] == LOCATION_MATCHED
    assert located.events[-1].data == {"location": LOCATION_MATCHED, "previous": LOCATION_PICKED,
                                       "unit": "FOR-TENANT-3栋 1201"}


def test_an_action_nobody_listed_is_internal():
    event = cases.Event(seq=9, at=T0, actor=DESK, action="some_future_action", changes={},
                        data={"text": "INTERNAL-new"})
    assert not tenant_sees(event)
    assert event_view(event, staff=False)["data"] == {}


def test_the_tenant_never_sees_that_the_front_desk_proposed_their_complaint_invalid():
    proposed = (Trail(TENANT, {"unit": "3栋1201", "content": "隔壁装修太吵"})
                .act("classify", DESK, kind="complaint", validity="invalid"))
    view = tenant_view(proposed)
    assert "invalid" not in json.dumps(view, ensure_ascii=False)
    assert not {"validity", "validity_confirmed"} & set(view)
    staff = case_view(proposed.case, now=proposed.now, staff=True)
    assert staff["validity"] == "invalid" and staff["validity_confirmed"] is False


def test_the_tenant_sees_their_own_callback_answer_and_flag_not_the_desks_call():
    confirmed = next(t for t in trails() if t.case.unit == "L2-15")
    view = tenant_view(confirmed)
    assert view["status"] == "callback_done" and view["business_affected"] is True
    assert view["callback"] == {"satisfied": False, "comment": "tenant-confirm-comment", "at": view["callback"]["at"],
                                "channel": "app"}
    assert view["rating"]["score"] == 2
    actions = [e["action"] for e in view["timeline"]]
    assert actions[-2:] == ["callback", "confirm"]
    assert view["timeline"][-1]["data"] == {"satisfied": False, "comment": "tenant-confirm-comment", "score": 2,
                                            "channel": "app"}
    assert view["timeline"][0]["data"]["business_affected"] is True
    # staff see the whole record: the tenant reached in the app, after one unanswered call
    staff = case_view(confirmed.case, now=confirmed.now, staff=True)
    assert staff["callback"]["by_tenant"] is True and staff["callback"]["attempts"] == 2
    assert staff["business_affected"] is True and staff["cause"] == "business_affected"

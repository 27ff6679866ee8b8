"""Written replies: approval by someone else, sent exactly once, threaded,
recorded on the case; against moto's DynamoDB and SES."""
from __future__ import annotations

import pytest

from chalicelib.adapters.ses import SesMailer
from chalicelib.domain import replies
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Forbidden, IllegalTransition, VersionConflict
from chalicelib.mail.outgoing import SendFailed
from chalicelib.services.reply_service import ReplyService

DESK = Principal("desk-1", "front_desk", frozenset({"P1"}), name="前台小王")
ENGINEER = Principal("eng-1", "dept_staff", frozenset({"P1"}), name="张师傅", department="engineering")
MANAGER = Principal("mgr-1", "manager", frozenset({"P1"}), name="王经理")
MANAGER2 = Principal("mgr-2", "manager", frozenset({"P1"}), name="李经理")
MANAGER_P2 = Principal("mgr-9", "manager", frozenset({"P2"}))
TENANT = Principal("tenant-1", "tenant", frozenset({"P1"}))


class FlakyMailer:
    """SES that refuses the first ``failures`` sends, then delegates to moto."""

    def __init__(self, failures: int):
        import boto3

        from chalicelib import config
        self.real = SesMailer(boto3.client("ses", region_name=config.region()))
        self.failures = failures
        self.calls = 0

    def send(self, mail):
        self.calls += 1
        if self.calls <= self.failures:
            raise SendFailed("Throttling: Maximum sending rate exceeded.")
        return self.real.send(mail)


@pytest.fixture
def mailer(mailbox):
    return FlakyMailer(failures=0)


@pytest.fixture
def outbox(svc, store, mailer):
    return ReplyService(svc, store, lambda: mailer)


def email_case(svc, channel="email", **reporter):
    body = {"channel": channel, "unit": "3栋1201", "title": "楼上漏水", "content": "书面投诉：楼上漏水已经一周，物业没有处理。",
            "reporter": {"name": "李女士", "email": "li.nvshi@example.cn", **reporter}, "department": "engineering"}
    if channel == "letter":
        body["reporter"] = {"name": "李女士"}
    case, _ = svc.log(DESK, "P1", body, None)
    return case


def test_reply_waits_for_approval_and_author_cannot_approve_own(outbox, svc, mailbox):
    case = email_case(svc)
    reply = outbox.draft(MANAGER, "P1", case.case_id, {"body": "李女士您好：我们已安排工程部检查漏水。"})
    assert reply.status == "pending" and mailbox() == []
    with pytest.raises(Forbidden) as err:
        outbox.approve(MANAGER, "P1", case.case_id, reply.reply_id)
    assert err.value.code == "own_reply"
    with pytest.raises(Forbidden):
        outbox.approve(ENGINEER, "P1", case.case_id, reply.reply_id)
    assert mailbox() == []


def test_approved_email_reply_is_sent_once_threaded_and_recorded(outbox, svc, store, mailbox):
    case = email_case(svc)
    svc.act(DESK, "P1", case.case_id, "classify", {"kind": "complaint", "department": "engineering"})
    svc.act(DESK, "P1", case.case_id, "assign", {"assignee": "eng-1"})
    reply = outbox.draft(ENGINEER, "P1", case.case_id, {"body": "李女士您好：工程部已于今日修复楼上管道。"})
    sent = outbox.approve(MANAGER, "P1", case.case_id, reply.reply_id)
    assert sent.status == "sent" and sent.provider_message_id
    [mail] = mailbox()
    assert mail["To"] == "li.nvshi@example.cn"
    assert case.case_id in mail["Subject"] and "书面答复" in mail["Subject"]
    assert "工程部已于今日修复楼上管道" in mail.get_content()
    assert "\n" not in str(mail["Subject"])
    stored = store.get_case("P1", case.case_id)
    assert stored.status == "responded" and stored.deadlines["response"].met_at is not None
    event = store.events(stored)[-1]
    assert event.action == "written_reply"
    assert event.data["message_id"] == sent.provider_message_id and event.data["approver"] == "mgr-1"
    # Replaying approval or delivery never sends a second copy.
    with pytest.raises(IllegalTransition):
        outbox.approve(MANAGER2, "P1", case.case_id, reply.reply_id)
    assert outbox.run_outbox() == {"sent": 0, "failed": 0, "uncertain": 0}
    assert len(mailbox()) == 1


def test_reply_to_an_email_case_threads_with_the_tenants_message(outbox, svc, mailbox):
    body = {"channel": "email", "unit": "3栋1201", "content": "邮件投诉", "mail_message_id": "abc@example.cn",
            "reporter": {"name": "李女士", "email": "li.nvshi@example.cn"}}
    from chalicelib.domain.cases import Actor
    case, _ = svc.create_as(Actor("mail-intake", "system"), "P1", body, None)
    reply = outbox.draft(DESK, "P1", case.case_id, {"body": "已收到，正在处理。"})
    outbox.approve(MANAGER, "P1", case.case_id, reply.reply_id)
    [mail] = mailbox()
    assert mail["In-Reply-To"] == "<abc@example.cn>"
    assert "<abc@example.cn>" in mail["References"]


def test_ses_failure_keeps_reply_approved_and_the_outbox_sends_it_exactly_once(svc, store, mailbox, clock):
    flaky = FlakyMailer(failures=1)
    outbox = ReplyService(svc, store, lambda: flaky)
    case = email_case(svc)
    reply = outbox.draft(DESK, "P1", case.case_id, {"body": "您好，已处理。"})
    result = outbox.approve(MANAGER, "P1", case.case_id, reply.reply_id)
    assert result.status == "approved" and result.attempts == 1 and "Throttling" in result.last_error
    assert mailbox() == []
    assert [r.reply_id for r in store.reply_queue("unsent", limit=10)[0]] == [reply.reply_id]
    clock.advance(minutes=5)
    assert outbox.run_outbox() == {"sent": 1, "failed": 0, "uncertain": 0}
    assert outbox.run_outbox() == {"sent": 0, "failed": 0, "uncertain": 0}
    assert len(mailbox()) == 1
    final = store.get_reply("P1", case.case_id, reply.reply_id)
    assert final.status == "sent" and final.attempts == 2
    assert [e.action for e in store.events(store.get_case("P1", case.case_id))].count("written_reply") == 1


def test_two_workers_delivering_the_same_reply_send_it_once(svc, store, mailbox):
    flaky = FlakyMailer(failures=1)
    outbox = ReplyService(svc, store, lambda: flaky)
    case = email_case(svc)
    reply = outbox.draft(DESK, "P1", case.case_id, {"body": "您好。"})
    approved = outbox.approve(MANAGER, "P1", case.case_id, reply.reply_id)  # refused once: approved, unsent
    stale_copy = store.get_reply("P1", case.case_id, reply.reply_id)
    first = outbox.deliver(approved)
    second = outbox.deliver(stale_copy)  # a second worker holding the same version loses the claim
    assert first.status == "sent" and second.status == "sent"
    assert len(mailbox()) == 1


def test_a_send_that_never_confirms_is_flagged_not_resent(svc, store, mailbox, clock):
    outbox = ReplyService(svc, store, lambda: FlakyMailer(0))
    case = email_case(svc)
    reply = outbox.draft(DESK, "P1", case.case_id, {"body": "您好。"})
    approved = outbox._save(reply, replies.approve(reply, MANAGER, now=clock()))
    outbox._save(approved, replies.claim_for_sending(approved, now=clock()))  # then the worker died
    assert outbox.run_outbox()["uncertain"] == 0  # still within its lease
    clock.advance(minutes=16)
    assert outbox.run_outbox() == {"sent": 0, "failed": 0, "uncertain": 1}
    assert store.get_reply("P1", case.case_id, reply.reply_id).status == "uncertain"
    assert mailbox() == []


def test_returned_reply_is_revised_by_its_author_only(outbox, svc):
    case = email_case(svc)
    reply = outbox.draft(ENGINEER, "P1", case.case_id, {"body": "初稿"})
    returned = outbox.return_for_changes(MANAGER, "P1", case.case_id, reply.reply_id, "请说明维修时间")
    assert returned.status == "returned" and returned.return_comment == "请说明维修时间"
    with pytest.raises(Forbidden):
        outbox.revise(DESK, "P1", case.case_id, reply.reply_id, {"body": "别人改的"})
    revised = outbox.revise(ENGINEER, "P1", case.case_id, reply.reply_id, {"body": "维修时间：明天上午9点"})
    assert revised.status == "pending" and revised.body == "维修时间：明天上午9点"
    assert [h["to"] for h in revised.history] == ["pending", "returned", "pending"]


def test_stale_approval_is_a_409(outbox, svc):
    case = email_case(svc)
    reply = outbox.draft(ENGINEER, "P1", case.case_id, {"body": "初稿"})
    outbox.return_for_changes(MANAGER, "P1", case.case_id, reply.reply_id, "改一下")
    with pytest.raises(VersionConflict):
        outbox.approve(MANAGER2, "P1", case.case_id, reply.reply_id, expected_version=1)


def test_only_written_cases_get_written_replies(outbox, svc):
    case, _ = svc.submit(TENANT, "P1", {"channel": "app", "unit": "1-101", "content": "App投诉"}, None)
    with pytest.raises(IllegalTransition) as err:
        outbox.draft(DESK, "P1", case.case_id, {"body": "x"})
    assert err.value.code == "not_a_written_case"


def test_letter_reply_is_approved_then_marked_posted(outbox, svc, store, mailbox):
    case = email_case(svc, channel="letter")
    reply = outbox.draft(DESK, "P1", case.case_id, {"body": "書面答覆：已處理。"})
    approved = outbox.approve(MANAGER, "P1", case.case_id, reply.reply_id)
    assert approved.status == "approved" and mailbox() == []
    posted = outbox.mark_posted(DESK, "P1", case.case_id, reply.reply_id)
    assert posted.status == "sent"
    assert store.events(store.get_case("P1", case.case_id))[-1].action == "written_reply"


def test_approval_queue_lists_pending_replies_of_my_properties_oldest_first(outbox, svc, clock):
    a = email_case(svc)
    first = outbox.draft(DESK, "P1", a.case_id, {"body": "一"})
    clock.advance(minutes=2)
    second = outbox.draft(ENGINEER, "P1", a.case_id, {"body": "二"})
    assert [r.reply_id for r in outbox.approval_queue(MANAGER, limit=10)] == [first.reply_id, second.reply_id]
    assert outbox.approval_queue(MANAGER_P2, limit=10) == []
    outbox.approve(MANAGER, "P1", a.case_id, first.reply_id)
    assert [r.reply_id for r in outbox.approval_queue(MANAGER, limit=10)] == [second.reply_id]
    with pytest.raises(Forbidden):
        outbox.approval_queue(DESK, limit=10)


def test_manager_of_another_property_cannot_approve(outbox, svc):
    from chalicelib.domain.errors import NotFound
    case = email_case(svc)
    reply = outbox.draft(DESK, "P1", case.case_id, {"body": "x"})
    with pytest.raises(NotFound):
        outbox.approve(MANAGER_P2, "P1", case.case_id, reply.reply_id)


def test_subject_with_line_breaks_cannot_inject_headers(outbox, svc, mailbox):
    case = email_case(svc)
    reply = outbox.draft(DESK, "P1", case.case_id, {"subject": "答复\r\nBcc: attacker@evil.example", "body": "x"})
    outbox.approve(MANAGER, "P1", case.case_id, reply.reply_id)
    [mail] = mailbox()
    assert mail["Bcc"] is None and "attacker" in mail["Subject"]  # kept as text on one line

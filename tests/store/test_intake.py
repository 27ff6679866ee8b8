"""Email intake against moto's S3, DynamoDB and SES: every message ends as a
case, a threaded message or a quarantine entry, exactly once."""
from __future__ import annotations

import email.policy
import json
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import make_msgid

import boto3
import pytest

from chalicelib import config
from chalicelib.adapters.ses import SesMailer
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import VersionConflict
from chalicelib.services.mail_intake import Delivery, MailIntake, delivery_from_notification
from tests.conftest import contacts_of

ADMIN = Principal("admin-0", "admin", frozenset({"P1", "P2"}))
DESK = Principal("desk-1", "front_desk", frozenset({"P1"}))
INBOX = "service@riverside.example"


@pytest.fixture
def intake(svc, mailbox):
    svc.put_tenant(ADMIN, "P1", "tenant-1", {"name": "李女士", "email": "li.nvshi@example.cn", "unit": "3栋1201"})
    s3 = boto3.client("s3", region_name=config.region())
    ses = boto3.client("ses", region_name=config.region())
    return MailIntake(svc, lambda: s3, lambda: SesMailer(ses))


def mail(subject="投诉：楼上漏水", body="楼上卫生间漏水到我家天花板，已经一周了。", sender="李女士 <li.nvshi@example.cn>",
         to=INBOX, message_id=None, **headers) -> bytes:
    # Long message ids stay on one line, as mail clients write them.
    msg = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="example.cn")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body, charset="utf-8")
    return msg.as_bytes()


_keys = iter(range(1, 10_000))


def deliver(intake, raw: bytes, *, key=None, recipients=(INBOX,), received_at=None,
            **verdicts) -> tuple[object, Delivery]:
    key = key or f"inbound/{next(_keys):05d}"
    boto3.client("s3", region_name=config.region()).put_object(Bucket=config.mail_bucket(), Key=key, Body=raw)
    delivery = Delivery(bucket=config.mail_bucket(), key=key, ses_message_id=key.replace("/", "-"),
                        received_at=received_at or datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc),
                        recipients=tuple(recipients),
                        verdicts={k: v.upper() for k, v in verdicts.items()})
    return intake.handle(delivery), delivery


def test_known_tenants_mail_becomes_a_verified_written_case_and_is_acknowledged(intake, store, mailbox):
    outcome, _ = deliver(intake, mail())
    assert outcome.kind == "case" and outcome.property_id == "P1"
    case = store.get_case("P1", outcome.case_id)
    assert case.channel == "email" and case.written and case.verified
    assert case.reporter == {"name": "李女士", "email": "li.nvshi@example.cn", "tenant_id": "tenant-1"}
    assert case.title == "投诉：楼上漏水" and case.unit == "3栋1201"
    assert "天花板" in case.content
    [ack] = mailbox()
    assert ack["To"] == "li.nvshi@example.cn" and outcome.case_id in ack["Subject"]
    assert "我们已收到" in ack["Subject"] and outcome.case_id in ack.get_content()
    assert ack["In-Reply-To"] == f"<{case.mail_thread[0]}>"


def test_unknown_sender_still_gets_a_case_marked_unverified(intake, store):
    outcome, _ = deliver(intake, mail(sender="Someone <new.person@example.org>", body="Hello, the lift is broken."))
    case = store.get_case("P1", outcome.case_id)
    assert not case.verified and "tenant_id" not in case.reporter


def test_the_same_message_delivered_twice_makes_one_case_and_one_ack(intake, store, mailbox):
    raw = mail(message_id="<dup-1@example.cn>")
    first, delivery = deliver(intake, raw)
    again = intake.handle(delivery)                     # SNS redelivers the same notification
    third, _ = deliver(intake, raw)                     # SES stored it twice under two keys
    assert first.kind == "case" and again.kind == "duplicate" and third.kind == "duplicate"
    assert again.case_id == third.case_id == first.case_id
    assert len(mailbox()) == 1
    mine, _ = store.cases_of_tenant("tenant-1", limit=10, cursor=None)
    assert len(mine) == 1


def test_an_invocation_that_dies_before_the_ack_gets_it_sent_by_the_redelivery(intake, store, mailbox,
                                                                               monkeypatch):
    """The case is written, then the Lambda dies before SES is called; AWS
    redelivers the failed event, which finds the case and sends the missing
    ack, once: later redeliveries see it was sent."""
    real_send = SesMailer.send
    died = {"left": 1}

    def dies_before_sending(self, outgoing):
        if died["left"]:
            died["left"] -= 1
            raise SystemExit("the Lambda timed out")
        return real_send(self, outgoing)

    monkeypatch.setattr(SesMailer, "send", dies_before_sending)
    raw = mail(message_id="<crash-1@example.cn>")
    with pytest.raises(SystemExit):
        deliver(intake, raw, key="inbound/crash-1")
    [case] = store.cases_of_tenant("tenant-1", limit=10, cursor=None)[0]
    assert mailbox() == []
    outcome, delivery = deliver(intake, raw, key="inbound/crash-1")  # the retry
    assert outcome.kind == "duplicate" and outcome.case_id == case.case_id
    [ack] = mailbox()
    assert case.case_id in str(ack["Subject"])
    assert str(ack["Message-ID"]).strip("<>") == f"ack.P1.{case.case_id}@riverside.example"
    intake.handle(delivery)  # a later redelivery
    assert len(mailbox()) == 1


def test_reply_to_our_acknowledgement_threads_into_the_case(intake, store, mailbox):
    first, _ = deliver(intake, mail())
    [ack] = mailbox()
    reply = mail(subject="Re: " + str(ack["Subject"]), body="补充：漏水在主卧。\n\n> 我们已收到您的来信",
                 In_Reply_To=ack["Message-ID"], References=ack["Message-ID"])
    outcome, _ = deliver(intake, reply)
    assert outcome.kind == "message" and outcome.case_id == first.case_id
    events = store.events(store.get_case("P1", first.case_id))
    assert events[-1].action == "message" and events[-1].data["text"].startswith("补充：漏水在主卧")
    assert len(mailbox()) == 1  # no acknowledgement for a threaded reply


def test_reply_found_by_the_ses_message_id_it_answers(intake, store, mailbox):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    first, _ = deliver(intake, mail())
    # On AWS, SES rewrites our Message-ID to <ses-id@region.amazonses.com>: tenants answer that one.
    ses_id = ses_backends[DEFAULT_ACCOUNT_ID][config.region()].sent_messages[0].id
    reply = mail(subject="回复：您的来信", body="谢谢", In_Reply_To=f"<{ses_id}@ap-southeast-1.amazonses.com>")
    outcome, _ = deliver(intake, reply)
    assert outcome.kind == "message" and outcome.case_id == first.case_id


def test_subject_reference_threads_only_for_the_cases_own_correspondent(intake, store):
    first, _ = deliver(intake, mail())
    same = mail(subject=f"回复：[{first.case_id}] 补充照片", body="见附件")
    other = mail(subject=f"[{first.case_id}] 我也有意见", sender="陌生人 <stranger@example.org>", body="我也漏水")
    assert deliver(intake, same)[0].kind == "message"
    outcome, _ = deliver(intake, other)
    assert outcome.kind == "case" and outcome.case_id != first.case_id


def test_mail_to_a_closed_case_opens_a_new_case(intake, store, svc):
    first, _ = deliver(intake, mail())
    case = store.get_case("P1", first.case_id)
    svc.act(DESK, "P1", case.case_id, "classify", {"kind": "consultation"})
    # A written case closes only once its approved written reply went out.
    from chalicelib.services.reply_service import ReplyService
    outbox = ReplyService(svc, store, lambda: SesMailer(boto3.client("ses", region_name=config.region())))
    reply = outbox.draft(DESK, "P1", case.case_id, {"body": "您好，问题已答复。"})
    outbox.approve(Principal("mgr-1", "manager", frozenset({"P1"})), "P1", case.case_id, reply.reply_id)
    svc.act(DESK, "P1", case.case_id, "answer", {"message": "已答复"})
    outcome, _ = deliver(intake, mail(subject=f"Re: [{first.case_id}]", body="还有一个问题"))
    assert outcome.kind == "case" and outcome.case_id != first.case_id


@pytest.mark.parametrize("verdicts,reason", [
    ({"spam": "FAIL"}, "spam"), ({"virus": "FAIL"}, "virus"), ({"spf": "FAIL", "dkim": "FAIL"}, "spf_and_dkim_failed"),
])
def test_spam_virus_and_unauthenticated_mail_is_quarantined_without_case_or_reply(intake, store, mailbox, verdicts,
                                                                                    reason):
    raw = mail()
    outcome, delivery = deliver(intake, raw, **verdicts)
    assert outcome.kind == "quarantined" and outcome.reason == reason
    assert mailbox() == [] and store.cases_of_tenant("tenant-1", limit=5, cursor=None)[0] == []
    items, _ = intake.quarantined(DESK, "P1", limit=10, cursor=None)
    assert [(i["reason"], i["key"]) for i in items] == [(reason, delivery.key)]
    kept = boto3.client("s3", region_name=config.region()).get_object(Bucket=config.mail_bucket(), Key=delivery.key)
    assert kept["Body"].read() == raw  # the raw message stays in S3 for staff to inspect


def test_spf_fail_alone_is_not_quarantined(intake):
    assert deliver(intake, mail(), spf="FAIL", dkim="PASS")[0].kind == "case"


def test_garbage_is_quarantined_and_the_raw_object_kept(intake, store, mailbox):
    outcome, delivery = deliver(intake, b"\x00\xff\xfe not a mail at all")
    assert outcome.kind == "quarantined" and outcome.reason
    body = boto3.client("s3", region_name=config.region()).get_object(Bucket=config.mail_bucket(),
                                                                      Key=delivery.key)["Body"].read()
    assert body == b"\x00\xff\xfe not a mail at all"
    assert mailbox() == []


def test_mail_to_an_unknown_inbox_from_a_stranger_is_quarantined_and_listed_for_admins(intake):
    from chalicelib.domain.errors import Forbidden
    outcome, delivery = deliver(intake, mail(sender="x@example.org", to="nobody@elsewhere.example",
                                             subject="物业费发票"), recipients=("nobody@elsewhere.example",))
    assert outcome.kind == "quarantined" and outcome.reason == "unknown_recipient" and outcome.property_id is None
    [item] = intake.unrouted(ADMIN, limit=10, cursor=None)[0]
    assert (item["from"], item["subject"], item["key"]) == ("x@example.org", "物业费发票", delivery.key)
    assert intake.quarantined(ADMIN, "P1", limit=10, cursor=None)[0] == []  # no property's list has it
    for who in (DESK, Principal("mgr-1", "manager", frozenset({"P1"}))):
        with pytest.raises(Forbidden):
            intake.unrouted(who, limit=10, cursor=None)


def test_known_tenant_writing_to_another_address_reaches_their_property(intake):
    outcome, _ = deliver(intake, mail(to="info@elsewhere.example"), recipients=("info@elsewhere.example",))
    assert outcome.kind == "case" and outcome.property_id == "P1"


def test_auto_replies_and_bulk_mail_are_quarantined_never_answered(intake, mailbox):
    for headers in ({"Auto_Submitted": "auto-replied"}, {"Precedence": "bulk"}):
        outcome, _ = deliver(intake, mail(subject="自动回复：我在休假", **headers))
        assert outcome.kind == "quarantined" and outcome.reason == "auto_submitted"
    assert mailbox() == []


def with_attachment(subject: str, text: str, data: bytes, content_type: str, filename: str,
                    message_id: str | None = None) -> bytes:
    """Li's mail to the P1 inbox with one attachment."""
    msg = EmailMessage()
    msg["From"] = "李女士 <li.nvshi@example.cn>"
    msg["To"] = INBOX
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid()
    msg.set_content(text, charset="utf-8")
    maintype, subtype = content_type.split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def test_attachments_are_stored_in_s3_and_listed_on_the_case(intake, store):
    outcome, _ = deliver(intake, with_attachment("漏水照片", "照片见附件", b"\xff\xd8\xff\xe0fakejpeg\xff\xd9",
                                                 "image/jpeg", "漏水照片.jpg"))
    event = store.events(store.get_case("P1", outcome.case_id))[0]
    [attachment] = event.data["attachments"]
    assert attachment["name"] == "漏水照片.jpg" and attachment["content_type"] == "image/jpeg"
    bucket, key = attachment["ref"].removeprefix("s3://").split("/", 1)
    assert boto3.client("s3", region_name=config.region()).get_object(Bucket=bucket, Key=key)["Body"].read() \
        == b"\xff\xd8\xff\xe0fakejpeg\xff\xd9"


def zip_bomb() -> bytes:
    """A zip of zips: 4 × a 64 MiB file of zeros, all in about 250 KB."""
    import io
    import zipfile
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.bin", bytes(64 * 1024 * 1024))
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as z:
        for n in range(4):
            z.writestr(f"part{n}.zip", inner.getvalue())
    return outer.getvalue()


def test_a_zip_bomb_is_stored_as_sent_and_never_opened(intake, store, monkeypatch):
    """Attachments are kept as the bytes that came, never decompressed, so a
    bomb is just a small file on the case: no crash, no blow-up (the intake's
    peak allocation stays far below one 64 MiB inner file)."""
    import tracemalloc
    import zipfile
    bomb = zip_bomb()
    assert len(bomb) < 1024 * 1024

    def opened(*_args, **_kwargs):
        raise AssertionError("an attachment was decompressed")

    monkeypatch.setattr(zipfile, "ZipFile", opened)
    raw = with_attachment("装修合同", "合同见附件", bomb, "application/zip", "合同.zip")
    deliver(intake, mail(subject="预热"))  # clients and models loaded before measuring
    tracemalloc.start()
    try:
        outcome, _ = deliver(intake, raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert outcome.kind == "case"
    assert peak < 32 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    [attachment] = store.events(store.get_case("P1", outcome.case_id))[0].data["attachments"]
    assert attachment["name"] == "合同.zip" and attachment["size"] == len(bomb)
    bucket, key = attachment["ref"].removeprefix("s3://").split("/", 1)
    assert boto3.client("s3", region_name=config.region()).get_object(Bucket=bucket, Key=key)["Body"].read() == bomb


def test_english_mail_is_acknowledged_in_english(intake, mailbox, svc):
    svc.put_tenant(ADMIN, "P1", "tenant-3", {"name": "James Carter", "email": "james@example.com", "lang": "en"})
    deliver(intake, mail(subject="Noise", body="Renovation noise after 10pm.", sender="James <james@example.com>"))
    [ack] = mailbox()
    assert "We have received your message" in ack["Subject"]


# --- the notification SES sends --------------------------------------------------------

def notification(**receipt):
    return {"notificationType": "Received",
            "mail": {"messageId": "m-1", "timestamp": "2026-11-23T02:00:00.000Z", "source": "li@example.cn"},
            "receipt": {"recipients": [INBOX], "spamVerdict": {"status": "PASS"}, "virusVerdict": {"status": "PASS"},
                        "spfVerdict": {"status": "PASS"}, "dkimVerdict": {"status": "FAIL"},
                        "action": {"type": "S3", "bucketName": "tenantdesk-mail", "objectKey": "inbound/abc"},
                        **receipt}}


def test_notification_is_read_into_a_delivery_with_verdicts():
    d = delivery_from_notification(json.dumps(notification()))
    assert (d.bucket, d.key, d.recipients) == ("tenantdesk-mail", "inbound/abc", (INBOX,))
    assert d.verdicts == {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "FAIL"}


def test_a_message_quarantined_unopened_is_listed_with_ses_sender_and_subject(intake, store):
    """A spam or virus verdict keeps the message unread; SES's commonHeaders
    still tell staff whose mail it was ("I emailed you last week...")."""
    data = notification(spamVerdict={"status": "FAIL"})
    data["mail"]["commonHeaders"] = {"from": ["吳先生 <Wu.Xiansheng@example.cn>"], "subject": "停车场收费有误\r\nBcc: x",
                                     "to": [INBOX]}
    delivery = delivery_from_notification(json.dumps(data, ensure_ascii=False))
    assert (delivery.header_from, delivery.header_subject) == ("wu.xiansheng@example.cn", "停车场收费有误 Bcc: x")
    assert intake.handle(delivery).kind == "quarantined"
    [item] = intake.quarantined(DESK, "P1", limit=10, cursor=None)[0]
    assert (item["from"], item["subject"], item["reason"]) == ("wu.xiansheng@example.cn", "停车场收费有误 Bcc: x", "spam")


@pytest.mark.parametrize("headers", [None, "text", {"from": "not a list", "subject": 7}, {"from": [3]}])
def test_odd_common_headers_are_ignored(headers):
    data = notification()
    data["mail"]["commonHeaders"] = headers
    delivery = delivery_from_notification(json.dumps(data))
    assert (delivery.header_from, delivery.header_subject) == (None, None)


def test_the_local_stack_reports_common_headers_as_ses_does():
    from devstack.mail import common_headers
    raw = mail(subject="停车场 收费", sender="吳先生 <wu@example.cn>", message_id="<m-42@example.cn>")
    assert common_headers(raw) == {"from": ["吳先生 <wu@example.cn>"], "to": [INBOX], "subject": "停车场 收费",
                                   "messageId": "<m-42@example.cn>"}
    assert common_headers(b"\x00\xff not a mail") == {}


def test_the_local_stack_stores_mail_with_the_return_path_ses_adds_so_null_sender_bounces_are_caught(intake, mailbox):
    """A bounce whose headers look like a person's is known only by its null
    envelope sender, which SES records as ``Return-Path: <>``: ``./dev mail``
    adds it as SES does."""
    from devstack.mail import as_received, envelope_sender
    bounce = mail(sender="Mail System <notices@mx.example.cn>", subject="您的邮件", body="投递失败：收件人不存在")
    stored = as_received(bounce, "")
    assert stored.startswith(b"Return-Path: <>\r\n") and stored.count(b"Return-Path:") == 1
    outcome, delivery = deliver(intake, stored)
    assert outcome.kind == "quarantined" and outcome.reason == "auto_submitted" and mailbox() == []
    assert intake.quarantined(DESK, "P1", limit=10, cursor=None)[0][0]["detail"] == "bounce: null Return-Path"
    # A person's saved mail keeps its sender as the envelope, once, and becomes a case.
    person = as_received(mail(), "li.nvshi@example.cn")
    assert envelope_sender(person) == "li.nvshi@example.cn" == envelope_sender(mail())
    again = as_received(person, envelope_sender(person))
    assert again.count(b"Return-Path:") == 1
    assert deliver(intake, again)[0].kind == "case" and len(mailbox()) == 1


@pytest.mark.parametrize("bad", ["not json", "[]", json.dumps({"notificationType": "Bounce"}),
                                 json.dumps(notification(action={"type": "Lambda"}))])
def test_notifications_that_are_not_ses_receipts_are_refused(bad):
    from chalicelib.domain.errors import ValidationFailed
    with pytest.raises(ValidationFailed):
        delivery_from_notification(bad)


def test_the_sns_handler_turns_a_stored_mail_into_a_case(client, runtime_wired, intake, store, mailbox):
    boto3.client("s3", region_name=config.region()).put_object(Bucket=config.mail_bucket(), Key="inbound/abc",
                                                               Body=mail())
    event = client.events.generate_sns_event(message=json.dumps(notification()))
    result = client.lambda_.invoke("inbound_mail", event).payload
    assert result["outcome"] == "case"
    assert store.get_case("P1", result["case_id"]).channel == "email"
    bad = client.lambda_.invoke("inbound_mail", client.events.generate_sns_event(message="{}")).payload
    assert bad == {"outcome": "rejected", "reason": "validation_error"}


# --- the raw samples under tests/mail/samples ---------------------------------------------

SAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "mail" / "samples"
HARBOUR = "service@harbour.example"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.mark.parametrize("name,inbox,kind,reason,text", [
    ("gb2312_complaint.eml", INBOX, "case", None, None),
    ("big5_complaint.eml", HARBOUR, "case", None, None),
    ("utf8_html_only.eml", INBOX, "case", None, None),
    ("with_attachment.eml", INBOX, "case", None, None),
    ("iso8859_english.eml", HARBOUR, "case", None, None),
    ("duplicate_delivery.eml", INBOX, "case", None, None),
    ("spam_verdict.eml", INBOX, "quarantined", "spam", None),
    ("auto_reply.eml", INBOX, "quarantined", "auto_submitted", None),
    ("truncated.eml", INBOX, "quarantined", None, None),
])
def test_every_sample_ends_where_it_should(intake, store, mailbox, svc, name, inbox, kind, reason, text):
    svc.put_tenant(ADMIN, "P2", "tenant-hk", {"name": "陳先生", "email": "chan.tm@teahouse.example.hk",
                                              "lang": "zh-Hant"})
    # No SES verdicts in the notification: the verdict headers inside the mail are used.
    outcome, _ = deliver(intake, sample(name), recipients=(inbox,))
    assert outcome.kind == kind, outcome
    if reason:
        assert outcome.reason == reason
    if kind == "case":
        case = store.get_case(outcome.property_id, outcome.case_id)
        assert case.content.strip() and case.channel == "email"
        assert "<script" not in case.content and "alert(" not in case.content
        assert len(mailbox()) == 1  # the acknowledgement
    else:
        assert mailbox() == []


def test_samples_keep_their_chinese_text(intake, store, svc):
    gb = store.get_case("P1", deliver(intake, sample("gb2312_complaint.eml"))[0].case_id)
    assert gb.title == "投诉：楼上漏水" and gb.reporter["name"] == "李女士" and gb.verified
    big5 = store.get_case("P2", deliver(intake, sample("big5_complaint.eml"), recipients=(HARBOUR,))[0].case_id)
    assert big5.title == "商場冷氣太凍" and big5.lang == "zh-Hant"


def test_broken_mime_never_crashes_and_lands_somewhere(intake, store, mailbox):
    outcome, _ = deliver(intake, sample("broken_mime.eml"))
    assert outcome.kind in ("case", "quarantined")


def test_reply_sample_threads_into_its_case_with_the_quote_trimmed(intake, store, mailbox):
    first, _ = deliver(intake, sample("gb2312_complaint.eml"))
    case = store.get_case("P1", first.case_id)
    # The sample answers a message we sent with SES id 0100018c-abc-000000.
    store.put_meta("MSGID#0100018c-abc-000000", "CASE", {"case": case.key})
    outcome, _ = deliver(intake, sample("reply_with_quote.eml"))
    assert outcome.kind == "message" and outcome.case_id == case.case_id
    message = store.events(store.get_case("P1", case.case_id))[-1]
    assert message.action == "message"
    assert ">" not in message.data["text"] and "写道" not in message.data["text"]
    assert "iPhone" not in message.data["text"]


def test_duplicate_delivery_sample_twice_is_one_case(intake, store, mailbox):
    first, _ = deliver(intake, sample("duplicate_delivery.eml"))
    second, _ = deliver(intake, sample("duplicate_delivery.eml"))
    assert first.kind == "case" and second.kind == "duplicate" and second.case_id == first.case_id
    assert len(mailbox()) == 1


def test_attachment_sample_lists_both_files(intake, store):
    outcome, _ = deliver(intake, sample("with_attachment.eml"))
    event = store.events(store.get_case("P1", outcome.case_id))[0]
    names = [a["name"] for a in event.data["attachments"]]
    assert "漏水照片.jpg" in names and any(n.endswith(".pdf") for n in names)


# --- never lose a message (issue 11, item 10) ----------------------------------------------

def s3_body(ref: str) -> bytes:
    bucket, key = ref.removeprefix("s3://").split("/", 1)
    return boto3.client("s3", region_name=config.region()).get_object(Bucket=bucket, Key=key)["Body"].read()


def test_two_different_messages_with_the_same_message_id_are_two_cases_with_their_own_attachments(intake, store,
                                                                                                    mailbox):
    """A broken client reuses one Message-ID: the second message is neither
    dropped nor written over the first one's attachments."""
    same_id = "<reused-id@example.cn>"
    first_raw = with_attachment("漏水照片", "卫生间漏水，照片见附件", b"first-photo", "image/jpeg", "photo.jpg", same_id)
    second_raw = with_attachment("门禁坏了", "单元门禁刷不开，照片见附件", b"second-photo", "image/jpeg", "photo.jpg",
                                 same_id)
    first, _ = deliver(intake, first_raw)
    second, _ = deliver(intake, second_raw)
    assert (first.kind, second.kind) == ("case", "case") and first.case_id != second.case_id
    photos = []
    for outcome, title in ((first, "漏水照片"), (second, "门禁坏了")):
        case = store.get_case("P1", outcome.case_id)
        assert case.title == title
        [attachment] = store.events(case)[0].data["attachments"]
        photos.append(s3_body(attachment["ref"]))
    assert photos == [b"first-photo", b"second-photo"]
    assert len(mailbox()) == 2


def test_the_same_message_stored_again_under_a_new_key_is_still_one_case(intake, mailbox):
    raw = mail(message_id="<resent-by-mta@example.cn>")
    first, _ = deliver(intake, raw)
    again, _ = deliver(intake, b"Received: from mx2.example.cn by inbound-smtp\r\n" + raw)
    assert again.kind == "duplicate" and again.case_id == first.case_id
    assert len(mailbox()) == 1


def test_mail_the_case_rules_refuse_is_quarantined_with_the_reason_at_once(intake, svc, store, monkeypatch):
    from chalicelib.domain.errors import ValidationFailed

    def refuses(*args, **kwargs):
        raise ValidationFailed("unit is too long", code="validation_error")

    monkeypatch.setattr(svc, "create_as", refuses)
    outcome, delivery = deliver(intake, mail())
    assert outcome.kind == "quarantined" and outcome.reason == "intake_refused"
    [item] = intake.quarantined(DESK, "P1", limit=10, cursor=None)[0]
    assert item["key"] == delivery.key and "validation_error" in item["detail"]
    assert item["from"] == "li.nvshi@example.cn" and item["subject"] == "投诉：楼上漏水"


@pytest.mark.parametrize("error", [KeyError("policy"), VersionConflict("too many cases arrived at once",
                                                                      code="busy_retry")])
def test_an_unexpected_error_is_retried_and_quarantined_on_the_last_try_instead_of_lost(intake, svc, monkeypatch,
                                                                                        error):
    from chalicelib.services.mail_intake import MAX_ATTEMPTS

    def breaks(*args, **kwargs):
        raise error

    monkeypatch.setattr(svc, "create_as", breaks)
    for _ in range(MAX_ATTEMPTS - 1):                   # Lambda retries what raises
        with pytest.raises(type(error)):
            deliver(intake, mail(message_id="<breaks@example.cn>"), key="inbound/breaks")
    assert intake.quarantined(DESK, "P1", limit=10, cursor=None)[0] == []
    outcome, _ = deliver(intake, mail(message_id="<breaks@example.cn>"), key="inbound/breaks")  # the last try
    assert outcome.kind == "quarantined" and outcome.reason == "intake_failed"
    [item] = intake.quarantined(DESK, "P1", limit=10, cursor=None)[0]
    assert item["key"] == "inbound/breaks" and type(error).__name__ in item["detail"]


# --- automatic mail is never answered (issue 11, item 11) ---------------------------------------

@pytest.mark.parametrize("name, why", [
    ("carrier_error_noreply.eml", "automatic sender"),     # a carrier's error notice from no-reply@
    ("postmaster_bounce_re.eml", "bounce"),                # post_master@ with a "Re:" subject
    ("loop_alert.eml", "automatic subject: Loop Alert"),   # a list manager's loop notice
    ("list_via_sender.eml", "mailing list"),               # list mail: owner- Sender and Return-Path
])
def test_automatic_mail_without_standard_markers_is_quarantined_with_its_reason_and_never_answered(
        intake, store, mailbox, svc, name, why):
    from pathlib import Path
    raw = (Path(__file__).parent.parent / "mail" / "samples" / name).read_bytes()
    outcome, delivery = deliver(intake, raw)
    assert outcome.kind == "quarantined" and outcome.reason == "auto_submitted"
    assert mailbox() == []
    [item] = intake.quarantined(DESK, "P1", limit=10, cursor=None)[0]
    assert item["key"] == delivery.key and item["detail"].startswith(why)
    assert store.open_queue("P1", filters={}, due_before=None, limit=10, cursor=None)[0] == []


def test_a_person_asking_for_no_automatic_answers_gets_a_case_but_no_acknowledgement(intake, store, mailbox):
    outcome, _ = deliver(intake, mail(X_Auto_Response_Suppress="All"))
    assert outcome.kind == "case" and store.get_case("P1", outcome.case_id).title == "投诉：楼上漏水"
    assert mailbox() == []


def test_the_loop_breaker_acknowledges_one_address_at_most_n_times_an_hour(intake, store, mailbox, monkeypatch):
    """An auto-responder with no marker answers every ack with a new mail: after
    N acks in an hour, its mail still makes cases but gets no more acks."""
    monkeypatch.setenv("TD_MAIL_ACKS_PER_HOUR", "2")
    t0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    outcomes = [deliver(intake, mail(subject=f"漏水 第{n}封", body=f"第{n}封：楼上漏水"),
                        received_at=t0 + timedelta(minutes=10 * n))[0] for n in range(4)]
    assert [o.kind for o in outcomes] == ["case"] * 4
    assert len(mailbox()) == 2
    later, _ = deliver(intake, mail(subject="漏水 又一封"), received_at=t0 + timedelta(minutes=61))
    assert later.kind == "case" and len(mailbox()) == 3    # the first ack's hour has passed
    other, _ = deliver(intake, mail(sender="James <james@example.com>", subject="Noise", body="Noise at night."),
                       received_at=t0 + timedelta(minutes=30))
    assert other.kind == "case" and len(mailbox()) == 4    # the limit is per address


def test_the_loop_breaker_holds_across_intake_instances(svc, mailbox, monkeypatch):
    """Two Lambda instances share the count: it lives in DynamoDB, not in memory."""
    monkeypatch.setenv("TD_MAIL_ACKS_PER_HOUR", "1")
    s3 = boto3.client("s3", region_name=config.region())
    ses = boto3.client("ses", region_name=config.region())
    first, second = (MailIntake(svc, lambda: s3, lambda: SesMailer(ses)) for _ in range(2))
    deliver(first, mail(subject="一"))
    deliver(second, mail(subject="二"))
    assert len(mailbox()) == 1


# --- decoding and the acknowledgement's language (issue 11, item 12) ----------------------------

def sample_bytes(name: str) -> bytes:
    from pathlib import Path
    return (Path(__file__).parent.parent / "mail" / "samples" / name).read_bytes()


@pytest.mark.parametrize("name", ["japanese_shift_jis.eml", "korean_euc_kr.eml"])
def test_japanese_or_korean_mail_is_acknowledged_in_the_propertys_language(intake, store, mailbox, svc, name):
    """We write zh-Hans, zh-Hant and en: kana or hangul is none of them, so the
    property's language is used (P1 in Shanghai: Simplified; set to English: English)."""
    outcome, _ = deliver(intake, sample_bytes(name))
    assert outcome.kind == "case" and store.get_case("P1", outcome.case_id).lang == "zh-Hans"
    [ack] = mailbox()
    assert "我们已收到" in ack["Subject"]
    svc.put_property(ADMIN, "P1", {"name": "滨江花园 Riverside Garden", "email": INBOX, "lang": "en",
                                  "contacts": contacts_of("riverside.example")})
    again, _ = deliver(intake, sample_bytes(name).replace(b"Message-ID: <", b"Message-ID: <again-"))
    assert store.get_case("P1", again.case_id).lang == "en"
    assert "We have received your message" in mailbox()[-1]["Subject"]


def test_a_hong_kong_propertys_language_is_traditional_chinese_by_default(intake, store, svc):
    outcome, _ = deliver(intake, sample_bytes("korean_euc_kr.eml").replace(b"service@riverside.example",
                                                                          b"service@harbour.example"),
                         recipients=("service@harbour.example",))
    assert outcome.property_id == "P2" and store.get_case("P2", outcome.case_id).lang == "zh-Hant"


def test_utf8_mail_under_a_gb2312_label_makes_a_case_with_readable_names(intake, store):
    outcome, _ = deliver(intake, sample_bytes("utf8_labelled_gb2312.eml"))
    case = store.get_case("P1", outcome.case_id)
    assert case.reporter["name"] == "周敏" and case.title == "卫生间漏水"
    [attachment] = store.events(case)[0].data["attachments"]
    assert attachment["name"] == "维修报价单_楼上漏水赔偿明\ufffd"


def test_a_propertys_language_setting_takes_only_a_language_we_write(client, tokens):
    from tests.api.helpers import call
    base = {"name": "滨江花园 Riverside Garden", "email": INBOX, "contacts": contacts_of("riverside.example")}
    status, body = call(client, "PUT", "/v1/properties/P1", tokens["admin"], {**base, "lang": "ja"})
    assert status == 422 and body["code"] == "validation_error"
    assert call(client, "GET", "/v1/properties/P1", tokens["admin"])[1]["lang"] is None   # unchanged
    status, body = call(client, "PUT", "/v1/properties/P1", tokens["admin"], {**base, "lang": "en"})
    assert status == 200 and body["lang"] == "en"
    assert call(client, "GET", "/v1/properties/P1", tokens["admin"])[1]["lang"] == "en"


# --- issue 13: mail about a closed case, staff mail ---------------------------------

def closed_by_written_answer(svc, store, case_id: str) -> None:
    """Answer and close an email case the way the procedure allows: an approved written reply, then answer."""
    from chalicelib.services.reply_service import ReplyService
    svc.act(DESK, "P1", case_id, "classify", {"kind": "consultation"})
    outbox = ReplyService(svc, store, lambda: SesMailer(boto3.client("ses", region_name=config.region())))
    reply = outbox.draft(DESK, "P1", case_id, {"body": "您好，问题已答复。"})
    outbox.approve(Principal("mgr-1", "manager", frozenset({"P1"})), "P1", case_id, reply.reply_id)
    svc.act(DESK, "P1", case_id, "answer", {"message": "已答复"})


def test_reply_to_our_ack_about_a_closed_case_is_a_new_case_linked_back_and_titled_by_the_tenant(
        intake, store, svc, mailbox):
    first, _ = deliver(intake, mail())
    ack = mailbox()[0]
    closed_by_written_answer(svc, store, first.case_id)
    before = store.get_case("P1", first.case_id)
    reply = mail(subject="Re: " + str(ack["Subject"]), body="天花板又开始滴水了\n\n> 我们已收到您的来信",
                 In_Reply_To=ack["Message-ID"], References=ack["Message-ID"])
    outcome, delivery = deliver(intake, reply)
    assert outcome.kind == "case" and outcome.case_id != first.case_id
    new = store.get_case("P1", outcome.case_id)
    assert new.repeat_of == first.case_id
    assert new.title == "天花板又开始滴水了"  # not our "我们已收到您的来信"
    assert store.events(new)[0].data["repeat_of"] == first.case_id
    after = store.get_case("P1", first.case_id)
    assert after.status == "closed" and after.version == before.version  # the old case is left as it was
    assert intake.handle(delivery).kind == "duplicate"  # a redelivery is the same new case


def put_staff(svc, *addresses: str) -> None:
    svc.put_property(ADMIN, "P1", {"name": "滨江花园 Riverside Garden", "email": INBOX,
                                   "contacts": contacts_of("riverside.example"),
                                   "departments": ["engineering", "security", "cleaning", "customer_service"],
                                   "staff_addresses": list(addresses)})


def test_an_engineer_answering_the_tenant_with_the_inbox_copied_is_a_note_on_the_case_not_a_complaint(
        intake, store, svc, mailbox):
    first, _ = deliver(intake, mail(message_id="<leak-1@example.cn>"))
    put_staff(svc, "Zhang.Shifu@Riverside.example")
    answer = mail(subject="Re: 投诉：楼上漏水", body="李女士您好，我明天上午上门查看漏水。",
                  sender="工程部张师傅 <zhang.shifu@riverside.example>", to="li.nvshi@example.cn",
                  Cc=INBOX, In_Reply_To="<leak-1@example.cn>", References="<leak-1@example.cn>")
    outcome, delivery = deliver(intake, answer)
    assert outcome.kind == "note" and outcome.case_id == first.case_id
    case = store.get_case("P1", first.case_id)
    last = store.events(case)[-1]
    assert last.action == "note" and last.data["note"].startswith("李女士您好，我明天上午上门")
    assert last.data["via"] == "email" and last.data["from"] == "zhang.shifu@riverside.example"
    mine, _ = store.cases_of_tenant("tenant-1", limit=10, cursor=None)
    assert len(mine) == 1 and case.status == "received"  # no new case, nothing escalates from it
    assert len(mailbox()) == 1  # only the tenant's own acknowledgement: staff mail is never answered
    tenant = Principal("tenant-1", "tenant", frozenset({"P1"}))
    _, timeline = svc.get(tenant, "P1", first.case_id)
    assert all(e.action != "note" for e in timeline)  # the tenant never sees it
    assert intake.handle(delivery).kind == "duplicate"
    assert len([e for e in store.events(case) if e.action == "note"]) == 1


def test_staff_mail_by_case_reference_on_a_closed_case_is_still_recorded_as_a_note(intake, store, svc):
    first, _ = deliver(intake, mail())
    closed_by_written_answer(svc, store, first.case_id)
    # the manager is one of the property's escalation contacts: staff without being listed
    outcome, _ = deliver(intake, mail(subject=f"Re: [{first.case_id}] 跟进", body="已电话回访，业主满意。",
                                      sender="王经理 <manager@riverside.example>"))
    assert outcome.kind == "note" and outcome.case_id == first.case_id
    assert store.get_case("P1", first.case_id).status == "closed"


def test_staff_mail_that_answers_no_case_is_quarantined_as_staff_mail(intake, store, svc, mailbox):
    put_staff(svc, "zhang.shifu@riverside.example")
    outcome, _ = deliver(intake, mail(subject="本周维修安排", body="各位，本周工程部排班如下……",
                                      sender="张师傅 <zhang.shifu@riverside.example>"))
    assert outcome.kind == "quarantined" and outcome.reason == "staff_mail" and outcome.property_id == "P1"
    [item], _ = intake.quarantined(DESK, "P1", limit=10, cursor=None)
    assert item["reason"] == "staff_mail" and item["from"] == "zhang.shifu@riverside.example"
    assert store.cases_of_tenant("tenant-1", limit=10, cursor=None)[0] == [] and mailbox() == []


def test_staff_addresses_are_set_by_admins_only_and_validated(svc):
    from chalicelib.domain.errors import Forbidden
    with pytest.raises(Forbidden):
        svc.put_property(DESK, "P1", {"name": "x", "staff_addresses": ["a@riverside.example"]})
    put_staff(svc, "A@Riverside.example", "a@riverside.example ")
    assert svc.property("P1").staff_addresses == ("a@riverside.example",)

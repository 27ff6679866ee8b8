"""The web form's service on the in-memory stores: submit sends a code (mail and
SMS), verify makes one web case, refusals change nothing."""
from __future__ import annotations

import pytest

from chalicelib.adapters.public_memory import MemoryPublicFormStore
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Forbidden, NotFound, RateLimited, ValidationFailed
from chalicelib.services.public_form_service import PublicFormService


class Outbox:
    def __init__(self):
        self.mail, self.sms = [], []

    def mailer(self):
        return self

    def send(self, *args):
        if len(args) == 1:
            self.mail.append(args[0])
            return "id"
        self.sms.append(args)


@pytest.fixture
def box():
    return Outbox()


@pytest.fixture
def form(svc, clock, box):
    codes = iter(["314159", "271828", "161803"] * 10)
    return PublicFormService(svc, MemoryPublicFormStore(), clock, mailer=box.mailer, sms=lambda: box,
                             randbelow=lambda n: int(next(codes)))


BODY = {"email": "visitor@example.cn", "phone": "+8613800138000", "place": "大堂", "content": "灯坏了", "lang": "en"}


def test_submit_sends_the_code_by_mail_and_sms_and_verify_makes_one_case(form, box, svc):
    out = form.submit("P1", dict(BODY), source="10.0.0.1")
    assert box.mail[0].to == "visitor@example.cn" and box.mail[0].subject.startswith("314159 is your")
    assert box.sms == [("+8613800138000", box.mail[0].subject)]
    case, created = form.verify("P1", out["submission_id"], "314159")
    assert created and case.channel == "web" and case.verified and case.lang == "en"
    again, created = form.verify("P1", out["submission_id"], "314159")
    assert not created and again.case_id == case.case_id
    assert box.mail[-1].subject == f"[{case.case_id}] received: {svc.property('P1').name}"


def test_a_wrong_code_is_counted_and_makes_no_case(form, svc, box):
    out = form.submit("P1", dict(BODY), source="10.0.0.1")
    with pytest.raises(ValidationFailed) as caught:
        form.verify("P1", out["submission_id"], "000000")
    assert caught.value.details["attempts_left"] == 4
    assert form.store.get_submission("P1", out["submission_id"]).attempts == 1


def test_refusals(form, box):
    with pytest.raises(NotFound):
        form.submit("NOPE", dict(BODY), source="10.0.0.1")
    for _ in range(10):
        form.submit("P1", {**BODY, "email": f"v{_}@example.cn", "phone": ""}, source="10.0.0.9")
    with pytest.raises(RateLimited) as caught:
        form.submit("P1", dict(BODY), source="10.0.0.9")
    assert caught.value.details["quota"] == "public_per_ip" and caught.value.retry_after >= 1
    with pytest.raises(Forbidden):
        form.qr_target(Principal("t1", "tenant", frozenset({"P1"})), "P1", None)
    assert form.qr_target(Principal("d1", "front_desk", frozenset({"P1"})), "P1", None)["path"] == "/p/P1"


def test_a_visitor_is_told_of_each_step_by_mail_in_their_language_and_nothing_internal(form, box, svc, clock):
    """Mall visitors have no account: after the form's confirmation, every step staff take
    that a tenant would be told of reaches the address they verified (mission: tenants are
    told of every step in their language); internal notes never do."""
    from chalicelib.services.notify_service import NotificationService
    from tests.people import DESK

    out = form.submit("P1", {**BODY, "phone": ""}, source="10.0.0.1")
    case, _ = form.verify("P1", out["submission_id"], "314159")
    mails_before = len(box.mail)
    clock.advance(minutes=5)
    svc.act(DESK, "P1", case.case_id, "assign", {"assignee": "eng-1", "department": "engineering",
                                                 "note": "内部：张师傅处理"})
    svc.act(DESK, "P1", case.case_id, "note", {"note": "内部备注：访客情绪激动"})
    svc.act(DESK, "P1", case.case_id, "respond", {"message": "The lobby light is fixed by 3 pm.", "via": "app"})
    notes = NotificationService(svc.store, clock, svc.property, mailer=box.mailer)
    result = notes.deliver_due()
    told = box.mail[mails_before:]
    assert result["delivered"] == 2 and [m.to for m in told] == ["visitor@example.cn"] * 2
    assert [m.subject for m in told] == [f"[{case.case_id}] Handed to the team",
                                         f"[{case.case_id}] A reply on your case"]
    assert "The lobby light is fixed by 3 pm." in told[1].text
    assert not any("内部" in m.text or "张师傅" in m.text for m in told)
    assert notes.deliver_due()["delivered"] == 0 and len(box.mail) == mails_before + 2  # each step once

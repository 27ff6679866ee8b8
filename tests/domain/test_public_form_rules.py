"""The public web form's rules: codes, expiry, attempts, the visitor's input and case."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import cases, deadlines, public_form
from chalicelib.domain.errors import ValidationFailed
from tests.conftest import T0


def sub(**params):
    base = {"email": "Li.Visitor@Example.CN", "place": "大堂", "content": "灯坏了", "lang": "en"}
    return public_form.new_submission(property_id="P1", submission_id="s1", location=None, code="042917",
                                      salt="ab", now=T0, params={**base, **params})


def test_codes_have_six_digits_with_leading_zeros_and_are_stored_only_hashed():
    assert public_form.new_code(lambda n: 42) == "000042"
    s = sub()
    assert "042917" not in str(s.to_dict())
    assert public_form.code_matches(s, "042917") and not public_form.code_matches(s, "042918")


def test_five_wrong_codes_use_the_submission_up_and_a_match_is_found_before():
    s = sub()
    for left in (4, 3, 2, 1, 0):
        s, ok = public_form.check(s, "000000", T0)
        assert not ok and s.attempts_left() == left
    assert public_form.wrong_code(s).code == "code_attempts_used_up"
    with pytest.raises(ValidationFailed) as caught:
        public_form.check(s, "042917", T0)  # the right code, too late
    assert caught.value.code == "code_attempts_used_up"
    assert public_form.check(sub(), "042917", T0)[1]


def test_a_submission_expires_after_thirty_minutes():
    s = sub()
    assert public_form.check(s, "042917", T0 + timedelta(minutes=29))[1]
    with pytest.raises(public_form.SubmissionExpired):
        public_form.check(s, "042917", T0 + timedelta(minutes=30))
    with pytest.raises(public_form.SubmissionExpired):
        public_form.check(None, "042917", T0)


def test_contact_is_required_and_normalised():
    assert sub().contact == {"email": "Li.Visitor@example.cn"}
    assert sub(email="", phone="+86 138-0013 8000").contact == {"phone": "+8613800138000"}
    for bad in ({"email": ""}, {"email": "x@y"}, {"email": "", "phone": "call me"}):
        with pytest.raises(ValidationFailed):
            sub(**bad)
    assert public_form.mask({"email": "li@example.cn", "phone": "+8613800138000"}) == ["l***@example.cn",
                                                                                       "+86*********00"]


def test_the_visitors_case_is_web_verified_without_a_tenant_account():
    s = sub(name="<script>x</script>", category="cleaning")
    change = cases.new_case(property_id="P1", case_id="TD-1", actor=public_form.VISITOR,
                            params=public_form.case_params(s), now=T0, policy=deadlines.Policy())
    case = change.case
    assert case.channel == "web" and case.verified and case.tenant_id is None and case.lang == "en"
    assert case.reporter["name"] == "<script>x</script>" and case.category == "cleaning" and case.unit == "大堂"
    assert case.created_at == T0 and case.deadlines["handoff"].due == T0 + timedelta(minutes=10)


@pytest.mark.parametrize("header,lang", [("zh-TW,zh;q=0.9", "zh-Hant"), ("zh-CN", "zh-Hans"), ("en-GB,en", "en"),
                                         ("fr", "zh-Hans"), (None, "zh-Hans")])
def test_the_language_comes_from_accept_language(header, lang):
    assert public_form.pick_lang(None, header) == lang
    assert public_form.pick_lang("en", header) == "en"

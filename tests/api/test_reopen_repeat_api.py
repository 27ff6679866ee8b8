"""Issue 13 over HTTP: a closed case is reopened within the property's reopen
period, later the tenant files a repeat that links back; staff addresses are an
admin's validated setting."""
from __future__ import annotations

from tests.api.helpers import call
from tests.conftest import contacts_of

P1 = "/v1/properties/P1"


def settings(**extra):
    return {"name": "滨江花园 Riverside Garden", "email": "service@riverside.example",
            "contacts": contacts_of("riverside.example"),
            "departments": ["engineering", "security", "cleaning", "customer_service"], **extra}


def closed_consultation(client, tokens) -> str:
    s, case = call(client, "POST", f"{P1}/cases", tokens["tenant"], {"unit": "3栋1201", "content": "物业费怎么交？"})
    assert s == 201
    cid = case["case_id"]
    call(client, "POST", f"{P1}/cases/{cid}/classify", tokens["front_desk"], {"kind": "consultation"})
    s, done = call(client, "POST", f"{P1}/cases/{cid}/answer", tokens["front_desk"], {"message": "在App缴费页"})
    assert s == 200 and done["status"] == "closed"
    return cid


def test_tenant_reopens_a_closed_case_within_the_period_and_is_sent_to_a_repeat_after_it(client, tokens, clock):
    s, _ = call(client, "PUT", P1, tokens["admin"],
                settings(policy={"reopen_period": {"amount": 1, "unit": "hours"}}))
    assert s == 200
    cid = closed_consultation(client, tokens)
    s, case = call(client, "POST", f"{P1}/cases/{cid}/reopen", tokens["tenant"], {"reason": "还是不会交"})
    assert s == 200 and case["status"] == "in_progress"
    s, case = call(client, "POST", f"{P1}/cases/{cid}/answer", tokens["front_desk"], {"message": "已电话指导"})
    assert case["status"] == "closed"
    clock.advance(hours=1, minutes=1)
    s, err = call(client, "POST", f"{P1}/cases/{cid}/reopen", tokens["tenant"], {"reason": "又不行了"})
    assert s == 409 and err["code"] == "reopen_period_over" and err["details"]["repeat_of"] == cid
    s, repeat = call(client, "POST", f"{P1}/cases", tokens["tenant"],
                     {"unit": "3栋1201", "content": "缴费又失败了", "repeat_of": cid})
    assert s == 201 and repeat["repeat_of"] == cid
    s, again = call(client, "POST", f"{P1}/cases", tokens["tenant"],
                    {"unit": "3栋1201", "content": "还是失败", "repeat_of": repeat["case_id"]})
    assert s == 422 and again["code"] == "repeat_of_open_case"


def test_a_repeat_of_someone_elses_case_is_refused(client, tokens):
    cid = closed_consultation(client, tokens)
    s, err = call(client, "POST", f"{P1}/cases", tokens["tenant2"], {"unit": "5栋", "content": "x", "repeat_of": cid})
    assert s == 422 and err["code"] == "unknown_case" and err["details"]["field"] == "repeat_of"


def test_staff_addresses_are_validated_and_kept(client, tokens):
    s, err = call(client, "PUT", P1, tokens["admin"], settings(staff_addresses=["not an address"]))
    assert s == 422 and err["code"] == "validation_error"
    s, _ = call(client, "PUT", P1, tokens["admin"], settings(staff_addresses=["Zhang@Riverside.example"]))
    assert s == 200
    s, prop = call(client, "GET", P1, tokens["manager"])
    assert prop["staff_addresses"] == ["zhang@riverside.example"]
    s, err = call(client, "PUT", P1, tokens["manager"], settings(staff_addresses=["x@riverside.example"]))
    assert s == 403

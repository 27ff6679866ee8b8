"""The key register over HTTP: the refusals a user meets (unknown key, a key
returned twice, a lent key lent again, a tenant who refused entry, the front
desk issuing in working hours, another property), the tenant's view of the
unit entered with a key, the handover's keys out and the overdue schedule."""
from __future__ import annotations

from datetime import timedelta

from tests.api.helpers import call, case_url, read_case
from tests.conftest import make_token

KEYS = "/v1/properties/P1/keys"
LEAD = make_token("shift_lead", subject="lead-1", name="领班小陈")
DESK = make_token("front_desk", subject="desk-1", name="前台小王")
ADMIN = make_token("admin", properties=("P1", "P2"))
TENANT = make_token("tenant", subject="tenant-1", name="李女士")
BORROWER = {"name": "工程部张师傅", "kind": "staff", "phone": "139 0000 0001"}


def lend_body(clock, hours=3, **extra):
    return {"borrower": BORROWER, "purpose": "repair", "due": (clock() + timedelta(hours=hours)).isoformat(), **extra}


def add_key(client, **body):
    status, key = call(client, "POST", KEYS, LEAD, {"unit": "3栋1201", "slot": "A-12", **body})
    assert status == 201, key
    return key


def test_refusals_are_clear_and_change_nothing(client, clock):
    status, body = call(client, "GET", f"{KEYS}/K404", LEAD)
    assert (status, body["code"]) == (404, "unknown_key")
    key = add_key(client)
    url = f"{KEYS}/{key['key_id']}"
    status, body = call(client, "POST", url + "/lend", DESK, lend_body(clock))
    assert (status, body["code"]) == (403, "lead_issues_keys")  # Monday 10:00: the lead's cabinet
    status, lent = call(client, "POST", url + "/lend", LEAD, lend_body(clock))
    assert status == 200 and lent["state"] == "lent" and lent["loan"]["borrower"]["name"] == "工程部张师傅"
    status, body = call(client, "POST", url + "/lend", LEAD, lend_body(clock, borrower={**BORROWER, "name": "别人"}))
    assert (status, body["code"]) == (409, "key_not_in_cabinet")
    status, back = call(client, "POST", url + "/return", DESK, {})
    assert status == 200 and back["state"] == "in_cabinet"
    status, body = call(client, "POST", url + "/return", DESK, {})
    assert (status, body["code"]) == (409, "key_not_lent")
    status, detail = call(client, "GET", url, LEAD)
    assert [e["action"] for e in detail["history"]] == ["added", "lent", "returned"]
    returned = detail["history"][-1]["data"]["loan"]
    assert returned["received_by"]["name"] == "前台小王" and returned["returned_at"]
    # another property's register does not exist for a P1 token
    status, body = call(client, "GET", "/v1/properties/P2/keys", LEAD)
    assert status == 404
    status, body = call(client, "GET", KEYS, TENANT)
    assert (status, body["code"]) == (403, "forbidden")  # tenants never read the register


def test_a_version_pin_stops_a_second_lead(client, clock):
    key = add_key(client)
    url = f"{KEYS}/{key['key_id']}/lend"
    status, _ = call(client, "POST", url, LEAD, lend_body(clock, version=key["version"]))
    assert status == 200
    other = make_token("shift_lead", subject="lead-2")
    status, body = call(client, "POST", url, other, lend_body(clock, version=key["version"]))
    assert (status, body["code"]) == (409, "version_conflict")


def test_entry_permission_and_the_tenants_view_of_the_unit_entered(client, clock):
    status, case = call(client, "POST", "/v1/properties/P1/cases", TENANT,
                        {"unit": "3栋1201", "content": "厨房水管漏水，我在外地出差"})
    assert status == 201
    cid = case["case_id"]
    key = add_key(client, slot="A-SECRET-SLOT")
    lend = f"{KEYS}/{key['key_id']}/lend"
    status, body = call(client, "POST", lend, LEAD, lend_body(clock, purpose="case", case_id=cid))
    assert (status, body["code"]) == (409, "entry_permission_missing")
    status, body = call(client, "POST", case_url(cid, "/entry-permission"), TENANT, {"granted": False})
    assert status == 200 and body["entry_permission"]["granted"] is False
    status, body = call(client, "POST", lend, LEAD, lend_body(clock, purpose="case", case_id=cid, emergency=True,
                                                                reason="漏水"))
    assert (status, body["code"]) == (409, "entry_refused")
    status, body = call(client, "POST", case_url(cid, "/entry-permission"), TENANT, {
        "granted": True, "slots": [{"from": "2026-11-23T08:00", "to": "2026-11-23T09:00"}]})
    assert (status, body["code"]) == (422, "invalid_slot")  # in the past
    status, body = call(client, "POST", case_url(cid, "/entry-permission"), DESK, {
        "granted": True, "note": "业主电话同意", "slots": [{"from": "2026-11-23T14:00", "to": "2026-11-23T17:00"}]})
    assert status == 200 and body["entry_permission"]["slots"] == [
        {"from": "2026-11-23T14:00:00+08:00", "to": "2026-11-23T17:00:00+08:00"}]
    status, _ = call(client, "POST", lend, LEAD, lend_body(clock, purpose="case", case_id=cid))
    assert status == 200
    clock.advance(hours=1)
    status, _ = call(client, "POST", f"{KEYS}/{key['key_id']}/return", LEAD, {})
    assert status == 200
    seen = read_case(client, cid, TENANT)
    entries = [e for e in seen["timeline"] if e["action"] == "key_entry"]
    assert [(e["data"]["stage"], e["data"]["borrower"], e["data"]["key_id"]) for e in entries] == [
        ("lent", "工程部张师傅", key["key_id"]), ("returned", "工程部张师傅", key["key_id"])]
    assert "A-SECRET-SLOT" not in str(seen)  # who and when, never the cabinet slot
    assert seen["entry_permission"]["granted"] is True and "by" not in seen["entry_permission"]
    assert [e["data"]["granted"] for e in seen["timeline"] if e["action"] == "entry_permission"] == [False, True]
    other = make_token("tenant", subject="tenant-2")
    status, _ = call(client, "POST", case_url(cid, "/entry-permission"), other, {"granted": True})
    assert status == 404


def test_a_lost_key_makes_a_lock_change_case_and_mails_manager_and_security(client, clock, mailbox):
    key = add_key(client)
    status, lost = call(client, "POST", f"{KEYS}/{key['key_id']}/lost", DESK, {"reason": "在电梯里遗失"})
    assert status == 200 and lost["state"] == "lost" and lost["lock_change_case"]
    case = read_case(client, lost["lock_change_case"], LEAD)
    assert (case["kind"], case["department"], case["recorder"]) == ("request", "engineering", "desk-1")
    assert case["deadlines"]
    assert sorted(m["To"] for m in mailbox()) == ["control-room@riverside.example", "manager@riverside.example"]


def test_keys_out_overdue_first_in_the_handover_and_told_to_the_lead(client, clock, mailbox):
    a, b = add_key(client), add_key(client, unit="5栋0302", slot="A-13")
    call(client, "POST", f"{KEYS}/{a['key_id']}/lend", LEAD, lend_body(clock, hours=12))
    call(client, "POST", f"{KEYS}/{b['key_id']}/lend", LEAD, lend_body(clock, hours=1))
    clock.advance(hours=2)
    status, out = call(client, "GET", f"{KEYS}/out", DESK)
    assert status == 200 and [(k["key_id"], k["overdue"]) for k in out["items"]] == [
        (b["key_id"], True), (a["key_id"], False)]
    def tick():
        return client.lambda_.invoke("keys_overdue", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])).payload

    assert tick() == {"told": {"P1": [b["key_id"]]}}
    assert [m["To"] for m in mailbox()] == ["desk@riverside.example"]
    assert tick() == {"told": {}}  # once per loan
    clock.advance(hours=8)  # 20:00: the 18:00 handover lists both keys still out
    status, doc = call(client, "POST", "/v1/properties/P1/handovers", DESK, {})
    assert status == 201, doc
    assert [(i["key_id"], i["overdue"]) for i in doc["keys_out"]["items"]] == [
        (b["key_id"], True), (a["key_id"], False)]


def _open_cases(client):
    status, queue = call(client, "GET", "/v1/properties/P1/queue", LEAD)
    assert status == 200, queue
    return [c["case_id"] for c in queue["items"]]


def test_every_action_on_an_unknown_key_is_404_and_a_refused_loss_makes_no_case(client, clock, mailbox):
    key = add_key(client)
    status, before = call(client, "GET", KEYS, LEAD)
    for action, token, body in (("lend", LEAD, lend_body(clock)), ("return", DESK, {}),
                                ("damaged", DESK, {"reason": "齿断了"}), ("lost", DESK, {"reason": "遗失"}),
                                ("retire", ADMIN, {"reason": "旧锁已拆"}), ("replace", ADMIN, {"copies": 1})):
        status, body = call(client, "POST", f"{KEYS}/K404/{action}", token, body)
        assert (status, body["code"]) == (404, "unknown_key"), action
    status, body = call(client, "PUT", f"{KEYS}/K404", LEAD, {"unit": "3栋1201", "slot": "A-12"})
    assert (status, body["code"]) == (404, "unknown_key")
    assert _open_cases(client) == [] and mailbox() == []
    status, after = call(client, "GET", KEYS, LEAD)
    assert after == before and [k["key_id"] for k in after["items"]] == [key["key_id"]]
    # a loss reported twice: the second is refused before a second lock-change case is made
    url = f"{KEYS}/{key['key_id']}/lost"
    status, lost = call(client, "POST", url, DESK, {"reason": "在电梯里遗失"})
    assert status == 200
    status, body = call(client, "POST", url, DESK, {"reason": "又丢了"})
    assert (status, body["code"]) == (409, "key_not_lost_state")
    status, body = call(client, "POST", url, DESK, {"reason": "   "})
    assert status in (409, 422)
    assert _open_cases(client) == [lost["lock_change_case"]] and len(mailbox()) == 2


def test_a_retried_entry_permission_is_stored_once_and_a_reused_key_refused(client):
    status, case = call(client, "POST", "/v1/properties/P1/cases", TENANT, {"unit": "3栋1201", "content": "厨房漏水"})
    assert status == 201
    url, key = case_url(case["case_id"], "/entry-permission"), {"Idempotency-Key": "entry-1"}
    first = call(client, "POST", url, TENANT, {"granted": True, "note": "钥匙在前台"}, headers=key)
    again = call(client, "POST", url, TENANT, {"granted": True, "note": "钥匙在前台"}, headers=key)
    assert first[0] == again[0] == 200 and again[1]["entry_permission"]["granted"] is True
    status, body = call(client, "POST", url, TENANT, {"granted": False}, headers=key)
    assert (status, body["code"]) == (422, "idempotency_key_reused")
    seen = read_case(client, case["case_id"], TENANT)
    assert [e["data"]["granted"] for e in seen["timeline"] if e["action"] == "entry_permission"] == [True]

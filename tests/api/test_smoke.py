from tests.api.helpers import call


def test_tenant_submits_and_staff_walks_case_to_closed(client, tokens, clock):
    status, case = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"],
                        {"unit": "3栋1201", "content": "空调不制冷，室内温度30度", "category": "air_conditioning"},
                        headers={"Idempotency-Key": "k1"})
    assert status == 201, case
    cid = case["case_id"]
    assert cid == "TD-20261123-0001"
    base = f"/v1/properties/P1/cases/{cid}"
    s, c = call(client, "POST", base + "/classify", tokens["front_desk"],
                {"kind": "complaint", "validity": "valid", "cause": "equipment_facility", "department": "engineering"})
    assert s == 200, c
    s, c = call(client, "POST", base + "/assign", tokens["front_desk"], {"assignee": "dept_staff-1"})
    assert s == 200 and c["status"] == "routed", c
    for action, body in [("start", {}), ("respond", {"message": "师傅下午2点上门"}), ("resolve", {"resolution": "更换电容"}),
                         ("callback", {"reached": True, "satisfied": True}), ("close", {})]:
        tok = tokens["dept_staff"] if action in ("start", "respond", "resolve") else tokens["front_desk"]
        s, c = call(client, "POST", f"{base}/{action}", tok, body)
        assert s == 200, (action, c)
    assert c["status"] == "closed"
    s, detail = call(client, "GET", base, tokens["tenant"])
    assert s == 200
    assert detail["content"] == "空调不制冷，室内温度30度"
    assert [e["action"] for e in detail["timeline"]][0] == "submitted"

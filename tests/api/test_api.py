"""The HTTP API through chalice.test.Client: status codes, error bodies,
authorisation refusals and bad input on every route."""
from __future__ import annotations

import json

import pytest

from chalicelib.http.openapi import ROUTES
from tests.api.helpers import call
from tests.conftest import contacts_of, make_token

SUBMIT = {"unit": "3栋1201", "content": "空调不制冷，室内温度30度", "category": "air_conditioning"}


@pytest.fixture
def case_id(client, tokens):
    status, body = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], SUBMIT)
    assert status == 201
    return body["case_id"]


def path(cid, suffix=""):
    return f"/v1/properties/P1/cases/{cid}{suffix}"


def assert_error(status, body, expected_status, code=None):
    assert status == expected_status, body
    assert set(body) >= {"code", "message"}, body
    if code:
        assert body["code"] == code, body


# --- round trips ---------------------------------------------------------------

@pytest.mark.parametrize("text", ["空调不制冷，室内温度30度", "商場冷氣太凍，顧客投訴", "Lift stuck on level 3 😡",
                                  "混合 mixed 內容\n第二行\t\"quoted\" <b>tag</b>"])
def test_content_round_trips_exactly_in_every_script(client, tokens, text):
    status, body = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], {**SUBMIT, "content": text})
    assert status == 201
    status, detail = call(client, "GET", path(body["case_id"]), tokens["tenant"])
    assert detail["content"] == text
    assert detail["timeline"][0]["data"]["content"] == text


def test_responses_are_utf8_json_not_escaped(client, tokens, case_id):
    from tests.api.helpers import call as _  # noqa: F401
    resp = client.http.get(path(case_id), headers={"Authorization": f"Bearer {tokens['tenant']}"})
    assert "空调不制冷".encode() in resp.body
    assert resp.headers["Content-Type"].startswith("application/json")


def test_submit_returns_location_and_deadlines(client, tokens):
    resp = client.http.post("/v1/properties/P1/cases", body=json.dumps(SUBMIT),
                            headers={"Authorization": f"Bearer {tokens['tenant']}",
                                     "Content-Type": "application/json"})
    body = json.loads(resp.body)
    assert resp.status_code == 201
    assert resp.headers["Location"] == f"/v1/properties/P1/cases/{body['case_id']}"
    assert body["deadlines"]["handoff"]["due"] == "2026-11-23T02:10:00.000000Z"
    assert body["status"] == "received" and body["version"] == 1
    assert "tier" not in body and "assignee" not in body  # internal fields stay with staff


def test_retried_submit_with_idempotency_key_returns_same_case(client, tokens):
    h = {"Idempotency-Key": "mobile-7f3a"}
    s1, b1 = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], SUBMIT, headers=h)
    resp = client.http.post("/v1/properties/P1/cases", body=json.dumps(SUBMIT),
                            headers={"Authorization": f"Bearer {tokens['tenant']}",
                                     "Content-Type": "application/json", **h})
    assert s1 == 201 and resp.status_code == 200
    assert json.loads(resp.body)["case_id"] == b1["case_id"]
    assert resp.headers["Idempotent-Replayed"] == "true"
    _, mine = call(client, "GET", "/v1/me/cases", tokens["tenant"])
    assert len(mine["items"]) == 1


def test_front_desk_logs_a_walk_in_case(client, tokens):
    status, body = call(client, "POST", "/v1/properties/P1/cases", tokens["front_desk"], {
        "channel": "walk_in", "unit": "大堂", "content": "访客反映电梯异响",
        "reporter": {"name": "陈先生", "phone": "138 0000 0000"}})
    assert status == 201, body
    assert body["recorder"] == "front_desk-1" and body["channel"] == "walk_in"


def test_lifecycle_over_http_with_version_checks(client, tokens, case_id):
    s, c = call(client, "POST", path(case_id, "/classify"), tokens["front_desk"],
                {"kind": "complaint", "validity": "valid", "severity": "major", "cause": "business_affected",
                 "department": "engineering", "version": 1})
    assert s == 200 and c["tier"] == "manager" and c["version"] == 2
    s, c = call(client, "POST", path(case_id, "/assign"), tokens["front_desk"], {"assignee": "eng-1", "version": 1})
    assert_error(s, c, 409, "version_conflict")
    assert c["details"]["current_version"] == 2


# --- authentication ------------------------------------------------------------

def test_missing_token_is_401(client):
    s, b = call(client, "GET", "/v1/me/cases")
    assert_error(s, b, 401, "missing_token")


def test_garbage_and_expired_tokens_are_401(client):
    from datetime import datetime, timezone
    s, b = call(client, "GET", "/v1/me/cases", "not.a.token")
    assert_error(s, b, 401, "invalid_token")
    old = make_token("tenant", now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    s, b = call(client, "GET", "/v1/me/cases", old)
    assert_error(s, b, 401, "token_expired")


def test_token_signed_with_another_key_is_401(client):
    from chalicelib.http.identity import mint_token
    from tests.conftest import T0
    forged = mint_token("another-key-" + "y" * 50, subject="tenant-1", role="admin", properties=["P1"], now=T0)
    s, b = call(client, "GET", "/v1/properties/P1/queue", forged)
    assert_error(s, b, 401, "invalid_token")


def test_unauthenticated_request_with_bad_body_is_401_not_422(client, case_id):
    s, b = call(client, "POST", path(case_id, "/classify"), None, {"kind": "nonsense"})
    assert_error(s, b, 401)


# --- authorisation refusals ----------------------------------------------------

STAFF_ROUTES = [("GET", "/v1/properties/P1/queue", None)] + [
    ("POST", path("{cid}", f"/{a}"), body) for a, body in [
        ("classify", {"kind": "complaint"}), ("assign", {"assignee": "x", "department": "engineering"}),
        ("start", {}), ("notes", {"note": "x"}), ("respond", {"message": "x"}), ("resolve", {"resolution": "x"}),
        ("callback", {"reached": False}), ("escalate", {"reason": "x"}), ("close", {}),
        ("answer", {"message": "x"}), ("explain", {"message": "x"})]]


@pytest.mark.parametrize("method,route,body", STAFF_ROUTES)
def test_tenant_calling_a_staff_route_is_403(client, tokens, case_id, method, route, body):
    s, b = call(client, method, route.replace("{cid}", case_id), tokens["tenant"], body)
    assert_error(s, b, 403, "forbidden")


@pytest.mark.parametrize("method,route,body", STAFF_ROUTES + [("GET", path("{cid}"), None)])
def test_staff_of_another_property_get_404(client, tokens, case_id, method, route, body):
    s, b = call(client, method, route.replace("{cid}", case_id), tokens["front_desk_p2"], body)
    assert_error(s, b, 404)


def test_tenant_reading_another_tenants_case_gets_404(client, tokens, case_id):
    s, b = call(client, "GET", path(case_id), tokens["tenant2"])
    assert_error(s, b, 404, "case_not_found")
    s, b = call(client, "POST", path(case_id, "/messages"), tokens["tenant2"], {"text": "偷看"})
    assert_error(s, b, 404, "case_not_found")


@pytest.mark.parametrize("role,action,body", [
    ("dept_staff", "/classify", {"kind": "complaint"}),
    ("dept_staff", "/close", {}),
    ("dept_staff", "/callback", {"reached": False}),
    ("front_desk", "/rating", {"score": 5}),
    ("manager", "/messages", {"text": "x"}),
])
def test_roles_without_the_permission_get_403(client, tokens, case_id, role, action, body):
    s, b = call(client, "POST", path(case_id, action), tokens[role], body)
    assert_error(s, b, 403, "forbidden")


def test_staff_cannot_list_tenant_cases_and_tenant_cannot_read_policy(client, tokens):
    assert call(client, "GET", "/v1/me/cases", tokens["manager"])[0] == 403
    assert call(client, "GET", "/v1/properties/P1", tokens["tenant"])[0] == 403


def test_only_admin_writes_policy(client, tokens):
    body = {"name": "滨江花园", "policy": {"timezone": "Asia/Shanghai"}, "contacts": contacts_of("riverside.example")}
    assert call(client, "PUT", "/v1/properties/P1", tokens["manager"], body)[0] == 403
    s, b = call(client, "PUT", "/v1/properties/P1", tokens["admin"], body)
    assert s == 200 and b["policy"]["timezone"] == "Asia/Shanghai"


def test_tenant_submitting_to_a_property_outside_their_scope_gets_404(client, tokens):
    s, b = call(client, "POST", "/v1/properties/P2/cases", tokens["tenant"], SUBMIT)
    assert_error(s, b, 404)


def test_dept_staff_cannot_log_calls(client, tokens):
    s, b = call(client, "POST", "/v1/properties/P1/cases", tokens["dept_staff"],
                {"channel": "phone", "unit": "x", "content": "y", "reporter": {"name": "z", "phone": "1"}})
    assert_error(s, b, 403)


# --- bad input ---------------------------------------------------------------

def _post_routes():
    """Every route that takes a JSON body."""
    return [(m, p) for (m, p), (_, _, schema, _) in ROUTES.items() if schema]


@pytest.mark.parametrize("method,route", _post_routes())
@pytest.mark.parametrize("raw,expected", [
    (b"{not json", 400), (b"[1,2,3]", 400), (b"\xff\xfe\x00", 400), (b'"just a string"', 400),
    (json.dumps({"unexpected_field": 1}).encode(), 422),
])
def test_every_write_route_refuses_malformed_bodies_with_4xx(client, tokens, case_id, method, route, raw, expected):
    token = tokens["admin"] if method == "PUT" else (
        tokens["tenant"] if route.endswith(("/cases", "/messages", "/rating")) else tokens["manager"])
    url = (route.replace("{property_id}", "P1").replace("{case_id}", case_id)
           .replace("{reply_id}", "R20261123000000abcd").replace("{tenant_id}", "tenant-1"))
    before = call(client, "GET", path(case_id), tokens["manager"])[1]
    s, b = call(client, method, url, token, raw=raw)
    assert_error(s, b, expected)
    after = call(client, "GET", path(case_id), tokens["manager"])[1]
    assert after == before  # nothing stored was touched


@pytest.mark.parametrize("body,field", [
    ({"unit": "x"}, None),
    ({"unit": "x", "content": 42}, "content"),
    ({"unit": "x", "content": "y", "category": "weather"}, "category"),
    ({"unit": "x", "content": "y", "kind": "praise"}, "kind"),
    ({"unit": "x", "content": "字" * 5001}, "content"),
    ({"unit": "x", "content": "y", "channel": "phone"}, "channel"),
    ({"unit": "x", "content": "y", "attachments": [{"name": "no ref"}]}, None),
])
def test_submit_validation_errors_are_422_naming_the_field(client, tokens, body, field):
    s, b = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], body)
    assert_error(s, b, 422, "validation_error")
    if field:
        assert field in (b["details"].get("field") or ""), b


def test_oversized_body_is_413(client, tokens):
    s, b = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"],
                raw=json.dumps({**SUBMIT, "content": "x" * 70000}).encode())
    assert_error(s, b, 413, "payload_too_large")


@pytest.mark.parametrize("body", [
    {"kind": "complaint", "version": "2"}, {"kind": "complaint", "version": 0}, {"severity": "extreme"},
    {"department": "<script>"},
])
def test_classify_bad_values_are_422(client, tokens, case_id, body):
    s, b = call(client, "POST", path(case_id, "/classify"), tokens["front_desk"], body)
    assert_error(s, b, 422)


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=1000", "status=closed", "kind=praise",
                                   "overdue=maybe", "cursor=%%%"])
def test_queue_bad_query_is_400(client, tokens, query):
    s, b = call(client, "GET", f"/v1/properties/P1/queue?{query}", tokens["front_desk"])
    assert_error(s, b, 400)


@pytest.mark.parametrize("route", ["/v1/properties/P1/cases/not-a-case", "/v1/properties/P1/cases/TD-20261123-9999",
                                   "/v1/properties/bad%20id/cases/TD-20261123-0001"])
def test_unknown_ids_are_404(client, tokens, route):
    s, b = call(client, "GET", route, tokens["manager"])
    assert_error(s, b, 404)


def test_illegal_transition_over_http_is_409_with_allowed_statuses(client, tokens, case_id):
    s, b = call(client, "POST", path(case_id, "/close"), tokens["front_desk"], {})
    assert_error(s, b, 409, "illegal_transition")
    assert b["details"]["allowed_from"] == ["callback_done"]


def test_rating_before_resolution_is_409(client, tokens, case_id):
    s, b = call(client, "POST", path(case_id, "/rating"), tokens["tenant"], {"score": 5})
    assert_error(s, b, 409)


# --- the route table and the OpenAPI document -----------------------------------------

def test_openapi_document_lists_exactly_the_apps_routes(client):
    from app import app
    registered = {(m, p) for p, entries in app.routes.items() for m in entries}
    assert registered == set(ROUTES)
    s, doc = call(client, "GET", "/v1/openapi.json")
    assert s == 200 and doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == registered


def test_openapi_body_schemas_are_the_validation_schemas(client):
    from chalicelib.schemas import SCHEMAS
    _, doc = call(client, "GET", "/v1/openapi.json")
    assert doc["components"]["schemas"]["Classify"] == json.loads(json.dumps(SCHEMAS["Classify"]))


def test_every_protected_route_names_a_known_permission():
    from chalicelib.domain.auth import PERMISSIONS
    for (_, _), (_, permission, _, _) in ROUTES.items():
        assert permission is None or permission in PERMISSIONS


def test_each_case_received_and_transition_emits_a_metric(client, tokens, monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    s, case = call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], SUBMIT)
    call(client, "POST", path(case["case_id"], "/notes"), tokens["front_desk"], {"note": "已致电"})
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    names = [(m["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], m.get("channel") or m.get("action"))
             for m in emitted]
    assert names == [("CaseReceived", "app"), ("CaseTransition", "note")]
    assert emitted[1]["case_id"] == case["case_id"]


def test_errors_chalice_answers_itself_have_our_shape(client, tokens):
    resp = client.http.post("/v1/properties/P1/cases", body=b"unit=x",
                            headers={"Authorization": f"Bearer {tokens['tenant']}",
                                     "Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 415
    assert json.loads(resp.body)["code"] == "unsupported_media_type"
    resp = client.http.request("DELETE", "/v1/properties/P1/cases", headers={})
    assert resp.status_code == 405
    assert json.loads(resp.body)["code"] == "method_not_allowed"


def test_metrics_switched_off_emit_nothing(client, tokens, capsys):
    call(client, "POST", "/v1/properties/P1/cases", tokens["tenant"], SUBMIT)
    assert '"_aws"' not in capsys.readouterr().out


def test_a_watch_task_leaves_no_case_on_later_log_lines(client, case_id, monkeypatch):
    """Handlers share a process (a warm Lambda; the local stack runs them all):
    after a watch task, the logger must not name that task's case any more."""
    import app as app_module
    from chalicelib.observability import logger
    from chalicelib.services.case_watch import WatchService

    class Sfn:
        def send_task_success(self, **_):
            pass

    monkeypatch.setattr(WatchService, "check", lambda self, pid, cid, gen, **_: {"action": "done"})
    monkeypatch.setattr(app_module, "aws_client", lambda name: Sfn())
    task = {"token": "t-1", "property_id": "P1", "case_id": case_id, "gen": 1}
    seen = []
    real_check = WatchService.check
    monkeypatch.setattr(WatchService, "check", lambda self, pid, cid, gen, **kw: (
        seen.append(dict(logger.get_current_keys())), real_check(self, pid, cid, gen, **kw))[1])
    client.lambda_.invoke("watch_tasks", client.events.generate_sqs_event(
        message_bodies=[json.dumps(task)], queue_name="tenantdesk-watch-tasks"))
    assert seen and seen[0]["case_id"] == case_id  # during the check its lines name the case
    assert "case_id" not in logger.get_current_keys() and "property_id" not in logger.get_current_keys()


def test_put_property_without_escalation_contacts_is_422_with_a_code(client, tokens):
    body = {"name": "滨江花园", "contacts": {"front_desk": "desk@riverside.example"}}
    s, b = call(client, "PUT", "/v1/properties/P1", tokens["admin"], body)
    assert s == 422 and b["code"] == "escalation_contact_missing"
    assert b["details"]["missing"] == ["manager", "director", "on_duty"]
    s, prop = call(client, "GET", "/v1/properties/P1", tokens["manager"])
    assert prop["contacts"]["manager"] == "manager@riverside.example"


def test_department_managers_are_set_per_department_and_a_malformed_one_is_422_leaving_the_property_as_it_was(
        client, tokens):
    from tests.conftest import contacts_of
    body = {"name": "滨江花园", "contacts": contacts_of("riverside.example"), "departments": ["engineering"],
            "department_contacts": {"engineering": {"manager": "工程经理"}}}
    s, b = call(client, "PUT", "/v1/properties/P1", tokens["admin"], body)
    assert s == 422 and b["code"] == "invalid_department_contacts"
    assert b["details"] == {"field": "department_contacts.engineering.manager"}
    s, prop = call(client, "GET", "/v1/properties/P1", tokens["manager"])
    assert s == 200 and prop["name"] != "滨江花园" and not prop.get("department_contacts")
    body["department_contacts"] = {"engineering": {"manager": "eng-manager@riverside.example"}}
    s, _ = call(client, "PUT", "/v1/properties/P1", tokens["admin"], body)
    assert s == 200
    s, prop = call(client, "GET", "/v1/properties/P1", tokens["manager"])
    assert prop["department_contacts"] == {"engineering": {"manager": "eng-manager@riverside.example"}}

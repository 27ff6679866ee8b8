"""Handover and statistics routes through chalice.test.Client: happy paths,
refusals, bad path values and a Chinese round trip. The blueprint is
registered here if app.py does not register it (yet)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.api.helpers import call
from tests.conftest import make_token

BASE = "/v1/properties/P1"
MON_18_05 = datetime(2026, 11, 23, 10, 5, tzinfo=timezone.utc)  # Monday 18:05 in Shanghai
SHIFT_END = "2026-11-23T10:00:00Z"
LONG_TEXT = ("业主反映：地下车库B2层排水沟堵塞，雨天积水严重，车辆无法通行，已经连续三天没有人来处理，非常不满意！"
             "請儘快處理，謝謝 🙏 Please fix the drain.")


def _ensure_registered():
    from app import app
    from chalicelib.http.routes_reports import reports_routes
    if "GET" not in app.routes.get("/v1/properties/{property_id}/handovers", {}):
        app.register_blueprint(reports_routes)
    return app


@pytest.fixture
def api(runtime_wired):
    from chalice.test import Client
    app = _ensure_registered()
    with Client(app, stage_name="local") as c:
        yield c


@pytest.fixture
def shift(api, tokens, clock):
    """Monday's day shift in P1: two cases (one escalated), summary produced at 18:05."""
    s, aircon = call(api, "POST", f"{BASE}/cases", tokens["tenant"],
                     {"unit": "3栋1201", "title": "客厅空调不制冷", "content": "客厅空调不制冷，室内30度"})
    assert s == 201
    clock.advance(hours=1)
    s, drain = call(api, "POST", f"{BASE}/cases", tokens["tenant"], {"unit": "B2车库", "content": LONG_TEXT})
    assert s == 201
    s, _ = call(api, "POST", f"{BASE}/cases/{drain['case_id']}/escalate", tokens["front_desk"],
                {"reason": "业主第三次投诉"})
    assert s == 200
    clock.now = MON_18_05
    return {"aircon": aircon["case_id"], "drain": drain["case_id"]}


def test_front_desk_produces_the_summary_once_and_it_replays(api, tokens, shift):
    s, doc = call(api, "POST", f"{BASE}/handovers", tokens["front_desk"], {})
    assert s == 201 and doc["shift_end"] == SHIFT_END and doc["signed"] is False
    assert [i["case_id"] for i in doc["opened"]["items"]] == [shift["aircon"], shift["drain"]]
    assert [i["case_id"] for i in doc["escalated"]["items"]] == [shift["drain"]]
    resp = api.http.post(f"{BASE}/handovers", body=b"",
                         headers={"Authorization": f"Bearer {tokens['manager']}", "Content-Type": "application/json"})
    assert resp.status_code == 200 and resp.headers["Idempotent-Replayed"] == "true"
    assert resp.headers["Location"] == f"{BASE}/handovers/{SHIFT_END}"
    assert json.loads(resp.body) == doc


def test_chinese_titles_and_content_round_trip_in_the_summary(api, tokens, shift):
    call(api, "POST", f"{BASE}/handovers", tokens["front_desk"], {})
    resp = api.http.get(f"{BASE}/handovers/{SHIFT_END}", headers={"Authorization": f"Bearer {tokens['dept_staff']}"})
    assert resp.status_code == 200 and "客厅空调不制冷".encode() in resp.body  # UTF-8, not \\u escapes
    doc = json.loads(resp.body)
    titles = {i["case_id"]: i["title"] for i in doc["opened"]["items"]}
    assert titles[shift["aircon"]] == "客厅空调不制冷"
    assert titles[shift["drain"]] == LONG_TEXT[:60]  # no title: the first 60 characters of the content
    assert len(titles[shift["drain"]]) == 60 < len(LONG_TEXT)


def test_produce_for_an_earlier_time_and_refuse_the_future(api, tokens, shift):
    s, doc = call(api, "POST", f"{BASE}/handovers", tokens["front_desk"], {"at": "2026-11-23T09:00:00+08:00"})
    assert s == 201 and doc["shift_end"] == "2026-11-23T00:00:00Z"
    s, body = call(api, "POST", f"{BASE}/handovers", tokens["front_desk"], {"at": "2026-11-24T09:00:00Z"})
    assert s == 422 and body["details"]["field"] == "at"
    s, body = call(api, "POST", f"{BASE}/handovers", tokens["front_desk"], {"at": "soon"})
    assert s == 422 and body["code"] == "validation_error"


def test_list_and_get_handovers(api, tokens, shift, clock):
    call(api, "POST", f"{BASE}/handovers", tokens["front_desk"], {"at": "2026-11-23T00:00:00Z"})
    call(api, "POST", f"{BASE}/handovers", tokens["front_desk"], {})
    s, page = call(api, "GET", f"{BASE}/handovers?limit=1", tokens["dept_staff"])
    assert s == 200 and [i["shift_end"] for i in page["items"]] == [SHIFT_END] and page["next_cursor"]
    s, rest = call(api, "GET", f"{BASE}/handovers?limit=1&cursor={page['next_cursor']}", tokens["dept_staff"])
    assert [i["shift_end"] for i in rest["items"]] == ["2026-11-23T00:00:00Z"]
    s, doc = call(api, "GET", f"{BASE}/handovers/{SHIFT_END}", tokens["director"])
    assert s == 200 and doc["shift_start"] == "2026-11-23T00:00:00Z"
    assert doc["signatures"] == {"customer_service": None, "control_room": None}
    assert call(api, "GET", f"{BASE}/handovers?limit=0", tokens["dept_staff"])[0] == 400
    assert call(api, "GET", f"{BASE}/handovers?cursor=garbage", tokens["dept_staff"])[0] == 400


def mark_all_ok(api, token, shift_end=SHIFT_END):
    """The outgoing side marks the default checklist √ (it signs only a complete one)."""
    items = [{"id": i, "mark": "ok"} for i in ("desk", "equipment", "key_cabinet", "diary_read")]
    s, doc = call(api, "PUT", f"{BASE}/handovers/{shift_end}/checklist", token, {"items": items})
    assert s == 200, doc
    return doc


def test_both_sides_sign_and_a_second_signature_is_409(api, tokens, shift):
    call(api, "POST", f"{BASE}/handovers", tokens["front_desk"], {})
    sign = f"{BASE}/handovers/{SHIFT_END}/sign"
    s, body = call(api, "POST", sign, tokens["front_desk"], {"side": "customer_service"})
    assert s == 409 and body["code"] == "checklist_incomplete"  # 18:00: customer service hands over, √/× first
    mark_all_ok(api, tokens["front_desk"])
    s, doc = call(api, "POST", sign, tokens["front_desk"], {"side": "customer_service", "comment": "排水沟案已交接"})
    assert s == 200 and doc["signatures"]["customer_service"]["by"]["name"] == "前台小王"
    assert doc["signatures"]["customer_service"]["comment"] == "排水沟案已交接" and doc["signed"] is False
    s, body = call(api, "POST", sign, tokens["manager"], {"side": "customer_service"})
    assert s == 409 and body["code"] == "already_signed"
    s, body = call(api, "POST", sign, tokens["manager"], {"side": "control_room"})
    assert s == 403 and body["code"] == "forbidden"  # the control room signs its own side
    security = make_token("security", subject="security-1", name="监控室老陈")
    s, doc = call(api, "POST", sign, security, {"side": "control_room", "comment": "收到"})
    assert s == 200 and doc["signed"] is True and doc["signatures"]["control_room"]["by"]["role"] == "security"
    s, page = call(api, "GET", f"{BASE}/handovers", tokens["front_desk"])
    assert page["items"][0]["signed"] is True


def test_bad_sign_side_is_422_and_unknown_handover_404(api, tokens, shift):
    call(api, "POST", f"{BASE}/handovers", tokens["front_desk"], {})
    s, body = call(api, "POST", f"{BASE}/handovers/{SHIFT_END}/sign", tokens["front_desk"], {"side": "security"})
    assert s == 422 and body["details"]["field"] == "side"
    s, body = call(api, "POST", f"{BASE}/handovers/{SHIFT_END}/sign", tokens["front_desk"], {})
    assert s == 422
    s, body = call(api, "POST", f"{BASE}/handovers/2026-11-22T10:00:00Z/sign", tokens["front_desk"],
                   {"side": "customer_service"})
    assert s == 404 and body["code"] == "handover_not_found"
    s, body = call(api, "GET", f"{BASE}/handovers/2026-11-22T10:00:00Z", tokens["front_desk"])
    assert s == 404 and body["code"] == "handover_not_found"


@pytest.mark.parametrize("value", ["yesterday", "2026-11-23", "2026-11-23T10:00:00", "2026-13-23T10:00:00Z",
                                   "1999-11-23T10:00:00Z"])
def test_bad_shift_end_is_400(api, tokens, value):
    s, body = call(api, "GET", f"{BASE}/handovers/{value}", tokens["front_desk"])
    assert s == 400 and body["code"] == "invalid_shift_end"
    s, body = call(api, "POST", f"{BASE}/handovers/{value}/sign", tokens["front_desk"], {"side": "control_room"})
    assert s == 400 and body["code"] == "invalid_shift_end"


def test_an_encoded_or_offset_shift_end_names_the_same_handover(api, tokens, shift):
    call(api, "POST", f"{BASE}/handovers", tokens["front_desk"], {})
    for value in ("2026-11-23T10%3A00%3A00Z", "2026-11-23T18:00:00+08:00", "2026-11-23T10:00:00.000000Z"):
        s, doc = call(api, "GET", f"{BASE}/handovers/{value}", tokens["front_desk"])
        assert s == 200 and doc["shift_end"] == SHIFT_END, value


def test_daily_statistics_today_live_and_a_finished_day_stored(api, tokens, shift, clock):
    s, today = call(api, "GET", f"{BASE}/stats/daily/2026-11-23", tokens["dept_staff"])
    assert s == 200 and today["final"] is False and today["received"] == 2
    assert today["escalations"] == {"total": 1, "by_tier": {"manager": 1}}
    clock.now = datetime(2026, 11, 23, 16, 5, tzinfo=timezone.utc)  # Tuesday 00:05 local
    s, monday = call(api, "GET", f"{BASE}/stats/daily/2026-11-23", make_token("manager", now=clock.now))
    assert s == 200 and monday["final"] is True and monday["on_time"]["handoff"]["missed"] == 2
    assert monday["on_time"]["response"]["rate"] is None  # nothing was due yet: null, not a division error


@pytest.mark.parametrize("value", ["2026-11-31", "20261123", "2026-1-3", "tomorrow", "2026-11-25"])
def test_bad_or_future_day_is_400(api, tokens, value):
    s, body = call(api, "GET", f"{BASE}/stats/daily/{value}", tokens["manager"])
    assert s == 400 and body["code"] == "invalid_day"


def test_monthly_statistics(api, tokens, shift, clock):
    clock.now = datetime(2026, 11, 23, 16, 5, tzinfo=timezone.utc)  # Tuesday 00:05 local
    director = make_token("director", now=clock.now)
    s, month = call(api, "GET", f"{BASE}/stats/monthly/2026-11", director)
    assert s == 200 and month["month"] == "2026-11" and month["complete"] is False
    assert month["days"][-1] == "2026-11-23" and month["received"] == 2
    assert month["escalations"]["by_tier"] == {"manager": 1}
    s, again = call(api, "GET", f"{BASE}/stats/monthly/2026-11", director)
    assert again["computed_days"] == [] and again["received"] == 2


@pytest.mark.parametrize("value", ["2026-13", "2026-00", "202611", "2026-11-01", "2026-12"])
def test_bad_or_future_month_is_400(api, tokens, value):
    s, body = call(api, "GET", f"{BASE}/stats/monthly/{value}", tokens["manager"])
    assert s == 400 and body["code"] == "invalid_month"


ROUTES = [
    ("GET", f"{BASE}/handovers", None),
    ("POST", f"{BASE}/handovers", {}),
    ("GET", f"{BASE}/handovers/{SHIFT_END}", None),
    ("POST", f"{BASE}/handovers/{SHIFT_END}/sign", {"side": "control_room"}),
    ("GET", f"{BASE}/stats/daily/2026-11-22", None),
    ("GET", f"{BASE}/stats/monthly/2026-11", None),
]


@pytest.mark.parametrize("method,route,body", ROUTES)
def test_tenant_is_403_on_every_report_route(api, tokens, method, route, body):
    s, payload = call(api, method, route, tokens["tenant"], body)
    assert s == 403 and payload["code"] == "forbidden"


@pytest.mark.parametrize("method,route,body", ROUTES)
def test_another_property_staff_get_404(api, tokens, method, route, body):
    s, payload = call(api, method, route, tokens["front_desk_p2"], body)
    assert s == 404


@pytest.mark.parametrize("method,route,body", ROUTES)
def test_no_token_is_401(api, method, route, body):
    assert call(api, method, route, None, body)[0] == 401


def test_one_front_desk_token_cannot_sign_both_sides_and_security_signs_the_control_room(api, tokens, shift):
    call(api, "POST", f"{BASE}/handovers", tokens["front_desk"], {})
    mark_all_ok(api, tokens["front_desk"])
    sign = f"{BASE}/handovers/{SHIFT_END}/sign"
    assert call(api, "POST", sign, tokens["front_desk"], {"side": "customer_service"})[0] == 200
    s, body = call(api, "POST", sign, tokens["front_desk"], {"side": "control_room"})
    assert s == 403 and body["code"] == "forbidden"
    security = make_token("security", subject="security-1", name="監控室陳生")
    s, body = call(api, "POST", sign, security, {"side": "customer_service"})
    assert s == 403 and body["code"] == "forbidden"
    s, doc = call(api, "POST", sign, security, {"side": "control_room", "comment": "已交接"})
    assert s == 200 and doc["signed"] is True
    assert doc["signatures"]["control_room"]["by"]["name"] == "監控室陳生"


@pytest.mark.parametrize("method,route,body", [r for r in ROUTES if r[0] == "POST"])
def test_department_staff_read_but_neither_produce_nor_sign(api, tokens, shift, method, route, body):
    s, payload = call(api, method, route, tokens["dept_staff"], body)
    assert s == 403 and payload["code"] == "forbidden"


def test_the_scheduled_handler_produces_due_handovers(api, tokens, shift, clock, monkeypatch):
    monkeypatch.setenv("TD_PROPERTIES", "P1,P2")

    def tick():
        return api.lambda_.invoke("handover_and_stats", api.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])).payload

    result = tick()
    assert result["P1"]["handovers"] == [SHIFT_END] and result["P2"]["handovers"] == [SHIFT_END]
    assert tick()["P1"] == {"handovers": [], "daily": None}
    token = make_token("front_desk", now=clock.now)
    s, page = call(api, "GET", f"{BASE}/handovers", token)
    assert [i["shift_end"] for i in page["items"]] == [SHIFT_END]


def test_openapi_documents_the_report_routes(api):
    from app import app
    from chalicelib.http.openapi import ROUTES as DOCUMENTED
    registered = {(m, p) for p, entries in app.routes.items() for m in entries}
    mine = {(m, p) for (m, p) in DOCUMENTED if "/handovers" in p or "/stats/" in p or p.endswith(("/shift", "/diary",
                                                                                                   "{entry_id}"))}
    assert len(mine) == 13 and mine <= registered  # the summary and statistics (6), the logbook (7)
    s, doc = call(api, "GET", "/v1/openapi.json")
    assert doc["paths"]["/v1/properties/{property_id}/handovers/{shift_end}/sign"]["post"]["x-permission"] == \
        "handover.sign"

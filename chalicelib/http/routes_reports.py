"""HTTP routes and the schedule for shift handovers and statistics, as a
Chalice blueprint: ``app.register_blueprint(reports_routes)``.

Same style as app.py: parse, call one ``ReportService`` method (which
authorises), shape the response. Path values are checked after the body,
as in app.py, so a bad body is reported first.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import runtime
from chalicelib.http import web
from chalicelib.http.authorizer import users
from chalicelib.observability import logger

# chalicelib.services.report_service (with the handover and statistics rules, ~10 ms to import)
# is imported inside the routes: it loads on the first report request, not with the app.

reports_routes = Blueprint(__name__)


PROPERTY = "/v1/properties/{property_id}"
HANDOVERS = PROPERTY + "/handovers"


def _request():
    return reports_routes.current_request


@reports_routes.route(HANDOVERS, methods=["GET"], authorizer=users)
@web.api
def list_handovers(property_id):
    req = _request()
    params = web.query(req)
    items, cursor = runtime.logbook().list_handovers(web.principal(req), web.property_id(property_id),
                                                     limit=web.query_int(params, "limit", 20, 1, 50),
                                                     cursor=params.get("cursor"),
                                                     unreviewed=web.query_bool(params, "unreviewed"))
    return web.json_response({"items": items, "next_cursor": cursor})


@reports_routes.route(HANDOVERS, methods=["POST"], authorizer=users)
@web.api
def produce_handover(property_id):
    """The summary of the shift that ended last (or last before ``at``): 201
    when this request produced it, 200 with the stored one otherwise."""
    from chalicelib.services.report_service import parse_at
    req = _request()
    who = web.principal(req)
    body = web.body(req, "ProduceHandover")
    pid = web.property_id(property_id)
    doc, created = runtime.logbook().request_handover(who, pid, parse_at(body.get("at")))
    headers = {"Location": f"/v1/properties/{pid}/handovers/{doc['shift_end']}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return web.json_response(doc, 201 if created else 200, headers)


@reports_routes.route(HANDOVERS + "/{shift_end}", methods=["GET"], authorizer=users)
@web.api
def get_handover(property_id, shift_end):
    from chalicelib.services.report_service import parse_shift_end
    who = web.principal(_request())
    pid = web.property_id(property_id)
    return web.json_response(runtime.logbook().get_handover(who, pid, parse_shift_end(shift_end)))


@reports_routes.route(HANDOVERS + "/{shift_end}/sign", methods=["POST"], authorizer=users)
@web.api
def sign_handover(property_id, shift_end):
    from chalicelib.services.report_service import parse_shift_end
    req = _request()
    who = web.principal(req)
    body = web.body(req, "SignHandover")
    pid = web.property_id(property_id)
    doc = runtime.logbook().sign(who, pid, parse_shift_end(shift_end), body["side"], body.get("comment", ""),
                                 body.get("role"))
    return web.json_response(doc)


@reports_routes.route(PROPERTY + "/stats/daily/{day}", methods=["GET"], authorizer=users)
@web.api
def daily_stats(property_id, day):
    from chalicelib.services.report_service import parse_day
    who = web.principal(_request())
    pid = web.property_id(property_id)
    return web.json_response(runtime.reports().get_daily(who, pid, parse_day(day)))


@reports_routes.route(PROPERTY + "/stats/monthly/{month}", methods=["GET"], authorizer=users)
@web.api
def monthly_stats(property_id, month):
    from chalicelib.services.report_service import parse_month
    who = web.principal(_request())
    pid = web.property_id(property_id)
    year, number = parse_month(month)
    return web.json_response(runtime.reports().get_monthly(who, pid, year, number))


@reports_routes.schedule("cron(5 * * * ? *)")
def handover_and_stats(event):
    """Hourly, five past: every property whose local handover time (its policy's ``handover_times``) has passed
    gets its handover summary, and after local midnight yesterday's figures.
    Properties: TD_PROPERTIES plus the registry (see chalicelib/services/report_service.py)."""
    results = runtime.reports().run_due(runtime.clock())
    logger.info("handover and stats run", extra={"results": results})
    return results

"""HTTP routes of report schedules per property (issue 17), as a Chalice blueprint:
``app.register_blueprint(report_mail_routes)``. Parse, call one ``ReportMailService``
method (which authorises: ``report.schedule``), shape. The schedules' fires arrive
on the reminder queue (``report_due``, app.callback_reminders → :func:`deliver`)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from chalice import Blueprint

from chalicelib import runtime
from chalicelib.http import web
from chalicelib.http.authorizer import users

report_mail_routes = Blueprint(__name__)

SCHEDULES = "/v1/properties/{property_id}/report-schedules"


@report_mail_routes.route(SCHEDULES, methods=["GET"], authorizer=users)
@web.api
def get_report_schedules(property_id):
    who = web.principal(report_mail_routes.current_request)
    return web.json_response(runtime.report_mail().get(who, web.property_id(property_id)))


@report_mail_routes.route(SCHEDULES, methods=["PUT"], authorizer=users)
@web.api
def put_report_schedules(property_id):
    req = report_mail_routes.current_request
    who = web.principal(req)
    body = web.body(req, "PutReportSchedules")
    return web.json_response(runtime.report_mail().put(who, web.property_id(property_id), body["schedules"],
                                                       body.get("version", 0)))


@report_mail_routes.route(SCHEDULES + "/{schedule_id}/send", methods=["POST"], authorizer=users)
@web.api
def send_report_now(property_id, schedule_id):
    """Mail the schedule's report for the period a fire now would name (once per period)."""
    req = report_mail_routes.current_request
    who = web.principal(req)
    web.body(req, "SendReport")
    result = runtime.report_mail().send_now(who, web.property_id(property_id), schedule_id)
    return web.json_response(result, 201 if "sent" in result else 200)


def deliver(data: dict[str, Any]) -> dict[str, Any]:
    """A report schedule fired (the reminder queue's ``report_due`` message)."""
    scheduled = None
    text = str(data.get("scheduled_time") or "")
    if text and not text.startswith("<"):  # Scheduler fills <aws.scheduler.scheduled-time> in
        scheduled = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    return runtime.report_mail().fire(web.property_id(str(data["property_id"])), str(data["schedule_id"]),
                                      scheduled)

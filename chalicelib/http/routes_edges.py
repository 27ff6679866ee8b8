"""HTTP routes at the edges of the tenant API, as a Chalice blueprint
(``app.register_blueprint(edges_routes)``): a case's timeline a page at a
time, what a property tells its tenants, the caller's own tenant record.

Same style as app.py: parse, call one ``CaseService`` method (which
authorises), shape the response; reads carry an ETag (If-None-Match: 304).
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import runtime
from chalicelib.domain.views import event_view
from chalicelib.http import web
from chalicelib.http.authorizer import users

edges_routes = Blueprint(__name__)


CASE = "/v1/properties/{property_id}/cases/{case_id}"
TIMELINE_LIMIT = 50
TIMELINE_MAX = 100


def _request():
    return edges_routes.current_request


@edges_routes.route(CASE + "/timeline", methods=["GET"], authorizer=users)
@web.api
def timeline(property_id, case_id):
    """Older timeline events, ``limit`` at a time, each page in order; the
    cursor comes from the case's ``timeline_cursor`` or the previous page."""
    req = _request()
    params = web.query(req)
    who = web.principal(req)
    _case, events, cursor = runtime.service().timeline(
        who, *web.case_ids(property_id, case_id), limit=web.query_int(params, "limit", TIMELINE_LIMIT, 1, TIMELINE_MAX),
        cursor=params.get("cursor") or None)
    response = web.json_response({"items": [event_view(e, staff=who.is_staff) for e in events],
                                  "next_cursor": cursor})
    return web.conditional(req, response, "staff" if who.is_staff else "tenant")


@edges_routes.route("/v1/properties/{property_id}/public", methods=["GET"], authorizer=users)
@web.api
def public_information(property_id):
    """A property's name, hours, categories (three languages) and phone numbers, for its tenants."""
    req = _request()
    info = runtime.service().public_info(web.principal(req), web.property_id(property_id))
    return web.conditional(req, web.json_response(info), "public")


@edges_routes.route("/v1/me/tenant", methods=["GET"], authorizer=users)
@web.api
def my_tenant_record():
    """The caller's own tenant record (``property_id``: which, when the token names several)."""
    req = _request()
    params = web.query(req)
    pid = params.get("property_id")
    record = runtime.service().own_tenant_record(web.principal(req), web.property_id(pid) if pid else None)
    return web.conditional(req, web.json_response(record), "tenant")

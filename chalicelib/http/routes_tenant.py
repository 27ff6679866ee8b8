"""HTTP routes of the tenant app's own steps, as a Chalice blueprint
(``app.register_blueprint(tenant_routes)``): the tenant answers the follow-up
callback on their resolved case, and reads the places a new case may name.

Same style as app.py: parse, call one service method (which authorises), shape.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import runtime
from chalicelib.http import web
from chalicelib.http.authorizer import users

tenant_routes = Blueprint(__name__)

CASE = "/v1/properties/{property_id}/cases/{case_id}"


def _request():
    return tenant_routes.current_request


@tenant_routes.route(CASE + "/confirm", methods=["POST"], authorizer=users)
@web.api
def confirm_callback(property_id, case_id):
    """The tenant's answer to the follow-up (satisfied or not, a comment, a score):
    the callback, reached, by the tenant in the app (chalicelib/domain/cases.py confirm)."""
    req = _request()
    who = web.principal(req)
    params = web.body(req, "Confirm")
    version = params.pop("version", None)
    service = runtime.service()
    # Idempotency-Key, as on every case action: a retried answer changes nothing and is answered again.
    case, replayed = service.act_once(who, *web.case_ids(property_id, case_id), "confirm", params,
                                      expected_version=version, idempotency_key=req.headers.get("idempotency-key"))
    return web.case_response(case, who, headers={"Idempotent-Replayed": "true"} if replayed else None)


@tenant_routes.route("/v1/me/places", methods=["GET"], authorizer=users)
@web.api
def my_places():
    """The tenant's own units and the property's public areas, for the new-case form's location."""
    req = _request()
    pid = web.query(req).get("property_id")
    found = runtime.archive().tenant_places(web.principal(req), web.property_id(pid) if pid else None)
    return web.json_response(found)

"""HTTP routes for onboarding and sign-in, as a Chalice blueprint:
``app.register_blueprint(signin_routes)``.

Same style as app.py: parse, call one ``OnboardingService`` method (which
authorises), shape the response.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import runtime
from chalicelib.http import web
from chalicelib.http.authorizer import users

signin_routes = Blueprint(__name__)


TENANT = "/v1/properties/{property_id}/tenants/{tenant_id}"


def _request():
    return signin_routes.current_request


@signin_routes.route(TENANT + "/invite", methods=["POST"], authorizer=users)
@web.api
def invite_tenant(property_id, tenant_id):
    """Invite a registered tenant to sign in (Cognito AdminCreateUser); again: resend."""
    req = _request()
    who = web.principal(req)
    body = web.body(req, "InviteTenant")
    record, resent = runtime.onboarding().invite(who, web.property_id(property_id), web.tenant_id(tenant_id), body)
    return web.json_response(record, 200 if resent else 201, {"Idempotent-Replayed": "true"} if resent else None)


@signin_routes.route(TENANT + "/deactivate", methods=["POST"], authorizer=users)
@web.api
def deactivate_tenant(property_id, tenant_id):
    """Moved out: the account is disabled and signed out everywhere; the cases stay."""
    req = _request()
    who = web.principal(req)
    body = web.body(req, "DeactivateTenant")
    record = runtime.onboarding().deactivate(who, web.property_id(property_id), web.tenant_id(tenant_id), body)
    return web.json_response(record)

"""HTTP routes and the delivery schedule for tenant notifications, as a
Chalice blueprint: ``app.register_blueprint(notify_routes)``.

Same style as app.py: parse, call one ``NotificationService`` method (which
authorises: tenants only; staff get 403 ``forbidden``), shape the response.
"""
from __future__ import annotations

import re

from chalice import Blueprint, Response

from chalicelib import runtime
from chalicelib.domain.errors import NotFound
from chalicelib.http import web
from chalicelib.http.authorizer import users
from chalicelib.observability import logger

notify_routes = Blueprint(__name__)


NOTIFICATIONS = "/v1/me/notifications"
DEVICES = "/v1/me/devices"
WEBPUSH = "/v1/me/webpush"
PREFERENCES = "/v1/me/preferences"
_TARGET_ID = re.compile(r"^[0-9a-f]{24}$")


def _request():
    return notify_routes.current_request


def _target_id(value: str, code: str) -> str:
    if not _TARGET_ID.match(value or ""):
        raise NotFound("not found", code=code)
    return value


def _no_content() -> Response:
    return Response(body="", status_code=204)


@notify_routes.route(NOTIFICATIONS, methods=["GET"], authorizer=users)
@web.api
def list_notifications():
    req = _request()
    params = web.query(req)
    return web.json_response(runtime.notifications().feed(
        web.principal(req), limit=web.query_int(params, "limit", 20, 1, 100), cursor=params.get("cursor")))


@notify_routes.route(NOTIFICATIONS + "/read", methods=["POST"], authorizer=users)
@web.api
def mark_notifications_read():
    req = _request()
    who = web.principal(req)
    body = web.body(req, "MarkNotificationsRead")
    return web.json_response(runtime.notifications().mark_read(who, ids=body.get("ids") or [],
                                                               up_to=body.get("up_to")))


@notify_routes.route(DEVICES, methods=["POST"], authorizer=users)
@web.api
def register_device():
    req = _request()
    who = web.principal(req)
    body = web.body(req, "RegisterDevice")
    device = runtime.notifications().register_device(who, body["platform"], body["token"])
    return web.json_response(device, 201, {"Location": f"{DEVICES}/{device['id']}"})


@notify_routes.route(DEVICES + "/{device_id}", methods=["DELETE"], authorizer=users)
@web.api
def delete_device(device_id):
    req = _request()
    who = web.principal(req)
    web.body(req, "Empty")
    runtime.notifications().delete_device(who, _target_id(device_id, "device_not_found"))
    return _no_content()


@notify_routes.route(WEBPUSH, methods=["GET"], authorizer=users)
@web.api
def webpush_key():
    return web.json_response(runtime.notifications().webpush_key(web.principal(_request())))


@notify_routes.route(WEBPUSH, methods=["POST"], authorizer=users)
@web.api
def subscribe_webpush():
    req = _request()
    who = web.principal(req)
    body = web.body(req, "SubscribeWebPush")
    sub = runtime.notifications().subscribe_webpush(who, body["endpoint"], body["keys"])
    return web.json_response(sub, 201, {"Location": f"{WEBPUSH}/{sub['id']}"})


@notify_routes.route(WEBPUSH + "/{subscription_id}", methods=["DELETE"], authorizer=users)
@web.api
def delete_webpush(subscription_id):
    req = _request()
    who = web.principal(req)
    web.body(req, "Empty")
    runtime.notifications().delete_webpush(who, _target_id(subscription_id, "subscription_not_found"))
    return _no_content()


@notify_routes.route(PREFERENCES, methods=["GET"], authorizer=users)
@web.api
def get_preferences():
    return web.json_response(runtime.notifications().preferences(web.principal(_request())))


@notify_routes.route(PREFERENCES, methods=["PUT"], authorizer=users)
@web.api
def put_preferences():
    req = _request()
    who = web.principal(req)
    return web.json_response(runtime.notifications().put_preferences(who, web.body(req, "PutPreferences")))


@notify_routes.schedule("rate(1 minute)")
def deliver_notifications(event):
    """Deliver due tenant notifications (mobile push, Web Push, email), off the request path."""
    result = runtime.notifications().deliver_due()
    counts = {k: v for k, v in result.items() if k != "sent"}
    if any(counts.values()):
        logger.info("notifications delivered", extra=counts)
    return result

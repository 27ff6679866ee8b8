"""HTTP routes and the overdue schedule of the key register (seed 000 篇2), as
a Chalice blueprint: ``app.register_blueprint(keys_routes)``.

Same style as app.py: parse, call one ``KeyService`` method (which
authorises), shape the response. The case's entry permission is a case
action (``CaseService.act``), shaped as every case response is.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import runtime
from chalicelib.domain.errors import NotFound
from chalicelib.domain.keys import KEY_ID, STATES, key_view, out_view
from chalicelib.http import web
from chalicelib.http.authorizer import users
from chalicelib.observability import logger

keys_routes = Blueprint(__name__)


PROPERTY = "/v1/properties/{property_id}"
KEYS = PROPERTY + "/keys"
KEY = KEYS + "/{key_id}"


def _request():
    return keys_routes.current_request


def _key_id(value: str) -> str:
    if not KEY_ID.match(value or ""):
        raise NotFound("no such key in this property's register", code="unknown_key")  # never echo the path
    return value


def _view(key):
    return key_view(key, runtime.clock())


@keys_routes.route(KEYS, methods=["GET"], authorizer=users)
@web.api
def list_keys(property_id):
    req = _request()
    state = web.query_choice(web.query(req), "state", STATES)
    found = runtime.keys().list_keys(web.principal(req), web.property_id(property_id), state=state)
    return web.json_response({"items": [_view(k) for k in found]})


@keys_routes.route(KEYS, methods=["POST"], authorizer=users)
@web.api
def add_key(property_id):
    req = _request()
    who = web.principal(req)
    body = web.body(req, "AddKey")
    pid = web.property_id(property_id)
    key = runtime.keys().add_key(who, pid, body)
    return web.json_response(_view(key), 201, {"Location": f"/v1/properties/{pid}/keys/{key.key_id}"})


@keys_routes.route(KEYS + "/out", methods=["GET"], authorizer=users)
@web.api
def keys_out(property_id):
    req = _request()
    found = runtime.keys().keys_out(web.principal(req), web.property_id(property_id))
    return web.json_response({"items": out_view(found, runtime.clock())})


@keys_routes.route(KEY, methods=["GET"], authorizer=users)
@web.api
def get_key(property_id, key_id):
    req = _request()
    key, history = runtime.keys().get_key(web.principal(req), web.property_id(property_id), _key_id(key_id))
    return web.json_response({**_view(key), "history": [e.to_dict() for e in history]})


@keys_routes.route(KEY, methods=["PUT"], authorizer=users)
@web.api
def edit_key(property_id, key_id):
    req = _request()
    who = web.principal(req)
    body = web.body(req, "EditKey")
    version = body.pop("version", None)
    key = runtime.keys().edit_key(who, web.property_id(property_id), _key_id(key_id), body, version)
    return web.json_response(_view(key))


def _key_action(property_id, key_id, schema, method):
    req = _request()
    who = web.principal(req)
    body = web.body(req, schema)
    version = body.pop("version", None)
    key = getattr(runtime.keys(), method)(who, web.property_id(property_id), _key_id(key_id), body, version)
    return key


@keys_routes.route(KEY + "/lend", methods=["POST"], authorizer=users)
@web.api
def lend_key(property_id, key_id):
    return web.json_response(_view(_key_action(property_id, key_id, "LendKey", "lend")))


@keys_routes.route(KEY + "/return", methods=["POST"], authorizer=users)
@web.api
def return_key(property_id, key_id):
    return web.json_response(_view(_key_action(property_id, key_id, "ReturnKey", "return_key")))


@keys_routes.route(KEY + "/damaged", methods=["POST"], authorizer=users)
@web.api
def key_damaged(property_id, key_id):
    return web.json_response(_view(_key_action(property_id, key_id, "KeyReason", "report_damaged")))


@keys_routes.route(KEY + "/lost", methods=["POST"], authorizer=users)
@web.api
def key_lost(property_id, key_id):
    key, case = _key_action(property_id, key_id, "KeyReason", "report_lost")
    return web.json_response({**_view(key), "lock_change_case": case.case_id})


@keys_routes.route(KEY + "/replace", methods=["POST"], authorizer=users)
@web.api
def replace_key(property_id, key_id):
    return web.json_response(_view(_key_action(property_id, key_id, "ReplaceKey", "replace")))


@keys_routes.route(KEY + "/retire", methods=["POST"], authorizer=users)
@web.api
def retire_key(property_id, key_id):
    return web.json_response(_view(_key_action(property_id, key_id, "KeyReason", "retire")))


@keys_routes.route(PROPERTY + "/cases/{case_id}/entry-permission", methods=["POST"], authorizer=users)
@web.api
def entry_permission(property_id, case_id):
    """The tenant's (or, for them, the front desk's) word on entering the unit with the spare key."""
    req = _request()
    who = web.principal(req)
    params = web.body(req, "EntryPermission")
    version = params.pop("version", None)
    service = runtime.service()
    # Idempotency-Key, as on every case action: a retried answer changes nothing and is answered again.
    case, replayed = service.act_once(who, *web.case_ids(property_id, case_id), "entry_permission", params,
                                      expected_version=version, idempotency_key=req.headers.get("idempotency-key"))
    return web.case_response(case, who, headers={"Idempotent-Replayed": "true"} if replayed else None)


# Overdue keys: a periodic Query of each property's keys-out index up to now,
# rather than a one-time Scheduler schedule per loan. A loan's state (returned,
# lost, already reported) lives on the key, so there is no per-loan schedule to
# create, move or delete, and a missed run is caught up by the next one. Cost: one
# Query per property every five minutes.
@keys_routes.schedule("rate(5 minutes)")
def keys_overdue(event):
    told = runtime.keys().remind_overdue(runtime.clock())
    if told:
        logger.info("overdue keys told to the shift lead", extra={"keys": told})
    return {"told": told}

"""HTTP routes of the case library (chalicelib/domain/library.py), as a Chalice
blueprint: ``app.register_blueprint(library_routes)``.

Same style as app.py: parse, call one ``LibraryService`` method (which
authorises), shape the response. The library is per property; tenants never
read it (``library.*`` permissions are staff's).
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import runtime
from chalicelib.domain import cases
from chalicelib.domain.errors import NotFound
from chalicelib.domain.library import ENTRY_ID, staff_view
from chalicelib.http import web
from chalicelib.http.authorizer import users

library_routes = Blueprint(__name__)

PROPERTY = "/v1/properties/{property_id}"
LIBRARY = PROPERTY + "/library"
ENTRY = LIBRARY + "/{library_id}"
STATUSES = ("visible", "draft", "pending", "approved", "retired", "all")


def _request():
    return library_routes.current_request


def _entry_id(value: str) -> str:
    if not ENTRY_ID.match(value or ""):
        raise NotFound("no such entry in this property's library", code="unknown_entry")  # never echo the path
    return value


@library_routes.route(LIBRARY, methods=["GET"], authorizer=users)
@web.api
def list_entries(property_id):
    req = _request()
    params = web.query(req)
    status = web.query_choice(params, "status", STATUSES) or "visible"
    category = web.query_choice(params, "category", cases.CATEGORIES)
    found = runtime.library().list_entries(web.principal(req), web.property_id(property_id), status=status,
                                           category=category)
    return web.json_response({"items": [staff_view(e) for e in found]})


@library_routes.route(LIBRARY, methods=["POST"], authorizer=users)
@web.api
def add_entry(property_id):
    req = _request()
    pid = web.property_id(property_id)
    entry = runtime.library().create(web.principal(req), pid, web.body(req, "AddLibraryEntry"))
    return web.json_response(staff_view(entry), 201, {"Location": f"/v1/properties/{pid}/library/{entry.entry_id}"})


@library_routes.route(ENTRY, methods=["GET"], authorizer=users)
@web.api
def get_entry(property_id, library_id):
    req = _request()
    entry, versions = runtime.library().get_entry(web.principal(req), web.property_id(property_id),
                                                  _entry_id(library_id))
    return web.json_response({**staff_view(entry), "versions": [v.to_dict() for v in versions]})


@library_routes.route(ENTRY, methods=["PUT"], authorizer=users)
@web.api
def edit_entry(property_id, library_id):
    req = _request()
    body = web.body(req, "EditLibraryEntry")
    version = body.pop("version", None)
    entry = runtime.library().edit(web.principal(req), web.property_id(property_id), _entry_id(library_id), body,
                                   version)
    return web.json_response(staff_view(entry))


def _step(property_id, library_id, method):
    req = _request()
    body = web.body(req, "LibraryStep")
    entry = getattr(runtime.library(), method)(web.principal(req), web.property_id(property_id),
                                               _entry_id(library_id), body.get("version"))
    return web.json_response(staff_view(entry))


@library_routes.route(ENTRY + "/submit", methods=["POST"], authorizer=users)
@web.api
def submit_entry(property_id, library_id):
    return _step(property_id, library_id, "submit")


@library_routes.route(ENTRY + "/approve", methods=["POST"], authorizer=users)
@web.api
def approve_entry(property_id, library_id):
    return _step(property_id, library_id, "approve")


@library_routes.route(ENTRY + "/return", methods=["POST"], authorizer=users)
@web.api
def return_entry(property_id, library_id):
    return _step(property_id, library_id, "send_back")


@library_routes.route(ENTRY + "/retire", methods=["POST"], authorizer=users)
@web.api
def retire_entry(property_id, library_id):
    return _step(property_id, library_id, "retire")


@library_routes.route(PROPERTY + "/cases/{case_id}/library-suggestions", methods=["GET"], authorizer=users)
@web.api
def suggestions(property_id, case_id):
    req = _request()
    pid, cid = web.case_ids(property_id, case_id)
    case, found = runtime.library().suggestions(web.principal(req), pid, cid)
    return web.json_response({"case_id": case.case_id, "category": case.category,
                              "items": [{**staff_view(e), "score": score} for score, e in found]})


@library_routes.route(PROPERTY + "/cases/{case_id}/library-used", methods=["POST"], authorizer=users)
@web.api
def library_used(property_id, case_id):
    req = _request()
    pid, cid = web.case_ids(property_id, case_id)
    body = web.body(req, "UseLibraryEntry")
    entry, counted = runtime.library().record_use(web.principal(req), pid, cid, body["entry_id"])
    return web.json_response({**staff_view(entry), "counted": counted})

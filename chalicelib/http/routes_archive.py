"""HTTP routes of the owner archive (seed 001 文档管理), as a Chalice blueprint:
``app.register_blueprint(archive_routes)``.

Same style as app.py: parse, call one ``ArchiveService`` method (which
authorises), shape the response. Bodies are checked before path values, as in
app.py, so a bad body is reported first.
"""
from __future__ import annotations

import re

from chalice import Blueprint

from chalicelib import runtime
from chalicelib.domain.errors import BadRequest
from chalicelib.http import web
from chalicelib.http.authorizer import users

archive_routes = Blueprint(__name__)


PROPERTY = "/v1/properties/{property_id}"
ARCHIVE = PROPERTY + "/archive"
RESIDENT = ARCHIVE + "/residents/{resident_id}"
CASE = PROPERTY + "/cases/{case_id}"
_ARCHIVE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")  # chalicelib/domain/archive.py ID_PATTERN


def _request():
    return archive_routes.current_request


def _id(value: str, name: str) -> str:
    if not _ARCHIVE_ID.match(value or ""):
        raise BadRequest(f"{name} is 1 to 40 letters, digits, '-' or '_'", code="invalid_path",
                         details={"field": name})
    return value


def _items(items):
    return web.json_response({"items": items})


# --- structure --------------------------------------------------------------------

@archive_routes.route(ARCHIVE + "/buildings", methods=["GET"], authorizer=users)
@web.api
def list_buildings(property_id):
    return _items(runtime.archive().list_structure(web.principal(_request()), web.property_id(property_id),
                                                   "building"))


@archive_routes.route(ARCHIVE + "/buildings/{building_id}", methods=["GET"], authorizer=users)
@web.api
def get_building(property_id, building_id):
    return web.json_response(runtime.archive().building(web.principal(_request()), web.property_id(property_id),
                                                        _id(building_id, "building_id")))


def _put_structure(property_id, kind, record_id, schema):
    req = _request()
    who = web.principal(req)
    body = web.body(req, schema)
    record = runtime.archive().put_structure(who, web.property_id(property_id), kind, _id(record_id, f"{kind}_id"),
                                             body)
    return web.json_response(record)


@archive_routes.route(ARCHIVE + "/buildings/{building_id}", methods=["PUT"], authorizer=users)
@web.api
def put_building(property_id, building_id):
    return _put_structure(property_id, "building", building_id, "PutBuilding")


@archive_routes.route(ARCHIVE + "/units/{unit_id}", methods=["GET"], authorizer=users)
@web.api
def get_unit(property_id, unit_id):
    return web.json_response(runtime.archive().unit(web.principal(_request()), web.property_id(property_id),
                                                    _id(unit_id, "unit_id")))


@archive_routes.route(ARCHIVE + "/units/{unit_id}", methods=["PUT"], authorizer=users)
@web.api
def put_unit(property_id, unit_id):
    return _put_structure(property_id, "unit", unit_id, "PutUnit")


@archive_routes.route(ARCHIVE + "/areas", methods=["GET"], authorizer=users)
@web.api
def list_areas(property_id):
    return _items(runtime.archive().list_structure(web.principal(_request()), web.property_id(property_id), "area"))


@archive_routes.route(ARCHIVE + "/areas/{area_id}", methods=["PUT"], authorizer=users)
@web.api
def put_area(property_id, area_id):
    return _put_structure(property_id, "area", area_id, "PutArea")


@archive_routes.route(ARCHIVE + "/locations", methods=["GET"], authorizer=users)
@web.api
def list_locations(property_id):
    """Every place a case can be located at (buildings, units and rooms, public areas), for pickers."""
    return _items(runtime.archive().locations(web.principal(_request()), web.property_id(property_id)))


# --- residents ---------------------------------------------------------------------

@archive_routes.route(RESIDENT, methods=["GET"], authorizer=users)
@web.api
def get_resident(property_id, resident_id):
    """The service view, or (managers and up) the full record, which is logged."""
    req = _request()
    view = web.query_choice(web.query(req), "view", ("full", "service"))
    return web.json_response(runtime.archive().resident(web.principal(req), web.property_id(property_id),
                                                        _id(resident_id, "resident_id"), view=view,
                                                        route=f"GET {RESIDENT}"))


@archive_routes.route(RESIDENT, methods=["PUT"], authorizer=users)
@web.api
def put_resident(property_id, resident_id):
    req = _request()
    who = web.principal(req)
    body = web.body(req, "PutResident")
    return web.json_response(runtime.archive().put_resident(who, web.property_id(property_id),
                                                            _id(resident_id, "resident_id"), body))


@archive_routes.route(RESIDENT + "/renovations", methods=["POST"], authorizer=users)
@web.api
def add_renovation(property_id, resident_id):
    req = _request()
    who = web.principal(req)
    body = web.body(req, "AddRenovation")
    return web.json_response(runtime.archive().add_renovation(who, web.property_id(property_id),
                                                              _id(resident_id, "resident_id"), body), 201)


@archive_routes.route(ARCHIVE + "/lookup", methods=["GET"], authorizer=users)
@web.api
def lookup(property_id):
    """A caller's number, in any format: their residents (service view) and open cases."""
    req = _request()
    phone = web.query(req).get("phone") or ""
    return web.json_response(runtime.archive().lookup(web.principal(req), web.property_id(property_id), phone))


@archive_routes.route(ARCHIVE + "/access-log", methods=["GET"], authorizer=users)
@web.api
def access_log(property_id):
    req = _request()
    params = web.query(req)
    items, cursor = runtime.archive().access_log(web.principal(req), web.property_id(property_id),
                                                 limit=web.query_int(params, "limit", 50, 1, 100),
                                                 cursor=params.get("cursor"))
    return web.json_response({"items": items, "next_cursor": cursor})


# --- a case's location ----------------------------------------------------------------

@archive_routes.route(CASE + "/locate", methods=["POST"], authorizer=users)
@web.api
def locate_case(property_id, case_id):
    """Match the case's free-text unit to a place in the archive (audited on its trail)."""
    req = _request()
    who = web.principal(req)
    body = web.body(req, "LocateCase")
    pid, cid = web.case_ids(property_id, case_id)
    case = runtime.archive().locate_case(who, pid, cid, body, expected_version=body.get("version"))
    return web.case_response(case, who)

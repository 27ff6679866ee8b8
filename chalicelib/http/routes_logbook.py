"""HTTP routes of the shift-handover logbook (seed 000 篇3), as a Chalice
blueprint: ``app.register_blueprint(logbook_routes)``. The summary, its list and
the signature live in routes_reports.py; here the current shift's diary, the
checklist, refusing, answering and the shift lead's review.

Same style as app.py: parse, call one ``LogbookService`` method (which
authorises), shape the response; the body is checked before path values.
"""
from __future__ import annotations

import re

from chalice import Blueprint

from chalicelib import runtime
from chalicelib.domain.errors import NotFound
from chalicelib.http import web
from chalicelib.http.authorizer import users

logbook_routes = Blueprint(__name__)


PROPERTY = "/v1/properties/{property_id}"
HANDOVER = PROPERTY + "/handovers/{shift_end}"
_ENTRY_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")


def _request():
    return logbook_routes.current_request


def _shift_end(value):
    from chalicelib.services.report_service import parse_shift_end
    return parse_shift_end(value)


@logbook_routes.route(PROPERTY + "/shift", methods=["GET"], authorizer=users)
@web.api
def current_shift(property_id):
    who = web.principal(_request())
    return web.json_response(runtime.logbook().current_shift(who, web.property_id(property_id)))


@logbook_routes.route(PROPERTY + "/shift/diary", methods=["POST"], authorizer=users)
@web.api
def add_diary_entry(property_id):
    """201 with the entry; 200 when its ``entry_id`` was stored already (a retry)."""
    req = _request()
    who = web.principal(req)
    body = web.body(req, "AddDiaryEntry")
    entry, created = runtime.logbook().add_entry(who, web.property_id(property_id), body)
    return web.json_response(entry, 201 if created else 200)


@logbook_routes.route(PROPERTY + "/shift/diary/{entry_id}", methods=["PUT"], authorizer=users)
@web.api
def correct_diary_entry(property_id, entry_id):
    req = _request()
    who = web.principal(req)
    body = web.body(req, "CorrectDiaryEntry")
    pid = web.property_id(property_id)
    if not _ENTRY_ID.match(entry_id or ""):
        raise NotFound("no such diary entry", code="entry_not_found")
    return web.json_response(runtime.logbook().correct_entry(who, pid, entry_id, body))


@logbook_routes.route(HANDOVER + "/checklist", methods=["PUT"], authorizer=users)
@web.api
def mark_checklist(property_id, shift_end):
    req = _request()
    who = web.principal(req)
    body = web.body(req, "MarkChecklist")
    pid = web.property_id(property_id)
    return web.json_response(runtime.logbook().mark_checklist(who, pid, _shift_end(shift_end), body["items"]))


@logbook_routes.route(HANDOVER + "/refuse", methods=["POST"], authorizer=users)
@web.api
def refuse_handover(property_id, shift_end):
    req = _request()
    who = web.principal(req)
    body = web.body(req, "RefuseHandover")
    pid = web.property_id(property_id)
    return web.json_response(runtime.logbook().refuse(who, pid, _shift_end(shift_end), body["reason"]))


@logbook_routes.route(HANDOVER + "/answer", methods=["POST"], authorizer=users)
@web.api
def answer_refusal(property_id, shift_end):
    req = _request()
    who = web.principal(req)
    body = web.body(req, "AnswerRefusal")
    pid = web.property_id(property_id)
    return web.json_response(runtime.logbook().answer(who, pid, _shift_end(shift_end), body["note"]))


@logbook_routes.route(HANDOVER + "/review", methods=["POST"], authorizer=users)
@web.api
def review_handover(property_id, shift_end):
    req = _request()
    who = web.principal(req)
    body = web.body(req, "ReviewHandover")
    pid = web.property_id(property_id)
    return web.json_response(runtime.logbook().review(who, pid, _shift_end(shift_end), body.get("comment", "")))

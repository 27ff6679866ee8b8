"""HTTP routes for duplicates across channels, as a Chalice blueprint:
``app.register_blueprint(dedupe_routes)``.

Staff link a case to an owner case (another reporter, the same problem), merge the same
reporter's duplicate into a target, or dismiss a suggestion; each answers with the case
as staff see it (suggestions, links, merges: chalicelib/domain/views.py). The rules are
chalicelib/domain/dedupe.py; the service (which authorises) chalicelib/services/dedupe_service.py.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import runtime
from chalicelib.http import web
from chalicelib.http.authorizer import users

dedupe_routes = Blueprint(__name__)

CASE = "/v1/properties/{property_id}/cases/{case_id}"


def _do(property_id: str, case_id: str, what: str):
    req = dedupe_routes.current_request
    who = web.principal(req)
    body = web.body(req, "DuplicateTarget")
    pid, cid = web.case_ids(property_id, case_id)
    from chalicelib.services.dedupe_service import DedupeService
    service = DedupeService(runtime.service())
    case = getattr(service, what)(who, pid, cid, body["target"])
    return web.case_response(case, who)


@dedupe_routes.route(CASE + "/duplicate/link", methods=["POST"], authorizer=users)
@web.api
def link_duplicate(property_id, case_id):
    """The case follows the target (owner) case: its tenant is told when the owner is resolved."""
    return _do(property_id, case_id, "link")


@dedupe_routes.route(CASE + "/duplicate/merge", methods=["POST"], authorizer=users)
@web.api
def merge_duplicate(property_id, case_id):
    """The case (the same reporter's) closes as merged into the target."""
    return _do(property_id, case_id, "merge")


@dedupe_routes.route(CASE + "/duplicate/dismiss", methods=["POST"], authorizer=users)
@web.api
def dismiss_duplicate(property_id, case_id):
    """The suggested target is not a duplicate: the suggestion leaves the case."""
    return _do(property_id, case_id, "dismiss")

"""Duplicates and repeats across channels: the suggestions made on every new case, and
staff's link / merge / dismiss (chalicelib/domain/duplicates.py, chalicelib/domain/dedupe.py).

On submit (tenant app, web form, email intake, desk-logged: all through
``CaseService.create_as``) ``suggest`` reads the candidates with ONE Query on the
``dedupe`` index and writes the suggestions on the new case in its creating transaction.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain import auth, dedupe, duplicates, views
from chalicelib.domain.cases import Actor, Case
from chalicelib.domain.errors import NotFound, VersionConflict
from chalicelib.observability import logger

if TYPE_CHECKING:
    from chalicelib.services.case_service import CaseService

ATTEMPTS = 3
FOLLOW_ACTOR = Actor(id="system:linked", role="system", name="linked case")


def read_candidates(store: Any, property_id: str, category: str | None,
                    now: datetime) -> list[duplicates.Candidate] | None:
    """The one Query of a new case's duplicate look-up (None without a category)."""
    if not category:
        return None
    return list(store.duplicate_candidates(property_id, category, now - duplicates.WINDOW))


def suggest(store: Any, case: Case, now: datetime,
            candidates: list[duplicates.Candidate] | None) -> list[duplicates.Candidate] | None:
    """Mark ``case`` (a new case, not stored yet) with its possible duplicates and the
    closed case it repeats (``repeat_of``, unless the tenant named one). Returns the
    candidates read (one Query; none without a category), for a retried submit to reuse."""
    if not case.category:
        return candidates
    if candidates is None:
        candidates = read_candidates(store, case.property_id, case.category, now)
    assert candidates is not None
    found = duplicates.find(duplicates.candidate_of(case), candidates, now)
    case.possible_duplicates = found
    if case.repeat_of is None:
        case.repeat_of = duplicates.repeat_of(found)
    return candidates


class DedupeService:
    def __init__(self, cases: CaseService) -> None:
        self.cases = cases
        self.store = cases.store

    def _pair(self, principal: auth.Principal, property_id: str, case_id: str, target_id: str,
              permission: str) -> tuple[Case, Case]:
        auth.authorize(principal, permission, property_id)
        case = self.store.get_case(property_id, case_id)
        auth.authorize_on_case(principal, department=case.department, assignee=case.assignee)
        try:
            target = self.store.get_case(property_id, target_id)
        except NotFound:
            raise NotFound("no such target case", code="target_not_found", details={"field": "target"}) from None
        return case, target

    def link(self, principal: auth.Principal, property_id: str, case_id: str, target_id: str) -> Case:
        """``case_id`` follows ``target_id`` (another reporter, the same problem)."""
        for attempt in range(ATTEMPTS):
            case, owner = self._pair(principal, property_id, case_id, target_id, "case.link_duplicate")
            first, second = dedupe.link(case, owner, _actor(principal), self.cases.clock())
            try:
                self.store.save_pair(first, second)
                return first.case
            except VersionConflict:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def merge(self, principal: auth.Principal, property_id: str, case_id: str, target_id: str) -> Case:
        """``case_id`` closes as merged into ``target_id`` (the same reporter)."""
        for attempt in range(ATTEMPTS):
            case, target = self._pair(principal, property_id, case_id, target_id, "case.merge_duplicate")
            events = self.store.events(case)
            refs = [a for e in events for a in (e.data or {}).get("attachments") or []]
            said = [str(e.data["text"]) for e in events if e.action == "message" and (e.data or {}).get("text")]
            first, second = dedupe.merge(case, target, _actor(principal), self.cases.clock(), attachments=refs,
                                         messages=said)
            try:
                self.store.save_pair(first, second)
                return first.case
            except VersionConflict:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def dismiss(self, principal: auth.Principal, property_id: str, case_id: str, target_id: str) -> Case:
        """A suggestion staff judged not a duplicate leaves the case."""
        for attempt in range(ATTEMPTS):
            auth.authorize(principal, "case.dismiss_duplicate", property_id)
            case = self.store.get_case(property_id, case_id)
            auth.authorize_on_case(principal, department=case.department, assignee=case.assignee)
            change = dedupe.dismiss(case, target_id, _actor(principal), self.cases.clock())
            try:
                self.store.save_change(change, expected_version=case.version)
                return change.case
            except VersionConflict:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def view(self, principal: auth.Principal, case: Case) -> dict[str, Any]:
        return views.case_view(case, now=self.cases.clock(), staff=principal.is_staff)


# The owner's actions its followers follow: resolving, and closing (after the owner's own callback).
FOLLOWED = frozenset({"resolve", "close", "close_unreachable"})


def follow_owner(service: CaseService, action: str, owner: Case, params: dict[str, Any]) -> None:
    """The owner of linked cases was resolved or closed: its followers go with it, each
    as far as its own procedure allows, and each tenant is told by the usual notification.

    - resolved: every follower not yet resolved is resolved with the owner's resolution
      (its tenant is told; its own 3-hour callback window starts).
    - closed (``close`` or ``close_unreachable``): a follower not yet resolved is resolved
      as above; one whose callback is done is closed with the owner (its tenant is told);
      one whose own callback is still due (``resolved``) stays open: the procedure calls
      back every tenant one to one and has the tenant confirm (seed 003 4.8), so the
      owner's callback never stands for the follower's. An unsatisfied follower is left
      to a manager, as any case. A follower that cannot move now is left as it is."""
    if action not in FOLLOWED or not owner.followers:
        return
    resolution = params.get("resolution") if action == "resolve" else _resolution_of(service, owner)
    for follower in owner.followers:
        try:
            status = service.store.get_case(owner.property_id, follower).status
            if status in ("resolved", "callback_done", "closed"):
                if action == "resolve" or status != "callback_done":
                    continue  # already resolved; its own callback is due (or it is closed)
                service.system_act(FOLLOW_ACTOR, owner.property_id, follower, "close",
                                   {"summary": f"closed with {owner.case_id}"}, attempts=3)
            else:
                service.system_act(FOLLOW_ACTOR, owner.property_id, follower, "resolve",
                                   {"resolution": resolution or ""}, attempts=3)
        except Exception:  # noqa: BLE001 - one follower's state never undoes the owner's change
            logger.warning("follower not moved with its owner", extra={"case_id": follower, "action": action})


def _resolution_of(service: CaseService, owner: Case) -> str:
    """The owner's latest resolution (what its followers' tenants are told)."""
    said = [str((e.data or {}).get("resolution") or "") for e in service.store.events(owner) if e.action == "resolve"]
    return said[-1] if said else ""


def _actor(principal: auth.Principal) -> Actor:
    return Actor(id=principal.subject, role=principal.role, name=principal.name)

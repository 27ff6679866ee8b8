"""Staff decisions on suggested duplicates: link, merge, dismiss (pure; no AWS, no clock).

- ``link``: the same problem from another reporter. The new case follows an owner case
  (``Case.follows``); the owner lists its followers (``Case.followers``). When the owner
  is resolved, each follower is resolved with it (chalicelib/services/dedupe_service.py),
  so every tenant is told in their own language by the usual notification.
- ``merge``: the same reporter said it twice (app and phone...). The duplicate closes
  with ``merged_into`` (its tenant still reads it and sees "merged into TD-…"); the target
  lists it with its text and attachment references (``Case.merged``); the closed case's
  watcher ends (it stops on a closed case, chalicelib/domain/escalation.py).
- ``dismiss``: staff say a suggestion is not a duplicate; it leaves the case.

Each returns the changes to write together (one transaction, both versions checked).
"""
from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from chalicelib.domain import duplicates
from chalicelib.domain.cases import Actor, Case, Change, Event
from chalicelib.domain.errors import IllegalTransition, ValidationFailed

ACTIONS = ("link", "merge", "dismiss")
# The events these write on the two cases' trails (the console has a sentence for each).
EVENTS = ("link", "linked", "merge", "merged_in", "dismiss_duplicate")


def _change(case: Case, actor: Actor, action: str, now: datetime, data: dict[str, Any],
            mutate: Any) -> Change:
    after = copy.deepcopy(case)
    changes = mutate(after) or {}
    after.version = case.version + 1
    after.updated_at = now
    return Change(after, Event(seq=after.version, at=now, actor=actor, action=action, changes=changes, data=data))


def _drop_suggestion(case: Case, other_id: str) -> None:
    case.possible_duplicates = [s for s in case.possible_duplicates if s.get("case_id") != other_id]


def _require_pair(case: Case, other: Case) -> None:
    if case.case_id == other.case_id or case.property_id != other.property_id:
        raise ValidationFailed("a case is linked or merged with another case of its property",
                               code="same_case", details={"field": "target"})
    for c in (case, other):
        if c.merged_into:
            raise IllegalTransition(f"{c.case_id} was merged into {c.merged_into}", code="already_merged",
                                    details={"case_id": c.case_id, "merged_into": c.merged_into})


def link(case: Case, owner: Case, actor: Actor, now: datetime) -> tuple[Change, Change]:
    """``case`` follows ``owner`` (both open, neither merged, ``case`` follows nobody yet
    and has no followers of its own: one level only)."""
    _require_pair(case, owner)
    if not case.is_open or not owner.is_open:
        raise IllegalTransition("only open cases are linked", code="not_open",
                                details={"status": case.status if not case.is_open else owner.status})
    if case.follows or case.followers or owner.follows:
        raise IllegalTransition("a case follows one owner, and an owner follows nobody", code="already_linked",
                                details={"follows": case.follows or owner.follows})

    def follow(c: Case) -> dict[str, Any]:
        c.follows = owner.case_id
        _drop_suggestion(c, owner.case_id)
        return {"follows": {"from": None, "to": owner.case_id}}

    def lead(c: Case) -> dict[str, Any]:
        c.followers = [*c.followers, case.case_id]
        _drop_suggestion(c, case.case_id)
        return {}
    return (_change(case, actor, "link", now, {"owner": owner.case_id}, follow),
            _change(owner, actor, "linked", now, {"follower": case.case_id}, lead))


def merge(case: Case, target: Case, actor: Actor, now: datetime, *,
          attachments: list[dict[str, Any]], messages: list[str] | None = None) -> tuple[Change, Change]:
    """Close ``case`` as merged into ``target`` (the same reporter; ``case`` open and
    without followers). ``attachments``: the references ``case`` holds (its submission
    and messages) and ``messages`` the tenant's messages on it, listed on ``target``."""
    _require_pair(case, target)
    if not case.is_open:
        raise IllegalTransition("only an open case is merged into another", code="not_open",
                                details={"status": case.status})
    if case.followers:
        raise IllegalTransition("a case others follow is not merged away", code="has_followers",
                                details={"followers": case.followers})
    mine = duplicates.reporter_key(case.reporter, case.contact)
    if not mine or mine != duplicates.reporter_key(target.reporter, target.contact):
        raise IllegalTransition("only the same reporter's cases are merged; link a different reporter's",
                                code="not_same_reporter", details={"target": target.case_id})

    def close(c: Case) -> dict[str, Any]:
        before = c.status
        c.status, c.closed_at, c.merged_into = "closed", now, target.case_id
        _drop_suggestion(c, target.case_id)
        return {"status": {"from": before, "to": "closed"}, "merged_into": {"from": None, "to": target.case_id}}

    def absorb(c: Case) -> dict[str, Any]:
        c.merged = [*c.merged, {"case_id": case.case_id, "channel": case.channel, "content": case.content,
                                "attachments": attachments, "messages": list(messages or [])}]
        _drop_suggestion(c, case.case_id)
        return {}
    return (_change(case, actor, "merge", now, {"merged_into": target.case_id}, close),
            _change(target, actor, "merged_in", now, {"case_id": case.case_id, "attachments": attachments},
                    absorb))


def dismiss(case: Case, suggestion: str, actor: Actor, now: datetime) -> Change:
    """Staff say ``suggestion`` is not a duplicate of ``case``."""
    if not any(s.get("case_id") == suggestion for s in case.possible_duplicates):
        raise ValidationFailed(f"{suggestion} is not suggested on this case", code="not_suggested",
                               details={"field": "target"})
    return _change(case, actor, "dismiss_duplicate", now, {"case_id": suggestion},
                   lambda c: _drop_suggestion(c, suggestion))

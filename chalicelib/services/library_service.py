"""The case library as a service (seed 003 4.11, seed 002): one method per
step, each authorising, applying a pure rule of ``domain/library.py`` and
storing the entry through ``ports.LibraryStore``, conditional on the version
read.

What touches a case goes through the case service: proposing an entry from a
closed case reads the case and its trail (tenant data masked before anything
is stored) and records ``library_proposed`` on the case; "this helped"
records ``used_entry`` on the case and counts one use of the entry. Both
records are staff-only (not on the tenant's allow-list, domain/views.py).
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain import auth, library
from chalicelib.domain.cases import Actor, Case
from chalicelib.domain.errors import Conflict, VersionConflict
from chalicelib.domain.library import EntryChange, LibraryEntry, Version
from chalicelib.observability import record_metric

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from chalicelib.services.case_service import CaseService
    from chalicelib.services.ports import LibraryStore

LIST_STATUSES = ("visible", "draft", "pending", "approved", "retired", "all")
NEW_ID_ATTEMPTS = 3


def _actor(principal: auth.Principal) -> Actor:
    return Actor(principal.subject, principal.role, principal.name)


def new_entry_id() -> str:
    return "L" + secrets.token_hex(4).upper()


class LibraryService:
    def __init__(self, cases_service: CaseService, store: LibraryStore, clock: Callable[[], datetime], *,
                 new_id: Callable[[], str] = new_entry_id):
        self.cases = cases_service
        self.store = store
        self.clock = clock
        self.new_id = new_id

    def _allow(self, principal: auth.Principal, permission: str, property_id: str) -> None:
        auth.authorize(principal, permission, property_id)
        self.cases.property(property_id)  # NotFound(property_not_found)

    # --- reads -----------------------------------------------------------------

    def list_entries(self, principal: auth.Principal, property_id: str, *, status: str = "visible",
                     category: str | None = None) -> list[LibraryEntry]:
        """``visible``: the training view (approved, by category, newest and most
        used first); a status: the entries whose newest version is in it
        (``pending``: the approvals to make); ``all``: every entry."""
        self._allow(principal, "library.read", property_id)
        found = self.store.entries_of(property_id)
        if category is not None:
            found = [e for e in found if e.category == category]
        if status == "visible":
            return library.training_order(found)
        found = [e for e in found if status == "all" or e.status == status]
        return sorted(found, key=lambda e: e.updated_at or e.created_at, reverse=True)

    def get_entry(self, principal: auth.Principal, property_id: str, entry_id: str
                  ) -> tuple[LibraryEntry, list[Version]]:
        self._allow(principal, "library.read", property_id)
        return self.store.get_entry(property_id, entry_id), self.store.versions(property_id, entry_id)

    def suggestions(self, principal: auth.Principal, property_id: str, case_id: str
                    ) -> tuple[Case, list[tuple[float, LibraryEntry]]]:
        """Approved entries like the case, of its category (one index Query), best first."""
        self._allow(principal, "library.read", property_id)
        case = self.cases.store.get_case(property_id, case_id)
        if not case.category:
            return case, []
        return case, library.suggest(case, self.store.approved_in(property_id, case.category))

    # --- writing ---------------------------------------------------------------

    def create(self, principal: auth.Principal, property_id: str, params: dict[str, Any]) -> LibraryEntry:
        """A draft written by staff, or proposed from a closed case (``case_id``):
        prefilled from the case and its trail with tenant data masked; text sent
        along replaces the prefilled text (and is masked too)."""
        self._allow(principal, "library.write", property_id)
        actor = _actor(principal)
        case_id = params.get("case_id")
        text = {k: v for k, v in params.items() if k != "case_id"}
        redacted: list[str] = []
        case = None
        if case_id:
            case = self.cases.store.get_case(property_id, case_id)
            library.require_proposable(case)
            prefilled, redacted = library.draft_from_case(case, self.cases.store.events(case),
                                                          lang=text.get("lang"))
            secrets_ = library.case_secrets(case)
            lang = str(text.get("lang") or prefilled["lang"])
            text = {**prefilled, **{k: library.redact(v, secrets_, lang) if k in library.TEXT_FIELDS else v
                                    for k, v in text.items()}}
        for _attempt in range(NEW_ID_ATTEMPTS):
            change = library.new_entry(property_id=property_id, entry_id=self.new_id(), actor=actor, params=text,
                                       now=self.clock(), source_case=case_id, redacted=redacted)
            try:
                self.store.create_entry(change)
            except Conflict as exc:
                if exc.code != "entry_exists":
                    raise
                continue
            break
        else:
            raise VersionConflict("could not number the entry; try again", code="busy_retry")
        record_metric("LibraryEntry", dimensions={"action": "proposed" if case else "created"},
                      property_id=property_id)
        if case is not None:
            self.cases.system_act(actor, property_id, case.case_id, "library_proposed",
                                  {"entry_id": change.entry.entry_id, "title": change.entry.current["title"]})
        return self.store.get_entry(property_id, change.entry.entry_id)

    def _step(self, principal: auth.Principal, property_id: str, entry_id: str, permission: str,
              rule: Callable[[LibraryEntry, Actor, datetime], EntryChange], expected_version: int | None
              ) -> LibraryEntry:
        self._allow(principal, permission, property_id)
        entry = self.store.get_entry(property_id, entry_id)
        if expected_version is not None and expected_version != entry.version:
            raise VersionConflict("the entry was changed by someone else; reload and try again",
                                  details={"current_version": entry.version, "your_version": expected_version})
        change = rule(entry, _actor(principal), self.clock())
        self.store.save_entry(change, expected_version=entry.version)
        record_metric("LibraryEntry", dimensions={"action": change.action}, property_id=property_id)
        return self.store.get_entry(property_id, entry_id)

    def edit(self, principal: auth.Principal, property_id: str, entry_id: str, params: dict[str, Any],
             expected_version: int | None = None) -> LibraryEntry:
        return self._step(principal, property_id, entry_id, "library.write",
                          lambda e, a, now: library.edit(e, a, params, now), expected_version)

    def submit(self, principal: auth.Principal, property_id: str, entry_id: str,
               expected_version: int | None = None) -> LibraryEntry:
        return self._step(principal, property_id, entry_id, "library.write", library.submit, expected_version)

    def approve(self, principal: auth.Principal, property_id: str, entry_id: str,
                expected_version: int | None = None) -> LibraryEntry:
        """Never the author's own; refused while the text carries the source case's tenant data."""
        def rule(entry: LibraryEntry, actor: Actor, now: datetime) -> EntryChange:
            found = {}
            if entry.source_case:
                found = library.case_secrets(self.cases.store.get_case(property_id, entry.source_case))
            return library.approve(entry, actor, now, versions=self.store.versions(property_id, entry_id),
                                   secrets=found)
        return self._step(principal, property_id, entry_id, "library.approve", rule, expected_version)

    def send_back(self, principal: auth.Principal, property_id: str, entry_id: str,
                  expected_version: int | None = None) -> LibraryEntry:
        return self._step(principal, property_id, entry_id, "library.approve", library.send_back, expected_version)

    def retire(self, principal: auth.Principal, property_id: str, entry_id: str,
               expected_version: int | None = None) -> LibraryEntry:
        return self._step(principal, property_id, entry_id, "library.approve", library.retire, expected_version)

    def record_use(self, principal: auth.Principal, property_id: str, case_id: str, entry_id: str
                   ) -> tuple[LibraryEntry, bool]:
        """"This helped": ``used_entry`` on the case and one more use of the entry,
        once per case and entry (a second click counts nothing: ``False``)."""
        self._allow(principal, "library.write", property_id)
        case = self.cases.store.get_case(property_id, case_id)
        auth.authorize_on_case(principal, department=case.department, assignee=case.assignee)
        entry = self.store.get_entry(property_id, entry_id)
        if any(e.action == "used_entry" and e.data.get("entry_id") == entry_id
               for e in self.cases.store.events(case)):
            return entry, False
        self.store.count_use(property_id, entry_id)  # Conflict(entry_not_approved) before the case is touched
        self.cases.system_act(_actor(principal), property_id, case_id, "used_entry",
                              {"entry_id": entry_id, "title": (entry.approved or entry.current).get("title"),
                               "version": entry.approved_version})
        record_metric("LibraryEntry", dimensions={"action": "used"}, property_id=property_id)
        return self.store.get_entry(property_id, entry_id), True

"""The key register as a service (seed 000 篇2 客服部鑰匙管理制度): one method per
step, each authorising, applying a pure rule of ``domain/keys.py`` and
storing the key with its history entry through ``ports.KeyStore``, conditional
on the version read, so two leads can never lend the same key at once.

What reaches beyond the register goes through the case service: a loan for a
case is checked against the tenant's entry permission and recorded on the
case's trail; a lost key becomes a lock-change case with the normal windows
and watcher. Mail (a loss to the manager and security, an owner's use of the
spare key to security, an overdue key to the shift lead) goes through the
same mailer as escalations, in the property's language (``mail/templates.py``).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib import config
from chalicelib.domain import auth, keys
from chalicelib.domain.cases import Actor, Case
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed, VersionConflict
from chalicelib.domain.keys import Entry, Key
from chalicelib.mail.outgoing import Outgoing, SendFailed, new_message_id
from chalicelib.mail.templates import key_purpose, local_time, lock_change_case, property_lang, staff_notice
from chalicelib.observability import logger, record_metric

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from chalicelib.domain.properties import Property
    from chalicelib.services.case_service import CaseService
    from chalicelib.services.ports import KeyStore

SYSTEM = Actor("system", "system", "Tenantdesk")
NEW_ID_ATTEMPTS = 5

class KeyService:
    def __init__(self, cases_service: CaseService, store: KeyStore, clock: Callable[[], datetime], *,
                 mailer: Callable[[], Any] | None = None):
        self.cases = cases_service
        self.store = store
        self.clock = clock
        self._mailer = mailer  # returns the mail sender (adapters.ses.SesMailer); None: nothing is mailed

    # --- reads -----------------------------------------------------------------

    def _property(self, principal: auth.Principal, permission: str, property_id: str) -> Property:
        auth.authorize(principal, permission, property_id)
        return self.cases.property(property_id)  # NotFound(property_not_found)

    def list_keys(self, principal: auth.Principal, property_id: str, *, state: str | None = None) -> list[Key]:
        self._property(principal, "key.read", property_id)
        found = self.store.keys_of(property_id)
        return [k for k in found if state is None or k.state == state]

    def get_key(self, principal: auth.Principal, property_id: str, key_id: str) -> tuple[Key, list[Entry]]:
        self._property(principal, "key.read", property_id)
        return self.store.get_key(property_id, key_id), self.store.history(property_id, key_id)

    def keys_out(self, principal: auth.Principal, property_id: str) -> list[Key]:
        """Keys out, overdue first (``keys.out_view`` orders them)."""
        self._property(principal, "key.read", property_id)
        return self.store.keys_out(property_id)

    def handover_keys(self, property_id: str, shift_end: datetime) -> list[dict[str, Any]]:
        """The ``keys_out`` section of a shift's handover (report_service)."""
        return keys.handover_items(self.store.keys_out(property_id), shift_end)

    # --- the register ----------------------------------------------------------

    def add_key(self, principal: auth.Principal, property_id: str, params: dict[str, Any]) -> Key:
        """A key into the cabinet, with the number given or the next free ``K<nnn>``."""
        self._property(principal, "key.manage", property_id)
        actor = Actor(principal.subject, principal.role, principal.name)
        given = params.get("key_id")
        for attempt in range(NEW_ID_ATTEMPTS):
            key_id = given or self._next_id(property_id, attempt)
            change = keys.new_key(property_id=property_id, key_id=key_id, actor=actor, params=params, now=self.clock())
            try:
                self.store.create_key(change)
            except Conflict as exc:
                if given or exc.code != "key_exists":
                    raise
                continue  # another add took that number: the next one
            return change.key
        raise VersionConflict("too many keys added at once; try again", code="busy_retry")

    def _next_id(self, property_id: str, skip: int) -> str:
        numbers = [int(k.key_id[1:]) for k in self.store.keys_of(property_id)
                   if k.key_id[:1] == "K" and k.key_id[1:].isdigit()]
        return f"K{max(numbers, default=0) + 1 + skip:03d}"

    def _apply(self, principal: auth.Principal, property_id: str, key_id: str, permission: str,
               rule: Callable[[Key, Actor, datetime], keys.KeyChange], expected_version: int | None) -> Key:
        self._property(principal, permission, property_id)
        key = self.store.get_key(property_id, key_id)
        _pinned(key, expected_version)
        change = rule(key, Actor(principal.subject, principal.role, principal.name), self.clock())
        self.store.save_key(change, expected_version=key.version)
        record_metric("KeyChanged", dimensions={"action": change.entry.action}, property_id=property_id)
        return change.key

    def edit_key(self, principal: auth.Principal, property_id: str, key_id: str, params: dict[str, Any],
                 expected_version: int | None = None) -> Key:
        return self._apply(principal, property_id, key_id, "key.manage",
                           lambda k, a, now: keys.edit(k, a, params, now), expected_version)

    def retire(self, principal: auth.Principal, property_id: str, key_id: str, params: dict[str, Any],
               expected_version: int | None = None) -> Key:
        return self._apply(principal, property_id, key_id, "key.manage",
                           lambda k, a, now: keys.retire(k, a, params, now), expected_version)

    def report_damaged(self, principal: auth.Principal, property_id: str, key_id: str, params: dict[str, Any],
                       expected_version: int | None = None) -> Key:
        return self._apply(principal, property_id, key_id, "key.report",
                           lambda k, a, now: keys.report_damaged(k, a, params, now), expected_version)

    def replace(self, principal: auth.Principal, property_id: str, key_id: str, params: dict[str, Any],
                expected_version: int | None = None) -> Key:
        """New keys for a damaged one, or for a lost one once its lock-change case is resolved."""
        def rule(key: Key, actor: Actor, now: datetime) -> keys.KeyChange:
            status = None
            if key.lock_change_case:
                try:
                    status = self.cases.store.get_case(property_id, key.lock_change_case).status
                except NotFound:
                    status = None
            return keys.replace(key, actor, params, now, lock_case_status=status)
        return self._apply(principal, property_id, key_id, "key.replace", rule, expected_version)

    # --- lending ---------------------------------------------------------------------

    def lend(self, principal: auth.Principal, property_id: str, key_id: str, params: dict[str, Any],
             expected_version: int | None = None) -> Key:
        prop = self._property(principal, "key.issue", property_id)
        key = self.store.get_key(property_id, key_id)
        _pinned(key, expected_version)
        now = self.clock()
        actor = Actor(principal.subject, principal.role, principal.name)
        case: Case | None = None
        entry = None
        if params.get("purpose") == "case" and params.get("case_id"):
            keys.may_issue(actor.role, now, prop.policy)  # who may issue is said before what the case says
            case = self._case_of(property_id, params["case_id"])
            entry = keys.check_entry_permission(case.entry_permission, params)
        loan_id = f"{key_id}-{now.strftime('%Y%m%d%H%M%S')}"
        change = keys.lend(key, actor, params, now, prop.policy, loan_id=loan_id, entry=entry)
        security = keys.security_recipient(prop.contacts, prop.department_contacts)
        if change.key.loan and change.key.loan["purpose"] == "owner" and security:
            # 6.0: an owner using the company's spare key goes through the security department.
            change.key.loan["security_notified"] = security
            change.entry.data["loan"]["security_notified"] = security
        self.store.save_key(change, expected_version=key.version)
        record_metric("KeyLent", dimensions={"purpose": change.key.loan["purpose"] if change.key.loan else ""},
                      property_id=property_id)
        loan = change.key.loan or {}
        if case is not None:
            self._record_on_case(actor, case, "lent", change.key, loan)
        if loan.get("security_notified"):
            owner = loan["borrower"]
            self._mail(prop, [loan["security_notified"]], *staff_notice(
                _lang(prop), "key_owner_spare", key_id=key_id, unit=key.unit, owner=owner["name"],
                phone=owner.get("phone") or "-", due=local_time(change.key.due or now, prop.policy.timezone),
                by=actor.name or actor.id))
        return change.key

    def return_key(self, principal: auth.Principal, property_id: str, key_id: str, params: dict[str, Any],
                   expected_version: int | None = None) -> Key:
        self._property(principal, "key.return", property_id)
        key = self.store.get_key(property_id, key_id)
        _pinned(key, expected_version)
        actor = Actor(principal.subject, principal.role, principal.name)
        change = keys.return_key(key, actor, params, self.clock())
        self.store.save_key(change, expected_version=key.version)
        loan = change.entry.data["loan"]
        if loan.get("case_id"):
            try:
                case = self.cases.store.get_case(property_id, loan["case_id"])
            except NotFound:
                logger.warning("the case of a returned key is gone", extra={"key_id": key_id})
            else:
                self._record_on_case(actor, case, "returned", change.key, loan)
        return change.key

    def _case_of(self, property_id: str, case_id: str) -> Case:
        try:
            return self.cases.store.get_case(property_id, case_id)
        except NotFound:
            raise ValidationFailed("case_id is not a case of this property", code="unknown_case",
                                   details={"field": "case_id"}) from None

    def _record_on_case(self, actor: Actor, case: Case, stage: str, key: Key, loan: dict[str, Any]) -> None:
        """The case's trail says the unit was entered with key K by the borrower (or the key came back)."""
        params = {"stage": stage, "key_id": key.key_id, "borrower": loan["borrower"]["name"], "slot": key.slot,
                  "loan_id": loan["loan_id"], "emergency": loan.get("emergency"), "reason": loan.get("reason"),
                  "issued_by": loan.get("issued_by", {}).get("name") if stage == "lent" else None}
        try:
            self.cases.system_act(actor, case.property_id, case.case_id, "key_entry", params)
        except Exception:  # noqa: BLE001 - the loan stands; the register holds the record
            logger.exception("key entry not recorded on the case", extra={"case_id": case.case_id,
                                                                            "key_id": key.key_id})
            record_metric("KeyEntryNotRecorded", property_id=case.property_id)

    # --- loss (5.0) ------------------------------------------------------------------

    def report_lost(self, principal: auth.Principal, property_id: str, key_id: str, params: dict[str, Any],
                    expected_version: int | None = None) -> tuple[Key, Case]:
        """The key is lost: a lock-change case is made (a request routed to
        engineering, recorded by the reporter, with the normal windows and
        watcher), the key is marked lost with that case's id and one copy
        fewer, and the manager and the security department are mailed."""
        prop = self._property(principal, "key.report", property_id)
        key = self.store.get_key(property_id, key_id)
        _pinned(key, expected_version)
        reason = keys.check_lost(key, params)  # refused before the lock-change case is made
        actor = Actor(principal.subject, principal.role, principal.name)
        lang = _lang(prop)
        words = {"key_id": key_id, "unit": key.unit, "slot": key.slot, "by": principal.name or principal.subject,
                 "reason": reason}
        title, content = lock_change_case(lang, **words)
        case_params: dict[str, Any] = {
            "channel": "walk_in", "unit": key.unit, "title": title, "content": content, "lang": lang,
            "reporter": {"name": principal.name or principal.subject}, "contact": principal.email or prop.email or "-",
            "kind": "request", "category": "in_unit_repair", "cause": "equipment_facility"}
        if not prop.departments or "engineering" in prop.departments:
            case_params["department"] = "engineering"
        # Scoped to this loss (key and version): a retried report replays the same case.
        case, _created = self.cases.create_as(actor, property_id, case_params, f"key-lost:{key_id}:{key.version}")
        recipients = keys.loss_recipients(prop.contacts, prop.department_contacts)
        change = keys.report_lost(key, actor, params, self.clock(), lock_change_case=case.case_id,
                                  notified=recipients)
        self.store.save_key(change, expected_version=key.version)
        record_metric("KeyLost", property_id=property_id)
        self._mail(prop, recipients, *staff_notice(lang, "key_lost", key_id=key_id, unit=key.unit, content=content,
                                                   case_id=case.case_id))
        return change.key, case

    # --- overdue keys (the schedule) -------------------------------------------------------

    def remind_overdue(self, now: datetime | None = None) -> dict[str, list[str]]:
        """Tell the shift lead of each key whose expected return has passed, once
        per loan. Found by a Query of the keys-out index up to ``now``: the
        schedule needs no per-loan timer to create, move or cancel."""
        now = now or self.clock()
        told: dict[str, list[str]] = {}
        cursor = None
        while True:
            ids, cursor = self.cases.store.registered_properties(limit=100, cursor=cursor)
            for property_id in ids:
                for key in self.store.keys_out(property_id, due_before=now):
                    if keys.needs_overdue_notice(key, now) and self._tell_lead(key, now):
                        told.setdefault(property_id, []).append(key.key_id)
            if not cursor:
                return told

    def _tell_lead(self, key: Key, now: datetime) -> bool:
        try:
            prop = self.cases.property(key.property_id)
        except NotFound:
            return False
        to = keys.lead_recipient(prop.contacts)
        change = keys.mark_overdue_notified(key, SYSTEM, now, [to] if to else [])
        try:  # recorded first: a loan returned meanwhile is not reported, and no lead is told twice
            self.store.save_key(change, expected_version=key.version)
        except VersionConflict:
            return False
        loan = key.loan or {}
        borrower = loan.get("borrower", {})
        if to:
            lang = _lang(prop)
            self._mail(prop, [to], *staff_notice(
                lang, "key_overdue", key_id=key.key_id, unit=key.unit,
                due=local_time(key.due or now, prop.policy.timezone), name=borrower.get("name") or "-",
                phone=borrower.get("phone") or "-", purpose=key_purpose(lang, loan.get("purpose") or "other")))
        record_metric("KeyOverdue", property_id=key.property_id)
        return True

    def _mail(self, prop: Property, recipients: list[str], subject: str, text: str) -> None:
        if self._mailer is None:
            return
        sender = prop.email or config.mail_from()
        for address in recipients:
            try:
                self._mailer().send(Outgoing(sender=sender, sender_name=prop.name, to=address, subject=subject,
                                             text=text, message_id=new_message_id(sender)))
            except SendFailed:
                logger.error("key register mail not sent", extra={"to": address, "subject": subject})
                record_metric("KeyMailFailed", property_id=prop.property_id)


def _lang(prop: Property) -> str:
    return property_lang(prop.lang, prop.policy.timezone)


def _pinned(key: Key, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != key.version:
        raise VersionConflict("the key was changed by someone else; reload and try again",
                              details={"current_version": key.version, "your_version": expected_version})

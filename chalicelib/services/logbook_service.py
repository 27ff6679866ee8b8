"""Application service for the shift-handover logbook (seed 000 篇3): authorise,
load, apply the pure rules of ``domain/logbook.py``, store with a version check,
tell the people who must hear of it.

The generated summary stays ``ReportService``'s (``handover.build_summary``);
this service joins the logbook to it: the checklist, the diary, the signatures in
order, refusals and answers, the review. Storage is ``ports.LogbookStore``.

Concurrency: every change to a logbook is read → rule → conditional write. When
another write landed in between (``VersionConflict``), the change is applied
again to the fresh logbook with every rule checked again, so two people signing
at once give one signature and one ``409 already_signed``; nothing is lost.
Mail (a refusal to the manager, urgent items to both departments' managers) is
sent only after the write succeeded, in the property's language (``mail/templates.py``).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import config
from chalicelib.domain import auth, handover, logbook
from chalicelib.domain.cases import iso
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed, VersionConflict
from chalicelib.mail.templates import local_time, property_lang, staff_notice
from chalicelib.observability import record_metric

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from chalicelib.services.ports import LogbookStore

ATTEMPTS = 3  # a change re-applied after a concurrent write; more than that is a real fight


def _who(principal: auth.Principal) -> dict[str, str]:
    return {"id": principal.subject, "role": principal.role, "name": principal.name}


class LogbookService:
    """The logbook of each handover and the diary of each shift."""

    def __init__(self, reports: Any, books: LogbookStore, *, clock: Callable[[], datetime] | None = None,
                 mailer: Any = None):
        self.reports = reports
        self.books = books
        self.clock = clock or reports.clock
        self._mailer = mailer  # a callable returning the mailer; None: nobody is mailed
        # A signed logbook forbids recomputing its summary (ReportService.produce_handover(refresh=True)).
        reports.signed = self.is_signed

    # --- loading -----------------------------------------------------------------

    def _property(self, property_id: str) -> Any:
        return self.reports.cases.property(property_id)

    def is_signed(self, property_id: str, shift_end: str) -> bool:
        """Whether anyone has signed the logbook of the handover ending at ``shift_end`` (its key)."""
        stored = self.books.logbook(property_id, shift_end)
        return stored is not None and bool(logbook.Logbook.from_dict(stored).signatures)

    @staticmethod
    def _lang(prop: Any) -> str:
        return property_lang(prop.lang, prop.policy.timezone)

    def checklist(self, prop: Any) -> list[dict[str, str]]:
        """The property's checklist setting, else the default in its language."""
        if prop.handover_checklist:
            return [dict(i) for i in prop.handover_checklist]
        return logbook.default_checklist(self._lang(prop))

    def _book(self, prop: Any, end: datetime) -> logbook.Logbook:
        stored = self.books.logbook(prop.property_id, handover.key_of(end))
        if stored is not None:
            return logbook.Logbook.from_dict(stored)
        return logbook.Logbook.new(prop.property_id, end, prop.policy, self.checklist(prop))

    def _change(self, prop: Any, end: datetime, fn: Callable[[logbook.Logbook], None]) -> logbook.Logbook:
        for attempt in range(ATTEMPTS):
            book = self._book(prop, end)
            fn(book)
            try:
                book.version = self.books.save_logbook(prop.property_id, book.shift_end, book.to_dict(),
                                                       expected_version=book.version)
                return book
            except VersionConflict:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _shift_end(value: str | datetime) -> datetime:
        from chalicelib.services.report_service import parse_shift_end
        return value if isinstance(value, datetime) else parse_shift_end(value)

    def _summary(self, property_id: str, end: datetime) -> dict[str, Any]:
        doc = self.reports.store.handover(property_id, handover.key_of(end))
        if doc is None:
            raise NotFound("no handover ends at that time", code="handover_not_found")
        return dict(doc)

    def _is_handover(self, prop: Any, end: datetime) -> None:
        if handover.next_handover(end - timedelta(seconds=1), prop.policy) != end:
            raise NotFound("no handover ends at that time", code="handover_not_found")

    # --- views ---------------------------------------------------------------------

    def block(self, book: logbook.Logbook, diary: Sequence[dict[str, Any]] | None) -> dict[str, Any]:
        """What a handover shows of its logbook (``signatures`` by side and ``signed``
        as before; ``signing`` in order)."""
        marks = book.marks
        out = {"state": book.state, "outgoing": book.outgoing, "incoming": book.incoming,
               "signatures": book.latest_by_side(), "signed": book.state == "accepted", "signing": book.signatures,
               "refusals": book.refusals, "review": book.review, "reviewed": book.review is not None,
               "needs_attention": book.needs_attention, "logbook_version": book.version,
               "checklist": [{**i, **{k: (marks.get(i["id"]) or {}).get(k) for k in ("mark", "note", "by", "at")}}
                             for i in book.checklist],
               "history": book.history}
        if diary is not None:
            out["diary"] = list(diary)
        return out

    def _view(self, prop: Any, end: datetime, doc: dict[str, Any], book: logbook.Logbook | None = None
              ) -> dict[str, Any]:
        book = book or self._book(prop, end)
        return {**doc, **self.block(book, self.books.diary(prop.property_id, book.shift_end))}

    def get_handover(self, principal: auth.Principal, property_id: str, shift_end: str | datetime) -> dict[str, Any]:
        """The summary with its logbook; 404 ``handover_not_found`` if never produced."""
        auth.authorize(principal, "report.read", property_id)
        end = self._shift_end(shift_end)
        doc = self._summary(property_id, end)
        return self._view(self._property(property_id), end, doc)

    def request_handover(self, principal: auth.Principal, property_id: str,
                         at: datetime | None = None) -> tuple[dict[str, Any], bool]:
        doc, created = self.reports.request_handover(principal, property_id, at)
        prop = self._property(property_id)
        return self._view(prop, self._shift_end(doc["shift_end"]), doc), created

    def list_handovers(self, principal: auth.Principal, property_id: str, *, limit: int = 20,
                       cursor: str | None = None, unreviewed: bool = False) -> tuple[list[dict[str, Any]], str | None]:
        """Handovers newest first with their logbook's state; ``unreviewed`` keeps
        those the shift lead has not reviewed (a page may then be short, with a cursor)."""
        items, next_cursor = self.reports.list_handovers(principal, property_id, limit=limit, cursor=cursor)
        prop = self._property(property_id)
        stored = self.books.logbooks(property_id, [i["shift_end"] for i in items])
        out = []
        for item in items:
            end = self._shift_end(item["shift_end"])
            data = stored.get(item["shift_end"])
            book = (logbook.Logbook.from_dict(data) if data else
                    logbook.Logbook.new(property_id, end, prop.policy, self.checklist(prop)))
            if unreviewed and book.review is not None:
                continue
            block = self.block(book, None)
            block.pop("history")
            out.append({**item, **block, "day": end.astimezone(prop.policy.tz).date().isoformat()})
        return out, next_cursor

    # --- the diary -------------------------------------------------------------------

    def current_shift(self, principal: auth.Principal, property_id: str) -> dict[str, Any]:
        """The shift running now: its bounds, who hands over at its end, its diary so far
        and its checklist marks."""
        auth.authorize(principal, "report.read", property_id)
        prop = self._property(property_id)
        now = self.clock()
        start, end = handover.shift_window(now, prop.policy)[1], handover.next_handover(now, prop.policy)
        book = self._book(prop, end)
        return {"property_id": property_id, "shift_start": handover.key_of(start), "shift_end": book.shift_end,
                "shift_start_local": start.astimezone(prop.policy.tz).isoformat(),
                "shift_end_local": end.astimezone(prop.policy.tz).isoformat(), "timezone": prop.policy.timezone,
                **self.block(book, self.books.diary(property_id, book.shift_end))}

    def add_entry(self, principal: auth.Principal, property_id: str, params: dict[str, Any]
                  ) -> tuple[dict[str, Any], bool]:
        """Append an entry to the current shift's diary. ``entry_id`` (optional, the
        client's) makes a retry harmless: the same author's entry comes back, False."""
        auth.authorize(principal, "handover.diary", property_id)
        prop = self._property(property_id)
        now = self.clock()
        end = handover.next_handover(now, prop.policy)
        key = handover.key_of(end)
        case_id = params.get("case_id") or None
        if case_id:
            try:
                self.reports.cases.store.get_case(property_id, case_id)
            except NotFound:
                raise ValidationFailed("no such case at this property", code="unknown_case",
                                       details={"field": "case_id"}) from None
        entry_id = params.get("entry_id") or uuid.uuid4().hex
        entry = logbook.new_entry(entry_id=entry_id, text=params.get("text", ""), case_id=case_id,
                                  urgent=bool(params.get("urgent")), author=_who(principal), at=now, shift_end=end)
        try:
            entry["version"] = self.books.save_diary_entry(property_id, key, entry, expected_version=0)
        except VersionConflict:
            found = self.books.diary_entry(property_id, key, entry_id)
            if found and (found.get("author") or {}).get("id") == principal.subject:
                return {**found, "shift_end": key}, False
            raise Conflict("that entry id is taken", code="entry_id_taken", details={"entry_id": entry_id}) from None
        record_metric("HandoverDiaryEntry", property_id=property_id, shift_end=key)
        return {**entry, "shift_end": key}, True

    def correct_entry(self, principal: auth.Principal, property_id: str, entry_id: str,
                      params: dict[str, Any]) -> dict[str, Any]:
        """The author corrects an entry of the current shift; the old wording is kept.
        An entry of the shift that just ended is closed (409 ``shift_over``)."""
        auth.authorize(principal, "handover.diary", property_id)
        prop = self._property(property_id)
        now = self.clock()
        end = handover.next_handover(now, prop.policy)
        key = handover.key_of(end)
        found = self.books.diary_entry(property_id, key, entry_id)
        if found is None:
            previous = handover.key_of(handover.shift_window(now, prop.policy)[1])
            if self.books.diary_entry(property_id, previous, entry_id) is not None:
                raise Conflict("the shift is over: its diary is closed", code="shift_over")
            raise NotFound("no such diary entry", code="entry_not_found")
        if params.get("version") is not None and params["version"] != found["version"]:
            raise VersionConflict("the entry changed since you read it", code="diary_version_conflict",
                                  details={"version": found["version"]})
        fixed = logbook.correct_entry(found, text=params.get("text"), urgent=params.get("urgent"),
                                      by=_who(principal), at=self.clock(), shift_end=end)
        if fixed is not found:
            fixed["version"] = self.books.save_diary_entry(property_id, key, fixed,
                                                           expected_version=found["version"])
        return {**fixed, "shift_end": key}

    # --- the checklist and the signatures ---------------------------------------------------

    def _side_allowed(self, principal: auth.Principal, property_id: str, side: str) -> None:
        auth.authorize(principal, "handover.sign", property_id)
        if side not in logbook.SIDES:
            raise ValidationFailed(f"side must be one of {', '.join(logbook.SIDES)}", details={"field": "side"})
        auth.authorize(principal, f"handover.sign.{side}", property_id)

    @staticmethod
    def _on_side(principal: auth.Principal, end: datetime, prop: Any, role: str) -> None:
        """Which side hands over depends on the time of the handover (a state of the
        handover, not of the caller's authority): the other side's people get 409."""
        outgoing, incoming = logbook.sides_at(end, prop.policy)
        side = outgoing if role == "outgoing" else incoming
        if logbook.side_of(principal.role) != side:
            raise Conflict(f"the {role} side of this handover is {side}", code=f"not_{role}_side",
                           details={"outgoing": outgoing, "incoming": incoming})

    def mark_checklist(self, principal: auth.Principal, property_id: str, shift_end: str | datetime,
                       items: list[dict[str, Any]]) -> dict[str, Any]:
        """The outgoing side marks checklist items √/× (the current shift's too)."""
        auth.authorize(principal, "handover.sign", property_id)
        end = self._shift_end(shift_end)
        prop = self._property(property_id)
        self._is_handover(prop, end)
        self._on_side(principal, end, prop, "outgoing")
        book = self._change(prop, end, lambda b: b.mark(items, _who(principal), self.clock()))
        return self._view(prop, end, {"property_id": property_id, "shift_end": book.shift_end}, book)

    def sign(self, principal: auth.Principal, property_id: str, shift_end: str | datetime, side: str,
             comment: str = "", role: str | None = None) -> dict[str, Any]:
        """Sign for ``side``: the outgoing side first, then the incoming one accepts.
        When the outgoing side signs, urgent items go to both managers (3.3)."""
        self._side_allowed(principal, property_id, side)
        end = self._shift_end(shift_end)
        doc = self._summary(property_id, end)
        prop = self._property(property_id)
        sides = logbook.sides_at(end, prop.policy)
        inferred = "outgoing" if side == sides[0] else "incoming"
        if role is not None and role != inferred:
            raise ValidationFailed(f"{side} is the {inferred} side of this handover", details={"field": "role"})
        book = self._change(prop, end, lambda b: b.sign(inferred, _who(principal), self.clock(), comment))
        record_metric("HandoverSigned", dimensions={"side": side}, property_id=property_id, shift_end=book.shift_end)
        if inferred == "outgoing":
            book = self._report_urgent(prop, book)
        return self._view(prop, end, doc, book)

    def refuse(self, principal: auth.Principal, property_id: str, shift_end: str | datetime,
               reason: str) -> dict[str, Any]:
        """The incoming side refuses to take over; the manager hears of it at once."""
        auth.authorize(principal, "handover.sign", property_id)
        end = self._shift_end(shift_end)
        prop = self._property(property_id)
        self._on_side(principal, end, prop, "incoming")
        doc = self._summary(property_id, end)
        book = self._change(prop, end, lambda b: b.refuse(_who(principal), self.clock(), reason))
        record_metric("HandoverRefused", property_id=property_id, shift_end=book.shift_end)
        refusal = book.refusals[-1]
        told = self._mail(prop, logbook.refusal_recipients(prop.contacts), *staff_notice(
            self._lang(prop), "handover_refused", property=prop.name, when=local_time(end, prop.policy.timezone),
            who=refusal["by"].get("name") or refusal["by"]["id"], reason=refusal["reason"]))
        book = self._note_told(prop, end, "refusal_reported", told) if told else book
        return self._view(prop, end, doc, book)

    def answer(self, principal: auth.Principal, property_id: str, shift_end: str | datetime,
               note: str) -> dict[str, Any]:
        """The outgoing side answers the refusal; it signs again afterwards."""
        auth.authorize(principal, "handover.sign", property_id)
        end = self._shift_end(shift_end)
        prop = self._property(property_id)
        self._on_side(principal, end, prop, "outgoing")
        doc = self._summary(property_id, end)
        book = self._change(prop, end, lambda b: b.answer(_who(principal), self.clock(), note))
        return self._view(prop, end, doc, book)

    def review(self, principal: auth.Principal, property_id: str, shift_end: str | datetime,
               comment: str = "") -> dict[str, Any]:
        """The shift lead reviews and signs an accepted handover (2.3, 4.2)."""
        auth.authorize(principal, "handover.review", property_id)
        end = self._shift_end(shift_end)
        doc = self._summary(property_id, end)
        prop = self._property(property_id)
        book = self._change(prop, end, lambda b: b.do_review(_who(principal), self.clock(), comment))
        return self._view(prop, end, doc, book)

    # --- telling people -----------------------------------------------------------------

    def _report_urgent(self, prop: Any, book: logbook.Logbook) -> logbook.Logbook:
        """Urgent diary entries and × items not reported before go to both departments'
        managers at once (3.3); who was told is written on the logbook's history."""
        items = [i for i in book.urgent_items(self.books.diary(prop.property_id, book.shift_end))
                 if i["item"] not in book.urgent_reported]
        if not items:
            return book
        lines = "\n".join(f"- {i['text']}" + (f" ({i['case_id']})" if i.get("case_id") else "") for i in items)
        end = datetime.fromisoformat(book.shift_end.replace("Z", "+00:00"))
        told = self._mail(prop, logbook.urgent_recipients(prop.contacts, prop.department_contacts), *staff_notice(
            self._lang(prop), "handover_urgent", property=prop.name, when=local_time(end, prop.policy.timezone),
            items=lines))
        reported = [i["item"] for i in items]

        def note(b: logbook.Logbook) -> None:
            b.urgent_reported = list(dict.fromkeys([*b.urgent_reported, *reported]))
            b.history.append({"at": iso(self.clock()), "by": {"id": "system", "role": "system", "name": ""},
                              "action": "urgent_reported", "to": told, "items": reported})
        return self._change(prop, end, note)

    def _note_told(self, prop: Any, end: datetime, action: str, told: list[str]) -> logbook.Logbook:
        def note(b: logbook.Logbook) -> None:
            b.history.append({"at": iso(self.clock()), "by": {"id": "system", "role": "system", "name": ""},
                              "action": action, "to": told})
        return self._change(prop, end, note)

    def _mail(self, prop: Any, recipients: list[str], subject: str, text: str) -> list[str]:
        """Mail each recipient through the outgoing mail path; the addresses reached."""
        if self._mailer is None or not recipients:
            return []
        from chalicelib.mail.outgoing import Outgoing, SendFailed, new_message_id
        sender = prop.email or config.mail_from()
        told = []
        for address in recipients:
            try:
                self._mailer().send(Outgoing(sender=sender, sender_name=prop.name, to=address,
                                             message_id=new_message_id(sender), subject=subject, text=text))
                told.append(address)
            except SendFailed:
                record_metric("HandoverNoticeMailFailed", property_id=prop.property_id)
        return told


"""Application service for shift handovers and statistics: authorise, load,
apply the pure rules of ``handover`` and ``stats``, store the documents.

Storage (``ports.ReportStore``; in DynamoDB the ``meta`` table, always by key
or one partition, never a Scan): a summary per property and shift end (its
key, e.g. ``2026-11-23T10:00:00Z``); the final figures of a local day (``YYYY-MM-DD``); the registry of properties the
scheduler serves.

Which properties the scheduler serves: DynamoDB cannot list the properties'
settings without a Scan, so :meth:`ReportService.properties`
is the union of (1) the ``TD_PROPERTIES`` environment variable (comma
separated; infra and the local stack set it from their configuration) and
(2) the property registry, which gains a property whenever a
report of it is produced or read, or :meth:`register_property` is called.
The variable makes the first run work; the registry keeps a property served
once it is in use even if the variable lags. ``run_due`` also takes an
explicit list.

Reading cases: every case changed since the start of the period (created,
escalated, resolved, called back, rated...) comes from one paged Query on the
``by_activity`` index, however old the case; the open ones from the sparse
open-queue index. Audit trails are read only for the cases changed since the
start of the period.

Signing is the logbook's (``services/logbook_service.py``): the summary only
asks it, through ``ReportService.signed``, whether a handover has a signature
before recomputing it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from chalicelib import config
from chalicelib.domain import auth, escalation, handover, stats
from chalicelib.domain.cases import Case, Event
from chalicelib.domain.errors import BadRequest, Conflict, NotFound, ValidationFailed
from chalicelib.mail.templates import handover_subject, handover_text
from chalicelib.observability import logger, record_metric

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from chalicelib.services.ports import ReportStorage

CATCH_UP = timedelta(days=2)  # run_due produces handovers it missed within this long
MAX_DOC_BYTES = 350_000  # DynamoDB items stop at 400 KB
OPEN_QUEUE_PAGE = 100
PROPERTIES_ENV = "TD_PROPERTIES"

_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEARS = range(2000, 2101)


# --- parsing path values --------------------------------------------------------

def _instant(value: str) -> datetime | None:
    text = unquote(value or "").strip()
    if not _INSTANT.match(text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.year not in _YEARS:
        return None
    return parsed.astimezone(timezone.utc)


def parse_shift_end(value: str) -> datetime:
    """A handover's id from a path: an ISO instant with a zone (``2026-11-23T10:00:00Z``)."""
    parsed = _instant(value)
    if parsed is None:
        raise BadRequest("shift_end must be an ISO 8601 time with a zone, like 2026-11-23T10:00:00Z",
                         code="invalid_shift_end", details={"field": "shift_end"})
    return parsed


def parse_at(value: str | None) -> datetime | None:
    """The optional ``at`` of a produce request (a body field: 422 when wrong)."""
    if value is None:
        return None
    parsed = _instant(value)
    if parsed is None:
        raise ValidationFailed("at must be an ISO 8601 time with a zone, like 2026-11-23T10:00:00Z",
                               details={"field": "at"})
    return parsed


def parse_day(value: str) -> date:
    text = unquote(value or "")
    try:
        if not _DAY.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
        if day.year not in _YEARS:
            raise ValueError(text)
        return day
    except ValueError:
        raise BadRequest("day must be a date, YYYY-MM-DD", code="invalid_day", details={"field": "day"}) from None


def parse_month(value: str) -> tuple[int, int]:
    match = _MONTH.match(unquote(value or ""))
    if not match or int(match.group(1)) not in _YEARS or not 1 <= int(match.group(2)) <= 12:
        raise BadRequest("month must be YYYY-MM", code="invalid_month", details={"field": "month"})
    return int(match.group(1)), int(match.group(2))


def _digest(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "digest"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _configured_properties() -> list[str]:
    return [p.strip() for p in (os.environ.get(PROPERTIES_ENV) or "").split(",") if p.strip()]


class ReportService:
    """Handover summaries, daily and monthly statistics."""

    def __init__(self, cases_service: Any, store: ReportStorage, *, clock: Any = None, mailer: Any = None):
        self.cases = cases_service
        self.store = store
        self.clock = clock or cases_service.clock
        # Sends each new summary to both sides of the handover; None: not mailed.
        self._mailer = mailer
        # The keys out at a shift's end, (property id, shift end) -> handover items
        # (KeyService.handover_keys, wired by runtime); None: no keys_out section.
        self.keys_out: Callable[[str, datetime], list[dict[str, Any]]] | None = None
        # Whether a handover's logbook has a signature, (property id, shift end key) -> bool
        # (LogbookService.is_signed, wired by the LogbookService over this one and by runtime);
        # None: no logbook, nothing is signed.
        self.signed: Callable[[str, str], bool] | None = None

    # --- properties the scheduler serves -----------------------------------

    def properties(self) -> list[str]:
        """``TD_PROPERTIES`` plus the property registry, sorted."""
        found = set(_configured_properties())
        cursor = None
        while True:
            ids, cursor = self.store.registered_properties(limit=100, cursor=cursor)
            found.update(ids)
            if not cursor:
                return sorted(found)

    def register_property(self, property_id: str) -> None:
        self.store.register_property(property_id)

    def _property(self, property_id: str) -> Any:
        return self.cases.property(property_id)  # NotFound(property_not_found) for an unknown one

    # --- loading --------------------------------------------------------------

    def _open_cases(self, property_id: str) -> list[Case]:
        found: list[Case] = []
        cursor = None
        while True:
            page, cursor = self.store.open_queue(property_id, filters={}, due_before=None, limit=OPEN_QUEUE_PAGE,
                                                 cursor=cursor)
            found.extend(page)
            if not cursor:
                return found

    def _load(self, prop: Any, touched_since: datetime) -> tuple[list[Case], dict[str, list[Event]]]:
        """Every case changed at or after ``touched_since`` (those created in the
        period among them) and every open case, with the audit trails of the
        changed ones."""
        by_key: dict[str, Case] = {}
        for case in self.store.cases_changed_since(prop.property_id, touched_since):
            by_key[case.key] = case
        for case in self._open_cases(prop.property_id):
            if case.key not in by_key or case.version > by_key[case.key].version:
                by_key[case.key] = case
        loaded = list(by_key.values())
        events = {c.key: self.store.events(c) for c in loaded if (c.updated_at or c.created_at) >= touched_since}
        return loaded, events

    # --- handovers ------------------------------------------------------------

    def _build_handover(self, prop: Any, start: datetime, end: datetime, now: datetime) -> dict[str, Any]:
        loaded, events = self._load(prop, start)
        keys_out = self.keys_out(prop.property_id, end) if self.keys_out is not None else None
        cap = handover.ITEM_CAP
        while True:
            doc = handover.build_summary(property_id=prop.property_id, policy=prop.policy, shift_start=start,
                                         shift_end=end, now=now, cases=loaded, events=events, item_cap=cap,
                                         keys_out=keys_out)
            size = len(json.dumps(doc, ensure_ascii=False).encode())
            if size <= MAX_DOC_BYTES or cap <= 1:
                break
            cap //= 2
        doc["digest"] = _digest(doc)
        return doc

    def produce_handover(self, property_id: str, at: datetime, *, refresh: bool = False,
                         now: datetime | None = None) -> tuple[dict[str, Any], bool]:
        """The summary of the shift that ended most recently at or before ``at``.

        Idempotent: the document's key is its shift end, and producing it again
        returns the stored one, ``(doc, False)``; ``(doc, True)`` when this call
        wrote it. ``refresh=True`` recomputes and overwrites, unless its logbook
        has a signature (``Conflict(already_signed)``): a signed summary never
        changes under its signatures."""
        now = now or self.clock()
        prop = self._property(property_id)
        start, end = handover.shift_window(at, prop.policy)
        if end > now:
            raise ValidationFailed("that shift has not ended yet", details={"field": "at"})
        key = handover.key_of(end)
        if refresh:
            if self.signed is not None and self.signed(property_id, key):
                raise Conflict("this handover has been signed; it can no longer be recomputed", code="already_signed")
        else:
            stored = self.store.handover(property_id, key)
            if stored is not None:
                return stored, False
        doc = self._build_handover(prop, start, end, now)
        self.register_property(property_id)
        if not self.store.put_handover(property_id, key, doc, only_if_absent=not refresh):
            # Another producer (a second scheduler run, a click) won: theirs is the record.
            return self.store.handover(property_id, key) or {}, False
        record_metric("HandoverProduced", property_id=property_id, shift_end=key)
        self._mail_handover(prop, doc)
        if escalation.starts_working_day(start, end, prop.policy):
            # Once per handover record (written only if absent): the digest is never sent twice.
            self._mail_morning_digest(prop, end)
        return doc, True

    def _mail_morning_digest(self, prop: Any, end: datetime) -> None:
        """Each tier owner gets what moved to them while they were off duty
        (escalations the on-duty desk took overnight or at the weekend)."""
        if self._mailer is None:
            return
        since = escalation.overnight_since(end, prop.policy)
        cases = handover.unique_latest(self.store.cases_changed_since(prop.property_id, since))
        digest = escalation.morning_digest(cases, since, end)
        if not digest:
            return
        from chalicelib.mail.outgoing import Outgoing, SendFailed, new_message_id
        sender = prop.email or config.mail_from()
        day = end.astimezone(prop.policy.tz).date().isoformat()
        for address, items in sorted(digest.items()):
            lines = [f"- {i['case_id']} {i['unit']}: {i['about']} -> {i['tier']} ({i['at']}) {i['content']}"
                     for i in items]
            text = ("下班期间升级到您的案件（值班室已处理并记录在交接本中）：\n"
                    "Cases that moved to you while you were off duty (the on-duty desk took them):\n\n"
                    + "\n".join(lines))
            try:
                self._mailer().send(Outgoing(sender=sender, sender_name=prop.name, to=address,
                                             message_id=new_message_id(sender),
                                             subject=f"[{prop.name}] 夜间升级汇总 / Overnight escalations {day}"
                                                     f" ({len(items)})",
                                             text=text))
            except SendFailed:
                record_metric("MorningDigestMailFailed", property_id=prop.property_id)

    def _mail_handover(self, prop: Any, doc: dict[str, Any]) -> None:
        """Customer service and the security control room both get the summary:
        the operator's handover is signed by both sides."""
        recipients = escalation.handover_recipients(prop.contacts)
        if self._mailer is None or not recipients:
            return
        # Only mailing a handover needs the mail we send (the email package, ~9 ms to import):
        # report routes load this module, and most of them never mail.
        from chalicelib.mail.outgoing import Outgoing, SendFailed, new_message_id
        sender = prop.email or config.mail_from()
        for address in recipients:
            try:
                self._mailer().send(Outgoing(sender=sender, sender_name=prop.name, to=address,
                                             message_id=new_message_id(sender),
                                             subject=handover_subject(prop.name, doc),
                                             text=handover_text(doc)))
            except SendFailed:
                # The summary is stored and listed in the console either way.
                record_metric("HandoverMailFailed", property_id=prop.property_id)

    def request_handover(self, principal: auth.Principal, property_id: str,
                         at: datetime | None = None) -> tuple[dict[str, Any], bool]:
        """Front desk and up ask for the summary of the shift that ended last
        (or ended last before ``at``), e.g. when the scheduler has not run yet."""
        auth.authorize(principal, "handover.sign", property_id)
        now = self.clock()
        if at is not None and at > now:
            raise ValidationFailed("at must not be in the future", details={"field": "at"})
        return self.produce_handover(property_id, at or now, now=now)

    def list_handovers(self, principal: auth.Principal, property_id: str, *, limit: int = 20,
                       cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """Handovers of a property, newest first, with their headline figures (the
        logbook adds its state and signatures)."""
        auth.authorize(principal, "report.read", property_id)
        self._property(property_id)
        rows, next_cursor = self.store.handovers(property_id, limit=limit, cursor=cursor)
        items = []
        for sk, doc in rows:
            items.append({"property_id": property_id, "shift_start": doc.get("shift_start"), "shift_end": sk,
                          "shift_start_local": doc.get("shift_start_local"),
                          "shift_end_local": doc.get("shift_end_local"), "produced_at": doc.get("produced_at"),
                          "counts": doc.get("counts", {})})
        return items, next_cursor

    # --- statistics -------------------------------------------------------------

    def _compute_days(self, prop: Any, days: Iterable[date], now: datetime) -> dict[date, dict[str, Any]]:
        """The figures of several days from one load of cases and trails."""
        days = sorted(set(days))
        if not days:
            return {}
        first_start = stats.day_window(days[0], prop.policy)[0]
        loaded, events = self._load(prop, first_start)
        return {day: stats.daily_stats(property_id=prop.property_id, day=day, policy=prop.policy, cases=loaded,
                                       events=events, now=now) for day in days}

    def _store_daily(self, property_id: str, day: date, doc: dict[str, Any], refresh: bool) -> dict[str, Any]:
        sk = day.isoformat()
        if self.store.put_daily(property_id, sk, doc, only_if_absent=not refresh):
            return doc
        return self.store.dailies(property_id, [sk]).get(sk) or {}

    def produce_daily(self, property_id: str, day: date, *, refresh: bool = False,
                      now: datetime | None = None) -> dict[str, Any]:
        """The final figures of a finished local day, stored once (``refresh``
        recomputes and overwrites). A day still running is refused."""
        now = now or self.clock()
        prop = self._property(property_id)
        if stats.day_window(day, prop.policy)[1] > now:
            raise BadRequest("that day is not over yet", code="day_not_over", details={"day": day.isoformat()})
        if not refresh:
            stored = self.store.dailies(property_id, [day.isoformat()]).get(day.isoformat())
            if stored is not None:
                return stored
        doc = self._compute_days(prop, [day], now)[day]
        self.register_property(property_id)
        return self._store_daily(property_id, day, doc, refresh)

    def get_daily(self, principal: auth.Principal, property_id: str, day: date) -> dict[str, Any]:
        """A day's figures: stored, or computed (and stored) for a finished day;
        today's are computed live and not stored (``final: false``)."""
        auth.authorize(principal, "report.read", property_id)
        prop = self._property(property_id)
        now = self.clock()
        start, end = stats.day_window(day, prop.policy)
        if start > now:
            raise BadRequest("that day has not started yet", code="invalid_day", details={"field": "day"})
        if end > now:
            return self._compute_days(prop, [day], now)[day]
        return self.produce_daily(property_id, day, now=now)

    def get_monthly(self, principal: auth.Principal, property_id: str, year: int, month: int) -> dict[str, Any]:
        """Sums of the month's finished days, from the stored daily documents;
        a missing day is computed and stored first. ``complete`` is false while
        the month is running (today is not included until it is over)."""
        auth.authorize(principal, "report.read", property_id)
        prop = self._property(property_id)
        now = self.clock()
        days = stats.month_days(year, month)
        if stats.day_window(days[0], prop.policy)[0] > now:
            raise BadRequest("that month has not started yet", code="invalid_month", details={"field": "month"})
        finished = [d for d in days if stats.day_window(d, prop.policy)[1] <= now]
        found = self.store.dailies(property_id, [d.isoformat() for d in finished])
        dailies = {d: found[d.isoformat()] for d in finished if d.isoformat() in found}
        missing = [d for d in finished if d not in dailies]
        for day, doc in self._compute_days(prop, missing, now).items():
            dailies[day] = self._store_daily(property_id, day, doc, refresh=False)
        if missing:
            self.register_property(property_id)
        result = stats.rollup(property_id=property_id, year=year, month=month, dailies=list(dailies.values()))
        return {**result, "timezone": prop.policy.timezone, "complete": len(finished) == len(days),
                "computed_days": [d.isoformat() for d in missing]}

    def dailies_for(self, property_id: str, days: Iterable[date], now: datetime) -> list[dict[str, Any]]:
        """The stored figures of finished days (a missing one computed, from one load,
        and stored): what a scheduled report sums. No authorisation: the scheduler's."""
        prop = self._property(property_id)
        finished = [d for d in sorted(set(days)) if stats.day_window(d, prop.policy)[1] <= now]
        found = self.store.dailies(property_id, [d.isoformat() for d in finished])
        missing = [d for d in finished if d.isoformat() not in found]
        for day, doc in self._compute_days(prop, missing, now).items():
            found[day.isoformat()] = self._store_daily(property_id, day, doc, refresh=False)
        return [found[d.isoformat()] for d in finished if d.isoformat() in found]

    # --- the scheduler -----------------------------------------------------------

    def _due_handovers(self, prop: Any, now: datetime) -> list[datetime]:
        """Handover times passed since the last produced one (those missed within
        ``CATCH_UP`` too); only the latest for a property with none yet."""
        rows, _ = self.store.handovers(prop.property_id, limit=1, newest_first=True)
        latest = handover.shift_window(now, prop.policy)[1]
        if not rows:
            return [latest]
        last = parse_shift_end(rows[0][0])
        return handover.handovers_between(max(last, now - CATCH_UP), now, prop.policy)

    def run_due(self, now: datetime, property_ids: Iterable[str] | None = None) -> dict[str, Any]:
        """For every property (``property_ids``, else :meth:`properties`): produce
        each handover whose local time has passed since the last one, and, once
        local midnight has passed, yesterday's daily figures. Safe to run any
        number of times (hourly): every document is written only if absent.

        A property without settings is skipped with a warning; any other failure
        is logged, the other properties still run, and a ``RuntimeError`` at the
        end makes the invocation fail visibly (a retry is harmless)."""
        results: dict[str, Any] = {}
        failed = []
        for property_id in (list(property_ids) if property_ids is not None else self.properties()):
            try:
                prop = self._property(property_id)
                made = []
                for end in self._due_handovers(prop, now):
                    doc, created = self.produce_handover(property_id, end, now=now)
                    if created:
                        made.append(doc["shift_end"])
                yesterday = now.astimezone(prop.policy.tz).date() - timedelta(days=1)
                sk = yesterday.isoformat()
                daily = None
                if sk not in self.store.dailies(property_id, [sk]):
                    self.produce_daily(property_id, yesterday, now=now)
                    daily = sk
                results[property_id] = {"handovers": made, "daily": daily}
            except NotFound as exc:
                logger.warning("report run skipped a property", extra={"property_id": property_id,
                                                                       "code": exc.code})
                results[property_id] = {"skipped": exc.code}
            except Exception as exc:  # noqa: BLE001 - one property must not stop the others
                logger.exception("report run failed for a property", extra={"property_id": property_id})
                results[property_id] = {"error": type(exc).__name__}
                failed.append(property_id)
        if failed:
            raise RuntimeError(f"report run failed for {', '.join(failed)}: {results}")
        return results

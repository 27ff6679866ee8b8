"""Report schedules per property and the reports they mail (issue 17, "reports that
go out"): a manager sets who gets which report (daily, weekly, monthly), when
(property-local day and time) and in which language; each schedule is a recurring
EventBridge Scheduler schedule in the property's zone, whose fire mails the report
(HTML with the figures' tables, CSV and XLSX attached) to its recipients.

Idempotent: a fire reports on the period its scheduled time names
(``domain/report_schedules.period``) and, before each recipient's mail, writes a
"sent" mark for schedule + period + recipient, only if absent; a retried or
duplicated fire finds the marks and sends nothing. A failed mail removes its mark
and the fire fails after trying the others, so the retry mails only those not reached.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import config
from chalicelib.domain import auth, report_schedules, stats
from chalicelib.domain.cases import iso, parse_iso
from chalicelib.domain.errors import NotFound
from chalicelib.mail import report_mail
from chalicelib.observability import logger, record_metric

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from chalicelib.services.ports import ReportScheduleStore
    from chalicelib.services.report_service import ReportService


# A sync note younger than this belongs to the change that wrote it (sweep_syncs).
SYNC_SWEEP_AGE = timedelta(minutes=2)


class ReportMailService:
    def __init__(self, reports: ReportService, store: ReportScheduleStore, *, clock: Callable[[], datetime],
                 mailer: Callable[[], Any] | None = None, scheduler: Any = None):
        self.reports = reports
        self.store = store
        self.clock = clock
        self._mailer = mailer
        # adapters.scheduler.ReportSchedules (put/delete); None: schedules are stored only (tests).
        self.scheduler = scheduler

    def get(self, principal: auth.Principal, property_id: str) -> dict[str, Any]:
        auth.authorize(principal, "report.schedule", property_id)
        self.reports._property(property_id)
        found = self.store.report_schedules(property_id) or {"schedules": [], "version": 0}
        return self._view(property_id, found)

    def _view(self, property_id: str, found: dict[str, Any]) -> dict[str, Any]:
        prop = self.reports._property(property_id)
        rows = [{**s, "expression": report_schedules.cron_expression(s), "timezone": prop.policy.timezone}
                for s in found.get("schedules", [])]
        return {"property_id": property_id, "schedules": rows, "version": found.get("version", 0)}

    def put(self, principal: auth.Principal, property_id: str, items: list[dict[str, Any]],
            expected_version: int) -> dict[str, Any]:
        """Replace the property's schedules (``expected_version``: the version read, 0 for
        none yet; a stale one is ``409 report_schedules_version_conflict``). Scheduler
        schedules follow: created or updated for each, deleted for those removed."""
        auth.authorize(principal, "report.schedule", property_id)
        self.reports._property(property_id)
        checked = report_schedules.check_schedules(items)
        before = self.store.report_schedules(property_id) or {"schedules": []}
        kept = {s["schedule_id"] for s in checked}
        # The outbox pattern: the need to sync is noted before the save, so that a Scheduler
        # failure or a crash after it leaves a marker the minute sweep acts on.
        marker = None
        if self.scheduler is not None:
            marker = self.store.mark_report_sync(
                property_id, [s["schedule_id"] for s in before.get("schedules", []) if s["schedule_id"] not in kept],
                at=iso(self.clock()))
        version = self.store.save_report_schedules(
            property_id, {"schedules": checked, "updated_by": principal.subject, "updated_at": iso(self.clock())},
            expected_version=expected_version)
        self.reports.register_property(property_id)
        synced = self._sync(marker) if marker is not None else True
        return {**self._view(property_id, {"schedules": checked, "version": version}),
                "scheduler": "synced" if synced else "pending"}

    def _sync(self, marker: dict[str, Any]) -> bool:
        """Make the property's Scheduler schedules match its stored ones (put each, delete
        the retired), then clear the marker if nobody re-marked it. False on a failure:
        the marker stays for the next sweep."""
        property_id = marker["property_id"]
        assert self.scheduler is not None
        try:
            prop = self.reports._property(property_id)
            stored = self.store.report_schedules(property_id) or {"schedules": []}
            for s in stored["schedules"]:
                self.scheduler.put(property_id, s["schedule_id"], report_schedules.cron_expression(s),
                                   prop.policy.timezone, s["enabled"])
            kept = {s["schedule_id"] for s in stored["schedules"]}
            for schedule_id in marker["retired"]:
                if schedule_id not in kept:
                    self.scheduler.delete(property_id, schedule_id)
        except Exception:  # noqa: BLE001 - the marker stays: the sweep retries; the PUT already stored them
            logger.exception("report schedules not synced to the Scheduler yet", extra={"property_id": property_id})
            record_metric("ReportScheduleSyncPending", property_id=property_id)
            return False
        self.store.clear_report_sync(property_id, marker["version"])
        return True

    def sweep_syncs(self, *, limit: int = 20, min_age: timedelta = SYNC_SWEEP_AGE) -> int:
        """The minute sweep (``watch_outbox``): sync every property a change marked and
        whose sync failed or never ran. A note younger than ``min_age`` is its change's
        own (still between its save and its sync: syncing the state before that save and
        clearing the note would leave nothing behind should the change's sync then fail).
        Returns how many are in sync now."""
        if self.scheduler is None:
            return 0
        cutoff = self.clock() - min_age
        return sum(1 for marker in self.store.pending_report_syncs(limit=limit)
                   if (not marker.get("at") or parse_iso(marker["at"]) <= cutoff) and self._sync(marker))

    def build(self, property_id: str, schedule: dict[str, Any], fired_at: datetime) -> dict[str, Any]:
        """The report a fire at ``fired_at`` sends: its period, figures and mail parts."""
        prop = self.reports._property(property_id)
        local_day = fired_at.astimezone(prop.policy.tz).date()
        key, first, last = report_schedules.period(schedule["report"], local_day)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        dailies = self.reports.dailies_for(property_id, days, fired_at)
        doc = stats.rollup(property_id=property_id, year=last.year, month=last.month, dailies=dailies)
        label = first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"
        if schedule["report"] == "monthly":
            label = last.strftime("%Y-%m")
        doc = {**doc, "period": key, "first_day": first.isoformat(), "last_day": last.isoformat()}
        lang = schedule["lang"]
        stem = f"{property_id}-{key.replace(':', '-')}"
        return {"period": key, "label": label, "doc": doc,
                "subject": report_mail.subject(prop.name, schedule["report"], label, lang),
                "text": report_mail.text_body(prop.name, schedule["report"], label, doc, lang),
                "html": report_mail.html_body(prop.name, schedule["report"], label, doc, lang),
                "attachments": ((f"{stem}.csv", "text/csv", report_mail.csv_bytes(doc, lang)),
                                (f"{stem}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                 report_mail.xlsx_bytes(doc, lang, sheet=key.replace(":", " "))))}

    def send_now(self, principal: auth.Principal, property_id: str, schedule_id: str) -> dict[str, Any]:
        """A manager mails a schedule's report now, for the period a fire now would
        name (still once per period: a later fire for it sends nothing)."""
        auth.authorize(principal, "report.schedule", property_id)
        self.reports._property(property_id)
        return self.fire(property_id, schedule_id)

    def fire(self, property_id: str, schedule_id: str, scheduled_time: datetime | None = None) -> dict[str, Any]:
        """A schedule fired: mail its report once per period. Returns what happened
        (``sent`` to whom, or ``skipped``: unknown, disabled, already sent)."""
        fired_at = scheduled_time or self.clock()
        found = self.store.report_schedules(property_id) or {"schedules": []}
        schedule = next((s for s in found["schedules"] if s["schedule_id"] == schedule_id), None)
        if schedule is None:
            raise NotFound("no such report schedule", code="report_schedule_not_found")
        if not schedule.get("enabled", True):
            return {"skipped": "disabled"}
        prop = self.reports._property(property_id)
        local_day = fired_at.astimezone(prop.policy.tz).date()
        period = report_schedules.period(schedule["report"], local_day)[0]
        report: dict[str, Any] | None = None
        sent: list[str] = []
        failure: Exception | None = None
        for address in schedule["recipients"]:
            # One mark per recipient and period: a retry after a partial failure mails only those not reached.
            mark = f"{period}#{address}"
            if not self.store.claim_report_sent(property_id, schedule_id, mark, {"at": iso(self.clock())}):
                continue
            try:
                report = report or self.build(property_id, schedule, fired_at)
                self._send(prop, address, report)
                sent.append(address)
            except Exception as exc:  # noqa: BLE001 - the others still get theirs; raised below for a retry
                self.store.release_report_sent(property_id, schedule_id, mark)
                failure = failure or exc
        if failure is not None:
            record_metric("ReportMailFailed", property_id=property_id, schedule_id=schedule_id)
            raise failure
        if not sent or report is None:
            return {"skipped": "already_sent", "period": period}
        record_metric("ReportMailed", property_id=property_id, schedule_id=schedule_id)
        logger.info("report mailed", extra={"property_id": property_id, "schedule_id": schedule_id,
                                            "period": period, "recipients": len(sent)})
        return {"sent": sent, "period": period, "subject": report["subject"]}

    def _send(self, prop: Any, address: str, report: dict[str, Any]) -> None:
        if self._mailer is None:
            return
        from chalicelib.mail.outgoing import Outgoing, new_message_id
        sender = prop.email or config.mail_from()
        self._mailer().send(Outgoing(sender=sender, sender_name=prop.name, to=address,
                                     message_id=new_message_id(sender), subject=report["subject"],
                                     text=report["text"], html=report["html"], attachments=report["attachments"]))

"""The storage the services need, stated as ``typing.Protocol`` classes, one
per aggregate, in the services' own words. No key format, table or index shows
here: ``store.DynamoStore`` (DynamoDB) and ``memory.MemoryStore`` (plain dicts,
for tests without AWS) implement these, and ``tests/contract`` runs one suite
against both.

Contract words used below:
- *atomic*: all of the writes happen or none does;
- *conditional*: the write happens only if the stated condition holds when it
  is applied, so two concurrent callers can never both succeed;
- a version check raises ``errors.VersionConflict`` and writes nothing.

Only this module's small value types are imported at runtime, so importing it
costs nothing at cold start.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from chalicelib.domain.cases import Case, Change, Event
    from chalicelib.domain.duplicates import Candidate
    from chalicelib.domain.keys import Entry, Key, KeyChange
    from chalicelib.domain.library import EntryChange, LibraryEntry, Version
    from chalicelib.domain.notify import Notification
    from chalicelib.domain.public_form import Submission
    from chalicelib.domain.quotas import Quota
    from chalicelib.domain.replies import Reply
    from chalicelib.domain.uploads import Upload

Page = tuple[list[Any], "str | None"]  # (items, cursor for the next page or None)


# --- outcomes the services act on (raised by every implementation) ----------

class CounterRace(Exception):
    """Another submit took the number this one read first: the caller takes
    the next number atomically (``next_number``) instead of racing again."""


class CaseNumberTaken(Exception):
    """A case with this number exists already (the day's counter is behind the
    cases, e.g. after a restore): the caller takes the next number."""


class IdempotentReplay(Exception):
    """The idempotency record already exists: the caller returns the case it names."""


class QuotaExceeded(Exception):
    """The quota counter is at its limit for this window: nothing was written."""


class PushStale(Exception):
    """A push target (SNS endpoint, Web Push subscription) takes no more
    messages (disabled, unsubscribed): the caller forgets it."""


class PushFailed(Exception):
    """A push attempt failed; a later one may succeed."""


# --- values passed to the store ---------------------------------------------

@dataclass(frozen=True)
class CounterRead:
    """The day's case-number counter as the submit read it (``read``: None when
    there was none yet): the creating transaction steps it from that value."""

    property_id: str
    day: str  # YYYYMMDD, the property's local day
    read: int | None


@dataclass(frozen=True)
class IdempotencyRecord:
    """"``actor_id`` already sent ``key``": names the case it made (or changed:
    ``action``, the case ``version`` the change produced) and a fingerprint of
    the request, so a replay with another body is refused."""

    actor_id: str
    key: str
    case_key: str
    fingerprint: str
    action: str | None = None  # None: the case was created (submit, log)
    version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"case": self.case_key, "fingerprint": self.fingerprint}
        if self.action is not None:
            data.update(action=self.action, version=self.version)
        return data


@dataclass(frozen=True)
class PolicyRecompute:
    """Outbox record of a policy change: "recompute the property's open cases,
    continuing after ``cursor`` (an ``open_queue`` cursor; None: from the
    start)", on behalf of ``actor`` (who changed the policy: id, role, name).
    One per property; a newer change replaces it and starts over."""

    property_id: str
    cursor: str | None
    actor: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"property_id": self.property_id, "cursor": self.cursor, "actor": dict(self.actor)}


@dataclass(frozen=True)
class WatchStart:
    """Outbox record written with a case change: "start watcher generation
    ``gen`` of this case". The table's stream hands it to the watch_stream
    consumer, which starts the execution and clears it; the sweeper starts
    whatever is left after ``OUTBOX_SWEEP_AGE``.

    ``sleep_until``: when the execution's first Check is due (RFC 3339), as the
    writer decided with the case in hand (None: at once); ``written_at``: when it
    was written (ISO 8601; None in records older than the stream: swept at once)."""

    property_id: str
    case_id: str
    gen: int
    sleep_until: str | None = None
    written_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"property_id": self.property_id, "case_id": self.case_id, "gen": self.gen}
        if self.sleep_until is not None:
            out["sleep_until"] = self.sleep_until
        if self.written_at is not None:
            out["written_at"] = self.written_at
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WatchStart:
        return cls(data["property_id"], data["case_id"], int(data["gen"]), data.get("sleep_until"),
                   data.get("written_at"))


@dataclass(frozen=True)
class MailSeen:
    """Guard written with the change an inbound mail makes: the same message
    delivered again writes nothing (``IdempotentReplay``)."""

    identity: str  # intake.message_identity
    case_key: str
    s3_key: str

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case_key, "s3_key": self.s3_key}


@dataclass(frozen=True)
class Delivery:
    """Outbox record of a tenant notification still to be delivered (mobile
    push, Web Push, email). The store writes it with the notification, in the
    transaction of the change that made it (``notify.for_change``), so none is
    lost; the deliver schedule drains it when ``due`` (quiet hours move it on),
    keeping the channels already ``done`` so a retry never repeats them."""

    notification: Notification
    due: datetime
    attempts: int = 0
    done: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedPage:
    """One page of a tenant's notification feed, read by ONE Query: the rows
    (id, notification, read), newest first, and the cursor for the next page.
    The first page (no cursor) also carries the tenant's unread count and
    preferences (the feed's head item, read by the same Query); a later page
    has ``unread_count`` None and the language the first page rendered in
    (carried in the cursor) as ``prefs``."""

    rows: list[tuple[str, Notification, bool]]
    next_cursor: str | None
    unread_count: int | None
    prefs: dict[str, Any] | None


# --- the aggregates -------------------------------------------------------------

class CaseStore(Protocol):
    """Cases, their audit trail, case numbers, idempotency and the watcher outbox."""

    def get_case(self, property_id: str, case_id: str) -> Case:
        """Strongly consistent read; ``NotFound(case_not_found)`` when absent."""

    def events(self, case: Case) -> list[Event]:
        """The case's audit trail in ``seq`` order (strongly consistent)."""

    def events_page(self, case: Case, *, limit: int, cursor: str | None,
                    actions: frozenset[str] | None = None) -> Page:
        """One page of the case's trail, newest first as read, returned in
        ``seq`` order: the ``limit`` events before ``cursor`` (None: the latest),
        read by one Query with a key condition on ``seq``; ``actions`` keeps only
        those actions (applied after the read, so a page may be short). The
        cursor names the older events (None: none left); one this listing did
        not give out for this case is ``BadRequest(invalid_cursor)``."""

    def cases_of_tenant(self, tenant_id: str, *, limit: int, cursor: str | None,
                        updated_since: datetime | None = None) -> Page:
        """A tenant's cases, newest first; ``cursor`` from the previous page
        (``BadRequest(invalid_cursor)`` for one this listing did not give out).
        ``updated_since``: only cases whose last change is at or after it (a
        filter on the same read: a page may be short, with a cursor)."""

    def open_queue(self, property_id: str, *, filters: dict[str, str], due_before: datetime | None, limit: int,
                   cursor: str | None) -> Page:
        """Open cases of a property, earliest next deadline first (no deadline
        last); ``filters`` match case attributes exactly; ``due_before`` keeps
        those whose next deadline is before it. A page reads at most ``limit``
        cases before filtering, so a filtered page may be short with a cursor."""

    def cases_changed_since(self, property_id: str, since: datetime) -> list[Case]:
        """Every case of the property whose last change is at or after ``since``."""

    def read_submit_state(self, property_id: str, day: str, actor_id: str,
                          idempotency_key: str | None) -> tuple[int | None, dict[str, Any] | None]:
        """The day's case-number counter (None: none yet) and the actor's
        idempotency record for ``idempotency_key`` (None: unused), in one read."""

    def next_case_number(self, property_id: str, day: str) -> int:
        """Take the next number of the day's counter atomically: concurrent
        callers always get different numbers, with no retry."""

    def catch_up_case_numbers(self, property_id: str, day: str, prefix: str) -> None:
        """Raise the day's counter to the highest stored case number whose id
        starts with ``prefix`` (a restored table); never lowers it."""

    def create_case(self, change: Change, *, idempotency: IdempotencyRecord | None,
                    counter: CounterRead | None = None, outbox: Sequence[WatchStart] = (),
                    quota: Quota | None = None) -> None:
        """Atomic and conditional: the case (must not exist: ``CaseNumberTaken``),
        its first event, the idempotency record (must not exist:
        ``IdempotentReplay``), the counter stepped from ``counter.read`` (moved
        meanwhile: ``CounterRace``), the outbox records and the quota step
        (at its limit: ``QuotaExceeded``). On any failure nothing is written."""

    def save_change(self, change: Change, *, expected_version: int, guard: MailSeen | None = None,
                    outbox: Sequence[WatchStart] = (), quota: Quota | None = None,
                    idempotency: IdempotencyRecord | None = None) -> None:
        """Atomic and conditional: the changed case (only if still at
        ``expected_version``, else ``VersionConflict`` with the current version
        in its details) and its event; a ``guard`` or an ``idempotency`` record
        that exists already makes it ``IdempotentReplay``; a quota at its limit
        ``QuotaExceeded``. Nothing is written on any failure."""

    def idempotency_record(self, actor_id: str, key: str) -> dict[str, Any] | None:
        """The actor's idempotency record for ``key`` (None: unused), as
        ``IdempotencyRecord.to_dict`` wrote it."""

    def pending_watch_starts(self, *, limit: int) -> list[WatchStart]:
        """Outbox records not yet cleared, oldest case key first."""

    def clear_watch_start(self, property_id: str, case_id: str, gen: int) -> None:
        """Remove one outbox record (absent: no-op)."""

    def put_policy_recompute(self, record: PolicyRecompute) -> None:
        """Write (or replace) the property's policy-recompute record."""

    def policy_recompute(self, property_id: str) -> PolicyRecompute | None:
        """The property's policy-recompute record, or None when none is pending."""

    def pending_policy_recomputes(self, *, limit: int) -> list[PolicyRecompute]:
        """Policy-recompute records not yet cleared, by property id."""

    def clear_policy_recompute(self, property_id: str) -> None:
        """Remove the property's policy-recompute record (absent: no-op)."""


class PropertyStore(Protocol):
    """Property settings, the scheduler's registry, inbox addresses and tenants."""

    def get_property_settings(self, property_id: str) -> dict[str, Any] | None:
        """The stored settings document, None when the property does not exist."""

    def put_property_settings(self, property_id: str, settings: dict[str, Any]) -> None:
        """Create or overwrite the settings document."""

    def register_property(self, property_id: str) -> None:
        """Add the property to the registry the schedulers read (conditional
        put: an existing entry is left as it is)."""

    def registered_properties(self, *, limit: int, cursor: str | None = None) -> Page:
        """Registered property ids in id order, a page at a time."""

    def put_inbox(self, address: str, property_id: str) -> None:
        """Mail sent to ``address`` belongs to ``property_id`` (overwrites)."""

    def property_of_inboxes(self, addresses: Sequence[str]) -> str | None:
        """The property of the first address (in the given order) that is an
        inbox; one batch read of at most 25 addresses."""

    def put_tenant(self, record: dict[str, Any]) -> None:
        """Store a tenant by email address and by (property, tenant id): two
        plain writes, not atomic (a retry repeats both)."""

    def is_tenant_of(self, property_id: str, tenant_id: str) -> bool:
        """Whether the tenant is registered at the property."""

    def tenant(self, property_id: str, tenant_id: str) -> dict[str, Any] | None:
        """The tenant's record at the property (as ``put_tenant`` stored it), or None."""

    def tenant_by_email(self, address: str) -> dict[str, Any] | None:
        """The tenant record registered for an email address (lower case)."""

    def get_tenant(self, property_id: str, tenant_id: str) -> dict[str, Any] | None:
        """The tenant record registered at the property under ``tenant_id``, or None."""


class MailStore(Protocol):
    """What email intake and the outbox remember: threading ids, quarantined
    mail, delivery attempts and the acknowledgement loop breaker."""

    def cases_for_message_ids(self, message_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(property id, case id) for each of the first 25 ids we know, in the
        given order: the cases those messages belong to."""

    def remember_message_id(self, message_id: str, case_key: str, *, reply_id: str | None = None) -> None:
        """A message we sent or took in belongs to ``case_key`` (overwrites)."""

    def message_id_known(self, message_id: str) -> bool:
        """Whether ``remember_message_id`` was called for it."""

    def count_mail_attempt(self, bucket: str, key: str, *, expires_at: datetime) -> int:
        """One more try at the stored message, counted atomically; returns the
        count including this one. Forgotten after ``expires_at``."""

    def take_ack_slot(self, address: str, *, now: datetime, window: timedelta, limit: int) -> bool:
        """Take one acknowledgement to ``address`` unless ``limit`` were sent in
        the ``window`` before ``now`` (sliding window). Conditional on the
        record as read, so concurrent callers never both take the last slot."""

    def put_quarantined(self, property_id: str | None, received_at: datetime, s3_key: str,
                        record: dict[str, Any]) -> None:
        """List a quarantined message for its property (None: unrouted);
        the same message quarantined again overwrites its entry."""

    def quarantined(self, property_id: str | None, *, limit: int, cursor: str | None) -> Page:
        """A property's (None: the unrouted) quarantined records, newest first."""


class ReplyStore(Protocol):
    """Written replies and their queues."""

    def get_reply(self, property_id: str, case_id: str, reply_id: str) -> Reply:
        """Strongly consistent; ``NotFound(reply_not_found)`` when absent."""

    def replies_of(self, case: Case) -> list[Reply]:
        """A case's replies by reply id."""

    def reply_queue(self, queue: str, *, limit: int, cursor: str | None = None) -> Page:
        """Replies in a queue (``Reply.queue()``: pending#<property>, unsent,
        sending), oldest first."""

    def pending_replies(self, property_id: str, *, limit: int) -> list[Reply]:
        """Replies of a property waiting for approval, oldest first."""

    def save_reply(self, reply: Reply, *, expected_version: int | None, change: Change | None = None,
                   case_version: int | None = None) -> None:
        """Atomic and conditional: the reply (new when ``expected_version`` is
        None: must not exist; else only at that version, otherwise
        ``VersionConflict(reply_version_conflict)``) with the case change it
        causes, conditional on ``case_version`` (``VersionConflict``)."""


class ReportStore(Protocol):
    """Handover summaries and daily figures (the logbook with its signatures is ``LogbookStore``'s)."""

    def handover(self, property_id: str, shift_end: str) -> dict[str, Any] | None:
        """The summary of the shift ending at ``shift_end`` (its key), or None."""

    def put_handover(self, property_id: str, shift_end: str, doc: dict[str, Any], *, only_if_absent: bool) -> bool:
        """Store a summary; with ``only_if_absent`` a conditional put that
        returns False (writing nothing) when one is stored already."""

    def handovers(self, property_id: str, *, limit: int, cursor: str | None = None,
                  newest_first: bool = True) -> Page:
        """(shift end, summary) pairs of a property by shift end."""

    def dailies(self, property_id: str, days: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Stored daily figures by day (YYYY-MM-DD), in one read."""

    def put_daily(self, property_id: str, day: str, doc: dict[str, Any], *, only_if_absent: bool) -> bool:
        """Store a day's figures; ``only_if_absent`` as for ``put_handover``."""


class UploadStore(Protocol):
    """Upload slots (chalicelib/domain/uploads.py): issued, checked, attached by key."""

    def create_upload(self, upload: Upload, *, quota: Quota | None = None) -> None:
        """Atomic and conditional: the new upload (must not exist) and the quota
        step (at its limit: ``QuotaExceeded``, nothing written). A pending
        upload is forgotten a day after it was made."""

    def get_upload(self, property_id: str, upload_id: str) -> Upload | None:
        """Strongly consistent read; None when absent (or expired)."""

    def get_uploads(self, property_id: str, upload_ids: Sequence[str]) -> dict[str, Upload]:
        """Several uploads of a property (at most 25) in one read, by id."""

    def finish_upload(self, upload: Upload) -> bool:
        """Store a pending upload's outcome (complete or rejected), only if it is
        still pending; False (nothing written) when another call finished it first."""


class ObjectStore(Protocol):
    """The bucket that holds attachments and uploads (S3; a dict in tests)."""

    bucket: str

    def presigned_post(self, key: str, *, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """``{"url", "fields"}`` of a browser form POST that can store exactly
        ``key``, with exactly that Content-Type and 1 to ``max_bytes`` bytes."""

    def size(self, key: str) -> int | None:
        """The stored object's size (HEAD), None when there is none."""

    def head_bytes(self, key: str, n: int) -> bytes:
        """The object's first ``n`` bytes (a ranged GET)."""

    def read(self, key: str) -> bytes:
        """The whole object."""

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """Store (or overwrite) an object."""

    def copy(self, source: str, key: str) -> None:
        """Copy an object within the bucket (server-side), keeping its content type."""

    def delete(self, keys: Sequence[str]) -> None:
        """Remove objects (absent ones: no-op)."""

    def exists(self, key: str) -> bool:
        """Whether an object is stored at ``key``."""
class KeyStore(Protocol):
    """The key register (chalicelib/domain/keys.py): keys by property, each
    key's history, and the keys out by due time. Implemented by
    ``adapters.key_store.DynamoKeyStore`` and ``MemoryKeyStore``."""

    def get_key(self, property_id: str, key_id: str) -> Key:
        """Strongly consistent; ``NotFound(unknown_key)`` when absent."""

    def keys_of(self, property_id: str) -> list[Key]:
        """Every key of the property's register, by key id (one partition, Query)."""

    def history(self, property_id: str, key_id: str) -> list[Entry]:
        """The key's history in ``seq`` order."""

    def create_key(self, change: KeyChange) -> None:
        """Atomic and conditional: the new key (must not exist:
        ``Conflict(key_exists)``) and its first history entry."""

    def save_key(self, change: KeyChange, *, expected_version: int) -> None:
        """Atomic and conditional: the changed key (only if still at
        ``expected_version``, else ``VersionConflict`` with the current
        version) and its history entry; nothing written on failure."""

    def keys_out(self, property_id: str, *, due_before: datetime | None = None) -> list[Key]:
        """Lent keys of the property by due time (earliest first), only those
        due before ``due_before`` when given: an index Query, never a Scan."""
class NotificationStore(Protocol):
    """A tenant's notification feed, their delivery targets and preferences,
    and the delivery outbox. Feed entries and outbox records are written by
    ``create_case``, ``save_change`` and ``save_reply`` with the change itself
    (one per event ``notify.for_change`` names, conditional on not existing)."""

    def notifications(self, tenant_id: str, *, limit: int,
                      cursor: str | None) -> tuple[list[tuple[str, Notification, bool]], str | None]:
        """(id, notification, read) of a tenant, newest first: one Query per page."""

    def feed_page(self, tenant_id: str, *, limit: int, cursor: str | None) -> FeedPage:
        """A page of the feed with, on the first page, the unread count and the
        preferences: ONE Query per page, whichever page."""

    def unread_notifications(self, tenant_id: str) -> int:
        """How many of the tenant's notifications are unread (the head's counter:
        incremented with each notification, decremented by exactly what a read-mark changed)."""

    def unknown_notifications(self, tenant_id: str, ids: Sequence[str]) -> list[str]:
        """Of ``ids`` (at most 100), those that are not this tenant's notifications."""

    def mark_notifications_read(self, tenant_id: str, ids: Sequence[str]) -> int:
        """Mark the tenant's notifications read, each by a conditional write (a
        concurrent or repeated call never counts one twice); the number this call marked."""

    def mark_notifications_read_up_to(self, tenant_id: str, up_to: str, *, limit: int) -> int:
        """Mark read up to ``limit`` of the tenant's unread notifications with id
        at or before ``up_to`` (older or equal); the number this call marked."""

    def notify_settings(self, tenant_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]],
                                                      list[dict[str, Any]]]:
        """The tenant's preferences (None: never set), registered devices and
        Web Push subscriptions, in one read."""

    def put_notify_preferences(self, tenant_id: str, prefs: dict[str, Any]) -> None:
        """Store (overwrite) the tenant's preferences (where the feed's first page
        and ``notify_settings`` each read them)."""

    def put_device(self, tenant_id: str, record: dict[str, Any]) -> None:
        """Store a device (``record["id"]``), overwriting one with that id."""

    def delete_device(self, tenant_id: str, device_id: str) -> dict[str, Any] | None:
        """Remove a device; the record removed, None when there was none."""

    def put_webpush(self, tenant_id: str, record: dict[str, Any]) -> None:
        """Store a Web Push subscription (``record["id"]``), overwriting one with that id."""

    def delete_webpush(self, tenant_id: str, subscription_id: str) -> dict[str, Any] | None:
        """Remove a Web Push subscription; the record removed, or None."""

    def due_deliveries(self, now: datetime, *, limit: int) -> list[Delivery]:
        """Outbox records due at or before ``now``, earliest first."""

    def reschedule_delivery(self, old: Delivery, new: Delivery) -> bool:
        """Replace ``old`` by ``new`` (a later due time, channels done, attempts),
        atomically and only if ``old`` is still there: False when another worker
        took it first (then nothing is written)."""

    def finish_delivery(self, delivery: Delivery) -> bool:
        """Remove the record; False when it was gone already (another worker's)."""

    def tenant_record(self, property_id: str, tenant_id: str) -> dict[str, Any] | None:
        """The tenant as registered at the property (email, language), or None."""


class DuplicateStore(Protocol):
    """A new case's duplicate candidates (chalicelib/domain/duplicates.py), read in one Query."""

    def duplicate_candidates(self, property_id: str, category: str, since: datetime) -> list[Candidate]:
        """The property's cases of ``category`` created at or after ``since`` (not merged
        away), newest first, as the index keeps them."""

    def save_pair(self, first: Change, second: Change) -> None:
        """Two case changes and their events in one transaction, each conditional on
        its case's version before it (``VersionConflict``, nothing written)."""


class ReportStorage(CaseStore, PropertyStore, ReportStore, Protocol):
    """What the report service reads (cases, properties) and writes (reports)."""


class Storage(CaseStore, PropertyStore, MailStore, ReplyStore, ReportStore, NotificationStore, DuplicateStore,
              Protocol):
    """Everything at once: what the runtime builds and hands to the services."""


class LogbookStore(Protocol):
    """The shift-handover logbooks (checklist marks, signatures, refusals, review)
    and each shift's work diary. Stored dicts carry their ``version``."""

    def logbook(self, property_id: str, shift_end: str) -> dict[str, Any] | None:
        """The logbook of the handover at ``shift_end`` (strongly consistent), or None."""

    def logbooks(self, property_id: str, shift_ends: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Several logbooks by shift end, in one read (at most 100)."""

    def save_logbook(self, property_id: str, shift_end: str, data: dict[str, Any], *, expected_version: int) -> int:
        """Conditional: a new logbook when ``expected_version`` is 0 (must not exist),
        else only if still at that version; otherwise
        ``VersionConflict(logbook_version_conflict)`` and nothing is written.
        Returns the stored version."""

    def diary(self, property_id: str, shift_end: str) -> list[dict[str, Any]]:
        """The diary entries of the shift ending at ``shift_end``, oldest first (one Query)."""

    def diary_entry(self, property_id: str, shift_end: str, entry_id: str) -> dict[str, Any] | None:
        """One entry (strongly consistent), or None."""

    def save_diary_entry(self, property_id: str, shift_end: str, entry: dict[str, Any], *,
                         expected_version: int) -> int:
        """Conditional as ``save_logbook`` (``VersionConflict(diary_version_conflict)``):
        a new entry must not exist, a correction must find the version it read."""
class ReportScheduleStore(Protocol):
    """A property's report schedules (one versioned record) and the "sent" marks
    that keep a retried fire from mailing a period twice."""

    def report_schedules(self, property_id: str) -> dict[str, Any] | None:
        """``{"schedules": [...], "version": n}`` (strongly consistent), or None."""

    def save_report_schedules(self, property_id: str, data: dict[str, Any], *, expected_version: int) -> int:
        """Conditional as ``LogbookStore.save_logbook``
        (``VersionConflict(report_schedules_version_conflict)``). Returns the stored version."""

    def claim_report_sent(self, property_id: str, schedule_id: str, period: str, data: dict[str, Any]) -> bool:
        """Mark the schedule's ``period`` key (the service appends the recipient) as sent:
        True if this call marked it, False if it was marked already (a conditional put,
        never an overwrite)."""

    def release_report_sent(self, property_id: str, schedule_id: str, period: str) -> None:
        """Remove a mark (the mail failed: the next fire may try again)."""

    def mark_report_sync(self, property_id: str, retired: list[str], *, at: str) -> dict[str, Any]:
        """Note that the property's Scheduler schedules must be made to match its stored
        ones, and that the ``retired`` schedule ids must be deleted there (added to any
        noted before), ``at`` (ISO 8601) the time of this note. Returns the marker
        ``{"property_id", "retired", "at", "version"}``."""

    def pending_report_syncs(self, *, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` markers (one Query, never a Scan)."""

    def clear_report_sync(self, property_id: str, version: int) -> bool:
        """Remove the marker only if still at ``version`` (a newer change's stays)."""


# --- sign-in: the user directory (Cognito) -----------------------------------------

@dataclass(frozen=True)
class TenantAccount:
    """A tenant the directory should let sign in, with the scope the system sets:
    their property and tenant id (never writable by the user)."""

    tenant_id: str
    property_ids: tuple[str, ...]
    email: str
    name: str
    lang: str
    phone: str | None = None  # E.164: the invitation goes by SMS


class UserDirectory(Protocol):
    """Where people sign in (Cognito on AWS and on the local stack; a dict in service tests)."""

    def invite(self, account: TenantAccount) -> dict[str, Any]:
        """Create the tenant's account in the tenants' group and send the invitation (by
        mail, by SMS when a phone is given); an account that exists and has not signed in
        yet gets the invitation again. Returns ``{"username": <the account's sub>,
        "resent": bool}``. Raises ``Conflict``: ``email_in_use`` (another tenant's
        account), ``account_active`` (signed in already: nothing to resend),
        ``account_disabled`` (deactivated)."""

    def disable(self, email: str) -> bool:
        """Disable the account and sign it out everywhere (its refresh tokens stop working).
        False when there is no such account; disabling twice is harmless."""
class ArchiveStore(Protocol):
    """The owner archive (chalicelib/domain/archive.py): a property's structure,
    its residents with their phone index, and the access log of full reads.
    Records are the domain's dicts; a stored record carries its ``version``
    (1 when new, one more per write). Every write is conditional on the version
    the caller read (``expected_version``; None: must not exist yet), so two
    concurrent edits never both land: ``VersionConflict``, nothing written."""

    def get_structure(self, property_id: str, kind: str, record_id: str) -> dict[str, Any] | None:
        """One building, unit or area (``kind``) by id, strongly consistent, in
        one read; None when absent. A case's location is checked with this."""

    def structure(self, property_id: str, kind: str) -> list[dict[str, Any]]:
        """Every building, unit or area of the property, by id (one partition)."""

    def units_of_building(self, property_id: str, building_id: str) -> list[dict[str, Any]]:
        """A building's units, by id (an index Query)."""

    def put_structure(self, property_id: str, kind: str, record: dict[str, Any], *,
                      expected_version: int | None) -> dict[str, Any]:
        """Store a building, unit or area, conditional on ``expected_version``;
        returns it with its new version."""

    def get_resident(self, property_id: str, resident_id: str) -> dict[str, Any] | None:
        """One resident, strongly consistent; None when absent."""

    def residents_of_unit(self, property_id: str, unit_id: str) -> list[dict[str, Any]]:
        """A unit's residents, moved-out ones included, by id (an index Query)."""

    def put_resident(self, property_id: str, record: dict[str, Any], *, expected_version: int | None,
                     previous_phones: Sequence[str] = ()) -> dict[str, Any]:
        """Atomic and conditional: the resident (at ``expected_version``) and
        their phone index: each of ``record['phones']`` findable by
        ``residents_by_phone``, those of ``previous_phones`` no longer listed
        removed; a resident who moved out is found by no phone."""

    def residents_by_phone(self, property_id: str, digits: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """The current residents with this normalised number (an index Query
        and one batch read, never a Scan)."""

    def residents_of_tenant(self, property_id: str, tenant_id: str) -> list[dict[str, Any]]:
        """The current residents linked to app account ``tenant_id``, each only
        ``resident_id``, ``unit_id``, ``role``, ``tenant_id`` (an index Query, never a Scan);
        a resident who moved out or was unlinked is not listed."""

    def get_units(self, property_id: str, unit_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The named units' records by id, in one batch read; absent ones are left out."""

    def append_access(self, property_id: str, entry: dict[str, Any]) -> None:
        """Append one access-log entry (``entry['at']``, an ISO time, orders the log)."""

    def access_log(self, property_id: str, *, limit: int, cursor: str | None = None) -> Page:
        """Access-log entries, newest first."""


class PublicFormStore(Protocol):
    """The public web form's pending submissions (chalicelib/domain/public_form.py):
    records of their own with a TTL, never cases, until their code is confirmed."""

    def create_submission(self, sub: Submission, *, quotas: Sequence[Quota] = ()) -> None:
        """Atomic: the submission (at version 1) and one step of each quota's
        counter, only while each is under its limit; else ``QuotaExceeded(name)``
        naming the first quota at its limit, and nothing is written."""

    def get_submission(self, property_id: str, submission_id: str) -> Submission | None:
        """The submission, or None (unknown, or deleted by its TTL). An expired
        one TTL has not deleted yet is still returned: the domain checks the time."""

    def save_submission(self, sub: Submission, *, expected_version: int) -> None:
        """Conditional on the stored version being ``expected_version`` (else
        ``VersionConflict``): a try at the code, or the case it became."""


class LibraryStore(Protocol):
    """The case library (chalicelib/domain/library.py), kept per property:
    entries with every version, the approved ones by category, and a use
    counter. Implemented by ``adapters.library_store.DynamoLibraryStore`` and
    ``adapters.library_memory.MemoryLibraryStore``."""

    def get_entry(self, property_id: str, entry_id: str) -> LibraryEntry:
        """Strongly consistent, with its use count; ``NotFound(unknown_entry)`` when absent."""

    def entries_of(self, property_id: str) -> list[LibraryEntry]:
        """Every entry of the property, any status, by entry id (one Query)."""

    def versions(self, property_id: str, entry_id: str) -> list[Version]:
        """Every version of the entry, oldest first."""

    def create_entry(self, change: EntryChange) -> None:
        """Atomic and conditional: the new entry (must not exist: ``Conflict(entry_exists)``)
        and its first version."""

    def save_entry(self, change: EntryChange, *, expected_version: int) -> None:
        """Atomic and conditional: the changed entry (only if still at
        ``expected_version``, else ``VersionConflict``) and its new version if
        any; the use count is left as it is; nothing written on failure."""

    def approved_in(self, property_id: str, category: str) -> list[LibraryEntry]:
        """The entries staff see (approved, not retired) of one category: an
        index Query, never a Scan."""

    def count_use(self, property_id: str, entry_id: str) -> int:
        """Conditional: one more use of an entry staff see (else
        ``Conflict(entry_not_approved)``, or ``NotFound(unknown_entry)``); the new count."""

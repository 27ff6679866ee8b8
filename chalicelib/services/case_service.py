"""Application service: the steps of the procedure, one method each.

Each method authorises, loads, applies a pure rule from ``cases`` and stores
the result through the store adapter. It knows nothing of HTTP; time comes
from the injected ``clock``.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from chalicelib import config
from chalicelib.domain import archive, attachments, auth, cases, deadlines, escalation, public, quotas, uploads, views
from chalicelib.domain.cases import Actor, Case, Event, iso, parse_iso
from chalicelib.domain.errors import BadRequest, NotFound, ValidationFailed, VersionConflict
from chalicelib.domain.escalation import wake_time
from chalicelib.domain.properties import Property
from chalicelib.observability import logger, record_metric
from chalicelib.services import dedupe_service
from chalicelib.services.ports import (
    CaseNumberTaken,
    CounterRace,
    CounterRead,
    IdempotencyRecord,
    IdempotentReplay,
    MailSeen,
    PolicyRecompute,
    QuotaExceeded,
    WatchStart,
)

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from chalicelib.services.ports import ArchiveStore, Storage, UploadStore

PROPERTY_CACHE_SECONDS = 60
# A policy change recomputes the property's open cases. The PUT does up to
# RECOMPUTE_PAGES pages of RECOMPUTE_PAGE_SIZE cases itself (most properties
# finish there); a larger one is continued from its outbox record by the
# watch_outbox schedule, the same number of pages a minute (sweep_policy_recomputes).
RECOMPUTE_PAGE_SIZE = 50
RECOMPUTE_PAGES = 4
MAX_SUBMIT_ATTEMPTS = 5

# A submit's two reads are independent (the counter and idempotency record; the
# duplicate candidates): they go out together, one round trip instead of two.
# The pool lives as long as the Lambda container; botocore clients are thread-safe.
_READERS: ThreadPoolExecutor | None = None
PARALLEL_THREAD_PREFIX = "td-read"


def _together(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Run ``second`` on a worker thread while ``first`` runs here; both results."""
    global _READERS
    if _READERS is None:
        _READERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix=PARALLEL_THREAD_PREFIX)
    future = _READERS.submit(second)
    try:
        result = first()
    finally:
        other = future.result()  # never leave the second read running (or its error unseen)
    return result, other
# A write the caller did not pin to a version is retried this often on the fresh case.
UNPINNED_ATTEMPTS = 3
# Fields of a tenant record that PUT …/tenants/{t} keeps: onboarding's (services/onboarding.py).
KEPT_TENANT_FIELDS = frozenset({"login", "active", "deactivated_at", "deactivated_by", "deactivation_reason"})

# Timeline events a case read carries (the rest: GET .../timeline?cursor=).
TIMELINE_EMBEDDED = 20
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")

Clock = Callable[[], datetime]


def actor_of(principal: auth.Principal) -> Actor:
    return Actor(principal.subject, principal.role, principal.name)


def _require_key(idempotency_key: str) -> None:
    if not IDEMPOTENCY_KEY.match(idempotency_key):
        raise BadRequest("Idempotency-Key must be 1 to 128 visible ASCII characters", code="invalid_idempotency_key")


def fingerprint(property_id: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps({"p": property_id, "b": payload}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def watch_outbox_record(case: Case, *, now: datetime | None = None,
                        policy: deadlines.Policy | None = None) -> WatchStart:
    """Written with the case: "start watcher generation N". The table's stream
    hands it to the watch_stream consumer, which starts the execution and
    deletes it; the outbox sweeper starts whatever a crash or throttle left.

    Given ``now`` and the ``policy``, the first decision is taken here, with the
    case in hand: when it is only to wait, the execution sleeps at once until
    then (no Check round trip), whoever starts it."""
    sleep_until = None
    if now is not None and policy is not None:
        first = escalation.decide(case, gen=case.watch_gen, now=now, policy=policy)
        sleep_until = wake_time(first.until if first.action == "wait" and first.until else now)
    return WatchStart(case.property_id, case.case_id, case.watch_gen, sleep_until=sleep_until,
                      written_at=iso(now) if now is not None else None)


class CaseService:
    def __init__(self, store: Storage, clock: Clock, *, watcher: Any = None, reminders: Any = None,
                 uploads: UploadStore | None = None, locations: ArchiveStore | None = None):
        self.store = store
        # Checked uploads (chalicelib/services/upload_service.py); None: none can be attached.
        self.uploads = uploads
        # The owner archive a case's location is checked against (one read); None: none
        # is kept, and a case that names a location is refused (422 unknown_location).
        self.locations = locations
        self.clock = clock
        self._properties: dict[str, tuple[float, Property]] = {}
        # Starts a case's Step Functions execution (chalicelib.adapters.stepfunctions.Watcher);
        # None where nothing watches (unit tests): the outbox records remain.
        self.watcher = watcher
        # Schedules callback reminders (chalicelib.adapters.scheduler); None: none are made.
        self.reminders = reminders

    def _after_change(self, action: str, case: Case, prop: Property) -> None:
        if self.reminders is None:
            return
        try:
            self.reminders.after_change(action, case, prop.policy.timezone)
        except Exception:  # noqa: BLE001 - a lost reminder is covered by the watcher's callback escalation
            logger.warning("callback reminder not updated", extra={"case_id": case.case_id, "action": action})

    def start_watch(self, property_id: str, case_id: str, gen: int, *, sleep_until: str | None = None,
                    raise_errors: bool = False) -> bool:
        """Start watcher generation ``gen`` and clear its outbox record; True when
        started. The execution's name is the case's and generation's
        (stepfunctions.execution_name): a second start of the same generation
        (the stream replaying a batch, the sweeper racing the stream) starts
        nothing more. On failure the record stays for a retry: the stream
        consumer (``raise_errors``) reports it to Lambda, the sweeper tries again
        at its next minute. Nothing on a request path calls this: the outbox
        record a change writes is the request's last word (services/watch_stream.py)."""
        if self.watcher is None:
            return False
        at = parse_iso(sleep_until) if sleep_until else self.clock()
        try:
            self.watcher.start(property_id, case_id, gen, sleep_until=at)
        except Exception:  # the outbox record stays: the stream retries, then the sweeper
            if raise_errors:
                raise
            logger.warning("watcher start failed; the outbox will retry", extra={"case_id": case_id, "gen": gen},
                           exc_info=True)
            return False
        self.store.clear_watch_start(property_id, case_id, gen)
        return True

    def start_outbox(self, start: WatchStart, *, raise_errors: bool = False) -> bool:
        """Start the watcher an outbox record asks for (stream consumer, sweeper)."""
        return self.start_watch(start.property_id, start.case_id, start.gen, sleep_until=start.sleep_until,
                                raise_errors=raise_errors)

    def _watch_outbox(self, before: Case, after: Case, policy: deadlines.Policy) -> list[WatchStart]:
        """A new watcher generation when the change made the case need a look
        sooner than its running watcher will take (see escalation.needs_new_watcher).
        Its outbox record is written in the change's transaction; the table's
        stream starts it, as for a new case."""
        now = self.clock()
        if not escalation.needs_new_watcher(before, after, policy, now):
            return []
        after.watch_gen = before.watch_gen + 1
        return [watch_outbox_record(after, now=now, policy=policy)]

    # --- properties ---------------------------------------------------------

    def property(self, property_id: str) -> Property:
        """Property settings, cached briefly: they change rarely and every action needs the policy."""
        now = self.clock().timestamp()
        cached = self._properties.get(property_id)
        if cached and now - cached[0] < PROPERTY_CACHE_SECONDS:
            return cached[1]
        settings = self.store.get_property_settings(property_id)
        if settings is None:
            raise NotFound("no such property", code="property_not_found")
        prop = Property.from_settings(property_id, settings)
        self._properties[property_id] = (now, prop)
        return prop

    def get_property(self, principal: auth.Principal, property_id: str) -> Property:
        auth.authorize(principal, "policy.read", property_id)
        return self.property(property_id)

    def put_property(self, principal: auth.Principal, property_id: str, params: dict[str, Any]) -> Property:
        """Create or update a property's name, departments and deadline policy overrides."""
        auth.authorize(principal, "policy.write", property_id)
        prop = Property.from_settings(property_id, params)  # validates the policy before anything is stored
        stored = self.store.get_property_settings(property_id)
        previous = Property.from_settings(property_id, stored) if stored is not None else None
        missing = escalation.missing_contacts(prop.contacts)
        if missing:
            raise ValidationFailed("every escalation tier and the on-duty desk need an email address",
                                   code="escalation_contact_missing", details={"field": "contacts", "missing": missing})
        self.store.put_property_settings(property_id,
                                         {"name": prop.name, "policy": params.get("policy") or {},
                                          "departments": list(prop.departments), "email": prop.email,
                                          "contacts": prop.contacts, "quotas": params.get("quotas") or {},
                                          "lang": prop.lang, "staff_addresses": list(prop.staff_addresses),
                                          "department_contacts": prop.department_contacts,
                                          "handover_checklist": prop.to_dict()["handover_checklist"],
                                          "phones": prop.phones})
        # The schedulers (handover, statistics) find properties here: there is no Scan.
        self.store.register_property(property_id)
        if prop.email:
            # Inbound mail finds its property by the address it was sent to.
            self.store.put_inbox(prop.email, property_id)
        self._properties.pop(property_id, None)
        if previous is not None and previous.policy != prop.policy:
            # Written before any case is touched: should this request stop
            # half-way, the watch_outbox schedule carries the recompute on.
            self.store.put_policy_recompute(PolicyRecompute(property_id, None, {
                "id": principal.subject, "role": principal.role, "name": principal.name}))
            try:
                self.continue_policy_recompute(property_id)
            except Exception:  # noqa: BLE001 - the policy is stored; the schedule finishes the cases
                logger.warning("policy recompute interrupted; the watch_outbox schedule carries it on",
                               extra={"property_id": property_id}, exc_info=True)
        return prop

    def continue_policy_recompute(self, property_id: str, *, pages: int | None = None) -> bool:
        """Carry the property's pending policy recompute on by up to ``pages``
        pages of its open queue (an index Query, never a Scan): each open case
        gets its deadlines from the policy as stored now, through the normal
        versioned write, with a ``policy_changed`` event and a new watcher
        generation when a deadline moved earlier. Where it stopped is kept in
        the outbox record; True once every open case is done (record cleared).

        Recomputing is idempotent (a case whose deadlines already follow the
        policy is not written), so a retried or restarted run is harmless, and
        a case moved behind the cursor by its own recompute is revisited as a
        no-op at worst. Each case is updated whole, in one write, or not at all."""
        record = self.store.policy_recompute(property_id)
        if record is None:
            return True
        settings = self.store.get_property_settings(property_id)
        if settings is None:
            self.store.clear_policy_recompute(property_id)
            return True
        # Read fresh, not from the per-container cache: that may hold the old policy for a minute.
        policy = Property.from_settings(property_id, settings).policy
        actor = Actor(record.actor.get("id", "system"), record.actor.get("role", "system"),
                      record.actor.get("name", ""))
        cursor = record.cursor
        for _ in range(pages or RECOMPUTE_PAGES):
            page, cursor = self.store.open_queue(property_id, filters={}, due_before=None, limit=RECOMPUTE_PAGE_SIZE,
                                                 cursor=cursor)
            for case in page:
                self._recompute_case(case, actor, policy)
            if cursor is None:
                self.store.clear_policy_recompute(property_id)
                return True
        self.store.put_policy_recompute(PolicyRecompute(property_id, cursor, record.actor))
        return False

    def sweep_policy_recomputes(self, *, limit: int = 10) -> int:
        """Carry every pending policy recompute on (the watch_outbox schedule,
        every minute); the number of properties finished."""
        return sum(self.continue_policy_recompute(r.property_id)
                   for r in self.store.pending_policy_recomputes(limit=limit))

    def _recompute_case(self, case: Case, actor: Actor, policy: deadlines.Policy, *, attempts: int = 5) -> None:
        for _ in range(attempts):
            change = cases.policy_changed(case, actor, self.clock(), policy)
            if change is None:
                return
            outbox = self._watch_outbox(case, change.case, policy)
            try:
                self.store.save_change(change, expected_version=case.version, outbox=outbox)
            except VersionConflict:
                # Someone acted meanwhile: recompute the case as it is now.
                case = self.store.get_case(case.property_id, case.case_id)
                continue
            return
        # A case this busy is rewritten by its own edits, each under the new policy.
        logger.warning("policy recompute gave up on a busy case", extra={"case_id": case.case_id})

    def put_tenant(self, principal: auth.Principal, property_id: str, tenant_id: str,
                   params: dict[str, Any]) -> dict[str, Any]:
        """Register a tenant's email address, so their mail is matched to them."""
        auth.authorize(principal, "policy.write", property_id)
        self.property(property_id)
        record = {"tenant_id": tenant_id, "property_id": property_id, "name": params["name"],
                  "email": params["email"].lower(), "unit": params.get("unit", ""),
                  "lang": params.get("lang", "zh-Hans")}
        # What onboarding recorded (services/onboarding.py: the invitation, a move-out) stays.
        existing = self.store.get_tenant(property_id, tenant_id) or {}
        record.update({k: v for k, v in existing.items() if k in KEPT_TENANT_FIELDS})
        self.store.put_tenant(record)
        return record

    def _require_tenant_of(self, property_id: str, tenant_id: str) -> None:
        """A case logged for a tenant lands in that tenant's own list: the
        tenant must be one of this property's (registered with PUT .../tenants)."""
        if not self.store.is_tenant_of(property_id, tenant_id):
            raise ValidationFailed("reporter.tenant_id is not a tenant of this property", code="unknown_tenant",
                                   details={"field": "reporter.tenant_id"})

    # --- intake -------------------------------------------------------------

    def submit(self, principal: auth.Principal, property_id: str, params: dict[str, Any],
               idempotency_key: str | None) -> tuple[Case, bool]:
        """A tenant's own case (app or web). Returns (case, created). Counts
        against the tenant's hourly quota (``RateLimited``); a replay does not."""
        auth.authorize(principal, "case.submit", property_id)
        self._require_stored_attachments(principal, property_id, params)
        if params.get("repeat_of"):
            self._require_repeatable(principal, property_id, params["repeat_of"])
        if principal.role == "tenant" and not params.get("lang"):
            # The tenant's own language (the token's: Cognito's locale, set at the invitation), so
            # the case's notifications and replies speak it without the app having to say so.
            params = {**params, "lang": principal.lang}
        params = self.resolve_location(property_id, params)
        return self.create_as(actor_of(principal), property_id, params, idempotency_key, limit_actor=True)

    def log(self, principal: auth.Principal, property_id: str, params: dict[str, Any],
            idempotency_key: str | None) -> tuple[Case, bool]:
        """Front desk records a phone, walk-in or letter case on a caller's behalf."""
        auth.authorize(principal, "case.log", property_id)
        tenant_id = (params.get("reporter") or {}).get("tenant_id")
        if tenant_id:
            self._require_tenant_of(property_id, tenant_id)
        self._require_stored_attachments(principal, property_id, params)
        params = self.resolve_location(property_id, params)
        return self.create_as(actor_of(principal), property_id, params, idempotency_key)

    def resolve_location(self, property_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with its ``location`` (ids a client picked from the archive)
        replaced by the archive's own (ids and label), read in one GetItem;
        ``ValidationFailed(unknown_location)`` when the archive has no such place."""
        request = params.get("location")
        if request is None:
            return params
        kind, record_id = archive.location_target(request)
        record = self.locations.get_structure(property_id, kind, record_id) if self.locations else None
        return {**params, "location": archive.resolve_location(request, record)}

    def _require_repeatable(self, principal: auth.Principal, property_id: str, case_id: str) -> None:
        """``repeat_of`` names one of the tenant's own closed cases (422 otherwise: the
        link is what statistics and staff follow back)."""
        try:
            old = self._visible_case(principal, property_id, case_id)
        except NotFound:
            raise ValidationFailed("repeat_of is not one of your cases", code="unknown_case",
                                   details={"field": "repeat_of"}) from None
        cases.require_repeatable(old)

    def _require_stored_attachments(self, principal: auth.Principal, property_id: str, params: dict[str, Any],
                                    case_id: str | None = None) -> None:
        """Every attachment is a stored object of this property (one rule,
        domain/attachments.py); a checked upload among them must be the caller's,
        for this case or for none (422 ``upload_not_attachable``). An upload's
        type and size on the trail are what its check found."""
        bucket = config.mail_bucket()
        items = params.get("attachments") or []
        attachments.require_stored(items, bucket=bucket, property_id=property_id)
        keys = {n: attachments.stored_key(item["ref"], bucket=bucket, property_id=property_id) or ""
                for n, item in enumerate(items)}
        wanted = {n: parts[2] for n, key in keys.items() if (parts := attachments.uploaded_parts(key))}
        if not wanted:
            return
        found = self.uploads.get_uploads(property_id, list(wanted.values())) if self.uploads else {}
        for n, upload_id in wanted.items():
            upload = found.get(upload_id)
            uploads.require_attachable(upload, key=keys[n], subject=principal.subject, property_id=property_id,
                                       case_id=case_id, field=f"attachments[{n}].ref")
            assert upload is not None  # require_attachable refused a missing one
            items[n] = uploads.attachment_item(upload, items[n])

    def create_as(self, actor: Actor, property_id: str, params: dict[str, Any],
                  idempotency_key: str | None, *, limit_actor: bool = False) -> tuple[Case, bool]:
        """Create a case as ``actor`` (already authorised, or the system itself,
        e.g. email intake). Idempotency keys are scoped to the actor.
        ``limit_actor``: the case counts against the actor's cases-per-hour
        quota, stepped in the creating transaction (a replay costs nothing)."""
        if idempotency_key is not None:
            _require_key(idempotency_key)
        prop = self.property(property_id)
        digest = fingerprint(property_id, params)
        read_first = True
        candidates: list[Any] | None = None
        candidates_of: str | None = None
        for _ in range(MAX_SUBMIT_ATTEMPTS):
            now = self.clock()
            day = now.astimezone(prop.policy.tz).strftime("%Y%m%d")
            if read_first:
                # The common case, nobody else submitting this instant: read the
                # counter (and the idempotency record), step it in the transaction;
                # on the first pass the duplicate candidates are read at the same time.
                category = params.get("category")
                if candidates is None and category:
                    (read, replayed), candidates = _together(
                        partial(self.store.read_submit_state, property_id, day, actor.id, idempotency_key),
                        partial(dedupe_service.read_candidates, self.store, property_id, category, now))
                    candidates_of = category
                else:
                    read, replayed = self.store.read_submit_state(property_id, day, actor.id, idempotency_key)
                if replayed is not None:
                    return self._replay(replayed, digest), False
                number, counter = (read or 0) + 1, CounterRead(property_id, day, read)
            else:
                # Lost a race for the number: take the next one atomically, no more racing.
                number, counter = self.store.next_case_number(property_id, day), None
            change = cases.new_case(property_id=property_id, case_id=f"TD-{day}-{number:04d}", actor=actor,
                                    params=params, now=now, policy=prop.policy)
            # Possible duplicates and repeats: one Query, written with the case (dedupe_service).
            if change.case.category != candidates_of:
                candidates = None  # read for another category than the case took: read again
            candidates = dedupe_service.suggest(self.store, change.case, now, candidates)
            candidates_of = change.case.category if candidates is not None else None
            idem = IdempotencyRecord(actor.id, idempotency_key, change.case.key, digest) if idempotency_key else None
            quota = quotas.case_submission(prop.quotas, property_id, actor.id, now) if limit_actor else None
            try:
                self.store.create_case(change, idempotency=idem, counter=counter,
                                       outbox=[watch_outbox_record(change.case, now=now, policy=prop.policy)],
                                       quota=quota)
            except QuotaExceeded:
                assert quota is not None  # only a quota can be exceeded
                raise quota.exceeded(now) from None
            except IdempotentReplay:
                # A concurrent duplicate of this request won; the next pass returns its case.
                read_first = True
                continue
            except CounterRace:
                read_first = False
                continue
            except CaseNumberTaken:  # the counter is behind the cases (a restore): catch up
                self.store.catch_up_case_numbers(property_id, day, f"TD-{day}-")
                read_first = True
                continue
            record_metric("CaseReceived", dimensions={"channel": change.case.channel}, property_id=property_id,
                          case_id=change.case.case_id)
            return change.case, True
        raise VersionConflict("too many cases arrived at once; try again", code="busy_retry")

    def _replay(self, record: dict[str, Any], digest: str) -> Case:
        if record.get("fingerprint") != digest:
            raise ValidationFailed("this Idempotency-Key was used for a different request",
                                   code="idempotency_key_reused")
        property_id, case_id = record["case"].split("#", 1)
        return self.store.get_case(property_id, case_id)

    # --- reads --------------------------------------------------------------

    def _visible_case(self, principal: auth.Principal, property_id: str, case_id: str) -> Case:
        auth.authorize(principal, "case.read", property_id)
        case = self.store.get_case(property_id, case_id)
        if principal.role == "tenant" and case.tenant_id != principal.subject:
            raise NotFound("no such case", code="case_not_found")
        return case

    def read(self, principal: auth.Principal, property_id: str, case_id: str, *,
             timeline_limit: int = TIMELINE_EMBEDDED) -> tuple[Case, list[Event], str | None]:
        """A case and the latest ``timeline_limit`` events of its timeline (as
        ``timeline`` pages them), with the cursor to the older ones. Staff opening a
        case the tenant wrote on clear its unread marker (``_mark_read_by_staff``)."""
        case = self._visible_case(principal, property_id, case_id)
        if principal.is_staff and case.unread_for_staff:
            case = self._mark_read_by_staff(principal, case)
        events, cursor = self._timeline_page(principal, case, limit=timeline_limit, cursor=None)
        return case, events, cursor

    def timeline(self, principal: auth.Principal, property_id: str, case_id: str, *, limit: int,
                 cursor: str | None) -> tuple[Case, list[Event], str | None]:
        """One page of a case's timeline, older than ``cursor`` (None: the
        latest), in order; tenants see only their events (``views.tenant_sees``),
        filtered on the one Query that reads the page, so their page may be short."""
        case = self._visible_case(principal, property_id, case_id)
        events, next_cursor = self._timeline_page(principal, case, limit=limit, cursor=cursor)
        return case, events, next_cursor

    def _timeline_page(self, principal: auth.Principal, case: Case, *, limit: int,
                       cursor: str | None) -> tuple[list[Event], str | None]:
        actions = views.TENANT_TIMELINE_ACTIONS if principal.role == "tenant" else None
        return self.store.events_page(case, limit=limit, cursor=cursor, actions=actions)

    def get(self, principal: auth.Principal, property_id: str, case_id: str) -> tuple[Case, list[Event]]:
        """A case and its timeline (tenants see only their own, without internal events)."""
        case = self._visible_case(principal, property_id, case_id)
        if principal.is_staff and case.unread_for_staff:
            case = self._mark_read_by_staff(principal, case)
        events = self.store.events(case)
        if principal.role == "tenant":
            events = [e for e in events if views.tenant_sees(e)]
        return case, events

    def _mark_read_by_staff(self, principal: auth.Principal, case: Case) -> Case:
        """A staff member opened a case the tenant wrote on: the unread marker is
        cleared (``cases.staff_read``). A concurrent write wins; the marker then
        stays for the next reader, and this one still sees the case."""
        change = cases.staff_read(case, actor_of(principal), self.clock())
        if change is None:
            return case
        try:
            self.store.save_change(change, expected_version=case.version)
        except VersionConflict:
            return case
        return change.case

    def attachment(self, principal: auth.Principal, property_id: str, case_id: str,
                   n: int) -> tuple[dict[str, Any], str]:
        """Attachment ``n`` of a case the caller may read, and its storage key."""
        _case, events = self.get(principal, property_id, case_id)
        return attachments.pick(events, n, bucket=config.mail_bucket(), property_id=property_id)

    def list_own(self, principal: auth.Principal, *, limit: int, cursor: str | None,
                 updated_since: datetime | None = None) -> tuple[list[Case], str | None]:
        """The tenant's cases, newest first; ``updated_since``: only those changed at or after it."""
        auth.authorize(principal, "case.list_own")
        return self.store.cases_of_tenant(principal.subject, limit=limit, cursor=cursor, updated_since=updated_since)

    def public_info(self, principal: auth.Principal, property_id: str) -> dict[str, Any]:
        """What a property tells its tenants (``public.property_view``): its own
        tenants and staff only; anyone else gets 404, as for any other property."""
        auth.authorize(principal, "property.read_public", property_id)
        return public.property_view(self.property(property_id), now=self.clock())

    def own_tenant_record(self, principal: auth.Principal, property_id: str | None) -> dict[str, Any]:
        """The caller's own tenant record (``public.tenant_view``) at ``property_id``,
        or at their only property; 404 when none is registered."""
        auth.authorize(principal, "tenant.read_own")
        if property_id is None:
            if len(principal.properties) != 1:
                raise BadRequest("name the property: ?property_id=", code="invalid_query",
                                 details={"field": "property_id", "allowed": sorted(principal.properties)})
            property_id = next(iter(principal.properties))
        auth.authorize(principal, "tenant.read_own", property_id)
        record = self.store.tenant(property_id, principal.subject)
        if record is None:
            raise NotFound("you are not registered as a tenant of this property", code="tenant_not_found")
        return public.tenant_view(record)

    def queue(self, principal: auth.Principal, property_id: str, *, filters: dict[str, str], overdue: bool,
              limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """Open cases of a property sorted by next deadline; ``overdue`` keeps only those past it."""
        auth.authorize(principal, "queue.read", property_id)
        self.property(property_id)
        return self.store.open_queue(property_id, filters=filters, due_before=self.clock() if overdue else None,
                                     limit=limit, cursor=cursor)

    # --- changes ------------------------------------------------------------

    def act(self, principal: auth.Principal, property_id: str, case_id: str, action: str, params: dict[str, Any],
            *, expected_version: int | None = None) -> Case:
        """Apply one lifecycle action (``act_once`` without an Idempotency-Key)."""
        return self.act_once(principal, property_id, case_id, action, params, expected_version=expected_version)[0]

    def act_once(self, principal: auth.Principal, property_id: str, case_id: str, action: str,
                 params: dict[str, Any], *, expected_version: int | None = None,
                 idempotency_key: str | None = None) -> tuple[Case, bool]:
        """Apply one lifecycle action, conditional on the version the caller saw.
        Returns (case, replayed).

        A caller who pinned no version asserted nothing about the case's state: if
        another write (the watcher's notice, a colleague) lands between our read and
        our write, the action is applied again to the fresh case, with every check
        (scope, status) made again. A pinned version that moved is a 409.

        ``idempotency_key`` (the request's Idempotency-Key): the action's record is
        written in the change's own transaction, so a retried request (a phone
        that lost the answer) changes nothing and is answered with the case as it
        is now (``replayed``); the same key with another request is 422
        ``idempotency_key_reused``. Keys are the caller's own, shared with submit."""
        auth.authorize(principal, f"case.{action}", property_id)
        digest = None
        if idempotency_key is not None:
            _require_key(idempotency_key)
            digest = fingerprint(property_id, {"case": case_id, "action": action, "body": params,
                                               "version": expected_version})
            record = self.store.idempotency_record(principal.subject, idempotency_key)
            if record is not None:
                return self._replay_action(principal, record, digest), True
        prop = self.property(property_id)
        if action == "message":
            self._require_stored_attachments(principal, property_id, params, case_id)
        department = params.get("department")
        if department and prop.departments and department not in prop.departments:
            raise ValidationFailed("unknown department for this property", details={"field": "department"})
        attempts = 1 if expected_version is not None else UNPINNED_ATTEMPTS
        for attempt in range(1, attempts + 1):
            case = self._visible_case(principal, property_id, case_id)
            auth.authorize_on_case(principal, department=case.department, assignee=case.assignee)
            if expected_version is not None and expected_version != case.version:
                raise VersionConflict("the case was changed by someone else; reload and try again",
                                      details={"current_version": case.version, "your_version": expected_version})
            now = self.clock()
            change = cases.ACTIONS[action](case, actor_of(principal), params, now, prop.policy)
            if action == "classify" and change.case.category != case.category:
                # Classified now (an email, a call): its duplicates are looked for now, in the same write.
                dedupe_service.suggest(self.store, change.case, now, None)
            outbox = self._watch_outbox(case, change.case, prop.policy)
            quota = quotas.case_message(prop.quotas, property_id, case_id, now) if action == "message" else None
            idem = (IdempotencyRecord(principal.subject, idempotency_key, case.key, digest, action, change.case.version)
                    if idempotency_key is not None and digest is not None else None)
            try:
                self.store.save_change(change, expected_version=case.version, outbox=outbox, quota=quota,
                                       idempotency=idem)
            except QuotaExceeded:
                assert quota is not None  # only a quota can be exceeded
                raise quota.exceeded(now) from None
            except IdempotentReplay:
                # A concurrent duplicate of this request won the write: answer as it did.
                assert idempotency_key is not None and digest is not None
                record = self.store.idempotency_record(principal.subject, idempotency_key)
                if record is None:  # expired meanwhile (24 h): nothing to replay; refuse rather than guess
                    raise
                return self._replay_action(principal, record, digest), True
            except VersionConflict:
                if attempt == attempts:
                    raise
                continue
            break
        record_metric("CaseTransition", dimensions={"action": action}, property_id=property_id, case_id=case_id)
        self._after_change(action, change.case, prop)
        dedupe_service.follow_owner(self, action, change.case, params)  # linked cases resolve with their owner
        return change.case, False

    def _replay_action(self, principal: auth.Principal, record: dict[str, Any], digest: str) -> Case:
        """The case a recorded request acted on, as it is now; 422 when the key
        was used for another request (another body, case, action or a submit)."""
        if record.get("fingerprint") != digest:
            raise ValidationFailed("this Idempotency-Key was used for a different request",
                                   code="idempotency_key_reused")
        property_id, case_id = record["case"].split("#", 1)
        return self._visible_case(principal, property_id, case_id)

    def system_act(self, actor: Actor, property_id: str, case_id: str, action: str, params: dict[str, Any], *,
                   guard: MailSeen | None = None, attempts: int = 10) -> Case:
        """Apply an action on the system's behalf (email intake, the outbox).
        Nobody is waiting to resolve a conflict, so a lost race is retried on the
        fresh case; ``guard`` makes a redelivered event write nothing
        (``IdempotentReplay``)."""
        prop = self.property(property_id)
        for _ in range(attempts):
            case = self.store.get_case(property_id, case_id)
            change = cases.ACTIONS[action](case, actor, params, self.clock(), prop.policy)
            outbox = self._watch_outbox(case, change.case, prop.policy)
            try:
                self.store.save_change(change, expected_version=case.version, guard=guard, outbox=outbox)
            except VersionConflict:
                continue
            record_metric("CaseTransition", dimensions={"action": action}, property_id=property_id, case_id=case_id)
            return change.case
        raise VersionConflict("the case is changing too fast; try again", code="busy_retry")


"""DynamoDB adapter for cases, their audit trail, counters and idempotency.

Contract (what the service relies on):
- every case change and its audit event are written in one TransactWriteItems,
  conditional on the version the change was computed from; a lost race raises
  ``VersionConflict`` carrying the current version, and nothing is written;
- a new case is written with its counter, its first event and its idempotency
  record in one transaction: a retried submit can never make a second case;
- reads on request paths are GetItem, BatchGetItem or Query: never Scan.

This module is the one home of the key formats (the ``meta`` table's
``pk``/``sk`` strings and the index keys): the services speak the
``ports`` protocols, which ``DynamoStore`` implements, and never build a key.
"""
from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Iterable
from dataclasses import asdict, fields, is_dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import botocore
from botocore.config import Config
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, QueryError, TransactWriteError, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.pagination import ResultIterator

from chalicelib.adapters import reads
from chalicelib.adapters.dedupe_store import DynamoDuplicates, dedupe_attributes, dedupe_key
from chalicelib.adapters.models import NO_DUE, CaseModel, EventModel, MetaModel, Models, ReplyModel
from chalicelib.adapters.notify_store import DynamoNotifications
from chalicelib.adapters.transact import Transaction
from chalicelib.domain.cases import Actor, Case, Change, Deadline, Event, iso, parse_iso
from chalicelib.domain.errors import BadRequest, NotFound, VersionConflict
from chalicelib.domain.replies import Reply
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

if TYPE_CHECKING:
    from chalicelib.domain.quotas import Quota

IDEMPOTENCY_TTL = timedelta(hours=24)
_DATETIME_FIELDS = ("created_at", "clock_start", "routed_at", "diagnosed_at", "responded_at", "resolved_at",
                    "callback_done_at", "closed_at", "updated_at", "occurred_at")
_INDEXED = ("property_id", "case_id", "status", "kind", "department", "category", "channel", "tier", "version",
            "deadlines")


# The transactions' client sends this User-Agent (botocore's Config(user_agent=...)):
# botocore otherwise rebuilds and sanitises its own string twice per request, ~0.09 ms
# of CPU each time (bench/submit_path.py); a fixed string is one join.
USER_AGENT = f"tenantdesk Botocore/{botocore.__version__}"


class _FixedAgentConnection(Connection):
    """pynamodb's Connection whose botocore sessions (one per thread, made on first
    use: no cost at a cold start) default to Config(user_agent=USER_AGENT); pynamodb's
    own Config (retries, timeouts) is merged over it when the client is built."""

    @property
    def session(self) -> Any:
        session = super().session
        if session.get_default_client_config() is None:
            session.set_default_client_config(Config(user_agent=USER_AGENT))
        return session


@lru_cache(maxsize=4)
def _connection(region: str) -> Connection:
    """One low-level connection per region for transactions that span the
    tables: building a botocore client costs ~100 ms, so it is built once."""
    return _FixedAgentConnection(region=region)


# --- key formats (the only place they are spelled) ----------------------------

Key = tuple[str, str]
WATCH_OUTBOX = "WATCH_OUTBOX"
POLICY_RECOMPUTES = "POLICY_RECOMPUTES"
PROPERTIES = "PROPERTIES"
UNROUTED = "_unrouted"  # the quarantine partition of mail no property's inbox received


def property_settings_key(property_id: str) -> Key:
    return f"PROPERTY#{property_id}", "SETTINGS"


def inbox_key(address: str) -> Key:
    return f"INBOX#{address}", "PROPERTY"


def tenant_email_key(address: str) -> Key:
    return f"TENANT_EMAIL#{address}", "TENANT"


def tenant_key(property_id: str, tenant_id: str) -> Key:
    return f"TENANT#{property_id}", tenant_id


def counter_key(property_id: str, day: str) -> Key:
    return f"COUNTER#{property_id}", day


def idempotency_record_key(actor_id: str, key: str) -> Key:
    return f"IDEMP#{actor_id}", key


def watch_start_key(property_id: str, case_id: str, gen: int) -> Key:
    return WATCH_OUTBOX, f"{property_id}#{case_id}#{gen:04d}"


def policy_recompute_key(property_id: str) -> Key:
    return POLICY_RECOMPUTES, property_id


def _policy_recompute(data: dict[str, Any]) -> PolicyRecompute:
    return PolicyRecompute(data["property_id"], data.get("cursor"), dict(data.get("actor") or {}))


def mail_seen_key(identity: str) -> Key:
    return f"MAIL#{identity}", "SEEN"


def message_id_key(message_id: str) -> Key:
    return f"MSGID#{message_id}", "CASE"


def mail_attempts_key(bucket: str, key: str) -> Key:
    return f"MAILTRY#{bucket}/{key}", "ATTEMPTS"


def ack_rate_key(address: str) -> Key:
    return f"ACKRATE#{address}", "ACKS"


def quarantine_pk(property_id: str | None) -> str:
    return f"QUARANTINE#{property_id or UNROUTED}"


def quota_key(quota: Quota) -> Key:
    """A quota's counter: one item per counted thing and window."""
    return f"QUOTA#{quota.name}#{quota.key}", quota.window_start.strftime("%Y-%m-%dT%H:%M:%SZ")


def handover_pk(property_id: str) -> str:
    return f"HANDOVER#{property_id}"


def daily_pk(property_id: str) -> str:
    return f"DAILY#{property_id}"


def pending_queue(property_id: str) -> str:
    return f"pending#{property_id}"


# --- mapping ----------------------------------------------------------------

def _copied(value: Any) -> Any:
    """What ``dataclasses.asdict`` makes of a field's value, without deep-copying
    every string and number on the way (a submit's hottest copy): dicts and lists
    are new, dataclasses become dicts, immutable leaves are shared."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, str | int | float | bool | datetime) or value is None:
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return copy.deepcopy(value)  # anything else (a tuple, a set): as asdict copies it


_BODY_FIELDS: tuple[str, ...] | None = None


def case_to_body(case: Case) -> dict[str, Any]:
    global _BODY_FIELDS
    if _BODY_FIELDS is None:
        _BODY_FIELDS = tuple(f.name for f in fields(Case) if f.name not in _INDEXED)
    body = {name: _copied(getattr(case, name)) for name in _BODY_FIELDS}
    for name in _DATETIME_FIELDS:
        if body.get(name) is not None:
            body[name] = iso(body[name])
    body["deadlines"] = {k: d.to_dict() for k, d in case.deadlines.items()}
    return body


def case_from_item(item: CaseModel) -> Case:
    body = dict(item.body)
    deadlines = {k: Deadline.from_dict(v) for k, v in (body.pop("deadlines", None) or {}).items()}
    for name in _DATETIME_FIELDS:
        if body.get(name):
            body[name] = parse_iso(body[name])
    return Case(property_id=item.property_id, case_id=item.case_id, status=item.status, kind=item.kind,
                department=item.department, category=item.category, channel=item.channel, tier=item.tier,
                version=item.version, deadlines=deadlines, **body)


_REPLY_DATETIMES = ("created_at", "updated_at", "approved_at", "sending_since", "sent_at")


def reply_from_item(item: ReplyModel) -> Reply:
    body = dict(item.body)
    for name in _REPLY_DATETIMES:
        if body.get(name):
            body[name] = parse_iso(body[name])
    return Reply(status=item.status, version=item.version, **body)


def event_from_item(item: EventModel) -> Event:
    actor = item.actor or {}
    return Event(seq=int(item.seq), at=parse_iso(item.at), actor=Actor(actor.get("id", ""), actor.get("role", ""),
                                                                        actor.get("name", "")),
                 action=item.action, changes=item.changes or {}, data=item.data or {})


def _encode_cursor(scope: str, key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    raw = json.dumps({"s": scope, "k": key}, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(scope: str, cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        key = data["k"]
        if data["s"] != scope or not isinstance(key, dict):
            raise ValueError("cursor from another listing")
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest("the cursor is not one this listing gave out", code="invalid_cursor") from exc
    return key


def _reasons(exc: TransactWriteError) -> list[str | None]:
    return [r.code if r is not None else None for r in (exc.cancellation_reasons or [])]


HEAD_RETRIES = 4


class _FeedHeadBusy(Exception):
    """A change's transaction failed only because a tenant's feed head (the unread
    count another change was stepping at the same moment) was in another transaction."""


def _raise_if_only_the_feed_head_was_busy(ops: list[str], exc: TransactWriteError) -> None:
    codes = [(op, code) for op, code in zip(ops, _reasons(exc), strict=False) if code not in (None, "None")]
    if codes and all(op == "notify" and code == "TransactionConflict" for op, code in codes):
        raise _FeedHeadBusy() from exc


class DynamoStore(DynamoNotifications, DynamoDuplicates):
    """Cases, events and meta records in DynamoDB through pynamodb; tenant
    notifications (written with the events that make them) in notify_store."""

    def __init__(self, models: Models) -> None:
        self.m = models
        self._connection = _connection(models.Case.Meta.region)

    # --- items --------------------------------------------------------------

    def _case_item(self, case: Case) -> CaseModel:
        due = case.next_due()
        item = self.m.Case(
            case.property_id, case.case_id,
            tenant_id=case.tenant_id,
            created_key=f"{iso(case.created_at)}#{case.key}",
            queue_property=case.property_id if case.is_open else None,
            dept_queue=f"{case.property_id}#{case.department}" if case.is_open and case.department else None,
            activity_property=case.property_id,
            updated_key=f"{iso(case.updated_at or case.created_at)}#{case.case_id}",
            next_due_key=(f"{iso(due) if due else NO_DUE}#{case.case_id}") if case.is_open else None,
            status=case.status, kind=case.kind, department=case.department, category=case.category,
            channel=case.channel, tier=case.tier, body=case_to_body(case),
            dedupe_key=dedupe_key(case), dedupe=dedupe_attributes(case))
        return item

    def _event_item(self, case: Case, event: Event) -> EventModel:
        return self.m.Event(case.key, event.seq, at=iso(event.at), action=event.action,
                            actor={"id": event.actor.id, "role": event.actor.role, "name": event.actor.name},
                            changes=event.changes, data=event.data)

    # --- reads --------------------------------------------------------------

    def get_case(self, property_id: str, case_id: str) -> Case:
        try:
            return case_from_item(reads.get(self._connection.client, self.m.Case, property_id, case_id,
                                            consistent_read=True))
        except DoesNotExist:
            raise NotFound("no such case", code="case_not_found") from None

    def events(self, case: Case) -> list[Event]:
        return [event_from_item(i) for i in self.m.Event.query(case.key, consistent_read=True)]

    def events_page(self, case: Case, *, limit: int, cursor: str | None,
                    actions: frozenset[str] | None = None) -> tuple[list[Event], str | None]:
        """Exactly one Query (the first page of pynamodb's iterator, never a
        second): ``seq < before`` newest first, ``limit`` items read, then the
        ``actions`` filter. The cursor is our own (the oldest seq read), so the
        key condition is rebuilt from a number, never from a client's key map."""
        m = self.m.Event
        scope = f"timeline:{case.key}"
        before = _decode_cursor(scope, cursor)
        condition = None
        if before is not None:
            seq = before.get("seq")
            if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= 10 ** 9:
                raise BadRequest("the cursor is not one this listing gave out", code="invalid_cursor")
            condition = m.seq < seq
        result = m.query(case.key, condition, consistent_read=True, scan_index_forward=False, page_size=limit,
                         filter_condition=m.action.is_in(*sorted(actions)) if actions is not None else None)
        page = next(result.page_iter)
        items = [event_from_item(m.from_raw_data(i)) for i in page.get("Items", [])]
        last = result.page_iter.last_evaluated_key
        next_cursor = _encode_cursor(scope, {"seq": int(last["seq"]["N"])}) if last else None
        return sorted(items, key=lambda e: e.seq), next_cursor

    def cases_of_tenant(self, tenant_id: str, *, limit: int, cursor: str | None,
                        updated_since: datetime | None = None) -> tuple[list[Case], str | None]:
        m = self.m.Case
        scope = f"tenant:{tenant_id}" + (f":since:{iso(updated_since)}" if updated_since else "")
        # A filter on the one Query of the by_tenant index: a tenant has tens of
        # cases, all in one page of the index. (At thousands per tenant, a GSI on
        # (tenant_id, updated_key) would make it a key condition instead.)
        start = _decode_cursor(scope, cursor)
        if updated_since is None:
            result = m.by_tenant.query(tenant_id, scan_index_forward=False, limit=limit, page_size=limit,
                                       last_evaluated_key=start)
            return self._page(result, scope)
        # Filtered: exactly one Query per page (pynamodb's iterator would query on until
        # ``limit`` items matched), so a poll costs one request; the page may be short.
        result = m.by_tenant.query(tenant_id, scan_index_forward=False, page_size=limit, last_evaluated_key=start,
                                   filter_condition=m.updated_key >= iso(updated_since))
        try:
            page = next(result.page_iter)
        except QueryError as exc:
            raise BadRequest("the cursor is not one this listing gave out", code="invalid_cursor") from exc
        items = [case_from_item(m.from_raw_data(i)) for i in page.get("Items", [])]
        return items, _encode_cursor(scope, result.page_iter.last_evaluated_key)

    def open_queue(self, property_id: str, *, filters: dict[str, str], due_before: datetime | None, limit: int,
                   cursor: str | None) -> tuple[list[Case], str | None]:
        """Open cases of one property, earliest next deadline first."""
        m = self.m.Case
        scope = f"queue:{property_id}:{json.dumps(filters, sort_keys=True)}:{bool(due_before)}"
        range_condition = m.next_due_key < iso(due_before) if due_before else None
        # A department's queue has its own index; other filters apply to what it reads.
        index: GlobalSecondaryIndex[CaseModel] = m.open_queue
        hash_key = property_id
        if filters.get("department"):
            index, hash_key = m.dept_queue_index, f"{property_id}#{filters['department']}"
        condition = None
        for name, value in sorted(filters.items()):
            if name == "department" and index is m.dept_queue_index:
                continue
            clause = getattr(m, name) == value
            condition = clause if condition is None else condition & clause
        result = index.query(hash_key, range_condition, filter_condition=condition, limit=limit,
                             page_size=limit, last_evaluated_key=_decode_cursor(scope, cursor))
        return self._page(result, scope)

    def _page(self, result: ResultIterator[CaseModel], scope: str) -> tuple[list[Case], str | None]:
        try:
            cases = [case_from_item(i) for i in result]
        except QueryError as exc:
            # A cursor that decodes but names keys DynamoDB refuses.
            raise BadRequest("the cursor is not one this listing gave out", code="invalid_cursor") from exc
        return cases, _encode_cursor(scope, result.last_evaluated_key)

    # --- meta ---------------------------------------------------------------

    def get_meta(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], MetaModel]:
        """Several meta records in one BatchGetItem (adapters/reads.py)."""
        return {(i.pk, i.sk): i for i in reads.batch_get(self._connection.client, self.m.Meta, list(keys))}

    def put_meta(self, pk: str, sk: str, data: dict[str, Any]) -> None:
        self.m.Meta(pk, sk, data=data).save()

    def delete_meta(self, pk: str, sk: str) -> None:
        self.m.Meta(pk, sk).delete()

    def count_attempt(self, pk: str, sk: str, *, expires_at: datetime) -> int:
        """Count one more attempt at something (one atomic ADD) and return the
        count, this one included; the record expires at ``expires_at``."""
        counter = self.m.Meta(pk, sk)
        counter.update(actions=[self.m.Meta.n.add(1), self.m.Meta.expires_at.set(expires_at)])
        return int(counter.n)

    def take_slot(self, pk: str, sk: str, *, now: datetime, window: timedelta, limit: int) -> bool:
        """Record one use at ``now`` unless ``limit`` uses already fall within
        ``window`` before it (a sliding window). The write is conditional on the
        record as read, so concurrent callers can never both take the last slot;
        True when this call took one."""
        meta = self.m.Meta
        for _ in range(5):
            found = self.get_meta([(pk, sk)]).get((pk, sk))
            version = int(found.n) if found is not None and found.n is not None else None
            times = [t for t in ((found.data or {}).get("times") or [] if found is not None else [])
                     if parse_iso(t) > now - window]
            if len(times) >= limit:
                return False
            item = meta(pk, sk, n=(version or 0) + 1, data={"times": times + [iso(now)]}, expires_at=now + window)
            try:
                item.save(condition=meta.n.does_not_exist() if version is None else meta.n == version)
                return True
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
        return False  # five lost races on one record in a row: the caller is being flooded

    # --- writes -------------------------------------------------------------

    def next_number(self, counter_key: tuple[str, str]) -> int:
        """The next number of a counter, by one atomic UpdateItem (ADD): every
        caller gets a different number with no read and no retry, however many
        submit at once. A number is skipped only when the write that follows
        fails (a throttled transaction, a crash, a concurrent duplicate)."""
        counter = self.m.Meta(*counter_key)
        counter.update(actions=[self.m.Meta.n.add(1)])
        return int(counter.n)

    def catch_up_counter(self, counter_key: tuple[str, str], property_id: str, prefix: str) -> None:
        """Raise a counter that is behind the stored cases (a restored table) to
        the highest case number with ``prefix``: one Query, one conditional update."""
        newest = list(self.m.Case.query(property_id, self.m.Case.case_id.startswith(prefix), scan_index_forward=False,
                                        limit=1, attributes_to_get=["case_id"]))
        if not newest:
            return
        highest = int(newest[0].case_id[len(prefix):])
        meta = self.m.Meta
        try:
            meta(*counter_key).update(actions=[meta.n.set(highest)],
                                      condition=meta.n.does_not_exist() | (meta.n < highest))
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    def create_case(self, change: Change, *, idempotency: IdempotencyRecord | None,
                    counter: CounterRead | None = None, outbox: Iterable[WatchStart] = (),
                    quota: Quota | None = None) -> None:
        """Write a new case, its first event, idempotency record and outbox
        records (work to do once it is stored) atomically. ``counter`` =
        (key, number read): the number was read, not taken, so the counter's
        step to it is part of the transaction, conditional on nobody else
        having taken it (``CounterRace``). None: the number was taken already
        (``next_number``). ``quota`` (a ``quotas.Quota``): its counter is
        stepped in the same transaction, only while under its limit
        (``QuotaExceeded``)."""
        for _ in range(HEAD_RETRIES):
            try:
                return self._create_case_once(change, idempotency=idempotency, counter=counter, outbox=outbox,
                                              quota=quota)
            except _FeedHeadBusy:
                continue  # only the tenant's feed head was busy (another change telling them): nothing taken
        raise VersionConflict("the tenant's notifications were busy; try again")

    def _create_case_once(self, change: Change, *, idempotency: IdempotencyRecord | None,
                          counter: CounterRead | None, outbox: Iterable[WatchStart], quota: Quota | None) -> None:
        case = change.case
        meta = self.m.Meta
        ops: list[str] = []
        try:
            with Transaction(self._connection.client) as tx:
                if counter is not None:
                    (pk, sk), read = counter_key(counter.property_id, counter.day), counter.read
                    ops.append("counter")
                    tx.save(meta(pk, sk, n=(read or 0) + 1),
                            condition=meta.n.does_not_exist() if read is None else meta.n == read)
                ops += ["case", "event"]
                tx.save(self._case_item(case), condition=self.m.Case.case_id.does_not_exist())
                tx.save(self._event_item(case, change.event), condition=self.m.Event.seq.does_not_exist())
                if idempotency is not None:
                    ops.append("idempotency")
                    pk, sk = idempotency_record_key(idempotency.actor_id, idempotency.key)
                    tx.save(meta(pk, sk, data=idempotency.to_dict(), expires_at=case.created_at + IDEMPOTENCY_TTL),
                            condition=meta.pk.does_not_exist())
                for start in outbox:
                    ops.append("outbox")
                    tx.save(meta(*watch_start_key(start.property_id, start.case_id, start.gen), data=start.to_dict()))
                ops += ["notify"] * self._write_notifications(tx, change)
                if quota is not None:  # last: pynamodb sends updates after puts, reasons come in that order
                    ops.append("quota")
                    self._step_quota(tx, quota)
        except TransactWriteError as exc:
            _raise_if_only_the_feed_head_was_busy(ops, exc)
            reasons = dict(zip(ops, _reasons(exc), strict=False))
            if reasons.get("idempotency") == "ConditionalCheckFailed":
                raise IdempotentReplay() from exc
            if reasons.get("quota") == "ConditionalCheckFailed":
                raise QuotaExceeded() from exc
            if reasons.get("counter") in ("ConditionalCheckFailed", "TransactionConflict"):
                raise CounterRace() from exc
            if reasons.get("case") == "ConditionalCheckFailed":
                raise CaseNumberTaken() from exc
            raise

    def _step_quota(self, tx: Transaction, quota: Quota) -> None:
        """Add one to a quota's fixed-window counter (created on first use, with
        a TTL), on condition that it is still under the limit: every instance
        shares the one item, and the ADD is atomic, so the limit holds however
        many submit at once."""
        meta = self.m.Meta
        tx.update(meta(*quota_key(quota)), actions=[meta.n.add(1), meta.expires_at.set(quota.expires_at)],
                  condition=meta.n.does_not_exist() | (meta.n < quota.limit))

    def save_change(self, change: Change, *, expected_version: int, guard: MailSeen | None = None,
                    outbox: Iterable[WatchStart] = (), quota: Quota | None = None,
                    idempotency: IdempotencyRecord | None = None) -> None:
        """Write a case change and its audit event together, only if the case is
        still at ``expected_version``. A ``guard`` meta record written with it
        makes a redelivered event (the same email twice) a no-op: if the guard
        exists already, nothing is written and ``IdempotentReplay`` is raised.
        A ``quota`` is stepped with it, only while under its limit
        (``QuotaExceeded``, nothing written). An ``idempotency`` record (a
        tenant's retried message, rating, reopen) is written with it, only if
        absent (``IdempotentReplay``)."""
        self._transact(change=change, expected_version=expected_version, guard=guard, outbox=outbox, quota=quota,
                       idempotency=idempotency)

    def idempotency_record(self, actor_id: str, key: str) -> dict[str, Any] | None:
        found = self.get_meta([idempotency_record_key(actor_id, key)]).get(idempotency_record_key(actor_id, key))
        return (found.data or {}) if found is not None else None

    def save_reply(self, reply: Reply, *, expected_version: int | None, change: Change | None = None,
                   case_version: int | None = None) -> None:
        """Write a reply (new when ``expected_version`` is None), with the case
        change it causes, if any, in the same transaction."""
        self._transact(change=change, expected_version=case_version, reply=reply, reply_version=expected_version)

    def _transact(self, **kwargs: Any) -> None:
        for _ in range(HEAD_RETRIES):
            try:
                return self._transact_once(**kwargs)
            except _FeedHeadBusy:
                continue  # only the tenant's feed head was busy (another change telling them): nothing written
        raise VersionConflict("the tenant's notifications were busy; try again")

    def _transact_once(self, *, change: Change | None = None, expected_version: int | None = None,
                       guard: MailSeen | None = None, reply: Reply | None = None,
                       reply_version: int | None = None, outbox: Iterable[WatchStart] = (),
                       quota: Quota | None = None, idempotency: IdempotencyRecord | None = None) -> None:
        ops: list[str] = []
        try:
            with Transaction(self._connection.client) as tx:
                if guard is not None:
                    ops.append("guard")
                    tx.save(self.m.Meta(*mail_seen_key(guard.identity), data=guard.to_dict()),
                            condition=self.m.Meta.pk.does_not_exist())
                if idempotency is not None and change is not None:
                    ops.append("guard")  # the same outcome as a mail guard: a replay
                    tx.save(self.m.Meta(*idempotency_record_key(idempotency.actor_id, idempotency.key),
                                        data=idempotency.to_dict(),
                                        expires_at=change.event.at + IDEMPOTENCY_TTL),
                            condition=self.m.Meta.pk.does_not_exist())
                if reply is not None:
                    ops.append("reply")
                    item = self._reply_item(reply)
                    if reply_version is not None:  # unset: must not exist yet; else conditional on it
                        item.version = reply_version
                    tx.save(item)
                if change is not None:
                    ops += ["case", "event"]
                    case_item = self._case_item(change.case)
                    case_item.version = expected_version  # pynamodb conditions on this and writes +1
                    tx.save(case_item)
                    tx.save(self._event_item(change.case, change.event), condition=self.m.Event.seq.does_not_exist())
                for start in outbox:
                    ops.append("outbox")
                    tx.save(self.m.Meta(*watch_start_key(start.property_id, start.case_id, start.gen),
                                        data=start.to_dict()))
                ops += ["notify"] * self._write_notifications(tx, change)
                if quota is not None:  # last: pynamodb sends updates after puts, reasons come in that order
                    ops.append("quota")
                    self._step_quota(tx, quota)
        except TransactWriteError as exc:
            _raise_if_only_the_feed_head_was_busy(ops, exc)
            failed = {op for op, code in zip(ops, _reasons(exc), strict=False) if code == "ConditionalCheckFailed"}
            if "guard" in failed:
                raise IdempotentReplay() from exc
            if "quota" in failed:
                raise QuotaExceeded() from exc
            if "reply" in failed or (reply is not None and "TransactionConflict" in _reasons(exc)):
                raise VersionConflict("the reply was changed by someone else; reload and try again",
                                      code="reply_version_conflict") from exc
            if change is None:
                raise
            case = change.case
            reasons = _reasons(exc)
            if failed or "TransactionConflict" in reasons:
                current = self.get_case(case.property_id, case.case_id)
                raise VersionConflict("the case was changed by someone else; reload and try again",
                                      details={"current_version": current.version,
                                               "your_version": expected_version}) from exc
            raise

    # --- replies ------------------------------------------------------------

    def _reply_item(self, reply: Reply) -> ReplyModel:
        body = asdict(reply)
        for name in ("status", "version"):
            body.pop(name)
        for name in _REPLY_DATETIMES:
            if body.get(name) is not None:
                body[name] = iso(body[name])
        queue = reply.queue()
        return self.m.Reply(reply.case_key, reply.reply_id, status=reply.status, body=body, queue=queue,
                            queued_at=f"{iso(reply.changed_at())}#{reply.case_key}#{reply.reply_id}"
                            if queue else None)

    def get_reply(self, property_id: str, case_id: str, reply_id: str) -> Reply:
        try:
            return reply_from_item(self.m.Reply.get(f"{property_id}#{case_id}", reply_id, consistent_read=True))
        except DoesNotExist:
            raise NotFound("no such reply", code="reply_not_found") from None

    def replies_of(self, case: Case) -> list[Reply]:
        return [reply_from_item(i) for i in self.m.Reply.query(case.key, consistent_read=True)]

    def reply_queue(self, queue: str, *, limit: int, cursor: str | None = None) -> tuple[list[Reply], str | None]:
        """Replies waiting in one queue, oldest first."""
        scope = f"replies:{queue}"
        result = self.m.Reply.reply_queue.query(queue, limit=limit, page_size=limit,
                                                last_evaluated_key=_decode_cursor(scope, cursor))
        try:
            replies = [reply_from_item(i) for i in result]
        except QueryError as exc:
            raise BadRequest("the cursor is not one this listing gave out", code="invalid_cursor") from exc
        return replies, _encode_cursor(scope, result.last_evaluated_key)

    # --- meta partitions ----------------------------------------------------

    def put_meta_if_absent(self, pk: str, sk: str, data: dict[str, Any]) -> bool:
        """Write a record unless it exists; True when this call wrote it."""
        try:
            self.m.Meta(pk, sk, data=data).save(condition=self.m.Meta.pk.does_not_exist())
            return True
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    def meta_partition(self, pk: str, *, limit: int, cursor: str | None = None,
                       newest_first: bool = True) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        """One meta partition (e.g. a property's quarantined mail), by sort key."""
        scope = f"meta:{pk}"
        result = self.m.Meta.query(pk, scan_index_forward=not newest_first, limit=limit, page_size=limit,
                                   last_evaluated_key=_decode_cursor(scope, cursor))
        try:
            rows = [(i.sk, i.data or {}) for i in result]
        except QueryError as exc:
            raise BadRequest("the cursor is not one this listing gave out", code="invalid_cursor") from exc
        return rows, _encode_cursor(scope, result.last_evaluated_key)

    # --- reports ------------------------------------------------------------

    def cases_changed_since(self, property_id: str, since: datetime) -> list[Case]:
        """Cases of one property whose last change is at or after ``since`` (one
        paged Query on ``by_activity``): every case a period touched, however old."""
        m = self.m.Case
        return [case_from_item(i) for i in m.by_activity.query(property_id, m.updated_key >= iso(since))]

    # --- case numbers, idempotency, watcher outbox (ports.CaseStore) ----------

    def read_submit_state(self, property_id: str, day: str, actor_id: str,
                          idempotency_key: str | None) -> tuple[int | None, dict[str, Any] | None]:
        counter = counter_key(property_id, day)
        idem = idempotency_record_key(actor_id, idempotency_key) if idempotency_key else None
        found = self.get_meta([counter] + ([idem] if idem else []))
        read = int(found[counter].n) if counter in found else None
        record = (found[idem].data or {}) if idem and idem in found else None
        return read, record

    def next_case_number(self, property_id: str, day: str) -> int:
        return self.next_number(counter_key(property_id, day))

    def catch_up_case_numbers(self, property_id: str, day: str, prefix: str) -> None:
        self.catch_up_counter(counter_key(property_id, day), property_id, prefix)

    def pending_watch_starts(self, *, limit: int) -> list[WatchStart]:
        rows, _ = self.meta_partition(WATCH_OUTBOX, limit=limit, newest_first=False)
        return [WatchStart.from_dict(data) for _, data in rows]

    def clear_watch_start(self, property_id: str, case_id: str, gen: int) -> None:
        self.delete_meta(*watch_start_key(property_id, case_id, gen))

    def put_policy_recompute(self, record: PolicyRecompute) -> None:
        self.put_meta(*policy_recompute_key(record.property_id), record.to_dict())

    def policy_recompute(self, property_id: str) -> PolicyRecompute | None:
        key = policy_recompute_key(property_id)
        item = self.get_meta([key]).get(key)
        return None if item is None else _policy_recompute(item.data or {})

    def pending_policy_recomputes(self, *, limit: int) -> list[PolicyRecompute]:
        rows, _ = self.meta_partition(POLICY_RECOMPUTES, limit=limit, newest_first=False)
        return [_policy_recompute(data) for _, data in rows]

    def clear_policy_recompute(self, property_id: str) -> None:
        self.delete_meta(*policy_recompute_key(property_id))

    # --- properties and tenants (ports.PropertyStore) -------------------------

    def get_property_settings(self, property_id: str) -> dict[str, Any] | None:
        key = property_settings_key(property_id)
        item = self.get_meta([key]).get(key)
        return None if item is None else (item.data or {})

    def put_property_settings(self, property_id: str, settings: dict[str, Any]) -> None:
        self.put_meta(*property_settings_key(property_id), settings)

    def register_property(self, property_id: str) -> None:
        self.put_meta_if_absent(PROPERTIES, property_id, {"property_id": property_id})

    def registered_properties(self, *, limit: int, cursor: str | None = None) -> tuple[list[str], str | None]:
        rows, next_cursor = self.meta_partition(PROPERTIES, limit=limit, cursor=cursor, newest_first=False)
        return [sk for sk, _ in rows], next_cursor

    def put_inbox(self, address: str, property_id: str) -> None:
        self.put_meta(*inbox_key(address), {"property_id": property_id})

    def property_of_inboxes(self, addresses: Iterable[str]) -> str | None:
        addresses = list(addresses)
        found = self.get_meta([inbox_key(a) for a in addresses[:25]])
        for address in addresses:
            item = found.get(inbox_key(address))
            if item is not None:
                return item.data["property_id"]
        return None

    def put_tenant(self, record: dict[str, Any]) -> None:
        self.put_meta(*tenant_email_key(record["email"]), record)
        # By id too: a case logged for a tenant is checked against the property's tenants.
        self.put_meta(*tenant_key(record["property_id"], record["tenant_id"]), record)

    def is_tenant_of(self, property_id: str, tenant_id: str) -> bool:
        key = tenant_key(property_id, tenant_id)
        return key in self.get_meta([key])

    def tenant(self, property_id: str, tenant_id: str) -> dict[str, Any] | None:
        key = tenant_key(property_id, tenant_id)
        item = self.get_meta([key]).get(key)
        return (item.data or {}) if item is not None else None

    def tenant_by_email(self, address: str) -> dict[str, Any] | None:
        key = tenant_email_key(address)
        item = self.get_meta([key]).get(key)
        return item.data if item is not None else None

    def get_tenant(self, property_id: str, tenant_id: str) -> dict[str, Any] | None:
        key = tenant_key(property_id, tenant_id)
        item = self.get_meta([key]).get(key)
        return item.data if item is not None else None

    # --- mail records (ports.MailStore) ---------------------------------------

    def cases_for_message_ids(self, message_ids: Iterable[str]) -> list[tuple[str, str]]:
        message_ids = list(message_ids)
        found = self.get_meta([message_id_key(k) for k in message_ids[:25]])
        cases = []
        for k in message_ids:
            item = found.get(message_id_key(k))
            if item is not None:
                property_id, case_id = item.data["case"].split("#", 1)
                cases.append((property_id, case_id))
        return cases

    def remember_message_id(self, message_id: str, case_key: str, *, reply_id: str | None = None) -> None:
        data = {"case": case_key} if reply_id is None else {"case": case_key, "reply_id": reply_id}
        self.put_meta(*message_id_key(message_id), data)

    def message_id_known(self, message_id: str) -> bool:
        key = message_id_key(message_id)
        return key in self.get_meta([key])

    def count_mail_attempt(self, bucket: str, key: str, *, expires_at: datetime) -> int:
        return self.count_attempt(*mail_attempts_key(bucket, key), expires_at=expires_at)

    def take_ack_slot(self, address: str, *, now: datetime, window: timedelta, limit: int) -> bool:
        return self.take_slot(*ack_rate_key(address), now=now, window=window, limit=limit)

    def put_quarantined(self, property_id: str | None, received_at: datetime, s3_key: str,
                        record: dict[str, Any]) -> None:
        self.put_meta(quarantine_pk(property_id), f"{iso(received_at)}#{s3_key}", record)

    def quarantined(self, property_id: str | None, *, limit: int,
                    cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        rows, next_cursor = self.meta_partition(quarantine_pk(property_id), limit=limit, cursor=cursor)
        return [data for _, data in rows], next_cursor

    # --- replies (ports.ReplyStore) -------------------------------------------

    def pending_replies(self, property_id: str, *, limit: int) -> list[Reply]:
        return self.reply_queue(pending_queue(property_id), limit=limit)[0]

    # --- reports (ports.ReportStore) ------------------------------------------

    def handover(self, property_id: str, shift_end: str) -> dict[str, Any] | None:
        key = (handover_pk(property_id), shift_end)
        item = self.get_meta([key]).get(key)
        return None if item is None else (item.data or {})

    def put_handover(self, property_id: str, shift_end: str, doc: dict[str, Any], *, only_if_absent: bool) -> bool:
        if only_if_absent:
            return self.put_meta_if_absent(handover_pk(property_id), shift_end, doc)
        self.put_meta(handover_pk(property_id), shift_end, doc)
        return True

    def handovers(self, property_id: str, *, limit: int, cursor: str | None = None,
                  newest_first: bool = True) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        return self.meta_partition(handover_pk(property_id), limit=limit, cursor=cursor, newest_first=newest_first)

    def dailies(self, property_id: str, days: Iterable[str]) -> dict[str, dict[str, Any]]:
        days = list(days)
        pk = daily_pk(property_id)
        found = self.get_meta([(pk, d) for d in days]) if days else {}
        return {d: found[(pk, d)].data or {} for d in days if (pk, d) in found}

    def put_daily(self, property_id: str, day: str, doc: dict[str, Any], *, only_if_absent: bool) -> bool:
        if only_if_absent:
            return self.put_meta_if_absent(daily_pk(property_id), day, doc)
        self.put_meta(daily_pk(property_id), day, doc)
        return True

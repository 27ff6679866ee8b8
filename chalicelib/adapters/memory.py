"""An in-memory twin of ``store.DynamoStore``: the ``ports.Storage`` protocol
over plain dicts, for tests of the services that need no AWS (and no moto).

Same semantics as the DynamoDB adapter, which ``tests/contract`` checks by
running one suite against both: version checks (``VersionConflict``),
conditional puts, all-or-nothing transactions (every condition is checked
before anything is written), cursors that only this listing accepts. What it
stores is copied in and out, so a caller never holds the stored object, and
documents go through JSON as DynamoDB's attributes do. Not thread-safe beyond
the lock around each operation; expiry (DynamoDB's TTL) is not modelled.
"""
from __future__ import annotations

import base64
import binascii
import copy
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.dedupe_memory import MemoryDuplicates
from chalicelib.adapters.memory_notify import MemoryNotifications
from chalicelib.domain.cases import Case, Change, Event, iso, parse_iso
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

_NO_DUE = "~"  # sorts after every ISO timestamp, as in the DynamoDB index


def _doc(data: dict[str, Any] | None) -> dict[str, Any]:
    """A stored document as DynamoDB gives it back: a fresh JSON copy."""
    return json.loads(json.dumps(data or {}, ensure_ascii=False))


def _encode(scope: str, key: Any) -> str:
    raw = json.dumps({"s": scope, "k": key}, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(scope: str, cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if data["s"] != scope or not isinstance(data["k"], list):
            raise ValueError("cursor from another listing")
        return data["k"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest("the cursor is not one this listing gave out", code="invalid_cursor") from exc


def _page(rows: list[tuple[list, Any]], scope: str, *, limit: int, cursor: str | None, descending: bool = False,
          keep: Callable[[Any], bool] = lambda _: True) -> tuple[list, str | None]:
    """One page of ``rows`` ((sort key, item) pairs) after ``cursor``. Like a
    DynamoDB Query with Limit: ``limit`` rows are read, then filtered by
    ``keep``; the cursor is given while rows remain after those read."""
    rows = sorted(rows, key=lambda r: r[0], reverse=descending)
    after = _decode(scope, cursor)
    if after is not None:
        rows = [r for r in rows if (r[0] < after if descending else r[0] > after)]
    read, rest = rows[:limit], rows[limit:]
    items = [item for _, item in read if keep(item)]
    return items, (_encode(scope, read[-1][0]) if rest and read else None)


class MemoryStore(MemoryNotifications, MemoryDuplicates):
    """``ports.Storage`` in memory (tenant notifications: memory_notify)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._cases: dict[tuple[str, str], Case] = {}
        self._events: dict[str, list[Event]] = {}
        self._counters: dict[tuple[str, str], int] = {}
        self._idempotency: dict[tuple[str, str], dict[str, Any]] = {}
        self._watch_starts: dict[tuple[str, str, int], WatchStart] = {}
        self._recomputes: dict[str, PolicyRecompute] = {}
        self._mail_seen: dict[str, dict[str, Any]] = {}
        self._quotas: dict[tuple[str, str, str], int] = {}
        self._settings: dict[str, dict[str, Any]] = {}
        self._registry: set[str] = set()
        self._inboxes: dict[str, str] = {}
        self._tenants_by_email: dict[str, dict[str, Any]] = {}
        self._tenants: dict[tuple[str, str], dict[str, Any]] = {}
        self._message_ids: dict[str, dict[str, Any]] = {}
        self._attempts: dict[tuple[str, str], int] = {}
        self._ack_times: dict[str, list[datetime]] = {}
        self._quarantine: dict[str | None, dict[tuple[str, str], dict[str, Any]]] = {}
        self._replies: dict[tuple[str, str], Reply] = {}
        self._handovers: dict[str, dict[str, dict[str, Any]]] = {}
        self._dailies: dict[tuple[str, str], dict[str, Any]] = {}

    # --- cases ------------------------------------------------------------------

    def get_case(self, property_id: str, case_id: str) -> Case:
        with self._lock:
            case = self._cases.get((property_id, case_id))
            if case is None:
                raise NotFound("no such case", code="case_not_found")
            return copy.deepcopy(case)

    def events(self, case: Case) -> list[Event]:
        with self._lock:
            return copy.deepcopy(sorted(self._events.get(case.key, []), key=lambda e: e.seq))

    def _all_cases(self, predicate: Callable[[Case], bool]) -> list[Case]:
        with self._lock:
            return [copy.deepcopy(c) for c in self._cases.values() if predicate(c)]

    def events_page(self, case: Case, *, limit: int, cursor: str | None,
                    actions: frozenset[str] | None = None) -> tuple[list[Event], str | None]:
        scope = f"timeline:{case.key}"
        before = _decode(scope, cursor)
        if before is not None and not (len(before) == 1 and isinstance(before[0], int)
                                       and not isinstance(before[0], bool) and 1 <= before[0] <= 10 ** 9):
            raise BadRequest("the cursor is not one this listing gave out", code="invalid_cursor")
        with self._lock:
            trail = sorted(self._events.get(case.key, []), key=lambda e: e.seq, reverse=True)
        if before is not None:
            trail = [e for e in trail if e.seq < before[0]]
        read, rest = trail[:limit], trail[limit:]
        kept = [copy.deepcopy(e) for e in read if actions is None or e.action in actions]
        return sorted(kept, key=lambda e: e.seq), (_encode(scope, [read[-1].seq]) if rest and read else None)

    def cases_of_tenant(self, tenant_id: str, *, limit: int, cursor: str | None,
                        updated_since: datetime | None = None) -> tuple[list[Case], str | None]:
        rows = [([iso(c.created_at), c.key], c) for c in self._all_cases(lambda c: c.tenant_id == tenant_id)]
        scope = f"tenant:{tenant_id}" + (f":since:{iso(updated_since)}" if updated_since else "")
        return _page(rows, scope, limit=limit, cursor=cursor, descending=True,
                     keep=lambda c: updated_since is None or (c.updated_at or c.created_at) >= updated_since)

    def open_queue(self, property_id: str, *, filters: dict[str, str], due_before: datetime | None, limit: int,
                   cursor: str | None) -> tuple[list[Case], str | None]:
        def due_key(c: Case) -> str:
            due = c.next_due()
            return iso(due) if due else _NO_DUE

        department = filters.get("department")
        cases = self._all_cases(lambda c: c.property_id == property_id and c.is_open
                                and (not department or c.department == department))
        rows = [([due_key(c), c.case_id], c) for c in cases
                if due_before is None or due_key(c) < iso(due_before)]
        scope = f"queue:{property_id}:{json.dumps(filters, sort_keys=True)}:{bool(due_before)}"
        return _page(rows, scope, limit=limit, cursor=cursor,
                     keep=lambda c: all(getattr(c, name) == value for name, value in filters.items()))

    def cases_changed_since(self, property_id: str, since: datetime) -> list[Case]:
        cases = self._all_cases(lambda c: c.property_id == property_id and (c.updated_at or c.created_at) >= since)
        return sorted(cases, key=lambda c: (iso(c.updated_at or c.created_at), c.case_id))

    def read_submit_state(self, property_id: str, day: str, actor_id: str,
                          idempotency_key: str | None) -> tuple[int | None, dict[str, Any] | None]:
        with self._lock:
            record = self._idempotency.get((actor_id, idempotency_key)) if idempotency_key else None
            return self._counters.get((property_id, day)), _doc(record) if record is not None else None

    def next_case_number(self, property_id: str, day: str) -> int:
        with self._lock:
            number = self._counters.get((property_id, day), 0) + 1
            self._counters[(property_id, day)] = number
            return number

    def catch_up_case_numbers(self, property_id: str, day: str, prefix: str) -> None:
        with self._lock:
            numbers = [int(cid[len(prefix):]) for pid, cid in self._cases if pid == property_id
                       and cid.startswith(prefix)]
            if numbers and self._counters.get((property_id, day), -1) < max(numbers):
                self._counters[(property_id, day)] = max(numbers)

    def create_case(self, change: Change, *, idempotency: IdempotencyRecord | None,
                    counter: CounterRead | None = None, outbox: Sequence[WatchStart] = (), quota: Any = None) -> None:
        case = change.case
        with self._lock:
            if idempotency is not None and (idempotency.actor_id, idempotency.key) in self._idempotency:
                raise IdempotentReplay()
            self._check_quota(quota)
            if counter is not None and self._counters.get((counter.property_id, counter.day)) != counter.read:
                raise CounterRace()
            if (case.property_id, case.case_id) in self._cases:
                raise CaseNumberTaken()
            if counter is not None:
                self._counters[(counter.property_id, counter.day)] = (counter.read or 0) + 1
            stored = copy.deepcopy(case)
            stored.version = 1
            self._cases[(case.property_id, case.case_id)] = stored
            self._events[case.key] = [copy.deepcopy(change.event)]
            if idempotency is not None:
                self._idempotency[(idempotency.actor_id, idempotency.key)] = _doc(idempotency.to_dict())
            self._add_watch_starts(outbox)
            self._add_notifications(change)
            self._step_quota(quota)

    def save_change(self, change: Change, *, expected_version: int, guard: MailSeen | None = None,
                    outbox: Sequence[WatchStart] = (), quota: Any = None,
                    idempotency: IdempotencyRecord | None = None) -> None:
        self._transact(change=change, expected_version=expected_version, guard=guard, outbox=outbox, quota=quota,
                       idempotency=idempotency)

    def idempotency_record(self, actor_id: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._idempotency.get((actor_id, key))
            return _doc(found) if found is not None else None

    def _transact(self, *, change: Change | None = None, expected_version: int | None = None,
                  guard: MailSeen | None = None, reply: Reply | None = None, reply_version: int | None = None,
                  outbox: Sequence[WatchStart] = (), quota: Any = None,
                  idempotency: IdempotencyRecord | None = None) -> None:
        with self._lock:
            # Every condition first, in the DynamoDB adapter's order of reporting; then every write.
            if guard is not None and guard.identity in self._mail_seen:
                raise IdempotentReplay()
            if idempotency is not None and (idempotency.actor_id, idempotency.key) in self._idempotency:
                raise IdempotentReplay()
            self._check_quota(quota)
            if reply is not None:
                current = self._replies.get((reply.case_key, reply.reply_id))
                if (current is not None) if reply_version is None else (current is None
                                                                          or current.version != reply_version):
                    raise VersionConflict("the reply was changed by someone else; reload and try again",
                                          code="reply_version_conflict")
            if change is not None:
                case = change.case
                current_case = self._cases.get((case.property_id, case.case_id))
                if current_case is None:
                    self.get_case(case.property_id, case.case_id)  # NotFound, as the adapter's reload raises
                assert current_case is not None
                if current_case.version != expected_version or any(
                        e.seq == change.event.seq for e in self._events.get(case.key, [])):
                    raise VersionConflict("the case was changed by someone else; reload and try again",
                                          details={"current_version": current_case.version,
                                                   "your_version": expected_version})
            if guard is not None:
                self._mail_seen[guard.identity] = _doc(guard.to_dict())
            if idempotency is not None and change is not None:
                self._idempotency[(idempotency.actor_id, idempotency.key)] = _doc(idempotency.to_dict())
            if reply is not None:
                stored_reply = copy.deepcopy(reply)
                stored_reply.version = (reply_version or 0) + 1
                self._replies[(reply.case_key, reply.reply_id)] = stored_reply
            if change is not None:
                stored = copy.deepcopy(change.case)
                assert expected_version is not None  # every change comes with the version it was made on
                stored.version = expected_version + 1
                self._cases[(stored.property_id, stored.case_id)] = stored
                self._events.setdefault(stored.key, []).append(copy.deepcopy(change.event))
            self._add_watch_starts(outbox)
            self._add_notifications(change)
            self._step_quota(quota)

    def _check_quota(self, quota: Any) -> None:
        if quota is not None and self._quotas.get(self._quota_id(quota), 0) >= quota.limit:
            raise QuotaExceeded()

    def _step_quota(self, quota: Any) -> None:
        if quota is not None:
            self._quotas[self._quota_id(quota)] = self._quotas.get(self._quota_id(quota), 0) + 1

    @staticmethod
    def _quota_id(quota: Any) -> tuple[str, str, str]:
        return quota.name, quota.key, iso(quota.window_start)

    def _add_watch_starts(self, outbox: Iterable[WatchStart]) -> None:
        for start in outbox:
            self._watch_starts[(start.property_id, start.case_id, start.gen)] = start

    def pending_watch_starts(self, *, limit: int) -> list[WatchStart]:
        with self._lock:
            return [self._watch_starts[k] for k in sorted(self._watch_starts)[:limit]]

    def clear_watch_start(self, property_id: str, case_id: str, gen: int) -> None:
        with self._lock:
            self._watch_starts.pop((property_id, case_id, gen), None)

    def put_policy_recompute(self, record: PolicyRecompute) -> None:
        with self._lock:
            self._recomputes[record.property_id] = record

    def policy_recompute(self, property_id: str) -> PolicyRecompute | None:
        with self._lock:
            return self._recomputes.get(property_id)

    def pending_policy_recomputes(self, *, limit: int) -> list[PolicyRecompute]:
        with self._lock:
            return [self._recomputes[k] for k in sorted(self._recomputes)[:limit]]

    def clear_policy_recompute(self, property_id: str) -> None:
        with self._lock:
            self._recomputes.pop(property_id, None)

    # --- properties and tenants -------------------------------------------------

    def get_property_settings(self, property_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._settings.get(property_id)
            return _doc(found) if found is not None else None

    def put_property_settings(self, property_id: str, settings: dict[str, Any]) -> None:
        with self._lock:
            self._settings[property_id] = _doc(settings)

    def register_property(self, property_id: str) -> None:
        with self._lock:
            self._registry.add(property_id)

    def registered_properties(self, *, limit: int, cursor: str | None = None) -> tuple[list[str], str | None]:
        with self._lock:
            rows = [([p], p) for p in self._registry]
        return _page(rows, "properties", limit=limit, cursor=cursor)

    def put_inbox(self, address: str, property_id: str) -> None:
        with self._lock:
            self._inboxes[address] = property_id

    def property_of_inboxes(self, addresses: Sequence[str]) -> str | None:
        with self._lock:
            looked_up = set(list(addresses)[:25])  # one batch read, as the adapter's
            return next((self._inboxes[a] for a in addresses if a in looked_up and a in self._inboxes), None)

    def put_tenant(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._tenants_by_email[record["email"]] = _doc(record)
            self._tenants[(record["property_id"], record["tenant_id"])] = _doc(record)

    def is_tenant_of(self, property_id: str, tenant_id: str) -> bool:
        with self._lock:
            return (property_id, tenant_id) in self._tenants

    def tenant(self, property_id: str, tenant_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._tenants.get((property_id, tenant_id))
            return _doc(found) if found is not None else None

    def tenant_by_email(self, address: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._tenants_by_email.get(address)
            return _doc(found) if found is not None else None

    def get_tenant(self, property_id: str, tenant_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._tenants.get((property_id, tenant_id))
            return _doc(found) if found is not None else None

    # --- mail records -----------------------------------------------------------

    def cases_for_message_ids(self, message_ids: Sequence[str]) -> list[tuple[str, str]]:
        with self._lock:
            looked_up = set(list(message_ids)[:25])
            found = []
            for k in message_ids:
                if k in looked_up and k in self._message_ids:
                    property_id, case_id = self._message_ids[k]["case"].split("#", 1)
                    found.append((property_id, case_id))
            return found

    def remember_message_id(self, message_id: str, case_key: str, *, reply_id: str | None = None) -> None:
        with self._lock:
            self._message_ids[message_id] = {"case": case_key} if reply_id is None else {"case": case_key,
                                                                                         "reply_id": reply_id}

    def message_id_known(self, message_id: str) -> bool:
        with self._lock:
            return message_id in self._message_ids

    def count_mail_attempt(self, bucket: str, key: str, *, expires_at: datetime) -> int:
        with self._lock:
            self._attempts[(bucket, key)] = self._attempts.get((bucket, key), 0) + 1
            return self._attempts[(bucket, key)]

    def take_ack_slot(self, address: str, *, now: datetime, window: timedelta, limit: int) -> bool:
        with self._lock:
            times = [t for t in self._ack_times.get(address, []) if t > now - window]
            if len(times) >= limit:
                return False
            self._ack_times[address] = times + [parse_iso(iso(now))]
            return True

    def put_quarantined(self, property_id: str | None, received_at: datetime, s3_key: str,
                        record: dict[str, Any]) -> None:
        with self._lock:
            self._quarantine.setdefault(property_id or None, {})[(iso(received_at), s3_key)] = _doc(record)

    def quarantined(self, property_id: str | None, *, limit: int,
                    cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        with self._lock:
            rows = [(list(k), _doc(v)) for k, v in self._quarantine.get(property_id or None, {}).items()]
        return _page(rows, f"quarantine:{property_id}", limit=limit, cursor=cursor, descending=True)

    # --- replies ----------------------------------------------------------------

    def get_reply(self, property_id: str, case_id: str, reply_id: str) -> Reply:
        with self._lock:
            found = self._replies.get((f"{property_id}#{case_id}", reply_id))
            if found is None:
                raise NotFound("no such reply", code="reply_not_found")
            return copy.deepcopy(found)

    def replies_of(self, case: Case) -> list[Reply]:
        with self._lock:
            return [copy.deepcopy(r) for (key, _), r in sorted(self._replies.items()) if key == case.key]

    def reply_queue(self, queue: str, *, limit: int, cursor: str | None = None) -> tuple[list[Reply], str | None]:
        with self._lock:
            rows = [([iso(r.changed_at()), r.case_key, r.reply_id], copy.deepcopy(r))
                    for r in self._replies.values() if r.queue() == queue]
        return _page(rows, f"replies:{queue}", limit=limit, cursor=cursor)

    def pending_replies(self, property_id: str, *, limit: int) -> list[Reply]:
        with self._lock:
            rows = [([iso(r.changed_at()), r.case_key, r.reply_id], copy.deepcopy(r))
                    for r in self._replies.values() if r.status == "pending" and r.property_id == property_id]
        return _page(rows, f"pending:{property_id}", limit=limit, cursor=None)[0]

    def save_reply(self, reply: Reply, *, expected_version: int | None, change: Change | None = None,
                   case_version: int | None = None) -> None:
        self._transact(change=change, expected_version=case_version, reply=reply, reply_version=expected_version)

    # --- reports ----------------------------------------------------------------

    def handover(self, property_id: str, shift_end: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._handovers.get(property_id, {}).get(shift_end)
            return _doc(found) if found is not None else None

    def put_handover(self, property_id: str, shift_end: str, doc: dict[str, Any], *, only_if_absent: bool) -> bool:
        with self._lock:
            stored = self._handovers.setdefault(property_id, {})
            if only_if_absent and shift_end in stored:
                return False
            stored[shift_end] = _doc(doc)
            return True

    def handovers(self, property_id: str, *, limit: int, cursor: str | None = None,
                  newest_first: bool = True) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        with self._lock:
            rows = [([k], (k, _doc(v))) for k, v in self._handovers.get(property_id, {}).items()]
        return _page(rows, f"handovers:{property_id}", limit=limit, cursor=cursor, descending=newest_first)

    def dailies(self, property_id: str, days: Sequence[str]) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {d: _doc(self._dailies[(property_id, d)]) for d in days if (property_id, d) in self._dailies}

    def put_daily(self, property_id: str, day: str, doc: dict[str, Any], *, only_if_absent: bool) -> bool:
        with self._lock:
            if only_if_absent and (property_id, day) in self._dailies:
                return False
            self._dailies[(property_id, day)] = _doc(doc)
            return True
